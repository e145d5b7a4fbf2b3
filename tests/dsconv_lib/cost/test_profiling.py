"""The profiler's rows carry shapes and bytes; the papers' convention has one name; renamed modules still import.

- every row's bytes are its formula's (`Cost.bytes`): input read, weights read, output written once,
  at the profile's bytes_per_element (the model's own by default);
- MobileNetV1's totals equal a layer-by-layer recount with cost.conv / separable_conv / linear;
- `cost.PAPER_CONVENTION` is `count_bias=False, count_batchnorm=False`, read-only;
- `dsconv_lib.cost.profile` and `.roofline` as module paths warn and still work, and the functions keep their names.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
import torch
from torch import nn

from dsconv_lib import cost, shapes
from dsconv_lib.nn import DepthwiseSeparableConv2d, MobileNetV1
from dsconv_lib.tables import format_table, html_table


@pytest.mark.parametrize("bytes_per_element", [1, 2, 4])
@pytest.mark.parametrize("count_bias", [False, True])
def test_rows_carry_shapes_and_the_formulas_bytes(bytes_per_element, count_bias):
    block = DepthwiseSeparableConv2d(12, 20, 5, stride=2, bias=True)
    p = cost.profile(block, (3, 12, 17, 17), count_bias=count_bias, bytes_per_element=bytes_per_element)
    depthwise, pointwise = p.layers
    assert depthwise.input_shape == (3, 12, 17, 17) and depthwise.output_shape == (3, 12, 9, 9)
    assert pointwise.input_shape == depthwise.output_shape and pointwise.output_shape == (3, 20, 9, 9)
    for layer in p.layers:
        assert layer.input_bytes == math.prod(layer.input_shape) * bytes_per_element
        assert layer.output_bytes == math.prod(layer.output_shape) * bytes_per_element
        assert layer.weight_bytes == layer.params * bytes_per_element
        assert layer.bytes == layer.input_bytes + layer.weight_bytes + layer.output_bytes
    formula = cost.separable_conv(12, 20, 5, 17, stride=2, padding=2, bias=count_bias, batch=3,
                                  bytes_per_element=bytes_per_element)
    assert p.total_cost == formula  # params, MACs and bytes (unfused: the intermediate written and read)
    assert p.bytes_per_element == bytes_per_element


def test_bytes_default_to_the_models_element_size():
    assert cost.profile(nn.Conv2d(2, 3, 3), (1, 2, 8, 8)).bytes_per_element == 4
    p = cost.profile(nn.Conv2d(2, 3, 3).double(), (1, 2, 8, 8))
    assert p.bytes_per_element == 8
    assert p.total_bytes == cost.conv(2, 3, 3, 8, bias=True, bytes_per_element=8).bytes
    with pytest.raises(ValueError, match="bytes_per_element"):
        cost.profile(nn.Conv2d(2, 3, 3), (1, 2, 8, 8), bytes_per_element=0)


def test_shared_weights_are_read_at_every_call_but_counted_once():
    conv = nn.Conv2d(4, 4, 3, padding=1, bias=False)
    p = cost.profile(nn.Sequential(conv, nn.ReLU(), conv), (1, 4, 8, 8))
    first, second = p.layers
    assert (first.params, second.params) == (144, 0)
    assert first.weight_bytes == second.weight_bytes == 144 * 4


def test_batchnorm_rows_count_their_elements_and_scale_and_shift():
    p = cost.profile(nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8)), (2, 3, 10, 10))
    norm = p.layers[1]
    assert norm.kind == "batchnorm" and norm.input_shape == norm.output_shape == (2, 8, 8, 8)
    assert norm.bytes == cost.batchnorm(8, 8, batch=2).bytes
    assert norm.weight_bytes == 2 * 8 * 4


def mobilenet_v1_recount(width: float, resolution: int, bytes_per_element: int) -> cost.Cost:
    """MobileNetV1 layer by layer with the formulas, in the papers' convention: the width rule max(8, int(alpha C))."""
    width_of = lambda c: max(8, int(c * width))  # noqa: E731
    common = dict(padding=1, bytes_per_element=bytes_per_element)
    total = cost.conv(3, width_of(32), 3, resolution, stride=2, **common)
    channels, size = width_of(32), shapes.conv_output_size(resolution, 3, stride=2, padding=1)
    for c_out, stride in MobileNetV1.SEPARABLE_LAYERS:
        total += cost.separable_conv(channels, width_of(c_out), 3, size, stride=stride, **common)
        channels, size = width_of(c_out), shapes.conv_output_size(size, 3, stride=stride, padding=1)
    return total + cost.linear(channels, 1000, bias=False, bytes_per_element=bytes_per_element)


