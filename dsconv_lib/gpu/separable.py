"""separable_conv2d: one entry point for a depthwise separable convolution on any device.

    y = pointwise(depthwise(x)) = F.conv2d(F.conv2d(x, w_dw, b_dw, stride, padding, dilation,
                                                   groups=C_in), w_pw, b_pw)

Backends:

- "torch":  the two F.conv2d calls above (cuDNN on a GPU). Runs anywhere.
- "triton": the fused Triton kernel (`_triton_kernel.py`): the intermediate tensor
            never goes to memory. Needs Triton and a CUDA tensor, or a CPU tensor
            under Triton's interpreter (TRITON_INTERPRET=1, for testing).
- "auto":   "triton" where it was measured to be faster, "torch" everywhere else,
            by the rule in `dispatch.py`; on the CPU always "torch".

Autograd works with every backend. With "triton", a torch.autograd.Function runs
the fused kernel forward and, backward, recomputes the block with the torch ops
and differentiates them (no intermediate is saved either way).

Precision of the "triton" backend against a float64 reference, measured as
max |y - y_ref| / max |y_ref| (see `TOLERANCE`): float32 1e-5 with allow_tf32=False,
5e-3 with TF32 (the default on a GPU, like cuDNN's convolutions), float16 1e-2,
bfloat16 3e-2.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from dataclasses import dataclass
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F

from ..shapes import conv_geometry, to_tuple
from . import dispatch
from .dispatch import LayerKey, TileConfig

BACKENDS = ("auto", "torch", "triton")
FUSED_DTYPES = (torch.float32, torch.float16, torch.bfloat16)

# Stated tolerances of the fused kernel: max |error| / max |reference| against a float64
# reference, per dtype (float32: without / with TF32). The tests hold the kernel to them.
TOLERANCE = {
    "float32": 1e-5,
    "float32_tf32": 5e-3,
    "float16": 1e-2,
    "bfloat16": 3e-2,
}

IntPair = Union[int, Sequence[int]]
PaddingArg = Union[None, int, Sequence[int], str]


def triton_available() -> bool:
    """True when the `triton` package can be imported (it is not a dependency of dsconv_lib)."""
    return importlib.util.find_spec("triton") is not None


def interpreter_enabled() -> bool:
    """True when TRITON_INTERPRET asks Triton to run kernels in its interpreter (on the CPU)."""
    return os.environ.get("TRITON_INTERPRET", "0").strip().lower() in ("1", "true", "yes", "on")


@functools.lru_cache(maxsize=None)
def _device_name(index: int) -> str:
    return torch.cuda.get_device_name(index)


@dataclass(frozen=True)
class _Layer:
    """A checked call: the geometry both backends need."""

    c_in: int
    c_mid: int
    c_out: int
    multiplier: int
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pad_before: tuple[int, int]
    torch_padding: Union[tuple[int, int], str]
    output_size: tuple[int, int]


def _check(
    x: torch.Tensor, w_dw: torch.Tensor, w_pw: torch.Tensor,
    b_dw: Optional[torch.Tensor], b_pw: Optional[torch.Tensor],
    stride: IntPair, padding: PaddingArg, dilation: IntPair, backend: str,
) -> _Layer:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    named = {"x": x, "w_dw": w_dw, "w_pw": w_pw, "b_dw": b_dw, "b_pw": b_pw}
    for name, tensor in named.items():
        if tensor is not None and not isinstance(tensor, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
    if x.dim() != 4:
        raise ValueError(f"x must be 4-D (N, C_in, H, W), got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got dtype {x.dtype}")
    c_in = x.shape[1]
    if w_dw.dim() != 4 or w_dw.shape[1] != 1 or w_dw.shape[0] % c_in:
        raise ValueError(
            f"w_dw must be (C_in * m, 1, kH, kW) with C_in = {c_in} (x.shape[1]) and m >= 1, "
            f"got shape {tuple(w_dw.shape)}"
        )
    c_mid = w_dw.shape[0]
    if w_pw.dim() != 4 or w_pw.shape[1] != c_mid or w_pw.shape[2:] != (1, 1):
        raise ValueError(
            f"w_pw must be (C_out, C_mid, 1, 1) with C_mid = {c_mid} (w_dw.shape[0]), got shape {tuple(w_pw.shape)}"
        )
    c_out = w_pw.shape[0]
    for name, bias, size in (("b_dw", b_dw, c_mid), ("b_pw", b_pw, c_out)):
        if bias is not None and tuple(bias.shape) != (size,):
            raise ValueError(f"{name} must have shape ({size},), got {tuple(bias.shape)}")
    for name, tensor in named.items():
        if tensor is None:
            continue
        if tensor.device != x.device:
            raise ValueError(f"{name} is on {tensor.device} but x is on {x.device}: put them on one device")
        if tensor.dtype != x.dtype:
            raise TypeError(f"{name} has dtype {tensor.dtype} but x has {x.dtype}: use one dtype")

    def hashable(value: object) -> object:
        return tuple(value) if isinstance(value, (list, tuple)) else value

    return _geometry(c_in, c_mid, c_out, tuple(x.shape[2:]), (w_dw.shape[2], w_dw.shape[3]),
                     hashable(stride), hashable(padding), hashable(dilation))


@functools.lru_cache(maxsize=1024)
def _geometry(c_in: int, c_mid: int, c_out: int, size: tuple[int, int], kernel: tuple[int, int],
              stride: IntPair, padding: PaddingArg, dilation: IntPair) -> _Layer:
    """The checked geometry of a call, cached: a network calls the same layers again and again."""
    dilations = to_tuple(dilation, 2, "dilation")
    if padding is None:
        padding = tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilations))
    geometry = conv_geometry(size, kernel, stride, padding, dilations)
    torch_padding = padding if isinstance(padding, str) else geometry.pad_before
    return _Layer(
        c_in, c_mid, c_out, c_mid // c_in, kernel, geometry.stride, dilations,  # type: ignore[arg-type]
        geometry.pad_before, torch_padding, geometry.output_size,  # type: ignore[arg-type]
    )


def _torch_forward(x, w_dw, w_pw, b_dw, b_pw, layer: _Layer) -> torch.Tensor:
    """The reference composition: depthwise F.conv2d, then pointwise F.conv2d."""
    mid = F.conv2d(x, w_dw, b_dw, layer.stride, layer.torch_padding, layer.dilation, groups=layer.c_in)
    return F.conv2d(mid, w_pw, b_pw)


def _is_channels_last(x: torch.Tensor) -> bool:
    return x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()


def _layer_key(x: torch.Tensor, layer: _Layer) -> LayerKey:
    return LayerKey(
        _device_name(x.device.index if x.device.index is not None else torch.cuda.current_device()),
        str(x.dtype).removeprefix("torch."), "channels_last" if _is_channels_last(x) else "nchw",
        x.shape[0], layer.c_in, layer.c_mid, layer.c_out, x.shape[2], x.shape[3], layer.kernel_size, layer.stride,
    )


def _why_not_triton(x: torch.Tensor) -> Optional[str]:
    """None if the fused kernel can run on x; otherwise the reason, for an error message."""
    if not triton_available():
        return "Triton is not installed (pip install triton; it is not a dependency of dsconv_lib)"
    if x.device.type == "cpu" and not interpreter_enabled():
        return (
            "x is on the CPU and the fused kernel needs a CUDA tensor "
            "(or TRITON_INTERPRET=1, which runs it in Triton's interpreter, slowly, for testing)"
        )
    if x.device.type not in ("cuda", "cpu"):
        return f"x is on {x.device} and the fused kernel needs a CUDA tensor"
    if x.dtype not in FUSED_DTYPES:
        return f"the fused kernel supports float32, float16 and bfloat16, not {x.dtype}"
    return None


def choose_backend(x: torch.Tensor, layer: _Layer) -> tuple[str, Optional[TileConfig]]:
    """The rule of `dispatch.py`: ("triton", config) for a measured-faster layer, else ("torch", None)."""
    if x.device.type != "cuda" or x.dtype not in FUSED_DTYPES or not triton_available():
        return "torch", None
    config = dispatch.FUSED_FASTER.get(_layer_key(x, layer))
    return ("triton", config) if config is not None else ("torch", None)


def _fused_forward(x, w_dw, w_pw, b_dw, b_pw, layer: _Layer, config: Optional[TileConfig], allow_tf32: bool) -> torch.Tensor:
    """One launch of the fused kernel; y has x's memory layout (NCHW or channels_last)."""
    from . import _triton_kernel  # imports triton; only here

    n_images = x.shape[0]
    h_out, w_out = layer.output_size
    half = x.dtype in (torch.float16, torch.bfloat16)
    if config is None:
        config = dispatch.default_config(n_images, layer.c_mid, layer.c_out, h_out * w_out, half)
    memory_format = torch.channels_last if _is_channels_last(x) else torch.contiguous_format
    y = torch.empty((n_images, layer.c_out, h_out, w_out), dtype=x.dtype, device=x.device, memory_format=memory_format)
    if y.numel() == 0:
        return y
    _triton_kernel.launch(
        x, w_dw.reshape(layer.c_mid, -1), b_dw, w_pw[:, :, 0, 0], b_pw, y,
        kernel_size=layer.kernel_size, stride=layer.stride, padding=layer.pad_before,
        dilation=layer.dilation, multiplier=layer.multiplier,
        input_precision="tf32" if allow_tf32 else "ieee",
        dot_fp32=x.dtype == torch.bfloat16 and x.device.type == "cpu",  # interpreter workaround
        block_p=config.block_p, block_ci=config.block_ci, block_co=config.block_co,
        num_warps=config.num_warps, num_stages=config.num_stages,
    )
    return y


