"""Tests for dsconv_lib.gpu: the fused depthwise separable kernel and the entry point around it.

What is established here:
  1. Everywhere (no GPU, no Triton needed): separable_conv2d with backend "auto" and "torch" on
     the CPU equals two F.conv2d calls exactly, and dsconv_lib.reference.separable_conv2d in
     float64 (rtol 1e-10), for 3x3 / 5x5, stride 1 / 2, depth multipliers, biases, every padding
     form, NCHW and channels_last; the default padding is 0, as in F.conv2d and the reference;
     the previous release's keywords (w_dw, w_pw, b_dw, b_pw), padding=None and the names that
     moved to dispatch.py work with a DeprecationWarning that names the new spelling;
     autograd through it matches F.conv2d's (and gradcheck);
     backend="triton" on the CPU raises a RuntimeError that says why (no CUDA tensor, or no
     Triton); invalid arguments raise errors naming the argument; "auto" on the CPU never picks
     the kernel; the dispatch table and default tile sizes are well formed; importing
     dsconv_lib.gpu does not import triton; DepthwiseSeparableConv2d(backend="auto") equals the
     default block, and backends that cannot fuse the block are refused.
  2. The kernel, when Triton is installed and there is a CUDA GPU, or on the CPU under Triton's
     interpreter (TRITON_INTERPRET=1): backend="triton" equals the float64 reference within
     dsconv_lib.gpu.TOLERANCE (max |error| / max |reference|) for float32 / float16 / bfloat16,
     NCHW / channels_last, 3x3 / 5x5, stride 1 / 2, with small tiles that leave partial tiles in
     every dimension and several reduction steps; with and without biases and padding, depth multiplier 2,
     dilation 2, 'same' padding of an even kernel, a non-contiguous input; the output keeps the
     input's layout; gradients through it equal torch's; the block with backend="triton" equals
     the default block. On CUDA only: TF32 within its tolerance, one kernel launch per call, and
     "auto" running the kernel for a layer in the table.

Interpreter shapes are tiny (it runs the kernel in numpy); torch uses one thread here.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dsconv_lib import reference as ref
from fresh_interpreter import imported_with
from dsconv_lib.gpu import FUSED_FASTER, TOLERANCE, LayerKey, TileConfig, interpreter_enabled, separable_conv2d, triton_available
from dsconv_lib.gpu import dispatch
from dsconv_lib.gpu import separable as gpu_separable
from dsconv_lib.gpu.separable import RENAMED_KEYWORDS
from dsconv_lib.nn import DepthwiseSeparableConv1d, DepthwiseSeparableConv2d

CUDA = torch.cuda.is_available()
KERNEL_RUNS = triton_available() and (CUDA or interpreter_enabled())
# Under the interpreter the kernel runs on CPU tensors; with a GPU (and no interpreter), on CUDA ones.
KERNEL_DEVICE = "cuda" if CUDA and not interpreter_enabled() else "cpu"
needs_kernel = pytest.mark.skipif(
    not KERNEL_RUNS,
    reason="the fused kernel needs Triton and a CUDA GPU, or TRITON_INTERPRET=1 (Triton's interpreter on the CPU)",
)
needs_cuda_kernel = pytest.mark.skipif(
    not (triton_available() and CUDA and not interpreter_enabled()), reason="needs Triton and a CUDA GPU"
)


pytestmark = pytest.mark.usefixtures("torch_one_thread", "torch_seed")


def make_inputs(n=2, c_in=6, h=9, w=7, c_out=5, k=3, multiplier=1, bias=True, dtype=torch.float64,
                channels_last=False, device="cpu"):
    """x, w_dw, w_pw, b_dw, b_pw with the shapes separable_conv2d takes."""
    c_mid = c_in * multiplier
    x = torch.randn(n, c_in, h, w, dtype=torch.float64)
    w_dw = torch.randn(c_mid, 1, k, k, dtype=torch.float64)
    w_pw = torch.randn(c_out, c_mid, 1, 1, dtype=torch.float64) / c_mid**0.5
    b_dw = torch.randn(c_mid, dtype=torch.float64) if bias else None
    b_pw = torch.randn(c_out, dtype=torch.float64) if bias else None
    tensors = [t.to(device=device, dtype=dtype) if t is not None else None for t in (x, w_dw, w_pw, b_dw, b_pw)]
    if channels_last:
        tensors[0] = tensors[0].contiguous(memory_format=torch.channels_last)
    return tensors


def two_convs(x, w_dw, w_pw, b_dw, b_pw, stride=1, padding=0, dilation=1):
    return F.conv2d(F.conv2d(x, w_dw, b_dw, stride, padding, dilation, groups=x.shape[1]), w_pw, b_pw)


def numpy_reference(x, w_dw, w_pw, b_dw, b_pw, stride=1, padding=0, dilation=1) -> np.ndarray:
    """dsconv_lib.reference.separable_conv2d in float64, on the same (possibly rounded) values."""

    def f64(t):
        return None if t is None else t.detach().cpu().double().numpy()

    return ref.separable_conv2d(f64(x), f64(w_dw), f64(w_pw), f64(b_dw), f64(b_pw),
                                stride=stride, padding=padding, dilation=dilation)


def relative_error(got: torch.Tensor, expected: np.ndarray) -> float:
    """max |got - expected| / max |expected|: the measure TOLERANCE is stated in."""
    got_np = got.detach().cpu().double().numpy()
    assert got_np.shape == expected.shape, f"shape {got_np.shape}, expected {expected.shape}"
    return float(np.max(np.abs(got_np - expected)) / np.max(np.abs(expected)))


# ----------------------------------------------------------------------------- 1. the fallback, on the CPU


@pytest.mark.parametrize("backend", ["auto", "torch"])
@pytest.mark.parametrize("k,stride", [(3, 1), (3, 2), (5, 1), (5, 2)])
@pytest.mark.parametrize("multiplier,bias", [(1, False), (1, True), (2, True)])
def test_cpu_equals_two_convs_and_reference(backend, k, stride, multiplier, bias):
    tensors = make_inputs(k=k, multiplier=multiplier, bias=bias)
    got = separable_conv2d(*tensors, stride=stride, padding=k // 2, backend=backend)
    assert torch.equal(got, two_convs(*tensors, stride=stride, padding=k // 2)), \
        "CPU fallback must be exactly two F.conv2d calls"
    np.testing.assert_allclose(got.numpy(), numpy_reference(*tensors, stride=stride, padding=k // 2),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("padding", [0, 2, (1, 2), "same", "valid"])
def test_cpu_padding_forms(padding):
    tensors = make_inputs(k=3)
    got = separable_conv2d(*tensors, padding=padding)
    mid = F.conv2d(tensors[0], tensors[1], tensors[3], 1, padding, groups=tensors[0].shape[1])
    assert torch.equal(got, F.conv2d(mid, tensors[2], tensors[4]))


def test_default_padding_is_zero_as_in_f_conv2d_and_reference():
    tensors = make_inputs(k=3, h=9, w=7)
    got = separable_conv2d(*tensors)
    assert got.shape[2:] == (7, 5)
    assert torch.equal(got, two_convs(*tensors, padding=0))
    np.testing.assert_allclose(got.numpy(), numpy_reference(*tensors), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("old", list(RENAMED_KEYWORDS))
def test_old_keyword_works_with_a_deprecation_warning_naming_the_new_one(old):
    x, w_dw, w_pw, b_dw, b_pw = make_inputs()
    arguments = dict(depthwise_weight=w_dw, pointwise_weight=w_pw, depthwise_bias=b_dw, pointwise_bias=b_pw)
    new = RENAMED_KEYWORDS[old]
    arguments[old] = arguments.pop(new)
    with pytest.warns(DeprecationWarning, match=f"{old}= is deprecated: use {new}=") as caught:
        got = separable_conv2d(x, padding=1, **arguments)
    assert caught[0].filename == __file__, "the warning must point at the caller's line"
    assert torch.equal(got, two_convs(x, w_dw, w_pw, b_dw, b_pw, padding=1))


def test_old_and_new_keyword_together_are_refused():
    x, w_dw, w_pw, _, _ = make_inputs()
    with pytest.raises(TypeError, match="both w_dw= and depthwise_weight="):
        separable_conv2d(x, depthwise_weight=w_dw, w_dw=w_dw, pointwise_weight=w_pw)


@pytest.mark.parametrize("k,dilation,expected", [(3, 1, (1, 1)), (5, 1, (2, 2)), (3, 2, (2, 2))])
def test_padding_none_keeps_its_old_meaning_with_a_deprecation_warning(k, dilation, expected):
    tensors = make_inputs(k=k, h=12, w=11)
    with pytest.warns(DeprecationWarning, match=re.escape(f"pass padding={expected}") + ".*'same'") as caught:
        got = separable_conv2d(*tensors, padding=None, dilation=dilation)
    assert caught[0].filename == __file__
    assert torch.equal(got, two_convs(*tensors, padding=expected, dilation=dilation))
    assert got.shape[2:] == (12, 11)


def test_cpu_channels_last_float32_and_dilation():
    tensors = make_inputs(dtype=torch.float32, channels_last=True)
    got = separable_conv2d(*tensors, stride=2, padding=2, dilation=2)
    np.testing.assert_allclose(got.numpy(), numpy_reference(*tensors, stride=2, padding=2, dilation=2),
                               rtol=1e-4, atol=1e-5)


def test_cpu_autograd_through_entry_point():
    tensors = [t.requires_grad_() for t in make_inputs(n=1, c_in=3, h=5, w=6, c_out=2)]
    y = separable_conv2d(*tensors, stride=2, padding=1)
    grads = torch.autograd.grad(y.square().sum(), tensors)
    expected = torch.autograd.grad(two_convs(*tensors, stride=2, padding=1).square().sum(), tensors)
    for got, want in zip(grads, expected):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)
    assert torch.autograd.gradcheck(lambda *t: separable_conv2d(*t, stride=2, padding=1), tensors)


def test_triton_backend_on_cpu_says_why(monkeypatch):
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    tensors = make_inputs(dtype=torch.float32)
    why = "CUDA" if triton_available() else "Triton is not installed"
    with pytest.raises(RuntimeError, match=re.escape("backend='triton'") + ".*" + why):
        separable_conv2d(*tensors, backend="triton")


@pytest.mark.skipif(not triton_available(), reason="with Triton missing, that is the reason given first")
def test_triton_backend_refuses_float64(monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "1")  # passes the device check, so the dtype is the reason
    with pytest.raises(RuntimeError, match="float32, float16 and bfloat16"):
        separable_conv2d(*make_inputs(), backend="triton")


def _bad_calls():
    x, w_dw, w_pw, b_dw, b_pw = make_inputs(c_in=4, c_out=3)
    return [
        (dict(backend="cudnn"), ValueError, "backend must be one of"),
        (dict(x=x[0]), ValueError, "x must be 4-D"),
        (dict(x=x.long()), TypeError, "x must be a floating-point"),
        (dict(x=x.numpy()), TypeError, "x must be a torch.Tensor"),
        (dict(depthwise_weight=torch.randn(5, 1, 3, 3, dtype=torch.float64)), ValueError,
         "depthwise_weight must be (C_in * m, 1, kH, kW)"),
        (dict(depthwise_weight=torch.randn(4, 2, 3, 3, dtype=torch.float64)), ValueError, "depthwise_weight must be"),
        (dict(pointwise_weight=torch.randn(3, 5, 1, 1, dtype=torch.float64)), ValueError,
         "pointwise_weight must be (C_out, C_mid, 1, 1)"),
        (dict(pointwise_weight=torch.randn(3, 4, 3, 3, dtype=torch.float64)), ValueError, "pointwise_weight must be"),
        (dict(depthwise_bias=torch.randn(3, dtype=torch.float64)), ValueError, "depthwise_bias must have shape (4,)"),
        (dict(pointwise_bias=torch.randn(4, dtype=torch.float64)), ValueError, "pointwise_bias must have shape (3,)"),
        (dict(pointwise_weight=w_pw.float()), TypeError,
         "pointwise_weight has dtype torch.float32 but x has torch.float64"),
        (dict(stride=0), ValueError, "stride"),
        (dict(padding=-1), ValueError, "padding"),
        (dict(padding="full"), ValueError, "padding must be"),
        (dict(padding="same", stride=2), ValueError, "padding='same' needs stride 1"),
        (dict(x=x[:, :, :1, :1], padding=0), ValueError, "kernel does not fit"),
    ], (x, w_dw, w_pw, b_dw, b_pw)


@pytest.mark.parametrize("index", range(len(_bad_calls()[0])))
def test_invalid_arguments_raise_naming_them(index):
    calls, (x, w_dw, w_pw, b_dw, b_pw) = _bad_calls()
    change, error, message = calls[index]
    arguments = dict(x=x, depthwise_weight=w_dw, pointwise_weight=w_pw, depthwise_bias=b_dw, pointwise_bias=b_pw,
                     stride=1, padding=1)
    arguments.update(change)
    with pytest.raises(error, match=re.escape(message)):
        separable_conv2d(**arguments)


def test_auto_never_picks_the_kernel_on_cpu(monkeypatch):
    x, w_dw, w_pw, b_dw, b_pw = make_inputs(dtype=torch.float32)
    layer = gpu_separable._check(x, w_dw, w_pw, b_dw, b_pw, 1, 1, 1, "auto")
    assert dispatch.choose_backend(x, layer) == ("torch", None)


def test_dispatch_table_is_well_formed():
    for key, config in FUSED_FASTER.items():
        assert isinstance(key, LayerKey) and isinstance(config, TileConfig), (key, config)
        assert key.layout in ("nchw", "channels_last") and key.dtype in ("float32", "float16", "bfloat16"), key


@pytest.mark.parametrize("batch,c_mid,c_out,pixels,half", [
    (1, 32, 64, 112 * 112, False), (64, 960, 160, 49, True), (1, 1024, 1024, 49, False), (2, 3, 5, 4, True),
])
def test_default_config_is_valid(batch, c_mid, c_out, pixels, half):
    config = dispatch.default_config(batch, c_mid, c_out, pixels, half)  # TileConfig checks powers of 2 >= 16
    assert config.block_co <= 128 and config.block_p <= 128 and config.block_ci <= (64 if half else 32)


def test_tile_config_rejects_bad_sizes():
    with pytest.raises(ValueError, match="block_ci must be a power of 2 >= 16"):
        TileConfig(block_p=64, block_ci=24, block_co=32)


def test_importing_gpu_does_not_import_triton():
    """Meaningful where Triton is installed (make test's interpreter run)."""
    assert imported_with(("dsconv_lib.gpu", "dsconv_lib.nn"), ("triton",)) == []


@pytest.mark.parametrize("stride,bias", [(1, False), (2, True)])
def test_block_auto_backend_equals_default(stride, bias):
    default = DepthwiseSeparableConv2d(6, 5, 3, stride=stride, bias=bias).double()
    fused = DepthwiseSeparableConv2d(6, 5, 3, stride=stride, bias=bias, backend="auto").double()
    fused.load_state_dict(default.state_dict())
    x = torch.randn(2, 6, 9, 7, dtype=torch.float64)
    y = fused(x)
    torch.testing.assert_close(y, default(x), rtol=0, atol=0)
    y.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in fused.parameters())


