"""Which implementation `separable_conv2d(..., backend="auto")` runs, and with which tile sizes.

The rule (`choose_backend`), in order:

1. x is not on a CUDA device                          -> "torch" (two F.conv2d calls);
2. the fused kernel cannot run there (`why_not_fused`):
   Triton missing or older than `MIN_TRITON`, a GPU
   older than the installed Triton compiles for
   (`min_capability`), a dtype other than float32,
   float16 or bfloat16                                -> "torch";
3. the layer is in FUSED_FASTER                       -> "triton", with the tile sizes recorded there;
4. anything else                                      -> "torch".

Step 3 is a table of measurements, not a model: an entry means that on that GPU,
for that exact layer (batch, channels, size, kernel, stride, dtype, memory
layout), the fused kernel beat cuDNN in the same layout by at least `MARGIN` in
`benchmarks/gpu_dsc.py`. Everywhere else the fallback runs, so "auto" is never
slower than torch by more than the noise of a measurement (the 0.95x floor).
The table is data: `fused_faster.json` beside this module, which the benchmark
writes (`write_table`) and which is read the first time the table is used.
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import json
import os
import re
from collections.abc import Iterator, MutableMapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple, Optional

import torch

from ..shapes import next_power_of_2

if TYPE_CHECKING:
    from .separable import _Layer

MARGIN = 1.05  # the fused kernel must be this much faster than torch to earn an entry
FUSED_DTYPES = (torch.float32, torch.float16, torch.bfloat16)
TABLE_FILE = Path(__file__).with_name("fused_faster.json")

# The oldest Triton the kernel is written for: tl.dot's `input_precision` argument came in
# Triton 3.0 (before, `allow_tf32`). Nothing newer is used, so Triton 3.6 (torch 2.10 and 2.11's
# CUDA builds) runs the same code as 3.9.
MIN_TRITON = (3, 0)


# ----------------------------------------------------------------------------- can the kernel run here?


def triton_available() -> bool:
    """True when the `triton` package can be imported (it is not a dependency of dsconv_lib)."""
    return importlib.util.find_spec("triton") is not None


def interpreter_enabled() -> bool:
    """True when TRITON_INTERPRET asks Triton to run kernels in its interpreter (on the CPU)."""
    return os.environ.get("TRITON_INTERPRET", "0").strip().lower() in ("1", "true", "yes", "on")


@functools.lru_cache(maxsize=None)
def triton_version() -> Optional[tuple[int, int]]:
    """(major, minor) of the installed Triton, read from its metadata without importing it; None if absent."""
    if not triton_available():
        return None
    try:
        text = importlib.metadata.version("triton")
    except importlib.metadata.PackageNotFoundError:  # importable but without metadata: ask the module
        import triton

        text = triton.__version__
    match = re.match(r"(\d+)\.(\d+)", text)
    if match is None:
        raise RuntimeError(f"cannot read Triton's version from {text!r}")
    return int(match[1]), int(match[2])


def min_capability(version: tuple[int, int]) -> tuple[int, int]:
    """The oldest CUDA compute capability that Triton `version` compiles for.

    Triton 3.3 dropped Volta and Turing (7.x, e.g. Colab's T4, 7.5): triton-lang/triton#5066
    removed their tensor-core path and raised the README's "Supported Hardware" to "NVIDIA GPUs
    (Compute Capability 8.0+)"; the maintainers answer sm75 reports with "sm75 is not currently
    supported. It may work at times, but we are not implementing or accepting fixes"
    (triton-lang/triton#10918). Up to Triton 3.2 the README said 7.0+.
    """
    return (8, 0) if version >= (3, 3) else (7, 0)


def why_not_fused(device: torch.device, dtype: torch.dtype) -> Optional[str]:
    """None if the fused kernel can run on tensors of `dtype` on `device`; otherwise why not, in words."""
    version = triton_version()
    if version is None:
        return "Triton is not installed (pip install triton; it is not a dependency of dsconv_lib)"
    if version < MIN_TRITON:
        return (f"the fused kernel needs Triton {'.'.join(map(str, MIN_TRITON))} or newer, "
                f"and Triton {version[0]}.{version[1]} is installed")
    if device.type == "cpu" and not interpreter_enabled():
        return (
            "x is on the CPU and the fused kernel needs a CUDA tensor "
            "(or TRITON_INTERPRET=1, which runs it in Triton's interpreter, slowly, for testing)"
        )
    if device.type not in ("cuda", "cpu"):
        return f"x is on {device} and the fused kernel needs a CUDA tensor"
    if dtype not in FUSED_DTYPES:
        return f"the fused kernel supports float32, float16 and bfloat16, not {dtype}"
    if device.type == "cuda":
        capability = tuple(torch.cuda.get_device_capability(device))
        needed = min_capability(version)
        if capability < needed:
            return (f"{torch.cuda.get_device_name(device)} has compute capability {capability[0]}.{capability[1]}, "
                    f"and Triton {version[0]}.{version[1]} compiles for {needed[0]}.{needed[1]} (Ampere) and newer")
        if dtype == torch.bfloat16 and capability < (8, 0):
            return (f"{torch.cuda.get_device_name(device)} has compute capability {capability[0]}.{capability[1]}, "
                    "and bfloat16 tensor cores need 8.0 (Ampere) or newer")
    return None


# ----------------------------------------------------------------------------- the table of measured layers


class LayerKey(NamedTuple):
    """One layer on one GPU, as `auto` looks it up. layout: "nchw" or "channels_last"."""

    device_name: str  # torch.cuda.get_device_name(), e.g. "NVIDIA H100 80GB HBM3"
    dtype: str  # "float32", "float16", "bfloat16"
    layout: str
    batch: int
    c_in: int
    c_mid: int
    c_out: int
    height: int
    width: int
    kernel_size: tuple[int, int]
    stride: tuple[int, int]


@dataclass(frozen=True)
class TileConfig:
    """The fused kernel's launch parameters: tile sizes (powers of 2, >= 16) and warps.

    block_p output pixels x block_co output channels per program, block_ci
    intermediate channels per step of the reduction.
    """

    block_p: int
    block_ci: int
    block_co: int
    num_warps: int = 4
    num_stages: int = 2

    def __post_init__(self) -> None:
        for name in ("block_p", "block_ci", "block_co"):
            value = getattr(self, name)
            if value < 16 or value & (value - 1):
                raise ValueError(f"TileConfig.{name} must be a power of 2 >= 16 (tl.dot's minimum), got {value}")


def entry_to_json(key: LayerKey, tiles: TileConfig) -> dict[str, Any]:
    """One table entry as a JSON object: the LayerKey's fields, and "tiles"."""
    return {**key._asdict(), "kernel_size": list(key.kernel_size), "stride": list(key.stride), "tiles": asdict(tiles)}


def entry_from_json(entry: Any, where: str) -> tuple[LayerKey, TileConfig]:
    """The inverse of `entry_to_json`; a malformed entry raises a ValueError naming `where`."""
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be a JSON object, got {type(entry).__name__}")
    missing = [name for name in (*LayerKey._fields, "tiles") if name not in entry]
    if missing:
        raise ValueError(f"{where} lacks the key(s) {missing}")
    try:
        key = LayerKey(**{**{name: entry[name] for name in LayerKey._fields},
                          "kernel_size": tuple(entry["kernel_size"]), "stride": tuple(entry["stride"])})
        tiles = TileConfig(**entry["tiles"])
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: {error}") from error
    return key, tiles


def read_table(path: Path) -> dict[LayerKey, TileConfig]:
    """The entries of a table file ({"entries": [...]}); a missing file is an empty table."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise ValueError(f"{path} must hold a JSON object with a list 'entries', got {data!r:.200}")
    return dict(entry_from_json(entry, f"{path}: entries[{i}]") for i, entry in enumerate(data["entries"]))


def write_table(path: Path, entries: Iterable[tuple[LayerKey, TileConfig]], replace_device: str) -> int:
    """Write a table file: the entries already in `path` for other devices, plus `entries`.

    replace_device: the GPU whose old entries `entries` replace. Returns how many entries the file holds.
    """
    kept = {key: tiles for key, tiles in read_table(path).items() if key.device_name != replace_device}
    kept.update(entries)
    rows = [entry_to_json(key, tiles) for key, tiles in sorted(kept.items(), key=lambda item: item[0])]
    note = f"written by benchmarks/gpu_dsc.py: layers where the fused kernel beat cuDNN by >= {MARGIN}x"
    path.write_text(json.dumps({"note": note, "entries": rows}, indent=1) + "\n", encoding="utf-8")
    return len(rows)


class MeasuredTable(MutableMapping):
    """LayerKey -> TileConfig, read from a table file the first time it is used."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: Optional[dict[LayerKey, TileConfig]] = None

    def _loaded(self) -> dict[LayerKey, TileConfig]:
        if self._entries is None:
            self._entries = read_table(self.path)
        return self._entries

    def __getitem__(self, key: LayerKey) -> TileConfig:
        return self._loaded()[key]

    def __setitem__(self, key: LayerKey, tiles: TileConfig) -> None:
        self._loaded()[key] = tiles

    def __delitem__(self, key: LayerKey) -> None:
        del self._loaded()[key]

    def __iter__(self) -> Iterator[LayerKey]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())

    def __repr__(self) -> str:
        return f"MeasuredTable({self.path.name}, {len(self)} entries)"


# Measured entries: LayerKey -> the TileConfig that won, from fused_faster.json.
FUSED_FASTER = MeasuredTable(TABLE_FILE)


# ----------------------------------------------------------------------------- the rule


@functools.lru_cache(maxsize=None)
def _device_name(index: int) -> str:
    return torch.cuda.get_device_name(index)


def is_channels_last(x: torch.Tensor) -> bool:
    """True for a channels_last tensor that is not also NCHW-contiguous (e.g. not one with H = W = 1)."""
    return x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()


def layer_key(x: torch.Tensor, layer: _Layer) -> LayerKey:
    """The table's key for a call on the CUDA tensor x: (N, C_in, H, W)."""
    index = x.device.index if x.device.index is not None else torch.cuda.current_device()
    return LayerKey(
        _device_name(index), str(x.dtype).removeprefix("torch."), "channels_last" if is_channels_last(x) else "nchw",
        x.shape[0], layer.c_in, layer.c_mid, layer.c_out, x.shape[2], x.shape[3], layer.kernel_size, layer.stride,
    )


def choose_backend(x: torch.Tensor, layer: _Layer) -> tuple[str, Optional[TileConfig]]:
    """The rule above: ("triton", tiles) for a measured-faster layer, else ("torch", None)."""
    if x.device.type != "cuda" or why_not_fused(x.device, x.dtype) is not None:
        return "torch", None
    tiles = FUSED_FASTER.get(layer_key(x, layer))
    return ("triton", tiles) if tiles is not None else ("torch", None)


TARGET_PROGRAMS = 256  # enough programs to fill a large GPU (~132 SMs) about twice


def default_config(batch: int, c_mid: int, c_out: int, out_pixels: int, half_precision: bool) -> TileConfig:
    """Tile sizes for a layer without a measured entry (used by backend="triton").

    Start from large tiles (128 pixels x up to 128 output channels, 32 or 64
    intermediate channels per step), then halve the pixel tile, and then the
    channel tile, while there are too few programs to fill the GPU.
    """
    block_co = min(max(16, next_power_of_2(c_out)), 128)
    block_ci = min(max(16, next_power_of_2(c_mid)), 64 if half_precision else 32)
    block_p = 128

    def programs() -> int:
        return batch * -(-out_pixels // block_p) * -(-c_out // block_co)

    while programs() < TARGET_PROGRAMS and block_p > 16:
        block_p //= 2
    while programs() < TARGET_PROGRAMS and block_co > 32:
        block_co //= 2
    num_warps = 8 if block_p * block_co >= 128 * 128 else 4
    return TileConfig(block_p, block_ci, block_co, num_warps)
