"""Build-time data for the static book's explorers: every value they can show, computed here.

The built book has no kernel behind it. Its explorers (see `dsconv_lib.widgets`)
therefore carry, as JSON in the page, what the library computes for every
setting their controls can take; the book's script (`_static/dsconv.js`) only
looks values up and draws them. No formula is written again in JavaScript.

- `cost_explorer_data()`: params, MACs, bytes moved and arithmetic intensity of
  a standard and a depthwise separable convolution, their MAC ratio and its
  closed form, from `dsconv_lib.cost`, over every combination of C_in, C_out,
  k, input size and stride on the sliders' steps.
- `rank_viewer_data(kernels)`: each kernel, its rank and singular values, and its
  best approximation at every rank with its error, from `dsconv_lib.factorize`.

Both return plain dicts of lists and numbers, ready for `json.dumps`.
"""

from __future__ import annotations

import itertools
import json
from typing import Callable, Mapping, Optional, Sequence

import numpy as np

from . import cost
from .factorize import kernel_rank, low_rank_approximation, spatial_factors

# The sliders' steps: powers of two for channels, the usual odd kernels, the
# input sizes of a 224 x 224 ImageNet network's stages, and both strides.
CHANNELS = (8, 16, 32, 64, 128, 256, 512, 1024)
KERNEL_SIZES = (1, 3, 5, 7)
INPUT_SIZES = (7, 14, 28, 56, 112, 224)
STRIDES = (1, 2)

# Decimals kept for the floating-point fields (the integers are exact).
COST_DECIMALS = {"standard_intensity": 2, "separable_intensity": 2, "ratio": 4, "closed_form": 4, "times_fewer": 1}

Table = dict[str, object]


def _check_steps(name: str, steps: object) -> tuple[int, ...]:
    """`steps` as a tuple of distinct positive ints in increasing order, or a ValueError naming `name`."""
    values = tuple(steps) if isinstance(steps, (list, tuple)) else None
    if not values or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 for v in values) \
            or list(values) != sorted(set(values)):
        raise ValueError(f"{name} must be a non-empty list of distinct positive ints in increasing order, got {steps!r}")
    return tuple(int(v) for v in values)


def factored_table(axes: Mapping[str, Sequence[int]], compute: Callable[..., Mapping[str, float]],
                   decimals: Optional[Mapping[str, int]] = None) -> Table:
    """`compute(**setting)` over every combination of the axes' values, stored compactly.

    Each field is kept only over the axes it varies along (a layer's parameters do
    not depend on the input size, for instance), flattened in row-major order of
    those axes. Returns {"axes": {name: values}, "fields": {field: {"axes": [...],
    "values": [...], "decimals": d or None}}}: the value of a field at a setting is
    values[sum(position on axis * stride of axis)], strides row-major over the field's axes.
    Floats are rounded to `decimals[field]` places (a field absent from it must be int).
    """
    names = list(axes)
    grid = [list(axes[name]) for name in names]
    results = {setting: compute(**dict(zip(names, setting))) for setting in itertools.product(*grid)}
    decimals = dict(decimals or {})
    fields: dict[str, dict[str, object]] = {}
    for field in next(iter(results.values())):
        full = np.array([results[s][field] for s in itertools.product(*grid)], dtype=object).reshape([len(g) for g in grid])
        if field in decimals:
            full = np.vectorize(lambda v, d=decimals[field]: round(float(v), d), otypes=[object])(full)
        elif any(not isinstance(v, (int, np.integer)) for v in full.flat):
            raise ValueError(f"decimals must name {field!r}, whose values are not ints, got decimals={decimals!r}")
        kept = [i for i in range(len(names)) if not all(np.array_equal(np.take(full, [0], axis=i), np.take(full, [j], axis=i))
                                                          for j in range(full.shape[i]))]
        reduced = full[tuple(slice(None) if i in kept else 0 for i in range(len(names)))]
        fields[field] = {
            "axes": [names[i] for i in kept],
            "values": [int(v) if field not in decimals else v for v in np.asarray(reduced).reshape(-1)],
            "decimals": decimals.get(field),
        }
    return {"axes": {name: list(values) for name, values in zip(names, grid)}, "fields": fields}


