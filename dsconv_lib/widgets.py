"""Interactive views for the book: live in Jupyter and Colab, static in the built book.

- `cost_explorer()`: the cost of a standard and a depthwise separable convolution
  over C_in, C_out, k, H and W, and their ratio.
- `kernel_rank_viewer(kernel=None)`: a 2D kernel, its singular values and its best
  column x row (rank-1) approximation.

The built book is static HTML, where a live widget would have no kernel behind
it. When the environment variable DSCONV_STATIC_WIDGETS is "1" (the book build
sets it), or ipywidgets is not installed, each function returns a static view
instead: the explorer's controls as HTML, with everything they can show
computed by `dsconv_lib.explorer_data` and embedded as JSON, which the book's
script (`_static/dsconv.js`) looks up as the reader moves them. matplotlib and
ipywidgets are imported only here, inside the functions, so that importing
dsconv_lib stays light.
"""

from __future__ import annotations

import html
import os
from typing import TYPE_CHECKING, Optional

import numpy as np

from . import cost, explorer_data
from .factorize import spatial_factors
from .tables import Table

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def static_mode() -> bool:
    """True when views should be static: DSCONV_STATIC_WIDGETS=1, or no ipywidgets."""
    if os.environ.get("DSCONV_STATIC_WIDGETS") == "1":
        return True
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return True
    return False


class StaticView:
    """HTML that Jupyter and Jupyter Book display as a cell output."""

    def __init__(self, body_html: str) -> None:
        self.body_html = body_html

    def _repr_html_(self) -> str:
        return self.body_html


# ----------------------------------------------------------------------------- cost explorer


def cost_comparison(c_in: int, c_out: int, k: int, h: int, w: int) -> dict[str, float]:
    """Standard against depthwise separable cost of one layer ('same' padding, stride 1).

    Returns params and MACs of both, the measured MAC ratio and its closed form
    1/C_out + 1/k^2, all from dsconv_lib.cost.
    """
    size = (h, w)
    standard = cost.conv(c_in, c_out, k, size, padding=k // 2)
    separable = cost.separable_conv(c_in, c_out, k, size, padding=k // 2)
    return {
        "standard_params": standard.params,
        "standard_macs": standard.macs,
        "separable_params": separable.params,
        "separable_macs": separable.macs,
        "ratio": separable.macs / standard.macs,
        "closed_form": cost.separable_ratio_closed_form(c_out, k),
    }


def _comparison_table(c_in: int, c_out: int, k: int, h: int, w: int) -> str:
    numbers = cost_comparison(c_in, c_out, k, h, w)
    table = Table(
        ["layer", "params", "MACs"],
        [["standard", f"{numbers['standard_params']:,}", f"{numbers['standard_macs']:,}"],
         ["depthwise separable", f"{numbers['separable_params']:,}", f"{numbers['separable_macs']:,}"]],
        title=f"C_in = {c_in}, C_out = {c_out}, k = {k}, H x W = {h} x {w} ('same' padding, stride 1)",
        note=(f"ratio separable / standard = {numbers['ratio']:.4f}; 1/C_out + 1/k² = {numbers['closed_form']:.4f}; "
              f"{1 / numbers['ratio']:.1f} times fewer MACs"),
    )
    return table.html()


def _ratio_figure(c_out: int, k: int) -> "Figure":
    """The ratio against C_out for k = 3, 5, 7, with the chosen layer marked."""
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 3.5))
    channels = np.unique(np.geomspace(1, 2048, 200).astype(int))
    for kernel in (3, 5, 7):
        ratios = [cost.separable_ratio_closed_form(int(c), kernel) for c in channels]
        axis.plot(channels, ratios, label=f"k = {kernel}")
        axis.axhline(1 / kernel**2, color="grey", linewidth=0.5, linestyle=":")
    axis.plot([c_out], [cost.separable_ratio_closed_form(c_out, k)], "ko", label="this layer")
    axis.set(xscale="log", yscale="log", xlabel="output channels C_out",
             ylabel="MACs separable / standard", title="1/C_out + 1/k² (dotted: 1/k²)")
    axis.legend()
    figure.tight_layout()
    return figure


