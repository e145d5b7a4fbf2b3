"""Recorded GPU benchmark runs: find, load and summarise what `benchmarks/gpu_dsc.py` writes.

The benchmark writes one JSON file per GPU, `benchmarks/results/gpu_dsc_<device>.json`:

    {"device": "NVIDIA H100 80GB HBM3", "machine": {...}, "settings": {...},
     "copy_bandwidth_gb_s": 2900.0,
     "layers": [{"layer": "v1 14x512->512", "c_in": 512, "size": 14, "c_out": 512, "stride": 1,
                 "batch": 1, "dtype": "float32", "minimum_bytes": ...,
                 "eager_nchw_us": ..., "eager_channels_last_us": ...,     # cuDNN, two F.conv2d calls
                 "fused_nchw_us": ..., "fused_channels_last_us": ...,     # the Triton kernel, if it ran
                 "compile_channels_last_us": ...,                         # torch.compile, if it ran
                 "kernels_per_call_fused_nchw": 1, ...}, ...],
     "targets": {...}, "dispatch_entries": ["    LayerKey(...): TileConfig(...),", ...]}

Each layer is a 3x3 depthwise convolution (padding 1, the given stride) followed by a pointwise
one, on a (batch, c_in, size, size) input. This module reads such files back into `GpuRun` and
`LayerResult` records, recomputes the comparisons from the raw times (best eager layout against
best fused layout), and formats them as a table or a figure. It needs neither a GPU nor torch
(importing `dsconv_lib.gpu` imports torch, but nothing here uses it); matplotlib is imported
only by `plot_run`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from .. import cost

RESULT_GLOB = "gpu_dsc_*.json"
BENCHMARK_KERNEL = 3  # benchmarks/gpu_dsc.py times 3x3 depthwise steps with padding 1
DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2}
RUN_KEYS = ("device", "layers")
LAYER_KEYS = ("layer", "c_in", "size", "c_out", "stride", "batch", "dtype",
              "eager_nchw_us", "eager_channels_last_us", "minimum_bytes")
LAYOUTS = ("nchw", "channels_last")

PathLike = Union[str, Path]


@dataclass(frozen=True)
class LayerResult:
    """One layer of a recorded run: the best time of each implementation, in microseconds.

    eager_us is the faster of cuDNN in NCHW and in channels_last; fused_us the faster layout of
    the fused kernel (None when no tile configuration ran); speedup = eager_us / fused_us (> 1:
    the fused kernel is faster). flops counts the block's MACs twice (dsconv_lib.cost).
    """

    layer: str
    c_in: int
    size: int
    c_out: int
    stride: int
    batch: int
    dtype: str
    eager_us: float
    fused_us: Optional[float]
    compile_us: Optional[float]
    minimum_bytes: int
    flops: int
    auto_speedup: Optional[float] = None
    kernels_per_call_fused: Optional[int] = None
    kernels_per_call_eager: Optional[int] = None
    within_tolerance: Optional[bool] = None

    @property
    def speedup(self) -> Optional[float]:
        """Best eager time over best fused time; None when the fused kernel did not run."""
        return None if self.fused_us is None else self.eager_us / self.fused_us

    @property
    def fused_gb_s(self) -> Optional[float]:
        """The fused kernel's rate on the minimum bytes (input, weights, output once), in GB/s."""
        return None if self.fused_us is None else self.minimum_bytes / (self.fused_us * 1e-6) / 1e9

    @property
    def eager_tflop_s(self) -> float:
        """The best eager time's arithmetic rate, in TFLOP/s."""
        return self.flops / (self.eager_us * 1e-6) / 1e12


@dataclass(frozen=True)
class GpuRun:
    """One recorded run of benchmarks/gpu_dsc.py on one GPU."""

    path: Path
    device: str
    layers: tuple[LayerResult, ...]
    copy_bandwidth_gb_s: Optional[float] = None
    machine: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)
    dispatch_entries: tuple[str, ...] = ()


def default_results_folder() -> Optional[Path]:
    """The repository's benchmarks/results folder, when dsconv_lib runs from a checkout; else None.

    An installed package (pip install, as in Colab) carries no benchmark results.
    """
    folder = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
    return folder if folder.is_dir() else None


def find_runs(folder: Optional[PathLike] = None) -> list[Path]:
    """The recorded GPU runs (gpu_dsc_*.json) in `folder` (default: `default_results_folder()`), sorted.

    A folder that does not exist holds no runs: the result is [].
    """
    if folder is None:
        folder = default_results_folder()
        if folder is None:
            return []
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"folder must be a directory, got the file {folder}")
    return sorted(folder.glob(RESULT_GLOB)) if folder.is_dir() else []


def _number(row: dict, key: str, where: str) -> Optional[float]:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{where}: {key!r} must be a positive number, got {value!r}")
    return float(value)


