"""Exercise 2, counting cost: the cases its text names, and the mistakes its checks recognise.

Functions (one image): params(c_in, c_out, k, groups, bias); macs(c_in, c_out, k, h, w, stride, padding, groups);
min_bytes(..., groups, bias, bytes_per_element); arithmetic_intensity(same arguments) -> FLOP/byte;
roofline_min_time(flops, nbytes, peak, bandwidth) -> seconds; roofline_bound(...) -> "memory" | "compute".
"""

from __future__ import annotations

from .. import cost
from . import EdgeCase, Mistake
from ._common import flops_for_macs, with_arguments

CH2 = "02_counting_cost"


def _layer(c_in, c_out, k, h, w, stride=1, padding=0, groups=1, bias=False, bytes_per_element=4) -> cost.Cost:
    """The exercise's layer as `dsconv_lib.cost` counts it: the right answers; a mistake passes wrong arguments."""
    return cost.conv(c_in, c_out, k, (h, w), stride=stride, padding=padding, groups=groups, bias=bias,
                     bytes_per_element=bytes_per_element)


def _params(c_in, c_out, k, groups=1, bias=False):
    return _layer(c_in, c_out, k, k, k, groups=groups, bias=bias).params  # any input the kernel fits: k x k


def _macs(c_in, c_out, k, h, w, stride=1, padding=0, groups=1):
    return _layer(c_in, c_out, k, h, w, stride, padding, groups).macs


def _macs_padded_once(c_in, c_out, k, h, w, stride=1, padding=0, groups=1):
    """p zeros on one side only: the unpadded convolution of an input p larger."""
    return _layer(c_in, c_out, k, h + padding, w + padding, stride, 0, groups).macs


def _bytes(c_in, c_out, k, h, w, stride=1, padding=0, groups=1, bias=False, bytes_per_element=4):
    return _layer(c_in, c_out, k, h, w, stride, padding, groups, bias, bytes_per_element).bytes


def _bytes_of_padded_input(c_in, c_out, k, h, w, stride=1, padding=0, groups=1, bias=False, bytes_per_element=4):
    """The padded input read: the unpadded convolution of an input 2p larger (same output)."""
    return _layer(c_in, c_out, k, h + 2 * padding, w + 2 * padding, stride, 0, groups, bias, bytes_per_element).bytes


NAMED = (
    EdgeCase("params", "groups > 1", lambda a: a["groups"] > 1),
    EdgeCase("params", "a bias", lambda a: a["bias"]),
    EdgeCase("params", "no bias", lambda a: not a["bias"]),
    EdgeCase("macs", "stride other than 1", lambda a: a["stride"] != 1),
    EdgeCase("macs", "padding", lambda a: a["padding"] > 0),
    EdgeCase("macs", "groups > 1 (depthwise)", lambda a: a["groups"] > 1),
    EdgeCase("macs", "an input that is not square", lambda a: a["h"] != a["w"]),
    EdgeCase("macs", "a stride that does not divide evenly",
             lambda a: (a["h"] + 2 * a["padding"] - a["k"]) % a["stride"] != 0),
    EdgeCase("min_bytes", "a bias", lambda a: a["bias"]),
    EdgeCase("min_bytes", "2 bytes per element (float16)", lambda a: a["bytes_per_element"] != 4),
    EdgeCase("min_bytes", "padding", lambda a: a["padding"] > 0),
    EdgeCase("roofline_bound", "a memory-bound layer",
             lambda a: a["nbytes"] / a["bandwidth_bytes_per_s"] >= a["flops"] / a["peak_flops_per_s"]),
    EdgeCase("roofline_bound", "a compute-bound layer",
             lambda a: a["nbytes"] / a["bandwidth_bytes_per_s"] < a["flops"] / a["peak_flops_per_s"]),
)

_PARAMS = ("a filter covers C_in / g channels with k^2 weights each, plus one bias per output channel if any", CH2,
           "Parameters")
_MACS = ("C_out H_out W_out outputs, each (C_in / g) k^2 MACs, with H_out = floor((H + 2p - k) / s) + 1", CH2,
         "MACs and FLOPs")
_TRAFFIC = ("the minimum traffic reads the input (unpadded) and the parameters and writes the output, "
            "b bytes each", CH2, "Memory traffic")
_ROOF = ("the minimum time is the larger of F / pi and B / beta", CH2, "The roofline model")

MISTAKES = {
    "params": (
        Mistake("groups ignored", "ignoring the groups", *_PARAMS, with_arguments(_params, groups=1)),
        Mistake("bias always", "counting the biases also when bias is False", *_PARAMS,
                with_arguments(_params, bias=True)),
        Mistake("bias forgotten", "leaving out the biases", *_PARAMS, with_arguments(_params, bias=False)),
        Mistake("k not squared", "k instead of k^2 weights per channel", *_PARAMS,
                lambda c_in, c_out, k, groups=1, bias=False:  # a k x 1 kernel: k weights per channel
                _layer(c_in, c_out, (k, 1), k, k, groups=groups, bias=bias).params),
    ),
    "macs": (
        Mistake("groups ignored", "ignoring the groups", *_MACS, with_arguments(_macs, groups=1)),
        Mistake("padding on one side", "padding on one side only (H + p instead of H + 2p)", *_MACS, _macs_padded_once),
        Mistake("stride ignored", "ignoring the stride", *_MACS, with_arguments(_macs, stride=1)),
        flops_for_macs(_macs),
    ),
    "min_bytes": (
        Mistake("bias forgotten", "leaving out the biases", *_TRAFFIC, with_arguments(_bytes, bias=False)),
        Mistake("always 4 bytes", "4 bytes per element whatever bytes_per_element says", *_TRAFFIC,
                with_arguments(_bytes, bytes_per_element=4)),
        Mistake("padded input", "the padded input's size (the zeros are not read from memory)", *_TRAFFIC,
                _bytes_of_padded_input),
    ),
    "arithmetic_intensity": (
        Mistake("MACs per byte", "MACs per byte (the FLOPs not doubled)", "FLOPs = 2 x MACs", CH2,
                "Arithmetic intensity", lambda *args: _macs(*args[:8]) / _bytes(*args)),
        Mistake("inverted", "bytes per FLOP (the ratio inverted)", "intensity is FLOPs divided by bytes", CH2,
                "Arithmetic intensity", lambda *args: _bytes(*args) / (2 * _macs(*args[:8]))),
    ),
    "roofline_min_time": (
        Mistake("sum", "the sum of the two times (they overlap: the bound is the larger)", *_ROOF,
                lambda flops, nbytes, peak, bandwidth: flops / peak + nbytes / bandwidth),
        Mistake("min", "the smaller of the two times", *_ROOF,
                lambda flops, nbytes, peak, bandwidth: min(flops / peak, nbytes / bandwidth)),
        Mistake("FLOPs doubled", "the FLOPs doubled again (they are FLOPs already)", *_ROOF,
                lambda flops, nbytes, peak, bandwidth: max(2 * flops / peak, nbytes / bandwidth)),
    ),
    "roofline_bound": (
        Mistake("swapped", "the two roofs swapped", "memory-bound when B / beta >= F / pi", CH2,
                "The roofline model", lambda flops, nbytes, peak, bandwidth: "compute"
                if nbytes / bandwidth >= flops / peak else "memory"),
    ),
}
