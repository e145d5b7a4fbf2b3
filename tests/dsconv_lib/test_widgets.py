"""The book's interactive views: numbers from dsconv_lib.cost, static (with embedded data) in the book, live elsewhere."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from dsconv_lib import cost, explorer_data, widgets
from dsconv_lib.factorize import is_spatially_separable


def test_cost_comparison_uses_the_cost_model():
    numbers = widgets.cost_comparison(32, 64, 3, 28, 20)
    standard = cost.conv(32, 64, 3, (28, 20), padding=1)
    separable = cost.separable_conv(32, 64, 3, (28, 20), padding=1)
    assert numbers["standard_macs"] == standard.macs
    assert numbers["separable_params"] == separable.params
    assert numbers["ratio"] == pytest.approx(numbers["closed_form"]) == pytest.approx(1 / 64 + 1 / 9)


def test_static_mode_follows_the_environment(monkeypatch):
    monkeypatch.setenv("DSCONV_STATIC_WIDGETS", "1")
    assert widgets.static_mode()
    monkeypatch.delenv("DSCONV_STATIC_WIDGETS")
    assert not widgets.static_mode()  # ipywidgets is installed in the test environment


def embedded_data(page: str) -> dict:
    """The JSON a static view embeds for the book's script."""
    match = re.search(r'<script type="application/json" class="dsconv-data">(.*?)</script>', page, re.S)
    assert match, "the static view embeds no data"
    return json.loads(match.group(1))


def test_static_cost_explorer_embeds_the_library_data_and_starts_at_the_given_layer(monkeypatch):
    monkeypatch.setenv("DSCONV_STATIC_WIDGETS", "1")
    page = widgets.cost_explorer(c_in=16, c_out=32, k=5, h=30)._repr_html_()
    assert embedded_data(page) == explorer_data.cost_explorer_data()
    assert 'data-dsconv="cost"' in page
    starts = dict(re.findall(r'value="(\d+)" data-axis="(\w+)"', page)[i][::-1] for i in range(5))
    axes = explorer_data.cost_explorer_data()["axes"]
    chosen = {axis: axes[axis][int(index)] for axis, index in starts.items()}
    assert chosen == {"c_in": 16, "c_out": 32, "k": 5, "size": 28, "stride": 1}  # 30 -> the nearest step, 28
    assert len(page) < 200_000, f"the cost explorer adds {len(page):,} bytes to its page"


def test_static_kernel_viewer_embeds_every_preset(monkeypatch):
    monkeypatch.setenv("DSCONV_STATIC_WIDGETS", "1")
    data = embedded_data(widgets.kernel_rank_viewer()._repr_html_())
    assert [entry["name"] for entry in data["kernels"]] == list(widgets.preset_kernels())
    single = embedded_data(widgets.kernel_rank_viewer(np.eye(3))._repr_html_())
    assert [entry["name"] for entry in single["kernels"]] == ["your kernel"]
    assert single["kernels"][0]["rank"] == 3


def test_presets_include_separable_and_non_separable_kernels():
    presets = widgets.preset_kernels()
    separable = {name: is_spatially_separable(k) for name, k in presets.items()}
    assert separable == {"Gaussian 5x5": True, "Sobel (x)": True, "box 3x3": True,
                         "Laplacian": False, "random 5x5": False}


def test_live_views_are_widget_boxes(monkeypatch):
    ipywidgets = pytest.importorskip("ipywidgets")
    monkeypatch.delenv("DSCONV_STATIC_WIDGETS", raising=False)
    assert isinstance(widgets.cost_explorer(), ipywidgets.VBox)
    assert isinstance(widgets.kernel_rank_viewer(), ipywidgets.VBox)
