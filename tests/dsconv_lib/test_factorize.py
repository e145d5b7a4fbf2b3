"""Tests for dsconv_lib.factorize: the linear-algebra view of depthwise separable convolution.

What is established here:
  1. equivalent_full_kernel: the kernel it returns is the convolution a depthwise + pointwise
     pair computes: conv2d(x, W) == separable_conv2d(x, dw, pw), through the numpy reference
     and through torch, for random shapes, depth multipliers 1..3, strides, paddings and
     dilations; it follows the documented formula entry by entry; bad shapes and a bad
     multiplier raise ValueError naming what was expected;
  2. best_separable_approximation: exact when the kernel came from a DSC pair with the same
     multiplier; its relative_error is the Frobenius error of its own reconstruction and the
     discarded singular values' share (both recomputed here independently); the error falls
     monotonically with the multiplier and is 0 from m = min(C_out, kH * kW) on; it is optimal
     (no random pair, no perturbation of the returned pair and no least-squares pointwise
     fit to a random depthwise step comes closer); its depthwise filters are unit-norm; and the
     textbook thing a DSC cannot represent (one input channel feeding two outputs with two
     different shifts) costs an error at m = 1 and none at m = 2;
  3. spatial_factors / is_spatially_separable: Sobel, Scharr, Prewitt, binomial (Gaussian) and
     box filters factor exactly into outer(column, row); a Laplacian, an identity and random
     kernels do not, with relative_error = sqrt(sum s[1:]^2) / ||K||; the column's
     largest-magnitude entry is positive and the scale is split evenly; non-2D input raises.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsconv_lib import reference as ref
from dsconv_lib import factorize
from dsconv_lib.factorize import (
    SeparableApproximation,
    SpatialFactors,
    best_separable_approximation,
    equivalent_full_kernel,
    is_spatially_separable,
    spatial_factors,
)

RTOL, ATOL = 1e-10, 1e-12
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 2**32 - 1)


def _all_of(*fragments: str) -> str:
    """A regex for pytest.raises(match=...) that requires every fragment, in any order."""
    return "(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments)


def _random_pair(rng: np.random.Generator, c_in: int, c_out: int, kh: int, kw: int, m: int):
    """A random depthwise (C_in * m, 1, kH, kW) and pointwise (C_out, C_in * m, 1, 1) weight."""
    return rng.standard_normal((c_in * m, 1, kh, kw)), rng.standard_normal((c_out, c_in * m, 1, 1))


def _rel_error(weight: np.ndarray, depthwise: np.ndarray, pointwise: np.ndarray, m: int) -> float:
    """||W - W(dw, pw)||_F / ||W||_F, with W(dw, pw) written out by loops (not via the library)."""
    c_out, c_in, kh, kw = weight.shape
    rebuilt = np.zeros_like(weight)
    for o in range(c_out):
        for c in range(c_in):
            for j in range(m):
                rebuilt[o, c] += pointwise[o, c * m + j, 0, 0] * depthwise[c * m + j, 0]
    return float(np.linalg.norm(weight - rebuilt) / np.linalg.norm(weight))


def _discarded_share(weight: np.ndarray, m: int) -> float:
    """sqrt(sum of the discarded squared singular values) / ||W||, slice by slice."""
    c_out, c_in, kh, kw = weight.shape
    discarded = 0.0
    for c in range(c_in):
        s = np.linalg.svd(weight[:, c].reshape(c_out, kh * kw), compute_uv=False)
        discarded += float(np.sum(s[m:] ** 2))
    return float(np.sqrt(discarded) / np.linalg.norm(weight))


# ============================================================================= equivalent_full_kernel


@st.composite
def separable_cases(draw):
    """A random DSC configuration in which the dilated kernel fits the padded input."""
    c_in, c_out, m = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    lows = [max(1, d * (k - 1) + 1 - 2 * p) for k, d, p in zip((kh, kw), dilation, padding)]
    h, w = (draw(st.integers(lo, lo + 5)) for lo in lows)
    return dict(c_in=c_in, c_out=c_out, m=m, kh=kh, kw=kw, h=h, w=w, batch=draw(st.integers(1, 2)),
                stride=stride, padding=padding, dilation=dilation, seed=draw(seeds))


@PROPERTY
@given(case=separable_cases())
def test_equivalent_full_kernel_convolves_like_the_separable_pair(case):
    rng = np.random.default_rng(case["seed"])
    c_in, c_out, m = case["c_in"], case["c_out"], case["m"]
    depthwise, pointwise = _random_pair(rng, c_in, c_out, case["kh"], case["kw"], m)
    x = rng.standard_normal((case["batch"], c_in, case["h"], case["w"]))
    geometry = {k: case[k] for k in ("stride", "padding", "dilation")}

    full = equivalent_full_kernel(depthwise, pointwise, depth_multiplier=m)
    assert full.shape == (c_out, c_in, case["kh"], case["kw"])

    # numpy reference: one standard convolution == depthwise then pointwise
    expected = ref.separable_conv2d(x, depthwise, pointwise, **geometry)
    np.testing.assert_allclose(ref.conv2d(x, full, **geometry), expected, rtol=RTOL, atol=ATOL)

    # torch, independently of the reference ops
    xt = torch.from_numpy(x)
    torch_full = F.conv2d(xt, torch.from_numpy(full), **geometry)
    torch_pair = F.conv2d(F.conv2d(xt, torch.from_numpy(depthwise), groups=c_in, **geometry), torch.from_numpy(pointwise))
    np.testing.assert_allclose(torch_full.numpy(), torch_pair.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(torch_full.numpy(), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("m", [1, 2, 3], ids=lambda m: f"m={m}")
def test_equivalent_full_kernel_follows_the_formula_entry_by_entry(m):
    rng = np.random.default_rng(m)
    c_in, c_out, kh, kw = 3, 4, 2, 3
    depthwise, pointwise = _random_pair(rng, c_in, c_out, kh, kw, m)
    full = equivalent_full_kernel(depthwise, pointwise, m)
    for o in range(c_out):
        for c in range(c_in):
            expected = sum(pointwise[o, c * m + j, 0, 0] * depthwise[c * m + j, 0] for j in range(m))
            np.testing.assert_allclose(full[o, c], expected, rtol=RTOL, atol=ATOL, err_msg=f"W[{o}, {c}]")


def test_equivalent_full_kernel_accepts_torch_weights_of_a_conv_pair():
    torch.manual_seed(0)
    depthwise = torch.nn.Conv2d(3, 6, 3, groups=3, bias=False).double()
    pointwise = torch.nn.Conv2d(6, 5, 1, bias=False).double()
    full = equivalent_full_kernel(depthwise.weight, pointwise.weight, depth_multiplier=2)
    x = torch.randn(2, 3, 7, 7, dtype=torch.float64)
    with torch.no_grad():
        np.testing.assert_allclose(
            F.conv2d(x, torch.from_numpy(full), padding=1).numpy(),
            pointwise(F.conv2d(x, depthwise.weight, padding=1, groups=3)).numpy(),
            rtol=RTOL, atol=ATOL,
        )


@pytest.mark.parametrize(
    "depthwise_shape, pointwise_shape, m, fragments",
    [
        ((4, 1, 3), (2, 4, 1, 1), 1, ["depthwise_weight", "(C_in * m, 1, kH, kW)", "(4, 1, 3)"]),
        ((4, 2, 3, 3), (2, 4, 1, 1), 1, ["depthwise_weight", "(C_in * m, 1, kH, kW)", "(4, 2, 3, 3)"]),
        ((5, 1, 3, 3), (2, 5, 1, 1), 2, ["depthwise_weight", "depth_multiplier = 2", "(5, 1, 3, 3)"]),
        ((6, 1, 3, 3), (2, 4, 1, 1), 2, ["pointwise_weight", "(C_out, 6, 1, 1)", "(2, 4, 1, 1)"]),
        ((6, 1, 3, 3), (2, 6, 3, 3), 2, ["pointwise_weight", "(C_out, 6, 1, 1)", "(2, 6, 3, 3)"]),
        ((6, 1, 3, 3), (2, 6), 2, ["pointwise_weight", "(C_out, 6, 1, 1)", "(2, 6)"]),
    ],
    ids=["depthwise_3d", "depthwise_not_one_per_group", "depthwise_not_divisible_by_m",
         "pointwise_wrong_c_mid", "pointwise_not_1x1", "pointwise_2d"],
)
def test_equivalent_full_kernel_shape_errors_name_the_expected_shape(depthwise_shape, pointwise_shape, m, fragments):
    with pytest.raises(ValueError, match=_all_of(*fragments)):
        equivalent_full_kernel(np.ones(depthwise_shape), np.ones(pointwise_shape), depth_multiplier=m)


@pytest.mark.parametrize("m", [0, -1], ids=lambda m: f"m={m}")
def test_equivalent_full_kernel_rejects_a_depth_multiplier_below_one(m):
    # best_separable_approximation raises ValueError naming depth_multiplier for m < 1;
    # equivalent_full_kernel must do the same rather than fail inside the arithmetic.
    with pytest.raises(ValueError, match=_all_of("depth_multiplier", str(m))):
        equivalent_full_kernel(np.ones((4, 1, 3, 3)), np.ones((2, 4, 1, 1)), depth_multiplier=m)


# ============================================================================= best_separable_approximation


@st.composite
def kernel_shapes(draw):
    return (draw(st.integers(1, 6)), draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4)))


@PROPERTY
@given(shape=kernel_shapes(), m=st.integers(1, 3), seed=seeds)
def test_approximation_is_exact_for_a_kernel_built_from_a_separable_pair(shape, m, seed):
    c_out, c_in, kh, kw = shape
    rng = np.random.default_rng(seed)
    full = equivalent_full_kernel(*_random_pair(rng, c_in, c_out, kh, kw, m), depth_multiplier=m)

    approx = best_separable_approximation(full, depth_multiplier=m)
    assert isinstance(approx, SeparableApproximation)
    assert approx.depthwise_weight.shape == (c_in * m, 1, kh, kw)
    assert approx.pointwise_weight.shape == (c_out, c_in * m, 1, 1)
    assert approx.singular_values.shape == (c_in, min(c_out, kh * kw))
    assert approx.relative_error == pytest.approx(0.0, abs=1e-10)
    round_trip = equivalent_full_kernel(approx.depthwise_weight, approx.pointwise_weight, m)
    np.testing.assert_allclose(round_trip, full, rtol=1e-9, atol=1e-10 * np.linalg.norm(full))


@PROPERTY
@given(shape=kernel_shapes(), m=st.integers(1, 4), seed=seeds)
def test_relative_error_is_the_frobenius_error_of_the_reconstruction(shape, m, seed):
    full = np.random.default_rng(seed).standard_normal(shape)
    approx = best_separable_approximation(full, depth_multiplier=m)
    reconstruction_error = _rel_error(full, approx.depthwise_weight, approx.pointwise_weight, m)
    assert approx.relative_error == pytest.approx(reconstruction_error, rel=1e-9, abs=1e-12)
    assert approx.relative_error == pytest.approx(_discarded_share(full, m), rel=1e-9, abs=1e-12)
    assert 0.0 <= approx.relative_error <= 1.0
    # the spectrum it reports is each input channel's slice's spectrum
    for c in range(shape[1]):
        s = np.linalg.svd(full[:, c].reshape(shape[0], -1), compute_uv=False)
        np.testing.assert_allclose(approx.singular_values[c], s, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "shape",
    [(8, 3, 3, 3), (3, 2, 3, 3), (12, 2, 2, 2), (5, 4, 1, 3), (4, 1, 5, 5), (1, 3, 3, 3)],
    ids=lambda s: f"Cout{s[0]}_Cin{s[1]}_{s[2]}x{s[3]}_rank{min(s[0], s[2] * s[3])}",
)
def test_error_decreases_with_depth_multiplier_and_vanishes_at_full_rank(shape):
    c_out, _, kh, kw = shape
    full_rank = min(c_out, kh * kw)
    full = np.random.default_rng(sum(shape)).standard_normal(shape)
    errors = [best_separable_approximation(full, m).relative_error for m in range(1, full_rank + 3)]
    for m in range(1, full_rank):  # below full rank every extra filter removes a nonzero singular value
        assert errors[m] < errors[m - 1] - 1e-9, f"error did not fall from m={m} to m={m + 1}: {errors}"
        assert errors[m - 1] > 1e-6
    for m in range(full_rank, full_rank + 3):
        assert errors[m - 1] == pytest.approx(0.0, abs=1e-12), f"m={m} >= rank {full_rank}: {errors}"
        approx = best_separable_approximation(full, m)
        round_trip = equivalent_full_kernel(approx.depthwise_weight, approx.pointwise_weight, m)
        np.testing.assert_allclose(round_trip, full, rtol=1e-9, atol=1e-10)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=kernel_shapes(), m=st.integers(1, 3), seed=seeds)
def test_approximation_is_optimal(shape, m, seed):
    c_out, c_in, kh, kw = shape
    rng = np.random.default_rng(seed)
    full = rng.standard_normal(shape)
    approx = best_separable_approximation(full, m)
    best = approx.relative_error
    tolerance = 1e-10

    # 1. random pairs
    for _ in range(5):
        dw, pw = _random_pair(rng, c_in, c_out, kh, kw, m)
        assert _rel_error(full, dw, pw, m) >= best - tolerance

    # 2. small perturbations of the returned pair
    for scale in (1e-1, 1e-3):
        dw = approx.depthwise_weight + scale * rng.standard_normal(approx.depthwise_weight.shape)
        pw = approx.pointwise_weight + scale * rng.standard_normal(approx.pointwise_weight.shape)
        assert _rel_error(full, dw, pw, m) >= best - tolerance, f"perturbation {scale} improved on the optimum"

    # 3. a random depthwise step with its best (least-squares) pointwise step
    dw = rng.standard_normal((c_in * m, 1, kh, kw))
    pw = np.zeros((c_out, c_in * m, 1, 1))
    for c in range(c_in):
        filters = dw[c * m:(c + 1) * m, 0].reshape(m, kh * kw)  # (m, kH*kW)
        target = full[:, c].reshape(c_out, kh * kw)
        columns, *_ = np.linalg.lstsq(filters.T, target.T, rcond=None)  # (m, C_out)
        pw[:, c * m:(c + 1) * m, 0, 0] = columns.T
    assert _rel_error(full, dw, pw, m) >= best - tolerance


@PROPERTY
@given(shape=kernel_shapes(), seed=seeds, data=st.data())
def test_depthwise_filters_are_orthonormal_per_input_channel(shape, seed, data):
    c_out, c_in, kh, kw = shape
    m = data.draw(st.integers(1, min(c_out, kh * kw)), label="m (at most the slice rank)")
    approx = best_separable_approximation(np.random.default_rng(seed).standard_normal(shape), m)
    for c in range(c_in):
        filters = approx.depthwise_weight[c * m:(c + 1) * m, 0].reshape(m, kh * kw)
        np.testing.assert_allclose(filters @ filters.T, np.eye(m), atol=1e-10, err_msg=f"input channel {c}")


@pytest.mark.parametrize(
    "shape, m",
    [((3, 2, 1, 1), 2), ((2, 1, 3, 3), 3), ((3, 2, 2, 2), 4)],
    ids=["1x1_kernel_m2", "Cout2_m3", "Cout3_2x2_m4"],
)
def test_filters_beyond_the_slice_rank_are_zero_and_unused(shape, m):
    # A slice W[:, c] has at most r = min(C_out, kH * kW) singular vectors. With m > r the
    # approximation is exact, the first r filters of each channel are unit-norm and the
    # rest are zero, as are their pointwise columns.
    full = np.random.default_rng(7).standard_normal(shape)
    approx = best_separable_approximation(full, m)
    assert approx.relative_error == pytest.approx(0.0, abs=1e-12)
    rank = min(shape[0], shape[2] * shape[3])
    norms = np.linalg.norm(approx.depthwise_weight.reshape(shape[1], m, -1), axis=2)
    np.testing.assert_allclose(norms[:, :rank], 1.0, atol=1e-10, err_msg=f"depthwise filter norms {norms}")
    np.testing.assert_array_equal(norms[:, rank:], 0.0, err_msg=f"depthwise filter norms {norms}")
    columns = approx.pointwise_weight.reshape(shape[0], shape[1], m)
    np.testing.assert_array_equal(columns[:, :, rank:], 0.0)


def _two_shifts_kernel(kernel_size: int = 3) -> np.ndarray:
    """One input channel, two outputs: output 0 copies the left neighbour, output 1 the right one."""
    full = np.zeros((2, 1, kernel_size, kernel_size))
    centre = kernel_size // 2
    full[0, 0, centre, 0] = 1.0  # delta at the left
    full[1, 0, centre, -1] = 1.0  # delta at the right
    return full


def test_what_a_separable_convolution_cannot_represent():
    full = _two_shifts_kernel()
    # Both outputs read the same input channel through different filters: the slice W[:, 0]
    # has rank 2, and one depthwise filter (m = 1) cannot serve both.
    one = best_separable_approximation(full, 1)
    assert one.relative_error == pytest.approx(1 / np.sqrt(2), rel=1e-10)
    np.testing.assert_allclose(one.singular_values, [[1.0, 1.0]], atol=1e-12)
    two = best_separable_approximation(full, 2)
    assert two.relative_error == pytest.approx(0.0, abs=1e-12)

    # ... and it shows in what the convolutions compute.
    x = np.random.default_rng(0).standard_normal((1, 1, 6, 7))
    target = ref.conv2d(x, full, padding=1)
    approx_one = ref.separable_conv2d(x, one.depthwise_weight, one.pointwise_weight, padding=1)
    approx_two = ref.separable_conv2d(x, two.depthwise_weight, two.pointwise_weight, padding=1)
    assert np.abs(approx_one - target).max() > 0.1
    np.testing.assert_allclose(approx_two, target, rtol=1e-10, atol=1e-12)


def test_the_same_shift_at_two_scales_is_separable():
    full = _two_shifts_kernel()
    full[1] = -3.0 * full[0]  # both outputs use the same filter, only scaled: rank 1
    approx = best_separable_approximation(full, 1)
    assert approx.relative_error == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(equivalent_full_kernel(approx.depthwise_weight, approx.pointwise_weight), full, atol=1e-12)


def test_best_separable_approximation_of_a_zero_kernel():
    approx = best_separable_approximation(np.zeros((3, 2, 3, 3)), 1)
    assert approx.relative_error == 0.0
    assert np.all(np.isfinite(approx.depthwise_weight)) and np.all(approx.pointwise_weight == 0)


@pytest.mark.parametrize(
    "weight, m, fragments",
    [
        (np.ones((2, 3, 3)), 1, ["weight", "4-D", "(2, 3, 3)"]),
        (np.ones((2, 1, 3, 3, 3)), 1, ["weight", "4-D", "(2, 1, 3, 3, 3)"]),
        (np.ones((2, 1, 3, 3)), 0, ["depth_multiplier", ">= 1", "0"]),
    ],
    ids=["3d_weight", "5d_weight", "m=0"],
)
def test_best_separable_approximation_errors(weight, m, fragments):
    with pytest.raises(ValueError, match=_all_of(*fragments)):
        best_separable_approximation(weight, m)


# ============================================================================= spatial_factors


def _binomial(n: int) -> np.ndarray:
    row = np.array([1.0])
    for _ in range(n - 1):
        row = np.convolve(row, [1.0, 1.0])
    return row


SEPARABLE = {
    # name: (kernel, a column it must be proportional to)
    "sobel_x": (np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]), np.array([1, 2, 1])),
    "sobel_y": (np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]), np.array([-1, 0, 1])),
    "scharr_x": (np.array([[3, 0, -3], [10, 0, -10], [3, 0, -3]]), np.array([3, 10, 3])),
    "prewitt_x": (np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]), np.array([1, 1, 1])),
    "gaussian_3x3": (np.outer(_binomial(3), _binomial(3)) / 16, _binomial(3)),
    "gaussian_5x5": (np.outer(_binomial(5), _binomial(5)) / 256, _binomial(5)),
    "gaussian_7x3": (np.outer(_binomial(7), _binomial(3)), _binomial(7)),
    "negated_gaussian": (-np.outer(_binomial(5), _binomial(5)), _binomial(5)),
    "box_3x3": (np.ones((3, 3)) / 9, np.ones(3)),
    "box_3x5": (np.ones((3, 5)), np.ones(3)),
    "row_1x5": (np.array([[1.0, -2.0, 3.0, 0.5, 1.0]]), np.ones(1)),
}

NOT_SEPARABLE = {
    "laplacian_4": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float),
    "laplacian_8": np.array([[1, 1, 1], [1, -8, 1], [1, 1, 1]], dtype=float),
    "identity_3x3": np.eye(3),
    "random_3x3": np.random.default_rng(3).standard_normal((3, 3)),
    "random_5x4": np.random.default_rng(5).standard_normal((5, 4)),
}


@pytest.mark.parametrize("name", list(SEPARABLE))
def test_classic_filters_factor_exactly(name):
    kernel, direction = SEPARABLE[name]
    factors = spatial_factors(kernel)
    assert isinstance(factors, SpatialFactors)
    assert factors.column.shape == (kernel.shape[0],) and factors.row.shape == (kernel.shape[1],)
    np.testing.assert_allclose(np.outer(factors.column, factors.row), kernel, rtol=1e-10, atol=1e-12)
    assert factors.relative_error == pytest.approx(0.0, abs=1e-12)
    assert is_spatially_separable(kernel)
    # the column is the filter's known vertical profile, up to scale
    cosine = factors.column @ direction / (np.linalg.norm(factors.column) * np.linalg.norm(direction))
    assert abs(cosine) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("name", list(NOT_SEPARABLE))
def test_non_separable_kernels_and_their_error(name):
    kernel = NOT_SEPARABLE[name]
    factors = spatial_factors(kernel)
    assert not is_spatially_separable(kernel)
    s = np.linalg.svd(kernel, compute_uv=False)
    expected = np.sqrt(np.sum(s[1:] ** 2)) / np.linalg.norm(kernel)
    assert factors.relative_error == pytest.approx(expected, rel=1e-10)
    assert factors.relative_error > 0.05
    # it is the error of the factors it returns: the best rank-1 approximation (Eckart-Young)
    residual = np.linalg.norm(kernel - np.outer(factors.column, factors.row)) / np.linalg.norm(kernel)
    assert factors.relative_error == pytest.approx(residual, rel=1e-10)
    np.testing.assert_allclose(factors.singular_values, s, rtol=1e-12)


def test_laplacian_error_in_closed_form():
    # [[0,1,0],[1,-4,1],[0,1,0]] has singular values 2 + sqrt(6), sqrt(6) - 2, 0 and norm sqrt(20).
    factors = spatial_factors(NOT_SEPARABLE["laplacian_4"])
    np.testing.assert_allclose(factors.singular_values, [2 + np.sqrt(6), np.sqrt(6) - 2, 0.0], atol=1e-12)
    assert factors.relative_error == pytest.approx((np.sqrt(6) - 2) / np.sqrt(20), rel=1e-10)


@PROPERTY
@given(
    shape=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    seed=seeds,
    separable=st.booleans(),
    sign=st.sampled_from([1.0, -1.0]),
)
def test_sign_convention_and_even_split_of_the_scale(shape, seed, separable, sign):
    rng = np.random.default_rng(seed)
    if separable:
        kernel = sign * np.outer(rng.standard_normal(shape[0]), rng.standard_normal(shape[1]))
    else:
        kernel = sign * rng.standard_normal(shape)
    factors = spatial_factors(kernel)
    column, row = factors.column, factors.row
    # the entry of largest magnitude in the column is positive
    assert column[np.argmax(np.abs(column))] > 0
    assert column.max() == pytest.approx(np.abs(column).max(), rel=1e-12)
    # scale split evenly: ||column|| = ||row|| = sqrt(s_1)
    s1 = np.linalg.svd(kernel, compute_uv=False)[0]
    assert np.linalg.norm(column) == pytest.approx(np.sqrt(s1), rel=1e-10)
    assert np.linalg.norm(row) == pytest.approx(np.sqrt(s1), rel=1e-10)
    if separable:
        np.testing.assert_allclose(np.outer(column, row), kernel, rtol=1e-9, atol=1e-12)
        assert is_spatially_separable(kernel)
    elif min(shape) > 1:
        assert not is_spatially_separable(kernel)


def test_negated_filter_flips_only_the_row():
    kernel = np.outer(_binomial(5), [-1.0, 0.0, 1.0])
    plus, minus = spatial_factors(kernel), spatial_factors(-kernel)
    np.testing.assert_allclose(plus.column, minus.column, atol=1e-12)
    np.testing.assert_allclose(plus.row, -minus.row, atol=1e-12)
    assert np.all(plus.column > 0)


def test_is_spatially_separable_tolerance():
    kernel = np.outer(_binomial(3), _binomial(3)) + 1e-6 * np.random.default_rng(0).standard_normal((3, 3))
    assert not is_spatially_separable(kernel)
    assert is_spatially_separable(kernel, rtol=1e-3)
    assert spatial_factors(kernel).relative_error < 1e-5


@pytest.mark.parametrize("shape", [(3,), (1, 3, 3), (2, 2, 3, 3), ()], ids=["1d", "3d", "4d", "scalar"])
def test_spatial_factors_rejects_non_2d_input(shape):
    kernel = np.ones(shape)
    with pytest.raises(ValueError, match=_all_of("kernel", "2-D", str(kernel.shape))):
        spatial_factors(kernel)
    with pytest.raises(ValueError, match=_all_of("kernel", "2-D")):
        is_spatially_separable(kernel)


def test_spatial_factors_accepts_integers_and_torch_tensors():
    sobel = SEPARABLE["sobel_x"][0]
    from_int = spatial_factors(sobel.astype(np.int64))
    from_torch = spatial_factors(torch.tensor(sobel, dtype=torch.float64))
    np.testing.assert_allclose(np.outer(from_int.column, from_int.row), sobel, atol=1e-12)
    np.testing.assert_allclose(from_torch.column, from_int.column, atol=1e-12)


# low_rank_approximation / kernel_rank: the rank viewer's numbers -----------------------------


def test_low_rank_approximation_is_exact_at_the_kernels_rank_and_its_error_is_the_discarded_spectrum():
    rng = np.random.default_rng(5)
    kernel = rng.standard_normal((5, 2)) @ rng.standard_normal((2, 5))  # rank 2
    assert factorize.kernel_rank(kernel) == 2
    s = np.linalg.svd(kernel, compute_uv=False)
    one = factorize.low_rank_approximation(kernel, 1)
    assert one.relative_error == pytest.approx(np.linalg.norm(kernel - one.kernel) / np.linalg.norm(kernel))
    assert one.relative_error == pytest.approx(np.sqrt(np.sum(s[1:] ** 2)) / np.linalg.norm(kernel))
    two = factorize.low_rank_approximation(kernel, 2)
    np.testing.assert_allclose(two.kernel, kernel, atol=1e-12)
    assert two.relative_error < 1e-12
    assert factorize.kernel_rank(np.zeros((3, 3))) == 0
    assert factorize.kernel_rank(np.outer([1.0, 2.0, 1.0], [1.0, 0.0, -1.0])) == 1


@pytest.mark.parametrize("rank", [0, 4, 1.0, True, "1"])
def test_low_rank_approximation_rejects_a_bad_rank(rank):
    with pytest.raises(ValueError, match=r"rank must be an int from 1 to min\(kH, kW\) = 3 .*got " + re.escape(repr(rank))):
        factorize.low_rank_approximation(np.eye(3), rank)
