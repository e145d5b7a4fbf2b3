"""Vectorised convolutions: the same results as `loops.py`, fast enough to use.

The idea: a convolution is a sum over kernel taps. For each tap (p, q) the
input, shifted by (p * dilation, q * dilation) and sampled every `stride`
pixels, lines up with the output grid; multiply it by that tap's weights and add.
That is kH * kW whole-array operations instead of N * C_out * H_out * W_out
small ones:

  - standard and grouped convolution: each tap is a (C_out, C_in) matrix times
    the shifted input, a BLAS matrix multiply;
  - depthwise convolution: each tap is one number per channel, a broadcast multiply;
  - pointwise convolution: a single matrix multiply over all pixels.

The same code serves 1, 2 and 3 spatial dimensions.
"""

from __future__ import annotations

import itertools
import math
from typing import Optional

import numpy as np

from ..shapes import ConvGeometry, IntOrTuple, Padding, axis_pass_arguments
from ._validate import (
    check_depthwise_weight,
    check_separable_arguments,
    check_pointwise_weight,
    check_spatially_separable_weights,
    pad,
    prepare_conv,
)


def _shifted_input(x_padded: np.ndarray, tap: tuple[int, ...], geometry: ConvGeometry) -> np.ndarray:
    """The view of x_padded: (N, C, *padded) that kernel tap `tap` multiplies.

    Returns (N, C, *output_size): element [..., i, j] is x_padded[..., i*sh + p*dh, j*sw + q*dw].
    """
    index = [slice(None), slice(None)]
    for t, s, d, out in zip(tap, geometry.stride, geometry.dilation, geometry.output_size):
        start = t * d
        index.append(slice(start, start + s * (out - 1) + 1, s))
    return x_padded[tuple(index)]


