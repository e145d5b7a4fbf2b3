"""Numpy reference convolutions with the semantics of torch.nn.functional.conv2d.

Two versions of every 2D op, which agree:
  - `loops`: plain loops, one output value at a time, written to be read
    (`conv2d_loops`, `depthwise_conv2d_loops`, ...);
  - `fast`: vectorised with numpy and BLAS, written to be used
    (`conv2d`, `depthwise_conv2d`, ...), plus 1D and 3D versions.
`im2col` and `conv_nd` (in `fast`) are the building blocks of the vectorised standard
convolution, `receptive_field` (in `loops`) the window the loops read; chapter 1 reads all three. And a third way to compute a depthwise convolution: `fft`, by the convolution
theorem (`reference.fft.fft_depthwise_conv`, stride 1, no dilation).

`as_real_array` is the input conversion they all share (torch tensors, nested
lists, integer arrays in; a numpy array of a real floating dtype out), for the
other modules that take arrays from the user.

Layout NCHW (N, C, H, W); weights (C_out, C_in / groups, kH, kW); cross-correlation
(the kernel is not flipped), as in torch.
"""

from . import fft
from ._validate import as_real_array
from .fast import (
    conv1d,
    conv_nd,
    conv2d,
    conv3d,
    depthwise_conv2d,
    im2col,
    pointwise_conv2d,
    separable_conv1d,
    separable_conv2d,
    separable_conv3d,
    spatially_separable_conv2d,
)
from .loops import (
    conv2d_loops,
    depthwise_conv2d_loops,
    pointwise_conv2d_loops,
    receptive_field,
    separable_conv2d_loops,
    spatially_separable_conv2d_loops,
)

__all__ = [
    "as_real_array",
    "fft",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_nd",
    "depthwise_conv2d",
    "im2col",
    "pointwise_conv2d",
    "separable_conv1d",
    "separable_conv2d",
    "separable_conv3d",
    "spatially_separable_conv2d",
    "conv2d_loops",
    "depthwise_conv2d_loops",
    "pointwise_conv2d_loops",
    "receptive_field",
    "separable_conv2d_loops",
    "spatially_separable_conv2d_loops",
]
