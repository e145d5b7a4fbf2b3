"""The cost formulas against hand counts, closed forms and the hook-based profiler."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from dsconv_lib import cost
from dsconv_lib.nn import (
    DepthwiseSeparableConv2d,
    InceptionBlock,
    MobileNetV1,
    MobileNetV2,
    SqueezeExcite,
    XceptionBlock,
)

# ----------------------------------------------------------------------------- hand counts


def test_standard_conv_hand_count():
    # MobileNetV1's first layer: 3x3, 3 -> 32, stride 2, 224x224 -> 112x112.
    c = cost.conv(3, 32, 3, 224, stride=2, padding=1)
    assert c.params == 3 * 3 * 3 * 32 == 864
    assert c.macs == 112 * 112 * 32 * (3 * 3 * 3) == 10_838_016
    assert c.flops == 2 * c.macs
    assert c.bytes == 4 * (3 * 224 * 224 + 864 + 32 * 112 * 112)


def test_bias_adds_parameters_not_macs():
    plain, biased = cost.conv(16, 8, 3, 10, padding=1), cost.conv(16, 8, 3, 10, padding=1, bias=True)
    assert biased.params - plain.params == 8
    assert biased.macs == plain.macs


def test_grouped_conv_divides_by_groups():
    full = cost.conv(32, 64, 3, 14, padding=1)
    grouped = cost.conv(32, 64, 3, 14, padding=1, groups=4)
    assert grouped.params * 4 == full.params == 64 * 32 * 9
    assert grouped.macs * 4 == full.macs


def test_depthwise_and_pointwise_hand_counts():
    dw = cost.depthwise_conv(32, 3, 112, padding=1, depth_multiplier=2)
    assert dw.params == 32 * 2 * 9
    assert dw.macs == 112 * 112 * 64 * 9
    pw = cost.pointwise_conv(32, 64, 112)
    assert pw.params == 32 * 64
    assert pw.macs == 112 * 112 * 32 * 64
    assert cost.pointwise_conv(32, 64, 112, stride=2).macs == 56 * 56 * 32 * 64


def test_separable_is_depthwise_plus_pointwise_and_fusion_saves_the_intermediate():
    sep = cost.separable_conv(64, 128, 3, 112, stride=2, padding=1)
    dw = cost.depthwise_conv(64, 3, 112, stride=2, padding=1)
    pw = cost.pointwise_conv(64, 128, 56)
    assert sep == dw + pw
    fused = cost.separable_conv(64, 128, 3, 112, stride=2, padding=1, fused=True)
    intermediate_bytes = 64 * 56 * 56 * 4
    assert (fused.params, fused.macs) == (sep.params, sep.macs)
    assert sep.bytes - fused.bytes == 2 * intermediate_bytes
    assert fused.bytes == 4 * (64 * 112 * 112 + sep.params + 128 * 56 * 56)


def test_batch_scales_macs_and_activations_not_params():
    one, eight = cost.separable_conv(32, 64, 3, 28, padding=1), cost.separable_conv(32, 64, 3, 28, padding=1, batch=8)
    assert eight.params == one.params
    assert eight.macs == 8 * one.macs
    weights_bytes = 4 * one.params
    assert eight.bytes - weights_bytes == 8 * (one.bytes - weights_bytes)  # activations scale, weights do not


def test_bytes_per_element():
    assert cost.conv(8, 8, 3, 16, padding=1, bytes_per_element=2).bytes * 2 == cost.conv(8, 8, 3, 16, padding=1).bytes


def test_spatially_separable_2d_counts_2k_against_k_squared():
    channels, k, size = 8, 5, 32
    sep = cost.spatially_separable_conv(channels, k, size, padding="same")
    full = cost.depthwise_conv(channels, k, size, padding="same")
    assert sep.params == channels * 2 * k
    assert full.params == channels * k * k
    assert sep.macs == channels * size * size * 2 * k  # 'same' keeps every pass at 32x32
    assert sep.macs / full.macs == pytest.approx(2 / k)


def test_spatially_separable_3d_is_three_k_against_k_cubed():
    channels, k = 4, 3
    sep = cost.spatially_separable_conv(channels, k, (8, 8, 8), padding="same")
    full = cost.depthwise_conv(channels, k, (8, 8, 8), padding="same")
    assert sep.params == channels * 3 * k
    assert sep.macs / full.macs == pytest.approx(3 / k**2)


def test_spatially_separable_valid_padding_shrinks_between_passes():
    # Column pass: 10x12 -> 8x12 (kH = 3); row pass: 8x12 -> 8x8 (kW = 5).
    c = cost.spatially_separable_conv(2, (3, 5), (10, 12))
    assert c.macs == 2 * (8 * 12 * 3 + 8 * 8 * 5)
    assert c.bytes == 4 * ((2 * 10 * 12 + 6 + 2 * 8 * 12) + (2 * 8 * 12 + 10 + 2 * 8 * 8))


def test_linear_batchnorm_pool():
    assert cost.linear(1024, 1000) == cost.Cost(1024 * 1000 + 1000, 1024 * 1000, 4 * (1024 + 1_025_000 + 1000))
    assert cost.linear(1024, 1000, bias=False, batch=2).macs == 2 * 1024 * 1000
    bn = cost.batchnorm(32, (7, 7), batch=2)
    assert (bn.params, bn.macs) == (64, 2 * 32 * 49)
    p = cost.pool(16, 8, 2, stride=2)
    assert (p.params, p.macs, p.bytes) == (0, 0, 4 * (16 * 64 + 16 * 16))


def test_squeeze_excite_hand_count():
    se = cost.squeeze_excite(64, 4, 14)
    assert cost.squeeze_excite_channels(64, 4) == 16
    assert se.params == 2 * 64 * 16 + 16 + 64
    assert se.macs == 2 * 64 * 16
    assert cost.squeeze_excite(64, 4, 14, bias=False).params == 2 * 64 * 64 // 4
    assert cost.squeeze_excite_channels(3, 16) == 1  # never zero channels


def test_inception_3a_matches_googlenet_table_1():
    # Szegedy et al. 2015, Table 1, inception (3a) at 28x28x192: 159K params, 128M ops.
    # The table counts weights only, with K = 1024: 163,328 weights = 159.5K, printed as 159K.
    c = cost.inception_block(192, 64, 96, 128, 16, 32, 32, 28, bias=False)
    weights = 192 * 64 + 192 * 96 + 96 * 128 * 9 + 192 * 16 + 16 * 32 * 25 + 192 * 32
    assert c.params == weights
    assert c.params // 1024 == 159
    assert round(c.macs / 1e6) == 128
    assert c.macs == weights * 28 * 28  # every layer keeps 28x28, so MACs = weights x pixels


def test_separable_inception_is_cheaper_by_the_dsc_ratio_on_its_spatial_convs():
    standard = cost.inception_block(192, 64, 96, 128, 16, 32, 32, 28)
    separable = cost.inception_block(192, 64, 96, 128, 16, 32, 32, 28, separable=True)
    saved = (cost.conv(96, 128, 3, 28, padding=1).macs - cost.separable_conv(96, 128, 3, 28, padding=1).macs) + (
        cost.conv(16, 32, 5, 28, padding=2).macs - cost.separable_conv(16, 32, 5, 28, padding=2).macs
    )
    assert standard.macs - separable.macs == saved


def test_cost_arithmetic_and_intensity():
    a, b = cost.Cost(1, 10, 100), cost.Cost(2, 20, 300)
    assert a + b == cost.Cost(3, 30, 400)
    assert (a + b).arithmetic_intensity == pytest.approx(60 / 400)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: cost.conv(6, 8, 3, 10, groups=4), "groups=4 must divide"),
        (lambda: cost.conv(4, 8, 7, 5), "kernel does not fit"),
        (lambda: cost.conv(4, 8, 3, 10, stride=0), "stride must be positive"),
        (lambda: cost.conv(4, 8, 3, 10, stride=2, padding="same"), "padding='same' needs stride 1"),
    ],
    ids=["groups-not-dividing", "kernel-too-large", "zero-stride", "same-with-stride"],
)
def test_cost_rejects_bad_configurations(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ----------------------------------------------------------------------------- the DSC ratio

configs = st.fixed_dictionaries(
    {
        "c_in": st.integers(1, 512),
        "c_out": st.integers(1, 512),
        "k": st.sampled_from([1, 3, 5, 7]),
        "size": st.integers(7, 64),
        "stride": st.sampled_from([1, 2]),
    }
)


@settings(max_examples=200, deadline=None)
@given(configs)
def test_ratio_equals_closed_form_for_any_configuration(cfg):
    k = cfg["k"]
    kwargs = {"stride": cfg["stride"], "padding": k // 2}
    measured = cost.separable_to_standard_ratio(cfg["c_in"], cfg["c_out"], k, cfg["size"], **kwargs)
    assert measured == pytest.approx(cost.separable_ratio_closed_form(cfg["c_out"], k), rel=1e-12)
    # The same ratio holds for parameters (no biases).
    sep = cost.separable_conv(cfg["c_in"], cfg["c_out"], k, cfg["size"], **kwargs)
    std = cost.conv(cfg["c_in"], cfg["c_out"], k, cfg["size"], **kwargs)
    assert sep.params / std.params == pytest.approx(1 / cfg["c_out"] + 1 / k**2, rel=1e-12)


@pytest.mark.parametrize("m", [1, 2, 3])
def test_ratio_with_depth_multiplier_scales_by_m(m):
    measured = cost.separable_to_standard_ratio(24, 40, 5, 19, padding=2, stride=2, depth_multiplier=m)
    assert measured == pytest.approx(cost.separable_ratio_closed_form(40, 5, depth_multiplier=m), rel=1e-12)
    assert measured == pytest.approx(m * (1 / 40 + 1 / 25), rel=1e-12)


def test_ratio_closed_form_rectangular_kernel_and_known_value():
    assert cost.separable_ratio_closed_form(64, (3, 5)) == pytest.approx(1 / 64 + 1 / 15)
    assert cost.separable_to_standard_ratio(32, 64, (3, 5), (20, 30), padding=(1, 2)) == pytest.approx(1 / 64 + 1 / 15)
    # MobileNet's 3x3 layers: 8 to 9 times fewer MACs for C_out around 512.
    assert 1 / cost.separable_ratio_closed_form(512, 3) == pytest.approx(8.84, abs=0.01)


# ----------------------------------------------------------------------------- roofline


def test_roofline_memory_and_compute_bound():
    peak, bandwidth = 1e12, 1e11  # ridge at 10 FLOP/byte
    assert cost.ridge_point(peak, bandwidth) == 10
    low = cost.roofline(cost.Cost(0, 100, 1000), peak, bandwidth)  # 0.2 FLOP/byte
    assert low.bound == "memory"
    assert low.attainable_flops_per_s == pytest.approx(0.2 * bandwidth)
    assert low.min_time_s == pytest.approx(1000 / bandwidth)
    high = cost.roofline(cost.Cost(0, 10**6, 1000), peak, bandwidth)  # 2000 FLOP/byte
    assert high.bound == "compute"
    assert high.attainable_flops_per_s == peak
    assert high.min_time_s == pytest.approx(2e6 / peak)
    assert cost.attainable_flops_per_s(10, peak, bandwidth) == peak
    with pytest.raises(ValueError, match="must be positive"):
        cost.roofline(cost.Cost(0, 1, 1), 0, bandwidth)


def test_depthwise_has_lower_intensity_than_pointwise():
    dw = cost.depthwise_conv(256, 3, 28, padding=1)
    pw = cost.pointwise_conv(256, 256, 28)
    assert dw.arithmetic_intensity < 2.5 < 20 < pw.arithmetic_intensity


# ----------------------------------------------------------------------------- profile


def _independent_conv_macs(model: nn.Module, input_size) -> int:
    """MACs from output shapes alone: each output element of a conv is one dot product."""
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        if isinstance(module, nn.Conv2d):
            total += output.numel() * (module.in_channels // module.groups) * math.prod(module.kernel_size)
        elif isinstance(module, nn.Linear):
            total += output.numel() * module.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        model.eval()(torch.zeros(input_size))
    for h in handles:
        h.remove()
    return total


@pytest.mark.parametrize(
    "model_fn",
    [lambda: MobileNetV1(width_multiplier=0.5), lambda: MobileNetV2(width_multiplier=0.5),
     lambda: XceptionBlock(32, 64, 2, stride=2), lambda: InceptionBlock(32, 8, 8, 16, 4, 8, 8, separable=True)],
    ids=["mobilenet_v1", "mobilenet_v2", "xception_block", "inception_separable"],
)
def test_profile_counts_every_parameter_and_matches_independent_macs(model_fn):
    model = model_fn()
    size = (2, 3, 64, 64) if isinstance(model, (MobileNetV1, MobileNetV2)) else (2, 32, 16, 16)
    p = cost.profile(model, size)
    assert p.total_params == sum(t.numel() for t in model.parameters())
    bn_macs = sum(layer.macs for layer in p.layers if layer.kind == "batchnorm")
    assert p.total_macs - bn_macs == _independent_conv_macs(model, size)


def test_profile_conventions_switch_bias_and_batchnorm():
    model = MobileNetV2(width_multiplier=0.5)
    full = cost.profile(model, (1, 3, 64, 64))
    no_bias = cost.profile(model, (1, 3, 64, 64), count_bias=False)
    no_bn = cost.profile(model, (1, 3, 64, 64), count_batchnorm=False)
    biases = sum(m.bias.numel() for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None)
    bn = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert full.total_params - no_bias.total_params == biases
    assert full.total_macs == no_bias.total_macs
    assert full.total_params - no_bn.total_params == sum(2 * m.num_features for m in bn)
    assert not any(layer.kind == "batchnorm" for layer in no_bn.layers)
    assert len(full.layers) - len(no_bn.layers) == len(bn)


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("multiplier", [1, 2])
def test_profile_of_separable_block_equals_cost_formula(stride, multiplier):
    block = DepthwiseSeparableConv2d(12, 20, 5, stride=stride, depth_multiplier=multiplier, bias=True)
    p = cost.profile(block, (3, 12, 17, 17))
    c = cost.separable_conv(12, 20, 5, 17, stride=stride, padding=2, depth_multiplier=multiplier, bias=True, batch=3)
    assert (p.total_params, p.total_macs) == (c.params, c.macs)
    assert [layer.kind for layer in p.layers] == ["conv dw 5x5", "conv 1x1"]


@pytest.mark.parametrize("separable", [False, True], ids=["standard", "separable"])
def test_profile_of_inception_block_equals_cost_formula(separable):
    block = InceptionBlock(192, 64, 96, 128, 16, 32, 32, separable=separable)
    p = cost.profile(block, (1, 192, 28, 28))
    c = cost.inception_block(192, 64, 96, 128, 16, 32, 32, 28, separable=separable)
    assert (p.total_params, p.total_macs) == (c.params, c.macs)


def test_profile_of_squeeze_excite_equals_cost_formula():
    p = cost.profile(SqueezeExcite(96, 4), (2, 96, 14, 14))
    c = cost.squeeze_excite(96, 4, 14, batch=2)
    assert (p.total_params, p.total_macs) == (c.params, c.macs)


def test_shared_module_counts_parameters_once_and_macs_per_call():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 3, padding=1)

        def forward(self, x):
            return self.conv(self.conv(x))

    p = cost.profile(Twice(), (1, 4, 8, 8))
    assert len(p.layers) == 2
    assert p.total_params == 4 * 4 * 9 + 4
    assert p.total_macs == 2 * 8 * 8 * 4 * 4 * 9


def test_profile_warns_on_layers_without_mac_formula_and_counts_their_parameters():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.PReLU(8))
    with pytest.warns(UserWarning, match="PReLU"):
        p = cost.profile(model, (1, 3, 8, 8))
    assert p.total_params == sum(t.numel() for t in model.parameters())


def test_profile_restores_training_mode_and_leaves_batchnorm_statistics_alone():
    model = MobileNetV1(width_multiplier=0.25).train()
    before = [b.running_mean.clone() for b in model.modules() if isinstance(b, nn.BatchNorm2d)]
    cost.profile(model, (1, 3, 32, 32))
    assert model.training
    after = [b.running_mean for b in model.modules() if isinstance(b, nn.BatchNorm2d)]
    assert all(torch.equal(a, b) for a, b in zip(before, after))


def test_profile_prints_a_table_and_html():
    p = cost.profile(DepthwiseSeparableConv2d(8, 16, 3, bias=True), (1, 8, 10, 10))
    text = str(p)
    assert "depthwise" in text and "pointwise" in text and "total" in text
    assert f"{p.total_macs:,}" in text
    assert "1 MAC = 2 FLOPs" in text
    html = p._repr_html_()
    assert html.startswith("<table>") and "pointwise" in html and f"{p.total_params:,}" in html
    shares = p.by_kind()
    assert sum(k.macs_share for k in shares) == pytest.approx(1)
    assert sum(k.params for k in shares) == p.total_params


def test_profile_rejects_an_input_size_without_batch_and_channels():
    with pytest.raises(ValueError, match="batch and channel"):
        cost.profile(nn.Linear(3, 3), (3,))


def test_no_warning_for_known_layers():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cost.profile(MobileNetV2(width_multiplier=0.35), (1, 3, 32, 32))
