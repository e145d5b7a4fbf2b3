"""Exercise 7, MobileNet: the cases its text names, and the mistakes its checks recognise.

Functions: v1_macs(alpha, resolution), v1_params(alpha) (MobileNetV1, one image, no biases); inverted_residual(x
(N, C_in, H, W), w_expand (h, C_in), b_expand, w_dw (h, 3, 3), b_dw, w_project (C_out, h), b_project, stride) ->
(N, C_out, H', W'); block_params(c_in, c_out, t, k); block_macs(c_in, c_out, t, k, stride, h, w).
"""

from __future__ import annotations

import numpy as np

from .. import reference
from . import EdgeCase, Mistake

CH7 = "07_mobilenet"


def _separable_layers() -> tuple[tuple[int, int], ...]:
    """MobileNetV1's 13 (channels, stride) pairs, from the model (imported here: it needs torch, which importing
    this module must not; the exercise's tests import it anyway)."""
    from ..nn.mobilenet import MobileNetV1

    return MobileNetV1.SEPARABLE_LAYERS


def _sides(resolution: int) -> list[int]:
    """The side entering each stride-2 layer: the stem's, then the separable layers' with stride 2."""
    side, sides = resolution, [resolution]
    side = (side - 1) // 2 + 1
    for _, stride in _separable_layers():
        if stride == 2:
            sides.append(side)
        side = (side - 1) // stride + 1
    return sides


NAMED = (
    EdgeCase("v1_macs", "a width multiplier below 1", lambda a: a["alpha"] < 1),
    EdgeCase("v1_macs", "a resolution other than 224", lambda a: a["resolution"] != 224),
    EdgeCase("v1_macs", "an odd side before a stride 2 (ceil(n / 2), not n / 2)",
             lambda a: any(side % 2 for side in _sides(a["resolution"]))),
    EdgeCase("v1_macs", "a width where max(8, ...) applies", lambda a: int(a["alpha"] * 32) < 8),
    EdgeCase("v1_macs", "a width where int() floors (alpha C not whole)", lambda a: (a["alpha"] * 32) % 1 >= 0.5),
    EdgeCase("v1_params", "a width multiplier below 1", lambda a: a["alpha"] < 1),
    EdgeCase("v1_params", "a width where max(8, ...) applies", lambda a: int(a["alpha"] * 32) < 8),
    EdgeCase("inverted_residual", "the residual (stride 1, C_in = C_out)",
             lambda a: a["stride"] == 1 and a["x"].shape[1] == a["w_project"].shape[0]),
    EdgeCase("inverted_residual", "no residual: the channels differ", lambda a: a["x"].shape[1] != a["w_project"].shape[0]),
    EdgeCase("inverted_residual", "no residual: stride 2 with C_in = C_out",
             lambda a: a["stride"] == 2 and a["x"].shape[1] == a["w_project"].shape[0]),
    EdgeCase("inverted_residual", "stride 2 on an odd size", lambda a: a["stride"] == 2 and a["x"].shape[2] % 2 == 1),
    EdgeCase("block_params", "t = 1 (no expansion)", lambda a: a["t"] == 1),
    EdgeCase("block_params", "t > 1", lambda a: a["t"] > 1),
    EdgeCase("block_params", "k other than 3", lambda a: a["k"] != 3),
    EdgeCase("block_macs", "t = 1 (no expansion)", lambda a: a["t"] == 1),
    EdgeCase("block_macs", "stride 2", lambda a: a["stride"] == 2),
    EdgeCase("block_macs", "k other than 3", lambda a: a["k"] != 3),
    EdgeCase("block_macs", "an input that is not square", lambda a: a["h"] != a["w"]),
    EdgeCase("block_macs", "stride 2 on an odd size", lambda a: a["stride"] == 2 and (a["h"] % 2 or a["w"] % 2)),
)