def cost_explorer(c_in: int = 128, c_out: int = 128, k: int = 3, h: int = 56, w: int = 56) -> object:
    """Sliders over C_in, C_out, k, H, W showing both costs and their ratio.

    Live (an ipywidgets box) in Jupyter and Colab; in the built book, the static
    explorer of `static_cost_explorer` (square inputs: h sets H = W, w is not
    used), starting at the slider steps nearest the given layer.
    """
    if static_mode():
        return StaticView(static_cost_explorer(c_in, c_out, k, h))
    import ipywidgets as widgets
    from IPython.display import HTML, display

    controls = {
        "c_in": widgets.IntSlider(value=c_in, min=1, max=1024, description="C_in"),
        "c_out": widgets.IntSlider(value=c_out, min=1, max=1024, description="C_out"),
        "k": widgets.Dropdown(options=[1, 3, 5, 7, 9], value=k, description="k"),
        "h": widgets.IntSlider(value=h, min=1, max=224, description="H"),
        "w": widgets.IntSlider(value=w, min=1, max=224, description="W"),
    }
    output = widgets.Output()

    def redraw(**values: int) -> None:
        import matplotlib.pyplot as plt

        with output:
            output.clear_output(wait=True)
            display(HTML(_comparison_table(**values)))
            figure = _ratio_figure(values["c_out"], values["k"])
            display(figure)
            plt.close(figure)

    widgets.interactive_output(redraw, controls)
    return widgets.VBox([widgets.HBox(list(controls.values())[:3]), widgets.HBox(list(controls.values())[3:]), output])


# ----------------------------------------------------------------------------- kernel rank viewer


def preset_kernels() -> dict[str, np.ndarray]:
    """Kernels to look at: separable ones (Gaussian, Sobel, box) and others (Laplacian, random)."""
    binomial = np.array([1.0, 4.0, 6.0, 4.0, 1.0])
    return {
        "Gaussian 5x5": np.outer(binomial, binomial) / binomial.sum() ** 2,
        "Sobel (x)": np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]),
        "box 3x3": np.full((3, 3), 1 / 9),
        "Laplacian": np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]),
        "random 5x5": np.random.default_rng(0).standard_normal((5, 5)),
    }


def _kernel_figure(kernels: dict[str, np.ndarray]) -> "Figure":
    """One row per kernel: the kernel, its singular values, its best rank-1 approximation."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(kernels), 3, figsize=(9, 2.6 * len(kernels)), squeeze=False)
    for row, (name, kernel) in zip(axes, kernels.items()):
        factors = spatial_factors(kernel)
        approximation = np.outer(factors.column, factors.row)
        limit = float(np.abs(kernel).max()) or 1.0
        row[0].imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
        row[0].set_title(f"{name}: kernel")
        row[1].bar(range(1, len(factors.singular_values) + 1), factors.singular_values, color="tab:blue")
        row[1].set(title="singular values", xlabel="index", xticks=range(1, len(factors.singular_values) + 1))
        row[2].imshow(approximation, cmap="RdBu_r", vmin=-limit, vmax=limit)
        row[2].set_title(f"column x row, error {factors.relative_error:.1%}")
        for axis in (row[0], row[2]):
            axis.set_xticks([])
            axis.set_yticks([])
    figure.tight_layout()
    return figure


def kernel_rank_viewer(kernel: Optional[np.ndarray] = None) -> object:
    """A 2D kernel, its singular values and its best column x row approximation.

    kernel: (kH, kW), or None for a choice of presets. Live (a dropdown) in
    Jupyter and Colab; in the built book, the static viewer of
    `static_rank_viewer`, which adds a rank slider.
    """
    kernels = preset_kernels() if kernel is None else {"your kernel": np.asarray(kernel, dtype=float)}
    if static_mode():
        return StaticView(static_rank_viewer(kernels))
    import ipywidgets as widgets
    from IPython.display import display

    choice = widgets.Dropdown(options=list(kernels), description="kernel")
    output = widgets.Output()

    def redraw(name: str) -> None:
        import matplotlib.pyplot as plt

        with output:
            output.clear_output(wait=True)
            figure = _kernel_figure({name: kernels[name]})
            display(figure)
            plt.close(figure)

    widgets.interactive_output(redraw, {"name": choice})
    return widgets.VBox([choice, output])


# ----------------------------------------------------------------------------- the static book's explorers


def _explorer(kind: str, data: dict, controls: str, body: str) -> str:
    """The HTML of a static explorer: its data as JSON, its controls and where it draws."""
    return (
        f'<div class="dsconv-explorer" data-dsconv="{kind}">'
        f'<script type="application/json" class="dsconv-data">{explorer_data.page_json(data)}</script>'
        f'<div class="dsconv-controls">{controls}</div>{body}'
        '<noscript><p>This explorer needs JavaScript; run the page in Colab or Jupyter for the live version.</p></noscript>'
        "</div>"
    )


def _slider(axis: str, label: str, steps: list, start: float) -> str:
    """A range input over the positions of `steps`, with an <output> for the step's value."""
    index = explorer_data.nearest_index(steps, start)
    return (
        f'<label class="dsconv-control">{html.escape(label)} '
        f'<input type="range" min="0" max="{len(steps) - 1}" step="1" value="{index}" data-axis="{axis}" '
        f'aria-label="{html.escape(label)}"> <output data-axis-value="{axis}">{steps[index]}</output></label>'
    )


