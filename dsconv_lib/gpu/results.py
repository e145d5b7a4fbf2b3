"""The JSON layout of a recorded GPU benchmark run: written by benchmarks/gpu_dsc.py, read back here.

This module is the one home of the layout. `LayerRow` is one layer at one batch size and dtype,
`GpuRun` a run on one GPU; each has `to_json` and `from_json`. The benchmark builds them and
writes `gpu_dsc_<device>.json` with `write_run`; the book and the tests read them with
`load_run(path)` or `load_runs(folder)`, from the folder the caller names (the book passes the
repository's benchmarks/results; an installed package carries no recorded runs).

    {"format": 2, "device": "NVIDIA H100 80GB HBM3", "complete": true, "skipped": [],
     "machine": {...}, "settings": {...}, "copy_bandwidth_gb_s": 2900.0,
     "matmul_tflop_s": {"float32": ..., "bfloat16": ...},
     "layers": [{"layer": "v2 56x144->24", "c_in": 144, "size": 56, "c_out": 24, "stride": 1,
                 "batch": 64, "dtype": "float32",
                 "eager_us": {"nchw": ..., "channels_last": ...},   # cuDNN: two F.conv2d calls
                 "fused_us": {"nchw": ..., "channels_last": ...},   # the Triton kernel, best tiles
                 "fused_tiles": {"nchw": {"block_p": 64, ...}, ...},
                 "compile_us": ...,                                 # torch.compile, or null
                 "errors": {"eager_nchw": ..., "fused_nchw": ...},  # max |error| / max |float64 ref|
                 "tolerance": 0.005,
                 "kernels_per_call": {"eager_nchw": 2, "fused_nchw": 1, ...}}, ...],   # batch 1
     "dispatch_entries": [...]}   # derived: dispatch.entry_to_json of `GpuRun.dispatch_entries()`

Times are medians in microseconds. A layout missing from "fused_us" had no tile configuration
that ran. "complete": false marks a run that its time budget cut short; "skipped" names what
it left out. Each layer is a 3x3 depthwise step (padding 1, the given stride), then a pointwise
one, on a (batch, c_in, size, size) input. matplotlib is imported only by `plot_run`.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Union

from .. import cost
from ..tables import format_table as _table
from .dispatch import MARGIN, LayerKey, TileConfig, entry_to_json
from .measure import KERNEL_SIZE, BenchLayer

FORMAT = 2
RESULT_GLOB = "gpu_dsc_*.json"
DTYPE_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2}
LAYOUTS = ("nchw", "channels_last")
LAYER_KEYS = ("layer", "c_in", "size", "c_out", "stride", "batch", "dtype", "eager_us", "errors", "tolerance")

PathLike = Union[str, Path]


def result_file_name(device: str) -> str:
    """gpu_dsc_<device>.json, with every run of characters other than letters and digits as one '_'."""
    return f"gpu_dsc_{re.sub(r'[^A-Za-z0-9]+', '_', device).strip('_')}.json"


@dataclass(frozen=True)
class LayerRow:
    """One layer at one batch size and dtype, as the benchmark measured it (times: medians, in us)."""

    layer: str
    c_in: int
    size: int
    c_out: int
    stride: int
    batch: int
    dtype: str
    eager_us: Mapping[str, float]  # layout -> cuDNN time; both layouts
    errors: Mapping[str, float]  # candidate, e.g. "fused_nchw" -> max |error| / max |float64 reference|
    tolerance: float  # dsconv_lib.gpu.TOLERANCE for this dtype and TF32 setting
    fused_us: Mapping[str, float] = field(default_factory=dict)  # layout -> best tiles' time
    fused_tiles: Mapping[str, TileConfig] = field(default_factory=dict)  # layout -> the tiles that won
    compile_us: Optional[float] = None  # torch.compile of the two calls, channels_last
    kernels_per_call: Mapping[str, int] = field(default_factory=dict)  # candidate -> GPU kernels (batch 1)

    def block_cost(self, fused: bool) -> cost.Cost:
        """The block's FLOPs and minimum bytes (dsconv_lib.cost), unfused or fused, in this dtype."""
        layer = BenchLayer(self.layer, self.c_in, self.size, self.c_out, self.stride)
        return layer.costs(self.batch, DTYPE_BYTES[self.dtype])["DSC fused" if fused else "DSC unfused"]

    @property
    def best_eager_us(self) -> float:
        """The faster layout of cuDNN."""
        return min(self.eager_us.values())

    @property
    def best_fused_us(self) -> Optional[float]:
        """The faster layout of the fused kernel; None when no tile configuration ran."""
        return min(self.fused_us.values()) if self.fused_us else None

    @property
    def speedup(self) -> Optional[float]:
        """Best eager time over best fused time (> 1: the fused kernel is faster); None without a fused time."""
        return None if self.best_fused_us is None else self.best_eager_us / self.best_fused_us

    @property
    def fused_gb_s(self) -> Optional[float]:
        """The fused kernel's rate on its minimum bytes (input, weights, output once), in GB/s."""
        best = self.best_fused_us
        return None if best is None else self.block_cost(fused=True).bytes / (best * 1e-6) / 1e9

    def winning_layouts(self, margin: float) -> list[str]:
        """The layouts where the fused kernel beat cuDNN in the same layout by `margin`: table entries."""
        return [layout for layout, fused in self.fused_us.items() if self.eager_us[layout] / fused >= margin]

    def auto_us(self, margin: float) -> float:
        """The time of what backend="auto" runs with this run's entries: per layout, the fused kernel
        where it earned an entry and cuDNN elsewhere; the faster layout."""
        winners = self.winning_layouts(margin)
        return min(self.fused_us[layout] if layout in winners else eager for layout, eager in self.eager_us.items())

    @property
    def within_tolerance(self) -> Optional[bool]:
        """Whether every fused layout's error is within `tolerance`; None without a fused time."""
        fused = [error for name, error in self.errors.items() if name.startswith("fused_")]
        return all(error <= self.tolerance for error in fused) if fused else None

    @property
    def kernels_per_call_fused(self) -> Optional[int]:
        """The most GPU kernels one fused call launched (batch 1 only); None when not counted."""
        counts = [n for name, n in self.kernels_per_call.items() if name.startswith("fused_")]
        return max(counts) if counts else None

    def to_json(self) -> dict[str, Any]:
        return {
            "layer": self.layer, "c_in": self.c_in, "size": self.size, "c_out": self.c_out, "stride": self.stride,
            "batch": self.batch, "dtype": self.dtype, "eager_us": dict(self.eager_us), "fused_us": dict(self.fused_us),
            "fused_tiles": {layout: vars(tiles).copy() for layout, tiles in self.fused_tiles.items()},
            "compile_us": self.compile_us, "errors": dict(self.errors), "tolerance": self.tolerance,
            "kernels_per_call": dict(self.kernels_per_call),
        }

    @classmethod
    def from_json(cls, row: Any, where: str) -> LayerRow:
        """A row as `to_json` writes it; a malformed one raises a ValueError naming `where` and the key."""
        if not isinstance(row, dict):
            raise ValueError(f"{where} must be a JSON object, got {type(row).__name__}")
        missing = [key for key in LAYER_KEYS if key not in row]
        if missing:
            raise ValueError(f"{where} lacks the key(s) {missing} that benchmarks/gpu_dsc.py writes")
        for key in ("c_in", "size", "c_out", "stride", "batch"):
            if isinstance(row[key], bool) or not isinstance(row[key], int) or row[key] < 1:
                raise ValueError(f"{where}: {key!r} must be a positive integer, got {row[key]!r}")
        if row["dtype"] not in DTYPE_BYTES:
            raise ValueError(f"{where}: 'dtype' must be one of {sorted(DTYPE_BYTES)}, got {row['dtype']!r}")
        eager = _times(row, "eager_us", where)
        if set(eager) != set(LAYOUTS):
            raise ValueError(f"{where}: 'eager_us' must hold both layouts {LAYOUTS}, got {sorted(eager)}")
        tiles = row.get("fused_tiles", {})
        try:
            fused_tiles = {layout: TileConfig(**config) for layout, config in tiles.items()}
        except (TypeError, ValueError, AttributeError) as error:
            raise ValueError(f"{where}: 'fused_tiles' must map layouts to TileConfig fields, got {tiles!r}") from error
        return cls(
            layer=str(row["layer"]), c_in=row["c_in"], size=row["size"], c_out=row["c_out"], stride=row["stride"],
            batch=row["batch"], dtype=row["dtype"], eager_us=eager, fused_us=_times(row, "fused_us", where),
            fused_tiles=fused_tiles, compile_us=_number(row, "compile_us", where),
            errors=_errors(row, where), tolerance=_number(row, "tolerance", where),  # type: ignore[arg-type]
            kernels_per_call={name: int(n) for name, n in row.get("kernels_per_call", {}).items()},
        )


