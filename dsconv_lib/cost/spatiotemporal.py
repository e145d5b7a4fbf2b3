"""The (2+1)D factorisation of a 3D convolution (Tran et al., 2018), for video.

A full t x d x d convolution over (time, height, width) is replaced by a
1 x d x d spatial convolution from C_in to M channels, then a t x 1 x 1 temporal
convolution from M to C_out. Unlike a depthwise separable convolution, both
steps mix channels. Tran et al. (2018, Section 3.5) choose M so that the
parameters match the full convolution's:

    M = floor(t d^2 C_in C_out / (d^2 C_in + t C_out)),

since then M (d^2 C_in + t C_out) <= t d^2 C_in C_out.
"""

from __future__ import annotations

from typing import Optional

from ..shapes import IntOrTuple, Size, positive_int, spatial_size, to_tuple
from .formulas import Cost, _output_size, conv


def r2plus1d_mid_channels(c_in: int, c_out: int, kernel_size: IntOrTuple) -> int:
    """Tran et al.'s M: the width that gives (2+1)D the parameters of the full 3D kernel (t, kh, kw)."""
    t, kh, kw = to_tuple(kernel_size, 3, "kernel_size")
    c_in, c_out = positive_int(c_in, "c_in"), positive_int(c_out, "c_out")
    spatial = kh * kw
    return (t * spatial * c_in * c_out) // (spatial * c_in + t * c_out)


def r2plus1d_conv(
    c_in: int,
    c_out: int,
    kernel_size: IntOrTuple,
    input_size: Size,
    *,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    mid_channels: Optional[int] = None,
    bias: bool = False,
    batch: int = 1,
    bytes_per_element: int = 4,
) -> Cost:
    """A (2+1)D convolution on x: (N, C_in, T, H, W): (1, kh, kw) conv to M channels, then (t, 1, 1) to C_out.

    stride and padding are (time, height, width); the spatial step takes the
    height/width parts, the temporal step the time part. mid_channels defaults to
    `r2plus1d_mid_channels` (the parameter-matched M). Bytes include the
    intermediate (N, M, T, H', W') tensor, written and read once.
    """
    t, kh, kw = to_tuple(kernel_size, 3, "kernel_size")
    st, sh, sw = to_tuple(stride, 3, "stride")
    pt, ph, pw = to_tuple(padding, 3, "padding", minimum=0)
    size = spatial_size(input_size, 3)  # (T, H, W); an int is a cube
    mid = r2plus1d_mid_channels(c_in, c_out, (t, kh, kw)) if mid_channels is None else positive_int(mid_channels, "mid_channels")
    common = {"batch": batch, "bytes_per_element": bytes_per_element}
    spatial = conv(c_in, mid, (1, kh, kw), size, stride=(1, sh, sw), padding=(0, ph, pw), **common)
    middle = _output_size(size, (1, kh, kw), stride=(1, sh, sw), padding=(0, ph, pw))
    temporal = conv(mid, c_out, (t, 1, 1), middle, stride=(st, 1, 1), padding=(pt, 0, 0), bias=bias, **common)
    return spatial + temporal
