"""Wrong convolutions that several exercises' mistakes share: padded on one side, flipped, stride ignored, ...

All take and return NCHW arrays as `dsconv_lib.reference` does: x (N, C, H, W), weight (C_out, C_in / groups,
kH, kW) -> (N, C_out, H_out, W_out). They compute in float64.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from .. import reference


def conv2d_one_side(x: np.ndarray, weight: np.ndarray, bias: Optional[np.ndarray] = None, stride: int = 1,
                    padding: int = 0, groups: int = 1, before: bool = True) -> np.ndarray:
    """The convolution with `padding` zeros on one side only of each spatial axis (`before`: top and left)."""
    side = (padding, 0) if before else (0, padding)
    padded = np.pad(np.asarray(x, dtype=np.float64), ((0, 0), (0, 0), side, side))
    return reference.conv2d(padded, np.asarray(weight, dtype=np.float64), bias, stride=stride, groups=groups)


def conv2d_flipped(x: np.ndarray, weight: np.ndarray, bias: Optional[np.ndarray] = None, stride: int = 1,
                   padding: int = 0, groups: int = 1) -> np.ndarray:
    """A true convolution: the kernel turned by 180 degrees before the cross-correlation."""
    flipped = np.asarray(weight, dtype=np.float64)[..., ::-1, ::-1]
    return reference.conv2d(np.asarray(x, dtype=np.float64), flipped, bias, stride=stride, padding=padding,
                            groups=groups)


def conv2d_stride_ignored(x: np.ndarray, weight: np.ndarray, bias: Optional[np.ndarray] = None, stride: int = 1,
                          padding: int = 0, groups: int = 1, cropped: bool = False) -> np.ndarray:
    """The convolution computed with stride 1 (`cropped`: then cut to the strided output's size, as when
    the output size uses the stride but the windows do not move by it)."""
    x, weight = np.asarray(x, dtype=np.float64), np.asarray(weight, dtype=np.float64)
    full = reference.conv2d(x, weight, bias, padding=padding, groups=groups)
    if not cropped:
        return full
    strided = reference.conv2d(x, weight, bias, stride=stride, padding=padding, groups=groups)
    return full[..., :strided.shape[-2], :strided.shape[-1]]


def depthwise(conv):
    """The wrong depthwise convolution (x, weight (C m, 1, kH, kW), stride, padding) made of a wrong grouped one."""
    def wrong(x, weight, stride=1, padding=0):
        return conv(x, weight, None, stride, padding, groups=np.shape(x)[1])
    return wrong


def channels_summed(x: np.ndarray, weight: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    """A "depthwise" step that mixes channels: every output channel filters the sum of all input channels."""
    summed = np.asarray(x, dtype=np.float64).sum(axis=1, keepdims=True)
    return reference.conv2d(summed, weight, stride=stride, padding=padding)


def pointwise_reshaped(x: np.ndarray, weight: np.ndarray, bias: Optional[np.ndarray] = None) -> np.ndarray:
    """A pointwise step with the pixels taken as rows by x.reshape(N, H W, C_in): a reordering, not a transpose."""
    n, c_in, h, w = x.shape
    matrix = np.asarray(weight, dtype=np.float64)[:, :, 0, 0]
    y = (np.asarray(x, dtype=np.float64).reshape(n, h * w, c_in) @ matrix.T).reshape(n, -1, h, w)
    return y if bias is None else y + np.asarray(bias)[None, :, None, None]
