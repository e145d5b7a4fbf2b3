"""Convolution geometry: how kernel size, stride, padding and dilation set the output size.

Everything here is shape arithmetic on plain integers, shared by the numpy
reference ops (`dsconv_lib.reference`) and the cost model (`dsconv_lib.cost`),
so that both agree on what a convolution's output size is.

The output-size formula, per spatial dimension, with torch's semantics:

    effective kernel   k_eff = dilation * (k - 1) + 1
    output size        out   = floor((in + pad_before + pad_after - k_eff) / stride) + 1
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Optional, Sequence, Union

IntOrTuple = Union[int, Sequence[int]]  # kernel_size, stride, dilation: an int means the same in every spatial dimension
Padding = Union[int, Sequence[int], str]  # IntOrTuple, or "same" / "valid" as in torch
# A spatial size (input_size, ...). The one rule, for the whole library: an int means that size in
# every spatial dimension of the op (a square for a 2D op, a length for 1D, a cube for 3D); a tuple
# gives one size per dimension. How many dimensions the op has is the op's: `spatial_size` below reads
# them from a tuple, and each op says what an int stands for (cost.conv: 2D; cost.fft: 1D; cost.spatiotemporal: 3D).
Size = Union[int, Sequence[int]]


def to_tuple(value: IntOrTuple, n: int, name: str, *, minimum: int = 1) -> tuple[int, ...]:
    """`value` as a tuple of `n` ints, each >= `minimum`.

    An int is repeated `n` times (torch's convention: `stride=2` means 2 in every
    spatial dimension). Raises TypeError or ValueError naming `name` otherwise.
    """
    if _is_int(value):
        values = (operator.index(value),) * n  # type: ignore[arg-type]
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        if len(value) != n:
            raise ValueError(f"{name} must have {n} entries (one per spatial dimension), got {tuple(value)!r}")
        if not all(_is_int(v) for v in value):
            raise TypeError(f"{name} must hold ints, got {tuple(value)!r}")
        values = tuple(operator.index(v) for v in value)
    else:
        raise TypeError(f"{name} must be an int or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in values):
        need = "positive" if minimum == 1 else f">= {minimum}"
        raise ValueError(f"{name} must be {need} in every dimension, got {values!r}")
    return values


def spatial_size(size: Size, ndim: Optional[int] = None, name: str = "input_size", *,
                 int_ndim: int = 2) -> tuple[int, ...]:
    """`size` as one positive int per spatial dimension, by the `Size` rule.

    ndim: the op's number of spatial dimensions; None takes it from `size`, a tuple's
    length or, for an int, `int_ndim` (what the op takes an int for: 2 for a square image).
    Raises TypeError or ValueError naming `name`, what it got and what it needs.

    >>> spatial_size(56), spatial_size((8, 28, 28)), spatial_size(128, int_ndim=1), spatial_size(16, 3)
    ((56, 56), (8, 28, 28), (128,), (16, 16, 16))
    """
    if ndim is None:
        is_tuple = isinstance(size, Sequence) and not isinstance(size, (str, bytes))
        ndim = len(size) if is_tuple else int_ndim  # type: ignore[arg-type]
    return to_tuple(size, ndim, name)


def positive_int(value: object, name: str) -> int:
    """`value` as an int >= 1 (a count: channels, a batch, a length), or a ValueError naming `name`.

    >>> positive_int(64, "c_in")
    64
    """
    if not _is_int(value) or operator.index(value) < 1:  # type: ignore[arg-type]
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return operator.index(value)  # type: ignore[arg-type]


def _is_int(value: object) -> bool:
    """True for Python and numpy integers, False for bools and everything else."""
    if isinstance(value, bool):
        return False
    try:
        operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return False
    return True


def conv_output_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length of a convolution along one dimension (symmetric padding).

    >>> conv_output_size(224, 3, stride=2, padding=1)
    112
    """
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


