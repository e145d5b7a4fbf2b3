"""Timing on a GPU, and the two numbers of its roofline: copy bandwidth and matrix-multiply rate.

Shared by benchmarks/gpu_dsc.py and chapter 10's live cell, so that both measure one way.
On a CUDA device a time is the median over `repeats` calls of CUDA events recorded around
each call, after warm-up calls; on the CPU (the benchmark's rehearsal) time.perf_counter
around each call. `MOBILENET_LAYERS` are the layer shapes both time.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable, NamedTuple, Optional

import torch

from .. import cost
from ..shapes import conv_output_size

KERNEL_SIZE = 3  # every BenchLayer's depthwise kernel, with padding KERNEL_SIZE // 2


class BenchLayer(NamedTuple):
    """A 3x3 depthwise step (padding 1, `stride`) on (N, c_in, size, size), then a pointwise one to c_out."""

    name: str
    c_in: int
    size: int
    c_out: int
    stride: int

    @property
    def output_size(self) -> int:
        """H_out = W_out of both steps."""
        return conv_output_size(self.size, KERNEL_SIZE, self.stride, KERNEL_SIZE // 2)

    def costs(self, batch: int, bytes_per_element: int = 4) -> dict[str, cost.Cost]:
        """FLOPs and minimum bytes (dsconv_lib.cost) of "depthwise", "pointwise", "DSC unfused" and "DSC fused"."""
        common = dict(batch=batch, bytes_per_element=bytes_per_element)
        block = dict(stride=self.stride, padding=KERNEL_SIZE // 2, **common)
        return {
            "depthwise": cost.depthwise_conv(self.c_in, KERNEL_SIZE, self.size, **block),
            "pointwise": cost.pointwise_conv(self.c_in, self.c_out, self.output_size, **common),
            "DSC unfused": cost.separable_conv(self.c_in, self.c_out, KERNEL_SIZE, self.size, **block),
            "DSC fused": cost.separable_conv(self.c_in, self.c_out, KERNEL_SIZE, self.size, fused=True, **block),
        }

# MobileNetV2's expanded layers first (the depthwise step on the tensor expanded 6x, then the linear
# projection; Sandler et al., 2018, Table 2), then MobileNetV1's distinct pairs (Howard et al., 2017, Table 1).
MOBILENET_LAYERS = [
    BenchLayer("v2 56x144->24", 144, 56, 24, 1),
    BenchLayer("v2 14x576->96", 576, 14, 96, 1),
    BenchLayer("v2 7x960->160", 960, 7, 160, 1),
    BenchLayer("v1 112x32->64", 32, 112, 64, 1),
    BenchLayer("v1 112x64->128 s2", 64, 112, 128, 2),
    BenchLayer("v1 56x128->128", 128, 56, 128, 1),
    BenchLayer("v1 28x256->512 s2", 256, 28, 512, 2),
    BenchLayer("v1 14x512->512", 512, 14, 512, 1),
    BenchLayer("v1 7x1024->1024", 1024, 7, 1024, 1),
]


def median_time(run: Callable[[], object], device: torch.device, repeats: int = 20, warmup: int = 3,
                flush: Optional[torch.Tensor] = None) -> float:
    """Median seconds per call of `run` on `device`.

    flush: a buffer larger than the GPU's L2 cache, overwritten before every timed call (not
    timed), so that each call reads its inputs from memory; None keeps the cache warm.
    """
    for _ in range(warmup):
        run()
    if device.type != "cuda":
        seconds = []
        for _ in range(repeats):
            if flush is not None:
                flush.fill_(1)
            start = time.perf_counter()
            run()
            seconds.append(time.perf_counter() - start)
        return statistics.median(seconds)
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(repeats)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(repeats)]
    for start, end in zip(starts, ends):
        if flush is not None:
            flush.fill_(1)
        start.record()
        run()
        end.record()
    torch.cuda.synchronize(device)
    return statistics.median(s.elapsed_time(e) for s, e in zip(starts, ends)) / 1e3


def copy_bandwidth(device: torch.device, nbytes: int = 2**30, repeats: int = 20) -> float:
    """Copy bandwidth in bytes/s, counting bytes read + bytes written, of an `nbytes` buffer on `device`."""
    source = torch.empty(nbytes, dtype=torch.uint8, device=device)
    target = torch.empty_like(source)
    seconds = median_time(lambda: target.copy_(source), device, repeats)
    return 2 * nbytes / seconds


def matmul_rate(device: torch.device, dtype: torch.dtype = torch.float32, n: int = 8192, repeats: int = 10) -> float:
    """FLOP/s of an n x n by n x n matrix multiply (2 n^3 FLOPs) in `dtype` on `device`.

    float32 follows torch.backends.cuda.matmul.allow_tf32, as every other float32 matmul does.
    """
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)
    product = torch.empty(n, n, device=device, dtype=dtype)
    seconds = median_time(lambda: torch.mm(a, b, out=product), device, repeats)
    return 2 * n**3 / seconds


def count_kernels(run: Callable[[], object]) -> Optional[int]:
    """GPU kernels launched by one call of `run` (after a warm-up call), counted by torch.profiler.

    None when the profiler saw no GPU activity at all (e.g. CUPTI is missing): a GPU op launches at least one.
    """
    run()
    torch.cuda.synchronize()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as profiler:
        run()
        torch.cuda.synchronize()
    kernels = sum(1 for event in profiler.events() if event.device_type == torch.autograd.DeviceType.CUDA)
    return kernels or None
