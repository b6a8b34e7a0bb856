"""A small English text file for the language-model examples' fast tests."""
import numpy

SENTENCES = ["Return the number of items in the list.", "Open the file and read its lines.",
             "Raise an error when the key is missing.", "Close the socket after the last write.",
             "Return a copy of the string in upper case.", "Parse the header and return a dict."]


def write_small_text(path, paragraphs=60, seed=0):
    """Write ``paragraphs`` paragraphs of three sentences drawn from :data:`SENTENCES`; returns path."""
    rng = numpy.random.default_rng(seed)
    picks = rng.integers(0, len(SENTENCES), (paragraphs, 3))
    path.write_text("\n\n".join(" ".join(SENTENCES[i] for i in row) for row in picks) + "\n", encoding="utf-8")
    return path
