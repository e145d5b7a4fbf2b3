"""The GPU path of the depthwise separable block: a fused Triton kernel and the dispatch around it.

- `separable_conv2d(x, w_dw, w_pw, b_dw=None, b_pw=None, stride=1, padding=None, backend="auto")`:
  the one entry point. "auto" runs the fused kernel where it was measured to be faster
  (`dispatch.FUSED_FASTER`) and two F.conv2d calls (cuDNN) everywhere else, the CPU included.
- `dispatch`: the rule "auto" follows, the table of measured layers, default tile sizes.
- `_triton_kernel`: the kernel itself, imported only when the fused path runs.

Triton is optional: it is not a dependency of dsconv_lib, and importing this package does
not import it. `triton_available()` says whether it is installed.
"""

from .dispatch import FUSED_FASTER, LayerKey, TileConfig
from .separable import BACKENDS, TOLERANCE, interpreter_enabled, separable_conv2d, triton_available

__all__ = [
    "BACKENDS",
    "FUSED_FASTER",
    "LayerKey",
    "TOLERANCE",
    "TileConfig",
    "interpreter_enabled",
    "separable_conv2d",
    "triton_available",
]
