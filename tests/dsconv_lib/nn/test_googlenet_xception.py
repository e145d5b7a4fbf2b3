"""dsconv_lib.nn.GoogLeNet and dsconv_lib.nn.Xception: shapes, structure and parameter counts."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dsconv_lib import cost
from dsconv_lib.nn import GoogLeNet, InceptionBlock, Xception, XceptionBlock


@pytest.mark.parametrize("separable", [False, True])
@pytest.mark.parametrize("separable_stem", [False, True])
def test_googlenet_logits_shape_and_feature_sizes(torch_one_thread, separable, separable_stem):
    model = GoogLeNet(num_classes=10, separable=separable, separable_stem=separable_stem).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        stem = model.stem(x)
        assert stem.shape == (2, 192, 8, 8)
        assert model.inception(stem).shape == (2, 1024, 2, 2)
        assert model(x).shape == (2, 10)


def test_googlenet_blocks_follow_table_1_widths():
    model = GoogLeNet()
    blocks = [m for m in model.inception if isinstance(m, InceptionBlock)]
    assert len(blocks) == 9
    channels = 192
    for block, (_, widths) in zip(blocks, GoogLeNet.INCEPTION_LAYERS):
        assert block.branch1x1[0].in_channels == channels
        assert block.branch3x3[1][0].out_channels == widths[2]
        channels = sum(widths[i] for i in (0, 2, 4, 5))
    assert channels == model.classifier.in_features == 1024


def test_googlenet_profile_counts_every_parameter(torch_one_thread):
    for model in (GoogLeNet(), GoogLeNet(separable=True, separable_stem=True)):
        p = cost.profile(model, (1, 3, 96, 96))
        assert p.total_params == sum(t.numel() for t in model.parameters())


def test_separable_googlenet_replaces_only_the_inception_spatial_convolutions():
    standard, separable = GoogLeNet(), GoogLeNet(separable=True)
    kinds = lambda m: sorted(  # noqa: E731
        (c.kernel_size, c.groups == c.in_channels and c.groups > 1) for c in m.modules() if isinstance(c, nn.Conv2d))
    dw_standard = sum(1 for k, dw in kinds(standard) if dw)
    dw_separable = sum(1 for k, dw in kinds(separable) if dw)
    assert dw_standard == 0 and dw_separable == 18  # a 3x3 and a 5x5 in each of nine blocks
    assert sum(1 for k, _ in kinds(separable) if k == (7, 7)) == 1


def test_xception_structure_and_shapes(torch_one_thread):
    model = Xception(num_classes=7, middle_repeats=2).eval()
    blocks = [m for m in model.modules() if isinstance(m, XceptionBlock)]
    assert len(blocks) == 3 + 2 + 1
    assert isinstance(model.middle_flow[0].shortcut, nn.Identity)
    with torch.no_grad():
        assert model(torch.randn(1, 3, 96, 96)).shape == (1, 7)


def test_xception_middle_flow_adds_the_same_parameters_per_repeat():
    count = lambda r: sum(t.numel() for t in Xception(middle_repeats=r).parameters())  # noqa: E731
    per_block = 3 * (728 * 9 + 728 * 728 + 2 * 728)  # three separable convs with BatchNorm
    assert count(1) - count(0) == count(8) - count(7) == per_block
    assert count(8) == 22_855_952


def test_xception_rejects_negative_repeats():
    with pytest.raises(ValueError, match="middle_repeats"):
        Xception(middle_repeats=-1)
