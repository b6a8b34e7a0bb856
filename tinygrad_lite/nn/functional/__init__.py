"""``tinygrad_lite.nn.functional`` (imported as ``F``): stateless layers, activations and losses."""
from tinygrad_lite.nn.functional.activation import *  # noqa: F401,F403
from tinygrad_lite.nn.functional.attention import *  # noqa: F401,F403
from tinygrad_lite.nn.functional.conv import *  # noqa: F401,F403
from tinygrad_lite.nn.functional.dropout import *  # noqa: F401,F403
from tinygrad_lite.nn.functional.embedding import *  # noqa: F401,F403
from tinygrad_lite.nn.functional.encoding import *  # noqa: F401,F403
from tinygrad_lite.nn.functional.linear import *  # noqa: F401,F403
from tinygrad_lite.nn.functional.loss import *  # noqa: F401,F403
from tinygrad_lite.nn.functional.normalization import *  # noqa: F401,F403
from tinygrad_lite.nn.functional.padding import *  # noqa: F401,F403
from tinygrad_lite.nn.functional.pooling import *  # noqa: F401,F403