def _v1(alpha, resolution=224, *, smallest=8, halve=lambda n, s: (n - 1) // s + 1, classifier=True, count="macs"):
    def width(c):
        return max(smallest, int(alpha * c))

    side, channels = halve(resolution, 2), width(32)
    macs, params = side * side * channels * 27, channels * 27
    for c, stride in _separable_layers():
        side = halve(side, stride)
        macs += side * side * channels * (9 + width(c))
        params += channels * (9 + width(c))
        channels = width(c)
    extra = channels * 1000 if classifier else 0
    return (macs if count == "macs" else params) + extra


def _block(x, w_expand, b_expand, w_dw, b_dw, w_project, b_project, stride, *, relu6=True, last_relu=False,
           residual=True):
    x = np.asarray(x, dtype=np.float64)
    act = (lambda v: np.clip(v, 0, 6)) if relu6 else (lambda v: np.maximum(v, 0))
    z = act(np.einsum("oc,nchw->nohw", w_expand, x) + b_expand[None, :, None, None])
    z = act(reference.depthwise_conv2d(z, np.asarray(w_dw)[:, None], stride=stride, padding=1)
            + b_dw[None, :, None, None])
    y = np.einsum("oc,nchw->nohw", w_project, z) + b_project[None, :, None, None]
    y = act(y) if last_relu else y
    return y + x if residual and stride == 1 and x.shape[1] == y.shape[1] else y


def _cost(c_in, c_out, t, k, stride=1, h=1, w=1, *, count="macs", expand_always=False, expansion_at_output=False,
          strided=True, projection_window=1):
    hidden = t * c_in
    s = stride if strided else 1
    h_out, w_out = (h - 1) // s + 1, (w - 1) // s + 1
    expanding = t > 1 or expand_always
    if count == "params":
        return (c_in * hidden if expanding else 0) + hidden * k * k + hidden * c_out * projection_window
    expansion_pixels = h_out * w_out if expansion_at_output else h * w
    return (expansion_pixels * c_in * hidden if expanding else 0) + h_out * w_out * hidden * (k * k + c_out)


_WIDTH = ("the channel rule is max(8, int(alpha C))", CH7, "Width and resolution multipliers")
_LAYERS = ("every layer counts, the classifier too, and stride 2 turns n into floor((n - 1) / 2) + 1 = ceil(n / 2)",
           CH7, "MobileNetV1, layer by layer")
_BLOCK = ("expand (ReLU6), depthwise (ReLU6), project with no activation, and add x only when the stride is 1 "
          "and C_in = C_out", CH7, "MobileNetV2: inverted residuals and linear bottlenecks")
_BLOCK_COST = ("the expansion runs at the input size (none when t = 1), the depthwise and projection at the output "
               "size", CH7, "What one block costs")

MISTAKES = {
    "v1_macs": (
        Mistake("n // 2", "n // 2 for a stride-2 layer (it is ceil(n / 2) when n is odd)", *_LAYERS,
                lambda alpha, resolution: _v1(alpha, resolution, halve=lambda n, s: n // s)),
        Mistake("no max(8, ...)", "int(alpha C) without the max(8, ...)", *_WIDTH,
                lambda alpha, resolution: _v1(alpha, resolution, smallest=0)),
        Mistake("classifier forgotten", "leaving out the fully connected classifier", *_LAYERS,
                lambda alpha, resolution: _v1(alpha, resolution, classifier=False)),
    ),
    "v1_params": (
        Mistake("no max(8, ...)", "int(alpha C) without the max(8, ...)", *_WIDTH,
                lambda alpha: _v1(alpha, smallest=0, count="params")),
        Mistake("classifier forgotten", "leaving out the fully connected classifier", *_LAYERS,
                lambda alpha: _v1(alpha, classifier=False, count="params")),
    ),
    "inverted_residual": (
        Mistake("ReLU6 after projection", "an activation after the projection",
                "the projection is linear: a ReLU there destroys information", CH7, "Why the projection has no ReLU",
                lambda *args: _block(*args, last_relu=True)),
        Mistake("ReLU", "ReLU instead of ReLU6 (no cap at 6)", *_BLOCK, lambda *args: _block(*args, relu6=False)),
        Mistake("no residual", "leaving out the residual", *_BLOCK, lambda *args: _block(*args, residual=False)),
    ),
    "block_params": (
        Mistake("expansion when t = 1", "an expansion layer counted when t = 1", *_BLOCK_COST,
                lambda c_in, c_out, t, k: _cost(c_in, c_out, t, k, count="params", expand_always=True)),
        Mistake("k^2 in projection", "k^2 counted in the 1x1 projection", *_BLOCK_COST,
                lambda c_in, c_out, t, k: _cost(c_in, c_out, t, k, count="params", projection_window=k * k)),
    ),
    "block_macs": (
        Mistake("expansion after the stride", "the expansion at the output size (it runs before the stride)",
                *_BLOCK_COST, lambda *args: _cost(*args, expansion_at_output=True)),
        Mistake("stride ignored", "every layer at the input size (the stride ignored)", *_BLOCK_COST,
                lambda *args: _cost(*args, strided=False)),
        Mistake("expansion when t = 1", "an expansion layer counted when t = 1", *_BLOCK_COST,
                lambda *args: _cost(*args, expand_always=True)),
    ),
}
