"""Vectorised convolutions: the same results as `loops.py`, fast enough to use.

A standard (grouped) convolution is im2col. Every output value is a dot
product between a weight vector and the input values under the kernel (its
receptive field). Gather each output position's receptive field into a column,
once, with numpy's sliding windows; then all the dot products of a group of
channels are one matrix multiply, which BLAS does fast:

    columns: (N, groups, C_in/groups * kernel taps, output pixels)
    weights: (groups, C_out/groups, C_in/groups * kernel taps)
    output = weights @ columns: (N, groups, C_out/groups, output pixels)

A depthwise convolution does too little arithmetic for that: each input value
is used by only k x k products, so copying it into k x k columns costs more
than the products. The same columns serve as a view instead: numpy's strides
let one array of shape (N, *out, *kernel, C) point into the padded input, with
no copy, and one einsum sums each output's products over the taps:

    out[n, o, c] = sum over taps t of  weight[c, t] * x_padded[n, o * stride + t * dilation, c]

with the channels last in memory, so that the inner loop runs over contiguous
values: the C channels of a pixel or, with few channels, a whole output row.
A pointwise convolution needs no gathering at all, just one (C_out, C_in)
matrix over all pixels. The same code serves 1, 2 and 3 spatial dimensions.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..shapes import ConvGeometry, IntOrTuple, Padding, axis_pass_arguments
from ._validate import (
    check_depthwise_weight,
    check_separable_arguments,
    check_pointwise_weight,
    check_spatially_separable_weights,
    pad,
    prepare_conv,
)


def im2col(x_padded: np.ndarray, geometry: ConvGeometry, groups: int = 1) -> np.ndarray:
    """Gather receptive fields into columns (chapter 1 reads this function).

    x_padded: (N, C, *padded) -> (N, groups, C/groups * prod(kernel), prod(output)),
    where column p holds, channel by channel and tap by tap, the input values that
    output pixel p sees. `geometry` is `shapes.conv_geometry(...)` of the convolution, and
    x_padded the input already padded by it (`conv_nd` shows the whole sequence).
    """
    batch, channels = x_padded.shape[:2]
    ndim = len(geometry.kernel_size)
    spatial_axes = tuple(range(2, 2 + ndim))
    # Every window of the dilated kernel's span: (N, C, *positions, *span).
    windows = np.lib.stride_tricks.sliding_window_view(x_padded, geometry.effective_kernel_size, axis=spatial_axes)
    # Keep the output positions (every stride-th) and the taps (every dilation-th): (N, C, *out, *kernel).
    windows = windows[(..., *(slice(None, None, s) for s in geometry.stride),
                       *(slice(None, None, d) for d in geometry.dilation))]
    # Order (N, C, *kernel, *out), so that the copy below runs along output rows.
    windows = np.moveaxis(windows, tuple(range(2 + ndim, 2 + 2 * ndim)), spatial_axes)
    taps, pixels = math.prod(geometry.kernel_size), math.prod(geometry.output_size)
    return windows.reshape(batch, groups, channels // groups * taps, pixels)  # the one copy


def conv_nd(
    x: np.ndarray,
    weight: np.ndarray,
    bias: Optional[np.ndarray],
    stride: IntOrTuple,
    padding: Padding,
    dilation: IntOrTuple,
    groups: int,
    spatial_dims: int,
) -> np.ndarray:
    """Grouped convolution over `spatial_dims` dimensions: im2col, then a matmul per group
    (`conv1d`, `conv2d` and `conv3d` are this with 1, 2 and 3; chapter 1 reads this function).

    x: (N, C_in, *spatial); weight: (C_out, C_in / groups, *kernel) -> (N, C_out, *out).
    """
    x, weight, bias, geometry = prepare_conv(x, weight, bias, stride, padding, dilation, groups, spatial_dims)
    batch, c_out = x.shape[0], weight.shape[0]
    columns = im2col(pad(x, geometry), geometry, groups)  # (N, G, C_in/G * taps, P)
    grouped_weight = weight.reshape(groups, c_out // groups, -1)  # (G, C_out/G, C_in/G * taps)
    y = (grouped_weight @ columns).reshape(batch, c_out, *geometry.output_size)
    if bias is not None:
        y += bias.reshape(-1, *(1,) * spatial_dims)
    return y


# Channels per pixel from which one pixel's C values make a long enough inner loop for einsum
# (measured on MobileNet's layers: from 256 channels, summing pixel by pixel beat summing whole
# rows, whose repeated kernel is W_out times larger).
_LONG_INNER_LOOP = 256


def _sum_of_taps(x_padded: np.ndarray, kernel: np.ndarray, geometry: ConvGeometry) -> np.ndarray:
    """The depthwise sum, one einsum over a strided view of the padded input (no copy per tap).

    x_padded: (N, *padded, C), channels last; kernel: (*kernel_size, C) -> (N, *out, C), where
    out[n, o, c] = sum over taps t of kernel[t, c] * x_padded[n, o * stride + t * dilation, c].
    """
    batch, *_, channels = x_padded.shape
    ndim = len(geometry.kernel_size)
    positions, taps = "ABC"[:ndim], "PQR"[:ndim]  # einsum's letters for the output positions and the taps
    batch_step, *padded_steps, channel_step = x_padded.strides  # in bytes
    position_steps = [step * s for step, s in zip(padded_steps, geometry.stride)]
    tap_steps = [step * d for step, d in zip(padded_steps, geometry.dilation)]
    if geometry.stride[-1] > 1 or channels >= _LONG_INNER_LOOP:
        # windows[n, o, t, c] = x_padded[n, o * stride + t * dilation, c]: im2col as a view.
        # einsum's inner loop runs over the C channels of one output position.
        windows = as_strided(x_padded, (batch, *geometry.output_size, *geometry.kernel_size, channels),
                             (batch_step, *position_steps, *tap_steps, channel_step), writeable=False)
        return np.einsum(f"n{positions}{taps}c,{taps}c->n{positions}c", windows, kernel)
    # Few channels make a short inner loop. With stride 1 along the rows, though, the C values of
    # output column w + 1 follow those of column w in x_padded, so a whole output row, W_out * C
    # values, is one contiguous run for each tap. Summing whole rows (the kernel repeated along
    # the row) lets einsum sweep W_out * C values at a time.
    *leading, row_length = geometry.output_size
    rows = as_strided(x_padded, (batch, *leading, *geometry.kernel_size, row_length * channels),
                      (batch_step, *position_steps[:-1], *tap_steps, channel_step), writeable=False)
    row_kernel = np.broadcast_to(kernel[..., None, :], (*geometry.kernel_size, row_length, channels))
    row_kernel = row_kernel.reshape(*geometry.kernel_size, row_length * channels)
    out = np.einsum(f"n{positions[:-1]}{taps}e,{taps}e->n{positions[:-1]}e", rows, row_kernel)
    return out.reshape(batch, *geometry.output_size, channels)


def _depthwise_nd(x, weight, bias, stride, padding, dilation, spatial_dims) -> np.ndarray:
    """Depthwise convolution: every output value is a weighted sum of the k x k input values under
    the kernel in its own channel.

    x: (N, C, *spatial); weight: (C * m, 1, *kernel) -> (N, C * m, *out), whose memory is
    channels last (N, *out, C * m), like torch's channels_last format.
    """
    x, weight, multiplier = check_depthwise_weight(x, weight, spatial_dims)
    x, weight, bias, geometry = prepare_conv(x, weight, bias, stride, padding, dilation, x.shape[1], spatial_dims)
    # Output channel c * m + k filters input channel c: with m > 1, each input channel is repeated m times.
    repeated = np.repeat(x, multiplier, axis=1) if multiplier > 1 else x  # (N, C * m, *spatial)
    x_padded = pad(repeated, geometry, channels_last=True)  # (N, *padded, C * m)
    del repeated  # with m > 1, a copy no longer needed
    kernel = np.ascontiguousarray(np.moveaxis(weight[:, 0], 0, -1))  # (*kernel, C * m)
    out = _sum_of_taps(x_padded, kernel, geometry)  # (N, *out, C * m)
    if bias is not None:
        out += bias
    return np.moveaxis(out, -1, 1)


def _pointwise_nd(x, weight, bias, stride, spatial_dims) -> np.ndarray:
    """Pointwise convolution: one (C_out, C_in) matmul over all pixels at once.

    x: (N, C_in, *spatial); weight: (C_out, C_in, 1, ...) -> (N, C_out, *out), in x's memory
    layout: channels last (N, *out, C_out) when x is channels last, as the depthwise step leaves it.
    """
    x, weight = check_pointwise_weight(x, weight, spatial_dims)
    x, weight, bias, geometry = prepare_conv(x, weight, bias, stride, 0, 1, 1, spatial_dims)
    sampled = x[(slice(None), slice(None), *(slice(None, None, s) for s in geometry.stride))]
    batch, c_in = sampled.shape[:2]
    pixels = math.prod(geometry.output_size)
    matrix = weight.reshape(weight.shape[0], c_in)  # (C_out, C_in)
    channels_last = np.moveaxis(sampled, 1, -1)  # (N, *out, C_in), a view
    if channels_last.flags.c_contiguous:
        # (N, P, C_in) @ (C_in, C_out): each pixel's channels are contiguous, and so are the output's.
        y = channels_last.reshape(batch, pixels, c_in) @ matrix.T
        y = np.moveaxis(y.reshape(batch, *geometry.output_size, len(matrix)), -1, 1)
    else:
        y = matrix @ sampled.reshape(batch, c_in, pixels)  # (N, C_out, P)
        y = y.reshape(batch, len(matrix), *geometry.output_size)
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
    return conv_nd(x, weight, bias, stride, padding, dilation, groups, spatial_dims=2)


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
    by weight[c * m + k, 0]. Its memory is channels last, (N, H_out, W_out, C * m), as
    the computation leaves it; np.ascontiguousarray gives the NCHW memory order.
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
    Returns (N, C_out, H_out, W_out), in x's memory layout: channels last when x is
    (as depthwise_conv2d leaves it), NCHW otherwise.
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
    pointwise_weight: (C_out, C_in * m, 1, 1). Returns (N, C_out, H_out, W_out), whose
    memory is channels last, as the two steps leave it; np.ascontiguousarray gives NCHW.
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
    return conv_nd(x, weight, bias, stride, padding, dilation, groups, spatial_dims=1)


def separable_conv1d(
    x, depthwise_weight, pointwise_weight, depthwise_bias=None, pointwise_bias=None,
    stride: IntOrTuple = 1, padding: Padding = 0, dilation: IntOrTuple = 1,
):
    """Depthwise separable 1D convolution, e.g. for time series.

    x: (N, C_in, L); depthwise_weight: (C_in * m, 1, k); pointwise_weight: (C_out, C_in * m, 1).
    Returns (N, C_out, L_out), channels last in memory (see separable_conv2d).
    """
    return _separable_nd(
        x, depthwise_weight, pointwise_weight, depthwise_bias, pointwise_bias, stride, padding, dilation, spatial_dims=1
    )


def conv3d(x, weight, bias=None, stride: IntOrTuple = 1, padding: Padding = 0, dilation: IntOrTuple = 1, groups: int = 1):
    """Standard 3D convolution. x: (N, C_in, D, H, W); weight: (C_out, C_in / groups, kD, kH, kW)."""
    return conv_nd(x, weight, bias, stride, padding, dilation, groups, spatial_dims=3)


def separable_conv3d(
    x, depthwise_weight, pointwise_weight, depthwise_bias=None, pointwise_bias=None,
    stride: IntOrTuple = 1, padding: Padding = 0, dilation: IntOrTuple = 1,
):
    """Depthwise separable 3D convolution, e.g. for video (time x H x W) or volumes (MRI).

    x: (N, C_in, D, H, W); depthwise_weight: (C_in * m, 1, kD, kH, kW);
    pointwise_weight: (C_out, C_in * m, 1, 1, 1). Returns (N, C_out, D_out, H_out, W_out),
    channels last in memory (see separable_conv2d).
    """
    return _separable_nd(
        x, depthwise_weight, pointwise_weight, depthwise_bias, pointwise_bias, stride, padding, dilation, spatial_dims=3
    )
