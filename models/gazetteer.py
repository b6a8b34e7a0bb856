"""The rule baseline for named-entity recognition (seed 000 #13's "规则和模式匹配", rules and
pattern matching): a gazetteer of the training names plus date patterns learned from the training
dates.

What it knows, and nothing else:
- every entity of the training sentences, as a token sequence with its type (a name seen with two
  types keeps the more frequent one); a sentence is tagged by longest match, left to right;
- the *shapes* of the training dates: each DATE token is written as a class (``MONTH`` for a word
  seen inside a training date, ``DAY`` for a 1-2 digit number, ``YEAR`` for a 4-digit one, anything
  else as itself), and a span whose shape sequence was seen in training is a DATE, so
  "5 May 1907" is found from "3 March 1998" although that exact date was never seen.
It knows no name it has not seen, so on :mod:`models.data.entities`' test split (whose people,
organisations and places never occur in training) it finds dates and nothing else.

    rules = Gazetteer.fit(train_tokens, train_tags)
    rules.predict([["Ada", "Lovelace", "visited", "Paris", "."]])  # [['B-PER', 'I-PER', 'O', 'B-LOC', 'O']]
"""
import collections

from tinygrad_lite.metrics import get_entities


def _token_shape(token, months):
    if token in months:
        return "MONTH"
    if token.isdigit() and len(token) <= 2:
        return "DAY"
    if token.isdigit() and len(token) == 4:
        return "YEAR"
    return token


class Gazetteer:
    """Longest-match lookup of known entity token sequences, plus learned DATE shapes.

    ``names`` maps a tuple of tokens to its type; ``date_shapes`` is a set of shape tuples (empty:
    dictionary lookup only); ``months`` the words allowed as ``MONTH``."""

    def __init__(self, names, date_shapes=(), months=()):
        self.names = dict(names)
        self.date_shapes = set(date_shapes)
        self.months = frozenset(months)
        self.longest = max([len(name) for name in self.names] + [len(shape) for shape in self.date_shapes] + [1])

    @classmethod
    def fit(cls, sentences, tags, learn_dates=True):
        """A gazetteer of the entities in ``sentences`` (lists of tokens) tagged ``tags`` (BIO
        lists); ``learn_dates=False`` leaves out the date shapes (pure dictionary lookup)."""
        seen = collections.defaultdict(collections.Counter)
        for tokens, labels in zip(sentences, tags):
            for kind, start, end in get_entities(list(labels)):
                seen[tuple(tokens[start:end + 1])][kind] += 1
        names = {name: counts.most_common(1)[0][0] for name, counts in sorted(seen.items())}
        if not learn_dates:
            return cls(names)
        dates = [name for name, kind in names.items() if kind == "DATE"]
        months = {token for name in dates for token in name if token.isalpha()}
        return cls(names, {tuple(_token_shape(token, months) for token in name) for name in dates}, months)

    def _match(self, tokens, start):
        """``(type, length)`` of the longest known entity starting at ``start``, or ``(None, 0)``."""
        for length in range(min(self.longest, len(tokens) - start), 0, -1):
            span = tuple(tokens[start:start + length])
            if span in self.names:
                return self.names[span], length
            if tuple(_token_shape(token, self.months) for token in span) in self.date_shapes:
                return "DATE", length
        return None, 0

    def tag(self, tokens):
        """BIO tags (list of str) for one sentence's tokens."""
        tags, position = [], 0
        while position < len(tokens):
            kind, length = self._match(tokens, position)
            if kind is None:
                tags.append("O")
                position += 1
                continue
            tags.extend([f"B-{kind}"] + [f"I-{kind}"] * (length - 1))
            position += length
        return tags

    def predict(self, sentences):
        """BIO tag lists for a list of token lists."""
        return [self.tag(list(tokens)) for tokens in sentences]