def test_block_backend_after_steps_keeps_norm_and_activation():
    block = DepthwiseSeparableConv2d(4, 6, norm_layer=torch.nn.BatchNorm2d, activation=torch.nn.ReLU,
                                     norm_act_between=False, backend="auto").double().eval()
    default = DepthwiseSeparableConv2d(4, 6, norm_layer=torch.nn.BatchNorm2d, activation=torch.nn.ReLU,
                                       norm_act_between=False).double().eval()
    default.load_state_dict(block.state_dict())
    x = torch.randn(1, 4, 5, 5, dtype=torch.float64)
    torch.testing.assert_close(block(x), default(x), rtol=0, atol=0)


@pytest.mark.parametrize("make", [
    lambda: DepthwiseSeparableConv2d(4, 6, norm_layer=torch.nn.BatchNorm2d, backend="auto"),
    lambda: DepthwiseSeparableConv2d(4, 6, activation=torch.nn.ReLU, backend="triton"),
    lambda: DepthwiseSeparableConv2d(4, 6, se_after="depthwise", backend="auto"),
    lambda: DepthwiseSeparableConv1d(4, 6, backend="auto"),
])
def test_block_refuses_backends_that_cannot_fuse(make):
    with pytest.raises(ValueError, match="fuses the two steps"):
        make()


