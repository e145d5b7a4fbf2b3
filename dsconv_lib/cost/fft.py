"""Operation counts of convolution by FFT against direct convolution.

The convolution theorem turns a convolution into a product of spectra:
transform the input and the kernel (zero-padded to a common size N >= n + k - 1
along each axis, so that the circular convolution equals the linear one),
multiply them element by element, transform back. The counting model:

- a radix-2 complex FFT of N points (N a power of two) has (N/2) log2 N
  butterflies; each is one complex multiply (4 real multiplies + 2 adds = 6
  FLOPs) and two complex adds (4 FLOPs), so 5 N log2 N FLOPs. A d-dimensional
  FFT of N = N_1 ... N_d points is 1D FFTs along each axis, 5 N log2 N in total;
- a real input needs about half of that (a real FFT of N points is a complex
  FFT of N/2 points plus O(N) post-processing): 2.5 N log2 N;
- the spectra's product is one complex multiply (6 FLOPs) per stored frequency;
  a real transform stores N / N_last * (N_last / 2 + 1) of them.

Direct convolution costs 2 FLOPs per MAC, and its MACs are the depthwise
convolution's in `formulas` (one channel at a time: FFT convolution filters
channels separately, like a depthwise step). Everything is per channel and per
image unless `channels`/`batch` say otherwise. Sizes follow the `shapes.Size`
rule; the convolution has as many axes as `input_size`, and an int is the
length of a 1D signal.
"""

from __future__ import annotations

import math
import warnings

from ..shapes import Size, next_power_of_2, spatial_size, to_tuple
from .formulas import depthwise_conv


def _sizes(input_size: Size, kernel_size: Size) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The input's and the kernel's sizes, one int per axis; an int input_size is a 1D signal's length."""
    size = spatial_size(input_size, int_ndim=1)
    return size, to_tuple(kernel_size, len(size), "kernel_size")


def next_power_of_two(n: int) -> int:
    """Deprecated: use `dsconv_lib.shapes.next_power_of_2` (the same value)."""
    warnings.warn("dsconv_lib.cost.fft.next_power_of_two is deprecated; use dsconv_lib.shapes.next_power_of_2",
                  DeprecationWarning, stacklevel=2)
    return next_power_of_2(n)


def fft_size(input_size: Size, kernel_size: Size) -> tuple[int, ...]:
    """Per axis, the power of two N_i >= n_i + k_i - 1 (no circular wrap-around)."""
    size, kernel = _sizes(input_size, kernel_size)
    return tuple(next_power_of_2(n + k - 1) for n, k in zip(size, kernel))


def fft_flops(points: int, *, real_input: bool = True) -> float:
    """FLOPs of one FFT of `points` points (a power of two; all axes together):
    5 N log2 N for complex input, half of it for real input."""
    if not isinstance(points, int) or points < 1 or points & (points - 1):
        raise ValueError(f"points must be a power of two, got {points!r}")
    complex_flops = 5 * points * math.log2(points)
    return complex_flops / 2 if real_input else complex_flops


def fft_conv_flops(
    input_size: Size,
    kernel_size: Size,
    *,
    channels: int = 1,
    batch: int = 1,
    kernel_transformed: bool = False,
) -> float:
    """FLOPs of a depthwise (per-channel) convolution by real FFT, x: (batch, channels, *input_size).

    Per image and channel: a forward FFT of the input, one of the kernel (left
    out with kernel_transformed=True: a trained layer's kernel spectrum can be
    stored), the product of the spectra, and an inverse FFT:
        (2 or 3) * 2.5 N log2 N + 6 * (stored frequencies).
    Kernel transforms are per channel, not per image.
    """
    shape = fft_size(input_size, kernel_size)
    points = math.prod(shape)
    frequencies = points // shape[-1] * (shape[-1] // 2 + 1)
    per_image = 2 * fft_flops(points) + 6 * frequencies  # input FFT, product, inverse FFT
    kernels = 0.0 if kernel_transformed else fft_flops(points)
    return channels * (batch * per_image + kernels)


def direct_conv_flops(input_size: Size, kernel_size: Size, *, channels: int = 1, batch: int = 1) -> int:
    """FLOPs (2 per MAC) of the same depthwise convolution done directly, 'same' size output.

    Odd kernels, padded by (k - 1) / 2 per side, so that the output has the input's
    size (as the FFT convolution's does): 2 * prod(n) * prod(k) per image and channel.
    """
    size, kernel = _sizes(input_size, kernel_size)
    if not all(k % 2 for k in kernel):
        raise ValueError(f"kernel_size must be odd on every axis (a 'same' output), got {kernel!r}")
    padding = tuple((k - 1) // 2 for k in kernel)
    return depthwise_conv(channels, kernel, size, padding=padding, batch=batch).flops


def fft_crossover_kernel(input_size: Size, *, kernel_transformed: bool = True, max_kernel: int = 4097) -> int:
    """The smallest odd kernel size k (k x k ... on every axis) at which the FFT model needs fewer FLOPs.

    Raises ValueError if none up to max_kernel does.
    """
    size = spatial_size(input_size, int_ndim=1)
    for k in range(1, max_kernel + 1, 2):
        if fft_conv_flops(size, k, kernel_transformed=kernel_transformed) < direct_conv_flops(size, k):
            return k
    raise ValueError(f"no odd kernel size up to max_kernel={max_kernel} makes the FFT cheaper for input_size={size}")
