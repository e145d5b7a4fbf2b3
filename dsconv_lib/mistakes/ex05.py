"""Exercise 5, pointwise convolution: the cases its text names, and the mistakes its checks recognise.

Functions: pointwise_conv2d(x (N, C_in, H, W), weight (C_out, C_in, 1, 1), bias (C_out,) or None) ->
(N, C_out, H, W); pointwise_macs(c_in, c_out, h, w); compose_pointwise(w1 (C_mid, C_in, 1, 1),
w2 (C_out, C_mid, 1, 1)) -> (C_out, C_in, 1, 1).
"""

from __future__ import annotations

import numpy as np

from .. import reference
from . import EdgeCase, Mistake
from ._common import flops_for_macs
from ._wrong import pointwise_reshaped

CH5 = "05_pointwise"

NAMED = (
    EdgeCase("pointwise_conv2d", "no bias (None)", lambda a: a["bias"] is None),
    EdgeCase("pointwise_conv2d", "a bias", lambda a: a["bias"] is not None),
    EdgeCase("pointwise_conv2d", "H and W that differ", lambda a: a["x"].shape[2] != a["x"].shape[3]),
    EdgeCase("pointwise_conv2d", "several images", lambda a: a["x"].shape[0] > 1),
    EdgeCase("pointwise_conv2d", "C_out different from C_in", lambda a: a["weight"].shape[0] != a["weight"].shape[1]),
    EdgeCase("pointwise_conv2d", "C_out equal to C_in", lambda a: a["weight"].shape[0] == a["weight"].shape[1]),
    EdgeCase("pointwise_macs", "h and w that differ", lambda a: a["h"] != a["w"]),
    EdgeCase("compose_pointwise", "C_in, C_mid and C_out all equal",
             lambda a: a["w1"].shape[0] == a["w1"].shape[1] == a["w2"].shape[0]),
    EdgeCase("compose_pointwise", "C_in, C_mid and C_out all different",
             lambda a: len({a["w1"].shape[1], a["w1"].shape[0], a["w2"].shape[0]}) == 3),
)


def _matrix(weight: np.ndarray) -> np.ndarray:
    return np.asarray(weight, dtype=np.float64)[:, :, 0, 0]


_MATRIX = ("a 1x1 convolution multiplies each pixel's channel vector by the C_out x C_in matrix weight[:, :, 0, 0]",
           CH5, "A $1 \\times 1$ convolution is a matrix at every pixel")
_COST = ("each of the C_out H W outputs is a dot product over the C_in channels", CH5, "What it costs")

MISTAKES = {
    "pointwise_conv2d": (
        Mistake("weight as (C_in, C_out)", "the matrix transposed (weight read as (C_in, C_out))", *_MATRIX,
                lambda x, weight, bias=None: reference.pointwise_conv2d(x, np.swapaxes(weight, 0, 1), bias)),
        Mistake("bias forgotten", "leaving out the bias", "each output channel o gets its bias b[o] added", CH5,
                "A $1 \\times 1$ convolution is a matrix at every pixel",
                lambda x, weight, bias=None: reference.pointwise_conv2d(x, weight)),
        Mistake("reshape for transpose", "x.reshape(N, H W, C_in), which reorders the values instead of transposing",
                *_MATRIX, pointwise_reshaped),
    ),
    "pointwise_macs": (
        flops_for_macs(lambda c_in, c_out, h, w: h * w * c_in * c_out),
        Mistake("C_in left out", "leaving out C_in", *_COST, lambda c_in, c_out, h, w: h * w * c_out),
    ),
    "compose_pointwise": (
        Mistake("order swapped", "the product in the wrong order (M1 M2)",
                "w1 acts first, so the combined matrix is M2 M1", CH5,
                "A $1 \\times 1$ convolution is a matrix at every pixel",
                lambda w1, w2: (_matrix(w1) @ _matrix(w2))[:, :, None, None]),
        Mistake("transposed", "the combined matrix transposed, (C_in, C_out)",
                "the combined weight is (C_out, C_in, 1, 1), M2 M1", CH5,
                "A $1 \\times 1$ convolution is a matrix at every pixel",
                lambda w1, w2: (_matrix(w2) @ _matrix(w1)).T[:, :, None, None]),
    ),
}
