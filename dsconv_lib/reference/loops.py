"""Convolutions as plain loops, written to be read.

Each function computes one output value at a time, exactly what its vectorised
twin in `fast.py` computes (and what `torch.nn.functional.conv2d` computes). They
are slow: use them on small inputs, to see what a convolution does.

Torch's convention throughout: a "convolution" is a cross-correlation (the
kernel is not flipped), tensors are NCHW, weights are (C_out, C_in / groups, kH, kW).
"""

from __future__ import annotations

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


def receptive_field(i: int, j: int, geometry: ConvGeometry) -> tuple[slice, slice]:
    """Rows and columns of the padded input that output pixel (i, j) sees.

    geometry: from shapes.conv_geometry (kernel size, stride, dilation). The kernel's
    taps start at (i * stride_h, j * stride_w) and sit `dilation` apart, so
    x_padded[..., rows, cols] is the (kH, kW) window that meets the kernel:

    >>> from dsconv_lib.shapes import conv_geometry
    >>> receptive_field(1, 2, conv_geometry((9, 9), 3, stride=2, dilation=2))
    (slice(2, 7, 2), slice(4, 9, 2))
    """
    (sh, sw), (dh, dw) = geometry.stride, geometry.dilation
    (kh, kw) = geometry.kernel_size
    rows = slice(i * sh, i * sh + dh * (kh - 1) + 1, dh)
    cols = slice(j * sw, j * sw + dw * (kw - 1) + 1, dw)
    return rows, cols


def conv2d_loops(
    x: np.ndarray,
    weight: np.ndarray,
    bias: Optional[np.ndarray] = None,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
    groups: int = 1,
) -> np.ndarray:
    """Standard (optionally grouped) 2D convolution, one output value at a time.

    x: (N, C_in, H, W); weight: (C_out, C_in / groups, kH, kW); bias: (C_out,) or None.
    Returns y: (N, C_out, H_out, W_out) with
        y[n, o, i, j] = bias[o] + sum over (c, p, q) of
                        weight[o, c, p, q] * x_padded[n, g*C_in/groups + c, i*sh + p*dh, j*sw + q*dw]
    where g = o // (C_out / groups) is the group that output channel o belongs to.
    """
    x, weight, bias, geometry = prepare_conv(x, weight, bias, stride, padding, dilation, groups, spatial_dims=2)
    x_padded = pad(x, geometry)
    batch = x.shape[0]
    c_out, c_in_per_group = weight.shape[:2]
    c_out_per_group = c_out // groups
    h_out, w_out = geometry.output_size

    y = np.zeros((batch, c_out, h_out, w_out), dtype=x.dtype)
    for n in range(batch):
        for o in range(c_out):
            group = o // c_out_per_group
            seen_channels = slice(group * c_in_per_group, (group + 1) * c_in_per_group)
            for i in range(h_out):
                for j in range(w_out):
                    rows, cols = receptive_field(i, j, geometry)
                    window = x_padded[n, seen_channels, rows, cols]  # (C_in / groups, kH, kW)
                    y[n, o, i, j] = np.sum(window * weight[o])
    if bias is not None:
        y += bias[None, :, None, None]
    return y


def depthwise_conv2d_loops(
    x: np.ndarray,
    weight: np.ndarray,
    bias: Optional[np.ndarray] = None,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
) -> np.ndarray:
    """Depthwise 2D convolution: every input channel is filtered on its own.

    x: (N, C, H, W); weight: (C * m, 1, kH, kW), where m is the depth multiplier
    (filters per input channel); bias: (C * m,) or None.
    Returns y: (N, C * m, H_out, W_out); output channel c * m + k is input channel c
    filtered by weight[c * m + k, 0]. This is conv2d with groups = C.
    """
    x, weight, multiplier = check_depthwise_weight(x, weight, spatial_dims=2)
    channels = x.shape[1]
    x, weight, bias, geometry = prepare_conv(x, weight, bias, stride, padding, dilation, channels, spatial_dims=2)
    x_padded = pad(x, geometry)
    h_out, w_out = geometry.output_size

    y = np.zeros((x.shape[0], channels * multiplier, h_out, w_out), dtype=x.dtype)
    for n in range(x.shape[0]):
        for c in range(channels):
            for k in range(multiplier):
                kernel = weight[c * multiplier + k, 0]  # (kH, kW): one 2D filter
                for i in range(h_out):
                    for j in range(w_out):
                        rows, cols = receptive_field(i, j, geometry)
                        y[n, c * multiplier + k, i, j] = np.sum(x_padded[n, c, rows, cols] * kernel)
    if bias is not None:
        y += bias[None, :, None, None]
    return y


