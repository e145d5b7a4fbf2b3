"""Exercise 8, Squeeze-and-Excitation: the cases its text names, and the mistakes its checks recognise.

Functions: squeeze_excite(x (N, C, H, W), w1 (C_h, C), b1 (C_h,), w2 (C, C_h), b2 (C,)) -> (N, C, H, W);
se_params(c, r, bias); se_macs(c, r, batch); se_network_params(stages [(N_s, C_s), ...], r);
se_weights_at(c_in, c_out, r, after, depth_multiplier); se_share(c_in, c_out, k, r, after) -> float.
The hidden width is C_h = max(1, floor(C / r)).
"""

from __future__ import annotations

import numpy as np

from .. import cost
from . import EdgeCase, Mistake
from ._common import flops_for_macs

CH8 = "08_squeeze_excitation"


def _floor_rounds_down(c: int, r: int) -> bool:
    """C / r has a fractional part of at least 1/2: floor and round differ."""
    return 2 * (c % r) >= r


NAMED = (
    EdgeCase("squeeze_excite", "several images", lambda a: a["x"].shape[0] > 1),
    EdgeCase("squeeze_excite", "H and W that differ", lambda a: a["x"].shape[2] != a["x"].shape[3]),
    EdgeCase("squeeze_excite", "a hidden width of 1", lambda a: a["w1"].shape[0] == 1),
    EdgeCase("se_params", "with biases", lambda a: a["bias"]),
    EdgeCase("se_params", "without biases", lambda a: not a["bias"]),
    EdgeCase("se_params", "r > C (the max(1, ...))", lambda a: a["r"] > a["c"]),
    EdgeCase("se_params", "C / r not whole, floor and round differing", lambda a: _floor_rounds_down(a["c"], a["r"])),
    EdgeCase("se_macs", "several images", lambda a: a["batch"] > 1),
    EdgeCase("se_macs", "r > C (the max(1, ...))", lambda a: a["r"] > a["c"]),
    EdgeCase("se_macs", "C / r not whole, floor and round differing", lambda a: _floor_rounds_down(a["c"], a["r"])),
    EdgeCase("se_network_params", "several stages", lambda a: len(a["stages"]) > 1),
    EdgeCase("se_network_params", "a stage of several blocks", lambda a: any(n > 1 for n, _ in a["stages"])),
    EdgeCase("se_weights_at", "after the depthwise step", lambda a: a["after"] == "depthwise"),
    EdgeCase("se_weights_at", "after the pointwise step", lambda a: a["after"] == "pointwise"),
    EdgeCase("se_weights_at", "a depth multiplier m > 1, after the depthwise step",
             lambda a: a["after"] == "depthwise" and a["depth_multiplier"] > 1),
    EdgeCase("se_weights_at", "r larger than the SE block's channels (the max(1, ...))",
             lambda a: a["r"] > (a["c_in"] * a["depth_multiplier"] if a["after"] == "depthwise" else a["c_out"])),
    EdgeCase("se_share", "after the depthwise step", lambda a: a["after"] == "depthwise"),
    EdgeCase("se_share", "after the pointwise step", lambda a: a["after"] == "pointwise"),
)


def _se(x, w1, b1, w2, b2, squeeze=np.mean, relu=True, sigmoid=True, biases=True):
    x = np.asarray(x, dtype=np.float64)
    z = squeeze(x, axis=(2, 3))
    h = z @ np.asarray(w1, dtype=np.float64).T + (b1 if biases else 0)
    h = np.maximum(h, 0.0) if relu else h
    v = h @ np.asarray(w2, dtype=np.float64).T + (b2 if biases else 0)
    s = 1.0 / (1.0 + np.exp(-v)) if sigmoid else v
    return x * s[:, :, None, None]


def _params(c, r, bias=True, hidden=cost.squeeze_excite_channels, layers=2, biases=None):
    """An SE block's parameters counted with a (wrong) hidden width, number of FC layers or biases."""
    width = hidden(c, r)
    counted = bias if biases is None else biases
    return layers * c * width + ((width + c) if counted else 0)


def _se_weights(c: int, r: int) -> int:
    return cost.squeeze_excite(c, r, 1, bias=False).params


def _channels(c_in, c_out, after, m=1, swapped=False):
    depthwise = (after == "depthwise") != swapped
    return c_in * m if depthwise else c_out


def _block(c_in: int, c_out: int, k: int) -> int:
    """The weights of the depthwise separable block SE is added to."""
    return cost.separable_conv(c_in, c_out, k, k).params  # weights do not depend on the input size: any it fits


_BLOCK = ("squeeze takes the mean over H W, excite is sigmoid(W2 ReLU(W1 z + b1) + b2), scale multiplies", CH8,
          "The block: squeeze, excite, scale")
_WIDTH = ("the hidden width is C_h = max(1, floor(C / r))", CH8, "The block: squeeze, excite, scale")
_COST = ("one SE block has two FC layers, C C_h weights each, and C_h + C biases", CH8, "What one block costs")
_NETWORK = ("Eq. 5 sums 2 N_s C_s^2 / r over the stages", CH8, "A whole network: Hu et al.'s Eq. 5")
_PLACE = ("after the depthwise step SE sits on its C_in m channels, after the pointwise step on C_out", CH8,
          "SE in a depthwise separable block")
_SHARE = ("the share divides SE's weights by the block's, C_in k^2 + C_in C_out", CH8,
          "Why SE costs relatively more in a separable network")

