"""dsconv_lib.explorer_data: what the static book's explorers embed is the library's own numbers."""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pytest

from dsconv_lib import cost, explorer_data, factorize
from dsconv_lib.widgets import preset_kernels


def lookup(table: dict, field: str, setting: dict) -> object:
    """What _static/dsconv.js does: row-major index over the field's own axes."""
    spec = table["fields"][field]
    index = 0
    for axis in spec["axes"]:
        index = index * len(table["axes"][axis]) + table["axes"][axis].index(setting[axis])
    return spec["values"][index]


@pytest.fixture(scope="module")
def cost_table() -> dict:
    return explorer_data.cost_explorer_data()


def test_cost_table_covers_every_slider_step(cost_table):
    axes = cost_table["axes"]
    assert axes == {"c_in": list(explorer_data.CHANNELS), "c_out": list(explorer_data.CHANNELS),
                    "k": list(explorer_data.KERNEL_SIZES), "size": list(explorer_data.INPUT_SIZES),
                    "stride": list(explorer_data.STRIDES)}
    for field, spec in cost_table["fields"].items():
        expected = int(np.prod([len(axes[a]) for a in spec["axes"]]))
        assert len(spec["values"]) == expected, field


@pytest.mark.parametrize("c_in, c_out, k, size, stride", [
    (8, 8, 1, 7, 1), (128, 128, 3, 56, 1), (32, 1024, 7, 224, 2), (1024, 16, 5, 14, 2), (64, 256, 3, 112, 2),
])
def test_every_field_is_the_cost_models_value(cost_table, c_in, c_out, k, size, stride):
    setting = {"c_in": c_in, "c_out": c_out, "k": k, "size": size, "stride": stride}
    standard = cost.conv(c_in, c_out, k, size, stride=stride, padding=k // 2)
    separable = cost.separable_conv(c_in, c_out, k, size, stride=stride, padding=k // 2)
    expected = {
        "standard_params": standard.params, "standard_macs": standard.macs, "standard_bytes": standard.bytes,
        "standard_intensity": round(standard.arithmetic_intensity, 2),
        "separable_params": separable.params, "separable_macs": separable.macs, "separable_bytes": separable.bytes,
        "separable_intensity": round(separable.arithmetic_intensity, 2),
        "ratio": round(separable.macs / standard.macs, 4),
        "closed_form": round(cost.separable_ratio_closed_form(c_out, k), 4),
        "times_fewer": round(standard.macs / separable.macs, 1),
    }
    assert {field: lookup(cost_table, field, setting) for field in expected} == expected


def test_fields_keep_only_the_axes_they_vary_along(cost_table):
    fields = cost_table["fields"]
    assert fields["standard_params"]["axes"] == ["c_in", "c_out", "k"]
    assert fields["standard_macs"]["axes"] == ["c_in", "c_out", "k", "size", "stride"]
    assert fields["closed_form"]["axes"] == ["c_out", "k"]


def test_cost_table_fits_the_page_budget(cost_table):
    assert len(explorer_data.page_json(cost_table)) < 200_000


def test_factored_table_drops_constant_axes_and_rounds():
    table = explorer_data.factored_table(
        {"a": [1, 2, 3], "b": [10, 20]}, lambda a, b: {"sum": a + b, "only_a": a * a, "third": a / 3}, {"third": 2})
    assert table["fields"]["sum"] == {"axes": ["a", "b"], "values": [11, 21, 12, 22, 13, 23], "decimals": None}
    assert table["fields"]["only_a"] == {"axes": ["a"], "values": [1, 4, 9], "decimals": None}
    assert table["fields"]["third"] == {"axes": ["a"], "values": [0.33, 0.67, 1.0], "decimals": 2}
    for setting in itertools.product([1, 2, 3], [10, 20]):
        assert lookup(table, "sum", dict(zip("ab", setting))) == sum(setting)


def test_factored_table_wants_decimals_for_floats():
    with pytest.raises(ValueError, match=r"decimals must name 'half'.*got decimals=\{\}"):
        explorer_data.factored_table({"a": [1, 2]}, lambda a: {"half": a / 2})


@pytest.mark.parametrize("name, steps", [
    ("channels", []), ("channels", [0, 8]), ("kernel_sizes", [3, 1]), ("input_sizes", [7, 7]),
    ("strides", [1.5]), ("strides", "12"),
])
def test_bad_steps_name_the_argument(name, steps):
    with pytest.raises(ValueError, match=rf"{name} must be a non-empty list of distinct positive ints.*got {re.escape(repr(steps))}"):
        explorer_data.cost_explorer_data(**{name: steps})


def test_rank_viewer_data_is_factorizes_answer():
    kernels = preset_kernels()
    data = explorer_data.rank_viewer_data(kernels)
    assert [entry["name"] for entry in data["kernels"]] == list(kernels)
    for entry, kernel in zip(data["kernels"], kernels.values()):
        assert entry["shape"] == list(kernel.shape)
        assert entry["rank"] == factorize.kernel_rank(kernel)
        np.testing.assert_allclose(entry["values"], kernel.reshape(-1), rtol=0, atol=5.01e-4)  # 3 decimals
        assert len(entry["approximations"]) == min(kernel.shape)
        for approximation in entry["approximations"]:
            best = factorize.low_rank_approximation(kernel, approximation["rank"])
            np.testing.assert_allclose(approximation["values"], best.kernel.reshape(-1), rtol=0, atol=5.01e-4)
            assert approximation["relative_error"] == round(best.relative_error, 4)
    json.loads(explorer_data.page_json(data))


@pytest.mark.parametrize("kernels, message", [
    ({}, "kernels must be a non-empty mapping"),
    ([np.eye(3)], "kernels must be a non-empty mapping"),
    ({"flat": np.ones(3)}, r"kernel must be a 2-D array \(kH, kW\), got shape \(3,\)"),
])
def test_rank_viewer_data_rejects_bad_kernels(kernels, message):
    with pytest.raises(ValueError, match=message):
        explorer_data.rank_viewer_data(kernels)


def test_page_json_cannot_close_its_script_element():
    assert "</" not in explorer_data.page_json({"name": "</script><script>alert(1)</script>"})


def test_nearest_index():
    assert explorer_data.nearest_index([7, 14, 28, 56], 30) == 2
    assert explorer_data.nearest_index([7, 14, 28, 56], 1000) == 3
