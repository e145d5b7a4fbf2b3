"""Exercise 10, FLOPs, bytes and the roofline: the cases its text names, the mistakes its checks recognise.

Functions: standard_conv_bytes(n, c_in, c_out, k, h, w, stride); depthwise_conv_bytes(n, c, k, h, w, stride);
pointwise_conv_bytes(n, c_in, c_out, h, w); arithmetic_intensity(macs, bytes_moved); ridge_point(peak,
bandwidth); attainable(intensity, peak, bandwidth); min_time(macs, bytes_moved, peak, bandwidth); bound(...)
-> "memory" | "compute"; separable_bytes(n, c_in, c_out, k, h, w, stride, fused); fusion_speedup(n, c_in,
c_out, k, h, w, stride, peak, bandwidth); fused_separable_forward(x (N, C, H, W), w_dw (C, 1, k, k),
w_pw (C_out, C, 1, 1), tile_rows) -> (N, C_out, H, W). float32: 4 bytes a value; padding k // 2.
"""

from __future__ import annotations

import numpy as np

from .. import reference
from . import EdgeCase, Mistake
from ._common import DEPTHWISE_STEP

CH10 = "10_flops_vs_wallclock"
B = 4  # bytes per float32 value


def _out(size: int, k: int, stride: int) -> int:
    return (size + 2 * (k // 2) - k) // stride + 1


def _traffic(n, inputs, weights, outputs, *, per_image_weights=False, batch=True, size=B):
    """Bytes of a layer from its elements per image (inputs, outputs) and its weights."""
    images = n if batch else 1
    return size * (images * inputs + (images if per_image_weights else 1) * weights + images * outputs)


def _layer_mistakes(elements):
    """The byte-count mistakes of a layer whose (inputs, weights, outputs, outputs without the stride) per image
    `elements(*args)` gives; `args` are the function's own arguments, `n` first."""
    def count(strided=True, **options):
        def wrong(n, *args):
            inputs, weights, outputs, unstrided = elements(n, *args)
            return _traffic(n, inputs, weights, outputs if strided else unstrided, **options)
        return wrong

    return (
        Mistake("stride ignored", "the output as large as the input (the stride ignored)",
                "with stride s the output has H_out = floor((H + 2p - k) / s) + 1 rows", CH10,
                "Arithmetic intensity of the separable block", count(strided=False)),
        Mistake("weights per image", "the weights counted once per image",
                "the weights are read once for the whole batch", CH10, "Arithmetic intensity of the separable block",
                count(per_image_weights=True)),
        Mistake("batch forgotten", "one image's input and output (the batch left out)",
                "the input and the output have N images", CH10, "Arithmetic intensity of the separable block",
                count(batch=False)),
        Mistake("elements", "the number of values, not of bytes", "each float32 value is 4 bytes", CH10,
                "Arithmetic intensity of the separable block", count(size=1)),
    )


def _standard(n, c_in, c_out, k, h, w, stride):
    return c_in * h * w, c_out * c_in * k * k, c_out * _out(h, k, stride) * _out(w, k, stride), c_out * h * w


def _depthwise(n, c, k, h, w, stride):
    return c * h * w, c * k * k, c * _out(h, k, stride) * _out(w, k, stride), c * h * w


def _pointwise(n, c_in, c_out, h, w):
    return c_in * h * w, c_in * c_out, c_out * h * w, c_out * h * w


def _separable(n, c_in, c_out, k, h, w, stride, fused, saved=2, intermediate_pixels=None):
    pixels_out = _out(h, k, stride) * _out(w, k, stride)
    unfused = B * (n * c_in * h * w + c_in * k * k + 2 * n * c_in * pixels_out + c_in * c_out + n * c_out * pixels_out)
    pixels = pixels_out if intermediate_pixels is None else intermediate_pixels(h, w)
    return unfused - saved * B * n * c_in * pixels if fused else unfused


def _times(n, c_in, c_out, k, h, w, stride, peak, bandwidth):
    """(depthwise time, pointwise time, fused time, unfused bytes, fused bytes) on the roofline."""
    pixels = n * _out(h, k, stride) * _out(w, k, stride)
    dw_macs, pw_macs = pixels * c_in * k * k, pixels * c_in * c_out
    dw_bytes = B * (n * c_in * h * w + c_in * k * k + pixels * c_in)
    pw_bytes = B * (pixels * c_in + c_in * c_out + pixels * c_out)
    fused_bytes = dw_bytes + pw_bytes - 2 * B * pixels * c_in
    time = lambda macs, nbytes: max(2 * macs / peak, nbytes / bandwidth)  # noqa: E731 - the roofline's bound
    return (time(dw_macs, dw_bytes), time(pw_macs, pw_bytes), time(dw_macs + pw_macs, fused_bytes),
            dw_bytes + pw_bytes, fused_bytes)


def _forward(x, w_dw, w_pw, tile_rows, last_tile=True, halo=True):
    """The fused pass by tiles: without the last, shorter tile, or with each tile padded on its own (no halo)."""
    x = np.asarray(x, dtype=np.float64)
    p, h = w_dw.shape[2] // 2, x.shape[2]
    full = reference.separable_conv2d(x, w_dw, w_pw, padding=p)
    tops = range(0, h - tile_rows + 1 if not last_tile else h, tile_rows)
    y = np.zeros_like(full)
    for top in tops:
        rows = slice(top, min(h, top + tile_rows))
        if halo:
            y[:, :, rows] = full[:, :, rows]
        else:
            alone = np.pad(x[:, :, rows], ((0, 0), (0, 0), (p, p), (p, p)))
            y[:, :, rows] = reference.separable_conv2d(alone, w_dw, w_pw)
    return y


NAMED = (
    EdgeCase("standard_conv_bytes", "stride other than 1", lambda a: a["stride"] != 1),
    EdgeCase("standard_conv_bytes", "several images", lambda a: a["n"] > 1),
    EdgeCase("standard_conv_bytes", "H and W that differ", lambda a: a["h"] != a["w"]),
    EdgeCase("depthwise_conv_bytes", "stride other than 1", lambda a: a["stride"] != 1),
    EdgeCase("depthwise_conv_bytes", "several images", lambda a: a["n"] > 1),
    EdgeCase("depthwise_conv_bytes", "H and W that differ", lambda a: a["h"] != a["w"]),
    EdgeCase("pointwise_conv_bytes", "several images", lambda a: a["n"] > 1),
    EdgeCase("pointwise_conv_bytes", "H and W that differ", lambda a: a["h"] != a["w"]),
    EdgeCase("attainable", "under the memory roof", lambda a: a["intensity"] * a["bandwidth"] < a["peak"]),
    EdgeCase("attainable", "under the compute roof", lambda a: a["intensity"] * a["bandwidth"] > a["peak"]),
    EdgeCase("min_time", "a memory-bound layer",
             lambda a: a["bytes_moved"] / a["bandwidth"] > 2 * a["macs"] / a["peak"]),
    EdgeCase("min_time", "a compute-bound layer",
             lambda a: a["bytes_moved"] / a["bandwidth"] < 2 * a["macs"] / a["peak"]),
    EdgeCase("bound", "a layer exactly at the ridge (memory, by the convention)",
             lambda a: a["bytes_moved"] / a["bandwidth"] == 2 * a["macs"] / a["peak"]),
    EdgeCase("separable_bytes", "fused", lambda a: a["fused"]),
    EdgeCase("separable_bytes", "unfused", lambda a: not a["fused"]),
    EdgeCase("separable_bytes", "stride other than 1", lambda a: a["stride"] != 1),
    EdgeCase("fusion_speedup", "stride other than 1", lambda a: a["stride"] != 1),
    EdgeCase("fused_separable_forward", "tiles that do not divide H (a shorter last tile)",
             lambda a: a["x"].shape[2] % a["tile_rows"] != 0),
    EdgeCase("fused_separable_forward", "tiles of one row", lambda a: a["tile_rows"] == 1),
    EdgeCase("fused_separable_forward", "one tile as tall as the image or taller",
             lambda a: a["tile_rows"] >= a["x"].shape[2]),
    EdgeCase("fused_separable_forward", "k = 5", lambda a: a["w_dw"].shape[2] == 5),
)

_ROOF = ("the roofline allows min(pi, I beta), and a layer's time is at least max(F / pi, bytes / beta)", "02_counting_cost",
         "The roofline model")
_FLOPS = ("FLOPs = 2 x MACs", "02_counting_cost", "MACs and FLOPs")
_FUSION = ("fusion keeps the intermediate on chip: it is neither written nor read back, 2 N C_in H_out W_out values",
           CH10, "Why fusion helps")
_TILES = ("every tile needs k // 2 rows of the input above and below it, and the last tile may be shorter", CH10,
          "Why fusion helps")

MISTAKES = {
    "standard_conv_bytes": _layer_mistakes(_standard),
    "depthwise_conv_bytes": _layer_mistakes(_depthwise),
    "pointwise_conv_bytes": tuple(m for m in _layer_mistakes(_pointwise) if m.key != "stride ignored"),
    "arithmetic_intensity": (
        Mistake("MACs per byte", "MACs per byte (the FLOPs not doubled)", *_FLOPS,
                lambda macs, bytes_moved: macs / bytes_moved),
        Mistake("inverted", "bytes per FLOP (the ratio inverted)", "intensity is FLOPs divided by bytes",
                "02_counting_cost", "Arithmetic intensity", lambda macs, bytes_moved: bytes_moved / (2 * macs)),
    ),
    "ridge_point": (
        Mistake("inverted", "bandwidth / peak (the ratio inverted)", *_ROOF, lambda peak, bandwidth: bandwidth / peak),
    ),
    "attainable": (
        Mistake("max", "the larger of the two roofs (max for min)", *_ROOF,
                lambda intensity, peak, bandwidth: max(peak, intensity * bandwidth)),
        Mistake("memory roof only", "the memory roof alone, I beta", *_ROOF,
                lambda intensity, peak, bandwidth: intensity * bandwidth),
    ),
    "min_time": (
        Mistake("FLOPs not doubled", "the MACs taken for FLOPs", *_FLOPS,
                lambda macs, bytes_moved, peak, bandwidth: max(macs / peak, bytes_moved / bandwidth)),
        Mistake("sum", "the sum of the two times (they overlap: the bound is the larger)", *_ROOF,
                lambda macs, bytes_moved, peak, bandwidth: 2 * macs / peak + bytes_moved / bandwidth),
        Mistake("min", "the smaller of the two times", *_ROOF,
                lambda macs, bytes_moved, peak, bandwidth: min(2 * macs / peak, bytes_moved / bandwidth)),
    ),
    "bound": (
        Mistake("tie as compute", "calling a layer exactly at the ridge compute-bound",
                "a tie counts as memory-bound (bytes / beta >= F / pi)", "02_counting_cost", "The roofline model",
                lambda macs, bytes_moved, peak, bandwidth: "memory" if bytes_moved / bandwidth > 2 * macs / peak
                else "compute"),
        Mistake("FLOPs not doubled", "the MACs taken for FLOPs", *_FLOPS,
                lambda macs, bytes_moved, peak, bandwidth: "memory" if bytes_moved / bandwidth >= macs / peak
                else "compute"),
    ),
    "separable_bytes": (
        Mistake("saved once", "fusion saving the intermediate once (it is written and read back: twice)", *_FUSION,
                lambda *args: _separable(*args, saved=1)),
        Mistake("nothing saved", "the same bytes fused and unfused", *_FUSION, lambda *args: _separable(*args, saved=0)),
        Mistake("intermediate at input size", "an intermediate as large as the input (the stride ignored)", *_FUSION,
                lambda *args: _separable(*args, intermediate_pixels=lambda h, w: h * w)),
    ),
    "fusion_speedup": (
        Mistake("bytes ratio", "the ratio of the bytes alone (the time bounds ignore compute then)",
                "each kernel's time is the roofline's max(F / pi, bytes / beta)", CH10, "Why fusion helps",
                lambda *args: _times(*args)[3] / _times(*args)[4]),
        Mistake("max of the steps", "the larger of the two steps' times for the unfused block (it is their sum)",
                "two kernels run one after the other", CH10, "Why fusion helps",
                lambda *args: max(_times(*args)[:2]) / _times(*args)[2]),
        Mistake("inverted", "the fused time over the unfused one (the ratio inverted)",
                "the speed-up is the unfused time divided by the fused time", CH10, "Why fusion helps",
                lambda *args: _times(*args)[2] / sum(_times(*args)[:2])),
    ),
    "fused_separable_forward": (
        Mistake("last tile dropped", "leaving out the last, shorter tile", *_TILES,
                lambda x, w_dw, w_pw, tile_rows: _forward(x, w_dw, w_pw, tile_rows, last_tile=False)),
        Mistake("no halo", "each tile padded on its own (the rows of its neighbours missing)", *_TILES,
                lambda x, w_dw, w_pw, tile_rows: _forward(x, w_dw, w_pw, tile_rows, halo=False)),
        *(Mistake(m.key, m.what, m.why, m.chapter, m.section,
                  lambda x, w_dw, w_pw, tile_rows, wrong=m.wrong: reference.pointwise_conv2d(
                      wrong(x, w_dw, 1, w_dw.shape[2] // 2), w_pw))
          for m in DEPTHWISE_STEP if m.key in ("mixes channels", "flipped kernel")),
        Mistake("pointwise transposed", "the pointwise matrix transposed (w_pw[c, o])",
                "y[n, o] sums w_pw[o, c, 0, 0] z[n, c] over c", "05_pointwise",
                "A $1 \\times 1$ convolution is a matrix at every pixel",
                lambda x, w_dw, w_pw, tile_rows: reference.separable_conv2d(x, w_dw, np.swapaxes(w_pw, 0, 1),
                                                                            padding=w_dw.shape[2] // 2)),
    ),
}
