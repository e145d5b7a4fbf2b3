"""Exercise 11, beyond images: the cases its text names, and the mistakes its checks recognise.

Functions: depthwise_conv1d(x (N, C, L), weight (C, 1, k), stride, padding) -> (N, C, L_out); separable_conv1d(x,
depthwise_weight, pointwise_weight (C_out, C, 1), stride, padding); conv3d_params/macs, separable3d_params/macs,
r2plus1d_mid_channels/params/macs (c_in, c_out, t, d[, frames, height, width, stride]); fft_size_1d(n, k);
fft_conv_flops_1d(n, k, kernel_transformed); direct_conv_flops_1d(n, k); fft_crossover_kernel_1d(n,
kernel_transformed); energy_uj(macs, bytes_moved, arithmetic, memory).
"""

from __future__ import annotations

import math

import numpy as np

from .. import reference
from ..cost import energy, spatiotemporal
from ..shapes import conv_output_size, next_power_of_2
from . import EdgeCase, Mistake
from ._common import flops_for_macs

CH11 = "11_beyond_images"

NAMED = (
    EdgeCase("depthwise_conv1d", "stride other than 1", lambda a: a["stride"] != 1),
    EdgeCase("depthwise_conv1d", "padding", lambda a: a["padding"] > 0),
    EdgeCase("depthwise_conv1d", "no padding", lambda a: a["padding"] == 0),
    EdgeCase("depthwise_conv1d", "several signals", lambda a: a["x"].shape[0] > 1),
    EdgeCase("separable_conv1d", "C_out different from C", lambda a: a["pointwise_weight"].shape[0] != a["x"].shape[1]),
    EdgeCase("separable_conv1d", "C_out equal to C", lambda a: a["pointwise_weight"].shape[0] == a["x"].shape[1]),
    EdgeCase("separable_conv1d", "stride other than 1", lambda a: a["stride"] != 1),
    EdgeCase("conv3d_params", "t different from d", lambda a: a["t"] != a["d"]),
    EdgeCase("conv3d_macs", "a spatial stride of 2", lambda a: a["stride"] == 2),
    EdgeCase("conv3d_macs", "an odd size under the stride", lambda a: a["stride"] == 2 and a["width"] % 2 == 1),
    EdgeCase("separable3d_macs", "a spatial stride of 2", lambda a: a["stride"] == 2),
    EdgeCase("r2plus1d_mid_channels", "a middle width that is not whole (the floor)",
             lambda a: (a["t"] * a["d"] ** 2 * a["c_in"] * a["c_out"]) % (a["d"] ** 2 * a["c_in"] + a["t"] * a["c_out"])),
    EdgeCase("r2plus1d_macs", "a spatial stride of 2", lambda a: a["stride"] == 2),
    EdgeCase("fft_size_1d", "n + k - 1 exactly a power of two", lambda a: _power_of_two(a["n"] + a["k"] - 1)),
    EdgeCase("fft_size_1d", "a kernel that pushes N past the power of two that n alone fits",
             lambda a: next_power_of_2(a["n"]) < next_power_of_2(a["n"] + a["k"] - 1)),
    EdgeCase("fft_conv_flops_1d", "the kernel's spectrum stored", lambda a: a["kernel_transformed"]),
    EdgeCase("fft_conv_flops_1d", "the kernel transformed every time", lambda a: not a["kernel_transformed"]),
    EdgeCase("fft_crossover_kernel_1d", "the kernel's spectrum stored", lambda a: a["kernel_transformed"]),
    EdgeCase("fft_crossover_kernel_1d", "the kernel transformed every time", lambda a: not a["kernel_transformed"]),
    EdgeCase("energy_uj", "float32", lambda a: a["arithmetic"] == "float32"),
    EdgeCase("energy_uj", "int8", lambda a: a["arithmetic"] == "int8"),
    EdgeCase("energy_uj", "DRAM", lambda a: a["memory"] == "DRAM"),
    EdgeCase("energy_uj", "SRAM", lambda a: a["memory"] == "SRAM"),
)


