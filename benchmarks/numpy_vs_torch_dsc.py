"""Time the vectorised numpy depthwise separable convolution against torch on the CPU.

Shapes: the 13 depthwise + pointwise pairs of MobileNetV1 1.0-224, batch 1,
float32, read off dsconv_lib.nn.MobileNetV1 (not typed in here). For each layer
the script prints the best time of both and their ratio, then the geometric
mean of the ratios, and writes the figures to benchmarks/results/ as JSON.

    python benchmarks/numpy_vs_torch_dsc.py [--repeats 20] [--output PATH]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from dsconv_lib import reference
from dsconv_lib.nn import DepthwiseSeparableConv2d, MobileNetV1


def mobilenet_v1_layers(resolution: int = 224) -> list[dict[str, int]]:
    """(C_in, H, W, C_out, stride) of every depthwise separable layer of MobileNetV1 1.0."""
    model = MobileNetV1()
    layers = []
    size = resolution // 2  # after the stride-2 stem
    for block in model.features:
        if isinstance(block, DepthwiseSeparableConv2d):
            stride = block.depthwise.stride[0]
            layers.append({"c_in": block.depthwise.in_channels, "size": size,
                           "c_out": block.pointwise.out_channels, "stride": stride})
            size = (size + 2 - 3) // stride + 1
    return layers


def best_seconds(run: Callable[[], object], repeats: int) -> float:
    """The fastest of `repeats` runs, after a warm-up.

    The minimum, not the median: on a shared 2-core machine the slow runs measure
    other processes (and BLAS threads still spinning from the previous library),
    not the code under test.
    """
    run()  # warm-up: allocations, thread pools, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "numpy_vs_torch_cpu.json")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    rows = []
    print(f"{'layer':>5} {'input':>16} {'C_out':>6} {'s':>2} {'numpy ms':>9} {'torch ms':>9} {'ratio':>6}")
    for index, layer in enumerate(mobilenet_v1_layers(), start=1):
        c_in, size, c_out, stride = layer["c_in"], layer["size"], layer["c_out"], layer["stride"]
        x = rng.standard_normal((1, c_in, size, size), dtype=np.float32)
        w_dw = rng.standard_normal((c_in, 1, 3, 3), dtype=np.float32)
        w_pw = rng.standard_normal((c_out, c_in, 1, 1), dtype=np.float32)
        tx, tdw, tpw = (torch.from_numpy(a) for a in (x, w_dw, w_pw))

        def run_numpy() -> np.ndarray:
            return reference.separable_conv2d(x, w_dw, w_pw, stride=stride, padding=1)

        def run_torch() -> torch.Tensor:
            with torch.no_grad():
                return F.conv2d(F.conv2d(tx, tdw, stride=stride, padding=1, groups=c_in), tpw)

        error = float(np.max(np.abs(run_numpy() - run_torch().numpy())) / np.max(np.abs(run_torch().numpy())))
        numpy_s, torch_s = best_seconds(run_numpy, args.repeats), best_seconds(run_torch, args.repeats)
        ratio = numpy_s / torch_s
        rows.append({**layer, "numpy_ms": numpy_s * 1e3, "torch_ms": torch_s * 1e3, "ratio": ratio,
                     "max_relative_error": error})
        print(f"{index:>5} {f'{c_in}x{size}x{size}':>16} {c_out:>6} {stride:>2} "
              f"{numpy_s * 1e3:>9.2f} {torch_s * 1e3:>9.2f} {ratio:>6.2f}")

    geometric_mean = math.exp(statistics.fmean(math.log(r["ratio"]) for r in rows))
    print(f"geometric mean of numpy/torch time ratios: {geometric_mean:.2f}x (target <= 3x)")
    result = {
        "benchmark": "numpy vectorised depthwise separable conv vs torch, MobileNetV1 1.0-224 layers, batch 1, float32",
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "numpy": np.__version__, "torch": torch.__version__},
        "repeats": args.repeats,
        "layers": rows,
        "geometric_mean_ratio": geometric_mean,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
