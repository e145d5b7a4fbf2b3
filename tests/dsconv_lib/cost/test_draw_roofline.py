"""cost.draw_roofline: the roof chapters 2 and 10 draw, from the model's own formula."""

from __future__ import annotations

import numpy as np
import pytest

from dsconv_lib import cost

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def test_the_roof_is_min_of_peak_and_intensity_times_bandwidth():
    figure, ax = plt.subplots()
    peak, bandwidth = 2e12, 100e9
    cost.draw_roofline(ax, peak, bandwidth, [1, 10, 20, 100])
    [line] = ax.get_lines()
    assert list(line.get_xdata()) == [1, 10, 20, 100]
    assert np.allclose(line.get_ydata(), [100, 1000, 2000, 2000])  # GFLOP/s; the ridge is at 20 FLOP/byte
    assert ax.get_xscale() == ax.get_yscale() == "log"
    plt.close(figure)


def test_the_ridge_is_marked_where_asked():
    figure, ax = plt.subplots()
    cost.draw_roofline(ax, 2e12, 100e9, mark_ridge=True)
    roof, ridge = ax.get_lines()
    assert list(ridge.get_xdata()) == [20, 20]
    assert "20.0 FLOP/byte" in ax.texts[0].get_text()
    assert roof.get_xdata()[0] == pytest.approx(0.3) and roof.get_xdata()[-1] == pytest.approx(3000)
    plt.close(figure)
