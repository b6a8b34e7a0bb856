"""Byte-level byte-pair encoding (BPE), as in GPT-2: lossless on any Python string.

Text is UTF-8 encoded (lone surrogates included, via ``surrogatepass``), so the 256 byte values
cover everything: emoji, CJK, control characters. Training starts from those bytes and repeatedly
merges the most frequent adjacent pair into a new token until ``vocab_size`` ids exist. Pairs never
cross the pre-tokenizer's chunks (a word with its leading space, a number, a run of punctuation,
whitespace), so a token never spans two words.

Training is fast because it never recounts: each merge visits only the chunks that contain the pair,
updates the counts of the pairs those chunks lose and gain, and a heap yields the next most
frequent pair (ties: the smaller ``(left_id, right_id)``, so training is deterministic).
"""
import collections
import heapq
import re

from tinygrad_lite.text.tokenizer import SPECIAL_TOKENS, Tokenizer, check_texts

# GPT-2's split with stdlib `re`: letters ([^\W\d_]), digits, and everything else that is not a
# space (underscore included), each with one optional leading space; every character lands in a chunk.
_CHUNK = re.compile(r"'(?:s|t|re|ve|m|ll|d)| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+")
_FIRST_BYTE_ID = len(SPECIAL_TOKENS)
_FIRST_MERGE_ID = _FIRST_BYTE_ID + 256
_CACHE_LIMIT = 200_000


def split_chunks(text):
    """The pre-tokenizer: ``text`` -> list of chunks whose concatenation is ``text``."""
    return _CHUNK.findall(text)


def _text_bytes(text):
    return text.encode("utf-8", errors="surrogatepass")


def _merge_pair(ids, pair, new_id):
    """``ids`` with every non-overlapping occurrence of ``pair`` (left to right) replaced by ``new_id``."""
    left, right = pair
    merged, position, length = [], 0, len(ids)
    while position < length:
        if position + 1 < length and ids[position] == left and ids[position + 1] == right:
            merged.append(new_id)
            position += 2
        else:
            merged.append(ids[position])
            position += 1
    return merged


class _PairCounts:
    """Weighted counts of adjacent pairs over the distinct chunks, kept current as merges happen."""

    def __init__(self, chunk_counts):
        self.words = [[byte + _FIRST_BYTE_ID for byte in _text_bytes(chunk)] for chunk in chunk_counts]
        self.frequencies = list(chunk_counts.values())
        self.counts = collections.defaultdict(int)
        self.words_with = collections.defaultdict(set)  # pair -> indices of words that held it
        for index, word in enumerate(self.words):
            for pair in zip(word, word[1:]):
                self.counts[pair] += self.frequencies[index]
                self.words_with[pair].add(index)
        self.heap = [(-count, pair) for pair, count in self.counts.items()]
        heapq.heapify(self.heap)

    def most_frequent(self):
        """(pair, count) with the highest count (smallest pair on ties), or (None, 0)."""
        while self.heap:
            negative_count, pair = self.heap[0]
            if self.counts.get(pair) == -negative_count:
                return pair, -negative_count
            heapq.heappop(self.heap)  # stale: the pair's count changed after this entry was pushed
        return None, 0

    def merge(self, pair, new_id):
        """Replace ``pair`` by ``new_id`` in every word holding it, updating only the pairs touched."""
        changes = collections.defaultdict(int)
        for index in self.words_with.pop(pair, ()):
            word = self.words[index]
            merged = _merge_pair(word, pair, new_id)
            if len(merged) == len(word):
                continue  # an earlier merge already took this word's occurrences
            frequency = self.frequencies[index]
            for old_pair in zip(word, word[1:]):
                changes[old_pair] -= frequency
            for new_pair in zip(merged, merged[1:]):
                changes[new_pair] += frequency
                self.words_with[new_pair].add(index)
            self.words[index] = merged
        for changed_pair, change in changes.items():
            if change == 0:
                continue
            count = self.counts[changed_pair] + change
            if count > 0:
                self.counts[changed_pair] = count
                heapq.heappush(self.heap, (-count, changed_pair))
            else:
                del self.counts[changed_pair]


