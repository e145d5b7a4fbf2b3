"""The GPU path of the depthwise separable block: a fused Triton kernel and the dispatch around it.

- `separable_conv2d(x, depthwise_weight, pointwise_weight, depthwise_bias=None, pointwise_bias=None,
  stride=1, padding=0, dilation=1, backend="auto")`: the one entry point, spelled like
  `dsconv_lib.reference.separable_conv2d`. "auto" runs the fused kernel where it was measured
  to be faster (`dispatch.FUSED_FASTER`) and two F.conv2d calls (cuDNN) everywhere else, the
  CPU and GPUs that the installed Triton does not compile for (`dispatch.why_not_fused`) included.
- `dispatch`: the rule "auto" follows, the table of measured layers, default tile sizes.
- `measure`: timing on a GPU, copy bandwidth and matrix-multiply rate (the benchmark and chapter 10).
- `results`: the JSON layout of a recorded benchmark run, written by benchmarks/gpu_dsc.py and read back.
- `_triton_kernel`: the kernel itself, imported only when the fused path runs.

Triton is optional: it is not a dependency of dsconv_lib, and importing this package does
not import it. `triton_available()` says whether it is installed.
"""

from .dispatch import FUSED_FASTER, LayerKey, TileConfig, interpreter_enabled, triton_available, why_not_fused
from .separable import BACKENDS, TOLERANCE, separable_conv2d

__all__ = [
    "BACKENDS",
    "FUSED_FASTER",
    "LayerKey",
    "TOLERANCE",
    "TileConfig",
    "interpreter_enabled",
    "separable_conv2d",
    "triton_available",
    "why_not_fused",
]