@pytest.mark.parametrize("width, resolution, bytes_per_element", [(1.0, 224, 1), (0.25, 128, 1), (0.5, 160, 4)])
def test_mobilenet_v1_profile_equals_a_recount_with_the_formulas(width, resolution, bytes_per_element):
    p = cost.profile(MobileNetV1(width_multiplier=width), (1, 3, resolution, resolution),
                     **cost.PAPER_CONVENTION, bytes_per_element=bytes_per_element)
    assert p.total_cost == mobilenet_v1_recount(width, resolution, bytes_per_element)


def test_the_paper_convention_has_one_name_and_cannot_be_changed():
    assert dict(cost.PAPER_CONVENTION) == {"count_bias": False, "count_batchnorm": False}
    model = MobileNetV1(width_multiplier=0.25)
    named = cost.profile(model, (1, 3, 64, 64), **cost.PAPER_CONVENTION)
    spelled = cost.profile(model, (1, 3, 64, 64), count_bias=False, count_batchnorm=False)
    assert named == spelled
    with pytest.raises(TypeError):
        cost.PAPER_CONVENTION["count_bias"] = True  # type: ignore[index]


def test_profile_tables_are_the_librarys_tables():
    p = cost.profile(DepthwiseSeparableConv2d(8, 16, 3, bias=True), (1, 8, 10, 10), count_bias=False)
    text = p.table()
    assert text == str(p)
    lines = text.splitlines()
    assert lines[0].split() == ["layer", "kind", "input", "shape", "output", "shape", "params", "MACs", "bytes"]
    assert "(1, 8, 10, 10)" in lines[2] and f"{p.layers[0].bytes:,}" in lines[2]
    assert lines[-2].split()[-3:] == [f"{p.total_params:,}", f"{p.total_macs:,}", f"{p.total_bytes:,}"]
    assert lines[-1] == "input (1, 8, 10, 10); biases not counted; BatchNorm counted; 4 bytes per element; 1 MAC = 2 FLOPs"
    html = p._repr_html_()
    assert html == html_table(["layer", "kind", "input shape", "output shape", "params", "MACs", "bytes"],
                              [[layer.name, layer.kind, str(layer.input_shape), str(layer.output_shape), f"{layer.params:,}",
                                f"{layer.macs:,}", f"{layer.bytes:,}"] for layer in p.layers],
                              align="<<<<>>>", total=lines[-2].split()[:1] + ["", "", ""] + lines[-2].split()[1:],
                              note=lines[-1])
    header, rows = ["kind", "params", "% params", "MACs", "% MACs"], p.by_kind()
    assert p.kind_table() == format_table(header, [[k.kind, f"{k.params:,}", f"{k.params_share:.2%}", f"{k.macs:,}",
                                                    f"{k.macs_share:.2%}"] for k in rows])


