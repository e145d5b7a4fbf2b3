"""The linear-algebra view of depthwise separable convolution.

A depthwise step (kernel D_c for input channel c) followed by a pointwise step
(matrix P) is itself a standard convolution, whose kernel is

    W[o, c] = P[o, c] * D_c          (one kH x kW slice per output o and input c)

For a fixed input channel c, the C_out slices W[:, c] are all multiples of the
same D_c: flattened to a (C_out, kH * kW) matrix, W[:, c] is the outer product
P[:, c] D_c^T and has rank 1. (Stacked over c, the flattened kernel is a
column-wise Kronecker, i.e. Khatri-Rao, product.) That is the whole
restriction a depthwise separable convolution puts on a full kernel; with a
depth multiplier m, the rank per input channel is at most m. The SVD gives the
best approximation under this restriction (Eckart-Young). In the same way, a
single 2D kernel is spatially separable (column x row) exactly when its rank is 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .reference import as_real_array


def equivalent_full_kernel(
    depthwise_weight: np.ndarray, pointwise_weight: np.ndarray, depth_multiplier: int = 1
) -> np.ndarray:
    """The standard convolution kernel equal to a depthwise + pointwise pair.

    depthwise_weight: (C_in * m, 1, kH, kW); pointwise_weight: (C_out, C_in * m, 1, 1);
    m = depth_multiplier. Returns W: (C_out, C_in, kH, kW) with
        W[o, c] = sum over j < m of P[o, c*m + j] * D[c*m + j],
    so that conv2d(x, W) equals pointwise(depthwise(x)) for any stride, padding and dilation.
    """
    if isinstance(depth_multiplier, bool) or not isinstance(depth_multiplier, int) or depth_multiplier < 1:
        raise ValueError(f"depth_multiplier must be a positive int, got {depth_multiplier!r}")
    depthwise = as_real_array(depthwise_weight, "depthwise_weight")
    pointwise = as_real_array(pointwise_weight, "pointwise_weight")
    if depthwise.ndim != 4 or depthwise.shape[1] != 1 or depthwise.shape[0] % depth_multiplier:
        raise ValueError(
            f"depthwise_weight must have shape (C_in * m, 1, kH, kW) with m = depth_multiplier = "
            f"{depth_multiplier}, got {depthwise.shape}"
        )
    mid, _, kh, kw = depthwise.shape
    if pointwise.ndim != 4 or pointwise.shape[1:] != (mid, 1, 1):
        raise ValueError(
            f"pointwise_weight must have shape (C_out, {mid}, 1, 1) to follow a depthwise weight "
            f"of shape {depthwise.shape}, got {pointwise.shape}"
        )
    c_in, c_out = mid // depth_multiplier, pointwise.shape[0]
    return np.einsum(
        "ocj,cjhw->ochw",
        pointwise.reshape(c_out, c_in, depth_multiplier),
        depthwise.reshape(c_in, depth_multiplier, kh, kw),
    )


@dataclass(frozen=True)
class SeparableApproximation:
    """The best depthwise separable approximation of a full kernel."""

    depthwise_weight: np.ndarray  # (C_in * m, 1, kH, kW): unit-norm filters; zero past a slice's rank
    pointwise_weight: np.ndarray  # (C_out, C_in * m, 1, 1)
    relative_error: float  # ||W - W_approx||_F / ||W||_F
    singular_values: np.ndarray  # (C_in, min(C_out, kH * kW)): the spectrum of each input channel's slice


def best_separable_approximation(weight: np.ndarray, depth_multiplier: int = 1) -> SeparableApproximation:
    """The depthwise + pointwise pair closest to a full kernel in Frobenius norm.

    weight: (C_out, C_in, kH, kW). For each input channel c, the slice W[:, c] as a
    (C_out, kH * kW) matrix is replaced by its best rank-m approximation from the
    SVD, sum_j s_j u_j v_j^T: v_j becomes a depthwise filter, s_j u_j a pointwise
    column. The error is what the discarded singular values hold:
        ||W - W_approx||_F^2 = sum over c and j >= m of s_{c,j}^2.
    A slice has at most min(C_out, kH * kW) singular vectors; when m exceeds that,
    the approximation is exact and the filters (and pointwise columns) beyond it are zero.
    """
    full = as_real_array(weight, "weight")
    if full.ndim != 4:
        raise ValueError(f"weight must be a 4-D kernel (C_out, C_in, kH, kW), got shape {full.shape}")
    if depth_multiplier < 1:
        raise ValueError(f"depth_multiplier must be >= 1, got {depth_multiplier}")
    c_out, c_in, kh, kw = full.shape
    m = depth_multiplier
    slices = full.transpose(1, 0, 2, 3).reshape(c_in, c_out, kh * kw)  # slices[c] = W[:, c] flattened
    u, s, vt = np.linalg.svd(slices, full_matrices=False)  # (C_in, C_out, r), (C_in, r), (C_in, r, kH*kW)
    kept = min(m, s.shape[1])

    depthwise = np.zeros((c_in, m, kh * kw), dtype=full.dtype)
    pointwise = np.zeros((c_out, c_in, m), dtype=full.dtype)
    depthwise[:, :kept] = vt[:, :kept]
    pointwise[:, :, :kept] = (u[:, :, :kept] * s[:, None, :kept]).transpose(1, 0, 2)

    norm = np.linalg.norm(full)
    discarded = np.sqrt(np.sum(s[:, kept:] ** 2))
    return SeparableApproximation(
        depthwise_weight=depthwise.reshape(c_in * m, 1, kh, kw),
        pointwise_weight=pointwise.reshape(c_out, c_in * m, 1, 1),
        relative_error=float(discarded / norm) if norm > 0 else 0.0,
        singular_values=s,
    )


@dataclass(frozen=True)
class SpatialFactors:
    """A 2D kernel's best column x row factorisation."""

    column: np.ndarray  # (kH,)
    row: np.ndarray  # (kW,)
    relative_error: float  # ||K - outer(column, row)||_F / ||K||_F, 0 when K is separable
    singular_values: np.ndarray  # (min(kH, kW),), the kernel's spectrum


