"""Character-level tokenizer: one id per Unicode character seen in training.

``decode(encode(s)) == s`` for any ``s`` written in the training alphabet; a character never seen
encodes to ``unk_id`` (and decodes as ``<unk>``).
"""
from tinygrad_lite.text.tokenizer import VocabularyTokenizer, check_texts


class CharTokenizer(VocabularyTokenizer):
    """Ids ``0-4`` are the special tokens, then the training characters in code-point order."""

    def __init__(self, characters):
        """``characters``: the alphabet (iterable of single-character str), ids in that order."""
        characters = list(characters)
        for character in characters:
            if not isinstance(character, str) or len(character) != 1:
                raise ValueError(f"CharTokenizer's alphabet holds single characters, got {character!r}")
        super().__init__(characters)

    @classmethod
    def train(cls, texts):
        """A tokenizer whose alphabet is every character in ``texts`` (a str or iterable of str)."""
        alphabet = set()
        for text in check_texts(texts):
            alphabet.update(text)
        return cls(sorted(alphabet))

    def _encode_text(self, text):
        return self._ids_of(text)

    def _decode_ids(self, ids):
        tokens = self._tokens
        return "".join(tokens[token_id] for token_id in ids)

    def _state(self):
        return {"characters": self._learned_tokens()}

    @classmethod
    def _from_state(cls, state):
        return cls(state["characters"])
