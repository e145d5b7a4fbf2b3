"""Tests for dsconv_lib.nn: the torch blocks of the course.

What is established here:
  1. DepthwiseSeparableConv2d computes dsconv_lib.reference.separable_conv2d with its own
     weights (float64, rtol 1e-10) for many kernel sizes, strides, dilations, depth multipliers,
     with and without the pointwise bias; its default padding keeps the size at stride 1 (odd
     kernels) and halves it (rounding up) at stride 2; the depthwise step has groups = C_in and
     C_in * m output channels; norm / activation / SE options put exactly the documented modules
     in the documented places (checked against a functional composition); bad se_after or
     depth_multiplier raise a ValueError that says what is allowed. The 1D and 3D blocks equal a
     torch conv1d / conv3d depthwise + pointwise pair (and the numpy reference).
  2. SqueezeExcite is x * sigmoid(fc2(relu(fc1(mean over space)))) recomputed by hand, for 3-D,
     4-D and 5-D inputs; the bottleneck is max(1, C // r) wide; reduction < 1 raises.
  3. InceptionBlock: channels ch1x1 + ch3x3 + ch5x5 + pool_proj, size kept; separable=True swaps
     exactly the 3x3 and 5x5 convolutions for depthwise + pointwise pairs, leaves the rest
     unchanged and has fewer parameters; the branches are concatenated in order.
  4. XceptionBlock: shapes for stride 1 / 2, grow_first, start_with_relu; identity vs 1x1-conv
     shortcut; output = body(x) + shortcut(x).
  5. MobileNetV1: 27 convolutions (1 full + 13 depthwise + 13 pointwise) and 1 FC, the paper's
     28 layers; Table 1's strides; channels scale with the width multiplier; any resolution works.
  6. MobileNetV2: Table 2's 17 inverted residual blocks with their widths, strides and expansion;
     residuals exactly where stride 1 and C_in == C_out; linear bottlenecks; 3,504,872 parameters
     at width 1.0 (torchvision's mobilenet_v2); make_divisible follows its rule.
  7. Gradients reach every parameter, finite, for the DSC blocks and a small MobileNetV2.

Everything runs on the CPU at small sizes; torch is limited to one thread while these run.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from dsconv_lib import reference as ref
from dsconv_lib.nn import (
    DepthwiseSeparableConv1d,
    DepthwiseSeparableConv2d,
    DepthwiseSeparableConv3d,
    InceptionBlock,
    InvertedResidual,
    MobileNetV1,
    MobileNetV2,
    SqueezeExcite,
    XceptionBlock,
    make_divisible,
)

RTOL, ATOL = 1e-10, 1e-12  # float64 against float64
PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


pytestmark = pytest.mark.usefixtures("torch_one_thread", "torch_seed")


def _all_of(*fragments: str) -> str:
    """A regex for pytest.raises(match=...) that requires every fragment, in any order."""
    return "(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments)


def _close(got: torch.Tensor, expected, what: str = "", rtol: float = RTOL, atol: float = ATOL) -> None:
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    got = got.detach().numpy()
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}"
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=what)


def _randomise_norms(module: nn.Module) -> nn.Module:
    """Give every BatchNorm random statistics and affine parameters, so that eval mode is not ~identity."""
    gen = torch.Generator().manual_seed(1)
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            dtype = m.running_mean.dtype
            m.running_mean.copy_(torch.randn(n, generator=gen, dtype=dtype))
            m.running_var.copy_(torch.rand(n, generator=gen, dtype=dtype) + 0.5)
            with torch.no_grad():
                m.weight.copy_(torch.randn(n, generator=gen, dtype=dtype))
                m.bias.copy_(torch.randn(n, generator=gen, dtype=dtype))
    return module


def _default_padding(kernel, dilation, n: int) -> tuple[int, ...]:
    kernel = (kernel,) * n if isinstance(kernel, int) else tuple(kernel)
    dilation = (dilation,) * n if isinstance(dilation, int) else tuple(dilation)
    return tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))


def _n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# ============================================================================= DepthwiseSeparableConv2d


# (C_in, C_out, kernel, stride, dilation, depth multiplier, pointwise bias)
REFERENCE_CASES = [
    (3, 5, 3, 1, 1, 1, False),
    (3, 5, 3, 2, 1, 1, True),
    (4, 6, 5, 1, 1, 2, True),
    (4, 6, 5, 2, 2, 2, False),
    (2, 7, 1, 1, 1, 3, True),
    (2, 7, 1, 2, 1, 1, False),
    (3, 4, 7, 1, 3, 1, True),
    (3, 4, 3, 2, 2, 3, True),
    (5, 3, (3, 5), (1, 2), (2, 1), 2, False),
    (1, 1, 3, 1, 1, 1, False),
    (4, 8, 2, 2, 1, 1, True),
    (6, 2, 3, 3, 1, 2, True),
]


def _case_id(case) -> str:
    c_in, c_out, k, s, d, m, bias = case
    fmt = lambda v: "x".join(map(str, v)) if isinstance(v, tuple) else str(v)  # noqa: E731
    return f"{c_in}to{c_out}_k{fmt(k)}_s{fmt(s)}_d{fmt(d)}_m{m}_{'bias' if bias else 'nobias'}"


def _check_against_reference(c_in, c_out, kernel, stride, dilation, m, bias, h, w, padding=None, batch=2):
    block = DepthwiseSeparableConv2d(
        c_in, c_out, kernel, stride=stride, padding=padding, dilation=dilation, depth_multiplier=m, bias=bias
    ).double()
    x = torch.randn(batch, c_in, h, w, dtype=torch.float64)
    pad = _default_padding(kernel, dilation, 2) if padding is None else padding
    expected = ref.separable_conv2d(
        x.numpy(), block.depthwise.weight.detach().numpy(), block.pointwise.weight.detach().numpy(),
        pointwise_bias=None if block.pointwise.bias is None else block.pointwise.bias.detach().numpy(),
        stride=stride, padding=pad, dilation=dilation,
    )
    with torch.no_grad():
        _close(block(x), expected, "DepthwiseSeparableConv2d against reference.separable_conv2d")
    assert (block.pointwise.bias is not None) == bias
    if bias:
        assert block.pointwise.bias.abs().sum() > 0  # the comparison above did exercise the bias


@pytest.mark.parametrize("case", REFERENCE_CASES, ids=[_case_id(c) for c in REFERENCE_CASES])
def test_dsc2d_equals_reference_separable_conv2d(case):
    _check_against_reference(*case, h=11, w=12)


@PROPERTY
@given(
    c_in=st.integers(1, 4), c_out=st.integers(1, 5), m=st.integers(1, 3),
    kernel=st.tuples(st.integers(1, 5), st.integers(1, 5)), stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    dilation=st.tuples(st.integers(1, 3), st.integers(1, 3)), bias=st.booleans(),
    explicit_padding=st.one_of(st.none(), st.tuples(st.integers(0, 2), st.integers(0, 2))),
    extra=st.tuples(st.integers(0, 6), st.integers(0, 6)), seed=st.integers(0, 2**31 - 1),
)
def test_dsc2d_equals_reference_property(c_in, c_out, m, kernel, stride, dilation, bias, explicit_padding, extra, seed):
    torch.manual_seed(seed)
    pad = _default_padding(kernel, dilation, 2) if explicit_padding is None else explicit_padding
    h, w = (max(1, d * (k - 1) + 1 - 2 * p) + e for k, d, p, e in zip(kernel, dilation, pad, extra))
    _check_against_reference(c_in, c_out, kernel, stride, dilation, m, bias, h, w, padding=explicit_padding, batch=1)


@pytest.mark.parametrize("size", [16, 17], ids=["even16", "odd17"])
@pytest.mark.parametrize("dilation", [1, 2, 3], ids=lambda d: f"d{d}")
@pytest.mark.parametrize("kernel", [1, 3, 5, 7], ids=lambda k: f"k{k}")
def test_default_padding_keeps_size_at_stride_1_and_halves_it_at_stride_2(kernel, dilation, size):
    x = torch.randn(1, 2, size, size + 2)
    for stride, expected in ((1, (size, size + 2)), (2, (math.ceil(size / 2), math.ceil((size + 2) / 2)))):
        block = DepthwiseSeparableConv2d(2, 3, kernel, stride=stride, dilation=dilation)
        with torch.no_grad():
            assert tuple(block(x).shape) == (1, 3, *expected), f"stride {stride}"


@pytest.mark.parametrize("m", [1, 2, 3], ids=lambda m: f"m{m}")
def test_dsc2d_structure(m):
    block = DepthwiseSeparableConv2d(4, 7, 5, stride=2, dilation=2, depth_multiplier=m, bias=True)
    dw, pw = block.depthwise, block.pointwise
    assert isinstance(dw, nn.Conv2d) and isinstance(pw, nn.Conv2d)
    assert dw.groups == 4 and dw.in_channels == 4 and dw.out_channels == 4 * m
    assert tuple(dw.weight.shape) == (4 * m, 1, 5, 5)
    assert dw.stride == (2, 2) and dw.dilation == (2, 2) and dw.padding == (4, 4)
    assert dw.bias is None
    assert pw.kernel_size == (1, 1) and pw.stride == (1, 1) and pw.groups == 1
    assert (pw.in_channels, pw.out_channels) == (4 * m, 7) and pw.bias is not None
    # nothing else by default: conv, conv, identities
    assert _n_params(block) == 4 * m * 25 + 4 * m * 7 + 7
    for name in ("norm1", "act1", "norm2", "act2", "se"):
        assert isinstance(getattr(block, name), nn.Identity), name


def _functional_depthwise(block, x):
    dw = block.depthwise
    return F.conv2d(x, dw.weight, None, dw.stride, dw.padding, dw.dilation, groups=x.shape[1])


def _functional_pointwise(block, y):
    return F.conv2d(y, block.pointwise.weight, block.pointwise.bias)


OPTION_CASES = [
    # (norm_act_between, activation_after)
    (True, True),
    (False, True),
    (True, False),
    (False, False),
]


@pytest.mark.parametrize(
    "between, after", OPTION_CASES,
    ids=[f"{'between' if b else 'nothing_between'}-{'act_after' if a else 'linear_out'}" for b, a in OPTION_CASES],
)
def test_norm_and_activation_sit_where_documented(between, after):
    c_in, c_out, m = 3, 5, 2
    block = DepthwiseSeparableConv2d(
        c_in, c_out, 3, stride=2, depth_multiplier=m, norm_layer=nn.BatchNorm2d, activation=nn.ReLU,
        norm_act_between=between, activation_after=after,
    ).double()
    _randomise_norms(block).eval()
    x = torch.randn(2, c_in, 9, 9, dtype=torch.float64)

    # the modules present
    if between:
        assert isinstance(block.norm1, nn.BatchNorm2d) and block.norm1.num_features == c_in * m
        assert isinstance(block.act1, nn.ReLU)
    else:
        assert isinstance(block.norm1, nn.Identity) and isinstance(block.act1, nn.Identity)
    assert isinstance(block.norm2, nn.BatchNorm2d) and block.norm2.num_features == c_out
    assert isinstance(block.act2, nn.ReLU if after else nn.Identity)
    n_relu = sum(isinstance(mod, nn.ReLU) for mod in block.modules())
    n_bn = sum(isinstance(mod, nn.BatchNorm2d) for mod in block.modules())
    assert (n_relu, n_bn) == (int(between) + int(after), int(between) + 1)

    # the function computed, from functional convs and plain BN / ReLU calls
    with torch.no_grad():
        y = _functional_depthwise(block, x)
        if between:
            y = F.relu(block.norm1(y))
        z = block.norm2(_functional_pointwise(block, y))
        if after:
            z = F.relu(z)
        out = block(x)
    _close(out, z, "block against its documented composition")
    if not after:
        assert (out < 0).any(), "a linear output should take negative values"
    else:
        assert (out >= 0).all()


@pytest.mark.parametrize("se_after", ["depthwise", "pointwise"])
@pytest.mark.parametrize("m", [1, 2], ids=lambda m: f"m{m}")
def test_squeeze_excite_sits_after_the_chosen_step(se_after, m):
    c_in, c_out, r = 4, 12, 2
    block = DepthwiseSeparableConv2d(
        c_in, c_out, 3, depth_multiplier=m, norm_layer=nn.BatchNorm2d, activation=nn.ReLU,
        se_after=se_after, se_reduction=r,
    ).double()
    _randomise_norms(block).eval()
    width = c_in * m if se_after == "depthwise" else c_out
    assert isinstance(block.se, SqueezeExcite)
    assert (block.se.fc1.in_features, block.se.fc1.out_features) == (width, width // r)
    assert (block.se.fc2.in_features, block.se.fc2.out_features) == (width // r, width)

    x = torch.randn(2, c_in, 6, 7, dtype=torch.float64)
    with torch.no_grad():
        mid = F.relu(block.norm1(_functional_depthwise(block, x)))
        if se_after == "depthwise":
            mid = block.se(mid)
        out = F.relu(block.norm2(_functional_pointwise(block, mid)))
        if se_after == "pointwise":
            out = block.se(out)
        got = block(x)
        _close(got, out, f"SE after {se_after}")
        # and the SE block matters: without it the output differs
        plain = F.relu(block.norm2(_functional_pointwise(block, F.relu(block.norm1(_functional_depthwise(block, x))))))
        assert not torch.allclose(got, plain)


@pytest.mark.parametrize("se_after", ["both", "Depthwise", "", "after"], ids=["both", "Depthwise", "empty", "after"])
def test_invalid_se_after_raises(se_after):
    with pytest.raises(ValueError, match=_all_of("se_after", "'depthwise'", "'pointwise'", repr(se_after))):
        DepthwiseSeparableConv2d(4, 8, se_after=se_after)


@pytest.mark.parametrize("m", [0, -1, -3])
def test_invalid_depth_multiplier_raises(m):
    with pytest.raises(ValueError, match=_all_of("depth_multiplier", ">= 1", str(m))):
        DepthwiseSeparableConv2d(4, 8, depth_multiplier=m)


# ============================================================================= 1D and 3D

ND_CASES = [
    # (dims, C_in, C_out, kernel, stride, dilation, m, bias, spatial)
    (1, 3, 5, 3, 1, 1, 1, False, (20,)),
    (1, 4, 6, 5, 2, 2, 2, True, (23,)),
    (1, 2, 3, 7, 1, 3, 3, True, (16,)),
    (3, 2, 4, 3, 1, 1, 1, False, (5, 6, 7)),
    (3, 3, 5, 3, 2, 1, 2, True, (6, 7, 5)),
    (3, 2, 3, (3, 1, 5), (1, 2, 1), (2, 1, 1), 1, True, (7, 6, 8)),
]
ND_IDS = [
    f"{c[0]}d_{c[1]}to{c[2]}_k{c[3]}_s{c[4]}_d{c[5]}_m{c[6]}_{'bias' if c[7] else 'nobias'}".replace(" ", "")
    for c in ND_CASES
]
ND = {
    1: (DepthwiseSeparableConv1d, nn.Conv1d, F.conv1d, ref.separable_conv1d),
    3: (DepthwiseSeparableConv3d, nn.Conv3d, F.conv3d, ref.separable_conv3d),
}


@pytest.mark.parametrize("case", ND_CASES, ids=ND_IDS)
def test_dsc1d_and_3d_equal_a_torch_depthwise_pointwise_pair(case):
    dims, c_in, c_out, kernel, stride, dilation, m, bias, spatial = case
    block_type, conv_type, conv_fn, reference = ND[dims]
    block = block_type(c_in, c_out, kernel, stride=stride, dilation=dilation, depth_multiplier=m, bias=bias).double()
    assert isinstance(block.depthwise, conv_type) and isinstance(block.pointwise, conv_type)
    assert block.depthwise.groups == c_in and block.depthwise.out_channels == c_in * m
    assert block.pointwise.kernel_size == (1,) * dims

    x = torch.randn(2, c_in, *spatial, dtype=torch.float64)
    pad = _default_padding(kernel, dilation, dims)
    dw_w, pw_w, pw_b = block.depthwise.weight, block.pointwise.weight, block.pointwise.bias
    with torch.no_grad():
        expected = conv_fn(conv_fn(x, dw_w, None, stride, pad, dilation, c_in), pw_w, pw_b)
        got = block(x)
    _close(got, expected, f"{dims}D block against F.conv{dims}d pair")
    numpy_expected = reference(
        x.numpy(), dw_w.detach().numpy(), pw_w.detach().numpy(),
        pointwise_bias=None if pw_b is None else pw_b.detach().numpy(), stride=stride, padding=pad, dilation=dilation,
    )
    _close(got, numpy_expected, f"{dims}D block against reference.separable_conv{dims}d")
    if stride == 1:
        assert tuple(got.shape[2:]) == spatial


@pytest.mark.parametrize("dims", [1, 3], ids=["1d", "3d"])
def test_nd_blocks_take_norm_activation_and_se(dims):
    block_type, _, _, _ = ND[dims]
    norm = nn.BatchNorm1d if dims == 1 else nn.BatchNorm3d
    block = block_type(4, 8, 3, stride=2, norm_layer=norm, activation=nn.ReLU, se_after="depthwise").double()
    _randomise_norms(block).eval()
    x = torch.randn(2, 4, *(9,) * dims, dtype=torch.float64)
    with torch.no_grad():
        expected = F.relu(block.norm2(block.pointwise(block.se(F.relu(block.norm1(block.depthwise(x)))))))
        got = block(x)
    _close(got, expected)
    assert tuple(got.shape) == (2, 8, *(5,) * dims)


# ============================================================================= SqueezeExcite


@pytest.mark.parametrize("spatial", [(7,), (5, 6), (3, 4, 5)], ids=["3d_input", "4d_input", "5d_input"])
def test_squeeze_excite_by_hand(spatial):
    c, r = 12, 4
    se = SqueezeExcite(c, r).double()
    x = torch.randn(3, c, *spatial, dtype=torch.float64)
    xn = x.numpy()
    w1, b1 = se.fc1.weight.detach().numpy(), se.fc1.bias.detach().numpy()
    w2, b2 = se.fc2.weight.detach().numpy(), se.fc2.bias.detach().numpy()
    mean = xn.mean(axis=tuple(range(2, xn.ndim)))  # (N, C)
    hidden = np.maximum(mean @ w1.T + b1, 0.0)
    gate = 1.0 / (1.0 + np.exp(-(hidden @ w2.T + b2)))
    expected = xn * gate.reshape(*gate.shape, *(1,) * len(spatial))
    with torch.no_grad():
        _close(se(x), expected, "SE by hand")


@pytest.mark.parametrize(
    "channels, reduction, hidden",
    [(16, 4, 4), (64, 16, 4), (7, 2, 3), (3, 4, 1), (5, 8, 1), (1, 1, 1), (96, 1, 96)],
    ids=lambda v: str(v),
)
def test_squeeze_excite_hidden_width(channels, reduction, hidden):
    se = SqueezeExcite(channels, reduction)
    assert (se.fc1.in_features, se.fc1.out_features) == (channels, hidden)
    assert (se.fc2.in_features, se.fc2.out_features) == (hidden, channels)
    assert _n_params(se) == 2 * channels * hidden + hidden + channels


def test_squeeze_excite_only_rescales():
    se = SqueezeExcite(8, 2)
    x = torch.randn(2, 8, 5, 5)
    with torch.no_grad():
        ratio = se(x) / x
    # one factor per (example, channel), strictly between 0 and 1
    per_channel = ratio.flatten(2)
    assert torch.allclose(per_channel, per_channel[..., :1].expand_as(per_channel), rtol=1e-5, atol=1e-6)
    assert ((ratio > 0) & (ratio < 1)).all()


def test_squeeze_excite_custom_activation_and_gate():
    se = SqueezeExcite(6, 2, activation=nn.Tanh, gate=nn.Hardsigmoid).double()
    assert isinstance(se.activation, nn.Tanh) and isinstance(se.gate, nn.Hardsigmoid)
    x = torch.randn(2, 6, 4, 4, dtype=torch.float64)
    with torch.no_grad():
        gate = F.hardsigmoid(se.fc2(torch.tanh(se.fc1(x.mean(dim=(2, 3))))))
        _close(se(x), x * gate[:, :, None, None])


@pytest.mark.parametrize("reduction", [0, -2])
def test_squeeze_excite_rejects_reduction_below_one(reduction):
    with pytest.raises(ValueError, match=_all_of("reduction", ">= 1", str(reduction))):
        SqueezeExcite(8, reduction)


# ============================================================================= InceptionBlock

INCEPTION_CONFIGS = {
    # name: (in_channels, ch1x1, ch3x3_reduce, ch3x3, ch5x5_reduce, ch5x5, pool_proj)
    "googlenet_3a_quarter": (48, 16, 24, 32, 4, 8, 8),
    "small": (8, 4, 6, 8, 2, 4, 3),
    "no_reduction": (6, 2, 6, 6, 6, 6, 2),
}


@pytest.mark.parametrize("separable", [False, True], ids=["standard", "separable"])
@pytest.mark.parametrize("name", list(INCEPTION_CONFIGS))
@pytest.mark.parametrize("size", [(8, 8), (7, 9)], ids=["8x8", "7x9"])
def test_inception_shapes(name, separable, size):
    config = INCEPTION_CONFIGS[name]
    block = InceptionBlock(*config, separable=separable)
    with torch.no_grad():
        out = block(torch.randn(2, config[0], *size))
    _, ch1, _, ch3, _, ch5, pool = config
    assert tuple(out.shape) == (2, ch1 + ch3 + ch5 + pool, *size)
    assert (out >= 0).all()  # every branch ends in a ReLU


def _conv_summary(module: nn.Module) -> list[tuple]:
    """(in, out, kernel, groups, has bias) of every convolution, in order."""
    return [
        (m.in_channels, m.out_channels, m.kernel_size, m.groups, m.bias is not None)
        for m in module.modules() if isinstance(m, nn.Conv2d)
    ]


def test_separable_inception_replaces_exactly_the_3x3_and_5x5_convolutions():
    config = INCEPTION_CONFIGS["googlenet_3a_quarter"]
    c_in, ch1, r3, ch3, r5, ch5, pool = config
    standard, separable = InceptionBlock(*config), InceptionBlock(*config, separable=True)

    # the untouched parts: 1x1 branch, the reductions, the pool branch
    for name in ("branch1x1", "branch_pool"):
        assert _conv_summary(getattr(standard, name)) == _conv_summary(getattr(separable, name)), name
    for name in ("branch3x3", "branch5x5"):
        assert _conv_summary(getattr(standard, name)[0]) == _conv_summary(getattr(separable, name)[0]), name
    assert isinstance(separable.branch_pool[0], nn.MaxPool2d)

    # the replaced parts
    for name, reduce, out, k in (("branch3x3", r3, ch3, 3), ("branch5x5", r5, ch5, 5)):
        full = getattr(standard, name)[1]
        assert _conv_summary(full) == [(reduce, out, (k, k), 1, True)], name
        dsc = getattr(separable, name)[1]
        assert isinstance(dsc, DepthwiseSeparableConv2d), name
        assert _conv_summary(dsc) == [(reduce, reduce, (k, k), reduce, False), (reduce, out, (1, 1), 1, True)], name
        assert dsc.depthwise.padding == (k // 2, k // 2)
        # depthwise -> pointwise (bias) -> ReLU, as the standard branch's conv (bias) -> ReLU
        assert isinstance(dsc.norm1, nn.Identity) and isinstance(dsc.act1, nn.Identity)
        assert isinstance(dsc.norm2, nn.Identity) and isinstance(dsc.act2, nn.ReLU)

    # all the convolutions of the separable block: the standard ones, with the 3x3 / 5x5 split in two
    kernels = lambda block: [s[2] for s in _conv_summary(block)]  # noqa: E731
    assert kernels(standard) == [(1, 1), (1, 1), (3, 3), (1, 1), (5, 5), (1, 1)]
    assert kernels(separable) == [(1, 1), (1, 1), (3, 3), (1, 1), (1, 1), (5, 5), (1, 1), (1, 1)]

    saved = _n_params(standard) - _n_params(separable)
    assert saved > 0
    assert saved == (r3 * ch3 * 9 - r3 * 9 - r3 * ch3) + (r5 * ch5 * 25 - r5 * 25 - r5 * ch5)


@pytest.mark.parametrize("separable", [False, True], ids=["standard", "separable"])
def test_inception_concatenates_the_branches_in_order(separable):
    config = INCEPTION_CONFIGS["small"]
    _, ch1, _, ch3, _, ch5, pool = config
    block = InceptionBlock(*config, separable=separable)
    x = torch.randn(2, config[0], 6, 6)
    with torch.no_grad():
        out = block(x)
        bounds = np.cumsum([0, ch1, ch3, ch5, pool])
        for branch, start, stop in zip(
            (block.branch1x1, block.branch3x3, block.branch5x5, block.branch_pool), bounds[:-1], bounds[1:]
        ):
            torch.testing.assert_close(out[:, start:stop], branch(x), rtol=0, atol=0)


def test_inception_pool_branch_pools_before_projecting():
    block = InceptionBlock(4, 2, 2, 2, 2, 2, 3)
    x = torch.randn(1, 4, 5, 5)
    with torch.no_grad():
        proj = block.branch_pool[1][0]
        expected = F.relu(F.conv2d(F.max_pool2d(x, 3, stride=1, padding=1), proj.weight, proj.bias))
        torch.testing.assert_close(block(x)[:, -3:], expected)


# ============================================================================= XceptionBlock

XCEPTION_CASES = [
    # (C_in, C_out, repeats, stride, start_with_relu, grow_first)
    (16, 16, 3, 1, True, True),  # middle flow: identity shortcut
    (8, 16, 2, 2, False, True),  # entry flow, first block
    (16, 32, 2, 2, True, True),  # entry flow
    (16, 24, 2, 2, True, False),  # exit flow
    (16, 24, 2, 1, True, True),  # channel change at stride 1: conv shortcut
    (16, 16, 1, 2, True, True),  # stride 2, same channels: conv shortcut
    (12, 20, 3, 1, False, False),
]
XCEPTION_IDS = [
    f"{ci}to{co}_r{r}_s{s}{'_relu' if relu else '_norelu'}{'_growfirst' if grow else '_growlast'}"
    for ci, co, r, s, relu, grow in XCEPTION_CASES
]


@pytest.mark.parametrize("case", XCEPTION_CASES, ids=XCEPTION_IDS)
def test_xception_block(case):
    c_in, c_out, repeats, stride, start_with_relu, grow_first = case
    block = XceptionBlock(c_in, c_out, repeats, stride=stride, start_with_relu=start_with_relu, grow_first=grow_first)
    _randomise_norms(block).eval()

    # body: [ReLU] sepconv BN, repeated; channel change first or last; max pool when strided
    layers = list(block.body)
    separables = [m for m in layers if isinstance(m, DepthwiseSeparableConv2d)]
    widths = [(s.depthwise.in_channels, s.pointwise.out_channels) for s in separables]
    if grow_first:
        assert widths == [(c_in, c_out)] + [(c_out, c_out)] * (repeats - 1)
    else:
        assert widths == [(c_in, c_in)] * (repeats - 1) + [(c_in, c_out)]
    for s in separables:
        assert s.depthwise.kernel_size == (3, 3) and s.depthwise.stride == (1, 1)
        assert isinstance(s.norm1, nn.Identity) and isinstance(s.act1, nn.Identity)  # nothing between the steps
        assert isinstance(s.norm2, nn.BatchNorm2d) and isinstance(s.act2, nn.Identity)
    assert sum(isinstance(m, nn.ReLU) for m in layers) == repeats - (0 if start_with_relu else 1)
    assert isinstance(layers[0], nn.ReLU) == start_with_relu
    assert isinstance(layers[-1], nn.MaxPool2d) == (stride != 1)

    # shortcut
    if stride == 1 and c_in == c_out:
        assert isinstance(block.shortcut, nn.Identity)
    else:
        conv, bn = block.shortcut
        assert isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d)
        assert (conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride) == (c_in, c_out, (1, 1), (stride, stride))

    # function and shape
    for size in (8, 9):
        x = torch.randn(2, c_in, size, size)
        x_copy = x.clone()
        with torch.no_grad():
            out = block(x)
            expected = block.body(x) + (x if isinstance(block.shortcut, nn.Identity) else block.shortcut(x))
        expected_size = math.ceil(size / stride)
        assert tuple(out.shape) == (2, c_out, expected_size, expected_size)
        torch.testing.assert_close(out, expected)
        torch.testing.assert_close(x, x_copy, rtol=0, atol=0)  # the input is not modified in place


def test_xception_rejects_zero_repeats():
    with pytest.raises(ValueError, match="repeats"):
        XceptionBlock(8, 8, 0)


# ============================================================================= MobileNetV1

V1_CHANNELS = (32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024)  # Table 1
V1_STRIDES = (2, 1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1)  # the full conv, then the 13 depthwise convs


def _v1_layers(model: MobileNetV1):
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    return convs, linears


def test_mobilenet_v1_has_the_papers_28_layers():
    model = MobileNetV1()
    convs, linears = _v1_layers(model)
    kinds = []
    for conv in convs:
        if conv.groups == 1 and conv.kernel_size == (3, 3):
            kinds.append("full")
        elif conv.groups == conv.in_channels == conv.out_channels and conv.kernel_size == (3, 3):
            kinds.append("dw")
        elif conv.groups == 1 and conv.kernel_size == (1, 1):
            kinds.append("pw")
        else:
            kinds.append(f"unexpected {conv}")
    assert kinds == ["full"] + ["dw", "pw"] * 13
    assert len(convs) + len(linears) == 28  # "Counting depthwise and pointwise convolutions as separate layers"
    assert len(linears) == 1 and linears[0].in_features == 1024 and linears[0].out_features == 1000

    strides = [c.stride[0] for c in convs if c.kernel_size == (3, 3)]
    assert tuple(strides) == V1_STRIDES
    assert all(c.stride == (1, 1) for c in convs if c.kernel_size == (1, 1))
    assert convs[0].in_channels == 3
    assert all(c.bias is None for c in convs)
    # each convolution is followed by BatchNorm and ReLU
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    assert len(bns) == len(relus) == 27
    assert [b.num_features for b in bns] == [c.out_channels for c in convs]


V1_WIDTH_CASES = {
    # the paper's multipliers scale Table 1 exactly
    **{alpha: tuple(round(c * alpha) for c in V1_CHANNELS) for alpha in (0.25, 0.5, 0.75, 1.0)},
    # other multipliers: C -> max(8, int(alpha * C)), as documented
    0.3: (9, 19, 38, 38, 76, 76, 153, 153, 153, 153, 153, 153, 307, 307),
    0.1: (8, 8, 12, 12, 25, 25, 51, 51, 51, 51, 51, 51, 102, 102),
}


@pytest.mark.parametrize("alpha", list(V1_WIDTH_CASES), ids=lambda a: f"alpha{a}")
def test_mobilenet_v1_width_multiplier_scales_every_layer(alpha):
    widths = V1_WIDTH_CASES[alpha]
    model = MobileNetV1(num_classes=10, width_multiplier=alpha)
    convs, (fc,) = _v1_layers(model)
    assert [c.out_channels for c in convs if c.kernel_size == (1, 1)] == list(widths[1:])
    assert convs[0].out_channels == widths[0]
    assert [c.in_channels for c in convs if c.groups > 1] == list(widths[:-1])
    assert fc.in_features == widths[-1] and fc.out_features == 10


@pytest.mark.parametrize(
    "alpha, size", [(0.25, 96), (0.25, 128), (0.25, 160), (1.0, 96), (0.5, 32), (0.5, (64, 96))],
    ids=["0.25-96", "0.25-128", "0.25-160", "1.0-96", "0.5-32", "0.5-64x96"],
)
def test_mobilenet_v1_any_resolution(alpha, size):
    h, w = (size, size) if isinstance(size, int) else size
    model = MobileNetV1(num_classes=10, width_multiplier=alpha).eval()
    x = torch.randn(2, 3, h, w)
    with torch.no_grad():
        features = model.features(x)
        out = model(x)
    assert tuple(features.shape) == (2, round(1024 * alpha), math.ceil(h / 32), math.ceil(w / 32))
    assert tuple(out.shape) == (2, 10)
    assert torch.isfinite(out).all()


def test_mobilenet_v1_num_classes_and_in_channels():
    model = MobileNetV1(num_classes=7, width_multiplier=0.25, in_channels=1).eval()
    assert model.features[0][0].in_channels == 1
    with torch.no_grad():
        assert tuple(model(torch.randn(3, 1, 64, 64)).shape) == (3, 7)


@pytest.mark.parametrize("model_type", [MobileNetV1, MobileNetV2])
@pytest.mark.parametrize("alpha", [0.0, -0.5])
def test_mobilenets_reject_non_positive_width(model_type, alpha):
    with pytest.raises(ValueError, match=_all_of("width_multiplier", "positive")):
        model_type(width_multiplier=alpha)


# ============================================================================= MobileNetV2

# Table 2, block by block: (C_in, C_out, stride, expansion t)
V2_BLOCKS = (
    [(32, 16, 1, 1)]
    + [(16, 24, 2, 6), (24, 24, 1, 6)]
    + [(24, 32, 2, 6), (32, 32, 1, 6), (32, 32, 1, 6)]
    + [(32, 64, 2, 6)] + [(64, 64, 1, 6)] * 3
    + [(64, 96, 1, 6)] + [(96, 96, 1, 6)] * 2
    + [(96, 160, 2, 6)] + [(160, 160, 1, 6)] * 2
    + [(160, 320, 1, 6)]
)


def _blocks(model: MobileNetV2) -> list[InvertedResidual]:
    return [m for m in model.modules() if isinstance(m, InvertedResidual)]


def _block_summary(block: InvertedResidual) -> tuple[int, int, int, int]:
    c_in = block.expand[0].in_channels if isinstance(block.expand, nn.Sequential) else block.separable.depthwise.in_channels
    hidden = block.separable.depthwise.in_channels
    return c_in, block.separable.pointwise.out_channels, block.separable.depthwise.stride[0], hidden // c_in


def test_mobilenet_v2_follows_table_2():
    model = MobileNetV2()
    blocks = _blocks(model)
    assert len(blocks) == 17
    assert [_block_summary(b) for b in blocks] == V2_BLOCKS
    stem = model.features[0]
    assert (stem[0].in_channels, stem[0].out_channels, stem[0].kernel_size, stem[0].stride) == (3, 32, (3, 3), (2, 2))
    assert isinstance(stem[2], nn.ReLU6)
    head = model.features[-1]
    assert (head[0].in_channels, head[0].out_channels, head[0].kernel_size) == (320, 1280, (1, 1))
    assert (model.classifier.in_features, model.classifier.out_features) == (1280, 1000)


def test_mobilenet_v2_parameter_count_is_the_reference_one():
    # torchvision.models.mobilenet_v2(): 3,504,872 parameters (BatchNorm affine and the classifier's bias included)
    assert _n_params(MobileNetV2()) == 3_504_872


def test_mobilenet_v2_blocks_are_linear_bottlenecks():
    for block in _blocks(MobileNetV2(width_multiplier=0.5)):
        c_in, _, _, t = _block_summary(block)
        if t == 1:
            assert isinstance(block.expand, nn.Identity)
        else:
            conv, bn, act = block.expand
            assert conv.kernel_size == (1, 1) and conv.out_channels == c_in * t and conv.bias is None
            assert isinstance(bn, nn.BatchNorm2d) and isinstance(act, nn.ReLU6)
        sep = block.separable
        assert sep.depthwise.kernel_size == (3, 3) and sep.depthwise.groups == sep.depthwise.in_channels
        assert isinstance(sep.norm1, nn.BatchNorm2d) and isinstance(sep.act1, nn.ReLU6)
        assert isinstance(sep.norm2, nn.BatchNorm2d) and isinstance(sep.act2, nn.Identity)  # linear projection


def test_mobilenet_v2_residuals_exactly_where_shapes_match():
    blocks = _blocks(MobileNetV2())
    flags = [b.use_residual for b in blocks]
    assert flags == [stride == 1 and c_in == c_out for c_in, c_out, stride, _ in V2_BLOCKS]
    assert sum(flags) == 10


INVERTED_CASES = [
    # (C_in, C_out, stride, t, residual)
    (16, 16, 1, 6, True),
    (16, 16, 1, 1, True),
    (16, 24, 1, 6, False),
    (16, 16, 2, 6, False),
    (8, 12, 2, 3, False),
]


@pytest.mark.parametrize(
    "c_in, c_out, stride, t, residual", INVERTED_CASES,
    ids=[f"{a}to{b}_s{s}_t{t}_{'residual' if r else 'plain'}" for a, b, s, t, r in INVERTED_CASES],
)
def test_inverted_residual_function(c_in, c_out, stride, t, residual):
    block = InvertedResidual(c_in, c_out, stride, t).double()
    _randomise_norms(block).eval()
    assert block.use_residual == residual
    assert block.separable.depthwise.in_channels == c_in * t
    x = torch.randn(2, c_in, 8, 8, dtype=torch.float64)
    with torch.no_grad():
        hidden = x if t == 1 else F.relu6(block.expand[1](F.conv2d(x, block.expand[0].weight)))
        sep = block.separable
        mid = F.relu6(sep.norm1(F.conv2d(hidden, sep.depthwise.weight, stride=stride, padding=1, groups=c_in * t)))
        y = sep.norm2(F.conv2d(mid, sep.pointwise.weight))
        expected = x + y if residual else y
        out = block(x)
    _close(out, expected, "inverted residual")
    assert tuple(out.shape) == (2, c_out, 8 // stride, 8 // stride)


@pytest.mark.parametrize("expansion", [1, 4], ids=lambda e: f"t{e}")
def test_mobilenet_v2_expansion_factor_is_honoured(expansion):
    model = MobileNetV2(width_multiplier=0.35, expansion=expansion)
    ratios = [_block_summary(b)[3] for b in _blocks(model)]
    assert ratios == [1] + [expansion] * 16  # the first block's expansion is always 1


@pytest.mark.parametrize(
    "alpha, stem, widths, last",
    [
        (0.35, 16, (8, 8, 16, 24, 32, 56, 112), 1280),
        (0.5, 16, (8, 16, 16, 32, 48, 80, 160), 1280),
        (0.75, 24, (16, 24, 24, 48, 72, 120, 240), 1280),
        (1.4, 48, (24, 32, 48, 88, 136, 224, 448), 1792),
    ],
    ids=["alpha0.35", "alpha0.5", "alpha0.75", "alpha1.4"],
)
def test_mobilenet_v2_width_multiplier(alpha, stem, widths, last):
    model = MobileNetV2(num_classes=10, width_multiplier=alpha)
    assert model.features[0][0].out_channels == stem
    blocks = _blocks(model)
    stage_starts = (0, 1, 3, 6, 10, 13, 16)  # the first block of each row of Table 2
    assert tuple(_block_summary(blocks[i])[1] for i in stage_starts) == widths
    for start, stop in zip(stage_starts, stage_starts[1:] + (17,)):
        assert {_block_summary(b)[1] for b in blocks[start:stop]} == {_block_summary(blocks[start])[1]}
    assert model.features[-1][0].out_channels == last and model.classifier.in_features == last


@pytest.mark.parametrize(
    "alpha, size, in_channels", [(0.35, 32, 3), (0.5, 64, 3), (0.35, 48, 1)], ids=["0.35-32", "0.5-64", "0.35-48-gray"]
)
def test_mobilenet_v2_forward(alpha, size, in_channels):
    model = MobileNetV2(num_classes=10, width_multiplier=alpha, in_channels=in_channels).eval()
    x = torch.randn(2, in_channels, size, size)
    with torch.no_grad():
        assert tuple(model.features(x).shape[2:]) == (math.ceil(size / 32),) * 2
        out = model(x)
    assert tuple(out.shape) == (2, 10) and torch.isfinite(out).all()


def _make_divisible_rule(value: float, divisor: int = 8) -> int:
    """The rule written out: the nearest multiple (ties up), at least `divisor`, not below 90% of value."""
    candidates = [divisor * k for k in range(1, int(value // divisor) + 3)]
    nearest = min(candidates, key=lambda c: (abs(c - value), -c))
    return nearest if nearest >= 0.9 * value else nearest + divisor


@pytest.mark.parametrize(
    "value, divisor, expected",
    [
        (32 * 0.35, 8, 16),  # 11.2: nearest multiple 8 is below 90% (10.08), so 16
        (16 * 0.35, 8, 8),  # 5.6: at least the divisor
        (24 * 0.35, 8, 8),  # 8.4
        (64 * 0.35, 8, 24),  # 22.4
        (96 * 0.75, 8, 72),
        (1280 * 1.4, 8, 1792),
        (10, 8, 16),  # 8 < 9
        (12, 8, 16),  # ties round up
        (35.9, 8, 40),  # 32 < 32.31
        (3, 8, 8),
        (100, 16, 96),
        (13, 4, 12),
    ],
    ids=["32x0.35", "16x0.35", "24x0.35", "64x0.35", "96x0.75", "1280x1.4", "10", "12", "35.9", "3", "100_div16", "13_div4"],
)
def test_make_divisible_examples(value, divisor, expected):
    assert make_divisible(value, divisor) == expected
    assert _make_divisible_rule(value, divisor) == expected


@settings(max_examples=200, deadline=None)
@given(value=st.floats(0.5, 4000, allow_nan=False), divisor=st.sampled_from([4, 8, 16]))
def test_make_divisible_rule(value, divisor):
    got = make_divisible(value, divisor)
    assert isinstance(got, int)
    assert got % divisor == 0 and got >= divisor and got >= 0.9 * value
    if value >= divisor:
        assert abs(got - value) < divisor + 1e-9  # never more than one step away


# ============================================================================= gradients


def _gradients(model: nn.Module, x: torch.Tensor, train: bool) -> dict[str, torch.Tensor]:
    model.train(train)
    model.zero_grad(set_to_none=True)
    out = model(x)
    loss = (out * torch.randn_like(out)).sum()
    loss.backward()
    grads = {}
    for name, p in model.named_parameters():
        assert p.grad is not None, f"no gradient for {name} ({'train' if train else 'eval'} mode)"
        assert torch.isfinite(p.grad).all(), f"non-finite gradient for {name} ({'train' if train else 'eval'} mode)"
        grads[name] = p.grad
    return grads


def _check_gradients(model: nn.Module, x: torch.Tensor) -> None:
    # Training mode: every parameter gets a finite gradient. (Some may be exactly zero there: a
    # bias followed, through 1x1 convolutions and residual sums, only by training-mode BatchNorm
    # is invisible to the loss, since BatchNorm removes per-channel shifts.)
    grads = _gradients(model, x, train=True)
    assert sum(float(g.abs().sum()) for g in grads.values()) > 0
    # Evaluation mode (BatchNorm a fixed affine map): every parameter influences the loss.
    for name, grad in _gradients(model, x, train=False).items():
        assert grad.abs().sum() > 0, f"zero gradient for {name} in eval mode"


GRADIENT_CASES = {
    "dsc2d_plain_bias": (lambda: DepthwiseSeparableConv2d(4, 6, 3, stride=2, depth_multiplier=2, bias=True), (2, 4, 9, 9)),
    "dsc2d_bn_relu_se": (
        lambda: DepthwiseSeparableConv2d(4, 8, 5, norm_layer=nn.BatchNorm2d, activation=nn.ReLU, se_after="depthwise"),
        (2, 4, 8, 8),
    ),
    "dsc1d_bn_se_pointwise": (
        lambda: DepthwiseSeparableConv1d(3, 8, 5, norm_layer=nn.BatchNorm1d, activation=nn.ReLU6, se_after="pointwise"),
        (2, 3, 20),
    ),
    "dsc3d": (lambda: DepthwiseSeparableConv3d(2, 4, 3, depth_multiplier=2, bias=True), (2, 2, 5, 5, 5)),
    "squeeze_excite": (lambda: SqueezeExcite(8, 2), (2, 8, 4, 4)),
    "inception_separable": (lambda: InceptionBlock(8, 4, 6, 8, 2, 4, 3, separable=True), (2, 8, 6, 6)),
    "xception_block": (lambda: XceptionBlock(8, 16, 2, stride=2), (2, 8, 8, 8)),
    "inverted_residual": (lambda: InvertedResidual(8, 8, 1, 6), (2, 8, 6, 6)),
    "mobilenet_v2_0.35": (lambda: MobileNetV2(num_classes=10, width_multiplier=0.35), (2, 3, 32, 32)),
}


@pytest.mark.parametrize("name", list(GRADIENT_CASES))
def test_gradients_flow_to_every_parameter(name):
    factory, shape = GRADIENT_CASES[name]
    _check_gradients(factory(), torch.randn(*shape))