def pointwise_conv2d_loops(
    x: np.ndarray,
    weight: np.ndarray,
    bias: Optional[np.ndarray] = None,
    stride: IntOrTuple = 1,
) -> np.ndarray:
    """Pointwise (1x1) convolution: at every pixel, a matrix times the channel vector.

    x: (N, C_in, H, W); weight: (C_out, C_in, 1, 1); bias: (C_out,) or None.
    Returns y: (N, C_out, H_out, W_out) with y[n, :, i, j] = W @ x[n, :, i*sh, j*sw] + bias,
    where W = weight[:, :, 0, 0] is a (C_out, C_in) matrix.
    """
    x, weight = check_pointwise_weight(x, weight, spatial_dims=2)
    x, weight, bias, geometry = prepare_conv(x, weight, bias, stride, 0, 1, 1, spatial_dims=2)
    matrix = weight[:, :, 0, 0]  # (C_out, C_in)
    (sh, sw), (h_out, w_out) = geometry.stride, geometry.output_size

    y = np.zeros((x.shape[0], matrix.shape[0], h_out, w_out), dtype=x.dtype)
    for n in range(x.shape[0]):
        for i in range(h_out):
            for j in range(w_out):
                pixel = x[n, :, i * sh, j * sw]  # (C_in,): every channel at one location
                y[n, :, i, j] = matrix @ pixel
    if bias is not None:
        y += bias[None, :, None, None]
    return y


def separable_conv2d_loops(
    x: np.ndarray,
    depthwise_weight: np.ndarray,
    pointwise_weight: np.ndarray,
    depthwise_bias: Optional[np.ndarray] = None,
    pointwise_bias: Optional[np.ndarray] = None,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
) -> np.ndarray:
    """Depthwise separable convolution: a depthwise step, then a pointwise step.

    x: (N, C_in, H, W); depthwise_weight: (C_in * m, 1, kH, kW);
    pointwise_weight: (C_out, C_in * m, 1, 1). Stride, padding and dilation belong
    to the depthwise step. Returns y: (N, C_out, H_out, W_out).
    """
    check_separable_arguments(x, depthwise_weight, pointwise_weight, depthwise_bias, pointwise_bias, 2)
    filtered = depthwise_conv2d_loops(x, depthwise_weight, depthwise_bias, stride, padding, dilation)
    return pointwise_conv2d_loops(filtered, pointwise_weight, pointwise_bias)


def spatially_separable_conv2d_loops(
    x: np.ndarray,
    column_weight: np.ndarray,
    row_weight: np.ndarray,
    bias: Optional[np.ndarray] = None,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
) -> np.ndarray:
    """Spatially separable convolution, channel by channel: a column filter, then a row filter.

    x: (N, C, H, W); column_weight: (C, 1, kH, 1); row_weight: (C, 1, 1, kW); bias: (C,).
    Equal to a depthwise convolution whose (kH, kW) kernel for channel c is the
    outer product column_weight[c] x row_weight[c]: kH + kW multiplies per output
    instead of kH * kW.
    """
    check_spatially_separable_weights(x, column_weight, row_weight, stride, padding, dilation)
    column_pass, row_pass = axis_pass_arguments(stride, padding, dilation)
    columns_filtered = depthwise_conv2d_loops(x, column_weight, None, **column_pass)
    return depthwise_conv2d_loops(columns_filtered, row_weight, bias, **row_pass)
