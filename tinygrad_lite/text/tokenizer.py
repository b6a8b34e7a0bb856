"""The base every tokenizer shares: special tokens, argument checks, JSON save/load.

Every tokenizer reserves ids 0-4 for ``<pad> <unk> <bos> <eos> <mask>`` (``pad_id`` ... ``mask_id``),
so a model, a loss's ``ignore_index`` and ``generate``'s ``eos_token_id`` can rely on them whatever
the tokenizer. A subclass turns one checked string into ids (``_encode_text``), ids back into text
(``_decode_ids``), and lists what it learned (``_state`` / ``_from_state``) for the JSON file.
"""
import json
import operator
import os

from tinygrad_lite.serialization import write_atomically

SPECIAL_TOKENS = ("<pad>", "<unk>", "<bos>", "<eos>", "<mask>")
PAD_ID, UNK_ID, BOS_ID, EOS_ID, MASK_ID = range(len(SPECIAL_TOKENS))
_FILE_FORMAT = "tinygrad_lite.text"
_FILE_VERSION = 1


def check_text(text):
    """``text`` itself if it is a str, else TypeError naming what was passed."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return text


def check_texts(texts):
    """The training texts as a list of str: one str counts as one text; anything else
    must be an iterable of str."""
    if isinstance(texts, str):
        return [texts]
    try:
        texts = list(texts)
    except TypeError:
        raise TypeError(f"texts must be a str or an iterable of str, got {type(texts).__name__}") from None
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts[{position}] must be a str, got {type(text).__name__}")
    return texts


class Tokenizer:
    """Base class: ``encode``, ``decode``, ``vocab_size``, the special ids, ``save``/``load``."""

    pad_id, unk_id, bos_id, eos_id, mask_id = PAD_ID, UNK_ID, BOS_ID, EOS_ID, MASK_ID
    special_tokens = SPECIAL_TOKENS

    @property
    def vocab_size(self):
        """Number of ids, special tokens included: valid ids are ``0 .. vocab_size - 1``."""
        raise NotImplementedError

    def __len__(self):
        return self.vocab_size

    def encode(self, text, add_special_tokens=False):
        """``text`` (str) -> list[int]; with ``add_special_tokens`` wrapped in ``bos_id ... eos_id``."""
        ids = self._encode_text(check_text(text))
        if add_special_tokens:
            return [self.bos_id, *ids, self.eos_id]
        return ids

    def decode(self, ids, skip_special_tokens=False):
        """ids (list of ints, 1-D array or Tensor) -> str. Special ids read as ``<pad>`` etc.
        unless ``skip_special_tokens`` drops them (as in Hugging Face's ``decode``)."""
        ids = self._check_ids(ids)
        if skip_special_tokens:
            ids = [token_id for token_id in ids if token_id >= len(SPECIAL_TOKENS)]
        return self._decode_ids(ids)

    def _check_ids(self, ids):
        if isinstance(ids, (str, bytes)):
            raise TypeError(f"ids must be a sequence of ints, got {type(ids).__name__}")
        if hasattr(ids, "tolist"):  # NumPy arrays and Tensors
            ids = ids.tolist()
        checked = []
        for token_id in ids:
            try:
                token_id = operator.index(token_id)
            except TypeError:
                raise TypeError(f"ids must be ints (a 1-D sequence), got {type(token_id).__name__}") from None
            if not 0 <= token_id < self.vocab_size:
                raise IndexError(f"token id {token_id} is out of range for vocab_size {self.vocab_size}")
            checked.append(token_id)
        return checked

    def save(self, path):
        """Write the tokenizer to ``path`` as JSON (atomically: temporary file, then rename)."""
        payload = {"format": _FILE_FORMAT, "version": _FILE_VERSION, "type": type(self).__name__,
                   **self._state()}
        write_atomically(path, lambda handle: handle.write(json.dumps(payload, ensure_ascii=False).encode("utf-8")))

    @classmethod
    def load(cls, path):
        """Read a tokenizer that ``save`` wrote; ValueError if the file holds another kind."""
        with open(os.fspath(path), encoding="utf-8") as handle:
            payload = json.load(handle)
        if not isinstance(payload, dict) or payload.get("format") != _FILE_FORMAT:
            raise ValueError(f"{os.fspath(path)!r} is not a tinygrad_lite tokenizer file")
        if payload.get("type") != cls.__name__:
            raise ValueError(f"{os.fspath(path)!r} holds a {payload.get('type')}, not a {cls.__name__}: "
                             f"load it with text.{payload.get('type')}.load")
        return cls._from_state(payload)

    def __eq__(self, other):
        return type(other) is type(self) and other._state() == self._state()

    __hash__ = None

    def __repr__(self):
        return f"{type(self).__name__}(vocab_size={self.vocab_size})"

    def _encode_text(self, text):
        raise NotImplementedError

    def _decode_ids(self, ids):
        raise NotImplementedError

    def _state(self):
        raise NotImplementedError

    @classmethod
    def _from_state(cls, state):
        raise NotImplementedError


class VocabularyTokenizer(Tokenizer):
    """A tokenizer over a fixed list of string tokens (characters, words): the special tokens
    take ids 0-4, then ``tokens`` in the order given; a piece not in the list maps to ``unk_id``."""

    def __init__(self, tokens):
        self._tokens = list(SPECIAL_TOKENS)
        self._ids = {}
        for token in tokens:
            if not isinstance(token, str) or token in SPECIAL_TOKENS:
                raise ValueError(f"{type(self).__name__}'s vocabulary holds str other than the "
                                 f"special tokens, got {token!r}")
            if token not in self._ids:
                self._ids[token] = len(self._tokens)
                self._tokens.append(token)

    @property
    def vocab_size(self):
        return len(self._tokens)

    @property
    def vocab(self):
        """dict token -> id, special tokens included (a copy)."""
        return {token: token_id for token_id, token in enumerate(self._tokens)}

    def id_to_token(self, token_id):
        """The token string with id ``token_id`` (``<pad>`` etc. for the special ids)."""
        return self._tokens[self._check_ids([token_id])[0]]

    def token_to_id(self, token):
        """The id of ``token`` (special token strings included); ``unk_id`` if it is unknown."""
        if token in SPECIAL_TOKENS:
            return SPECIAL_TOKENS.index(token)
        return self._ids.get(token, UNK_ID)

    def _ids_of(self, pieces):
        ids = self._ids
        return [ids.get(piece, UNK_ID) for piece in pieces]

    def _learned_tokens(self):
        return self._tokens[len(SPECIAL_TOKENS):]
