"""The fused depthwise + pointwise forward kernel, in Triton.

Imported only by `dsconv_lib.gpu.separable` when Triton is installed; nothing
else in dsconv_lib imports Triton. Whether kernels run compiled on a GPU or in
Triton's interpreter (on the CPU, with numpy: TRITON_INTERPRET=1) is decided
by `triton.jit` when this module is imported, so set that variable first.

What one program computes
-------------------------
The block is y = pointwise(depthwise(x)):

    x    : (N, C_in, H, W)                    any strides (NCHW or channels_last)
    w_dw : (C_mid, KH * KW)                   C_mid = C_in * m (depth multiplier m)
    w_pw : (C_out, C_mid), strides given      the 1x1 weights as a matrix
    b_dw : (C_mid,), b_pw : (C_out,)          optional
    y    : (N, C_out, H_out, W_out)           any strides

The grid is (ceil(H_out * W_out / BLOCK_P), ceil(C_out / BLOCK_CO), N). Program
(p, o, n) owns the output tile y[n, o-block, p-block]: BLOCK_P output pixels of
image n (pixels numbered row-major, p = oh * W_out + ow) by BLOCK_CO output
channels. It walks over the C_mid intermediate channels BLOCK_CI at a time:

    for each chunk of BLOCK_CI intermediate channels:
        d   = depthwise tile, (BLOCK_P, BLOCK_CI), fp32 in registers:
              sum over the KH x KW taps of x[n, c // m, oh*s - pad + kh*dil, ...] * w_dw[c, tap]
              (masked loads read 0 outside the image: that is the zero padding)
        w   = w_pw tile transposed, (BLOCK_CI, BLOCK_CO)
        acc += tl.dot(d, w)                       acc: (BLOCK_P, BLOCK_CO), fp32
    y tile = acc + b_pw, cast to y's dtype, stored once.

The intermediate (N, C_mid, H_out, W_out) tensor never exists in GPU memory:
each depthwise tile lives in registers between the taps and the dot. The cost
is that programs with the same pixel tile but different output-channel tiles
recompute the same depthwise tiles (ceil(C_out / BLOCK_CO) times); their input
reads mostly hit the L2 cache.

Precision: the depthwise sums and the accumulator are fp32. For fp16/bf16
inputs the depthwise tile is rounded to the input dtype before tl.dot (tensor
cores, fp32 accumulation). For fp32 inputs tl.dot runs with INPUT_PRECISION,
"tf32" (tensor cores, 10-bit mantissa inputs, as cuDNN convolutions use by
default) or "ieee" (full fp32). DOT_FP32 forces the dot in fp32 whatever the
dtype: Triton 3.9's interpreter multiplies bf16 tiles as raw 16-bit integers,
so the launcher sets it for bf16 under the interpreter only.

Triton versions: the kernel uses only what Triton 3.0 has (tl.dot's `input_precision`, its
accumulator argument, tl.static_range, masked tl.load / tl.store), so the Triton 3.6 that torch
2.10 and 2.11's CUDA builds bring runs it as well as the 3.9 that `make test` installs; the
interpreter run passes with both (Triton 3.6's interpreter needs NumPy < 2.4: it converts
one-element arrays to int, which NumPy 2.4 refuses). `dispatch.MIN_TRITON` holds the minimum,
`dispatch.min_capability` the GPUs each version compiles for.
"""

from __future__ import annotations

import triton
import triton.language as tl


