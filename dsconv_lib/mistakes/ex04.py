"""Exercise 4, depthwise and grouped convolution: the cases its text names, the mistakes its checks recognise.

Functions: depthwise_conv2d(x (N, C, H, W), weight (C m, 1, kH, kW), stride, padding) -> (N, C m, H_out, W_out);
grouped_params(c_in, c_out, k, groups); grouped_macs(c_in, c_out, k, h_out, w_out, groups);
connectivity(c_in, c_out, groups) -> (C_out, C_in) booleans.
"""

from __future__ import annotations

import numpy as np

from .. import reference
from . import EdgeCase, Mistake
from ._common import DEPTHWISE_STEP, flops_for_macs

CH4 = "04_depthwise_grouped"


def _multiplier(a) -> int:
    return a["weight"].shape[0] // a["x"].shape[1]


NAMED = (
    EdgeCase("depthwise_conv2d", "depth multiplier m = 1", lambda a: _multiplier(a) == 1),
    EdgeCase("depthwise_conv2d", "depth multiplier m > 1", lambda a: _multiplier(a) > 1),
    EdgeCase("depthwise_conv2d", "a kernel that is not square", lambda a: a["weight"].shape[2] != a["weight"].shape[3]),
    EdgeCase("depthwise_conv2d", "H and W that differ", lambda a: a["x"].shape[2] != a["x"].shape[3]),
    EdgeCase("depthwise_conv2d", "stride other than 1", lambda a: a["stride"] != 1),
    EdgeCase("depthwise_conv2d", "padding", lambda a: a["padding"] > 0),
    EdgeCase("depthwise_conv2d", "several images", lambda a: a["x"].shape[0] > 1),
    EdgeCase("grouped_params", "groups = 1 (standard)", lambda a: a["groups"] == 1),
    EdgeCase("grouped_params", "1 < groups < C_in", lambda a: 1 < a["groups"] < a["c_in"]),
    EdgeCase("grouped_params", "groups = C_in (depthwise)", lambda a: a["groups"] == a["c_in"] > 1),
    EdgeCase("grouped_params", "C_out different from C_in", lambda a: a["c_out"] != a["c_in"]),
    EdgeCase("grouped_macs", "groups = 1 (standard)", lambda a: a["groups"] == 1),
    EdgeCase("grouped_macs", "1 < groups < C_in", lambda a: 1 < a["groups"] < a["c_in"]),
    EdgeCase("grouped_macs", "groups = C_in (depthwise)", lambda a: a["groups"] == a["c_in"] > 1),
    EdgeCase("grouped_macs", "an output that is not square", lambda a: a["h_out"] != a["w_out"]),
    EdgeCase("connectivity", "groups = 1 (standard)", lambda a: a["groups"] == 1),
    EdgeCase("connectivity", "C_out different from C_in", lambda a: a["c_out"] != a["c_in"]),
    EdgeCase("connectivity", "groups = C_in (depthwise)", lambda a: a["groups"] == a["c_in"] > 1),
    EdgeCase("connectivity", "depthwise with a depth multiplier m > 1",
             lambda a: a["groups"] == a["c_in"] and a["c_out"] > a["c_in"]),
)


def _tiled(x, weight, stride=1, padding=0):
    """Output channel o from input channel o % C (np.tile), not o // m (np.repeat)."""
    m = weight.shape[0] // x.shape[1]
    return reference.conv2d(np.tile(x, (1, m, 1, 1)), weight, stride=stride, padding=padding, groups=weight.shape[0])


def _multiplier_ignored(x, weight, stride=1, padding=0):
    return reference.depthwise_conv2d(x, weight[:x.shape[1]], stride=stride, padding=padding)


def _blocks(c_in, c_out, groups, interleaved=False):
    o, c = np.arange(c_out), np.arange(c_in)
    if interleaved:
        return (o % groups)[:, None] == (c % groups)[None, :]
    return (o // (c_out // groups))[:, None] == (c // (c_in // groups))[None, :]


_ORDER = ("output channel c m + j comes from input channel c (PyTorch's order, np.repeat, not np.tile)",
          CH4, "The depth multiplier")
_GROUPS = ("each output channel's filter covers only the C_in / g channels of its group", CH4,
           "Groups: splitting the channels")
_COST = ("there are C_out filters of (C_in / g) k^2 weights each", CH4, "The cost is divided by $g$")

MISTAKES = {
    "depthwise_conv2d": (
        Mistake("channel order", "the channels in the wrong order (output j C + c from input c)", *_ORDER, _tiled),
        Mistake("multiplier ignored", "ignoring the depth multiplier (one filter per channel)",
                "with multiplier m each input channel gets m filters, C m outputs in all", CH4,
                "The depth multiplier", _multiplier_ignored),
        *DEPTHWISE_STEP,
    ),
    "grouped_params": (
        Mistake("groups ignored", "ignoring the groups (a standard convolution's count)", *_COST,
                lambda c_in, c_out, k, groups=1: c_out * c_in * k * k),
        Mistake("one group only", "counting one group only ((C_in / g)(C_out / g) k^2)", *_COST,
                lambda c_in, c_out, k, groups=1: (c_out // groups) * (c_in // groups) * k * k),
        Mistake("k not squared", "k instead of k^2 weights per filter and channel", *_COST,
                lambda c_in, c_out, k, groups=1: c_out * (c_in // groups) * k),
    ),
    "grouped_macs": (
        Mistake("groups ignored", "ignoring the groups (a standard convolution's count)", *_COST,
                lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * h_out * w_out * c_in * k * k),
        Mistake("one group only", "counting one group only", *_COST,
                lambda c_in, c_out, k, h_out, w_out, groups=1: (c_out // groups) * h_out * w_out
                * (c_in // groups) * k * k),
        flops_for_macs(lambda c_in, c_out, k, h_out, w_out, groups=1: c_out * h_out * w_out
                       * (c_in // groups) * k * k),
    ),
    "connectivity": (
        Mistake("transposed", "the matrix transposed, (C_in, C_out)",
                "entry [o, c] is output o against input c, shape (C_out, C_in)", CH4,
                "Which inputs each output sees", lambda c_in, c_out, groups=1: _blocks(c_in, c_out, groups).T),
        Mistake("interleaved groups", "interleaved groups (channel i in group i % g)",
                "the groups are contiguous blocks: channels 0 to C / g - 1 form group 0", CH4,
                "Which inputs each output sees",
                lambda c_in, c_out, groups=1: _blocks(c_in, c_out, groups, interleaved=True)),
        Mistake("groups ignored", "ignoring the groups (every output sees every input)", *_GROUPS,
                lambda c_in, c_out, groups=1: np.ones((c_out, c_in), dtype=bool)),
    ),
}
