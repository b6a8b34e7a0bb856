"""Word-level tokenizer: words and punctuation marks, optionally lower-cased, stop words dropped.

``"Don't panic!"`` splits into ``don ' t panic !``: a word is a run of letters, digits and ``_``,
every other non-space character is a token of its own. Words rarer than ``min_freq`` in training,
and words never seen, encode to ``unk_id``. ``stop_words`` (seed 000 #17) are dropped while
tokenizing, compared case-insensitively. Decoding joins the tokens with single spaces: the original
spacing and case are not kept.
"""
import collections
import re

from tinygrad_lite.text.stop_words import lowercase_stop_words
from tinygrad_lite.text.tokenizer import VocabularyTokenizer, check_text, check_texts

_WORD_OR_PUNCTUATION = re.compile(r"\w+|[^\w\s]")


class WordTokenizer(VocabularyTokenizer):
    """Ids ``0-4`` are the special tokens, then the words, most frequent first (ties alphabetical)."""

    def __init__(self, words, lowercase=True, stop_words=None):
        """``words``: the vocabulary in id order; ``lowercase`` and ``stop_words`` (None keeps every
        word) apply to the text before lookup, exactly as in training."""
        self.lowercase = bool(lowercase)
        self.stop_words = None if stop_words is None else lowercase_stop_words(stop_words)
        super().__init__(words)

    @classmethod
    def train(cls, texts, lowercase=True, min_freq=1, stop_words=None, max_vocab_size=None):
        """Learn the vocabulary of ``texts`` (a str or iterable of str).

        Keeps words seen at least ``min_freq`` times, the most frequent first, at most
        ``max_vocab_size`` ids in all (special tokens included; None: no limit). ``stop_words``,
        e.g. ``text.STOP_WORDS``, are dropped from training and from every later ``encode``.
        """
        if min_freq < 1:
            raise ValueError(f"min_freq must be >= 1, got {min_freq}")
        tokenizer = cls([], lowercase=lowercase, stop_words=stop_words)
        counts = collections.Counter()
        for text in check_texts(texts):
            counts.update(tokenizer.tokenize(text))
        ranked = sorted((word for word, count in counts.items() if count >= min_freq),
                        key=lambda word: (-counts[word], word))
        if max_vocab_size is not None:
            if max_vocab_size < len(tokenizer.special_tokens):
                raise ValueError(f"max_vocab_size must leave room for the {len(tokenizer.special_tokens)} "
                                 f"special tokens, got {max_vocab_size}")
            ranked = ranked[:max_vocab_size - len(tokenizer.special_tokens)]
        return cls(ranked, lowercase=lowercase, stop_words=stop_words)

    def tokenize(self, text):
        """``text`` -> list[str]: words and punctuation, lower-cased if ``lowercase``, stop words out."""
        check_text(text)
        if self.lowercase:
            text = text.lower()
        pieces = _WORD_OR_PUNCTUATION.findall(text)
        if self.stop_words is None:
            return pieces
        stop_words = self.stop_words
        return [piece for piece in pieces if piece.lower() not in stop_words]

    def _encode_text(self, text):
        return self._ids_of(self.tokenize(text))

    def _decode_ids(self, ids):
        tokens = self._tokens
        return " ".join(tokens[token_id] for token_id in ids)

    def _state(self):
        stop_words = None if self.stop_words is None else sorted(self.stop_words)
        return {"words": self._learned_tokens(), "lowercase": self.lowercase, "stop_words": stop_words}

    @classmethod
    def _from_state(cls, state):
        return cls(state["words"], lowercase=state["lowercase"], stop_words=state["stop_words"])