def static_cost_explorer(c_in: int = 128, c_out: int = 128, k: int = 3, size: int = 56, stride: int = 1) -> str:
    """The cost explorer for the static book: sliders over the steps of `explorer_data.cost_explorer_data()`.

    The controls start at the steps nearest the given layer; the script fills in
    the table (params, MACs, bytes moved, FLOPs per byte of both layers) and the ratio.
    """
    data = explorer_data.cost_explorer_data()
    axes = data["axes"]
    controls = "".join([
        _slider("c_in", "C_in", axes["c_in"], c_in),
        _slider("c_out", "C_out", axes["c_out"], c_out),
        _slider("k", "k", axes["k"], k),
        _slider("size", "H = W", axes["size"], size),
        _slider("stride", "stride", axes["stride"], stride),
    ])
    cells = "".join(
        f"<tr><th scope='row'>{label}</th>"
        + "".join(f"<td data-field='{prefix}_{field}'></td>" for field in ("params", "macs", "bytes", "intensity"))
        + "</tr>"
        for label, prefix in (("standard", "standard"), ("depthwise separable", "separable"))
    )
    body = (
        "<table class='dsconv-table'><thead><tr><th scope='col'>layer</th><th scope='col'>params</th>"
        "<th scope='col'>MACs</th><th scope='col'>bytes moved</th><th scope='col'>FLOPs per byte</th></tr></thead>"
        f"<tbody>{cells}</tbody></table>"
        "<p>MACs separable / standard = <span data-field='ratio'></span>; "
        "1/C_out + 1/k² = <span data-field='closed_form'></span>; "
        "<span data-field='times_fewer'></span> times fewer MACs.</p>"
        "<div class='dsconv-bars' aria-hidden='true'>"
        "<div class='dsconv-bar-row'><span>standard MACs</span><div class='dsconv-track'>"
        "<div class='dsconv-bar dsconv-bar-standard'></div></div></div>"
        "<div class='dsconv-bar-row'><span>separable MACs</span><div class='dsconv-track'>"
        "<div class='dsconv-bar dsconv-bar-separable' data-bar='ratio'></div></div></div></div>"
        "<p class='dsconv-note'>float32, 'same' padding (k // 2), batch 1; bytes moved: every input, weight "
        "and output read or written once (dsconv_lib.cost).</p>"
    )
    return _explorer("cost", data, controls, body)


def static_rank_viewer(kernels: dict[str, np.ndarray]) -> str:
    """The kernel rank viewer for the static book: a kernel menu and a rank slider.

    The script draws the chosen kernel and its best approximation of the chosen
    rank from `explorer_data.rank_viewer_data(kernels)`, with the error and the
    singular values.
    """
    data = explorer_data.rank_viewer_data(kernels)
    options = "".join(f'<option value="{i}">{html.escape(entry["name"])}</option>' for i, entry in enumerate(data["kernels"]))
    first = data["kernels"][0]
    controls = (
        f'<label class="dsconv-control">kernel <select data-control="kernel" aria-label="kernel">{options}</select></label>'
        f'<label class="dsconv-control">rank <input type="range" min="1" max="{len(first["approximations"])}" step="1" '
        'value="1" data-control="rank" aria-label="rank"> <output data-field="chosen_rank">1</output></label>'
    )
    body = (
        "<div class='dsconv-grids'>"
        "<figure><table class='dsconv-grid' data-grid='kernel'></table>"
        "<figcaption>the kernel, rank <span data-field='rank'></span></figcaption></figure>"
        "<figure><table class='dsconv-grid' data-grid='approximation'></table>"
        "<figcaption>best rank-<span data-field='approximation_rank'></span> approximation, relative error "
        "<span data-field='relative_error'></span></figcaption></figure></div>"
        "<p>singular values: <span data-field='singular_values'></span></p>"
    )
    return _explorer("rank", data, controls, body)