def test_block_refuses_unknown_backend():
    with pytest.raises(ValueError, match="backend must be one of"):
        DepthwiseSeparableConv2d(4, 6, backend="cuda")


# ----------------------------------------------------------------------------- 2. the fused kernel

SMALL_TILES = TileConfig(block_p=16, block_ci=16, block_co=16)  # partial tiles and several steps everywhere
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


@pytest.fixture
def small_tiles(monkeypatch):
    """Make backend="triton" use SMALL_TILES for layers without a table entry."""
    monkeypatch.setattr(dispatch, "default_config", lambda *args, **kwargs: SMALL_TILES)


def run_fused(tensors, **kwargs):
    return separable_conv2d(*tensors, backend="triton", allow_tf32=kwargs.pop("allow_tf32", False), **kwargs)


@needs_kernel
@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("channels_last", [False, True], ids=["nchw", "channels_last"])
@pytest.mark.parametrize("k,stride", [(3, 1), (3, 2), (5, 1), (5, 2)])
def test_kernel_matches_reference(small_tiles, dtype, channels_last, k, stride):
    # C_mid = 40: three reduction steps of 16, the last partial; C_out = 24: two channel tiles;
    # 9 x 7 pixels: partial pixel tiles; both biases.
    tensors = make_inputs(n=2, c_in=40, h=9, w=7, c_out=24, k=k, dtype=DTYPES[dtype],
                          channels_last=channels_last, device=KERNEL_DEVICE)
    got = run_fused(tensors, stride=stride, padding=k // 2)
    assert got.dtype == DTYPES[dtype] and got.device.type == KERNEL_DEVICE
    assert got.is_contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    error = relative_error(got, numpy_reference(*tensors, stride=stride, padding=k // 2))
    assert error <= TOLERANCE[dtype], f"relative error {error:.2e} > {TOLERANCE[dtype]:.0e}"


@needs_kernel
@pytest.mark.parametrize("case", ["no_bias", "no_padding", "multiplier_2", "dilation_2", "same_even_kernel",
                                  "non_contiguous", "default_tiles"])
def test_kernel_variants(small_tiles, monkeypatch, case):
    dtype = torch.float32
    geometry = dict(padding=1)
    if case == "no_bias":
        tensors = make_inputs(c_in=20, c_out=18, bias=False, dtype=dtype, device=KERNEL_DEVICE)
    elif case == "no_padding":  # the default, as in F.conv2d
        tensors = make_inputs(c_in=20, c_out=18, dtype=dtype, device=KERNEL_DEVICE)
        geometry = {}
    elif case == "multiplier_2":
        tensors = make_inputs(c_in=10, c_out=18, multiplier=2, dtype=dtype, device=KERNEL_DEVICE)
        geometry = dict(stride=2, padding=1)
    elif case == "dilation_2":
        tensors = make_inputs(c_in=20, c_out=18, dtype=dtype, device=KERNEL_DEVICE, channels_last=True)
        geometry = dict(dilation=2, stride=2, padding=2)
    elif case == "same_even_kernel":  # torch pads the extra row and column after
        tensors = make_inputs(c_in=20, c_out=18, k=4, dtype=dtype, device=KERNEL_DEVICE)
        geometry = dict(padding="same")
    elif case == "non_contiguous":
        x, *rest = make_inputs(c_in=40, c_out=18, w=14, dtype=dtype, device=KERNEL_DEVICE)
        tensors = [x[:, ::2, :, ::2], *make_inputs(c_in=20, c_out=18, dtype=dtype, device=KERNEL_DEVICE)[1:]]
        assert not tensors[0].is_contiguous()
    else:  # the tile sizes backend="triton" really uses
        monkeypatch.undo()
        tensors = make_inputs(c_in=20, c_out=18, dtype=dtype, device=KERNEL_DEVICE)
    expected = numpy_reference(*tensors, **geometry)
    error = relative_error(run_fused(tensors, **geometry), expected)
    assert error <= TOLERANCE["float32"], f"{case}: relative error {error:.2e}"


@needs_kernel
def test_kernel_autograd_equals_torch(small_tiles):
    tensors = [t.requires_grad_() for t in make_inputs(c_in=20, c_out=18, dtype=torch.float32, device=KERNEL_DEVICE)]
    y = run_fused(tensors, stride=2, padding=1)
    assert type(y.grad_fn).__name__.startswith("_FusedSeparableConv2d")
    weights = torch.randn_like(y)
    grads = torch.autograd.grad((y * weights).sum(), tensors)
    expected = torch.autograd.grad((two_convs(*tensors, stride=2, padding=1) * weights).sum(), tensors)
    for name, got, want in zip(["x", "w_dw", "w_pw", "b_dw", "b_pw"], grads, expected):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4, msg=lambda m: f"grad of {name}: {m}")
    # Only some inputs needing gradients: the others get None and are not computed.
    x = tensors[0].detach().requires_grad_()
    (gx,) = torch.autograd.grad(run_fused([x, *(t.detach() for t in tensors[1:])], stride=2, padding=1).sum(), [x])
    assert gx.shape == x.shape


@needs_kernel
def test_block_triton_backend_equals_default(small_tiles):
    default = DepthwiseSeparableConv2d(20, 18, 5, stride=2, bias=True).to(KERNEL_DEVICE)
    fused = DepthwiseSeparableConv2d(20, 18, 5, stride=2, bias=True, backend="triton").to(KERNEL_DEVICE)
    fused.load_state_dict(default.state_dict())
    x = torch.randn(2, 20, 9, 7, device=KERNEL_DEVICE)
    with torch.no_grad():
        torch.testing.assert_close(fused(x), default(x), rtol=1e-4, atol=1e-4)
    fused(x).sum().backward()
    assert fused.depthwise.weight.grad is not None and fused.pointwise.weight.grad is not None


@needs_cuda_kernel
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_cuda_default_tiles_and_tf32(dtype):
    tensors = make_inputs(n=4, c_in=144, h=28, w=28, c_out=24, dtype=DTYPES[dtype], device="cuda")
    tf32 = dtype == "float32"
    got = separable_conv2d(*tensors, padding=1, backend="triton", allow_tf32=tf32)
    tolerance = TOLERANCE["float32_tf32" if tf32 else dtype]
    error = relative_error(got, numpy_reference(*tensors, padding=1))
    assert error <= tolerance, f"relative error {error:.2e} > {tolerance:.0e}"


@needs_cuda_kernel
def test_cuda_one_kernel_launch_per_call():
    tensors = make_inputs(n=1, c_in=64, h=28, w=28, c_out=128, bias=False, dtype=torch.float32, device="cuda")
    separable_conv2d(*tensors, padding=1, backend="triton")  # compile first
    torch.cuda.synchronize()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as profiler:
        separable_conv2d(*tensors, padding=1, backend="triton")
        torch.cuda.synchronize()
    kernels = [e for e in profiler.events() if e.device_type == torch.autograd.DeviceType.CUDA]
    assert len(kernels) == 1, [e.name for e in kernels]


@needs_cuda_kernel
def test_cuda_auto_uses_the_table(monkeypatch):
    tensors = make_inputs(n=1, c_in=32, h=14, w=14, c_out=64, dtype=torch.float32, device="cuda")
    layer = gpu_separable._check(*tensors, 1, 1, 1, "auto")
    key = dispatch.layer_key(tensors[0], layer)
    monkeypatch.setitem(dispatch.FUSED_FASTER, key, SMALL_TILES)
    assert dispatch.choose_backend(tensors[0], layer) == ("triton", SMALL_TILES)
    calls = []
    real = gpu_separable._fused_forward
    monkeypatch.setattr(gpu_separable, "_fused_forward", lambda *a, **k: calls.append(a[6]) or real(*a, **k))
    separable_conv2d(*tensors, padding=1)
    assert calls == [SMALL_TILES]
    monkeypatch.delitem(dispatch.FUSED_FASTER, key)
    assert dispatch.choose_backend(tensors[0], layer) == ("torch", None)


@pytest.mark.parametrize("name", gpu_separable.MOVED_TO_DISPATCH)
def test_names_moved_to_dispatch_work_from_separable_with_a_warning(name):
    with pytest.warns(DeprecationWarning, match=f"use dsconv_lib.gpu.dispatch.{name}"):
        assert getattr(gpu_separable, name) is getattr(dispatch, name)
