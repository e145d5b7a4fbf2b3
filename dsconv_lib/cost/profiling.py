"""profile(): a torch model's parameters, MACs and bytes, layer by layer, by forward hooks.

The counts come from the formulas in `formulas.py`, applied to the shapes each
layer actually sees in one forward pass; nothing is estimated. Two switches
select the counting convention a paper used:

- count_bias: include bias parameters (biases never add MACs);
- count_batchnorm: include BatchNorm (2C parameters, one MAC per element).
  Papers that quote a deployed network's cost usually fold BatchNorm into the
  preceding convolution and leave it out.

With both on, the parameter total equals sum(p.numel() for p in model.parameters())
for models built from convolutions, linear layers and BatchNorm. With both off,
the counts are the MobileNet, Xception and SENet papers' (their "Mult-Adds" are
MACs): `profile(model, input_size, **PAPER_CONVENTION)`.

Bytes follow `formulas`: every row reads its input and its weights (those the
convention counts) and writes its output once, `bytes_per_element` bytes each.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping, Optional, Sequence

from ..shapes import positive_int
from ..tables import format_table, html_table
from . import formulas
from .formulas import Cost

if TYPE_CHECKING:  # torch is imported only when profile() runs
    from torch import nn

# The papers' counting convention: no biases, no BatchNorm (folded into the convolutions).
PAPER_CONVENTION: Mapping[str, bool] = MappingProxyType({"count_bias": False, "count_batchnorm": False})


@dataclass(frozen=True)
class LayerCost:
    """One row of a profile: one call of one layer, shapes batch first."""

    name: str  # the module's name in the model, e.g. "features.3.pointwise"
    kind: str  # "conv 3x3", "conv dw 3x3", "conv 1x1", "conv grouped 3x3", "linear", "batchnorm", ...
    output_shape: tuple[int, ...]
    params: int  # counted at a module's first call only (shared weights count once)
    macs: int
    input_shape: tuple[int, ...] = ()  # the shape of its (first) input
    input_bytes: int = 0  # the input, read once
    weight_bytes: int = 0  # the weights the convention counts, read once (at every call)
    output_bytes: int = 0  # the output, written once

    @property
    def bytes(self) -> int:
        """Minimum bytes moved: input read, weights read, output written, as `Cost.bytes` counts them."""
        return self.input_bytes + self.weight_bytes + self.output_bytes


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
    bytes_per_element: int = 4

    @property
    def total_params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def total_macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def total_flops(self) -> int:
        return 2 * self.total_macs

    @property
    def total_bytes(self) -> int:
        """Bytes moved by all layers run one after another (no layer fused with the next)."""
        return sum(layer.bytes for layer in self.layers)

    @property
    def total_cost(self) -> Cost:
        """The totals as a `Cost`, for `roofline`, `energy.cost_energy`, ..."""
        return Cost(self.total_params, self.total_macs, self.total_bytes)

    def within(self, module_name: str) -> "Profile":
        """The rows of the layers inside module `module_name` of the model (e.g. "features.3"), as a profile.

        Its first row's input is the module's input; its last row's output is the module's
        output when BatchNorm, activations and residual additions come after it (they keep the shape).
        """
        layers = tuple(layer for layer in self.layers
                       if layer.name == module_name or layer.name.startswith(module_name + "."))
        if not layers:
            raise ValueError(f"module_name must name a module with counted layers, got {module_name!r}; "
                             f"the layers are {', '.join(layer.name for layer in self.layers[:5])}, ...")
        return dataclasses.replace(self, layers=layers)

    def by_kind(self) -> list[KindTotal]:
        """Totals per layer kind, in order of first appearance (MobileNet's Table 2 view)."""
        kinds: dict[str, list[int]] = {}
        for layer in self.layers:
            totals = kinds.setdefault(layer.kind, [0, 0])
            totals[0] += layer.params
            totals[1] += layer.macs
        params, macs = max(self.total_params, 1), max(self.total_macs, 1)
        return [KindTotal(kind, p, m, p / params, m / macs) for kind, (p, m) in kinds.items()]

    def kind_table(self) -> str:
        """`by_kind()` as a fixed-width text table: each kind's parameters and MACs, and their shares."""
        rows = [[k.kind, f"{k.params:,}", f"{k.params_share:.2%}", f"{k.macs:,}", f"{k.macs_share:.2%}"]
                for k in self.by_kind()]
        return format_table(["kind", "params", "% params", "MACs", "% MACs"], rows)

    def _table_parts(self) -> tuple[list[str], list[list[str]], dict[str, object]]:
        header = ["layer", "kind", "input shape", "output shape", "params", "MACs", "bytes"]
        rows = [
            [layer.name, layer.kind, str(tuple(layer.input_shape)), str(tuple(layer.output_shape)),
             f"{layer.params:,}", f"{layer.macs:,}", f"{layer.bytes:,}"]
            for layer in self.layers
        ]
        total = ["total", "", "", "", f"{self.total_params:,}", f"{self.total_macs:,}", f"{self.total_bytes:,}"]
        return header, rows, {"align": "<<<<>>>", "total": total, "note": self._convention()}

    def _convention(self) -> str:
        bias = "biases counted" if self.count_bias else "biases not counted"
        norm = "BatchNorm counted" if self.count_batchnorm else "BatchNorm not counted"
        return (f"input {tuple(self.input_size)}; {bias}; {norm}; "
                f"{self.bytes_per_element} bytes per element; 1 MAC = 2 FLOPs")

    def table(self) -> str:
        """The profile as a fixed-width text table."""
        header, rows, options = self._table_parts()
        return format_table(header, rows, **options)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        header, rows, options = self._table_parts()
        return html_table(header, rows, **options)  # type: ignore[arg-type]


def profile(
    model: "nn.Module",
    input_size: Sequence[int],
    *,
    count_bias: bool = True,
    count_batchnorm: bool = True,
    bytes_per_element: Optional[int] = None,
) -> Profile:
    """Count parameters, MACs and bytes of every layer of `model` on an input of `input_size`.

    input_size: the full input shape including the batch, e.g. (1, 3, 224, 224);
    MACs and activation bytes are for the whole batch. bytes_per_element: the size
    the bytes are counted at (1 for int8); None takes the model's own (4 for float32).
    Runs one forward pass on zeros in eval mode, without gradients, and restores the
    model's training mode afterwards. Convolutions (1D/2D/3D, any groups), linear
    layers and BatchNorm are counted; any other layer with parameters gets its
    parameters counted and 0 MACs, with a warning naming it.
    """
    import torch

    input_size = tuple(int(s) for s in input_size)
    if len(input_size) < 2:
        raise ValueError(f"input_size must include the batch and channel dimensions, e.g. (1, 3, 224, 224); got {input_size}")
    reference = next(model.parameters(), None)
    x = torch.zeros(input_size, dtype=reference.dtype if reference is not None else torch.float32,
                    device=reference.device if reference is not None else None)
    element_bytes = x.element_size() if bytes_per_element is None else positive_int(bytes_per_element, "bytes_per_element")
    rows: list[LayerCost] = []
    seen: set[int] = set()

    def record(name: str, module: "nn.Module", inputs: tuple, output: object) -> None:
        first_call = id(module) not in seen
        seen.add(id(module))
        row = _layer_cost(name, module, tuple(inputs[0].shape), tuple(output.shape),  # type: ignore[attr-defined]
                          count_bias, count_batchnorm, element_bytes)
        if row is not None:
            rows.append(row if first_call else dataclasses.replace(row, params=0))

    handles = [
        module.register_forward_hook(lambda m, i, o, name=name: record(name, m, i, o))
        for name, module in model.named_modules()
        if _is_counted(module)
    ]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return Profile(tuple(rows), input_size, count_bias, count_batchnorm, element_bytes)


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
    bytes_per_element: int,
) -> Optional[LayerCost]:
    """The row of one call of `module`, from the formula for its kind; None for a BatchNorm left out."""
    from torch import nn

    if isinstance(module, nn.modules.conv._ConvNd) and not module.transposed:
        kind = _conv_kind(module)
        cost = formulas.conv(
            module.in_channels, module.out_channels, module.kernel_size, input_shape[2:],
            stride=module.stride, padding=module.padding, dilation=module.dilation, groups=module.groups,
            bias=module.bias is not None and count_bias, batch=input_shape[0], bytes_per_element=bytes_per_element,
        )
    elif isinstance(module, nn.Linear):
        kind = "linear"
        cost = formulas.linear(
            module.in_features, module.out_features, bias=module.bias is not None and count_bias,
            batch=math.prod(input_shape[:-1]), bytes_per_element=bytes_per_element,
        )
    elif isinstance(module, nn.modules.batchnorm._BatchNorm):
        if not count_batchnorm:
            return None
        kind = "batchnorm"
        cost = formulas.batchnorm(module.num_features, input_shape[2:], batch=input_shape[0],
                                  bytes_per_element=bytes_per_element)
        if not module.affine:  # no parameters, but a and b (from the running statistics) are still read
            cost = Cost(0, cost.macs, cost.bytes)
    else:
        warnings.warn(
            f"profile counts the parameters of {name} ({type(module).__name__}) but not its MACs: "
            "only convolutions, linear layers and BatchNorm have a MAC formula",
            stacklevel=3,
        )
        kind = type(module).__name__
        params = sum(p.numel() for p in module.parameters(recurse=False))
        tensors = math.prod(input_shape) + params + math.prod(output_shape)
        cost = Cost(params, 0, tensors * bytes_per_element)
    return _row(name, kind, input_shape, output_shape, cost, bytes_per_element)


def _row(name: str, kind: str, input_shape: tuple[int, ...], output_shape: tuple[int, ...], cost: Cost,
         bytes_per_element: int) -> LayerCost:
    """A profile row from a formula's `Cost`: its bytes (input + weights + output) split into the three."""
    input_bytes = math.prod(input_shape) * bytes_per_element
    output_bytes = math.prod(output_shape) * bytes_per_element
    return LayerCost(name, kind, output_shape, cost.params, cost.macs, input_shape,
                     input_bytes, cost.bytes - input_bytes - output_bytes, output_bytes)