def cost_setting(c_in: int, c_out: int, k: int, size: int, stride: int) -> dict[str, float]:
    """What the cost explorer shows for one layer: a size x size float32 input, 'same' padding (k // 2).

    Standard and depthwise separable: params, MACs, bytes moved and arithmetic
    intensity (FLOPs per byte); the MAC ratio separable / standard, its closed
    form 1/C_out + 1/k^2, and how many times fewer MACs the separable layer needs.
    """
    standard = cost.conv(c_in, c_out, k, size, stride=stride, padding=k // 2)
    separable = cost.separable_conv(c_in, c_out, k, size, stride=stride, padding=k // 2)
    ratio = cost.separable_to_standard_ratio(c_in, c_out, k, size, stride=stride, padding=k // 2)
    return {
        "standard_params": standard.params,
        "standard_macs": standard.macs,
        "standard_bytes": standard.bytes,
        "standard_intensity": standard.arithmetic_intensity,
        "separable_params": separable.params,
        "separable_macs": separable.macs,
        "separable_bytes": separable.bytes,
        "separable_intensity": separable.arithmetic_intensity,
        "ratio": ratio,
        "closed_form": cost.separable_ratio_closed_form(c_out, k),
        "times_fewer": 1 / ratio,
    }


def cost_explorer_data(channels: Sequence[int] = CHANNELS, kernel_sizes: Sequence[int] = KERNEL_SIZES,
                       input_sizes: Sequence[int] = INPUT_SIZES, strides: Sequence[int] = STRIDES) -> Table:
    """`cost_setting` over every combination of the sliders' steps, as a `factored_table`.

    channels serves both C_in and C_out. With the defaults: 8 x 8 x 4 x 6 x 2 = 3072 layers.
    """
    axes = {
        "c_in": _check_steps("channels", channels),
        "c_out": _check_steps("channels", channels),
        "k": _check_steps("kernel_sizes", kernel_sizes),
        "size": _check_steps("input_sizes", input_sizes),
        "stride": _check_steps("strides", strides),
    }
    return factored_table(axes, cost_setting, COST_DECIMALS)


def rank_viewer_data(kernels: Mapping[str, np.ndarray], decimals: int = 3) -> Table:
    """Each 2D kernel with its rank, singular values and best approximation at every rank.

    kernels: name -> (kH, kW) array. Returns {"kernels": [{"name", "shape", "values"
    (row-major), "limit" (largest |value|, for a symmetric colour scale), "rank",
    "singular_values", "approximations": [{"rank": r, "values", "relative_error"}
    for r = 1 .. min(kH, kW)]}]}, numbers rounded to `decimals` places.
    """
    if not isinstance(kernels, Mapping) or not kernels:
        raise ValueError(f"kernels must be a non-empty mapping of names to 2-D arrays, got {kernels!r}")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0:
        raise ValueError(f"decimals must be an int >= 0, got {decimals!r}")

    def rounded(values: np.ndarray) -> list[float]:
        return [round(float(v), decimals) + 0.0 for v in np.asarray(values).reshape(-1)]  # + 0.0: no -0.0

    entries = []
    for name, kernel in kernels.items():
        factors = spatial_factors(kernel)  # checks the kernel: real, 2-D
        matrix = np.asarray(kernel, dtype=float)
        entries.append({
            "name": str(name),
            "shape": list(matrix.shape),
            "values": rounded(matrix),
            "limit": round(float(np.abs(matrix).max()), decimals),
            "rank": kernel_rank(matrix),
            "singular_values": rounded(factors.singular_values),
            "approximations": [
                {"rank": r, "values": rounded(a.kernel), "relative_error": round(a.relative_error, 4)}
                for r in range(1, min(matrix.shape) + 1)
                for a in [low_rank_approximation(matrix, r)]
            ],
        })
    return {"decimals": decimals, "kernels": entries}


def nearest_index(values: Sequence[int], value: float) -> int:
    """The position in `values` of the step closest to `value` (the first, on a tie)."""
    return min(range(len(values)), key=lambda i: (abs(values[i] - value), i))


def page_json(table: Table) -> str:
    """`table` as compact JSON that is safe inside a page's <script> element ("</" escaped)."""
    return json.dumps(table, separators=(",", ":")).replace("</", "<\\/")


__all__ = [
    "CHANNELS", "INPUT_SIZES", "KERNEL_SIZES", "STRIDES", "cost_explorer_data", "cost_setting",
    "factored_table", "nearest_index", "page_json", "rank_viewer_data",
]