def _conv_nd(x, weight, bias, stride, padding, dilation, groups, spatial_dims) -> np.ndarray:
    """Grouped convolution over `spatial_dims` dimensions, as a sum of per-tap matmuls.

    x: (N, C_in, *spatial); weight: (C_out, C_in / groups, *kernel) -> (N, C_out, *out).
    """
    x, weight, bias, geometry = prepare_conv(x, weight, bias, stride, padding, dilation, groups, spatial_dims)
    x_padded = pad(x, geometry)
    batch, c_in = x.shape[:2]
    c_out = weight.shape[0]
    out_size = geometry.output_size
    # Split channels into groups: weight[g] is a (C_out/g, C_in/g) matrix per tap.
    grouped_weight = weight.reshape(groups, c_out // groups, c_in // groups, *geometry.kernel_size)

    pixels = math.prod(out_size)
    y = np.zeros((batch, groups, c_out // groups, pixels), dtype=x.dtype)
    for tap in itertools.product(*(range(k) for k in geometry.kernel_size)):
        shifted = _shifted_input(x_padded, tap, geometry).reshape(batch, groups, c_in // groups, pixels)
        y += grouped_weight[(..., *tap)] @ shifted  # (G, Co/G, Ci/G) @ (N, G, Ci/G, P) -> (N, G, Co/G, P)
    y = y.reshape(batch, c_out, *out_size)
    if bias is not None:
        y += bias.reshape(-1, *(1,) * spatial_dims)
    return y


def _depthwise_nd(x, weight, bias, stride, padding, dilation, spatial_dims) -> np.ndarray:
    """Depthwise convolution over `spatial_dims` dimensions, as a sum of per-tap broadcasts.

    x: (N, C, *spatial); weight: (C * m, 1, *kernel) -> (N, C * m, *out).
    """
    x, weight, multiplier = check_depthwise_weight(x, weight, spatial_dims)
    batch, channels = x.shape[:2]
    x, weight, bias, geometry = prepare_conv(x, weight, bias, stride, padding, dilation, channels, spatial_dims)
    x_padded = pad(x, geometry)
    # weight[c, k] is the k-th filter of channel c; broadcast it over batch and space.
    per_channel = weight.reshape(channels, multiplier, *geometry.kernel_size)
    space = (1,) * spatial_dims

    y = np.zeros((batch, channels, multiplier, *geometry.output_size), dtype=x.dtype)
    product = np.empty_like(y)
    for tap in itertools.product(*(range(k) for k in geometry.kernel_size)):
        shifted = _shifted_input(x_padded, tap, geometry)[:, :, None]  # (N, C, 1, *out)
        np.multiply(per_channel[(..., *tap)].reshape(channels, multiplier, *space), shifted, out=product)
        y += product
    y = y.reshape(batch, channels * multiplier, *geometry.output_size)
    if bias is not None:
        y += bias.reshape(-1, *space)
    return y


def _pointwise_nd(x, weight, bias, stride, spatial_dims) -> np.ndarray:
    """Pointwise convolution: one (C_out, C_in) matmul over all pixels at once.

    x: (N, C_in, *spatial); weight: (C_out, C_in, 1, ...) -> (N, C_out, *out).
    """
    x, weight = check_pointwise_weight(x, weight, spatial_dims)
    x, weight, bias, geometry = prepare_conv(x, weight, bias, stride, 0, 1, 1, spatial_dims)
    sampled = x[(slice(None), slice(None), *(slice(None, None, s) for s in geometry.stride))]
    batch, c_in = sampled.shape[:2]
    pixels = math.prod(geometry.output_size)
    y = weight.reshape(weight.shape[0], c_in) @ sampled.reshape(batch, c_in, pixels)  # (N, C_out, P)
    y = y.reshape(batch, weight.shape[0], *geometry.output_size)
    if bias is not None:
        y += bias.reshape(-1, *(1,) * spatial_dims)
    return y


def _separable_nd(x, depthwise_weight, pointwise_weight, depthwise_bias, pointwise_bias, stride, padding, dilation, spatial_dims):
    check_separable_arguments(x, depthwise_weight, pointwise_weight, depthwise_bias, pointwise_bias, spatial_dims)
    filtered = _depthwise_nd(x, depthwise_weight, depthwise_bias, stride, padding, dilation, spatial_dims)
    return _pointwise_nd(filtered, pointwise_weight, pointwise_bias, 1, spatial_dims)


# ----------------------------------------------------------------------------- 2D


def conv2d(
    x: np.ndarray,
    weight: np.ndarray,
    bias: Optional[np.ndarray] = None,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
    groups: int = 1,
) -> np.ndarray:
    """Standard (optionally grouped) 2D convolution, as torch.nn.functional.conv2d.

    x: (N, C_in, H, W); weight: (C_out, C_in / groups, kH, kW); bias: (C_out,) or None.
    padding: int, (pad_h, pad_w), 'same' or 'valid'. Returns (N, C_out, H_out, W_out).

    Raises:
        ValueError: wrong number of dimensions, channel mismatch, groups that do not
            divide the channels, a kernel larger than the padded input, stride,
            dilation or groups below 1, padding below 0.
        TypeError: a non-numeric dtype, or an argument of the wrong type.
    """
    return _conv_nd(x, weight, bias, stride, padding, dilation, groups, spatial_dims=2)


def depthwise_conv2d(
    x: np.ndarray,
    weight: np.ndarray,
    bias: Optional[np.ndarray] = None,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
) -> np.ndarray:
    """Depthwise 2D convolution (conv2d with groups = C), with a depth multiplier m.

    x: (N, C, H, W); weight: (C * m, 1, kH, kW); bias: (C * m,) or None.
    Returns (N, C * m, H_out, W_out); output channel c * m + k is channel c filtered
    by weight[c * m + k, 0].
    """
    return _depthwise_nd(x, weight, bias, stride, padding, dilation, spatial_dims=2)


def pointwise_conv2d(
    x: np.ndarray,
    weight: np.ndarray,
    bias: Optional[np.ndarray] = None,
    stride: IntOrTuple = 1,
) -> np.ndarray:
    """Pointwise (1x1) convolution: the same (C_out, C_in) matrix applied at every pixel.

    x: (N, C_in, H, W); weight: (C_out, C_in, 1, 1); bias: (C_out,) or None.
    Returns (N, C_out, H_out, W_out).
    """
    return _pointwise_nd(x, weight, bias, stride, spatial_dims=2)


def separable_conv2d(
    x: np.ndarray,
    depthwise_weight: np.ndarray,
    pointwise_weight: np.ndarray,
    depthwise_bias: Optional[np.ndarray] = None,
    pointwise_bias: Optional[np.ndarray] = None,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
) -> np.ndarray:
    """Depthwise separable convolution: depthwise (stride, padding, dilation), then pointwise.

    x: (N, C_in, H, W); depthwise_weight: (C_in * m, 1, kH, kW);
    pointwise_weight: (C_out, C_in * m, 1, 1). Returns (N, C_out, H_out, W_out).
    """
    return _separable_nd(
        x, depthwise_weight, pointwise_weight, depthwise_bias, pointwise_bias, stride, padding, dilation, spatial_dims=2
    )


def spatially_separable_conv2d(
    x: np.ndarray,
    column_weight: np.ndarray,
    row_weight: np.ndarray,
    bias: Optional[np.ndarray] = None,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
) -> np.ndarray:
    """Spatially separable convolution, channel by channel: column filter, then row filter.

    x: (N, C, H, W); column_weight: (C, 1, kH, 1); row_weight: (C, 1, 1, kW); bias: (C,).
    Equal to depthwise_conv2d with kernel[c] = outer(column_weight[c], row_weight[c]).
    """
    check_spatially_separable_weights(x, column_weight, row_weight, stride, padding, dilation)
    column_pass, row_pass = axis_pass_arguments(stride, padding, dilation)
    columns_filtered = _depthwise_nd(x, column_weight, None, spatial_dims=2, **column_pass)
    return _depthwise_nd(columns_filtered, row_weight, bias, spatial_dims=2, **row_pass)


# ----------------------------------------------------------------------------- 1D and 3D


def conv1d(x, weight, bias=None, stride: IntOrTuple = 1, padding: Padding = 0, dilation: IntOrTuple = 1, groups: int = 1):
    """Standard 1D convolution. x: (N, C_in, L); weight: (C_out, C_in / groups, k) -> (N, C_out, L_out)."""
    return _conv_nd(x, weight, bias, stride, padding, dilation, groups, spatial_dims=1)


def separable_conv1d(
    x, depthwise_weight, pointwise_weight, depthwise_bias=None, pointwise_bias=None,
    stride: IntOrTuple = 1, padding: Padding = 0, dilation: IntOrTuple = 1,
):
    """Depthwise separable 1D convolution, e.g. for time series.

    x: (N, C_in, L); depthwise_weight: (C_in * m, 1, k); pointwise_weight: (C_out, C_in * m, 1).
    Returns (N, C_out, L_out).
    """
    return _separable_nd(
        x, depthwise_weight, pointwise_weight, depthwise_bias, pointwise_bias, stride, padding, dilation, spatial_dims=1
    )


def conv3d(x, weight, bias=None, stride: IntOrTuple = 1, padding: Padding = 0, dilation: IntOrTuple = 1, groups: int = 1):
    """Standard 3D convolution. x: (N, C_in, D, H, W); weight: (C_out, C_in / groups, kD, kH, kW)."""
    return _conv_nd(x, weight, bias, stride, padding, dilation, groups, spatial_dims=3)


def separable_conv3d(
    x, depthwise_weight, pointwise_weight, depthwise_bias=None, pointwise_bias=None,
    stride: IntOrTuple = 1, padding: Padding = 0, dilation: IntOrTuple = 1,
):
    """Depthwise separable 3D convolution, e.g. for video (time x H x W) or volumes (MRI).

    x: (N, C_in, D, H, W); depthwise_weight: (C_in * m, 1, kD, kH, kW);
    pointwise_weight: (C_out, C_in * m, 1, 1, 1). Returns (N, C_out, D_out, H_out, W_out).
    """
    return _separable_nd(
        x, depthwise_weight, pointwise_weight, depthwise_bias, pointwise_bias, stride, padding, dilation, spatial_dims=3
    )
