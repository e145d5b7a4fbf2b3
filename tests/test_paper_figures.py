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