@dataclass(frozen=True)
class GpuRun:
    """One run of benchmarks/gpu_dsc.py on one GPU (or its rehearsal on the CPU)."""

    device: str
    layers: tuple[LayerRow, ...]
    copy_bandwidth_gb_s: Optional[float] = None
    matmul_tflop_s: Mapping[str, float] = field(default_factory=dict)  # dtype -> measured matmul rate
    machine: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    complete: bool = True  # False: the time budget stopped the run early
    skipped: tuple[str, ...] = ()  # what the budget left out, e.g. "v1 7x1024->1024 b1 bfloat16"
    path: Optional[Path] = None  # the file it was read from; not written

    @property
    def margin(self) -> float:
        """The speed-up a layer needed to earn a dispatch entry in this run."""
        return float(self.settings.get("dispatch_margin", MARGIN))

    def percent_of_copy(self, row: LayerRow) -> Optional[float]:
        """The fused kernel's GB/s as a percentage of this GPU's measured copy bandwidth."""
        if row.fused_gb_s is None or self.copy_bandwidth_gb_s is None:
            return None
        return 100 * row.fused_gb_s / self.copy_bandwidth_gb_s

    def dispatch_entries(self) -> list[tuple[LayerKey, TileConfig]]:
        """The dispatch table's entries this run earns: every layer and layout where the fused kernel won."""
        return [
            (LayerKey(self.device, row.dtype, layout, row.batch, row.c_in, row.c_in, row.c_out, row.size, row.size,
                      (KERNEL_SIZE, KERNEL_SIZE), (row.stride, row.stride)), row.fused_tiles[layout])
            for row in self.layers for layout in row.winning_layouts(self.margin)
        ]

    def targets(self) -> dict[str, Any]:
        """The issue's targets, each True / False, or None where the run has no layer to judge it on.

        At batch 64 on MobileNetV2's expanded layers: >= 75% of the copy bandwidth and >= 1.3x the best
        eager baseline; on every layer, backend="auto" >= 0.95x the best baseline; at batch 1, one
        kernel launch per fused call; every fused result within its tolerance.
        """
        v2_batch64 = [row for row in self.layers if row.layer.startswith("v2") and row.batch == 64]
        counted = [row.kernels_per_call_fused for row in self.layers if row.kernels_per_call_fused is not None]

        def every(values: list[bool]) -> Optional[bool]:
            return all(values) if values else None

        return {
            "v2_batch64_percent_of_copy_ge_75": every([(self.percent_of_copy(r) or 0) >= 75 for r in v2_batch64]),
            "v2_batch64_speedup_ge_1.3": every([(r.speedup or 0) >= 1.3 for r in v2_batch64]),
            "auto_ge_0.95_on_every_layer": every([r.best_eager_us / r.auto_us(self.margin) >= 0.95
                                                  for r in self.layers]),
            "batch1_one_kernel_per_fused_call": every([n == 1 for n in counted]),
            "fused_within_tolerance": every([r.within_tolerance for r in self.layers
                                             if r.within_tolerance is not None]),
            "fused_slower_than_0.95x": [f"{r.layer} b{r.batch} {r.dtype}" for r in self.layers
                                        if r.speedup is not None and r.speedup < 0.95],
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "benchmark": "benchmarks/gpu_dsc.py", "device": self.device,
            "complete": self.complete, "skipped": list(self.skipped), "machine": dict(self.machine),
            "settings": dict(self.settings), "copy_bandwidth_gb_s": self.copy_bandwidth_gb_s,
            "matmul_tflop_s": dict(self.matmul_tflop_s), "layers": [row.to_json() for row in self.layers],
            "targets": self.targets(),
            "dispatch_entries": [entry_to_json(key, tiles) for key, tiles in self.dispatch_entries()],
        }

    @classmethod
    def from_json(cls, data: Any, where: str, path: Optional[Path] = None) -> GpuRun:
        """A run as `to_json` writes it ("targets" and "dispatch_entries" are recomputed, not read)."""
        if not isinstance(data, dict):
            raise ValueError(f"{where} must hold a JSON object, got {type(data).__name__}")
        if data.get("format") != FORMAT:
            raise ValueError(f"{where}: 'format' must be {FORMAT} (the layout this dsconv_lib reads), "
                             f"got {data.get('format')!r}")
        missing = [key for key in ("device", "layers") if key not in data]
        if missing:
            raise ValueError(f"{where} lacks the key(s) {missing} that benchmarks/gpu_dsc.py writes")
        if not isinstance(data["layers"], list):
            raise ValueError(f"{where}: 'layers' must be a list, got {data['layers']!r:.100}")
        layers = tuple(LayerRow.from_json(row, f"{where}: layers[{i}]") for i, row in enumerate(data["layers"]))
        matmul = data.get("matmul_tflop_s") or {}
        return cls(
            device=str(data["device"]), layers=layers,
            copy_bandwidth_gb_s=_number(data, "copy_bandwidth_gb_s", where),
            matmul_tflop_s={dtype: _number(matmul, dtype, f"{where}: matmul_tflop_s") for dtype in matmul},
            machine=dict(data.get("machine", {})), settings=dict(data.get("settings", {})),
            complete=bool(data.get("complete", True)), skipped=tuple(data.get("skipped", ())), path=path,
        )


