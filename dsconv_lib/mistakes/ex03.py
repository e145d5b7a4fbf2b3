"""Exercise 3, spatially separable convolution: the cases its text names, the mistakes its checks recognise.

Functions: is_rank_one(kernel (kH, kW), tol) -> bool; separate(kernel) -> (column (kH,), row (kW,)), checked as
np.outer(*separate(kernel)); separable_filter(image (H, W), column (kH,), row (kW,)) -> (H, W), 'same' zero
padding; saving_2d(k), saving_3d(k) -> float.
"""

from __future__ import annotations

import numpy as np

from .. import reference
from . import EdgeCase, Mistake

CH3 = "03_spatially_separable"

NAMED = (
    EdgeCase("is_rank_one", "a kernel that is not square", lambda a: a["kernel"].shape[0] != a["kernel"].shape[1]),
    EdgeCase("is_rank_one", "a single row or column", lambda a: min(a["kernel"].shape) == 1),
    EdgeCase("is_rank_one", "a tolerance other than 1e-8", lambda a: a["tol"] != 1e-8),
    EdgeCase("is_rank_one", "a kernel of rank 2 or more", lambda a: np.linalg.matrix_rank(a["kernel"]) > 1),
    EdgeCase("separate", "a kernel that is not square", lambda a: a["kernel"].shape[0] != a["kernel"].shape[1]),
    EdgeCase("separate", "a kernel that is not rank 1 (its best approximation)",
             lambda a: np.linalg.matrix_rank(a["kernel"]) > 1),
    EdgeCase("separable_filter", "column and row of different lengths", lambda a: len(a["column"]) != len(a["row"])),
    EdgeCase("separable_filter", "an image that is not square", lambda a: a["image"].shape[0] != a["image"].shape[1]),
    EdgeCase("saving_2d", "k other than 3", lambda a: a["k"] != 3),
    EdgeCase("saving_3d", "k other than 3", lambda a: a["k"] != 3),
)


def _rank_one(kernel, tol=1e-8, absolute=False):
    s = np.linalg.svd(np.asarray(kernel, dtype=np.float64), compute_uv=False)
    return bool(len(s) < 2 or s[1] <= (tol if absolute else tol * s[0]))


def _filter(image, column, row, before=False):
    """'same' filtering (`before`: all k - 1 zeros above and left, none below and right)."""
    image = np.asarray(image, dtype=np.float64)
    k_h, k_w = len(column), len(row)
    pads = ((k_h - 1, 0), (k_w - 1, 0)) if before else (((k_h - 1) // 2,) * 2, ((k_w - 1) // 2,) * 2)
    kernel = np.outer(column, row)[None, None]
    return reference.conv2d(np.pad(image, pads)[None, None], kernel)[0, 0]


_SVD = ("the best rank-one approximation is s_1 u_1 v_1^T, with vt[0] the first right singular vector", CH3,
        "Which kernels separate? The SVD test")
_PASSES = ("the column pass runs down the columns with c, then the row pass along the rows with r, "
           "(k - 1) / 2 zeros on each side", CH3, "Column, then row: the same output")
_SAVING = ("a full kernel spends k^2 MACs per output (k^3 in 3D), the passes k each, 2k in 2D and 3k in 3D", CH3,
           "What the two passes save")

MISTAKES = {
    "is_rank_one": (
        Mistake("absolute tolerance", "an absolute tolerance (s_2 <= tol) instead of a relative one (s_2 <= tol s_1)",
                "rank one means s_2 <= tol s_1", CH3, "Which kernels separate? The SVD test",
                lambda kernel, tol=1e-8: _rank_one(kernel, tol, absolute=True)),
        Mistake("matrix_rank", "np.linalg.matrix_rank's own tolerance instead of tol",
                "rank one means s_2 <= tol s_1, with the tol given", CH3, "Which kernels separate? The SVD test",
                lambda kernel, tol=1e-8: bool(np.linalg.matrix_rank(kernel) == 1)),
    ),
    "separate": (
        Mistake("sigma forgotten", "leaving out the singular value s_1", *_SVD,
                lambda kernel: np.outer(*(lambda u, s, vt: (u[:, 0], vt[0]))(*np.linalg.svd(kernel)))),
        Mistake("vt column", "a column of vt (vt[:, 0]) for its first row", *_SVD,
                lambda kernel: np.outer(*(lambda u, s, vt: (u[:, 0] * s[0], vt[:, 0]))(*np.linalg.svd(kernel)))),
    ),
    "separable_filter": (
        Mistake("passes swapped", "each pass with the other's kernel (the row down the columns)", *_PASSES,
                lambda image, column, row: _filter(image, row, column)),
        Mistake("flipped", "the kernels flipped (a true convolution)", *_PASSES,
                lambda image, column, row: _filter(image, column[::-1], row[::-1])),
        Mistake("padding on one side", "all k - 1 zeros on one side (above and left)", *_PASSES,
                lambda image, column, row: _filter(image, column, row, before=True)),
    ),
    "saving_2d": (
        Mistake("one pass", "one pass's k MACs for the two passes' 2k", *_SAVING, lambda k: k * k / k),
        Mistake("inverted", "the inverse saving (separable over full)", *_SAVING, lambda k: 2 * k / (k * k)),
    ),
    "saving_3d": (
        Mistake("two passes", "two passes (2k) for the three of 3D (3k)", *_SAVING, lambda k: k ** 3 / (2 * k)),
        Mistake("inverted", "the inverse saving (separable over full)", *_SAVING, lambda k: 3 * k / k ** 3),
    ),
}
