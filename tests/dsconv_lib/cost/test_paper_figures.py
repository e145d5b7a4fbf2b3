"""Published MobileNet cost figures, recounted by dsconv_lib.cost.profile.

The papers' convention: Mult-Adds are the MACs of convolutions and the
classifier; BatchNorm is folded into the convolutions (not counted) and biases
are not counted as parameters. profile(..., count_bias=False, count_batchnorm=False).

Where a published figure is printed with too few digits for a 1% comparison
(0.5M parameters stands for anything in [0.45M, 0.55M)), the test checks it at
the precision it was printed with; where a published figure disagrees with the
recount under any convention, the test states the disagreement explicitly.
"""

from __future__ import annotations

import functools

import pytest

from dsconv_lib.cost import profile
from dsconv_lib.nn import MobileNetV1, MobileNetV2

PAPER_CONVENTION = {"count_bias": False, "count_batchnorm": False}


@functools.lru_cache(maxsize=None)
def v1(width: float, resolution: int):
    return profile(MobileNetV1(width_multiplier=width), (1, 3, resolution, resolution), **PAPER_CONVENTION)


@functools.lru_cache(maxsize=None)
def v2(width: float):
    return profile(MobileNetV2(width_multiplier=width), (1, 3, 224, 224), **PAPER_CONVENTION)


def agrees_at_printed_precision(value: float, printed: float, decimals: int) -> bool:
    """True when `value` would be printed as `printed` with `decimals` decimals."""
    return abs(value - printed) <= 0.5 * 10**-decimals


# Howard et al. 2017, Table 6 (width multiplier, 224x224): Mult-Adds (M), parameters (M).
TABLE_6 = [(1.0, 569, 4.2), (0.75, 325, 2.6), (0.5, 149, 1.3), (0.25, 41, 0.5)]
# Howard et al. 2017, Table 7 (resolution, width 1.0): Mult-Adds (M), parameters (M).
TABLE_7 = [(224, 569, 4.2), (192, 418, 4.2), (160, 290, 4.2), (128, 186, 4.2)]


@pytest.mark.parametrize("width, mult_adds, params", TABLE_6, ids=[f"{w}-MobileNet-224" for w, _, _ in TABLE_6])
def test_mobilenet_v1_width_table(width, mult_adds, params):
    p = v1(width, 224)
    assert p.total_macs / 1e6 == pytest.approx(mult_adds, rel=0.01), f"Mult-Adds {p.total_macs / 1e6:.1f}M"
    counted = p.total_params / 1e6
    assert agrees_at_printed_precision(counted, params, 1), f"params {counted:.3f}M against {params}M"
    if width == 1.0:
        assert counted == pytest.approx(params, rel=0.01)


@pytest.mark.parametrize("resolution, mult_adds, params", TABLE_7, ids=[f"1.0-MobileNet-{r}" for r, _, _ in TABLE_7])
def test_mobilenet_v1_resolution_table(resolution, mult_adds, params):
    p = v1(1.0, resolution)
    assert p.total_macs / 1e6 == pytest.approx(mult_adds, rel=0.01), f"Mult-Adds {p.total_macs / 1e6:.1f}M"
    assert p.total_params / 1e6 == pytest.approx(params, rel=0.01)


def test_mobilenet_v1_exact_recount():
    p = v1(1.0, 224)
    assert p.total_macs == 568_740_352
    assert p.total_params == 4_209_088  # 4,231,976 with BatchNorm and the classifier's bias


def test_mobilenet_v1_resources_by_layer_type_table_2():
    # Howard et al. 2017, Table 2: share of Mult-Adds and parameters by layer type (%).
    shares = {k.kind: k for k in v1(1.0, 224).by_kind()}
    published = {"conv 1x1": (94.86, 74.59), "conv dw 3x3": (3.06, 1.06), "linear": (0.18, 24.33)}
    for kind, (macs_share, params_share) in published.items():
        assert 100 * shares[kind].macs_share == pytest.approx(macs_share, abs=0.01), kind
        assert 100 * shares[kind].params_share == pytest.approx(params_share, abs=0.01), kind
    assert 100 * shares["conv 3x3"].params_share == pytest.approx(0.02, abs=0.01)
    # The published 1.19% for the full 3x3 convolution does not survive a recount:
    # 112 * 112 * 32 * 27 = 10.84M Mult-Adds is 1.91% of 568.7M. (The table's four
    # Mult-Add shares add up to 99.29%, not 100%.)
    assert shares["conv 3x3"].macs == 10_838_016
    assert 100 * shares["conv 3x3"].macs_share == pytest.approx(1.91, abs=0.01)


def test_mobilenet_v2_1_0_224():
    # Sandler et al. 2018, Table 4: MobileNetV2 300M Mult-Adds, 3.4M parameters.
    p = v2(1.0)
    assert p.total_macs / 1e6 == pytest.approx(300, rel=0.01)
    assert p.total_macs == 300_774_272
    # The recount is 3.47M parameters, the figure the authors' TF-Slim release
    # lists for mobilenet_v2_1.0_224. The paper's "3.4M" is that figure cut to one
    # decimal (it is 2.0% below the recount, so no counting convention gives it
    # to 1%): check the truncation, and the recount itself.
    params = p.total_params / 1e6
    assert int(params * 10) / 10 == 3.4
    assert params == pytest.approx(3.47, rel=0.01)


def test_mobilenet_v2_1_4_224_mult_adds():
    # Sandler et al. 2018, Table 4: MobileNetV2 (1.4) 585M Mult-Adds.
    assert v2(1.4).total_macs / 1e6 == pytest.approx(585, rel=0.01)


