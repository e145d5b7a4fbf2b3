"""Time the fused Triton depthwise separable kernel against cuDNN, torch.compile and a copy, on a GPU.

    python benchmarks/gpu_dsc.py [--batches 1 64] [--dtypes float32 bfloat16] [--repeats 50]
                                 [--no-compile] [--output PATH]

Layers (depthwise 3x3 then pointwise, written C_in x H x W -> C_out):
  MobileNetV1's distinct pairs: 32x112x112 -> 64; 64x112x112 stride 2 -> 128; 128x56x56 -> 128;
  256x28x28 stride 2 -> 512; 512x14x14 -> 512; 1024x7x7 -> 1024;
  MobileNetV2's expanded layers (the depthwise step on the expanded tensor, then the linear
  projection): 144x56x56 -> 24; 576x14x14 -> 96; 960x7x7 -> 160.
each at batch 1 and batch 64, in each dtype (float32 runs with TF32 where torch's defaults allow
it: torch.backends.cudnn.allow_tf32, which the fused kernel follows too).

Candidates per layer: the fused kernel (dsconv_lib.gpu, backend="triton") in NCHW and in
channels_last, each with the best of a few tile configurations; eager torch (two F.conv2d calls,
cuDNN, cudnn.benchmark on) in NCHW and channels_last; torch.compile of the same two calls
(channels_last). The ceiling: a large device-to-device copy, whose bandwidth counts the bytes
read plus the bytes written.

How it times: CUDA events around each call, after warm-up calls; the median of --repeats calls.
At batch 64 the L2 cache is flushed before every timed call by writing a buffer larger than it
(at batch 1 the layers are small and launch-bound, and a warm cache is what a network sees).

Per layer it reports: median times; achieved GB/s of the fused kernel on the minimum bytes
(dsconv_lib.cost.separable_conv(..., fused=True).bytes with the dtype's size: input, weights and
output once each); that as a percentage of the measured copy bandwidth; the speed ratio of the
best eager baseline to the fused kernel (> 1: fused is faster), and of "auto" (what
backend="auto" would pick with the entries below); the max error of fused and eager against a
float64 reference, as max |error| / max |reference|; and at batch 1 the number of GPU kernels
one fused call launches (torch.profiler). It prints a table, the targets, and the
dispatch entries (layers where the fused kernel beats cuDNN in the same layout by
dsconv_lib.gpu.dispatch.MARGIN) to copy into dsconv_lib/gpu/dispatch.py, and writes everything
to benchmarks/results/gpu_dsc_<device-name>.json.

Targets: at batch 64, on the V2 expanded layers, >= 75% of copy bandwidth and >= 1.3x the best
eager baseline; no layer below 0.95x with "auto"; at batch 1, one kernel launch per block.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import sys
from pathlib import Path
from typing import Callable, Optional

import torch
import torch.nn.functional as F

from dsconv_lib import cost
from dsconv_lib.gpu import TOLERANCE, LayerKey, TileConfig, separable_conv2d, triton_available
from dsconv_lib.gpu import dispatch

# (name, C_in, H (= W), C_out, stride); 3x3 depthwise, padding 1.
LAYERS = [
    ("v1 112x32->64", 32, 112, 64, 1),
    ("v1 112x64->128 s2", 64, 112, 128, 2),
    ("v1 56x128->128", 128, 56, 128, 1),
    ("v1 28x256->512 s2", 256, 28, 512, 2),
    ("v1 14x512->512", 512, 14, 512, 1),
    ("v1 7x1024->1024", 1024, 7, 1024, 1),
    ("v2 56x144->24", 144, 56, 24, 1),
    ("v2 14x576->96", 576, 14, 96, 1),
    ("v2 7x960->160", 960, 7, 160, 1),
]
KERNEL = 3
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
FLUSH_BYTES = 512 * 2**20  # larger than any current GPU's L2 cache (H100: 50 MB, H200: 60 MB)
COPY_BYTES = 1 * 2**30  # the copy ceiling's source buffer


def tile_candidates(batch: int, c_mid: int, c_out: int, pixels: int, half: bool) -> list[TileConfig]:
    """The default tiles plus a few others; the benchmark keeps the fastest."""
    default = dispatch.default_config(batch, c_mid, c_out, pixels, half)
    ci = 64 if half else 32
    co_cap = max(16, min(256, 1 << max(c_out - 1, 0).bit_length()))
    shapes = [(64, ci, 64, 4), (128, ci, 64, 4), (64, ci, 128, 4), (128, ci, 128, 8), (32, ci, 128, 4),
              (128, 16 if not half else 32, 128, 8), (256, ci, 32, 8), (32, ci, 32, 4), (16, ci, 64, 4)]
    configs = [default]
    for p, c, o, w in shapes:
        config = TileConfig(p, c, min(o, co_cap), w)
        if config not in configs:
            configs.append(config)
    return configs


class Timer:
    """Median time of a CUDA call, by events; optionally flushing L2 before each timed call."""

    def __init__(self, repeats: int, flush: bool) -> None:
        self.repeats = repeats
        self.flush_buffer = torch.empty(FLUSH_BYTES, dtype=torch.uint8, device="cuda") if flush else None

    def __call__(self, run: Callable[[], object], warmup: int = 5) -> float:
        """Median seconds per call of `run`."""
        for _ in range(warmup):
            run()
        starts = [torch.cuda.Event(enable_timing=True) for _ in range(self.repeats)]
        ends = [torch.cuda.Event(enable_timing=True) for _ in range(self.repeats)]
        for start, end in zip(starts, ends):
            if self.flush_buffer is not None:
                self.flush_buffer.fill_(1)
            start.record()
            run()
            end.record()
        torch.cuda.synchronize()
        return statistics.median(s.elapsed_time(e) for s, e in zip(starts, ends)) / 1e3


def copy_bandwidth(repeats: int) -> float:
    """Device-to-device copy bandwidth in bytes/s, counting bytes read + bytes written."""
    src = torch.empty(COPY_BYTES, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    seconds = Timer(repeats, flush=False)(lambda: dst.copy_(src))
    del src, dst
    return 2 * COPY_BYTES / seconds


def count_kernels(run: Callable[[], object]) -> int:
    """GPU kernels launched by one call of `run` (after a warm-up call), by torch.profiler."""
    run()
    torch.cuda.synchronize()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as profiler:
        run()
        torch.cuda.synchronize()
    return sum(1 for e in profiler.events() if e.device_type == torch.autograd.DeviceType.CUDA)


def relative_error(got: torch.Tensor, expected: torch.Tensor) -> float:
    return float((got.double() - expected).abs().max() / expected.abs().max())


def eager(x: torch.Tensor, w_dw: torch.Tensor, w_pw: torch.Tensor, stride: int) -> torch.Tensor:
    return F.conv2d(F.conv2d(x, w_dw, None, stride, 1, 1, x.shape[1]), w_pw)


def bench_layer(name: str, c_in: int, size: int, c_out: int, stride: int, batch: int, dtype_name: str,
                timer: Timer, copy_bps: float, compiled: Optional[Callable]) -> dict:
    dtype = DTYPES[dtype_name]
    gen = torch.Generator(device="cuda").manual_seed(0)
    x64 = torch.randn(batch, c_in, size, size, device="cuda", dtype=torch.float64, generator=gen)
    w_dw64 = torch.randn(c_in, 1, KERNEL, KERNEL, device="cuda", dtype=torch.float64, generator=gen) / 3
    w_pw64 = torch.randn(c_out, c_in, 1, 1, device="cuda", dtype=torch.float64, generator=gen) / c_in**0.5
    x, w_dw, w_pw = (t.to(dtype) for t in (x64, w_dw64, w_pw64))
    expected = eager(x.double(), w_dw.double(), w_pw.double(), stride)  # float64 on the rounded inputs
    layouts = {"nchw": x.contiguous(), "channels_last": x.contiguous(memory_format=torch.channels_last)}
    out_size = (size + 2 - KERNEL) // stride + 1
    half = dtype != torch.float32

    row: dict = {"layer": name, "c_in": c_in, "size": size, "c_out": c_out, "stride": stride,
                 "batch": batch, "dtype": dtype_name}
    times: dict[str, float] = {}
    errors: dict[str, float] = {}
    configs: dict[str, dict] = {}
    with torch.no_grad():
        for layout, xl in layouts.items():
            times[f"eager_{layout}"] = timer(lambda xl=xl: eager(xl, w_dw, w_pw, stride))
            errors[f"eager_{layout}"] = relative_error(eager(xl, w_dw, w_pw, stride), expected)
            best: tuple[float, Optional[TileConfig]] = (float("inf"), None)
            key = _key(xl, c_in, c_out, stride)
            for config in tile_candidates(batch, c_in, c_out, out_size * out_size, half):
                dispatch.FUSED_FASTER[key] = config  # backend="triton" takes its tiles from the table
                try:
                    seconds = timer(lambda xl=xl: separable_conv2d(xl, w_dw, w_pw, stride=stride, backend="triton"))
                except Exception as error:  # a tile configuration that does not compile (e.g. out of shared memory)
                    print(f"  {name} b{batch} {dtype_name} {layout} {config}: {type(error).__name__}: {error}"[:300])
                    continue
                finally:
                    del dispatch.FUSED_FASTER[key]
                if seconds < best[0]:
                    best = (seconds, config)
            if best[1] is None:
                continue
            times[f"fused_{layout}"] = best[0]
            configs[layout] = vars(best[1]).copy()
            dispatch.FUSED_FASTER[key] = best[1]
            y = separable_conv2d(xl, w_dw, w_pw, stride=stride, backend="triton")
            errors[f"fused_{layout}"] = relative_error(y, expected)
            if batch == 1:
                row[f"kernels_per_call_fused_{layout}"] = count_kernels(
                    lambda xl=xl: separable_conv2d(xl, w_dw, w_pw, stride=stride, backend="triton"))
            del dispatch.FUSED_FASTER[key]
        if batch == 1:
            row["kernels_per_call_eager_nchw"] = count_kernels(lambda: eager(layouts["nchw"], w_dw, w_pw, stride))
        if compiled is not None:
            xl = layouts["channels_last"]
            try:
                times["compile_channels_last"] = timer(lambda: compiled(xl, w_dw, w_pw, stride))
                errors["compile_channels_last"] = relative_error(compiled(xl, w_dw, w_pw, stride), expected)
            except Exception as error:
                row["compile_error"] = f"{type(error).__name__}: {error}"[:300]

    minimum_bytes = cost.separable_conv(c_in, c_out, KERNEL, size, stride=stride, padding=1, batch=batch,
                                        bytes_per_element=dtype.itemsize, fused=True).bytes
    best_eager = min(times["eager_nchw"], times["eager_channels_last"])
    fused_layouts = [layout for layout in layouts if f"fused_{layout}" in times]
    row.update({f"{k}_us": v * 1e6 for k, v in times.items()}, errors=errors, fused_tiles=configs,
               minimum_bytes=minimum_bytes, best_eager_us=best_eager * 1e6)
    tf32 = dtype == torch.float32 and torch.backends.cudnn.allow_tf32
    tolerance = TOLERANCE["float32_tf32" if tf32 else dtype_name]
    row["tolerance"] = tolerance
    if fused_layouts:
        best_fused = min(times[f"fused_{layout}"] for layout in fused_layouts)
        row.update(
            best_fused_us=best_fused * 1e6,
            achieved_gb_s=minimum_bytes / best_fused / 1e9,
            percent_of_copy=100 * minimum_bytes / best_fused / copy_bps,
            speedup_vs_best_eager=best_eager / best_fused,
            within_tolerance=all(errors[f"fused_{layout}"] <= tolerance for layout in fused_layouts),
        )
        # What backend="auto" would do with the entries below: per layout, the fused kernel if it
        # earned an entry, else cuDNN in that layout; the best layout's time against the best eager.
        entries = {}
        auto_times = []
        for layout in layouts:
            fused = times.get(f"fused_{layout}")
            same = times[f"eager_{layout}"]
            if fused is not None and same / fused >= dispatch.MARGIN:
                entries[layout] = configs[layout]
                auto_times.append(fused)
            else:
                auto_times.append(same)
        row["dispatch_entries"] = entries
        row["auto_speedup_vs_best_eager"] = best_eager / min(auto_times)
    if "compile_channels_last" in times and fused_layouts:
        row["speedup_vs_compile"] = times["compile_channels_last"] / min(times[f"fused_{l}"] for l in fused_layouts)
    return row


def _key(x: torch.Tensor, c_in: int, c_out: int, stride: int) -> LayerKey:
    channels_last = x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
    return LayerKey(torch.cuda.get_device_name(), str(x.dtype).removeprefix("torch."),
                    "channels_last" if channels_last else "nchw", x.shape[0], c_in, c_in, c_out,
                    x.shape[2], x.shape[3], (KERNEL, KERNEL), (stride, stride))


def print_table(rows: list[dict]) -> None:
    header = (f"{'layer':<19} {'N':>3} {'dtype':<8} {'eagerNCHW':>9} {'eagerCL':>8} {'compile':>8} {'fusedNCHW':>9} "
              f"{'fusedCL':>8} {'GB/s':>6} {'%copy':>6} {'xEager':>6} {'xAuto':>6} {'err':>8} {'krn':>3}")
    print(header)
    print("-" * len(header))

    def us(row: dict, key: str) -> str:
        return f"{row[key]:.1f}" if key in row else "-"

    for r in rows:
        err = max((v for k, v in r["errors"].items() if k.startswith("fused")), default=float("nan"))
        kernels = r.get("kernels_per_call_fused_channels_last", r.get("kernels_per_call_fused_nchw", ""))
        print(f"{r['layer']:<19} {r['batch']:>3} {r['dtype']:<8} {us(r, 'eager_nchw_us'):>9} "
              f"{us(r, 'eager_channels_last_us'):>8} {us(r, 'compile_channels_last_us'):>8} {us(r, 'fused_nchw_us'):>9} "
              f"{us(r, 'fused_channels_last_us'):>8} {r.get('achieved_gb_s', float('nan')):>6.0f} "
              f"{r.get('percent_of_copy', float('nan')):>6.1f} {r.get('speedup_vs_best_eager', float('nan')):>6.2f} "
              f"{r.get('auto_speedup_vs_best_eager', float('nan')):>6.2f} {err:>8.1e} {kernels!s:>3}")
    print("times in microseconds (median); GB/s and %copy on the fused minimum bytes; xEager = best eager / best fused;"
          " xAuto = best eager / what backend='auto' runs; err = max |error| / max |float64 reference|")


def check_targets(rows: list[dict]) -> dict:
    v2_64 = [r for r in rows if r["layer"].startswith("v2") and r["batch"] == 64]
    batch1 = [r for r in rows if r["batch"] == 1]
    return {
        "v2_batch64_percent_of_copy_ge_75": all(r.get("percent_of_copy", 0) >= 75 for r in v2_64) if v2_64 else None,
        "v2_batch64_speedup_ge_1.3": all(r.get("speedup_vs_best_eager", 0) >= 1.3 for r in v2_64) if v2_64 else None,
        "no_layer_below_0.95_with_auto": all(r.get("auto_speedup_vs_best_eager", 0) >= 0.95 for r in rows),
        "fused_layers_below_0.95": [f"{r['layer']} b{r['batch']} {r['dtype']}" for r in rows
                                    if r.get("speedup_vs_best_eager", 0) < 0.95],
        "batch1_one_kernel_per_call": all(
            r.get(k) == 1 for r in batch1 for k in ("kernels_per_call_fused_nchw", "kernels_per_call_fused_channels_last")
            if k in r) if batch1 else None,
        "all_within_tolerance": all(r.get("within_tolerance", False) for r in rows),
    }


def dispatch_lines(rows: list[dict], device: str) -> list[str]:
    lines = []
    for r in rows:
        for layout, tiles in r.get("dispatch_entries", {}).items():
            key = (f"LayerKey({device!r}, {r['dtype']!r}, {layout!r}, {r['batch']}, {r['c_in']}, {r['c_in']}, "
                   f"{r['c_out']}, {r['size']}, {r['size']}, ({KERNEL}, {KERNEL}), ({r['stride']}, {r['stride']}))")
            lines.append(f"    {key}: TileConfig({tiles['block_p']}, {tiles['block_ci']}, {tiles['block_co']}, "
                         f"{tiles['num_warps']}, {tiles['num_stages']}),")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--dtypes", nargs="+", choices=list(DTYPES), default=["float32", "bfloat16"])
    parser.add_argument("--repeats", type=int, default=50, help="timed calls per candidate (the median is kept)")
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile baseline")
    parser.add_argument("--output", type=Path, default=None,
                        help="default: benchmarks/results/gpu_dsc_<device-name>.json")
    args = parser.parse_args()

    if not torch.cuda.is_available():
        sys.exit(f"gpu_dsc.py needs a CUDA GPU, and torch sees none (torch {torch.__version__}, CUDA build: "
                 f"{torch.version.cuda}). Run it on a machine with an NVIDIA GPU and a CUDA build of torch.")
    if not triton_available():
        sys.exit("gpu_dsc.py needs Triton for the fused kernel: pip install triton (it is not in requirements.txt).")
    import triton

    torch.backends.cudnn.benchmark = True
    device = torch.cuda.get_device_name()
    print(f"{device}; torch {torch.__version__}, CUDA {torch.version.cuda}, Triton {triton.__version__}; "
          f"float32 TF32: cudnn {torch.backends.cudnn.allow_tf32}, matmul {torch.backends.cuda.matmul.allow_tf32}")
    copy_bps = copy_bandwidth(args.repeats)
    print(f"device-to-device copy: {copy_bps / 1e9:.0f} GB/s (read + write)")

    compiled = None
    if not args.no_compile:
        compiled = torch.compile(eager, dynamic=False)

    rows = []
    saved_table = dict(dispatch.FUSED_FASTER)
    dispatch.FUSED_FASTER.clear()  # measure the kernel against torch, not against earlier entries
    try:
        for batch in args.batches:
            timer = Timer(args.repeats, flush=batch >= 64)
            for dtype_name in args.dtypes:
                for layer in LAYERS:
                    row = bench_layer(*layer, batch, dtype_name, timer, copy_bps, compiled)
                    rows.append(row)
                    print(f"  done {row['layer']} b{batch} {dtype_name}: x{row.get('speedup_vs_best_eager', float('nan')):.2f}",
                          flush=True)
    finally:
        dispatch.FUSED_FASTER.clear()
        dispatch.FUSED_FASTER.update(saved_table)

    print()
    print_table(rows)
    targets = check_targets(rows)
    print("\ntargets:")
    for name, value in targets.items():
        print(f"  {name}: {value}")
    lines = dispatch_lines(rows, device)
    print(f"\n{len(lines)} dispatch entries for dsconv_lib/gpu/dispatch.py FUSED_FASTER:")
    print("\n".join(lines) if lines else "  (none: backend='auto' keeps running torch everywhere)")

    result = {
        "benchmark": "fused Triton depthwise separable conv vs cuDNN / torch.compile, MobileNetV1 and V2 layers",
        "device": device,
        "machine": {"platform": platform.platform(), "torch": torch.__version__, "cuda": torch.version.cuda,
                    "triton": triton.__version__, "cudnn": torch.backends.cudnn.version(),
                    "capability": list(torch.cuda.get_device_capability())},
        "settings": {"repeats": args.repeats, "statistic": "median", "l2_flush_at_batch_64_bytes": FLUSH_BYTES,
                     "cudnn_benchmark": True, "tf32_cudnn": torch.backends.cudnn.allow_tf32,
                     "fused_fp32_dot": "tf32" if torch.backends.cudnn.allow_tf32 else "ieee",
                     "dispatch_margin": dispatch.MARGIN},
        "copy_bandwidth_gb_s": copy_bps / 1e9,
        "layers": rows,
        "targets": targets,
        "dispatch_entries": lines,
    }
    output = args.output or Path(__file__).parent / "results" / f"gpu_dsc_{re.sub(r'[^A-Za-z0-9]+', '_', device).strip('_')}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
