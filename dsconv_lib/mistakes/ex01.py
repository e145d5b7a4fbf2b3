"""Exercise 1, standard convolution: the cases its text names, and the mistakes its checks recognise.

Functions: output_size(size, kernel, stride, padding, dilation); conv2d_single_channel(x (H, W), w (kH, kW),
stride, padding) -> (H_out, W_out); conv2d(x (N, C_in, H, W), weight (C_out, C_in, kH, kW), bias (C_out,) or
None, stride, padding) -> (N, C_out, H_out, W_out); conv_params(c_in, c_out, k, bias); conv_macs(c_in, c_out,
k, h_out, w_out).
"""

from __future__ import annotations

import numpy as np

from .. import reference
from ..shapes import conv_output_size
from . import EdgeCase, Mistake
from ._common import flops_for_macs
from ._wrong import conv2d_flipped, conv2d_one_side, conv2d_stride_ignored

CH1 = "01_standard_convolution"


def _not_square(kernel: np.ndarray) -> bool:
    return kernel.shape[-2] != kernel.shape[-1]


NAMED = (
    EdgeCase("output_size", "stride other than 1", lambda a: a["stride"] != 1),
    EdgeCase("output_size", "padding", lambda a: a["padding"] > 0),
    EdgeCase("output_size", "dilation other than 1", lambda a: a["dilation"] != 1),
    EdgeCase("output_size", "a stride that does not divide evenly (the floor)",
             lambda a: (a["size"] + 2 * a["padding"] - a["dilation"] * (a["kernel"] - 1) - 1) % a["stride"] != 0),
    EdgeCase("conv2d_single_channel", "a kernel that is not square", lambda a: _not_square(a["w"])),
    EdgeCase("conv2d_single_channel", "stride other than 1", lambda a: a["stride"] != 1),
    EdgeCase("conv2d_single_channel", "padding", lambda a: a["padding"] > 0),
    EdgeCase("conv2d", "several images", lambda a: a["x"].shape[0] > 1),
    EdgeCase("conv2d", "C_out different from C_in", lambda a: a["weight"].shape[0] != a["weight"].shape[1]),
    EdgeCase("conv2d", "C_out equal to C_in", lambda a: a["weight"].shape[0] == a["weight"].shape[1]),
    EdgeCase("conv2d", "no bias (None)", lambda a: a["bias"] is None),
    EdgeCase("conv2d", "a bias", lambda a: a["bias"] is not None),
    EdgeCase("conv2d", "a kernel that is not square", lambda a: _not_square(a["weight"])),
    EdgeCase("conv2d", "stride other than 1", lambda a: a["stride"] != 1),
    EdgeCase("conv2d", "padding", lambda a: a["padding"] > 0),
    EdgeCase("conv_params", "with a bias", lambda a: a["bias"]),
    EdgeCase("conv_params", "without a bias", lambda a: not a["bias"]),
    EdgeCase("conv_macs", "an output that is not square", lambda a: a["h_out"] != a["w_out"]),
)


def _single(conv, x, w, stride, padding, **options):
    return conv(np.asarray(x, dtype=np.float64)[None, None], np.asarray(w, dtype=np.float64)[None, None],
                None, stride, padding, **options)[0, 0]


def _bias_per_input(x, weight, bias=None, stride=1, padding=0):
    y = reference.conv2d(x, weight, None, stride=stride, padding=padding)
    return y if bias is None else y + x.shape[1] * np.asarray(bias)[None, :, None, None]


def _transposed_weight(x, weight, bias=None, stride=1, padding=0):
    return reference.conv2d(x, np.swapaxes(weight, 0, 1), bias, stride=stride, padding=padding)


_FORMULA = ("the output size is floor((H + 2p - d(k - 1) - 1) / s) + 1", CH1, "The output-size formula")
_PADDING = ("padding adds p zeros on each side, top and bottom, left and right", CH1, "Padding")
_STRIDE = ("with stride s the window moves s pixels at a time", CH1, "Stride")
_FLIP = ("PyTorch's conv2d is a cross-correlation, the kernel is not flipped", CH1, "Convolution or cross-correlation?")
_CHANNELS = ("weight[o, c] is the kernel from input channel c to output channel o, and each output "
             "channel gets its bias once", CH1, "Many channels in, many channels out")