MISTAKES = {
    "squeeze_excite": (
        Mistake("sum squeeze", "a sum instead of the mean in the squeeze", *_BLOCK,
                lambda x, w1, b1, w2, b2: _se(x, w1, b1, w2, b2, squeeze=np.sum)),
        Mistake("max squeeze", "a max instead of the mean in the squeeze", *_BLOCK,
                lambda x, w1, b1, w2, b2: _se(x, w1, b1, w2, b2, squeeze=np.max)),
        Mistake("no ReLU", "leaving out the ReLU between the two FC layers", *_BLOCK,
                lambda x, w1, b1, w2, b2: _se(x, w1, b1, w2, b2, relu=False)),
        Mistake("no sigmoid", "leaving out the sigmoid (scaling by the raw FC output)", *_BLOCK,
                lambda x, w1, b1, w2, b2: _se(x, w1, b1, w2, b2, sigmoid=False)),
        Mistake("biases forgotten", "leaving out the biases b1 and b2", *_BLOCK,
                lambda x, w1, b1, w2, b2: _se(x, w1, b1, w2, b2, biases=False)),
    ),
    "se_params": (
        Mistake("C * r", "C * r instead of C / r for the hidden width", *_WIDTH,
                lambda c, r, bias=True: _params(c, r, bias, hidden=lambda c, r: c * r)),
        Mistake("no max(1, ...)", "the hidden width without its max(1, ...)", *_WIDTH,
                lambda c, r, bias=True: _params(c, r, bias, hidden=lambda c, r: c // r)),
        Mistake("round", "round(C / r) instead of its floor", *_WIDTH,
                lambda c, r, bias=True: _params(c, r, bias, hidden=lambda c, r: max(1, round(c / r)))),
        Mistake("one FC layer", "one FC layer's weights only", *_COST, lambda c, r, bias=True: _params(c, r, bias, layers=1)),
        Mistake("bias always", "counting the biases also when bias is False", *_COST,
                lambda c, r, bias=True: _params(c, r, bias, biases=True)),
        Mistake("bias forgotten", "leaving out the biases when bias is True", *_COST,
                lambda c, r, bias=True: _params(c, r, bias, biases=False)),
    ),
    "se_macs": (
        Mistake("no batch", "the MACs of one image, without the batch", *_COST,
                lambda c, r, batch=1: 2 * c * cost.squeeze_excite_channels(c, r)),
        Mistake("C * r", "C * r instead of C / r for the hidden width", *_WIDTH,
                lambda c, r, batch=1: batch * 2 * c * c * r),
        Mistake("round", "round(C / r) instead of its floor", *_WIDTH,
                lambda c, r, batch=1: batch * 2 * c * max(1, round(c / r))),
        Mistake("no max(1, ...)", "the hidden width without its max(1, ...)", *_WIDTH,
                lambda c, r, batch=1: batch * 2 * c * (c // r)),
        flops_for_macs(lambda c, r, batch=1: cost.squeeze_excite(c, r, 1, batch=batch).macs),
    ),
    "se_network_params": (
        Mistake("C * r", "C * r instead of C / r", *_NETWORK, lambda stages, r: 2 * sum(n * c * c * r for n, c in stages)),
        Mistake("blocks forgotten", "one SE block per stage (N_s left out)", *_NETWORK,
                lambda stages, r: 2 * sum(c * c for _, c in stages) // r),
        Mistake("one FC layer", "one FC layer's weights only", *_NETWORK,
                lambda stages, r: sum(n * c * c for n, c in stages) // r),
        Mistake("biases counted", "counting the biases (the task says weights only)", *_NETWORK,
                lambda stages, r: sum(n * (2 * c * (c // r) + c // r + c) for n, c in stages)),
    ),
    "se_weights_at": (
        Mistake("placements swapped", "the two placements swapped", *_PLACE,
                lambda c_in, c_out, r, after, depth_multiplier=1: 2 * _channels(c_in, c_out, after, depth_multiplier, True)
                * cost.squeeze_excite_channels(_channels(c_in, c_out, after, depth_multiplier, True), r)),
        Mistake("multiplier ignored", "ignoring the depth multiplier (C_in channels after the depthwise step)", *_PLACE,
                lambda c_in, c_out, r, after, depth_multiplier=1: 2 * _channels(c_in, c_out, after)
                * cost.squeeze_excite_channels(_channels(c_in, c_out, after), r)),
        Mistake("no max(1, ...)", "the hidden width without its max(1, ...)", *_WIDTH,
                lambda c_in, c_out, r, after, depth_multiplier=1: 2 * _channels(c_in, c_out, after, depth_multiplier)
                * (_channels(c_in, c_out, after, depth_multiplier) // r)),
    ),
    "se_share": (
        Mistake("placements swapped", "the two placements swapped", *_PLACE,
                lambda c_in, c_out, k, r, after: _se_weights(_channels(c_in, c_out, after, swapped=True), r)
                / _block(c_in, c_out, k)),
        Mistake("share of the total", "SE's share of the block with SE (dividing by the block's weights plus SE's)",
                *_SHARE, lambda c_in, c_out, k, r, after: _se_weights(_channels(c_in, c_out, after), r)
                / (_block(c_in, c_out, k) + _se_weights(_channels(c_in, c_out, after), r))),
        Mistake("k^2 in pointwise", "k^2 counted in the pointwise step's weights", *_SHARE,
                lambda c_in, c_out, k, r, after: _se_weights(_channels(c_in, c_out, after), r)
                / (cost.depthwise_conv(c_in, k, k).params + cost.conv(c_in, c_out, k, k).params)),
        Mistake("standard block", "a standard convolution's weights (C_in C_out k^2) for the block's", *_SHARE,
                lambda c_in, c_out, k, r, after: _se_weights(_channels(c_in, c_out, after), r)
                / cost.conv(c_in, c_out, k, k).params),
    ),
}
