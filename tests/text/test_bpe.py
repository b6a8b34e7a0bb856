"""tinygrad_lite/text/bpe.py: byte-level BPE, lossless on any string, merges learned incrementally."""
import collections
import pathlib
import sysconfig

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tinygrad_lite import text  # noqa: E402
from tinygrad_lite.text.bpe import learn_merges, split_chunks  # noqa: E402

ANY_CHARACTER = st.characters(exclude_categories=())  # lone surrogates and unassigned code points too


def byte_id(character):
    return ord(character) + 5


def recounted_merges(chunk_counts, num_merges, min_frequency):
    """The textbook algorithm, recounting every pair before each merge: the reference for the
    incremental one."""
    words = {chunk: [byte + 5 for byte in chunk.encode("utf-8", "surrogatepass")] for chunk in chunk_counts}
    merges = []
    while len(merges) < num_merges:
        counts = collections.Counter()
        for chunk, word in words.items():
            for pair in zip(word, word[1:]):
                counts[pair] += chunk_counts[chunk]
        if not counts:
            break
        pair = min(counts, key=lambda candidate: (-counts[candidate], candidate))
        if counts[pair] < min_frequency:
            break
        new_id = 261 + len(merges)
        for chunk, word in words.items():
            merged, position = [], 0
            while position < len(word):
                if word[position:position + 2] == list(pair):
                    merged.append(new_id)
                    position += 2
                else:
                    merged.append(word[position])
                    position += 1
            words[chunk] = merged
        merges.append(pair)
    return merges


def test_the_most_frequent_pair_is_merged_first_and_ties_go_to_the_smaller_pair():
    # chunks: "xy" once, " xy" twice, " ab" once -> (x, y) 3 times, (" ", x) twice, then a tie
    # between (" ", a) and (a, b) at 1 each, won by the smaller pair of ids (" " = 32 < "a" = 97).
    tokenizer = text.BPETokenizer.train(["xy xy xy ab"], vocab_size=265, min_frequency=1)
    space, x, y, a, b = (byte_id(character) for character in " xyab")
    assert tokenizer.merges == [(x, y), (space, 261), (space, a), (263, b)]
    assert [tokenizer.token_bytes(token_id) for token_id in range(261, 265)] == [b"xy", b" xy", b" a", b" ab"]
    assert tokenizer.encode("xy xy ab") == [261, 262, 264]
    assert tokenizer.vocab_size == 265


def test_repeated_letters_count_overlapping_pairs_and_merge_left_to_right():
    tokenizer = text.BPETokenizer.train(["aaab aaab"], vocab_size=263, min_frequency=1)
    a, b = byte_id("a"), byte_id("b")
    # (a, a) twice per "aaab" (overlapping), 4 in all; then (a, b) ties (261, a) at 2 and is smaller
    assert tokenizer.merges == [(a, a), (a, b)]
    assert tokenizer.encode("aaab") == [261, 262]
    assert tokenizer.decode(tokenizer.encode("aaaaa")) == "aaaaa"


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.text(alphabet="ab c\n", max_size=30), min_size=1, max_size=6),
       st.integers(1, 40), st.integers(1, 3))
def test_incremental_pair_counts_give_the_recounting_algorithms_merges(texts, num_merges, min_frequency):
    chunk_counts = collections.Counter()
    for sample in texts:
        chunk_counts.update(split_chunks(sample))
    assert learn_merges(chunk_counts, num_merges, min_frequency) == \
        recounted_merges(chunk_counts, num_merges, min_frequency)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(alphabet=ANY_CHARACTER))
def test_chunks_cover_every_character(sample):
    assert "".join(split_chunks(sample)) == sample


@pytest.fixture(scope="module")
def trained():
    corpus = ["Hello world! Hello there, world. 你好，世界 😀😀 tabs\tand\nnewlines " * 3,
              "def encode(self, text):\n    return [ord(c) for c in text]\n" * 3]
    return text.BPETokenizer.train(corpus, vocab_size=320)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet=ANY_CHARACTER))
def test_any_string_round_trips(trained, sample):
    ids = trained.encode(sample)
    assert all(5 <= token_id < trained.vocab_size for token_id in ids)
    assert trained.decode(ids) == sample


@pytest.mark.parametrize("sample", ["", "😀🙈👨‍👩‍👧", "日本語のテキスト、中文", "\x00\x01\x1b[31m\x7f",
                                    "\ud800 lone surrogate \udfff", "Ünïcödé  \r\n\u2028", "_" * 50])
def test_emoji_cjk_control_characters_and_surrogates_round_trip(trained, sample):
    assert trained.decode(trained.encode(sample)) == sample


def test_ids_cutting_a_character_in_two_decode_with_a_replacement_mark(trained):
    first_byte_of_euro = 0xE2 + 5
    assert trained.decode([byte_id("a"), first_byte_of_euro]) == "a\ufffd"


def test_a_pair_seen_fewer_than_min_frequency_times_is_not_merged():
    tokenizer = text.BPETokenizer.train(["ab ab ab cd"], vocab_size=1000)
    assert tokenizer.vocab_size == 263  # "ab" (3 times), " ab" (twice); " c" and "cd" once only
    assert [tokenizer.token_bytes(token_id) for token_id in (261, 262)] == [b"ab", b" ab"]


def test_vocab_size_must_hold_the_special_tokens_and_the_bytes():
    with pytest.raises(ValueError, match="vocab_size must be an int >= 261"):
        text.BPETokenizer.train(["abc"], vocab_size=260)
    with pytest.raises(ValueError, match="not a byte or an earlier merge"):
        text.BPETokenizer([(byte_id("a"), 300)])


def _library_text(max_characters):
    files = sorted(pathlib.Path(sysconfig.get_paths()["stdlib"]).glob("*.py"))
    texts, total = [], 0
    for path in files:
        texts.append(path.read_text(encoding="utf-8", errors="replace"))
        total += len(texts[-1])
        if total >= max_characters:
            break
    return texts


def test_trained_on_library_code_it_reaches_vocab_size_and_compresses_held_out_code():
    texts = _library_text(300_000)
    tokenizer = text.BPETokenizer.train(texts[:-1], vocab_size=1000)
    assert tokenizer.vocab_size == 1000
    held_out = texts[-1]
    ids = tokenizer.encode(held_out)
    assert tokenizer.decode(ids) == held_out
    assert len(held_out.encode("utf-8")) / len(ids) > 2.2  # bytes per token (2.38 measured)