MISTAKES = {
    "output_size": (
        Mistake("no +1", "the formula without its + 1", *_FORMULA,
                lambda size, kernel, stride=1, padding=0, dilation=1:
                conv_output_size(size, kernel, stride, padding, dilation) - 1),
        Mistake("true division", "a true division (/) instead of the floor (//)", *_FORMULA,
                lambda size, kernel, stride=1, padding=0, dilation=1:
                (size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1),
        Mistake("dilation ignored", "ignoring the dilation (a dilated kernel spans d(k - 1) + 1 pixels)",
                "the output size is floor((H + 2p - d(k - 1) - 1) / s) + 1", CH1, "Dilation",
                lambda size, kernel, stride=1, padding=0, dilation=1: conv_output_size(size, kernel, stride, padding)),
        Mistake("padding on one side", "padding on one side only (H + p instead of H + 2p)", *_PADDING,
                lambda size, kernel, stride=1, padding=0, dilation=1:
                conv_output_size(size + padding, kernel, stride, 0, dilation)),
        Mistake("stride ignored", "ignoring the stride", *_STRIDE,
                lambda size, kernel, stride=1, padding=0, dilation=1: conv_output_size(size, kernel, 1, padding, dilation)),
    ),
    "conv2d_single_channel": (
        Mistake("flipped kernel", "the kernel flipped (a true convolution)", *_FLIP,
                lambda x, w, stride=1, padding=0: _single(conv2d_flipped, x, w, stride, padding)),
        Mistake("padding before only", "padding on one side only (top and left)", *_PADDING,
                lambda x, w, stride=1, padding=0: _single(conv2d_one_side, x, w, stride, padding, before=True)),
        Mistake("padding after only", "padding on one side only (bottom and right)", *_PADDING,
                lambda x, w, stride=1, padding=0: _single(conv2d_one_side, x, w, stride, padding, before=False)),
        Mistake("stride ignored", "ignoring the stride (every window, stride 1)", *_STRIDE,
                lambda x, w, stride=1, padding=0: _single(conv2d_stride_ignored, x, w, stride, padding)),
        Mistake("windows not strided", "windows that do not move by the stride (x[i + p] instead of x[i s + p])",
                *_STRIDE, lambda x, w, stride=1, padding=0: _single(conv2d_stride_ignored, x, w, stride, padding,
                                                                    cropped=True)),
        Mistake("kernel transposed", "the kernel transposed (w[q, p] for w[p, q])",
                "w[p, q] weighs row i s + p and column j s + q", CH1, "One channel, one kernel",
                lambda x, w, stride=1, padding=0: _single(reference.conv2d, x, np.swapaxes(w, 0, 1), stride,
                                                          padding)),
    ),
    "conv2d": (
        Mistake("bias forgotten", "leaving out the bias", *_CHANNELS,
                lambda x, weight, bias=None, stride=1, padding=0: reference.conv2d(x, weight, None, stride=stride,
                                                                                   padding=padding)),
        Mistake("bias per input channel", "adding the bias once per input channel (inside the channel loop)",
                *_CHANNELS, _bias_per_input),
        Mistake("weight as (C_in, C_out)", "reading the weight as (C_in, C_out, kH, kW), weight[c, o]", *_CHANNELS,
                _transposed_weight),
        Mistake("flipped kernel", "the kernel flipped (a true convolution)", *_FLIP,
                lambda x, weight, bias=None, stride=1, padding=0: conv2d_flipped(x, weight, bias, stride, padding)),
        Mistake("padding before only", "padding on one side only (top and left)", *_PADDING,
                lambda x, weight, bias=None, stride=1, padding=0: conv2d_one_side(x, weight, bias, stride, padding)),
        Mistake("stride ignored", "ignoring the stride (every window, stride 1)", *_STRIDE,
                lambda x, weight, bias=None, stride=1, padding=0: conv2d_stride_ignored(x, weight, bias, stride,
                                                                                        padding)),
    ),
    "conv_params": (
        Mistake("bias forgotten", "leaving out the biases", "with a bias, each output channel has one more parameter",
                CH1, "Many channels in, many channels out",
                lambda c_in, c_out, k, bias=True: c_out * c_in * k * k),
        Mistake("bias always", "counting the biases also when bias is False",
                "without a bias there are only the weights", CH1, "Many channels in, many channels out",
                lambda c_in, c_out, k, bias=True: c_out * c_in * k * k + c_out),
        Mistake("k not squared", "k instead of k^2 weights per channel pair",
                "a k x k kernel has k^2 weights", CH1, "Many channels in, many channels out",
                lambda c_in, c_out, k, bias=True: c_out * c_in * k + (c_out if bias else 0)),
    ),
    "conv_macs": (
        flops_for_macs(lambda c_in, c_out, k, h_out, w_out: c_out * h_out * w_out * c_in * k * k),
        Mistake("k not squared", "k instead of k^2 MACs per input channel",
                "each output value is a dot product of length C_in k^2", "02_counting_cost", "MACs and FLOPs",
                lambda c_in, c_out, k, h_out, w_out: c_out * h_out * w_out * c_in * k),
        Mistake("C_in left out", "leaving out C_in (as if each filter saw one channel)",
                "each output value is a dot product of length C_in k^2", "02_counting_cost", "MACs and FLOPs",
                lambda c_in, c_out, k, h_out, w_out: c_out * h_out * w_out * k * k),
    ),
}
