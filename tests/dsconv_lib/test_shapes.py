"""Tests for dsconv_lib.shapes: the convolution geometry shared by the reference ops and the cost model.

What is established here:
  - conv_output_size follows the documented formula and agrees with torch's output sizes;
  - conv_geometry resolves int / tuple / 'same' / 'valid' padding as torch does, putting the
    extra row/column of an even effective kernel *after* the input (checked numerically against
    torch's padding='same');
  - to_tuple accepts Python and numpy ints, and rejects bools, strings, floats and wrong lengths;
  - axis_pass_arguments (formerly column_and_row_arguments) splits a convolution's arguments
    into one pass per spatial axis (for 2D: a column pass over H, then a row pass over W);
  - spatial_size applies the one Size rule (an int is that size in every spatial dimension of the op)
    and positive_int checks a count, both naming the argument and what it got.
"""

from __future__ import annotations

import math
import re
import warnings
from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dsconv_lib.shapes import ConvGeometry, axis_pass_arguments, conv_geometry, conv_output_size, to_tuple


def _all_of(*fragments: str) -> str:
    """A regex for pytest.raises(match=...) that requires every fragment, in any order."""
    return "(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments)


def _torch_output_shape(input_size, kernel_size, stride, padding, dilation, ndim):
    """Output spatial size of torch's convolution on a zero input of the given geometry."""
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[ndim]
    x = torch.zeros((1, 1, *input_size), dtype=torch.float64)
    w = torch.zeros((1, 1, *kernel_size), dtype=torch.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about 'same' with even kernels
        return tuple(conv(x, w, stride=stride, padding=padding, dilation=dilation).shape[2:])


# ----------------------------------------------------------------------------- conv_output_size


@pytest.mark.parametrize(
    ("size", "kernel", "stride", "padding", "dilation", "expected"),
    [
        pytest.param(224, 3, 2, 1, 1, 112, id="mobilenet-stem-224-k3-s2-p1"),
        pytest.param(224, 7, 2, 3, 1, 112, id="resnet-stem-224-k7-s2-p3"),
        pytest.param(5, 3, 1, 0, 1, 3, id="valid-5-k3"),
        pytest.param(5, 3, 1, 1, 1, 5, id="same-by-hand-5-k3-p1"),
        pytest.param(7, 3, 1, 0, 2, 3, id="dilated-7-k3-d2"),
        pytest.param(10, 3, 3, 0, 1, 3, id="stride-floors-10-k3-s3"),
        pytest.param(1, 1, 1, 0, 1, 1, id="one-pixel"),
        pytest.param(4, 5, 1, 1, 1, 2, id="kernel-larger-than-input-but-padded"),
        pytest.param(6, 1, 4, 0, 1, 2, id="pointwise-stride-4"),
    ],
)
def test_conv_output_size_known_values(size, kernel, stride, padding, dilation, expected):
    assert conv_output_size(size, kernel, stride=stride, padding=padding, dilation=dilation) == expected


def test_conv_output_size_defaults_are_stride1_pad0_dilation1():
    assert conv_output_size(9, 4) == 6


@st.composite
def _one_dim_geometry(draw):
    """(size, kernel, stride, padding, dilation) where the dilated kernel fits the padded input."""
    kernel = draw(st.integers(1, 7))
    dilation = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 5))
    padding = draw(st.integers(0, 5))
    effective = dilation * (kernel - 1) + 1
    size = draw(st.integers(max(1, effective - 2 * padding), effective + 30))
    return size, kernel, stride, padding, dilation


@settings(max_examples=150, deadline=None)
@given(_one_dim_geometry())
def test_conv_output_size_matches_formula_and_torch(geometry):
    size, kernel, stride, padding, dilation = geometry
    got = conv_output_size(size, kernel, stride=stride, padding=padding, dilation=dilation)
    effective = dilation * (kernel - 1) + 1
    formula = math.floor(Fraction(size + 2 * padding - effective, stride)) + 1
    assert got == formula, f"formula says {formula}, conv_output_size says {got} for {geometry}"
    (torch_size,) = _torch_output_shape((size,), (kernel,), stride, padding, dilation, ndim=1)
    assert got == torch_size, f"torch says {torch_size}, conv_output_size says {got} for {geometry}"