def _layer(row: Any, where: str) -> LayerResult:
    if not isinstance(row, dict):
        raise ValueError(f"{where} must be a JSON object, got {type(row).__name__}")
    missing = [key for key in LAYER_KEYS if key not in row]
    if missing:
        raise ValueError(f"{where} lacks the key(s) {missing} that benchmarks/gpu_dsc.py writes")
    for key in ("c_in", "size", "c_out", "stride", "batch", "minimum_bytes"):
        if isinstance(row[key], bool) or not isinstance(row[key], int) or row[key] < 1:
            raise ValueError(f"{where}: {key!r} must be a positive integer, got {row[key]!r}")
    if row["dtype"] not in DTYPE_BYTES:
        raise ValueError(f"{where}: 'dtype' must be one of {sorted(DTYPE_BYTES)}, got {row['dtype']!r}")
    eager = [_number(row, f"eager_{layout}_us", where) for layout in LAYOUTS]
    fused = [t for t in (_number(row, f"fused_{layout}_us", where) for layout in LAYOUTS) if t is not None]
    kernels = [row[f"kernels_per_call_fused_{layout}"] for layout in LAYOUTS
               if f"kernels_per_call_fused_{layout}" in row]
    block = cost.separable_conv(row["c_in"], row["c_out"], BENCHMARK_KERNEL, row["size"], stride=row["stride"],
                                padding=BENCHMARK_KERNEL // 2, batch=row["batch"])
    return LayerResult(
        layer=str(row["layer"]), c_in=row["c_in"], size=row["size"], c_out=row["c_out"], stride=row["stride"],
        batch=row["batch"], dtype=row["dtype"],
        eager_us=min(eager),  # type: ignore[type-var]  (both are present: LAYER_KEYS)
        fused_us=min(fused) if fused else None,
        compile_us=_number(row, "compile_channels_last_us", where),
        minimum_bytes=row["minimum_bytes"], flops=block.flops,
        auto_speedup=_number(row, "auto_speedup_vs_best_eager", where),
        kernels_per_call_fused=max(kernels) if kernels else None,
        kernels_per_call_eager=row.get("kernels_per_call_eager_nchw"),
        within_tolerance=row.get("within_tolerance"),
    )


def load_run(path: PathLike) -> GpuRun:
    """Read one gpu_dsc_<device>.json file; a file of another layout raises a ValueError naming it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object, got {type(data).__name__}")
    missing = [key for key in RUN_KEYS if key not in data]
    if missing:
        raise ValueError(f"{path} lacks the key(s) {missing} that benchmarks/gpu_dsc.py writes")
    if not isinstance(data["layers"], list) or not data["layers"]:
        raise ValueError(f"{path}: 'layers' must be a non-empty list, got {data['layers']!r}")
    layers = tuple(_layer(row, f"{path}: layers[{i}]") for i, row in enumerate(data["layers"]))
    return GpuRun(
        path=path, device=str(data["device"]), layers=layers,
        copy_bandwidth_gb_s=_number(data, "copy_bandwidth_gb_s", str(path)),
        machine=dict(data.get("machine", {})), settings=dict(data.get("settings", {})),
        targets=dict(data.get("targets", {})), dispatch_entries=tuple(data.get("dispatch_entries", ())),
    )


def load_runs(folder: Optional[PathLike] = None) -> list[GpuRun]:
    """Every recorded run in `folder` (default: the repository's benchmarks/results), sorted by file name."""
    return [load_run(path) for path in find_runs(folder)]


def _format(value: Optional[float], spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_table(run: GpuRun) -> str:
    """The run as a text table: one line per layer, batch and dtype; times in microseconds."""
    header = (f"{'layer':<19} {'N':>3} {'dtype':<8} {'eager us':>9} {'fused us':>9} {'compile us':>10} "
              f"{'eager/fused':>11} {'fused GB/s':>10} {'launches':>8}")
    lines = [f"recorded on {run.device} ({run.path.name})", header, "-" * len(header)]
    for r in run.layers:
        lines.append(
            f"{r.layer:<19} {r.batch:>3} {r.dtype:<8} {r.eager_us:>9.1f} {_format(r.fused_us, '9.1f'):>9} "
            f"{_format(r.compile_us, '10.1f'):>10} {_format(r.speedup, '11.2f'):>11} "
            f"{_format(r.fused_gb_s, '10.0f'):>10} {_format(r.kernels_per_call_fused, 'd'):>8}"
        )
    lines.append("eager = best of cuDNN NCHW / channels_last; fused = best layout of the Triton kernel; "
                 "launches = GPU kernels per fused call (batch 1)")
    return "\n".join(lines)


def plot_run(run: GpuRun, batches: Optional[Sequence[int]] = None, dtype: Optional[str] = None):
    """A figure of eager / fused time per layer, one panel per batch size, labelled with the device.

    dtype: which dtype to show (default: the run's first). Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    dtype = dtype or run.layers[0].dtype
    rows = [r for r in run.layers if r.dtype == dtype]
    if not rows:
        raise ValueError(f"dtype must be one of {sorted({r.dtype for r in run.layers})}, got {dtype!r}")
    batches = sorted({r.batch for r in rows}) if batches is None else list(batches)
    fig, axes = plt.subplots(1, len(batches), figsize=(5.5 * len(batches), 4), squeeze=False)
    for ax, batch in zip(axes[0], batches):
        chosen = [r for r in rows if r.batch == batch]
        names = [r.layer for r in chosen]
        ratios = [r.speedup if r.speedup is not None else float("nan") for r in chosen]
        ax.barh(names, ratios, color=["tab:green" if v >= 1 else "tab:red" for v in ratios])
        ax.axvline(1.0, color="black", linewidth=1)
        ax.invert_yaxis()
        ax.set(xlabel="best eager time / best fused time (ratio; > 1: fused faster)",
               title=f"batch {batch}, {dtype}")
    fig.suptitle(f"Recorded run on {run.device}: fused Triton kernel against cuDNN")
    fig.tight_layout()
    return fig
