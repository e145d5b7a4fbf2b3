"""Exercise 9, Inception and Xception: the cases its text names, and the mistakes its checks recognise.

Functions: conv2d_same(x (N, C_in, H, W), weight (C_out, C_in, k, k), bias) -> (N, C_out, H, W); max_pool3x3(x);
inception_forward(x, weights {name: (weight, bias)}) -> (N, c1 + c3 + c5 + p, H, W); inception_params(c_in, c1,
r3, c3, r5, c5, p), inception_macs(..., h, w); separable_inception_params(...), separable_inception_macs(...);
grouped_conv_params(c_in, c_out, k, groups).
"""

from __future__ import annotations

import numpy as np

from .. import cost, reference
from . import EdgeCase, Mistake
from ._wrong import conv2d_flipped, conv2d_one_side
from .ex04 import MISTAKES as _EX04

CH9 = "09_inception_xception"

NAMED = (
    EdgeCase("conv2d_same", "k = 1", lambda a: a["weight"].shape[2] == 1),
    EdgeCase("conv2d_same", "k = 3", lambda a: a["weight"].shape[2] == 3),
    EdgeCase("conv2d_same", "k = 5", lambda a: a["weight"].shape[2] == 5),
    EdgeCase("conv2d_same", "H and W that differ", lambda a: a["x"].shape[2] != a["x"].shape[3]),
    EdgeCase("max_pool3x3", "inputs that are all negative", lambda a: bool(np.all(a["x"] < 0))),
    EdgeCase("max_pool3x3", "H and W that differ", lambda a: a["x"].shape[2] != a["x"].shape[3]),
    EdgeCase("inception_forward", "several images", lambda a: a["x"].shape[0] > 1),
    EdgeCase("inception_macs", "h and w that differ", lambda a: a["h"] != a["w"]),
    EdgeCase("grouped_conv_params", "groups = 1 (standard)", lambda a: a["groups"] == 1),
    EdgeCase("grouped_conv_params", "1 < groups < C_in", lambda a: 1 < a["groups"] < a["c_in"]),
    EdgeCase("grouped_conv_params", "groups = C_in (depthwise)", lambda a: a["groups"] == a["c_in"]),
    EdgeCase("grouped_conv_params", "C_out different from C_in", lambda a: a["c_out"] != a["c_in"]),
)


def _same(conv):
    def wrong(x, weight, bias):
        return conv(x, weight, bias, 1, weight.shape[2] // 2)
    return wrong


def _pool(x, fill=-np.inf):
    padded = np.pad(np.asarray(x, dtype=np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=fill)
    h, w = x.shape[2:]
    return np.max([padded[:, :, u:u + h, v:v + w] for u in range(3) for v in range(3)], axis=0)


def _inception(x, weights, order=(0, 1, 2, 3), reduce_relu=True):
    def conv(z, name, relu=True):
        weight, bias = weights[name]
        y = reference.conv2d(np.asarray(z, dtype=np.float64), weight, bias, padding=weight.shape[2] // 2)
        return np.maximum(y, 0.0) if relu else y

    branches = [conv(x, "1x1"), conv(conv(x, "3x3_reduce", reduce_relu), "3x3"),
                conv(conv(x, "5x5_reduce", reduce_relu), "5x5"), conv(_pool(x), "pool_proj")]
    return np.concatenate([branches[i] for i in order], axis=1)


def _params(c_in, c1, r3, c3, r5, c5, p, *, five=25, reduce=True, pool=True, separable=False, pointwise=True):
    def branch(r, c, k2):
        if not reduce:
            return c_in * c * k2
        return c_in * r + (k2 * r + (r * c if pointwise else 0) if separable else k2 * r * c)

    return c_in * c1 + branch(r3, c3, 9) + branch(r5, c5, five) + (c_in * p if pool else 0)


def _weights(c_in, c1, r3, c3, r5, c5, p):
    """The right count: the standard Inception block's weights, from dsconv_lib.cost (any input size)."""
    return cost.inception_block(c_in, c1, r3, c3, r5, c5, p, 1, bias=False).params


_CONV = ("padding (k - 1) / 2 on each side, the kernel not flipped, the bias added once", CH9, "The Inception block")
_BRANCH = ("branch 2 is a 1x1 reduction to r3 then a 3x3 to c3, branch 3 a reduction to r5 then a 5x5", CH9,
           "What each branch costs")
_SEPARABLE = ("a separable branch has its 1x1 reduction, a k x k depthwise step on r channels and a 1x1 step "
              "to the branch's width", CH9, "Inception with depthwise separable branches")
GROUPED = _EX04["grouped_params"]  # the same formula as exercise 4's

MISTAKES = {
    "conv2d_same": (
        Mistake("flipped kernel", "the kernel flipped (a true convolution)", *_CONV, _same(conv2d_flipped)),
        Mistake("bias forgotten", "leaving out the bias", *_CONV,
                lambda x, weight, bias: reference.conv2d(x, weight, padding=weight.shape[2] // 2)),
        Mistake("padding on one side", "all k - 1 zeros on one side (above and left)", *_CONV,
                lambda x, weight, bias: conv2d_one_side(x, weight, bias, padding=weight.shape[2] - 1)),
    ),
    "max_pool3x3": (
        Mistake("zero padding", "padding with zeros (a zero beats negative inputs at the border)",
                "pad with -inf: positions outside the image never win", CH9, "The Inception block",
                lambda x: _pool(x, fill=0.0)),
    ),
    "inception_forward": (
        Mistake("branch order", "the branches concatenated in another order (3x3 branch first)",
                "the order is branch 1, 2, 3, 4", CH9, "The Inception block",
                lambda x, weights: _inception(x, weights, order=(1, 0, 2, 3))),
        Mistake("no ReLU after reduce", "no ReLU after the 1x1 reductions",
                "every convolution is followed by a ReLU, the reductions too", CH9, "The Inception block",
                lambda x, weights: _inception(x, weights, reduce_relu=False)),
    ),
    "inception_params": (
        Mistake("5x5 as 9", "9 weights for the 5x5 kernel (it has 25)", *_BRANCH,
                lambda *args: _params(*args, five=9)),
        Mistake("no reductions", "the 3x3 and 5x5 convolutions on all C_in channels (the reductions left out)",
                *_BRANCH, lambda *args: _params(*args, reduce=False)),
        Mistake("pool projection forgotten", "leaving out the pool branch's 1x1 projection", *_BRANCH,
                lambda *args: _params(*args, pool=False)),
    ),
    "inception_macs": (
        Mistake("per pixel", "the weights (the MACs of one pixel), not times h w",
                "every layer keeps the size h x w, so the MACs are the weights times h w", CH9,
                "What each branch costs", lambda c_in, c1, r3, c3, r5, c5, p, h, w: _weights(c_in, c1, r3, c3, r5, c5, p)),
    ),
    "separable_inception_params": (
        Mistake("pointwise forgotten", "the depthwise steps without their 1x1 steps", *_SEPARABLE,
                lambda *args: _params(*args, separable=True, pointwise=False)),
        Mistake("standard branches", "the standard block's count (the 3x3 and 5x5 not made separable)", *_SEPARABLE,
                _weights),
    ),
    "grouped_conv_params": tuple(m for m in GROUPED if m.key in ("groups ignored", "one group only")),
}
