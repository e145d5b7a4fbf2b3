"""Tests for dsconv_lib.reference: the numpy reference convolutions, loops and vectorised.

What is established here (the acceptance bar of the reference ops):
  1. every op matches torch.nn.functional (conv1d / conv2d / conv3d, with groups) in float64
     to rtol=1e-10, atol=1e-12, over property-based random shapes, strides, paddings
     (int, tuple/list, 'same', 'valid'), dilations, groups and with / without bias;
  2. the loop versions agree with the vectorised ones on the same configurations;
  3. the structural facts the course teaches: depthwise = conv2d with groups=C and output
     channel c * m + k; spatially separable = depthwise with the outer-product kernel;
     separable = depthwise then pointwise; pointwise = an einsum per pixel; 1D / 3D separable =
     a torch depthwise + pointwise pair; float32 stays float32, integers become float64,
     torch tensors are accepted;
  4. every documented bad input raises its documented error, naming the argument and the
     shape (or value) it got, on the loop and the vectorised versions alike.

Inputs are drawn from a seed that hypothesis picks, so a failing example is reproducible from
the printed configuration. Sizes are kept small so that the pure-Python loop versions stay fast.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsconv_lib import reference as ref
from dsconv_lib.reference.fast import _depthwise_nd

RTOL, ATOL = 1e-10, 1e-12  # float64 against torch's float64
RTOL32, ATOL32 = 1e-5, 1e-5  # float32 against the float64 truth
TORCH_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
LAYOUT = {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LOOPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _all_of(*fragments: str) -> str:
    """A regex for pytest.raises(match=...) that requires every fragment, in any order."""
    return "(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments)


def _close(got, expected, what: str, rtol: float = RTOL, atol: float = ATOL) -> None:
    expected = expected.detach().numpy() if isinstance(expected, torch.Tensor) else expected
    assert isinstance(got, np.ndarray), f"{what}: expected a numpy array, got {type(got).__name__}"
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}"
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=what)


def _torch_kwargs(**kwargs) -> dict:
    """Arguments as torch wants them: tuples of Python ints (lists and numpy ints converted)."""
    out = {}
    for key, value in kwargs.items():
        if isinstance(value, (list, tuple)):
            value = tuple(int(v) for v in value)
        elif isinstance(value, (int, np.integer)):
            value = int(value)
        out[key] = value
    return out


def _t(array: Optional[np.ndarray]) -> Optional[torch.Tensor]:
    return None if array is None else torch.from_numpy(np.ascontiguousarray(array))


def _torch_conv(x, weight, bias=None, *, ndim: int, groups: int = 1, **kwargs) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's note about 'same' with even kernels
        y = TORCH_CONV[ndim](_t(x), _t(weight), _t(bias), groups=int(groups), **_torch_kwargs(**kwargs))
    return y.numpy()


# ============================================================================= strategies


@dataclass(frozen=True)
class Geometry:
    """Spatial size of the input and the conv arguments, in the form a user would pass them."""

    spatial: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: object
    padding: object
    dilation: object

    def kwargs(self) -> dict:
        return {"stride": self.stride, "padding": self.padding, "dilation": self.dilation}


def _user_form(draw, values: tuple[int, ...]):
    """An int when every entry is equal (sometimes), else a tuple or a list."""
    if len(set(values)) == 1 and draw(st.booleans()):
        return values[0]
    return draw(st.sampled_from([tuple, list]))(values)


@st.composite
def geometries(draw, ndim: int, *, max_kernel=4, max_dilation=3, max_stride=3, max_padding=2, max_extra=4):
    """A valid geometry: the dilated kernel fits the padded input; 'same' only with stride 1.

    Kernel, stride, dilation and padding are drawn per dimension, so they are often asymmetric;
    even kernels with 'same' (the extra pad goes after, as in torch) come up often.
    """
    kernel = tuple(draw(st.integers(1, max_kernel)) for _ in range(ndim))
    dilation = tuple(draw(st.integers(1, max_dilation)) for _ in range(ndim))
    effective = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    mode = draw(st.sampled_from(["int", "tuple", "same", "valid"]))
    if mode == "same":
        stride = draw(st.sampled_from([1, (1,) * ndim]))
        padding = "same"
        total_pad = [e - 1 for e in effective]
    else:
        stride = _user_form(draw, tuple(draw(st.integers(1, max_stride)) for _ in range(ndim)))
        if mode == "int":
            p = draw(st.integers(0, max_padding))
            padding, total_pad = p, [2 * p] * ndim
        elif mode == "tuple":
            pads = tuple(draw(st.integers(0, max_padding)) for _ in range(ndim))
            padding, total_pad = draw(st.sampled_from([tuple, list]))(pads), [2 * p for p in pads]
        else:
            padding, total_pad = "valid", [0] * ndim
    lows = [max(1, e - t) for e, t in zip(effective, total_pad)]
    spatial = tuple(draw(st.integers(lo, lo + max_extra)) for lo in lows)
    return Geometry(spatial, kernel, stride, padding, _user_form(draw, dilation))


seeds = st.integers(0, 2**32 - 1)


@dataclass(frozen=True)
class ConvCase:
    batch: int
    c_in: int
    c_out: int
    groups: int
    geometry: Geometry
    bias: bool
    seed: int

    def arrays(self):
        rng = np.random.default_rng(self.seed)
        x = rng.standard_normal((self.batch, self.c_in, *self.geometry.spatial))
        w = rng.standard_normal((self.c_out, self.c_in // self.groups, *self.geometry.kernel))
        b = rng.standard_normal(self.c_out) if self.bias else None
        return x, w, b


@st.composite
def conv_cases(draw, ndim: int, *, max_per_group=2, **geometry_kwargs):
    groups = draw(st.integers(1, 3))
    return ConvCase(
        batch=draw(st.integers(1, 2)),
        c_in=groups * draw(st.integers(1, max_per_group)),
        c_out=groups * draw(st.integers(1, max_per_group)),
        groups=groups,
        geometry=draw(geometries(ndim, **geometry_kwargs)),
        bias=draw(st.booleans()),
        seed=draw(seeds),
    )


@dataclass(frozen=True)
class DepthwiseCase:
    batch: int
    channels: int
    multiplier: int
    geometry: Geometry
    bias: bool
    seed: int

    def arrays(self):
        rng = np.random.default_rng(self.seed)
        x = rng.standard_normal((self.batch, self.channels, *self.geometry.spatial))
        w = rng.standard_normal((self.channels * self.multiplier, 1, *self.geometry.kernel))
        b = rng.standard_normal(self.channels * self.multiplier) if self.bias else None
        return x, w, b


@st.composite
def depthwise_cases(draw, ndim: int = 2, **geometry_kwargs):
    return DepthwiseCase(
        batch=draw(st.integers(1, 2)),
        channels=draw(st.integers(1, 3)),
        multiplier=draw(st.integers(1, 3)),
        geometry=draw(geometries(ndim, **geometry_kwargs)),
        bias=draw(st.booleans()),
        seed=draw(seeds),
    )


@dataclass(frozen=True)
class PointwiseCase:
    batch: int
    c_in: int
    c_out: int
    spatial: tuple[int, int]
    stride: object
    bias: bool
    seed: int

    def arrays(self):
        rng = np.random.default_rng(self.seed)
        x = rng.standard_normal((self.batch, self.c_in, *self.spatial))
        w = rng.standard_normal((self.c_out, self.c_in, 1, 1))
        b = rng.standard_normal(self.c_out) if self.bias else None
        return x, w, b


@st.composite
def pointwise_cases(draw):
    return PointwiseCase(
        batch=draw(st.integers(1, 2)),
        c_in=draw(st.integers(1, 5)),
        c_out=draw(st.integers(1, 5)),
        spatial=(draw(st.integers(1, 7)), draw(st.integers(1, 7))),
        stride=_user_form(draw, (draw(st.integers(1, 4)), draw(st.integers(1, 4)))),
        bias=draw(st.booleans()),
        seed=draw(seeds),
    )


@dataclass(frozen=True)
class SeparableCase:
    batch: int
    channels: int
    multiplier: int
    c_out: int
    geometry: Geometry
    depthwise_bias: bool
    pointwise_bias: bool
    seed: int

    def arrays(self):
        rng = np.random.default_rng(self.seed)
        ndim = len(self.geometry.spatial)
        mid = self.channels * self.multiplier
        x = rng.standard_normal((self.batch, self.channels, *self.geometry.spatial))
        dw = rng.standard_normal((mid, 1, *self.geometry.kernel))
        pw = rng.standard_normal((self.c_out, mid, *(1,) * ndim))
        db = rng.standard_normal(mid) if self.depthwise_bias else None
        pb = rng.standard_normal(self.c_out) if self.pointwise_bias else None
        return x, dw, pw, db, pb


@st.composite
def separable_cases(draw, ndim: int, **geometry_kwargs):
    return SeparableCase(
        batch=draw(st.integers(1, 2)),
        channels=draw(st.integers(1, 3)),
        multiplier=draw(st.integers(1, 2)),
        c_out=draw(st.integers(1, 4)),
        geometry=draw(geometries(ndim, **geometry_kwargs)),
        depthwise_bias=draw(st.booleans()),
        pointwise_bias=draw(st.booleans()),
        seed=draw(seeds),
    )


@dataclass(frozen=True)
class SpatialCase:
    batch: int
    channels: int
    geometry: Geometry
    bias: bool
    seed: int

    def arrays(self):
        rng = np.random.default_rng(self.seed)
        kh, kw = self.geometry.kernel
        x = rng.standard_normal((self.batch, self.channels, *self.geometry.spatial))
        column = rng.standard_normal((self.channels, 1, kh, 1))
        row = rng.standard_normal((self.channels, 1, 1, kw))
        b = rng.standard_normal(self.channels) if self.bias else None
        return x, column, row, b


@st.composite
def spatial_cases(draw, **geometry_kwargs):
    return SpatialCase(
        batch=draw(st.integers(1, 2)),
        channels=draw(st.integers(1, 3)),
        geometry=draw(geometries(2, **geometry_kwargs)),
        bias=draw(st.booleans()),
        seed=draw(seeds),
    )


# ============================================================================= 1 + 2: against torch, loops = fast


@pytest.mark.parametrize(
    ("ndim", "conv"),
    [
        pytest.param(1, ref.conv1d, id="conv1d"),
        pytest.param(2, ref.conv2d, id="conv2d"),
    ],
)
@FAST
@given(data=st.data())
def test_conv_matches_torch(ndim, conv, data):
    case = data.draw(conv_cases(ndim, max_extra=5), label="case")
    x, w, b = case.arrays()
    expected = _torch_conv(x, w, b, ndim=ndim, groups=case.groups, **case.geometry.kwargs())
    got = conv(x, w, b, groups=case.groups, **case.geometry.kwargs())
    _close(got, expected, f"{conv.__name__} vs torch")


@FAST
@given(case=conv_cases(3, max_kernel=3, max_dilation=2, max_stride=2, max_padding=1, max_extra=2))
def test_conv3d_matches_torch(case):
    x, w, b = case.arrays()
    expected = _torch_conv(x, w, b, ndim=3, groups=case.groups, **case.geometry.kwargs())
    _close(ref.conv3d(x, w, b, groups=case.groups, **case.geometry.kwargs()), expected, "conv3d vs torch")


@LOOPS
@given(case=conv_cases(2))
def test_conv2d_loops_matches_torch_and_fast(case):
    x, w, b = case.arrays()
    kwargs = case.geometry.kwargs()
    expected = _torch_conv(x, w, b, ndim=2, groups=case.groups, **kwargs)
    loops = ref.conv2d_loops(x, w, b, groups=case.groups, **kwargs)
    _close(loops, expected, "conv2d_loops vs torch")
    _close(loops, ref.conv2d(x, w, b, groups=case.groups, **kwargs), "conv2d_loops vs conv2d")


@LOOPS
@given(case=depthwise_cases())
def test_depthwise_conv2d_matches_torch_grouped_conv_and_loops(case):
    x, w, b = case.arrays()
    kwargs = case.geometry.kwargs()
    expected = _torch_conv(x, w, b, ndim=2, groups=case.channels, **kwargs)
    fast = ref.depthwise_conv2d(x, w, b, **kwargs)
    loops = ref.depthwise_conv2d_loops(x, w, b, **kwargs)
    _close(fast, expected, "depthwise_conv2d vs torch conv2d(groups=C)")
    _close(loops, expected, "depthwise_conv2d_loops vs torch conv2d(groups=C)")
    _close(loops, fast, "depthwise_conv2d_loops vs depthwise_conv2d")
    # Structural: depthwise is the library's own conv2d with groups = C.
    _close(fast, ref.conv2d(x, w, b, groups=case.channels, **kwargs), "depthwise_conv2d vs conv2d(groups=C)")


@LOOPS
@given(case=pointwise_cases())
def test_pointwise_conv2d_matches_torch_einsum_and_loops(case):
    x, w, b = case.arrays()
    expected = _torch_conv(x, w, b, ndim=2, stride=case.stride)
    fast = ref.pointwise_conv2d(x, w, b, stride=case.stride)
    loops = ref.pointwise_conv2d_loops(x, w, b, stride=case.stride)
    _close(fast, expected, "pointwise_conv2d vs torch")
    _close(loops, expected, "pointwise_conv2d_loops vs torch")
    _close(loops, fast, "pointwise_conv2d_loops vs pointwise_conv2d")
    # Structural: at every sampled pixel, the (C_out, C_in) matrix times the channel vector.
    sh, sw = (case.stride, case.stride) if isinstance(case.stride, int) else case.stride
    einsum = np.einsum("oc,nchw->nohw", w[:, :, 0, 0], x[:, :, ::sh, ::sw])
    if b is not None:
        einsum = einsum + b[None, :, None, None]
    _close(fast, einsum, "pointwise_conv2d vs einsum per pixel")


@LOOPS
@given(case=separable_cases(2, max_extra=3))
def test_separable_conv2d_matches_torch_pair_and_loops(case):
    x, dw, pw, db, pb = case.arrays()
    kwargs = case.geometry.kwargs()
    middle = _torch_conv(x, dw, db, ndim=2, groups=case.channels, **kwargs)
    expected = _torch_conv(middle, pw, pb, ndim=2)
    fast = ref.separable_conv2d(x, dw, pw, db, pb, **kwargs)
    loops = ref.separable_conv2d_loops(x, dw, pw, db, pb, **kwargs)
    _close(fast, expected, "separable_conv2d vs torch depthwise + pointwise")
    _close(loops, expected, "separable_conv2d_loops vs torch depthwise + pointwise")
    _close(loops, fast, "separable_conv2d_loops vs separable_conv2d")
    # Structural: separable = the library's depthwise, then its pointwise.
    composed = ref.pointwise_conv2d(ref.depthwise_conv2d(x, dw, db, **kwargs), pw, pb)
    _close(fast, composed, "separable_conv2d vs pointwise_conv2d(depthwise_conv2d(x))")


@LOOPS
@given(case=spatial_cases(max_kernel=5))
def test_spatially_separable_conv2d_is_depthwise_with_outer_product_kernel(case):
    x, column, row, b = case.arrays()
    kwargs = case.geometry.kwargs()
    outer = column * row  # (C, 1, kH, 1) * (C, 1, 1, kW) -> (C, 1, kH, kW): kernel[c] = column[c] x row[c]
    expected = _torch_conv(x, outer, b, ndim=2, groups=case.channels, **kwargs)
    fast = ref.spatially_separable_conv2d(x, column, row, b, **kwargs)
    loops = ref.spatially_separable_conv2d_loops(x, column, row, b, **kwargs)
    _close(fast, expected, "spatially_separable_conv2d vs torch conv2d(outer kernel, groups=C)")
    _close(loops, expected, "spatially_separable_conv2d_loops vs torch conv2d(outer kernel, groups=C)")
    _close(loops, fast, "spatially_separable_conv2d_loops vs spatially_separable_conv2d")
    _close(fast, ref.depthwise_conv2d(x, outer, b, **kwargs), "spatially_separable_conv2d vs depthwise(outer kernel)")


@pytest.mark.parametrize(
    ("ndim", "separable"),
    [pytest.param(1, ref.separable_conv1d, id="separable_conv1d"), pytest.param(3, ref.separable_conv3d, id="separable_conv3d")],
)
@FAST
@given(data=st.data())
def test_separable_1d_3d_match_torch_pairs(ndim, separable, data):
    small = {} if ndim == 1 else dict(max_kernel=3, max_dilation=2, max_stride=2, max_padding=1, max_extra=2)
    case = data.draw(separable_cases(ndim, **small), label="case")
    x, dw, pw, db, pb = case.arrays()
    kwargs = case.geometry.kwargs()
    middle = _torch_conv(x, dw, db, ndim=ndim, groups=case.channels, **kwargs)
    expected = _torch_conv(middle, pw, pb, ndim=ndim)
    _close(separable(x, dw, pw, db, pb, **kwargs), expected, f"{separable.__name__} vs torch depthwise + pointwise")


# ============================================================================= named examples on every op
# Deterministic cases (each with a readable id) that every op runs, including the 1D / 3D ones:
# the corners a course reader meets first.


@dataclass(frozen=True)
class OpSpec:
    """One reference op, with a small valid call and how torch computes the same thing."""

    name: str
    fn: Callable
    ndim: int
    family: str  # conv | depthwise | pointwise | separable | spatial
    shapes: tuple  # shapes of the positional array arguments, x first; None for an absent bias
    kwargs: dict = field(default_factory=dict)

    def arrays(self, seed: int = 0) -> list:
        rng = np.random.default_rng(seed)
        return [None if s is None else rng.standard_normal(s) for s in self.shapes]

    def torch_reference(self, arrays, kwargs=None) -> np.ndarray:
        kwargs = dict(self.kwargs if kwargs is None else kwargs)
        nd = self.ndim
        if self.family == "conv":
            x, w, b = arrays
            return _torch_conv(x, w, b, ndim=nd, **kwargs)
        if self.family == "depthwise":
            x, w, b = arrays
            return _torch_conv(x, w, b, ndim=nd, groups=x.shape[1], **kwargs)
        if self.family == "pointwise":
            x, w, b = arrays
            return _torch_conv(x, w, b, ndim=nd, **kwargs)
        if self.family == "separable":
            x, dw, pw, db, pb = arrays
            return _torch_conv(_torch_conv(x, dw, db, ndim=nd, groups=x.shape[1], **kwargs), pw, pb, ndim=nd)
        if self.family == "spatial":
            x, column, row, b = arrays
            return _torch_conv(x, column * row, b, ndim=nd, groups=x.shape[1], **kwargs)
        raise AssertionError(self.family)


def _op_pair(name, fn_fast, fn_loops, **rest):
    return [OpSpec(name, fn_fast, **rest), OpSpec(name + "_loops", fn_loops, **rest)]


OP_SPECS = [
    *_op_pair(
        "conv2d", ref.conv2d, ref.conv2d_loops, ndim=2, family="conv",
        shapes=((2, 4, 7, 6), (6, 2, 3, 2), (6,)),
        kwargs=dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2),
    ),
    *_op_pair(
        "depthwise_conv2d", ref.depthwise_conv2d, ref.depthwise_conv2d_loops, ndim=2, family="depthwise",
        shapes=((2, 3, 7, 6), (6, 1, 3, 3), (6,)),
        kwargs=dict(stride=(1, 2), padding=1, dilation=(2, 1)),
    ),
    *_op_pair(
        "pointwise_conv2d", ref.pointwise_conv2d, ref.pointwise_conv2d_loops, ndim=2, family="pointwise",
        shapes=((2, 3, 5, 6), (4, 3, 1, 1), (4,)),
        kwargs=dict(stride=(2, 1)),
    ),
    *_op_pair(
        "separable_conv2d", ref.separable_conv2d, ref.separable_conv2d_loops, ndim=2, family="separable",
        shapes=((2, 3, 7, 6), (6, 1, 3, 3), (4, 6, 1, 1), (6,), (4,)),
        kwargs=dict(stride=1, padding="same", dilation=(1, 2)),
    ),
    *_op_pair(
        "spatially_separable_conv2d", ref.spatially_separable_conv2d, ref.spatially_separable_conv2d_loops,
        ndim=2, family="spatial",
        shapes=((2, 3, 7, 6), (3, 1, 3, 1), (3, 1, 1, 2), (3,)),
        kwargs=dict(stride=(2, 1), padding=(1, 1), dilation=(1, 2)),
    ),
    OpSpec(
        "conv1d", ref.conv1d, ndim=1, family="conv",
        shapes=((2, 4, 9), (6, 2, 3), (6,)),
        kwargs=dict(stride=2, padding=1, dilation=1, groups=2),
    ),
    OpSpec(
        "conv3d", ref.conv3d, ndim=3, family="conv",
        shapes=((1, 2, 5, 4, 6), (4, 1, 3, 2, 3), (4,)),
        kwargs=dict(stride=(1, 2, 1), padding=(1, 0, 1), dilation=(1, 1, 2), groups=2),
    ),
    OpSpec(
        "separable_conv1d", ref.separable_conv1d, ndim=1, family="separable",
        shapes=((2, 3, 9), (6, 1, 3), (4, 6, 1), (6,), (4,)),
        kwargs=dict(stride=1, padding="same", dilation=2),
    ),
    OpSpec(
        "separable_conv3d", ref.separable_conv3d, ndim=3, family="separable",
        shapes=((1, 2, 5, 4, 6), (4, 1, 3, 3, 2), (3, 4, 1, 1, 1), (4,), (3,)),
        kwargs=dict(stride=(2, 1, 1), padding=1, dilation=1),
    ),
]
OP_IDS = [spec.name for spec in OP_SPECS]
SPECS = {spec.name: spec for spec in OP_SPECS}


def _specs(*families: str, ndim: Optional[int] = None) -> list:
    return [
        pytest.param(s, id=s.name)
        for s in OP_SPECS
        if (not families or s.family in families) and (ndim is None or s.ndim == ndim)
    ]


@pytest.mark.parametrize("spec", _specs())
def test_example_call_matches_torch(spec):
    arrays = spec.arrays()
    _close(spec.fn(*arrays, **spec.kwargs), spec.torch_reference(arrays), f"{spec.name} vs torch")


# 2D geometries that deserve a name. Each runs on every 2D op whose kernel shape allows it.
LANDMARKS = [
    pytest.param((7, 7), (3, 3), 1, 1, 1, id="k3-s1-p1"),
    pytest.param((8, 8), (3, 3), 2, 1, 1, id="k3-s2-p1-mobilenet-downsample"),
    pytest.param((8, 9), (3, 1), (2, 1), (1, 0), 1, id="asymmetric-kernel-3x1-stride-2x1"),
    pytest.param((9, 8), (3, 2), (1, 2), (2, 0), (2, 1), id="asymmetric-stride-dilation-padding"),
    pytest.param((6, 7), (2, 4), 1, "same", 1, id="same-even-kernel-2x4"),
    pytest.param((6, 5), (4, 2), 1, "same", (3, 2), id="same-even-kernel-dilated-3x2"),
    pytest.param((3, 2), (5, 4), 1, "same", 1, id="same-kernel-larger-than-input"),
    pytest.param((5, 4), (5, 4), 1, "valid", 1, id="valid-kernel-equals-input"),
    pytest.param((3, 3), (5, 5), 1, 1, 1, id="kernel-larger-than-input-fits-with-padding"),
    pytest.param((3, 4), (1, 2), (4, 5), 0, 1, id="stride-larger-than-input"),
    pytest.param((7, 7), (3, 3), 1, 0, 3, id="dilation-3-spans-whole-input"),
    pytest.param((1, 1), (1, 1), 1, 0, 1, id="single-pixel"),
]


@pytest.mark.parametrize(("spatial", "kernel", "stride", "padding", "dilation"), LANDMARKS)
@pytest.mark.parametrize("spec", _specs("conv", "depthwise", "separable", "spatial", ndim=2))
def test_landmark_geometry_matches_torch(spec, spatial, kernel, stride, padding, dilation):
    shapes = list(spec.shapes)
    shapes[0] = (*shapes[0][:2], *spatial)
    if spec.family == "spatial":
        shapes[1] = (*shapes[1][:2], kernel[0], 1)
        shapes[2] = (*shapes[2][:2], 1, kernel[1])
    else:
        shapes[1] = (*shapes[1][:2], *kernel)
    spec = OpSpec(spec.name, spec.fn, spec.ndim, spec.family, tuple(shapes), spec.kwargs)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation)
    if spec.family == "conv":
        kwargs["groups"] = spec.kwargs["groups"]
    arrays = spec.arrays(seed=1)
    _close(spec.fn(*arrays, **kwargs), spec.torch_reference(arrays, kwargs), f"{spec.name} vs torch")


@pytest.mark.parametrize(
    ("spatial", "stride"),
    [
        pytest.param((5, 6), 1, id="stride-1"),
        pytest.param((5, 6), 2, id="stride-2"),
        pytest.param((5, 6), (3, 1), id="stride-3x1"),
        pytest.param((1, 7), (4, 4), id="stride-larger-than-height"),
    ],
)
@pytest.mark.parametrize("spec", _specs("pointwise"))
def test_pointwise_landmarks_match_torch(spec, spatial, stride):
    _, w, b = spec.arrays(seed=2)
    x = np.random.default_rng(3).standard_normal((2, w.shape[1], *spatial))
    _close(spec.fn(x, w, b, stride=stride), spec.torch_reference([x, w, b], dict(stride=stride)), spec.name)


# ============================================================================= 3: structural facts


@pytest.mark.parametrize(
    "depthwise", [pytest.param(ref.depthwise_conv2d, id="fast"), pytest.param(ref.depthwise_conv2d_loops, id="loops")]
)
@pytest.mark.parametrize("multiplier", [1, 2, 3], ids=lambda m: f"m{m}")
def test_depthwise_output_channel_order_is_c_times_m_plus_k(depthwise, multiplier):
    channels = 3
    x = np.random.default_rng(4).standard_normal((2, channels, 5, 4))
    # weight[o] is the centre tap scaled by o + 1, so output channel o is (o + 1) * (its input channel).
    weight = np.zeros((channels * multiplier, 1, 3, 3))
    weight[:, 0, 1, 1] = np.arange(1, channels * multiplier + 1)
    y = depthwise(x, weight, padding=1)
    assert y.shape == (2, channels * multiplier, 5, 4)
    for c in range(channels):
        for k in range(multiplier):
            o = c * multiplier + k
            np.testing.assert_allclose(
                y[:, o], (o + 1) * x[:, c], rtol=0, atol=0,
                err_msg=f"output channel {o} should be input channel {c} times filter {o} (c * m + k with k={k})",
            )


@pytest.mark.parametrize(
    "depthwise", [pytest.param(ref.depthwise_conv2d, id="fast"), pytest.param(ref.depthwise_conv2d_loops, id="loops")]
)
def test_depthwise_filters_each_channel_on_its_own(depthwise):
    channels, multiplier = 3, 2
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, channels, 6, 5))
    weight = rng.standard_normal((channels * multiplier, 1, 3, 2))
    y = depthwise(x, weight, stride=(1, 2), padding=(1, 0))
    for c in range(channels):
        for k in range(multiplier):
            o = c * multiplier + k
            alone = ref.conv2d(x[:, c : c + 1], weight[o : o + 1], stride=(1, 2), padding=(1, 0))
            _close(y[:, o : o + 1], alone, f"output channel {o} vs channel {c} convolved with filter {o} alone")


@pytest.mark.parametrize(
    "spatial", [pytest.param(ref.spatially_separable_conv2d, id="fast"), pytest.param(ref.spatially_separable_conv2d_loops, id="loops")]
)
def test_spatially_separable_is_column_pass_then_row_pass(spatial):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 2, 6, 7))
    column, row, b = rng.standard_normal((2, 1, 3, 1)), rng.standard_normal((2, 1, 1, 4)), rng.standard_normal(2)
    kwargs = dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2))
    columns = _torch_conv(x, column, ndim=2, groups=2, stride=(2, 1), padding=(1, 0), dilation=(1, 1))
    expected = _torch_conv(columns, row, b, ndim=2, groups=2, stride=(1, 1), padding=(0, 2), dilation=(1, 2))
    _close(spatial(x, column, row, b, **kwargs), expected, "column pass then row pass")


# A small example of every op for the dtype / input-type tests.
@pytest.mark.parametrize("spec", _specs())
def test_float32_in_float32_out(spec):
    arrays64 = spec.arrays(seed=7)
    arrays32 = [None if a is None else a.astype(np.float32) for a in arrays64]
    got = spec.fn(*arrays32, **spec.kwargs)
    assert got.dtype == np.float32, f"{spec.name}: float32 inputs gave {got.dtype}"
    _close(got, spec.torch_reference(arrays64), f"{spec.name} float32", rtol=RTOL32, atol=ATOL32)


@pytest.mark.parametrize("spec", _specs())
def test_float32_x_with_float64_weights_gives_float64(spec):
    arrays = spec.arrays(seed=8)
    arrays[0] = arrays[0].astype(np.float32)
    got = spec.fn(*arrays, **spec.kwargs)
    assert got.dtype == np.float64, f"{spec.name}: float32 x with float64 weights gave {got.dtype}"
    expected = spec.torch_reference([None if a is None else a.astype(np.float64) for a in arrays])
    _close(got, expected, spec.name)


@pytest.mark.parametrize("int_dtype", [np.int64, np.int32, np.int8, np.uint8], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("spec", _specs())
def test_integer_inputs_are_converted_to_float64(spec, int_dtype):
    rng = np.random.default_rng(9)
    low = 0 if np.dtype(int_dtype).kind == "u" else -3
    ints = [None if s is None else rng.integers(low, 4, size=s).astype(int_dtype) for s in spec.shapes]
    got = spec.fn(*ints, **spec.kwargs)
    assert got.dtype == np.float64, f"{spec.name}: {np.dtype(int_dtype).name} inputs gave {got.dtype}"
    floats = [None if a is None else a.astype(np.float64) for a in ints]
    # Small integers: every product and sum is exact in float64, so the results are equal.
    np.testing.assert_array_equal(got, spec.fn(*floats, **spec.kwargs))
    np.testing.assert_array_equal(got, spec.torch_reference(floats))


def test_python_nested_lists_are_accepted():
    x = [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]
    weight = [[[[1, 0], [0, -1]]]]
    expected = np.array([[[[1 - 5, 2 - 6], [4 - 8, 5 - 9]]]], dtype=np.float64)
    for conv in (ref.conv2d, ref.conv2d_loops):
        got = conv(x, weight)
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, expected, err_msg=conv.__name__)


@pytest.mark.parametrize("torch_dtype", [torch.float64, torch.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("spec", _specs())
def test_torch_tensors_are_accepted(spec, torch_dtype):
    arrays = spec.arrays(seed=10)
    tensors = [None if a is None else torch.tensor(a, dtype=torch_dtype, requires_grad=True) for a in arrays]
    got = spec.fn(*tensors, **spec.kwargs)
    assert isinstance(got, np.ndarray), f"{spec.name} returned {type(got).__name__}"
    numpy_dtype = {torch.float64: np.float64, torch.float32: np.float32}[torch_dtype]
    assert got.dtype == numpy_dtype
    same_as_numpy = spec.fn(*[None if t is None else t.detach().numpy() for t in tensors], **spec.kwargs)
    np.testing.assert_array_equal(got, same_as_numpy)


@pytest.mark.parametrize("spec", _specs())
def test_inputs_are_not_modified(spec):
    arrays = spec.arrays(seed=11)
    copies = [None if a is None else a.copy() for a in arrays]
    spec.fn(*arrays, **spec.kwargs)
    for i, (a, c) in enumerate(zip(arrays, copies)):
        if a is not None:
            np.testing.assert_array_equal(a, c, err_msg=f"{spec.name} modified positional argument {i}")


@pytest.mark.parametrize("spec", _specs())
def test_without_bias_matches_torch(spec):
    arrays = spec.arrays(seed=12)
    first_bias = 3 if spec.family in ("separable", "spatial") else 2
    arrays = [a if i < first_bias else None for i, a in enumerate(arrays)]
    _close(spec.fn(*arrays, **spec.kwargs), spec.torch_reference(arrays), f"{spec.name} without bias")


@pytest.mark.parametrize("spec", _specs())
def test_empty_batch_gives_empty_output_like_torch(spec):
    """N = 0 is a valid batch for torch (and for the loop versions): the output has N = 0 too."""
    arrays = spec.arrays(seed=13)
    arrays[0] = arrays[0][:0]
    expected = spec.torch_reference(arrays)
    assert expected.shape[0] == 0
    got = spec.fn(*arrays, **spec.kwargs)
    assert got.shape == expected.shape, f"{spec.name} on an empty batch: shape {got.shape}, torch {expected.shape}"


@pytest.mark.parametrize("spec", _specs())
def test_non_contiguous_inputs_match_torch(spec):
    """Views in any memory order (Fortran order, channels last, every other element) give torch's result."""
    arrays = spec.arrays(seed=14)
    fortran = [None if a is None else np.asfortranarray(a) for a in arrays]
    _close(spec.fn(*fortran, **spec.kwargs), spec.torch_reference(arrays), f"{spec.name} on Fortran-order arrays")
    x = arrays[0]
    channels_last = np.moveaxis(np.ascontiguousarray(np.moveaxis(x, 1, -1)), -1, 1)
    strided = np.repeat(x, 2, axis=-1)[..., ::2]
    for name, view in (("a channels-last x", channels_last), ("a strided view of x", strided)):
        assert not view.flags.c_contiguous
        _close(spec.fn(view, *arrays[1:], **spec.kwargs), spec.torch_reference(arrays), f"{spec.name} on {name}")


