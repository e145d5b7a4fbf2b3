"""Where the torch blocks live and what they share (issue 15).

What is established here:
  1. XceptionBlock lives in dsconv_lib.nn.xception; `from dsconv_lib.nn import XceptionBlock`
     is that class, without a warning; the old `dsconv_lib.nn.inception.XceptionBlock` still
     works for one release, with a DeprecationWarning that names the new place; any other
     missing name of dsconv_lib.nn.inception is an AttributeError.
  2. The shared conv_bn_act / separable_bn_act build exactly the documented layers, in order
     (BatchNorm and no bias, or a bias and no norm; padding k // 2 unless given; the
     activation asked for, or none), and the networks built from them keep their parameter
     counts (MobileNetV1 4,231,976; MobileNetV2 3,504,872; Xception 22,855,952; ResNet-50
     25,557,032; GoogLeNet 6,998,552).
  3. MobileNetV1(se_after=...) puts one SqueezeExcite(C, se_reduction) in each of the 13
     separable layers, after the step asked for and on that step's channels, and nowhere
     else; the default network has none and is unchanged; a bad se_after or se_reduction
     raises an error that names it.
"""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

import dsconv_lib.nn.xception as xception_module
from dsconv_lib.nn import (
    DepthwiseSeparableConv2d,
    GoogLeNet,
    MobileNetV1,
    MobileNetV2,
    ResNet50,
    SqueezeExcite,
    Xception,
    XceptionBlock,
)
from dsconv_lib.nn.layers import conv_bn_act, separable_bn_act

pytestmark = pytest.mark.usefixtures("torch_one_thread", "torch_seed")


def _n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ============================================================================= 1. XceptionBlock's home
def test_xception_block_lives_in_the_xception_module_and_the_package_exports_it_without_warning():
    assert XceptionBlock is xception_module.XceptionBlock
    assert XceptionBlock.__module__ == "dsconv_lib.nn.xception"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from dsconv_lib.nn import XceptionBlock as from_package
    assert from_package is XceptionBlock


def test_the_old_place_of_xception_block_still_works_with_a_deprecation_warning_naming_the_new_one():
    with pytest.warns(DeprecationWarning, match=r"dsconv_lib\.nn\.xception\.XceptionBlock"):
        from dsconv_lib.nn.inception import XceptionBlock as old
    assert old is XceptionBlock
    block = old(8, 16, 2, stride=2)
    assert block(torch.randn(1, 8, 8, 8)).shape == (1, 16, 4, 4)


def test_other_missing_names_of_the_inception_module_are_attribute_errors():
    import dsconv_lib.nn.inception as inception_module

    with pytest.raises(AttributeError, match="NoSuchBlock"):
        inception_module.NoSuchBlock


# ============================================================================= 2. shared layers
def test_conv_bn_act_with_batchnorm_has_no_bias_and_pads_half_the_kernel():
    layers = conv_bn_act(3, 8, 5, stride=2)
    assert [type(m) for m in layers] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU]
    conv = layers[0]
    assert conv.bias is None and conv.padding == (2, 2) and conv.stride == (2, 2)
    assert layers(torch.randn(2, 3, 9, 9)).shape == (2, 8, 5, 5)


def test_conv_bn_act_without_batchnorm_has_a_bias_and_only_the_layers_asked_for():
    layers = conv_bn_act(3, 8, 3, batch_norm=False, activation=nn.ReLU6)
    assert [type(m) for m in layers] == [nn.Conv2d, nn.ReLU6]
    assert layers[0].bias is not None
    bare = conv_bn_act(3, 8, 3, padding=0, activation=None)
    assert [type(m) for m in bare] == [nn.Conv2d, nn.BatchNorm2d]
    assert bare(torch.randn(1, 3, 7, 7)).shape == (1, 8, 5, 5)


def test_separable_bn_act_leaves_nothing_between_the_steps():
    block = separable_bn_act(4, 6, 3)
    assert isinstance(block, DepthwiseSeparableConv2d)
    assert isinstance(block.norm1, nn.Identity) and isinstance(block.act1, nn.Identity)
    assert isinstance(block.norm2, nn.BatchNorm2d) and isinstance(block.act2, nn.ReLU)
    assert block.pointwise.bias is None
    plain = separable_bn_act(4, 6, 5, batch_norm=False, activation=None)
    assert isinstance(plain.norm2, nn.Identity) and isinstance(plain.act2, nn.Identity)
    assert plain.pointwise.bias is not None and plain.depthwise.padding == (2, 2)


@pytest.mark.parametrize(
    "build, expected",
    [
        (MobileNetV1, 4_231_976),
        (MobileNetV2, 3_504_872),
        (Xception, 22_855_952),
        (ResNet50, 25_557_032),
        (GoogLeNet, 6_998_552),
    ],
    ids=["MobileNetV1", "MobileNetV2", "Xception", "ResNet50", "GoogLeNet"],
)
def test_the_networks_built_from_the_shared_layers_keep_their_parameter_counts(build, expected):
    assert _n_params(build()) == expected


# ============================================================================= 3. MobileNetV1 with SE
def _separable_layers(model: MobileNetV1) -> list[DepthwiseSeparableConv2d]:
    return [m for m in model.features if isinstance(m, DepthwiseSeparableConv2d)]


def test_mobilenet_v1_has_no_squeeze_excite_by_default():
    model = MobileNetV1()
    assert not any(isinstance(m, SqueezeExcite) for m in model.modules())
    assert all(layer.se_after is None for layer in _separable_layers(model))


@pytest.mark.parametrize("se_after", ["depthwise", "pointwise"])
def test_mobilenet_v1_puts_one_squeeze_excite_after_the_step_asked_for_in_each_separable_layer(se_after):
    model = MobileNetV1(num_classes=10, width_multiplier=0.25, se_after=se_after, se_reduction=8)
    layers = _separable_layers(model)
    assert len(layers) == 13
    blocks = [m for m in model.modules() if isinstance(m, SqueezeExcite)]
    assert len(blocks) == 13 and all(layer.se in blocks for layer in layers)
    for layer in layers:
        step = layer.depthwise if se_after == "depthwise" else layer.pointwise
        assert layer.se_after == se_after
        assert layer.se.fc1.in_features == step.out_channels
        assert layer.se.fc1.out_features == max(1, step.out_channels // 8)
    assert not any(isinstance(m, SqueezeExcite) for m in model.features[0].modules())
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_mobilenet_v1_with_se_adds_exactly_the_se_blocks_parameters():
    plain, with_se = MobileNetV1(), MobileNetV1(se_after="pointwise", se_reduction=16)
    se_params = sum(_n_params(layer.se) for layer in _separable_layers(with_se))
    assert se_params > 0
    assert _n_params(with_se) == _n_params(plain) + se_params


@pytest.mark.parametrize(
    "kwargs, fragment",
    [(dict(se_after="middle"), "se_after"), (dict(se_after="pointwise", se_reduction=0), "se_reduction")],
)
def test_mobilenet_v1_rejects_a_bad_se_option_naming_it(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        MobileNetV1(width_multiplier=0.25, **kwargs)
