"""profile(): a torch model's parameters and MACs, layer by layer, by forward hooks.

The counts come from the formulas in `formulas.py`, applied to the shapes each
layer actually sees in one forward pass; nothing is estimated. Two switches
select the counting convention a paper used:

- count_bias: include bias parameters (biases never add MACs);
- count_batchnorm: include BatchNorm (2C parameters, one MAC per element).
  Papers that quote a deployed network's cost usually fold BatchNorm into the
  preceding convolution and leave it out.

With both on, the parameter total equals sum(p.numel() for p in model.parameters())
for models built from convolutions, linear layers and BatchNorm.
"""

from __future__ import annotations

import html
import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Sequence

from . import formulas

if TYPE_CHECKING:  # torch is imported only when profile() runs
    from torch import nn


@dataclass(frozen=True)
class LayerCost:
    """One row of a profile: one call of one layer."""

    name: str  # the module's name in the model, e.g. "features.3.pointwise"
    kind: str  # "conv 3x3", "conv dw 3x3", "conv 1x1", "conv grouped 3x3", "linear", "batchnorm", ...
    output_shape: tuple[int, ...]
    params: int  # counted at a module's first call only (shared weights count once)
    macs: int


@dataclass(frozen=True)
class KindTotal:
    """The totals of all layers of one kind, and their share of the model's totals."""

    kind: str
    params: int
    macs: int
    params_share: float
    macs_share: float


@dataclass(frozen=True)
class Profile:
    """A per-layer cost table with totals; prints as a table (text or, in a notebook, HTML)."""

    layers: tuple[LayerCost, ...]
    input_size: tuple[int, ...]
    count_bias: bool
    count_batchnorm: bool

    @property
    def total_params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def total_macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def total_flops(self) -> int:
        return 2 * self.total_macs

    def by_kind(self) -> list[KindTotal]:
        """Totals per layer kind, in order of first appearance (MobileNet's Table 2 view)."""
        kinds: dict[str, list[int]] = {}
        for layer in self.layers:
            totals = kinds.setdefault(layer.kind, [0, 0])
            totals[0] += layer.params
            totals[1] += layer.macs
        params, macs = max(self.total_params, 1), max(self.total_macs, 1)
        return [KindTotal(kind, p, m, p / params, m / macs) for kind, (p, m) in kinds.items()]

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        header = ["layer", "kind", "output shape", "params", "MACs"]
        rows = [
            [layer.name, layer.kind, str(tuple(layer.output_shape)), f"{layer.params:,}", f"{layer.macs:,}"]
            for layer in self.layers
        ]
        rows.append(["total", "", "", f"{self.total_params:,}", f"{self.total_macs:,}"])
        return header, rows

    def table(self) -> str:
        """The profile as a fixed-width text table."""
        header, rows = self._cells()
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        align = ["<", "<", "<", ">", ">"]

        def line(cells: Sequence[str]) -> str:
            return "  ".join(f"{cell:{a}{w}}" for cell, a, w in zip(cells, align, widths)).rstrip()

        rule = "-" * len(line(header))
        return "\n".join([line(header), rule, *(line(r) for r in rows[:-1]), rule, line(rows[-1]), self._convention()])

    def _convention(self) -> str:
        bias = "biases counted" if self.count_bias else "biases not counted"
        norm = "BatchNorm counted" if self.count_batchnorm else "BatchNorm not counted"
        return f"input {tuple(self.input_size)}; {bias}; {norm}; 1 MAC = 2 FLOPs"

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        header, rows = self._cells()
        numeric = {3, 4}

        def cell(tag: str, i: int, text: str) -> str:
            style = ' style="text-align:right"' if i in numeric else ' style="text-align:left"'
            return f"<{tag}{style}>{html.escape(text)}</{tag}>"

        head = "".join(cell("th", i, h) for i, h in enumerate(header))
        body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(r[:])) + "</tr>" for r in rows[:-1])
        total = "<tr>" + "".join(cell("th", i, c) for i, c in enumerate(rows[-1])) + "</tr>"
        return (
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody><tfoot>{total}</tfoot></table>"
            f"<p><small>{html.escape(self._convention())}</small></p>"
        )


