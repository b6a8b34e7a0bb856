"""English stop words and their removal (seed 000 #17: dropping "the", "is", "and" before training).

Whether to drop them depends on the task: a topic classifier usually gains, a language model must
keep them (it has to generate them). ``WordTokenizer.train(..., stop_words=STOP_WORDS)`` drops them
while tokenizing; ``remove_stop_words`` does it on tokens already split.
"""
_WORDS = """
a about above after again against ain all am an and any are aren as at
be because been before being below between both but by
can cannot could couldn
d did didn do does doesn doing don down during
each either
few for from further
had hadn has hasn have haven having he her here hers herself him himself his how
i if in into is isn it its itself
just
ll
m ma me might mightn more most must mustn my myself
neither no nor not now
o of off on once only or other ought our ours ourselves out over own
re
s same shall shan she should shouldn so some such
t than that the their theirs them themselves then there these they this those through to too
under until up upon us
ve very
was wasn we were weren what when where which while who whom why will with won would wouldn
y you your yours yourself yourselves
"""

STOP_WORDS = frozenset(_WORDS.split())
"""English stop words, lower case: articles, pronouns, auxiliaries, prepositions, conjunctions,
and the pieces contractions split into (``don``, ``t``, ``s``, ``ll``, ``ve``...)."""


def remove_stop_words(tokens, stop_words=STOP_WORDS):
    """``tokens`` (list[str]) without those in ``stop_words``, compared case-insensitively.

    >>> remove_stop_words(["The", "cat", "IS", "here"])
    ['cat']
    """
    if isinstance(tokens, str):
        raise TypeError("tokens must be a list of str, not one str: split it first "
                        "(e.g. WordTokenizer's tokenize, or text.split())")
    lowered = lowercase_stop_words(stop_words)
    kept = []
    for token in tokens:
        if not isinstance(token, str):
            raise TypeError(f"tokens must be str, got {type(token).__name__}")
        if token.lower() not in lowered:
            kept.append(token)
    return kept


def lowercase_stop_words(stop_words):
    """``stop_words`` (a collection of str) as a lower-case frozenset; TypeError on one str."""
    if stop_words is STOP_WORDS:
        return STOP_WORDS
    if isinstance(stop_words, str):
        raise TypeError("stop_words must be a collection of str, not one str")
    words = set()
    for word in stop_words:
        if not isinstance(word, str):
            raise TypeError(f"stop_words must hold str, got {type(word).__name__}")
        words.add(word.lower())
    return frozenset(words)