@dataclass(frozen=True)
class ConvGeometry:
    """A convolution's resolved geometry, one entry per spatial dimension.

    `pad_before`/`pad_after` differ only for padding='same' with an even
    effective kernel, where (as in torch) the extra row/column goes after.
    """

    input_size: tuple[int, ...]
    kernel_size: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    pad_before: tuple[int, ...]
    pad_after: tuple[int, ...]
    output_size: tuple[int, ...]

    @property
    def effective_kernel_size(self) -> tuple[int, ...]:
        """Span of a dilated kernel: d * (k - 1) + 1."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation))


def conv_geometry(
    input_size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: Padding = 0,
    dilation: IntOrTuple = 1,
    *,
    ndim: int = 2,
) -> ConvGeometry:
    """Resolve and validate a convolution's arguments for `ndim` spatial dimensions.

    padding: an int, a tuple of `ndim` ints, 'valid' (no padding) or 'same'
    (output size equals input size; stride must be 1, as in torch).
    Raises ValueError with the offending argument named when the kernel does
    not fit in the padded input.
    """
    size = to_tuple(input_size, ndim, "input spatial size")
    kernel = to_tuple(kernel_size, ndim, "kernel_size")
    strides = to_tuple(stride, ndim, "stride")
    dilations = to_tuple(dilation, ndim, "dilation")
    effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilations))

    if isinstance(padding, str):
        if padding == "valid":
            before = after = (0,) * ndim
        elif padding == "same":
            if any(s != 1 for s in strides):
                raise ValueError(
                    f"padding='same' needs stride 1 (as in torch), got stride={strides}; "
                    "give the padding as an int instead"
                )
            totals = tuple(e - 1 for e in effective)
            before = tuple(t // 2 for t in totals)
            after = tuple(t - b for t, b in zip(totals, before))
        else:
            raise ValueError(f"padding must be an int, a tuple, 'same' or 'valid', got the string {padding!r}")
    else:
        before = after = to_tuple(padding, ndim, "padding", minimum=0)

    padded = tuple(s + b + a for s, b, a in zip(size, before, after))
    if any(e > p for e, p in zip(effective, padded)):
        raise ValueError(
            f"kernel does not fit: kernel_size={kernel} with dilation={dilations} spans {effective}, "
            f"but the padded input is only {padded} (input {size}, padding {before}+{after}); "
            "use a smaller kernel or dilation, or more padding"
        )
    output = tuple((p - e) // s + 1 for p, e, s in zip(padded, effective, strides))
    return ConvGeometry(size, kernel, strides, dilations, before, after, output)


def axis_pass_arguments(
    stride: IntOrTuple, padding: Padding, dilation: IntOrTuple, *, ndim: int = 2
) -> list[dict[str, object]]:
    """Split a convolution into one pass per spatial axis, as spatial separability does.

    A (kH, kW) kernel that is an outer product column x row can be applied as a
    (kH, 1) column pass, then a (1, kW) row pass (and in 3D, three passes). Pass d
    takes axis d's stride, padding and dilation (its kernel is 1 along every other
    axis) and leaves the other axes alone, so that together the passes produce
    exactly the output of one full convolution. Returns one dict of conv arguments
    (stride, padding, dilation) per axis, in axis order.
    """
    strides = to_tuple(stride, ndim, "stride")
    dilations = to_tuple(dilation, ndim, "dilation")
    pads = None if isinstance(padding, str) else to_tuple(padding, ndim, "padding", minimum=0)

    def along(axis: int, values: tuple[int, ...], other: int) -> tuple[int, ...]:
        return tuple(v if d == axis else other for d, v in enumerate(values))

    return [
        {
            "stride": along(axis, strides, 1),
            "padding": padding if pads is None else along(axis, pads, 0),
            "dilation": along(axis, dilations, 1),
        }
        for axis in range(ndim)
    ]


def next_power_of_2(n: int) -> int:
    """The smallest power of 2 that is >= n (1 for n <= 1): FFT lengths, GPU tile sizes.

    >>> [next_power_of_2(n) for n in (1, 2, 3, 16, 17)]
    [1, 2, 4, 16, 32]
    """
    return 1 << max(operator.index(n) - 1, 0).bit_length()
