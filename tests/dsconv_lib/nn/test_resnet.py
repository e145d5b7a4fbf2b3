"""Tests for dsconv_lib.nn.resnet (ResNet-50, SE-ResNet-50) and dsconv_lib.cost.se_network.

What is established here:
  1. ResNet50 has torchvision's 25,557,032 parameters, and its per-stage counts equal the
     bottleneck formula counted by hand (1x1, 3x3, 1x1 convolutions, three BatchNorms, the
     projection shortcut in the first block of each stage); it maps (N, 3, H, W) to (N, classes),
     its stages halve the size from stage 2 on and end with 256, 512, 1024, 2048 channels.
  2. With se_reduction=r every one of the 16 bottlenecks has a SqueezeExcite on its 4 * width
     channels; it sits on the residual branch before the addition: with the gate forced to 0
     the block returns relu(shortcut(x)), with the gate forced to 1 the plain block's output.
  3. SqueezeExcite(bias=False) has no biases and computes the same function as with zero biases.
  4. cost.squeeze_excite_network is the sum of cost.squeeze_excite over the blocks, with and
     without biases, and equals Eq. 5 (2/r) sum N_s C_s^2 when r divides every C_s (and is
     smaller otherwise, since C // r rounds down); bad stages or reductions raise ValueError.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dsconv_lib import cost
from dsconv_lib.nn import Bottleneck, ResNet50, SqueezeExcite


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.fixture(autouse=True)
def one_thread(torch_one_thread):
    yield


def bottleneck_by_hand(c_in: int, width: int, projection: bool) -> int:
    out = 4 * width
    convs = c_in * width + 9 * width * width + width * out
    norms = 2 * (width + width + out)
    shortcut = c_in * out + 2 * out if projection else 0
    return convs + norms + shortcut


def test_resnet50_has_torchvisions_parameter_count():
    assert n_params(ResNet50()) == 25_557_032


def test_resnet50_stages_counted_by_hand():
    model = ResNet50()
    channels = 64
    for stage, (width, out, blocks, _) in zip(model.stages, ResNet50.STAGES):
        expected = bottleneck_by_hand(channels, width, True) + (blocks - 1) * bottleneck_by_hand(out, width, False)
        assert n_params(stage) == expected
        channels = out
    stem = 3 * 64 * 49 + 2 * 64
    assert n_params(model.stem) == stem
    assert n_params(model.classifier) == 2048 * 1000 + 1000


def test_resnet50_shapes():
    model = ResNet50(num_classes=7).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        y = model.stem(x)
        assert y.shape == (2, 64, 16, 16)
        sizes = []
        for stage in model.stages:
            y = stage(y)
            sizes.append(tuple(y.shape[1:]))
        assert sizes == [(256, 16, 16), (512, 8, 8), (1024, 4, 4), (2048, 2, 2)]
        assert model(x).shape == (2, 7)
    assert ResNet50.stage_blocks_and_channels() == ((3, 256), (4, 512), (6, 1024), (3, 2048))


def test_se_resnet50_has_an_se_block_in_every_bottleneck():
    model = ResNet50(se_reduction=16)
    blocks = [m for m in model.modules() if isinstance(m, Bottleneck)]
    assert len(blocks) == 16
    for block in blocks:
        assert isinstance(block.se, SqueezeExcite)
        assert block.se.fc1.in_features == block.conv3.out_channels
        assert block.se.fc1.out_features == block.conv3.out_channels // 16
    assert all(isinstance(m.se, nn.Identity) for m in ResNet50().modules() if isinstance(m, Bottleneck))


@pytest.mark.parametrize("gate_bias, expected", [(-1e4, "shortcut"), (1e4, "plain")])
def test_se_sits_before_the_residual_addition(gate_bias, expected):
    torch.manual_seed(0)
    block = Bottleneck(32, 16, stride=2, se_reduction=4).double().eval()
    plain = Bottleneck(32, 16, stride=2).double().eval()
    plain.load_state_dict({k: v for k, v in block.state_dict().items() if not k.startswith("se.")})
    with torch.no_grad():
        block.se.fc2.weight.zero_()
        block.se.fc2.bias.fill_(gate_bias)  # sigmoid -> 0 or 1 for every channel
        x = torch.randn(2, 32, 9, 9, dtype=torch.float64)
        got = block(x)
        want = torch.relu(block.shortcut(x)) if expected == "shortcut" else plain(x)
    assert torch.allclose(got, want, rtol=0, atol=1e-12)


def test_resnet50_rejects_a_bad_reduction():
    with pytest.raises(ValueError, match="se_reduction"):
        ResNet50(se_reduction=0)


def test_squeeze_excite_without_bias():
    torch.manual_seed(0)
    se = SqueezeExcite(12, 4, bias=False).double()
    assert se.fc1.bias is None and se.fc2.bias is None
    assert n_params(se) == 2 * 12 * 3
    with_bias = SqueezeExcite(12, 4).double()
    with torch.no_grad():
        with_bias.fc1.weight.copy_(se.fc1.weight)
        with_bias.fc2.weight.copy_(se.fc2.weight)
        with_bias.fc1.bias.zero_()
        with_bias.fc2.bias.zero_()
        x = torch.randn(2, 12, 3, 5, dtype=torch.float64)
        assert torch.allclose(se(x), with_bias(x), rtol=0, atol=1e-14)


STAGE_CASES = [((3, 256), (4, 512), (6, 1024), (3, 2048)), ((1, 8),), ((2, 10), (1, 3), (5, 33))]


@pytest.mark.parametrize("stages", STAGE_CASES)
@pytest.mark.parametrize("reduction", [1, 2, 4, 16, 32])
@pytest.mark.parametrize("bias", [False, True])
def test_network_cost_is_the_sum_of_its_blocks(stages, reduction, bias):
    got = cost.squeeze_excite_network(stages, reduction, bias=bias, batch=3)
    blocks = [cost.squeeze_excite(c, reduction, 5, bias=bias, batch=3) for n, c in stages for _ in range(n)]
    assert got.params == sum(b.params for b in blocks)
    assert got.macs == sum(b.macs for b in blocks)


@pytest.mark.parametrize("reduction", [1, 2, 4, 8, 16, 32])
def test_closed_form_equals_the_count_when_r_divides_the_channels(reduction):
    stages = STAGE_CASES[0]
    closed = cost.squeeze_excite_network_closed_form(stages, reduction)
    assert closed == cost.squeeze_excite_network(stages, reduction).params
    assert closed == 2 / reduction * (3 * 256**2 + 4 * 512**2 + 6 * 1024**2 + 3 * 2048**2)


def test_closed_form_exceeds_the_count_when_r_does_not_divide():
    stages = [(2, 10), (1, 33)]
    assert cost.squeeze_excite_network(stages, 4).params == 2 * (2 * 10 * 2 + 33 * 8)
    assert cost.squeeze_excite_network_closed_form(stages, 4) > cost.squeeze_excite_network(stages, 4).params


@pytest.mark.parametrize("stages, reduction, match", [
    ([(0, 8)], 2, "stages"), ([(1, 8, 2)], 2, "stages"), ([(1.5, 8)], 2, "stages"), ([(1, 8)], 0, "reduction"),
])
def test_network_cost_rejects_bad_arguments(stages, reduction, match):
    with pytest.raises(ValueError, match=match):
        cost.squeeze_excite_network(stages, reduction)
    with pytest.raises(ValueError, match=match):
        cost.squeeze_excite_network_closed_form(stages, reduction)