def profile(
    model: "nn.Module",
    input_size: Sequence[int],
    *,
    count_bias: bool = True,
    count_batchnorm: bool = True,
) -> Profile:
    """Count parameters and MACs of every layer of `model` on an input of `input_size`.

    input_size: the full input shape including the batch, e.g. (1, 3, 224, 224);
    MACs are for the whole batch. Runs one forward pass on zeros in eval mode,
    without gradients, and restores the model's training mode afterwards.
    Convolutions (1D/2D/3D, any groups), linear layers and BatchNorm are counted;
    any other layer with parameters gets its parameters counted and 0 MACs, with
    a warning naming it.
    """
    import torch

    input_size = tuple(int(s) for s in input_size)
    if len(input_size) < 2:
        raise ValueError(f"input_size must include the batch and channel dimensions, e.g. (1, 3, 224, 224); got {input_size}")
    rows: list[LayerCost] = []
    seen: set[int] = set()

    def record(name: str, module: "nn.Module", inputs: tuple, output: object) -> None:
        first_call = id(module) not in seen
        seen.add(id(module))
        row = _layer_cost(name, module, tuple(inputs[0].shape), tuple(output.shape), count_bias, count_batchnorm)  # type: ignore[attr-defined]
        if row is not None:
            rows.append(row if first_call else LayerCost(row.name, row.kind, row.output_shape, 0, row.macs))

    handles = [
        module.register_forward_hook(lambda m, i, o, name=name: record(name, m, i, o))
        for name, module in model.named_modules()
        if _is_counted(module)
    ]
    was_training = model.training
    reference = next(model.parameters(), None)
    x = torch.zeros(input_size, dtype=reference.dtype if reference is not None else torch.float32,
                    device=reference.device if reference is not None else None)
    try:
        model.eval()
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return Profile(tuple(rows), input_size, count_bias, count_batchnorm)


def _is_counted(module: "nn.Module") -> bool:
    from torch import nn

    known = (nn.modules.conv._ConvNd, nn.Linear, nn.modules.batchnorm._BatchNorm)
    return isinstance(module, known) or any(True for _ in module.parameters(recurse=False))


def _conv_kind(module: "nn.modules.conv._ConvNd") -> str:
    kernel = "x".join(str(k) for k in module.kernel_size)
    if module.groups == 1:
        return f"conv {kernel}"
    if module.groups == module.in_channels:
        return f"conv dw {kernel}"
    return f"conv grouped {kernel}"


def _layer_cost(
    name: str,
    module: "nn.Module",
    input_shape: tuple[int, ...],
    output_shape: tuple[int, ...],
    count_bias: bool,
    count_batchnorm: bool,
) -> Optional[LayerCost]:
    from torch import nn

    if isinstance(module, nn.modules.conv._ConvNd) and not module.transposed:
        cost = formulas.conv(
            module.in_channels, module.out_channels, module.kernel_size, input_shape[2:],
            stride=module.stride, padding=module.padding, dilation=module.dilation, groups=module.groups,
            bias=module.bias is not None and count_bias, batch=input_shape[0],
        )
        return LayerCost(name, _conv_kind(module), output_shape, cost.params, cost.macs)
    if isinstance(module, nn.Linear):
        cost = formulas.linear(
            module.in_features, module.out_features,
            bias=module.bias is not None and count_bias, batch=math.prod(input_shape[:-1]),
        )
        return LayerCost(name, "linear", output_shape, cost.params, cost.macs)
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        if not count_batchnorm:
            return None
        cost = formulas.batchnorm(module.num_features, input_shape[2:], batch=input_shape[0])
        return LayerCost(name, "batchnorm", output_shape, cost.params if module.affine else 0, cost.macs)
    warnings.warn(
        f"profile counts the parameters of {name} ({type(module).__name__}) but not its MACs: "
        "only convolutions, linear layers and BatchNorm have a MAC formula",
        stacklevel=3,
    )
    params = sum(p.numel() for p in module.parameters(recurse=False))
    return LayerCost(name, type(module).__name__, output_shape, params, 0)
