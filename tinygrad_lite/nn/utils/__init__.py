"""``nn.utils``: gradient clipping, parameter/vector conversion and explicit L1/L2 penalties."""
from tinygrad_lite.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_
from tinygrad_lite.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from tinygrad_lite.nn.utils.regularization import l1_penalty, l2_penalty

__all__ = ["clip_grad_norm_", "clip_grad_value_", "l1_penalty", "l2_penalty",
           "parameters_to_vector", "vector_to_parameters"]

# Variable-length sequences for recurrent layers (``nn.utils.rnn``, as in PyTorch).
from tinygrad_lite.nn.utils import rnn  # noqa: E402
from tinygrad_lite.nn.utils.rnn import (PackedSequence, pack_padded_sequence,  # noqa: E402
                                        pack_sequence, pad_packed_sequence, pad_sequence,
                                        unpack_sequence, unpad_sequence)

__all__ += ["rnn", "PackedSequence", "pack_padded_sequence", "pack_sequence",
            "pad_packed_sequence", "pad_sequence", "unpack_sequence", "unpad_sequence"]

# Pruning by masks (``nn.utils.prune``, as in PyTorch).
from tinygrad_lite.nn.utils import prune  # noqa: E402

__all__ += ["prune"]
