"""Exercise 6, depthwise separable convolution: the cases its text names, the mistakes its checks recognise.

Functions: depthwise_conv2d(x (N, C, H, W), weight (C, 1, kH, kW), stride, padding); pointwise_conv2d(z (N, C_in,
H, W), weight (C_out, C_in, 1, 1)); separable_conv2d(x, w_dw, w_pw, stride, padding); equivalent_kernel(w_dw,
w_pw) -> (C_out, C_in, kH, kW); separable_macs(c_in, c_out, k, h_out, w_out); ratio_closed_form(c_out, k);
best_rank_one(matrix (a, b)) -> (a, b); separable_approximation_error(weight (C_out, C_in, kH, kW)) -> float.
"""

from __future__ import annotations

import numpy as np

from .. import cost, reference
from . import EdgeCase, Mistake
from ._common import DEPTHWISE_STEP, flops_for_macs
from ._wrong import pointwise_reshaped

CH6 = "06_depthwise_separable"


def _not_square(kernel: np.ndarray) -> bool:
    return kernel.shape[-2] != kernel.shape[-1]


NAMED = (
    EdgeCase("depthwise_conv2d", "a kernel that is not square", lambda a: _not_square(a["weight"])),
    EdgeCase("depthwise_conv2d", "H and W that differ", lambda a: a["x"].shape[2] != a["x"].shape[3]),
    EdgeCase("depthwise_conv2d", "stride other than 1", lambda a: a["stride"] != 1),
    EdgeCase("depthwise_conv2d", "padding", lambda a: a["padding"] > 0),
    EdgeCase("depthwise_conv2d", "several images", lambda a: a["x"].shape[0] > 1),
    EdgeCase("pointwise_conv2d", "C_out different from C_in", lambda a: a["weight"].shape[0] != a["weight"].shape[1]),
    EdgeCase("pointwise_conv2d", "C_out equal to C_in", lambda a: a["weight"].shape[0] == a["weight"].shape[1]),
    EdgeCase("separable_conv2d", "stride other than 1", lambda a: a["stride"] != 1),
    EdgeCase("separable_conv2d", "padding", lambda a: a["padding"] > 0),
    EdgeCase("separable_conv2d", "C_out equal to C_in", lambda a: a["w_pw"].shape[0] == a["w_pw"].shape[1]),
    EdgeCase("separable_conv2d", "a kernel that is not square", lambda a: _not_square(a["w_dw"])),
    EdgeCase("equivalent_kernel", "a kernel that is not square", lambda a: _not_square(a["w_dw"])),
    EdgeCase("equivalent_kernel", "C_out equal to C_in", lambda a: a["w_pw"].shape[0] == a["w_pw"].shape[1]),
    EdgeCase("separable_macs", "an output that is not square", lambda a: a["h_out"] != a["w_out"]),
    EdgeCase("ratio_closed_form", "k other than 3", lambda a: a["k"] != 3),
    EdgeCase("best_rank_one", "a matrix of rank one", lambda a: np.linalg.matrix_rank(a["matrix"]) == 1),
    EdgeCase("best_rank_one", "more columns than rows", lambda a: a["matrix"].shape[0] < a["matrix"].shape[1]),
    EdgeCase("best_rank_one", "more rows than columns", lambda a: a["matrix"].shape[0] > a["matrix"].shape[1]),
    EdgeCase("separable_approximation_error", "several input channels", lambda a: a["weight"].shape[1] > 1),
)


def _matrix(weight: np.ndarray) -> np.ndarray:
    return np.asarray(weight, dtype=np.float64)[:, :, 0, 0]


def _svd(matrix: np.ndarray):
    return np.linalg.svd(np.asarray(matrix, dtype=np.float64), full_matrices=False)


def _error(weight: np.ndarray, whole: bool = False, relative: bool = True, root: bool = True) -> float:
    """The error of a rank-one approximation per input channel (`whole`: of the whole kernel's matrix)."""
    weight = np.asarray(weight, dtype=np.float64)
    slices = [weight.reshape(weight.shape[0], -1)] if whole else [weight[:, c].reshape(weight.shape[0], -1)
                                                                   for c in range(weight.shape[1])]
    lost = sum(float(np.sum(_svd(m)[1][1:] ** 2)) for m in slices)
    total = float(np.sum(weight ** 2)) if relative else 1.0
    return float(np.sqrt(lost / total)) if root else lost / total


def _macs(c_in, c_out, k, h_out, w_out, depthwise_channels=None, pointwise_kernel=1):
    """A k x k depthwise step on `depthwise_channels` (C_in), then a `pointwise_kernel` step C_in -> C_out,
    both with an (h_out, w_out) output, as dsconv_lib.cost counts them: the right MACs with the defaults."""
    def unpadded_input(kernel: int) -> tuple[int, int]:  # the input whose unpadded convolution is h_out x w_out
        return h_out + kernel - 1, w_out + kernel - 1

    depthwise = cost.depthwise_conv(depthwise_channels or c_in, k, unpadded_input(k))
    pointwise = cost.conv(c_in, c_out, pointwise_kernel, unpadded_input(pointwise_kernel))
    return depthwise.macs + pointwise.macs