@pytest.mark.parametrize("kernel", [3, 7], ids=lambda k: f"k{k}")
def test_depthwise_memory_does_not_grow_with_the_kernel(kernel):
    """The depthwise op sums over a strided view of the padded input: its peak memory is a few copies
    of x, for a 3 x 3 kernel as for a 7 x 7 one, where gathering the receptive fields (im2col) takes
    k * k copies."""
    import tracemalloc

    x = np.random.default_rng(15).standard_normal((1, 16, 40, 40))
    weight = np.random.default_rng(16).standard_normal((32, 1, kernel, kernel))
    tracemalloc.start()
    try:
        y = ref.depthwise_conv2d(x, weight, padding=kernel // 2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert y.shape == (1, 32, 40, 40)
    assert peak < 8 * x.nbytes, f"peak {peak / x.nbytes:.1f} x the input's size for a {kernel}x{kernel} kernel, m=2"


@pytest.mark.parametrize("channels", [3, 256], ids=["few channels: whole rows", "many channels: pixel by pixel"])
@pytest.mark.parametrize(
    ("stride", "dilation", "multiplier"),
    [(1, 1, 1), (1, 2, 2), (2, 1, 1), (2, 2, 1), (3, 2, 2), ((1, 2), (2, 1), 1)],
    ids=["plain", "dilated, m=2", "strided", "stride 2, dilation 2", "stride 3, dilation 2, m=2", "strided rows only"],
)
@pytest.mark.parametrize("ndim", [1, 2, 3], ids=lambda d: f"{d}d")
def test_both_ways_of_summing_the_taps_match_torch(ndim, channels, stride, dilation, multiplier):
    """The depthwise sum runs over whole output rows (few channels, stride 1 along the rows) or pixel
    by pixel (many channels, or a stride along the rows); both give torch's result, in 1, 2 and 3D."""
    if ndim == 1 and isinstance(stride, tuple):
        pytest.skip("one spatial dimension: no separate row stride")
    if isinstance(stride, tuple):
        stride, dilation = stride[:1] * (ndim - 2) + stride, dilation[:1] * (ndim - 2) + dilation
    rng = np.random.default_rng(17)
    x = rng.standard_normal((2, channels, *(10,) * ndim))
    weight = rng.standard_normal((channels * multiplier, 1, *(3,) * ndim))
    bias = rng.standard_normal(channels * multiplier)
    kwargs = {"stride": stride, "padding": 1, "dilation": dilation}
    expected = _torch_conv(x, weight, bias, ndim=ndim, groups=channels, **kwargs)
    # 1D and 3D have no public depthwise function: the step that separable_conv1d/3d run first.
    got = _depthwise_nd(x, weight, bias, spatial_dims=ndim, **kwargs)
    _close(got, expected, f"{ndim}D depthwise, C={channels}, {kwargs}, m={multiplier}")


def test_the_package_exposes_fft_and_as_real_array():
    """`reference.fft` and `reference.as_real_array` work after `from dsconv_lib import reference` alone."""
    import subprocess
    import sys

    code = ("import numpy as np; from dsconv_lib import reference; "
            "x, w = np.ones((1, 2, 5)), np.ones((2, 1, 3)); "
            "print(reference.fft.fft_depthwise_conv(x, w).shape, reference.as_real_array([1, 2], 'v').dtype)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(1, 2, 3) float64"


# ============================================================================= 4: bad inputs


@dataclass(frozen=True)
class Bad:
    """A bad call: positional arrays replaced, keyword arguments changed."""

    replace: dict = field(default_factory=dict)  # position -> new array
    kwargs: dict = field(default_factory=dict)

    def call(self, spec: OpSpec):
        arrays = spec.arrays()
        for position, value in self.replace.items():
            arrays[position] = value(arrays) if callable(value) else value
        kwargs = {**spec.kwargs, **self.kwargs}
        return spec.fn(*arrays, **kwargs)


def _shape(spec: OpSpec, position: int) -> tuple:
    return tuple(spec.shapes[position])


def _error_cases():
    """(spec, id, Bad, error, fragments) for every documented bad input of every op."""
    cases = []

    def add(spec, case_id, bad, error, *fragments):
        cases.append(pytest.param(spec, bad, error, list(fragments), id=f"{spec.name}-{case_id}"))

    for spec in OP_SPECS:
        nd, x_shape = spec.ndim, _shape(spec, 0)
        n_c = x_shape[:2]
        ones = (0,) * nd
        # ---- x: dimensions, dtype, None (every op)
        add(spec, "x-missing-batch-dim", Bad({0: lambda a: a[0][0]}), ValueError,
            f"x must be a {nd + 2}-D array {LAYOUT[nd]}", f"got shape {x_shape[1:]}", "pass x[None]")
        add(spec, "x-extra-dim", Bad({0: lambda a: a[0][None]}), ValueError,
            f"x must be a {nd + 2}-D array {LAYOUT[nd]}", f"got shape {(1, *x_shape)}")
        for dtype, value in [("object", object()), ("<U1", "a"), ("bool", True), ("complex128", 1 + 1j)]:
            add(spec, f"x-dtype-{np.dtype(dtype).name}", Bad({0: np.full(x_shape, value, dtype=dtype)}), TypeError,
                "x needs a real numeric dtype", f"got dtype {np.dtype(dtype)}")
        add(spec, "x-None", Bad({0: None}), TypeError, "x is None")
        # ---- bias (ops with one bias)
        if spec.family in ("conv", "depthwise", "pointwise", "spatial"):
            b_pos = len(spec.shapes) - 1
            (c_out,) = _shape(spec, b_pos)
            add(spec, "bias-too-short", Bad({b_pos: np.zeros(c_out - 1)}), ValueError,
                f"bias must have shape ({c_out},)", f"got shape ({c_out - 1},)")
            add(spec, "bias-2d", Bad({b_pos: np.zeros((c_out, 1))}), ValueError,
                f"bias must have shape ({c_out},)", f"got shape ({c_out}, 1)")
            add(spec, "bias-complex", Bad({b_pos: np.zeros(c_out, dtype=complex)}), TypeError,
                "bias needs a real numeric dtype", "got dtype complex128")
        # ---- stride (every op)
        add(spec, "stride-0", Bad(kwargs={"stride": 0}), ValueError,
            "stride must be positive in every dimension", f"got {(0,) * nd}")
        add(spec, "stride-negative", Bad(kwargs={"stride": -1}), ValueError,
            "stride must be positive in every dimension", f"got {(-1,) * nd}")
        add(spec, "stride-wrong-length", Bad(kwargs={"stride": (1,) * (nd + 1)}), ValueError,
            f"stride must have {nd} entries", f"got {(1,) * (nd + 1)}")
        if spec.family != "pointwise":
            # ---- padding, dilation, kernel fit
            last_zero = (*(1,) * (nd - 1), 0)
            add(spec, "dilation-0", Bad(kwargs={"dilation": 0}), ValueError,
                "dilation must be positive in every dimension", f"got {ones}")
            add(spec, "dilation-0-in-one-dim", Bad(kwargs={"dilation": last_zero}), ValueError,
                "dilation must be positive in every dimension", f"got {last_zero}")
            add(spec, "padding-negative", Bad(kwargs={"padding": -1}), ValueError,
                "padding must be >= 0 in every dimension", f"got {(-1,) * nd}")
            add(spec, "padding-wrong-length", Bad(kwargs={"padding": (1,) * (nd + 1)}), ValueError,
                f"padding must have {nd} entries", f"got {(1,) * (nd + 1)}")
            add(spec, "padding-same-stride-2", Bad(kwargs={"padding": "same", "stride": 2}), ValueError,
                "padding='same' needs stride 1", "stride=(2,")
            add(spec, "padding-unknown-string", Bad(kwargs={"padding": "full"}), ValueError,
                "padding must be an int, a tuple, 'same' or 'valid'", "got the string 'full'")
            add(spec, "padding-bool", Bad(kwargs={"padding": True}), TypeError,
                "padding must be an int or a tuple")
            small = (*n_c, *(2,) * nd)
            add(spec, "kernel-larger-than-padded-input",
                Bad({0: np.zeros(small)}, kwargs={"padding": 0, "dilation": 1}), ValueError,
                "kernel does not fit", f"padded input is only {(2,) * nd}")
            add(spec, "dilated-kernel-larger-than-padded-input",
                Bad({0: np.zeros((*n_c, *(4,) * nd))}, kwargs={"padding": 0, "dilation": 3, "stride": 1}), ValueError,
                "kernel does not fit", "dilation=", f"padded input is only {(4,) * nd}")

        weight = _shape(spec, 1)
        kernel = ", ".join("k" + d for d in "DHW"[3 - nd:]) if nd > 1 else "kL"
        if spec.family == "conv":
            groups = spec.kwargs["groups"]
            c_in = x_shape[1]
            add(spec, "weight-missing-dim", Bad({1: lambda a: a[1][0]}), ValueError,
                f"weight must be a {nd + 2}-D array", f"got shape {weight[1:]}")
            add(spec, "weight-dtype-complex", Bad({1: np.zeros(weight, dtype=complex)}), TypeError,
                "weight needs a real numeric dtype", "got dtype complex128")
            bad_w = (weight[0], weight[1] + 1, *weight[2:])
            add(spec, "channel-mismatch", Bad({1: np.zeros(bad_w)}), ValueError,
                "channel mismatch", f"C_in={c_in}", f"got weight shape {bad_w}")
            add(spec, "groups-not-dividing-C_in", Bad({0: np.zeros((1, 5, *x_shape[2:]))}, kwargs={"groups": 2}),
                ValueError, "groups=2 must divide the input channels", "C_in=5", f"x shape {(1, 5, *x_shape[2:])}")
            odd_w = (weight[0] + 1, *weight[1:])
            add(spec, "groups-not-dividing-C_out", Bad({1: np.zeros(odd_w), 2: np.zeros(odd_w[0])}), ValueError,
                f"groups={groups} must divide the output channels", f"C_out={odd_w[0]}", f"weight shape {odd_w}")
            for bad_groups in (0, -1, True, 1.5):
                add(spec, f"groups-{bad_groups!r}", Bad(kwargs={"groups": bad_groups}), ValueError,
                    "groups must be a positive int", f"got {bad_groups!r}")
        if spec.family in ("depthwise", "separable"):
            c = x_shape[1]
            # separable ops name their own arguments: depthwise_weight, depthwise_bias, ...
            w_name = "depthwise_weight" if spec.family == "separable" else "weight"
            b_name = "depthwise_bias" if spec.family == "separable" else "bias"
            add(spec, f"{w_name}-not-multiple-of-C", Bad({1: np.zeros((c + 1, *weight[1:]))}), ValueError,
                f"a depthwise weight for x with C={c} channels", f"({c}*m, 1, ...)",
                f"got {w_name} shape {(c + 1, *weight[1:])}")
            add(spec, f"{w_name}-second-dim-not-1", Bad({1: np.zeros((weight[0], 2, *weight[2:]))}), ValueError,
                f"a depthwise weight for x with C={c} channels", f"got {w_name} shape {(weight[0], 2, *weight[2:])}")
            add(spec, f"{w_name}-missing-dim", Bad({1: lambda a: a[1][0]}), ValueError,
                f"{w_name} must be a {nd + 2}-D array (C * depth_multiplier, 1, {kernel})", f"got shape {weight[1:]}")
            add(spec, f"{w_name}-dtype-complex", Bad({1: np.zeros(weight, dtype=complex)}), TypeError,
                f"{w_name} needs a real numeric dtype", "got dtype complex128")
            add(spec, f"{b_name}-is-C-not-C-times-m", Bad({2 if spec.family == "depthwise" else 3: np.zeros(c)}),
                ValueError, f"{b_name} must have shape ({weight[0]},)", f"got shape ({c},)")
        if spec.family in ("pointwise", "separable"):
            pw_pos = 1 if spec.family == "pointwise" else 2
            pw_name = "weight" if spec.family == "pointwise" else "pointwise_weight"
            input_name = "x" if spec.family == "pointwise" else "the depthwise output"
            pw = _shape(spec, pw_pos)
            c_mid = pw[1]
            ones_str = ", ".join(["1"] * nd)
            not_1x1 = (*pw[:2], *(3,) * nd)
            add(spec, f"{pw_name}-not-1x1", Bad({pw_pos: np.zeros(not_1x1)}), ValueError,
                f"a pointwise weight for {input_name} with C_in={c_mid} channels", f"(C_out, {c_mid}, {ones_str})",
                f"got {pw_name} shape {not_1x1}")
            wrong_c = (pw[0], c_mid + 1, *pw[2:])
            add(spec, f"{pw_name}-wrong-C_in", Bad({pw_pos: np.zeros(wrong_c)}), ValueError,
                f"a pointwise weight for {input_name} with C_in={c_mid} channels", f"got {pw_name} shape {wrong_c}")
            add(spec, f"{pw_name}-missing-dims", Bad({pw_pos: np.zeros(pw[:2])}), ValueError,
                f"a pointwise weight for {input_name} with C_in={c_mid} channels", f"got {pw_name} shape {pw[:2]}")
            add(spec, f"{pw_name}-dtype-str", Bad({pw_pos: np.full(pw, "a")}), TypeError,
                f"{pw_name} needs a real numeric dtype", "got dtype <U1")
        if spec.family == "separable":
            (c_out,) = _shape(spec, 4)
            add(spec, "pointwise_bias-wrong-shape", Bad({4: np.zeros(c_out + 1)}), ValueError,
                f"pointwise_bias must have shape ({c_out},)", f"got shape ({c_out + 1},)")
            add(spec, "pointwise_bias-dtype-bool", Bad({4: np.zeros(c_out, dtype=bool)}), TypeError,
                "pointwise_bias needs a real numeric dtype", "got dtype bool")
        if spec.family == "spatial":
            c = x_shape[1]
            column, row = _shape(spec, 1), _shape(spec, 2)
            for name, pos, bad in [
                ("column_weight", 1, (c, 1, 1, column[2])),  # a row given as the column
                ("column_weight", 1, (c + 1, *column[1:])),
                ("column_weight", 1, column[:3]),
                ("column_weight", 1, (c, 1, column[2], 2)),
                ("row_weight", 2, (c, 1, row[3], 1)),  # a column given as the row
                ("row_weight", 2, (c - 1, *row[1:])),
                ("row_weight", 2, (c, 2, 1, row[3])),
            ]:
                layout = "(C, 1, kH, 1)" if name == "column_weight" else "(C, 1, 1, kW)"
                add(spec, f"{name}-shape-{'x'.join(map(str, bad))}", Bad({pos: np.zeros(bad)}), ValueError,
                    f"{name} for x with C={c} channels must have shape {layout}", f"got shape {bad}")
            add(spec, "row_weight-dtype-complex", Bad({2: np.zeros(row, dtype=complex)}), TypeError,
                "row_weight needs a real numeric dtype")
            add(spec, "column_weight-None", Bad({1: None}), TypeError, "column_weight is None")
    return cases


@pytest.mark.parametrize(("spec", "bad", "error", "fragments"), _error_cases())
def test_bad_input_raises_documented_error(spec, bad, error, fragments):
    with pytest.raises(error, match=_all_of(*fragments)):
        bad.call(spec)


@pytest.mark.parametrize("spec", _specs())
def test_batch_hint_only_when_exactly_the_batch_dim_is_missing(spec):
    arrays = spec.arrays()
    arrays[0] = arrays[0][None]
    with pytest.raises(ValueError) as info:
        spec.fn(*arrays, **spec.kwargs)
    assert "x[None]" not in str(info.value), f"a 1-too-many-dims x should not get the batch hint: {info.value}"