def _number(data: Mapping[str, Any], key: str, where: str) -> Optional[float]:
    """data[key] as a positive float; None when absent or null."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{where}: {key!r} must be a positive number, got {value!r}")
    return float(value)


def _times(row: Mapping[str, Any], key: str, where: str) -> dict[str, float]:
    """row[key], a {layout: microseconds} object, checked."""
    times = row.get(key) or {}
    if not isinstance(times, dict) or set(times) - set(LAYOUTS):
        raise ValueError(f"{where}: {key!r} must map layouts {LAYOUTS} to microseconds, got {times!r}")
    return {layout: _number(times, layout, f"{where}: {key}") for layout in times}  # type: ignore[misc]


def _errors(row: Mapping[str, Any], where: str) -> dict[str, float]:
    errors = row["errors"]
    if not isinstance(errors, dict):
        raise ValueError(f"{where}: 'errors' must map candidates to relative errors, got {errors!r}")
    for name, value in errors.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise ValueError(f"{where}: 'errors' [{name!r}] must be a number >= 0, got {value!r}")
    return {name: float(value) for name, value in errors.items()}


def write_run(run: GpuRun, path: PathLike) -> Path:
    """Write `run` as JSON to `path` (its folder is created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run.to_json(), indent=1) + "\n", encoding="utf-8")
    return path