@settings(max_examples=100, deadline=None)
@given(_one_dim_geometry(), _one_dim_geometry())
def test_conv_geometry_int_padding_agrees_with_conv_output_size(h_geometry, w_geometry):
    (h, kh, sh, ph, dh), (w, kw, sw, pw, dw) = h_geometry, w_geometry
    geometry = conv_geometry((h, w), (kh, kw), (sh, sw), (ph, pw), (dh, dw))
    assert geometry.output_size == (
        conv_output_size(h, kh, sh, ph, dh),
        conv_output_size(w, kw, sw, pw, dw),
    )
    assert geometry.pad_before == geometry.pad_after == (ph, pw)


# ----------------------------------------------------------------------------- conv_geometry


@st.composite
def _nd_geometry(draw, ndim):
    """Arguments of a valid conv_geometry call, in the forms a user would pass them."""
    kernel = tuple(draw(st.integers(1, 5)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
    effective = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    mode = draw(st.sampled_from(["int", "tuple", "same", "valid"]))
    if mode == "same":
        stride, padding, pads = (1,) * ndim, "same", [e - 1 for e in effective]
    else:
        stride = tuple(draw(st.integers(1, 3)) for _ in range(ndim))
        if mode == "int":
            p = draw(st.integers(0, 3))
            padding, pads = p, [2 * p] * ndim
        elif mode == "tuple":
            padding = tuple(draw(st.integers(0, 3)) for _ in range(ndim))
            pads = [2 * p for p in padding]
        else:
            padding, pads = "valid", [0] * ndim
    size = tuple(draw(st.integers(max(1, e - p), max(1, e - p) + 6)) for e, p in zip(effective, pads))
    return size, kernel, stride, padding, dilation


@pytest.mark.parametrize("ndim", [1, 2, 3], ids=["1d", "2d", "3d"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_conv_geometry_output_size_matches_torch(ndim, data):
    size, kernel, stride, padding, dilation = data.draw(_nd_geometry(ndim))
    geometry = conv_geometry(size, kernel, stride, padding, dilation, ndim=ndim)
    expected = _torch_output_shape(size, kernel, stride, padding, dilation, ndim)
    assert geometry.output_size == expected
    assert isinstance(geometry, ConvGeometry)
    assert geometry.input_size == size and geometry.kernel_size == kernel
    assert geometry.stride == stride and geometry.dilation == dilation


@pytest.mark.parametrize(
    ("kernel", "dilation", "before", "after"),
    [
        pytest.param(1, 1, 0, 0, id="k1-no-padding"),
        pytest.param(2, 1, 0, 1, id="k2-extra-after"),
        pytest.param(3, 1, 1, 1, id="k3-symmetric"),
        pytest.param(4, 1, 1, 2, id="k4-extra-after"),
        pytest.param(6, 1, 2, 3, id="k6-extra-after"),
        pytest.param(2, 2, 1, 1, id="k2-d2-effective-3-symmetric"),
        pytest.param(4, 3, 4, 5, id="k4-d3-effective-10-extra-after"),
        pytest.param(4, 2, 3, 3, id="k4-d2-effective-7-symmetric"),
    ],
)
def test_same_padding_puts_the_extra_pad_after_like_torch(kernel, dilation, before, after):
    size = 5
    geometry = conv_geometry(size, kernel, 1, "same", dilation, ndim=1)
    assert geometry.pad_before == (before,)
    assert geometry.pad_after == (after,)
    assert geometry.output_size == (size,)
    assert geometry.effective_kernel_size == (dilation * (kernel - 1) + 1,)
    # Numerically: torch's padding='same' equals a 'valid' convolution of the input padded
    # by (before, after); an asymmetric kernel makes a wrong split visible.
    generator = torch.Generator().manual_seed(kernel * 10 + dilation)
    x = torch.randn(1, 1, size, dtype=torch.float64, generator=generator)
    w = torch.randn(1, 1, kernel, dtype=torch.float64, generator=generator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same = F.conv1d(x, w, padding="same", dilation=dilation)
    by_hand = F.conv1d(F.pad(x, (before, after)), w, dilation=dilation)
    torch.testing.assert_close(same, by_hand, rtol=1e-12, atol=1e-12)


def test_same_padding_2d_even_kernels_per_dimension():
    geometry = conv_geometry((6, 7), (2, 4), 1, "same", (3, 1))
    # H: effective 4 -> total 3 = 1 + 2; W: effective 4 -> total 3 = 1 + 2.
    assert geometry.pad_before == (1, 1)
    assert geometry.pad_after == (2, 2)
    assert geometry.output_size == (6, 7)
    geometry = conv_geometry((6, 7), (3, 2), 1, "same", 1)
    assert geometry.pad_before == (1, 0)
    assert geometry.pad_after == (1, 1)


@settings(max_examples=60, deadline=None)
@given(
    size=st.tuples(st.integers(1, 9), st.integers(1, 9)),
    kernel=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    dilation=st.tuples(st.integers(1, 3), st.integers(1, 3)),
)
def test_same_padding_keeps_the_size_even_when_the_kernel_is_larger_than_the_input(size, kernel, dilation):
    geometry = conv_geometry(size, kernel, 1, "same", dilation)
    assert geometry.output_size == size
    totals = tuple(d * (k - 1) for k, d in zip(kernel, dilation))
    assert tuple(b + a for b, a in zip(geometry.pad_before, geometry.pad_after)) == totals
    assert all(0 <= a - b <= 1 for b, a in zip(geometry.pad_before, geometry.pad_after))


def test_valid_padding_is_zero_padding():
    valid = conv_geometry((7, 8), (3, 2), (2, 1), "valid", (1, 2))
    zero = conv_geometry((7, 8), (3, 2), (2, 1), 0, (1, 2))
    assert valid == zero
    assert valid.pad_before == valid.pad_after == (0, 0)
    assert valid.output_size == (3, 6)


def test_kernel_exactly_as_large_as_the_padded_input_fits():
    geometry = conv_geometry((4, 4), (6, 4), 1, (1, 0))
    assert geometry.output_size == (1, 1)
    # H: span (3 - 1) * 2 + 1 = 5 in a padded 4 + 1 + 1 = 6 -> 2 outputs; W: span (2 - 1) * 3 + 1 = 4 = the input -> 1
    assert conv_geometry((4, 4), (3, 2), 1, (1, 0), (2, 3)).output_size == (2, 1)


@pytest.mark.parametrize(
    ("kwargs", "error", "fragments"),
    [
        pytest.param(
            dict(input_size=(4, 4), kernel_size=5),
            ValueError,
            ["kernel does not fit", "kernel_size=(5, 5)", "padded input is only (4, 4)"],
            id="kernel-larger-than-input",
        ),
        pytest.param(
            dict(input_size=(4, 4), kernel_size=3, dilation=(2, 1)),
            ValueError,
            ["kernel does not fit", "dilation=(2, 1)", "spans (5, 3)", "padded input is only (4, 4)"],
            id="dilated-kernel-larger-than-input",
        ),
        pytest.param(
            dict(input_size=(4, 4), kernel_size=7, padding=1),
            ValueError,
            ["kernel does not fit", "padded input is only (6, 6)", "padding (1, 1)+(1, 1)"],
            id="kernel-larger-than-padded-input",
        ),
        pytest.param(
            dict(input_size=(8, 8), kernel_size=3, stride=2, padding="same"),
            ValueError,
            ["padding='same' needs stride 1", "stride=(2, 2)"],
            id="same-with-stride-2",
        ),
        pytest.param(
            dict(input_size=(8, 8), kernel_size=3, stride=(1, 2), padding="same"),
            ValueError,
            ["padding='same' needs stride 1", "stride=(1, 2)"],
            id="same-with-stride-1-2",
        ),
        pytest.param(
            dict(input_size=(8, 8), kernel_size=3, padding="full"),
            ValueError,
            ["padding must be an int, a tuple, 'same' or 'valid'", "'full'"],
            id="unknown-padding-string",
        ),
        pytest.param(
            dict(input_size=(8, 8), kernel_size=3, padding=-1),
            ValueError,
            ["padding must be >= 0", "(-1, -1)"],
            id="negative-padding",
        ),
        pytest.param(
            dict(input_size=(8, 8), kernel_size=3, padding=(1, 1, 1)),
            ValueError,
            ["padding must have 2 entries", "(1, 1, 1)"],
            id="padding-wrong-length",
        ),
        pytest.param(
            dict(input_size=(8, 8), kernel_size=3, stride=0),
            ValueError,
            ["stride must be positive", "(0, 0)"],
            id="zero-stride",
        ),
        pytest.param(
            dict(input_size=(8, 8), kernel_size=3, dilation=(1, 0)),
            ValueError,
            ["dilation must be positive", "(1, 0)"],
            id="zero-dilation",
        ),
        pytest.param(
            dict(input_size=(8, 8), kernel_size=0),
            ValueError,
            ["kernel_size must be positive", "(0, 0)"],
            id="zero-kernel",
        ),
        pytest.param(
            dict(input_size=(8, 0), kernel_size=1),
            ValueError,
            ["input spatial size must be positive", "(8, 0)"],
            id="empty-input",
        ),
    ],
)
def test_conv_geometry_rejects_bad_arguments(kwargs, error, fragments):
    with pytest.raises(error, match=_all_of(*fragments)):
        conv_geometry(**kwargs)


# ----------------------------------------------------------------------------- to_tuple


@pytest.mark.parametrize(
    ("value", "n", "expected"),
    [
        pytest.param(2, 2, (2, 2), id="int-repeated"),
        pytest.param(3, 1, (3,), id="int-1d"),
        pytest.param(1, 3, (1, 1, 1), id="int-3d"),
        pytest.param((2, 3), 2, (2, 3), id="tuple"),
        pytest.param([2, 3], 2, (2, 3), id="list"),
        pytest.param(np.int64(4), 2, (4, 4), id="numpy-int64"),
        pytest.param(np.int32(4), 3, (4, 4, 4), id="numpy-int32"),
        pytest.param(np.uint8(5), 1, (5,), id="numpy-uint8"),
        pytest.param((np.int16(1), np.int64(2)), 2, (1, 2), id="tuple-of-numpy-ints"),
        pytest.param(torch.Size([2, 5]), 2, (2, 5), id="torch-size"),
    ],
)
def test_to_tuple_accepts_ints(value, n, expected):
    got = to_tuple(value, n, "stride")
    assert got == expected
    assert type(got) is tuple
    assert all(type(v) is int for v in got), f"entries should be plain ints, got {[type(v) for v in got]}"


@pytest.mark.parametrize(
    ("value", "error", "fragments"),
    [
        pytest.param(True, TypeError, ["stride must be an int or a tuple of 2 ints", "True"], id="bool-True"),
        pytest.param(False, TypeError, ["stride must be an int or a tuple of 2 ints", "False"], id="bool-False"),
        pytest.param(np.True_, TypeError, ["stride must be an int or a tuple of 2 ints"], id="numpy-bool"),
        pytest.param("2", TypeError, ["stride must be an int or a tuple of 2 ints", "'2'"], id="string"),
        pytest.param("12", TypeError, ["stride must be an int or a tuple of 2 ints", "'12'"], id="string-of-length-n"),
        pytest.param(b"12", TypeError, ["stride must be an int or a tuple of 2 ints"], id="bytes-of-length-n"),
        pytest.param(2.0, TypeError, ["stride must be an int or a tuple of 2 ints", "2.0"], id="float"),
        pytest.param(None, TypeError, ["stride must be an int or a tuple of 2 ints", "None"], id="None"),
        pytest.param((1, True), TypeError, ["stride must hold ints", "(1, True)"], id="tuple-with-bool"),
        pytest.param((1, 2.0), TypeError, ["stride must hold ints", "(1, 2.0)"], id="tuple-with-float"),
        pytest.param((1, "2"), TypeError, ["stride must hold ints", "(1, '2')"], id="tuple-with-string"),
        pytest.param((1, 2, 3), ValueError, ["stride must have 2 entries", "(1, 2, 3)"], id="too-long"),
        pytest.param((1,), ValueError, ["stride must have 2 entries", "(1,)"], id="too-short"),
        pytest.param((), ValueError, ["stride must have 2 entries", "()"], id="empty"),
        pytest.param(0, ValueError, ["stride must be positive in every dimension", "(0, 0)"], id="zero"),
        pytest.param((2, -1), ValueError, ["stride must be positive in every dimension", "(2, -1)"], id="negative-entry"),
    ],
)
def test_to_tuple_rejects(value, error, fragments):
    with pytest.raises(error, match=_all_of(*fragments)):
        to_tuple(value, 2, "stride")


def test_to_tuple_minimum():
    assert to_tuple(0, 2, "padding", minimum=0) == (0, 0)
    assert to_tuple((0, 3), 2, "padding", minimum=0) == (0, 3)
    with pytest.raises(ValueError, match=_all_of("padding must be >= 0 in every dimension", "(0, -1)")):
        to_tuple((0, -1), 2, "padding", minimum=0)
    with pytest.raises(ValueError, match=_all_of("dilation must be positive", "(0, 0)")):
        to_tuple(0, 2, "dilation")


# ----------------------------------------------------------------------------- axis_pass_arguments
# (the split that spatially separable convolution uses: a column pass over H, then a row pass over W)


@pytest.mark.parametrize(
    ("stride", "padding", "dilation", "column", "row"),
    [
        pytest.param(
            1, 0, 1,
            {"stride": (1, 1), "padding": (0, 0), "dilation": (1, 1)},
            {"stride": (1, 1), "padding": (0, 0), "dilation": (1, 1)},
            id="defaults",
        ),
        pytest.param(
            2, 1, 3,
            {"stride": (2, 1), "padding": (1, 0), "dilation": (3, 1)},
            {"stride": (1, 2), "padding": (0, 1), "dilation": (1, 3)},
            id="ints-split-per-dimension",
        ),
        pytest.param(
            (2, 3), (4, 5), (6, 7),
            {"stride": (2, 1), "padding": (4, 0), "dilation": (6, 1)},
            {"stride": (1, 3), "padding": (0, 5), "dilation": (1, 7)},
            id="pairs-H-to-column-W-to-row",
        ),
        pytest.param(
            np.int64(2), [1, 0], (np.int32(1), 2),
            {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 1)},
            {"stride": (1, 2), "padding": (0, 0), "dilation": (1, 2)},
            id="numpy-ints-and-lists",
        ),
        pytest.param(
            1, "same", (2, 1),
            {"stride": (1, 1), "padding": "same", "dilation": (2, 1)},
            {"stride": (1, 1), "padding": "same", "dilation": (1, 1)},
            id="same-passes-through",
        ),
        pytest.param(
            (1, 2), "valid", 1,
            {"stride": (1, 1), "padding": "valid", "dilation": (1, 1)},
            {"stride": (1, 2), "padding": "valid", "dilation": (1, 1)},
            id="valid-passes-through",
        ),
    ],
)
def test_axis_pass_arguments_2d_column_then_row(stride, padding, dilation, column, row):
    passes = axis_pass_arguments(stride, padding, dilation)
    assert len(passes) == 2
    got_column, got_row = passes
    assert got_column == column
    assert got_row == row


def test_axis_pass_arguments_1d_and_3d():
    assert axis_pass_arguments(2, 1, 3, ndim=1) == [{"stride": (2,), "padding": (1,), "dilation": (3,)}]
    assert axis_pass_arguments((2, 3, 4), (5, 6, 7), (1, 2, 3), ndim=3) == [
        {"stride": (2, 1, 1), "padding": (5, 0, 0), "dilation": (1, 1, 1)},
        {"stride": (1, 3, 1), "padding": (0, 6, 0), "dilation": (1, 2, 1)},
        {"stride": (1, 1, 4), "padding": (0, 0, 7), "dilation": (1, 1, 3)},
    ]


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_column_then_row_geometry_equals_the_2d_geometry(data):
    size, kernel, stride, padding, dilation = data.draw(_nd_geometry(2))
    full = conv_geometry(size, kernel, stride, padding, dilation)
    column_args, row_args = axis_pass_arguments(stride, padding, dilation)
    column = conv_geometry(size, (kernel[0], 1), **column_args)
    row = conv_geometry(column.output_size, (1, kernel[1]), **row_args)
    assert row.output_size == full.output_size
    assert (column.pad_before[0], row.pad_before[1]) == full.pad_before
    assert (column.pad_after[0], row.pad_after[1]) == full.pad_after
    assert column.pad_before[1] == column.pad_after[1] == row.pad_before[0] == row.pad_after[0] == 0


@pytest.mark.parametrize(
    ("stride", "padding", "dilation", "error", "fragments"),
    [
        pytest.param(0, 0, 1, ValueError, ["stride must be positive", "(0, 0)"], id="zero-stride"),
        pytest.param(1, -1, 1, ValueError, ["padding must be >= 0", "(-1, -1)"], id="negative-padding"),
        pytest.param(1, 0, (1, 0), ValueError, ["dilation must be positive", "(1, 0)"], id="zero-dilation"),
        pytest.param((1, 1, 1), 0, 1, ValueError, ["stride must have 2 entries"], id="3-strides"),
        pytest.param(1, True, 1, TypeError, ["padding must be an int or a tuple of 2 ints"], id="bool-padding"),
    ],
)
def test_axis_pass_arguments_rejects(stride, padding, dilation, error, fragments):
    with pytest.raises(error, match=_all_of(*fragments)):
        axis_pass_arguments(stride, padding, dilation)


# ----------------------------------------------------------------------------- the Size rule, counts


def test_spatial_size_an_int_is_that_size_in_every_dimension_of_the_op():
    from dsconv_lib.shapes import spatial_size

    assert spatial_size(56) == (56, 56)  # a 2D op by default: a square
    assert spatial_size(128, int_ndim=1) == (128,)  # an op that takes an int as a length
    assert spatial_size(16, 3) == (16, 16, 16)  # a 3D op: a cube
    assert spatial_size((8, 28, 28)) == (8, 28, 28) and spatial_size([5]) == (5,)  # a tuple says how many
    assert spatial_size(np.int64(7), 2) == (7, 7)
    with pytest.raises(ValueError, match=_all_of("input_size must have 3 entries", "(8, 8)")):
        spatial_size((8, 8), 3)
    with pytest.raises(ValueError, match=_all_of("input_size must be positive", "(0, 4)")):
        spatial_size((0, 4))
    with pytest.raises(TypeError, match=_all_of("size must be an int or a tuple of 2 ints", "2.5")):
        spatial_size(2.5, name="size")


@pytest.mark.parametrize("value", [0, -3, 2.0, True, "4", None])
def test_positive_int_names_the_argument_and_what_it_got(value):
    from dsconv_lib.shapes import positive_int

    with pytest.raises(ValueError, match=_all_of("channels must be a positive int", repr(value))):
        positive_int(value, "channels")


def test_positive_int_accepts_python_and_numpy_ints():
    from dsconv_lib.shapes import positive_int

    assert positive_int(3, "c") == 3 and positive_int(np.int32(5), "c") == 5
    assert type(positive_int(np.int32(5), "c")) is int
