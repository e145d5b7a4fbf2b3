"""The book's interactive views: numbers from dsconv_lib.cost, static in the book, live elsewhere."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from dsconv_lib import cost, widgets
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


def test_static_cost_explorer_shows_the_numbers_and_a_figure(monkeypatch):
    monkeypatch.setenv("DSCONV_STATIC_WIDGETS", "1")
    view = widgets.cost_explorer(c_in=16, c_out=32, k=5, h=10, w=12)
    page = view._repr_html_()
    numbers = widgets.cost_comparison(16, 32, 5, 10, 12)
    assert f"{numbers['standard_macs']:,}" in page
    assert f"{numbers['separable_macs']:,}" in page
    assert "data:image/png;base64," in page
    assert view.figure_png.startswith(b"\x89PNG")


def test_static_kernel_viewer_draws_every_preset(monkeypatch):
    monkeypatch.setenv("DSCONV_STATIC_WIDGETS", "1")
    view = widgets.kernel_rank_viewer()
    assert view.figure_png.startswith(b"\x89PNG")
    single = widgets.kernel_rank_viewer(np.eye(3))
    assert len(single.figure_png) < len(view.figure_png)  # one row instead of five


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


def test_importing_widgets_imports_neither_matplotlib_nor_ipywidgets():
    code = "import sys, dsconv_lib.widgets; print('matplotlib' in sys.modules, 'ipywidgets' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
