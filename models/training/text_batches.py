"""Text classification batches: token ids padded to a fixed width, grouped by length."""
import numpy

import tinygrad_lite as tl


def padded_ids(tokenizer, texts, max_length):
    """``(ids int64 (N, max_length) padded with pad_id, lengths (N,))``, each text cut to max_length words."""
    encoded = [tokenizer.encode(one)[:max_length] for one in texts]
    lengths = numpy.array([len(ids) for ids in encoded], dtype=numpy.int64)
    ids = numpy.full((len(texts), max_length), tokenizer.pad_id, dtype=numpy.int64)
    ids[numpy.arange(max_length)[None, :] < lengths[:, None]] = numpy.concatenate(
        [numpy.asarray(one, dtype=numpy.int64) for one in encoded] + [numpy.zeros(0, numpy.int64)])
    return ids, lengths


class LengthBatches:
    """Mini-batches of texts of similar length (each cut to its longest text), so an LSTM does not
    step through padding; with ``shuffle`` the grouping is jittered and the batch order drawn anew
    every epoch from ``seed``. Yields ``(ids int64 (B, T), labels int64 (B,))`` CPU tensors."""

    def __init__(self, ids, lengths, labels, batch_size, shuffle=False, seed=0):
        self.ids, self.lengths, self.labels = ids, lengths, labels
        self.batch_size, self.shuffle = batch_size, shuffle
        self.rng = numpy.random.default_rng(seed)

    def __len__(self):
        return -(-len(self.labels) // self.batch_size)

    def __iter__(self):
        jitter = self.rng.uniform(0.7, 1.4, len(self.lengths)) if self.shuffle else 1.0
        order = numpy.argsort(numpy.maximum(self.lengths, 1) * jitter, kind="stable")
        batches = numpy.array_split(order, len(self))
        for index in (self.rng.permutation(len(batches)) if self.shuffle else range(len(batches))):
            rows = batches[index]
            steps = max(int(self.lengths[rows].max()), 1)
            yield tl.tensor(self.ids[rows, :steps]), tl.tensor(self.labels[rows])