_MATRIX = ("P[o, c] = weight[o, c, 0, 0] weighs input channel c in output channel o", "05_pointwise",
           "A $1 \\times 1$ convolution is a matrix at every pixel")
_BLOCK = ("the depthwise step, with the stride and the padding, comes first, then the pointwise step", CH6,
          "Depthwise, then pointwise")
_KERNEL = ("W[o, c] = P[o, c] D_c: input channel c's filter, scaled by the pointwise weight from c to o", CH6,
           "The equivalent full kernel")
_COUNT = ("the depthwise step costs C_in k^2 per pixel and the pointwise step C_in C_out", CH6,
          "Counting multiply-accumulates")
_RATIO = ("the ratio is 1/C_out + 1/k^2, both terms", CH6, "How much cheaper: $1/C_\\text{out} + 1/k^2$")
_SVD = ("the best rank-one approximation is s_1 u_1 v_1^T, with vt[0] the first right singular vector", CH6,
        "The SVD answer, and why it is optimal (Eckart–Young)")
_ERROR = ("the relative error is sqrt(sum over c and j >= 2 of s_cj^2) / ||W||_F, one SVD per input channel", CH6,
          "The best separable approximation of a full kernel")

MISTAKES = {
    "depthwise_conv2d": (
        *DEPTHWISE_STEP,
    ),
    "pointwise_conv2d": (
        Mistake("weight as (C_in, C_out)", "the matrix transposed (P[c, o] for P[o, c])", *_MATRIX,
                lambda z, weight: reference.pointwise_conv2d(z, np.swapaxes(weight, 0, 1))),
        Mistake("reshape for transpose", "z.reshape(N, H W, C_in), which reorders the values instead of transposing",
                *_MATRIX, pointwise_reshaped),
    ),
    "separable_conv2d": (
        Mistake("order swapped", "the pointwise step first", *_BLOCK,
                lambda x, w_dw, w_pw, stride=1, padding=0: reference.depthwise_conv2d(
                    reference.pointwise_conv2d(x, w_pw), w_dw, stride=stride, padding=padding)),
        Mistake("stride and padding dropped", "the depthwise step without the stride and the padding", *_BLOCK,
                lambda x, w_dw, w_pw, stride=1, padding=0: reference.separable_conv2d(x, w_dw, w_pw)),
    ),
    "equivalent_kernel": (
        Mistake("P transposed", "the pointwise matrix transposed (P[c, o])", *_KERNEL,
                lambda w_dw, w_pw: _matrix(w_pw).T[:, :, None, None] * np.asarray(w_dw)[None, :, 0]),
        Mistake("filter of the output", "the depthwise filter of the output channel (D_o for D_c)", *_KERNEL,
                lambda w_dw, w_pw: _matrix(w_pw)[:, :, None, None] * np.asarray(w_dw)[:, None, 0]),
    ),
    "separable_macs": (
        Mistake("k^2 in pointwise", "k^2 counted in the pointwise step (a 1x1 kernel has one weight per pair)",
                *_COUNT, lambda c_in, c_out, k, h_out, w_out: _macs(c_in, c_out, k, h_out, w_out, pointwise_kernel=k)),
        Mistake("depthwise over C_out", "C_out channels in the depthwise step (it has C_in)", *_COUNT,
                lambda c_in, c_out, k, h_out, w_out: _macs(c_in, c_out, k, h_out, w_out, depthwise_channels=c_out)),
        flops_for_macs(_macs),
    ),
    "ratio_closed_form": (
        Mistake("1/k^2 alone", "1/k^2 alone (the depthwise term only)", *_RATIO, lambda c_out, k: 1 / k ** 2),
        Mistake("1/C_out alone", "1/C_out alone (the pointwise term only)", *_RATIO, lambda c_out, k: 1 / c_out),
        Mistake("k not squared", "1/C_out + 1/k (k not squared)", *_RATIO, lambda c_out, k: 1 / c_out + 1 / k),
        Mistake("inverted", "the inverse ratio (standard over separable)", *_RATIO,
                lambda c_out, k: 1 / (1 / c_out + 1 / k ** 2)),
    ),
    "best_rank_one": (
        Mistake("sigma forgotten", "leaving out the singular value s_1", *_SVD,
                lambda matrix: np.outer(_svd(matrix)[0][:, 0], _svd(matrix)[2][0])),
        Mistake("vt column", "a column of vt (vt[:, 0]) for its first row", *_SVD,
                lambda matrix: _svd(matrix)[1][0] * np.outer(_svd(matrix)[0][:, 0], _svd(matrix)[2][:, 0])),
    ),
    "separable_approximation_error": (
        Mistake("not relative", "the error not divided by ||W||_F", *_ERROR,
                lambda weight: _error(weight, relative=False)),
        Mistake("squared", "the squared error (no square root)", *_ERROR, lambda weight: _error(weight, root=False)),
        Mistake("whole kernel", "one SVD of the whole kernel (C_out x C_in k_H k_W) instead of one per input channel",
                *_ERROR, lambda weight: _error(weight, whole=True)),
    ),
}
