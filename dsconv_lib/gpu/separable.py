"""separable_conv2d: one entry point for a depthwise separable convolution on any device.

    y = pointwise(depthwise(x))
      = F.conv2d(F.conv2d(x, depthwise_weight, depthwise_bias, stride, padding, dilation, groups=C_in),
                 pointwise_weight, pointwise_bias)

The arguments are spelled as in `dsconv_lib.reference.separable_conv2d`, with F.conv2d's
default padding 0.

Backends:

- "torch":  the two F.conv2d calls above (cuDNN on a GPU). Runs anywhere.
- "triton": the fused Triton kernel (`_triton_kernel.py`): the intermediate tensor
            never goes to memory. Needs Triton and a CUDA GPU it compiles for, or a CPU
            tensor under Triton's interpreter (TRITON_INTERPRET=1, for testing).
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
import warnings
from dataclasses import dataclass
from typing import Callable, Optional, Union

import torch
import torch.nn.functional as F

from ..shapes import IntOrTuple, Padding, conv_geometry, to_tuple
from . import dispatch
from .dispatch import TileConfig

BACKENDS = ("auto", "torch", "triton")

# Stated tolerances of the fused kernel: max |error| / max |reference| against a float64
# reference, per dtype (float32: without / with TF32). The tests hold the kernel to them.
TOLERANCE = {
    "float32": 1e-5,
    "float32_tf32": 5e-3,
    "float16": 1e-2,
    "bfloat16": 3e-2,
}

# Names this module held in the previous release, now in dispatch.py (deprecated here; they go in the next release).
MOVED_TO_DISPATCH = ("FUSED_DTYPES", "choose_backend", "interpreter_enabled", "triton_available")

# Keywords of the previous release -> their names now (deprecated; they go in the next release).
RENAMED_KEYWORDS = {
    "w_dw": "depthwise_weight",
    "w_pw": "pointwise_weight",
    "b_dw": "depthwise_bias",
    "b_pw": "pointwise_bias",
}


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
    x: torch.Tensor, depthwise_weight: torch.Tensor, pointwise_weight: torch.Tensor,
    depthwise_bias: Optional[torch.Tensor], pointwise_bias: Optional[torch.Tensor],
    stride: IntOrTuple, padding: Padding, dilation: IntOrTuple, backend: str,
) -> _Layer:
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    named = {"x": x, "depthwise_weight": depthwise_weight, "pointwise_weight": pointwise_weight,
             "depthwise_bias": depthwise_bias, "pointwise_bias": pointwise_bias}
    for name, tensor in named.items():
        if tensor is not None and not isinstance(tensor, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
    if x.dim() != 4:
        raise ValueError(f"x must be 4-D (N, C_in, H, W), got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got dtype {x.dtype}")
    c_in = x.shape[1]
    if depthwise_weight.dim() != 4 or depthwise_weight.shape[1] != 1 or depthwise_weight.shape[0] % c_in:
        raise ValueError(
            f"depthwise_weight must be (C_in * m, 1, kH, kW) with C_in = {c_in} (x.shape[1]) and m >= 1, "
            f"got shape {tuple(depthwise_weight.shape)}"
        )
    c_mid = depthwise_weight.shape[0]
    if pointwise_weight.dim() != 4 or pointwise_weight.shape[1] != c_mid or pointwise_weight.shape[2:] != (1, 1):
        raise ValueError(
            f"pointwise_weight must be (C_out, C_mid, 1, 1) with C_mid = {c_mid} (depthwise_weight.shape[0]), "
            f"got shape {tuple(pointwise_weight.shape)}"
        )
    c_out = pointwise_weight.shape[0]
    for name, bias, size in (("depthwise_bias", depthwise_bias, c_mid), ("pointwise_bias", pointwise_bias, c_out)):
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

    return _geometry(c_in, c_mid, c_out, tuple(x.shape[2:]), (depthwise_weight.shape[2], depthwise_weight.shape[3]),
                     hashable(stride), hashable(padding), hashable(dilation))


@functools.lru_cache(maxsize=1024)
def _geometry(c_in: int, c_mid: int, c_out: int, size: tuple[int, int], kernel: tuple[int, int],
              stride: IntOrTuple, padding: Padding, dilation: IntOrTuple) -> _Layer:
    """The checked geometry of a call, cached: a network calls the same layers again and again."""
    dilations = to_tuple(dilation, 2, "dilation")
    geometry = conv_geometry(size, kernel, stride, padding, dilations)
    torch_padding = padding if isinstance(padding, str) else geometry.pad_before
    return _Layer(
        c_in, c_mid, c_out, c_mid // c_in, kernel, geometry.stride, dilations,  # type: ignore[arg-type]
        geometry.pad_before, torch_padding, geometry.output_size,  # type: ignore[arg-type]
    )


def _torch_forward(x, depthwise_weight, pointwise_weight, depthwise_bias, pointwise_bias, layer: _Layer) -> torch.Tensor:
    """The reference composition: depthwise F.conv2d, then pointwise F.conv2d."""
    mid = F.conv2d(x, depthwise_weight, depthwise_bias, layer.stride, layer.torch_padding, layer.dilation,
                   groups=layer.c_in)
    return F.conv2d(mid, pointwise_weight, pointwise_bias)


def _fused_forward(x, depthwise_weight, pointwise_weight, depthwise_bias, pointwise_bias, layer: _Layer,
                   config: Optional[TileConfig], allow_tf32: bool) -> torch.Tensor:
    """One launch of the fused kernel; y has x's memory layout (NCHW or channels_last)."""
    from . import _triton_kernel  # imports triton; only here

    n_images = x.shape[0]
    h_out, w_out = layer.output_size
    half = x.dtype in (torch.float16, torch.bfloat16)
    if config is None:
        config = dispatch.default_config(n_images, layer.c_mid, layer.c_out, h_out * w_out, half)
    memory_format = torch.channels_last if dispatch.is_channels_last(x) else torch.contiguous_format
    y = torch.empty((n_images, layer.c_out, h_out, w_out), dtype=x.dtype, device=x.device, memory_format=memory_format)
    if y.numel() == 0:
        return y
    _triton_kernel.launch(
        x, depthwise_weight.reshape(layer.c_mid, -1), depthwise_bias, pointwise_weight[:, :, 0, 0], pointwise_bias, y,
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
    def forward(ctx, x, depthwise_weight, pointwise_weight, depthwise_bias, pointwise_bias,  # type: ignore[override]
                layer, config, allow_tf32):
        ctx.layer = layer
        ctx.save_for_backward(x, depthwise_weight, pointwise_weight, depthwise_bias, pointwise_bias)
        return _fused_forward(x, depthwise_weight, pointwise_weight, depthwise_bias, pointwise_bias,
                              layer, config, allow_tf32)

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


def _accepts_renamed_keywords(function: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    """Let `function` take the keywords of RENAMED_KEYWORDS under their old names, with a DeprecationWarning."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        for old, new in RENAMED_KEYWORDS.items():
            if old not in kwargs:
                continue
            if new in kwargs:
                raise TypeError(f"separable_conv2d got both {old}= and {new}=; pass only {new}=")
            warnings.warn(f"separable_conv2d's keyword {old}= is deprecated: use {new}= (as in "
                          "dsconv_lib.reference.separable_conv2d); the old name goes in the next release",
                          DeprecationWarning, stacklevel=2)
            kwargs[new] = kwargs.pop(old)
        return function(*args, **kwargs)

    return wrapper


@_accepts_renamed_keywords
def separable_conv2d(
    x: torch.Tensor,
    depthwise_weight: torch.Tensor,
    pointwise_weight: torch.Tensor,
    depthwise_bias: Optional[torch.Tensor] = None,
    pointwise_bias: Optional[torch.Tensor] = None,
    stride: IntOrTuple = 1,
    padding: Optional[Padding] = 0,
    dilation: IntOrTuple = 1,
    backend: str = "auto",
    allow_tf32: Optional[bool] = None,
) -> torch.Tensor:
    """Depthwise separable convolution: depthwise k x k (stride, padding, dilation), then pointwise 1x1.

    x: (N, C_in, H, W), NCHW or channels_last; depthwise_weight: (C_in * m, 1, kH, kW);
    pointwise_weight: (C_out, C_in * m, 1, 1); depthwise_bias: (C_in * m,) or None;
    pointwise_bias: (C_out,) or None. Returns (N, C_out, H_out, W_out), in x's layout with
    "triton" (with "torch", whatever cuDNN returns).

    padding: of the depthwise step, as in F.conv2d: an int, a pair, 'same' or 'valid'; the
    default 0 pads nothing (pass k // 2, or 'same', to keep the size at stride 1).
    backend: "auto", "torch" or "triton" (module docstring).
    allow_tf32: for float32 with "triton", whether tl.dot may use TF32 tensor cores; None follows
    torch.backends.cudnn.allow_tf32, the switch that governs the torch backend's convolutions.

    Deprecated, for one release: the keywords w_dw, w_pw, b_dw, b_pw (now depthwise_weight,
    pointwise_weight, depthwise_bias, pointwise_bias), and padding=None (which padded
    dilation * (k - 1) // 2).
    """
    if padding is None:
        kernel = tuple(depthwise_weight.shape[2:]) if isinstance(depthwise_weight, torch.Tensor) else ()
        padding = tuple(d * (k - 1) // 2 for k, d in zip(kernel, to_tuple(dilation, 2, "dilation")))
        warnings.warn(f"separable_conv2d(padding=None) is deprecated: the default is now 0, as in F.conv2d; "
                      f"pass padding={padding} (dilation * (k - 1) // 2) or padding='same' to keep the size",
                      DeprecationWarning, stacklevel=3)
    layer = _check(x, depthwise_weight, pointwise_weight, depthwise_bias, pointwise_bias,
                   stride, padding, dilation, backend)
    config: Optional[TileConfig] = None
    if backend == "triton":
        reason = dispatch.why_not_fused(x.device, x.dtype)
        if reason is not None:
            raise RuntimeError(f"backend='triton' cannot run: {reason}; use backend='auto' or 'torch'")
        if x.device.type == "cuda":
            config = dispatch.FUSED_FASTER.get(dispatch.layer_key(x, layer))
    elif backend == "auto":
        backend, config = dispatch.choose_backend(x, layer)
    tensors = (x, depthwise_weight, pointwise_weight, depthwise_bias, pointwise_bias)
    if backend == "torch":
        return _torch_forward(*tensors, layer)
    tf32 = torch.backends.cudnn.allow_tf32 if allow_tf32 is None else bool(allow_tf32)
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors):
        return _FusedSeparableConv2d.apply(*tensors, layer, config, tf32)
    return _fused_forward(*tensors, layer, config, tf32)


def __getattr__(name: str) -> object:
    """The names that moved to dispatch.py, with a DeprecationWarning naming their new home."""
    if name in MOVED_TO_DISPATCH:
        warnings.warn(f"dsconv_lib.gpu.separable.{name} moved: use dsconv_lib.gpu.dispatch.{name}",
                      DeprecationWarning, stacklevel=2)
        return getattr(dispatch, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
