"""Time the vectorised numpy depthwise separable convolution against torch on the CPU.

Shapes: the 13 depthwise + pointwise pairs of MobileNetV1 1.0-224, batch 1,
float32, read off dsconv_lib.nn.MobileNetV1 (not typed in here). For each layer
the script prints the best time of both and their ratio, then the geometric
mean of the ratios, and writes the figures to benchmarks/results/ as JSON.

    python benchmarks/numpy_vs_torch_dsc.py [--rounds 15] [--output PATH]

How it times: numpy and torch each keep a pool of worker threads that spin for
a while after a call. Timed right after the other library, either one loses a
core to those spinning threads. So the libraries take turns in phases (all 13
layers with numpy, a pause, all 13 with torch, a pause, and again), and each
layer's figure is its fastest run over all phases. Fifteen phases (150 runs of
each layer and library, about 30 s): with five, the geometric mean still moved
by +-0.1 from run to run on a quiet 2-core machine.

On a machine shared with other work, both libraries' thread pools wait for
cores and the figures swing from run to run; OMP_NUM_THREADS=1
OPENBLAS_NUM_THREADS=1 compares them one core each, more steadily (the JSON
records these settings).
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
from dsconv_lib.timing import best_time

PAUSE_S = 0.5  # long enough for the other library's worker threads to stop spinning
RUNS_PER_PHASE = 10


def mobilenet_v1_layers(resolution: int = 224) -> list[dict[str, int]]:
    """(C_in, size, C_out, stride) of every depthwise separable layer of MobileNetV1 1.0."""
    layers = []
    size = resolution // 2  # after the stride-2 stem
    for block in MobileNetV1().features:
        if isinstance(block, DepthwiseSeparableConv2d):
            stride = block.depthwise.stride[0]
            layers.append({"c_in": block.depthwise.in_channels, "size": size,
                           "c_out": block.pointwise.out_channels, "stride": stride})
            size = (size + 2 - 3) // stride + 1
    return layers


def layer_runs(layer: dict[str, int], rng: np.random.Generator) -> tuple[Callable[[], np.ndarray], Callable[[], torch.Tensor]]:
    """The numpy and the torch version of one layer, on the same random float32 data."""
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

    return run_numpy, run_torch


def time_phase(runs: list[Callable[[], object]], best: list[float]) -> None:
    """One phase: after a pause, every layer's fastest of RUNS_PER_PHASE runs (after a warm-up)."""
    time.sleep(PAUSE_S)
    for index, run in enumerate(runs):
        best[index] = min(best[index], best_time(run, repeats=RUNS_PER_PHASE, rounds=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="phases per library")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "numpy_vs_torch_cpu.json")
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    layers = mobilenet_v1_layers()
    pairs = [layer_runs(layer, rng) for layer in layers]
    numpy_runs, torch_runs = [p[0] for p in pairs], [p[1] for p in pairs]
    numpy_best, torch_best = [math.inf] * len(layers), [math.inf] * len(layers)
    for _ in range(args.rounds):
        time_phase(numpy_runs, numpy_best)
        time_phase(torch_runs, torch_best)

    rows = []
    print(f"{'layer':>5} {'input':>16} {'C_out':>6} {'s':>2} {'numpy ms':>9} {'torch ms':>9} {'ratio':>6}")
    for index, (layer, (run_numpy, run_torch)) in enumerate(zip(layers, pairs)):
        expected = run_torch().numpy()
        error = float(np.max(np.abs(run_numpy() - expected)) / np.max(np.abs(expected)))
        numpy_s, torch_s = numpy_best[index], torch_best[index]
        rows.append({**layer, "numpy_ms": numpy_s * 1e3, "torch_ms": torch_s * 1e3,
                     "ratio": numpy_s / torch_s, "max_relative_error": error})
        print(f"{index + 1:>5} {'{}x{}x{}'.format(layer['c_in'], layer['size'], layer['size']):>16} "
              f"{layer['c_out']:>6} {layer['stride']:>2} {numpy_s * 1e3:>9.2f} {torch_s * 1e3:>9.2f} {numpy_s / torch_s:>6.2f}")

    geometric_mean = math.exp(statistics.fmean(math.log(r["ratio"]) for r in rows))
    print(f"geometric mean of numpy/torch time ratios: {geometric_mean:.2f}x (target <= 1.5x)")
    result = {
        "benchmark": "numpy vectorised depthwise separable conv vs torch, MobileNetV1 1.0-224 layers, batch 1, float32",
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "numpy": np.__version__, "torch": torch.__version__,
                    "thread_settings": {name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}},
        "timed_runs_per_layer_and_library": args.rounds * RUNS_PER_PHASE,
        "layers": rows,
        "geometric_mean_ratio": geometric_mean,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
