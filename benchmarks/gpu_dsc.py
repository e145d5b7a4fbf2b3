"""Time the fused Triton depthwise separable kernel against cuDNN (and torch.compile), on a GPU.

    python benchmarks/gpu_dsc.py [--batches 64 1] [--dtypes float32 bfloat16] [--layers NAME ...]
                                 [--repeats 50] [--tiles 10] [--compile] [--budget-s SECONDS]
                                 [--output-dir DIR] [--dispatch-table PATH] [--rehearse]

Layers: dsconv_lib.gpu.measure.MOBILENET_LAYERS, MobileNetV2's expanded layers first, then
MobileNetV1's (a 3x3 depthwise step, padding 1, then a pointwise one), for each dtype, each
batch size, each layer, in the order given, so that a run cut short by its budget has measured
what the targets judge first (float32 at batch 64 and 1). float32 runs with TF32 where torch's defaults allow it
(torch.backends.cudnn.allow_tf32, which the fused kernel follows too).

Candidates per layer: the fused kernel (dsconv_lib.gpu, backend="triton") in NCHW and in
channels_last, each with the best of up to --tiles tile configurations; eager torch (two F.conv2d
calls, cuDNN, cudnn.benchmark on) in NCHW and channels_last; with --compile, torch.compile of the
two calls (channels_last). The roofline of the GPU: a 1 GiB device-to-device copy (bytes read +
written per second) and an 8192 x 8192 matrix multiply per dtype (dsconv_lib.gpu.measure).

How it times (dsconv_lib.gpu.measure.median_time): CUDA events around each call, after warm-up
calls; the median of --repeats calls. At batch >= 64 the L2 cache is flushed before every timed
call by writing a buffer larger than it (at batch 1 the layers are small and launch-bound, and a
warm cache is what a network sees). At batch 1 it counts the GPU kernels one call launches.

--budget-s: the run stops starting new layers when the next one would not finish in time, and
the JSON is rewritten after every layer, so a run that is stopped keeps what it measured
("complete": false, "skipped": what was left out).

It writes <output-dir>/gpu_dsc_<device>.json in the layout of dsconv_lib.gpu.results (default
folder: benchmarks/results), prints a table, the targets and the dispatch entries (layers where
the fused kernel beat cuDNN in the same layout by dsconv_lib.gpu.dispatch.MARGIN), and with
--dispatch-table merges those entries into that table file (dsconv_lib/gpu/fused_faster.json is
the one backend="auto" reads).

--rehearse runs the same code on the CPU with Triton's interpreter (TRITON_INTERPRET=1) on one
tiny layer, with few repeats: everything but the GPU, to check the script before a GPU runs it.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path
from typing import Callable, Optional

import torch
import torch.nn.functional as F

from dsconv_lib.gpu import TOLERANCE, TileConfig, dispatch, separable_conv2d, why_not_fused
from dsconv_lib.gpu.measure import (KERNEL_SIZE, MOBILENET_LAYERS, BenchLayer, copy_bandwidth, count_kernels,
                                    matmul_rate, median_time)
from dsconv_lib.gpu.results import GpuRun, LayerRow, format_table, result_file_name, write_run
from dsconv_lib.shapes import next_power_of_2

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
FLUSH_BYTES = 512 * 2**20  # larger than any current GPU's L2 cache (H100: 50 MB, H200: 60 MB)
RESULTS = Path(__file__).resolve().parent / "results"
REHEARSAL_LAYER = BenchLayer("rehearsal 8x16->8", 16, 8, 8, 1)
REHEARSAL_DEVICE = "CPU rehearsal (Triton interpreter)"


def tile_candidates(batch: int, c_mid: int, c_out: int, pixels: int, half: bool, count: int) -> list[TileConfig]:
    """The default tiles, then others, up to `count`; the benchmark keeps the fastest."""
    ci = 64 if half else 32
    co_cap = max(16, min(256, next_power_of_2(c_out)))
    shapes = [(64, ci, 64, 4), (128, ci, 64, 4), (64, ci, 128, 4), (128, ci, 128, 8), (32, ci, 128, 4),
              (128, 32 if half else 16, 128, 8), (256, ci, 32, 8), (32, ci, 32, 4), (16, ci, 64, 4)]
    configs = [dispatch.default_config(batch, c_mid, c_out, pixels, half)]
    for p, c, o, warps in shapes:
        config = TileConfig(p, c, min(o, co_cap), warps)
        if config not in configs:
            configs.append(config)
    return configs[:count]


def relative_error(got: torch.Tensor, expected: torch.Tensor) -> float:
    """max |got - expected| / max |expected|, the measure dsconv_lib.gpu.TOLERANCE is stated in."""
    return float((got.double() - expected).abs().max() / expected.abs().max())


def eager(x: torch.Tensor, depthwise_weight: torch.Tensor, pointwise_weight: torch.Tensor, stride: int) -> torch.Tensor:
    """The baseline: two F.conv2d calls (cuDNN on a GPU)."""
    mid = F.conv2d(x, depthwise_weight, None, stride, KERNEL_SIZE // 2, 1, x.shape[1])
    return F.conv2d(mid, pointwise_weight)


class ForcedTiles:
    """While active, backend="triton" launches `tiles` for the layer `key` (through the dispatch table)."""

    def __init__(self, key: dispatch.LayerKey, tiles: TileConfig) -> None:
        self.key, self.tiles = key, tiles

    def __enter__(self) -> None:
        dispatch.FUSED_FASTER[self.key] = self.tiles

    def __exit__(self, *exc: object) -> None:
        del dispatch.FUSED_FASTER[self.key]


class Bench:
    """The settings of one run, and the measurement of one layer at one batch size and dtype."""

    def __init__(self, device: torch.device, repeats: int, warmup: int, tiles: int,
                 compiled: Optional[Callable]) -> None:
        self.device, self.repeats, self.warmup, self.tiles, self.compiled = device, repeats, warmup, tiles, compiled
        self.flush = torch.empty(FLUSH_BYTES, dtype=torch.uint8, device=device) if device.type == "cuda" else None
        self.fused_reason: Optional[str] = None

    def time(self, run: Callable[[], object], batch: int) -> float:
        """Median microseconds of `run`; the L2 cache is flushed before each call at batch >= 64."""
        flush = self.flush if batch >= 64 else None
        return 1e6 * median_time(run, self.device, self.repeats, self.warmup, flush)

    @staticmethod
    def count(kernels: dict[str, int], name: str, run: Callable[[], object]) -> None:
        """kernels[name] = the GPU kernels one call of `run` launches, if the profiler can count them."""
        try:
            counted = count_kernels(run)
        except Exception as error:  # a profiler that cannot start: the count is left out, the timing stays
            counted = None
            print(f"  could not count the kernels of {name}: {type(error).__name__}: {error}"[:300])
        if counted is not None:
            kernels[name] = counted

    def key(self, x: torch.Tensor, layer: BenchLayer) -> dispatch.LayerKey:
        name = torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else REHEARSAL_DEVICE
        layout = "channels_last" if dispatch.is_channels_last(x) else "nchw"
        return dispatch.LayerKey(name, str(x.dtype).removeprefix("torch."), layout, x.shape[0], layer.c_in,
                                 layer.c_in, layer.c_out, x.shape[2], x.shape[3], (KERNEL_SIZE,) * 2, (layer.stride,) * 2)

    def layer(self, layer: BenchLayer, batch: int, dtype_name: str) -> LayerRow:
        dtype = DTYPES[dtype_name]
        generator = torch.Generator(device=self.device).manual_seed(0)

        def randn(*shape: int) -> torch.Tensor:
            return torch.randn(*shape, device=self.device, dtype=torch.float64, generator=generator)

        x, w_dw, w_pw = (t.to(dtype) for t in (randn(batch, layer.c_in, layer.size, layer.size),
                                               randn(layer.c_in, 1, KERNEL_SIZE, KERNEL_SIZE) / 3,
                                               randn(layer.c_out, layer.c_in, 1, 1) / layer.c_in**0.5))
        expected = eager(x.double(), w_dw.double(), w_pw.double(), layer.stride)  # float64 on the rounded inputs
        layouts = {"nchw": x.contiguous(), "channels_last": x.contiguous(memory_format=torch.channels_last)}
        tf32 = dtype == torch.float32 and torch.backends.cudnn.allow_tf32 and self.device.type == "cuda"
        eager_us, fused_us, fused_tiles, errors, kernels = {}, {}, {}, {}, {}
        compile_us = None
        with torch.no_grad():
            for layout, xl in layouts.items():
                def run_eager(xl=xl):
                    return eager(xl, w_dw, w_pw, layer.stride)

                def run_fused(xl=xl):
                    return separable_conv2d(xl, w_dw, w_pw, stride=layer.stride, padding=KERNEL_SIZE // 2,
                                            backend="triton", allow_tf32=tf32)

                eager_us[layout] = self.time(run_eager, batch)
                errors[f"eager_{layout}"] = relative_error(run_eager(), expected)
                if batch == 1 and self.device.type == "cuda":
                    self.count(kernels, f"eager_{layout}", run_eager)
                if self.fused_reason is not None:
                    continue
                key = self.key(xl, layer)
                for tiles in tile_candidates(batch, layer.c_in, layer.c_out, layer.output_size**2, dtype != torch.float32,
                                             self.tiles):
                    with ForcedTiles(key, tiles):
                        try:
                            us = self.time(run_fused, batch)
                        except Exception as error:  # e.g. tiles that need more shared memory than the GPU has
                            print(f"  {layer.name} b{batch} {dtype_name} {layout} {tiles}: "
                                  f"{type(error).__name__}: {error}"[:300])
                            continue
                    if us < fused_us.get(layout, float("inf")):
                        fused_us[layout], fused_tiles[layout] = us, tiles
                if layout not in fused_tiles:
                    continue
                with ForcedTiles(key, fused_tiles[layout]):
                    errors[f"fused_{layout}"] = relative_error(run_fused(), expected)
                    if batch == 1 and self.device.type == "cuda":
                        self.count(kernels, f"fused_{layout}", run_fused)
            if self.compiled is not None:
                xl = layouts["channels_last"]
                try:
                    compile_us = self.time(lambda: self.compiled(xl, w_dw, w_pw, layer.stride), batch)
                    errors["compile_channels_last"] = relative_error(self.compiled(xl, w_dw, w_pw, layer.stride),
                                                                     expected)
                except Exception as error:
                    print(f"  torch.compile failed on {layer.name} b{batch} {dtype_name}: "
                          f"{type(error).__name__}: {error}"[:300])
        return LayerRow(
            layer=layer.name, c_in=layer.c_in, size=layer.size, c_out=layer.c_out, stride=layer.stride,
            batch=batch, dtype=dtype_name, eager_us=eager_us, fused_us=fused_us, fused_tiles=fused_tiles,
            compile_us=compile_us, errors=errors, tolerance=TOLERANCE["float32_tf32" if tf32 else dtype_name],
            kernels_per_call=kernels,
        )


def machine_description(device: torch.device) -> dict:
    """What ran the benchmark: versions, and the GPU's name and compute capability."""
    description = {"platform": platform.platform(), "python": platform.python_version(), "torch": torch.__version__,
                   "cuda": torch.version.cuda, "triton": None}
    version = dispatch.triton_version()
    if version is not None:
        import triton

        description["triton"] = triton.__version__
    if device.type == "cuda":
        description.update(cudnn=torch.backends.cudnn.version(), gpu=torch.cuda.get_device_name(device),
                           capability=list(torch.cuda.get_device_capability(device)))
    return description