def _power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _depthwise(x, weight, stride=1, padding=0, *, flip=False, before=False, strided=True):
    x, weight = np.asarray(x, dtype=np.float64), np.asarray(weight, dtype=np.float64)
    weight = weight[..., ::-1] if flip else weight
    padded = np.pad(x, ((0, 0), (0, 0), (padding, 0) if before else (padding, padding)))
    if strided:
        return reference.conv1d(padded, weight, stride=stride, groups=x.shape[1])
    length = reference.conv1d(padded, weight, stride=stride, groups=x.shape[1]).shape[2]
    return reference.conv1d(padded, weight, groups=x.shape[1])[..., :length]


def _positions(t, d, frames, height, width, stride, strided=True):
    s = stride if strided else 1
    return frames * conv_output_size(height, d, s, d // 2) * conv_output_size(width, d, s, d // 2)


def _fft(n, k, kernel_transformed=False, *, per_transform=2.5, products=None, transforms=None):
    size = next_power_of_2(n + k - 1)
    count = transforms or (2 if kernel_transformed else 3)
    return count * per_transform * size * math.log2(size) + 6 * (products(size) if products else size // 2 + 1)


_TABLES = {("float32", "DRAM"): energy.FLOAT32_DRAM, ("float32", "SRAM"): energy.FLOAT32_SRAM,
           ("int8", "DRAM"): energy.INT8_DRAM, ("int8", "SRAM"): energy.INT8_SRAM}


def _energy_uj(macs, bytes_moved, arithmetic, memory):
    """The right answer, from dsconv_lib.cost.energy, in microjoules."""
    return energy.inference_energy(macs, bytes_moved, _TABLES[arithmetic, memory]).total_j * 1e6


_ONE_D = ("a cross-correlation along time: p zeros at both ends, the window moving s steps at a time", CH11,
          "Time series on a wrist: 1D separable convolution and energy")
_VIDEO = ("a t x d x d kernel has t d^2 taps, and the spatial stride shrinks height and width, not time", CH11,
          "Video and volumes: 3D convolutions")
_FFT = ("N is the smallest power of two >= n + k - 1; a real FFT costs 2.5 N log2 N; the product 6 (N / 2 + 1)",
        CH11, "FFT or direct convolution: where the crossover lies")
_ENERGY = ("E = MACs (e_mul + e_add) + bytes e_word / 4, in pJ: 1 uJ = 10^6 pJ", CH11, "Energy per inference")

MISTAKES = {
    "depthwise_conv1d": (
        Mistake("flipped", "the filter flipped (a true convolution)", *_ONE_D,
                lambda *args: _depthwise(*args, flip=True)),
        Mistake("padding at the start only", "padding at the start only", *_ONE_D,
                lambda *args: _depthwise(*args, before=True)),
        Mistake("windows not strided", "windows that do not move by the stride", *_ONE_D,
                lambda *args: _depthwise(*args, strided=False)),
    ),
    "separable_conv1d": (
        Mistake("pointwise transposed", "the pointwise matrix transposed (P[c, o])", *_ONE_D,
                lambda x, dw, pw, stride=1, padding=0: reference.separable_conv1d(
                    x, dw, np.swapaxes(pw, 0, 1), stride=stride, padding=padding)),
        Mistake("stride and padding dropped", "the depthwise step without the stride and the padding", *_ONE_D,
                lambda x, dw, pw, stride=1, padding=0: reference.separable_conv1d(x, dw, pw)),
    ),
    "conv3d_params": (
        Mistake("d not squared", "d instead of d^2 taps per frame", *_VIDEO,
                lambda c_in, c_out, t, d: c_out * c_in * t * d),
        Mistake("t left out", "leaving out the t frames of the kernel", *_VIDEO,
                lambda c_in, c_out, t, d: c_out * c_in * d * d),
    ),
    "conv3d_macs": (
        Mistake("stride ignored", "ignoring the spatial stride", *_VIDEO,
                lambda c_in, c_out, t, d, *size: _positions(t, d, *size, strided=False) * c_out * c_in * t * d * d),
        flops_for_macs(lambda c_in, c_out, t, d, *size: _positions(t, d, *size) * c_out * c_in * t * d * d),
    ),
    "separable3d_params": (
        Mistake("pointwise forgotten", "the depthwise step alone (the 1x1x1 step left out)", *_VIDEO,
                lambda c_in, c_out, t, d: c_in * t * d * d),
        Mistake("depthwise over C_out", "C_out filters in the depthwise step (it has C_in)", *_VIDEO,
                lambda c_in, c_out, t, d: c_out * t * d * d + c_in * c_out),
    ),
    "separable3d_macs": (
        Mistake("stride ignored", "ignoring the spatial stride", *_VIDEO,
                lambda c_in, c_out, t, d, *size: _positions(t, d, *size, strided=False) * (c_in * t * d * d + c_in * c_out)),
    ),
    "r2plus1d_mid_channels": (
        Mistake("true division", "a true division (/) instead of the floor", *_VIDEO,
                lambda c_in, c_out, t, d: t * d * d * c_in * c_out / (d * d * c_in + t * c_out)),
        Mistake("round", "rounding instead of the floor", *_VIDEO,
                lambda c_in, c_out, t, d: round(t * d * d * c_in * c_out / (d * d * c_in + t * c_out))),
    ),
    "r2plus1d_macs": (
        Mistake("stride ignored", "ignoring the spatial stride", *_VIDEO,
                lambda c_in, c_out, t, d, *size: _positions(t, d, *size, strided=False) * _r2plus1d_params(c_in, c_out, t, d)),
    ),
    "fft_size_1d": (
        Mistake("n + k", "N >= n + k (one more than needed)", *_FFT,
                lambda n, k: 1 << math.ceil(math.log2(n + k))),
    ),
    "fft_conv_flops_1d": (
        Mistake("complex FFT", "a complex FFT's 5 N log2 N per transform (a real one costs half)", *_FFT,
                lambda n, k, kernel_transformed=False: _fft(n, k, kernel_transformed, per_transform=5.0)),
        Mistake("N products", "N complex products (a real signal has N / 2 + 1 frequencies)", *_FFT,
                lambda n, k, kernel_transformed=False: _fft(n, k, kernel_transformed, products=lambda size: size)),
        Mistake("always 3 transforms", "three transforms also when the kernel's spectrum is stored", *_FFT,
                lambda n, k, kernel_transformed=False: _fft(n, k, kernel_transformed, transforms=3)),
    ),
    "direct_conv_flops_1d": (
        Mistake("MACs", "the MACs, n k (a MAC is 2 FLOPs)", "direct filtering costs 2 n k FLOPs", *_FFT[1:],
                lambda n, k: n * k),
    ),
    "energy_uj": (
        Mistake("picojoules", "picojoules, not microjoules", *_ENERGY, lambda *args: _energy_uj(*args) * 1e6),
        Mistake("byte as a word", "a byte charged a whole 32-bit word", *_ENERGY,
                lambda macs, bytes_moved, arithmetic, memory: _energy_uj(macs, 4 * bytes_moved, arithmetic, memory)),
        Mistake("joules", "joules (10^-12 per pJ), not microjoules", *_ENERGY, lambda *args: _energy_uj(*args) * 1e-6),
    ),
}


def _r2plus1d_params(c_in, c_out, t, d):
    """The right count, from dsconv_lib.cost (the weights do not depend on the input: any the kernel fits)."""
    return spatiotemporal.r2plus1d_conv(c_in, c_out, (t, d, d), (t, d, d)).params