def load_run(path: PathLike) -> GpuRun:
    """Read one gpu_dsc_<device>.json file; a file of another layout raises a ValueError naming it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not valid JSON: {error}") from error
    return GpuRun.from_json(data, str(path), path)


def _checkout_results_folder() -> Path:
    """The previous release's default folder: benchmarks/results of the checkout this package sits in."""
    return Path(__file__).resolve().parents[2] / "benchmarks" / "results"


def _folder_or_deprecated_default(folder: Optional[PathLike], function: str) -> Path:
    if folder is not None:
        return Path(folder)
    warnings.warn(f"results.{function}() without a folder is deprecated: pass the folder, e.g. "
                  f"{function}(Path('benchmarks') / 'results') from the repository's root; for one release "
                  "it falls back to the checkout's benchmarks/results", DeprecationWarning, stacklevel=3)
    return _checkout_results_folder()


def find_runs(folder: Optional[PathLike] = None) -> list[Path]:
    """The recorded GPU runs (gpu_dsc_*.json) in `folder`, sorted by name; [] if the folder does not exist.

    folder=None is deprecated (it searched the checkout this package sits in).
    """
    folder = _folder_or_deprecated_default(folder, "find_runs")
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"folder must be a directory, got the file {folder}")
    return sorted(folder.glob(RESULT_GLOB)) if folder.is_dir() else []