def print_entries(run: GpuRun) -> None:
    entries = run.dispatch_entries()
    print(f"\n{len(entries)} dispatch entries (layers where the fused kernel beat cuDNN by >= {run.margin}x):")
    for key, tiles in entries:
        print(f"  {key} -> {tiles}")
    if not entries:
        print("  (none: backend='auto' keeps running torch everywhere on this GPU)")


def parse_arguments(argv: Optional[list[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[64, 1])
    parser.add_argument("--dtypes", nargs="+", choices=list(DTYPES), default=["float32", "bfloat16"])
    parser.add_argument("--layers", nargs="+", choices=[layer.name for layer in MOBILENET_LAYERS],
                        help="default: all of dsconv_lib.gpu.measure.MOBILENET_LAYERS")
    parser.add_argument("--repeats", type=int, default=50, help="timed calls per candidate (the median is kept)")
    parser.add_argument("--tiles", type=int, default=10, help="tile configurations tried per layer and layout")
    parser.add_argument("--compile", action="store_true", help="also time torch.compile of the two calls")
    parser.add_argument("--budget-s", type=float, default=None,
                        help="stop starting layers that would not end within this many seconds of the start")
    parser.add_argument("--output-dir", type=Path, default=RESULTS, help="where gpu_dsc_<device>.json goes")
    parser.add_argument("--dispatch-table", type=Path, default=None,
                        help="merge the dispatch entries into this table file (e.g. dsconv_lib/gpu/fused_faster.json)")
    parser.add_argument("--rehearse", action="store_true",
                        help="run on the CPU under Triton's interpreter, on one tiny layer: no GPU needed")
    return parser.parse_args(argv)


def main(argv: Optional[list[str]] = None) -> None:
    args = parse_arguments(argv)
    start = time.monotonic()
    deadline = start + args.budget_s if args.budget_s is not None else float("inf")
    if args.rehearse:
        os.environ["TRITON_INTERPRET"] = "1"  # read when the kernel module is first imported, below
        device, device_name = torch.device("cpu"), REHEARSAL_DEVICE
        layers, batches, dtypes = [REHEARSAL_LAYER], [1], ["float32"]
        args.repeats, args.tiles, warmup = 1, 1, 1  # the interpreter takes about a second a call
        copy_bytes, matmul_n = 16 * 2**20, 256
    else:
        if not torch.cuda.is_available():
            sys.exit(f"gpu_dsc.py needs a CUDA GPU, and torch sees none (torch {torch.__version__}, CUDA build: "
                     f"{torch.version.cuda}); --rehearse runs it on the CPU under Triton's interpreter.")
        device, device_name = torch.device("cuda"), torch.cuda.get_device_name()
        layers = [layer for layer in MOBILENET_LAYERS if args.layers is None or layer.name in args.layers]
        batches, dtypes = args.batches, args.dtypes
        copy_bytes, matmul_n, warmup = 2**30, 8192, 3
        torch.backends.cudnn.benchmark = True

    machine = machine_description(device)
    print(f"{device_name}; torch {machine['torch']}, CUDA {machine['cuda']}, Triton {machine['triton']}; "
          f"float32 TF32: cudnn {torch.backends.cudnn.allow_tf32}, matmul {torch.backends.cuda.matmul.allow_tf32}")
    bench = Bench(device, args.repeats, warmup, args.tiles, torch.compile(eager, dynamic=False) if args.compile else None)
    bench.fused_reason = why_not_fused(device, torch.float32)
    if bench.fused_reason is not None:
        print(f"the fused kernel cannot run here, so only cuDNN is timed: {bench.fused_reason}")
    copy_gb_s = copy_bandwidth(device, copy_bytes, repeats=args.repeats) / 1e9
    matmul = {name: matmul_rate(device, DTYPES[name], matmul_n, repeats=args.repeats) / 1e12 for name in dtypes}
    print(f"copy: {copy_gb_s:.0f} GB/s (read + write); matmul {matmul_n}^3: "
          + ", ".join(f"{name} {rate:.1f} TFLOP/s" for name, rate in matmul.items()))

    settings = {"repeats": args.repeats, "warmup": warmup, "statistic": "median", "tiles_tried": args.tiles,
                "l2_flush_at_batch_ge_64_bytes": FLUSH_BYTES if device.type == "cuda" else 0,
                "cudnn_benchmark": torch.backends.cudnn.benchmark, "tf32_cudnn": torch.backends.cudnn.allow_tf32,
                "tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
                "dispatch_margin": dispatch.MARGIN, "budget_s": args.budget_s, "rehearsal": args.rehearse}
    output = args.output_dir / result_file_name(device_name)
    work = [(layer, batch, dtype) for dtype in dtypes for batch in batches for layer in layers]
    rows: list[LayerRow] = []
    skipped: list[str] = []
    saved_table = dict(dispatch.FUSED_FASTER)
    dispatch.FUSED_FASTER.clear()  # measure the kernel against torch, not against earlier entries
    try:
        last_seconds = 0.0
        for layer, batch, dtype in work:
            name = f"{layer.name} b{batch} {dtype}"
            if time.monotonic() + last_seconds > deadline:
                skipped.append(name)
                continue
            began = time.monotonic()
            rows.append(bench.layer(layer, batch, dtype))
            last_seconds = time.monotonic() - began
            speedup = rows[-1].speedup
            print(f"  {name}: {last_seconds:.1f} s, eager/fused {'-' if speedup is None else f'{speedup:.2f}'}",
                  flush=True)
            run = GpuRun(device_name, tuple(rows), copy_gb_s, matmul, machine, settings, complete=False,
                         skipped=tuple(skipped))
            write_run(run, output)  # after every layer: a run stopped from outside keeps what it measured
            if args.dispatch_table is not None:
                dispatch.write_table(args.dispatch_table, run.dispatch_entries(), replace_device=device_name)
    finally:
        dispatch.FUSED_FASTER.clear()
        dispatch.FUSED_FASTER.update(saved_table)

    run = GpuRun(device_name, tuple(rows), copy_gb_s, matmul, machine, settings, complete=not skipped,
                 skipped=tuple(skipped))
    write_run(run, output)
    print()
    print(format_table(run))
    if skipped:
        print(f"\nthe budget of {args.budget_s:.0f} s left out {len(skipped)} measurement(s): {', '.join(skipped)}")
    print("\ntargets:")
    for target, value in run.targets().items():
        print(f"  {target}: {value}")
    print_entries(run)
    if args.dispatch_table is not None:
        held = dispatch.write_table(args.dispatch_table, run.dispatch_entries(), replace_device=device_name)
        print(f"wrote {args.dispatch_table} ({held} entries in all)")
    print(f"wrote {output} in {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