class _FusedSeparableConv2d(torch.autograd.Function):
    """Forward: the fused kernel. Backward: recompute with torch ops and differentiate those."""

    @staticmethod
    def forward(ctx, x, w_dw, w_pw, b_dw, b_pw, layer, config, allow_tf32):  # type: ignore[override]
        ctx.layer = layer
        ctx.save_for_backward(x, w_dw, w_pw, b_dw, b_pw)
        return _fused_forward(x, w_dw, w_pw, b_dw, b_pw, layer, config, allow_tf32)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_y):  # type: ignore[override]
        saved = ctx.saved_tensors
        needs = ctx.needs_input_grad[:5]
        inputs = [t.detach().requires_grad_(need) if t is not None else None for t, need in zip(saved, needs)]
        with torch.enable_grad():
            y = _torch_forward(*inputs, ctx.layer)
        wanted = [t for t, need in zip(inputs, needs) if need and t is not None]
        grads = iter(torch.autograd.grad(y, wanted, grad_y) if wanted else ())
        return (*(next(grads) if need and t is not None else None for t, need in zip(inputs, needs)), None, None, None)


def separable_conv2d(
    x: torch.Tensor,
    w_dw: torch.Tensor,
    w_pw: torch.Tensor,
    b_dw: Optional[torch.Tensor] = None,
    b_pw: Optional[torch.Tensor] = None,
    stride: IntPair = 1,
    padding: PaddingArg = None,
    dilation: IntPair = 1,
    backend: str = "auto",
    allow_tf32: Optional[bool] = None,
) -> torch.Tensor:
    """Depthwise separable convolution: depthwise k x k (stride, padding, dilation), then pointwise 1x1.

    x: (N, C_in, H, W), NCHW or channels_last; w_dw: (C_in * m, 1, kH, kW); w_pw: (C_out, C_in * m, 1, 1);
    b_dw: (C_in * m,) or None; b_pw: (C_out,) or None. Returns (N, C_out, H_out, W_out), in x's layout
    with "triton" (with "torch", whatever cuDNN returns).

    padding: None pads dilation * (k - 1) // 2 (size kept at stride 1 for odd k), or an int, a pair,
    'same' or 'valid', as in F.conv2d. backend: "auto", "torch" or "triton" (module docstring).
    allow_tf32: for float32 with "triton", whether tl.dot may use TF32 tensor cores; None follows
    torch.backends.cudnn.allow_tf32, the switch that governs the torch backend's convolutions.
    """
    layer = _check(x, w_dw, w_pw, b_dw, b_pw, stride, padding, dilation, backend)
    config: Optional[TileConfig] = None
    if backend == "triton":
        reason = _why_not_triton(x)
        if reason is not None:
            raise RuntimeError(f"backend='triton' cannot run: {reason}; use backend='auto' or 'torch'")
        if x.device.type == "cuda":
            config = dispatch.FUSED_FASTER.get(_layer_key(x, layer))
    elif backend == "auto":
        backend, config = choose_backend(x, layer)
    if backend == "torch":
        return _torch_forward(x, w_dw, w_pw, b_dw, b_pw, layer)
    tf32 = torch.backends.cudnn.allow_tf32 if allow_tf32 is None else bool(allow_tf32)
    tensors = (x, w_dw, w_pw, b_dw, b_pw)
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors):
        return _FusedSeparableConv2d.apply(*tensors, layer, config, tf32)
    return _fused_forward(*tensors, layer, config, tf32)