def conv_mobilenet():
    """MobileNetV1 with every depthwise separable layer replaced by a full 3x3 convolution of the same shapes."""
    from torch import nn

    def conv_bn_relu(c_in, c_out, stride):
        return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())

    layers, channels = [conv_bn_relu(3, 32, 2)], 32
    for out_channels, stride in MobileNetV1.SEPARABLE_LAYERS:
        layers.append(conv_bn_relu(channels, out_channels, stride))
        channels = out_channels
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, 1000))


def test_conv_mobilenet_table_4():
    # Howard et al. 2017, Table 4: Conv MobileNet 4866M Mult-Adds, 29.3M parameters
    # (MobileNet: 569M, 4.2M, checked above).
    p = profile(conv_mobilenet(), (1, 3, 224, 224), **PAPER_CONVENTION)
    assert p.total_macs / 1e6 == pytest.approx(4866, rel=0.01), f"Mult-Adds {p.total_macs / 1e6:.1f}M"
    assert agrees_at_printed_precision(p.total_params / 1e6, 29.3, 1), f"params {p.total_params / 1e6:.3f}M"
    # The recount by hand: 112^2*3*9*32 for the first layer, sum of H'^2 * C_in * 9 * C_out
    # over the 13 replaced layers, 1024 * 1000 for the classifier.
    macs, channels, side = 112 * 112 * 27 * 32, 32, 112
    for out_channels, stride in MobileNetV1.SEPARABLE_LAYERS:
        side //= stride
        macs += side * side * channels * 9 * out_channels
        channels = out_channels
    assert p.total_macs == macs + 1024 * 1000
    # The separable network's saving, close to chapter 6's 8 to 9 times for wide layers.
    assert 8 < p.total_macs / v1(1.0, 224).total_macs < 9


@pytest.mark.parametrize("width", [1.0, 1.4, 0.35])
def test_inverted_residual_cost_formula_matches_profiler_on_every_v2_block(width):
    from torch import nn

    from dsconv_lib.cost import inverted_residual
    from dsconv_lib.nn import InvertedResidual

    model = MobileNetV2(width_multiplier=width)
    p = profile(model, (1, 3, 224, 224), **PAPER_CONVENTION)
    side, checked = 112, 0
    for index, block in enumerate(model.features):
        if not isinstance(block, InvertedResidual):
            continue
        hidden = block.separable.depthwise.in_channels
        c_in = block.expand[0].in_channels if isinstance(block.expand, nn.Sequential) else hidden  # t = 1: no expansion
        c_out, stride = block.separable.pointwise.out_channels, block.separable.depthwise.stride[0]
        formula = inverted_residual(c_in, c_out, hidden // c_in, side, stride=stride)
        prefix = f"features.{index}."
        assert formula.macs == sum(layer.macs for layer in p.layers if layer.name.startswith(prefix)), index
        assert formula.params == sum(layer.params for layer in p.layers if layer.name.startswith(prefix)), index
        # The closed form of the chapter: t C_in (H W C_in [t > 1] + H'W' (k^2 + C_out)), t C_in (C_in [t > 1] + k^2 + C_out).
        t, out = hidden // c_in, -(-side // stride)
        expand = c_in if t > 1 else 0
        assert formula.macs == t * c_in * (side * side * expand + out * out * (9 + c_out))
        assert formula.params == t * c_in * (expand + 9 + c_out)
        side, checked = out, checked + 1
    assert checked == 17


def test_mobilenet_v2_1_4_224_params_disagree():
    # Sandler et al. 2018, Table 4: MobileNetV2 (1.4) 6.9M parameters. The recount of the
    # network of the paper's Table 2 at width 1.4 (channels rounded to multiples of 8, last
    # layer 1792) is 6.06M, the figure of the authors' TF-Slim release for
    # mobilenet_v2_1.4_224; biases and BatchNorm add under 0.1M. The published 6.9M is
    # 14% above any of these counts: a disagreement, stated here.
    params = v2(1.4).total_params / 1e6
    assert params == pytest.approx(6.06, rel=0.01)
    everything = profile(MobileNetV2(width_multiplier=1.4), (1, 3, 224, 224)).total_params / 1e6
    assert everything - params < 0.1
    assert (6.9 - everything) / everything > 0.1


def largest_output(model, modules) -> int:
    """The largest number of elements in the output of any of `modules` (batch 1, 224x224)."""
    import torch

    sizes = []
    handles = [m.register_forward_hook(lambda m, i, o: sizes.append(o[0].numel())) for m in modules]
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, 224, 224))
    for handle in handles:
        handle.remove()
    return max(sizes)


def test_peak_activation_memory_table_3():
    # Sandler et al. 2018, Table 3: the largest tensor that must be materialised, 16-bit
    # activations: MobileNetV1 1600K, MobileNetV2 400K (kilobytes). Convention (their
    # Section 5.1): V1 stores every layer's output; V2 stores only the bottlenecks between
    # blocks, the expanded tensors inside a block (and, by the same trick, the first
    # convolution's output) are computed in slices and never held in full.
    from dsconv_lib.nn import InvertedResidual

    v1_model, v2_model = MobileNetV1(), MobileNetV2()
    v1_peak = largest_output(v1_model, list(v1_model.features)) * 2
    v2_peak = largest_output(v2_model, list(v2_model.features)[1:]) * 2
    assert v1_peak / 1000 == pytest.approx(1600, rel=0.01)  # 64 x 112 x 112 x 2 bytes
    assert v2_peak / 1000 == pytest.approx(400, rel=0.01)   # 16 x 112 x 112 x 2 bytes
    # Without the convention the comparison turns around: the expanded tensors of V2
    # (96 x 112 x 112) are larger than anything V1 holds.
    inside = [b.expand for b in v2_model.features if isinstance(b, InvertedResidual)]
    assert largest_output(v2_model, inside) * 2 > v1_peak