def spatial_factors(kernel: np.ndarray) -> SpatialFactors:
    """Factor a 2D kernel (kH, kW) into column (kH,) x row (kW,) via the SVD.

    Exact (relative_error 0) when the kernel has rank 1, e.g. Gaussian and Sobel
    kernels; otherwise the best rank-1 approximation. The scale is split evenly
    (sqrt(s_1) each) and the sign chosen so that the column's largest entry is positive.
    """
    matrix = as_real_array(kernel, "kernel")
    if matrix.ndim != 2:
        raise ValueError(f"kernel must be a 2-D array (kH, kW), got shape {matrix.shape}")
    u, s, vt = np.linalg.svd(matrix)
    column, row = u[:, 0] * np.sqrt(s[0]), vt[0] * np.sqrt(s[0])
    if column[np.argmax(np.abs(column))] < 0:
        column, row = -column, -row
    norm = np.linalg.norm(matrix)
    error = float(np.sqrt(np.sum(s[1:] ** 2)) / norm) if norm > 0 else 0.0
    return SpatialFactors(column, row, error, s)


def is_spatially_separable(kernel: np.ndarray, rtol: float = 1e-10) -> bool:
    """True when the 2D kernel has rank 1: its second singular value is below rtol * the first."""
    s = spatial_factors(kernel).singular_values
    return bool(len(s) < 2 or s[1] <= rtol * s[0])


@dataclass(frozen=True)
class LowRankKernel:
    """A 2D kernel's best approximation of a given rank, and the separable terms it sums."""

    kernel: np.ndarray  # (kH, kW): sum of the first `rank` terms s_j u_j v_j^T of the SVD
    rank: int
    relative_error: float  # ||K - kernel||_F / ||K||_F = sqrt(sum s[rank:]^2) / ||K||_F
    columns: np.ndarray  # (rank, kH): columns[j] = sqrt(s_j) u_j
    rows: np.ndarray  # (rank, kW): rows[j] = sqrt(s_j) v_j; kernel = sum over j of outer(columns[j], rows[j])


def low_rank_approximation(kernel: np.ndarray, rank: int) -> LowRankKernel:
    """The best rank-`rank` approximation of a 2D kernel (kH, kW) in Frobenius norm (Eckart-Young).

    A rank-r kernel is a sum of r column x row products, so it runs as r pairs of
    1D convolutions: (columns[j], rows[j]) for j < r. rank must be 1 .. min(kH, kW);
    at the kernel's own rank the approximation is exact (up to rounding).
    """
    matrix = as_real_array(kernel, "kernel")
    if matrix.ndim != 2:
        raise ValueError(f"kernel must be a 2-D array (kH, kW), got shape {matrix.shape}")
    full = min(matrix.shape)
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 1 <= rank <= full:
        raise ValueError(f"rank must be an int from 1 to min(kH, kW) = {full} for a kernel of shape {matrix.shape}, got {rank!r}")
    u, s, vt = np.linalg.svd(matrix)
    approximation = (u[:, :rank] * s[:rank]) @ vt[:rank]
    norm = np.linalg.norm(matrix)
    error = float(np.sqrt(np.sum(s[rank:] ** 2)) / norm) if norm > 0 else 0.0
    scales = np.sqrt(s[:rank])
    return LowRankKernel(approximation, int(rank), error, u[:, :rank].T * scales[:, None], vt[:rank] * scales[:, None])


def kernel_rank(kernel: np.ndarray, rtol: float = 1e-10) -> int:
    """The numerical rank of a 2D kernel: its singular values above rtol * the largest.

    Rank 1 is spatially separable (see is_spatially_separable); a rank-r kernel is a
    sum of r separable ones. An all-zero kernel has rank 0.
    """
    s = spatial_factors(kernel).singular_values
    return int(np.sum(s > rtol * s[0])) if s[0] > 0 else 0
