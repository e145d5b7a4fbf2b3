"""Self-attention's cost against a 1D convolution's, as functions of sequence length n and width d.

One self-attention layer on x: (batch, n, d) with h heads of width d / h:

    Q, K, V = x W_q, x W_k, x W_v          3 n d^2 MACs   (three d x d projections)
    S = Q K^T / sqrt(d/h), per head         n^2 d MACs     (h heads of n x n x d/h)
    A = softmax(S); Y = A V, per head        n^2 d MACs     (h heads of n x n x d/h)
    out = Y W_o                              n d^2 MACs

so MACs = 4 n d^2 + 2 n^2 d: linear in n through the projections, quadratic
through the n x n score matrix. The softmax (exponentials and a division per
score) and the scaling are elementwise work and, as everywhere in the course,
not counted as MACs. A 1D convolution over the same sequence, d channels in and
out with kernel k, costs n k d^2 MACs; a depthwise separable one n k d + n d^2.
"""

from __future__ import annotations

from typing import Optional

from ..shapes import positive_int
from .formulas import Cost, conv, separable_conv


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        positive_int(value, name)


def self_attention_parts(
    seq_len: int,
    d_model: int,
    *,
    heads: int = 1,
    bias: bool = True,
    batch: int = 1,
    bytes_per_element: int = 4,
) -> dict[str, Cost]:
    """The four parts of one self-attention layer, x: (batch, n, d) -> (batch, n, d).

    Returns {"qkv projections", "scores QK^T", "weighted sum AV", "output projection"}.
    Bytes: each part reads its inputs and weights and writes its output once; the
    score matrices, (batch, heads, n, n), are written by "scores" and read by
    "weighted sum" (an unfused implementation; a fused kernel keeps them on chip).
    """
    _check_positive(seq_len=seq_len, d_model=d_model, heads=heads, batch=batch)
    if d_model % heads:
        raise ValueError(f"heads={heads} must divide d_model={d_model}")
    n, d, e = seq_len, d_model, bytes_per_element
    tokens = batch * n * d  # elements of one (batch, n, d) tensor
    scores = batch * heads * n * n  # elements of the score (and attention) matrices
    qkv_params = 3 * (d * d + (d if bias else 0))
    out_params = d * d + (d if bias else 0)
    return {
        "qkv projections": Cost(qkv_params, 3 * batch * n * d * d, (tokens + qkv_params + 3 * tokens) * e),
        "scores QK^T": Cost(0, batch * n * n * d, (2 * tokens + scores) * e),
        "weighted sum AV": Cost(0, batch * n * n * d, (scores + tokens + tokens) * e),
        "output projection": Cost(out_params, batch * n * d * d, (tokens + out_params + tokens) * e),
    }


def self_attention(
    seq_len: int,
    d_model: int,
    *,
    heads: int = 1,
    bias: bool = True,
    batch: int = 1,
    bytes_per_element: int = 4,
) -> Cost:
    """One self-attention layer: 4 d^2 (+ 4 d) parameters, batch * (4 n d^2 + 2 n^2 d) MACs.

    The MACs do not depend on the number of heads (h heads of width d/h); see
    `self_attention_parts` for the split and the bytes.
    """
    parts = self_attention_parts(seq_len, d_model, heads=heads, bias=bias, batch=batch, bytes_per_element=bytes_per_element)
    return sum(parts.values(), Cost(0, 0, 0))


def sequence_conv(
    seq_len: int,
    d_model: int,
    kernel_size: int,
    *,
    separable: bool = False,
    bias: bool = False,
    batch: int = 1,
    bytes_per_element: int = 4,
) -> Cost:
    """A 'same'-padded 1D convolution over a sequence, d channels in and out: x: (batch, d, n).

    Standard: n k d^2 MACs. Separable (depthwise k, then pointwise d -> d): n k d + n d^2.
    Odd kernels only, so that padding k // 2 keeps the length n.
    """
    _check_positive(seq_len=seq_len, d_model=d_model, kernel_size=kernel_size, batch=batch)
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be odd to keep the sequence length, got {kernel_size}")
    layer = separable_conv if separable else conv
    return layer(d_model, d_model, kernel_size, (seq_len,), padding=kernel_size // 2, bias=bias,
                 batch=batch, bytes_per_element=bytes_per_element)


def attention_conv_crossover(d_model: int, kernel_size: int, *, separable: bool = False) -> Optional[float]:
    """The sequence length n at which self-attention and a 1D convolution cost the same MACs.

    Both costs are divided by n d, so the comparison is linear in n:
        attention / (n d) = 4 d + 2 n
        standard conv / (n d) = k d            ->  n* = (k - 4) d / 2
        separable conv / (n d) = k + d          ->  n* = (k - 3 d) / 2
    Attention is cheaper below n* and dearer above it. Returns None when n* <= 0,
    i.e. when attention costs more at every length (always so against a separable
    convolution with k < 3d).
    """
    _check_positive(d_model=d_model, kernel_size=kernel_size)
    d, k = d_model, kernel_size
    crossover = (k - 3 * d) / 2 if separable else (k - 4) * d / 2
    return crossover if crossover > 0 else None


def quadratic_share_length(d_model: int) -> int:
    """The length n = 2d at which attention's n^2 terms (2 n^2 d) equal its projections (4 n d^2).

    Beyond it, most of a self-attention layer's MACs are in the n x n score matrix.
    """
    _check_positive(d_model=d_model)
    return 2 * d_model


def attention_to_conv_ratio(seq_len: int, d_model: int, kernel_size: int, *, separable: bool = True) -> float:
    """MACs of self-attention over those of a 1D convolution on the same (n, d) sequence."""
    attention = self_attention(seq_len, d_model, bias=False)
    convolution = sequence_conv(seq_len, d_model, kernel_size, separable=separable)
    return attention.macs / convolution.macs


__all__ = [
    "attention_conv_crossover",
    "attention_to_conv_ratio",
    "quadratic_share_length",
    "self_attention",
    "self_attention_parts",
    "sequence_conv",
]