def load_runs(folder: Optional[PathLike] = None) -> list[GpuRun]:
    """Every recorded run in `folder` (e.g. the repository's benchmarks/results), sorted by file name.

    folder=None is deprecated (it searched the checkout this package sits in).
    """
    return [load_run(path) for path in find_runs(_folder_or_deprecated_default(folder, "load_runs"))]


def _cell(value: Optional[float], spec: str) -> Optional[str]:
    return None if value is None else format(value, spec)


def format_table(run: GpuRun) -> str:
    """The run as a text table: one line per layer, batch and dtype; times in microseconds."""
    header = ["layer", "N", "dtype", "eager us", "fused us", "compile us", "eager/fused", "auto", "fused GB/s",
              "% copy", "launches"]
    rows = [[r.layer, r.batch, r.dtype, f"{r.best_eager_us:.1f}", _cell(r.best_fused_us, ".1f"),
             _cell(r.compile_us, ".1f"), _cell(r.speedup, ".2f"), f"{r.best_eager_us / r.auto_us(run.margin):.2f}",
             _cell(r.fused_gb_s, ".0f"), _cell(run.percent_of_copy(r), ".0f"), r.kernels_per_call_fused]
            for r in run.layers]
    source = f" ({run.path.name})" if run.path is not None else ""
    state = "" if run.complete else f"; cut short by its time budget, {len(run.skipped)} measurement(s) skipped"
    return _table(header, rows, align="<><>>>>>>>>", title=f"recorded on {run.device}{source}{state}",
                  note="eager = best of cuDNN NCHW / channels_last; fused = best layout of the Triton kernel; "
                       "auto = best eager / what backend='auto' runs; launches = GPU kernels per fused call (batch 1)")


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
        ratios = [r.speedup if r.speedup is not None else float("nan") for r in chosen]
        ax.barh([r.layer for r in chosen], ratios, color=["tab:green" if v >= 1 else "tab:red" for v in ratios])
        ax.axvline(1.0, color="black", linewidth=1)
        ax.invert_yaxis()
        ax.set(xlabel="best eager time / best fused time (ratio; > 1: fused faster)", title=f"batch {batch}, {dtype}")
    fig.suptitle(f"Recorded run on {run.device}: fused Triton kernel against cuDNN")
    fig.tight_layout()
    return fig


# Names of the previous release -> their spelling now (deprecated; they go in the next release).
RENAMED = {"LayerResult": "LayerRow", "BENCHMARK_KERNEL": "KERNEL_SIZE"}


def __getattr__(name: str) -> object:
    """The previous release's names, with a DeprecationWarning naming the new spelling."""
    if name == "default_results_folder":
        warnings.warn("results.default_results_folder() is deprecated: pass the folder to load_runs / find_runs",
                      DeprecationWarning, stacklevel=2)
        return lambda: _checkout_results_folder() if _checkout_results_folder().is_dir() else None
    if name in RENAMED:
        warnings.warn(f"results.{name} is deprecated: use results.{RENAMED[name]} (a run's layers are LayerRow "
                      "records, with best_eager_us / best_fused_us for the former eager_us / fused_us)",
                      DeprecationWarning, stacklevel=2)
        return {"LayerResult": LayerRow, "BENCHMARK_KERNEL": KERNEL_SIZE}[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