def test_old_module_paths_warn_and_still_import():
    code = (
        "import warnings\n"
        "warnings.simplefilter('error')\n"
        "import dsconv_lib.cost as cost\n"
        "try:\n"
        "    from dsconv_lib.cost.profile import Profile\n"
        "except DeprecationWarning as warning:\n"
        "    print('profile:', warning)\n"
        "try:\n"
        "    from dsconv_lib.cost.roofline import RooflinePoint\n"
        "except DeprecationWarning as warning:\n"
        "    print('roofline:', warning)\n"
        "warnings.simplefilter('ignore')\n"
        "from dsconv_lib.cost.profile import Profile, profile\n"
        "from dsconv_lib.cost.roofline import RooflinePoint\n"
        "print(Profile is cost.Profile, profile is cost.profile, RooflinePoint is cost.RooflinePoint)\n"
        "print(callable(cost.profile), callable(cost.roofline), cost.profiling.profile is cost.profile)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == ("profile: dsconv_lib.cost.profile is deprecated: the module is now dsconv_lib.cost.profiling; "
                      "import Profile from there or from dsconv_lib.cost")
    assert out[1].startswith("roofline: dsconv_lib.cost.roofline is deprecated: the module is now "
                             "dsconv_lib.cost.roofline_model")
    assert out[2:] == ["True True True", "True True True"]


def test_next_power_of_two_is_deprecated_for_the_shapes_helper():
    with pytest.warns(DeprecationWarning, match="shapes.next_power_of_2"):
        assert cost.fft.next_power_of_two(100) == shapes.next_power_of_2(100) == 128


def test_cost_modules_share_one_size_alias_and_one_size_rule():
    for module in (cost.formulas, cost.fft, cost.spatiotemporal):
        assert module.Size is shapes.Size
    # An int is that size in every spatial dimension of the op: a square for cost.conv, a length for
    # cost.fft, a cube for cost.spatiotemporal.
    assert cost.conv(4, 8, 3, 20, padding=1) == cost.conv(4, 8, 3, (20, 20), padding=1)
    assert cost.fft.fft_size(100, 29) == cost.fft.fft_size((100,), 29) == (128,)
    assert cost.spatiotemporal.r2plus1d_conv(4, 8, 3, 6) == cost.spatiotemporal.r2plus1d_conv(4, 8, 3, (6, 6, 6))


@pytest.mark.parametrize("call, message", [
    (lambda: cost.energy.inference_energy(float("nan"), 1), "macs must be a finite number >= 0, got nan"),
    (lambda: cost.energy.battery_joules(100, 0), "volts must be positive"),
    (lambda: cost.roofline(cost.Cost(0, 1, 1), 1e9, -1), "bandwidth_bytes_per_s must be positive"),
    (lambda: cost.energy.mixed_schedule_energy(1.0, 0.5, 0), "period must be a positive int, got 0"),
    (lambda: cost.spatiotemporal.r2plus1d_conv(4, 8, 3, 6, mid_channels=2.5), "mid_channels must be a positive int"),
    (lambda: cost.attention.self_attention(0, 8), "seq_len must be a positive int, got 0"),
    (lambda: cost.inverted_residual(8, 8, 0, 14), "expand_ratio must be a positive int, got 0"),
    (lambda: cost.fft.fft_size((10, 0), 3), "input_size must be positive"),
])
def test_bad_arguments_are_named_with_what_they_got(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        call()



def test_within_keeps_the_rows_of_one_module():
    from dsconv_lib.nn import InvertedResidual, MobileNetV2

    model = MobileNetV2(width_multiplier=0.5)
    p = cost.profile(model, (1, 3, 64, 64), **cost.PAPER_CONVENTION)
    block = p.within("features.2")
    assert isinstance(model.features[2], InvertedResidual)
    assert [layer.name for layer in block.layers] == [
        "features.2.expand.0", "features.2.separable.depthwise", "features.2.separable.pointwise"]
    with torch.no_grad():
        middle = model.features[:2](torch.zeros(1, 3, 64, 64))
        assert block.layers[0].input_shape == tuple(middle.shape)
        assert block.layers[-1].output_shape == tuple(model.features[2](middle).shape)
    assert (block.total_params, block.total_macs) == (sum(layer.params for layer in p.layers[3:6]),
                                                      sum(layer.macs for layer in p.layers[3:6]))
    assert p.within("features.1").layers == p.layers[1:3]  # "features.1" is not "features.10"...
    assert p.within("classifier").layers == p.layers[-1:]
    with pytest.raises(ValueError, match="module_name must name a module with counted layers, got 'features.99'"):
        p.within("features.99")