@triton.jit
def fused_separable_conv2d_kernel(
    x_ptr, w_dw_ptr, b_dw_ptr, w_pw_ptr, b_pw_ptr, y_ptr,
    C_mid, C_out, H, W, H_out, W_out,
    stride_xn, stride_xc, stride_xh, stride_xw,  # x's strides, in elements
    stride_yn, stride_yc, stride_yh, stride_yw,  # y's strides, in elements
    stride_pw_out, stride_pw_mid,  # w_pw's strides as a (C_out, C_mid) matrix
    conv_stride_h, conv_stride_w, pad_h, pad_w, dil_h, dil_w,
    KH: tl.constexpr, KW: tl.constexpr,
    MULTIPLIER: tl.constexpr,  # depth multiplier m: intermediate channel c reads input channel c // m
    HAS_B_DW: tl.constexpr, HAS_B_PW: tl.constexpr,
    INPUT_PRECISION: tl.constexpr,  # "tf32" or "ieee", used for fp32 inputs
    DOT_FP32: tl.constexpr,  # do the dot in fp32 (interpreter workaround for bf16)
    BLOCK_P: tl.constexpr, BLOCK_CI: tl.constexpr, BLOCK_CO: tl.constexpr,
):
    pid_p = tl.program_id(0)
    pid_co = tl.program_id(1)
    n = tl.program_id(2).to(tl.int64)  # int64: n * stride_xn can pass 2**31 at large batches

    # The output pixels and channels of this tile.
    pixels = pid_p * BLOCK_P + tl.arange(0, BLOCK_P)  # (BLOCK_P,)
    pixel_ok = pixels < H_out * W_out
    oh = pixels // W_out
    ow = pixels % W_out
    ih0 = oh * conv_stride_h - pad_h  # top-left input row/column of each pixel's window
    iw0 = ow * conv_stride_w - pad_w
    out_channels = pid_co * BLOCK_CO + tl.arange(0, BLOCK_CO)  # (BLOCK_CO,)
    out_ok = out_channels < C_out

    x_image = x_ptr + n * stride_xn
    acc = tl.zeros((BLOCK_P, BLOCK_CO), dtype=tl.float32)

    for c0 in range(0, C_mid, BLOCK_CI):
        mid = c0 + tl.arange(0, BLOCK_CI)  # (BLOCK_CI,) intermediate channels of this chunk
        mid_ok = mid < C_mid
        x_channel = (mid // MULTIPLIER) * stride_xc  # (BLOCK_CI,) offset of each one's input channel

        # Depthwise: (BLOCK_P, BLOCK_CI) in fp32, KH * KW masked loads of x.
        d = tl.zeros((BLOCK_P, BLOCK_CI), dtype=tl.float32)
        for kh in tl.static_range(KH):
            ih = ih0 + kh * dil_h
            row_ok = pixel_ok & (ih >= 0) & (ih < H)
            for kw in tl.static_range(KW):
                iw = iw0 + kw * dil_w
                ok = row_ok & (iw >= 0) & (iw < W)  # (BLOCK_P,): inside the image
                offsets = (ih * stride_xh + iw * stride_xw)[:, None] + x_channel[None, :]
                xv = tl.load(x_image + offsets, mask=ok[:, None] & mid_ok[None, :], other=0.0)
                wv = tl.load(w_dw_ptr + mid * (KH * KW) + (kh * KW + kw), mask=mid_ok, other=0.0)
                d += xv.to(tl.float32) * wv.to(tl.float32)[None, :]
        if HAS_B_DW:
            d += tl.load(b_dw_ptr + mid, mask=mid_ok, other=0.0).to(tl.float32)[None, :]

        # Pointwise: acc += d @ w_pw[out_channels, mid].T. Rows of d beyond C_mid are 0 (masked
        # weights), and so are the matching rows of w, so partial chunks add nothing.
        w = tl.load(
            w_pw_ptr + mid[:, None] * stride_pw_mid + out_channels[None, :] * stride_pw_out,
            mask=mid_ok[:, None] & out_ok[None, :], other=0.0,
        )  # (BLOCK_CI, BLOCK_CO)
        if DOT_FP32:
            acc = tl.dot(d, w.to(tl.float32), acc, input_precision="ieee")
        else:
            acc = tl.dot(d.to(w.dtype), w, acc, input_precision=INPUT_PRECISION)

    if HAS_B_PW:
        acc += tl.load(b_pw_ptr + out_channels, mask=out_ok, other=0.0).to(tl.float32)[None, :]

    y_offsets = (oh * stride_yh + ow * stride_yw)[:, None] + out_channels[None, :] * stride_yc
    y_ptrs = y_ptr + n * stride_yn + y_offsets
    tl.store(y_ptrs, acc.to(y_ptr.dtype.element_ty), mask=pixel_ok[:, None] & out_ok[None, :])


def launch(
    x, w_dw, b_dw, w_pw, b_pw, y, *,
    kernel_size: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int],
    dilation: tuple[int, int], multiplier: int, input_precision: str, dot_fp32: bool,
    block_p: int, block_ci: int, block_co: int, num_warps: int, num_stages: int,
) -> None:
    """One launch of the kernel; tensors are already checked and y allocated (see separable.py).

    x: (N, C_in, H, W); w_dw: (C_mid, KH * KW) contiguous; w_pw: (C_out, C_mid);
    b_dw: (C_mid,) or None; b_pw: (C_out,) or None; y: (N, C_out, H_out, W_out).
    """
    n_images, _, height, width = x.shape
    _, c_out, h_out, w_out = y.shape
    c_mid = w_dw.shape[0]
    grid = (triton.cdiv(h_out * w_out, block_p), triton.cdiv(c_out, block_co), n_images)
    fused_separable_conv2d_kernel[grid](
        x, w_dw, b_dw if b_dw is not None else w_dw, w_pw, b_pw if b_pw is not None else w_pw, y,
        c_mid, c_out, height, width, h_out, w_out,
        *x.stride(), *y.stride(), *w_pw.stride(),
        stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1],
        KH=kernel_size[0], KW=kernel_size[1], MULTIPLIER=multiplier,
        HAS_B_DW=b_dw is not None, HAS_B_PW=b_pw is not None,
        INPUT_PRECISION=input_precision, DOT_FP32=dot_fp32,
        BLOCK_P=block_p, BLOCK_CI=block_ci, BLOCK_CO=block_co,
        num_warps=num_warps, num_stages=num_stages,
    )