def learn_merges(chunk_counts, num_merges, min_frequency):
    """The merges, in order, learned from ``chunk_counts`` (Counter chunk -> occurrences)."""
    pairs = _PairCounts(chunk_counts)
    merges = []
    while len(merges) < num_merges:
        pair, count = pairs.most_frequent()
        if pair is None or count < min_frequency:
            break
        pairs.merge(pair, _FIRST_MERGE_ID + len(merges))
        merges.append(pair)
    return merges


class BPETokenizer(Tokenizer):
    """Ids ``0-4`` special tokens, ``5-260`` the bytes 0-255, then one id per learned merge."""

    def __init__(self, merges):
        """``merges``: the learned pairs ``(left_id, right_id)`` in order; merge ``k`` makes id ``261 + k``."""
        self._token_bytes = [token.encode() for token in SPECIAL_TOKENS]
        self._token_bytes += [bytes([byte]) for byte in range(256)]
        self._ranks = {}
        for left, right in merges:
            for token_id in (left, right):
                if not (isinstance(token_id, int) and _FIRST_BYTE_ID <= token_id < len(self._token_bytes)):
                    raise ValueError(f"merge ({left}, {right}) names token {token_id}, which is not a "
                                     f"byte or an earlier merge")
            if (left, right) in self._ranks:
                raise ValueError(f"merge ({left}, {right}) appears twice")
            self._ranks[(left, right)] = len(self._token_bytes)
            self._token_bytes.append(self._token_bytes[left] + self._token_bytes[right])
        self._cache = {}

    @classmethod
    def train(cls, texts, vocab_size=2000, min_frequency=2):
        """Learn merges on ``texts`` (a str or iterable of str) until ``vocab_size`` ids exist
        (special tokens and the 256 bytes included, so ``vocab_size >= 261``), or until no pair
        occurs ``min_frequency`` times: ``tok.vocab_size`` is then smaller than asked."""
        if not isinstance(vocab_size, int) or vocab_size < _FIRST_MERGE_ID:
            raise ValueError(f"vocab_size must be an int >= {_FIRST_MERGE_ID} (5 special tokens + 256 "
                             f"bytes), got {vocab_size!r}")
        if min_frequency < 1:
            raise ValueError(f"min_frequency must be >= 1, got {min_frequency}")
        chunk_counts = collections.Counter()
        for text in check_texts(texts):
            chunk_counts.update(split_chunks(text))
        return cls(learn_merges(chunk_counts, vocab_size - _FIRST_MERGE_ID, min_frequency))

    @property
    def vocab_size(self):
        return len(self._token_bytes)

    @property
    def merges(self):
        """The learned pairs ``(left_id, right_id)``, in the order they were merged."""
        return list(self._ranks)

    def token_bytes(self, token_id):
        """The bytes token ``token_id`` stands for (``b"<pad>"`` etc. for the special ids)."""
        return self._token_bytes[self._check_ids([token_id])[0]]

    def _encode_text(self, text):
        ids = []
        for chunk in split_chunks(text):
            ids += self._encode_chunk(chunk)
        return ids

    def _encode_chunk(self, chunk):
        cached = self._cache.get(chunk)
        if cached is not None:
            return cached
        ids = [byte + _FIRST_BYTE_ID for byte in _text_bytes(chunk)]
        ranks = self._ranks
        while len(ids) > 1:
            # Merging the lowest-ranked pair present, repeatedly, replays the training merges in order.
            pair = min(zip(ids, ids[1:]), key=lambda candidate: ranks.get(candidate, float("inf")))
            if pair not in ranks:
                break
            ids = _merge_pair(ids, pair, ranks[pair])
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[chunk] = ids
        return ids

    def _decode_ids(self, ids):
        token_bytes = self._token_bytes
        data = b"".join(token_bytes[token_id] for token_id in ids)
        try:
            return data.decode("utf-8", errors="surrogatepass")
        except UnicodeDecodeError:  # ids that cut a character in two (e.g. sampled ones)
            return data.decode("utf-8", errors="replace")

    def _state(self):
        return {"merges": [list(pair) for pair in self._ranks]}

    @classmethod
    def _from_state(cls, state):
        return cls([tuple(pair) for pair in state["merges"]])
