"""Depthwise convolution by FFT (numpy): the convolution theorem, per channel.

`fft_depthwise_conv` gives the same result as `reference.conv1d/conv2d/conv3d`
with groups = C (one filter per channel, stride 1, no dilation): zero-pad input
and kernel to a common size N >= n + k - 1 per axis, multiply the spectra, and
transform back. Its operation count is `dsconv_lib.cost.fft.fft_conv_flops`.
"""

from __future__ import annotations

import numpy as np

from ..shapes import Padding, conv_geometry, next_power_of_2
from ._validate import as_real_array


def fft_depthwise_conv(x: object, weight: object, padding: Padding = 0) -> np.ndarray:
    """Depthwise cross-correlation by FFT, as torch's conv with groups = C and stride 1.

    x: (N, C, *spatial), 1 to 3 spatial axes; weight: (C, 1, *kernel) -> (N, C, *out),
    out = spatial + 2 * padding - kernel + 1 per axis. The transforms have the
    power-of-two size N >= n + k - 1 per axis (n the unpadded input size), as
    `dsconv_lib.cost.fft.fft_size` assumes.
    """
    x = as_real_array(x, "x")
    weight = as_real_array(weight, "weight")
    spatial_dims = x.ndim - 2
    if spatial_dims not in (1, 2, 3):
        raise ValueError(f"x must be (N, C, *spatial) with 1 to 3 spatial axes, got shape {x.shape}")
    if weight.ndim != x.ndim or weight.shape[0] != x.shape[1] or weight.shape[1] != 1:
        raise ValueError(
            f"weight must have shape (C, 1, *kernel) = ({x.shape[1]}, 1, ...) with {spatial_dims} kernel axes, "
            f"got shape {weight.shape}"
        )
    kernel = weight.shape[2:]
    geometry = conv_geometry(x.shape[2:], kernel, 1, padding, 1, ndim=spatial_dims)
    # The linear convolution of n input values with k kernel values has n + k - 1 values, and
    # already includes every overlap with up to k - 1 zeros on either side: padding costs nothing.
    # Only padding beyond k - 1 (all-zero outputs) needs explicit zeros.
    excess = [(max(0, b - k + 1), max(0, a - k + 1)) for b, a, k in zip(geometry.pad_before, geometry.pad_after, kernel)]
    if any(b or a for b, a in excess):
        x = np.pad(x, [(0, 0), (0, 0), *excess])
    before = [b - e[0] for b, e in zip(geometry.pad_before, excess)]
    size = x.shape[2:]
    shape = tuple(next_power_of_2(n + k - 1) for n, k in zip(size, kernel))
    axes = tuple(range(2, 2 + spatial_dims))
    # Cross-correlation is convolution with the flipped kernel.
    flipped = weight[:, 0][(slice(None), *(slice(None, None, -1),) * spatial_dims)]
    spectrum = np.fft.rfftn(x, shape, axes=axes) * np.fft.rfftn(flipped, shape, axes=tuple(range(1, 1 + spatial_dims)))[None]
    full = np.fft.irfftn(spectrum, shape, axes=axes)
    # Output i (padding p) is the full convolution's value i + k - 1 - p.
    window = tuple(slice(k - 1 - p, k - 1 - p + o) for k, p, o in zip(kernel, before, geometry.output_size))
    return full[(slice(None), slice(None), *window)]
