"""Which implementation `separable_conv2d(..., backend="auto")` runs, and with which tile sizes.

The rule, in order:

1. x is not on a CUDA device             -> "torch" (two F.conv2d calls);
2. Triton is not installed               -> "torch";
3. dtype not float32/float16/bfloat16    -> "torch";
4. the layer is in FUSED_FASTER          -> "triton", with the tile sizes recorded there;
5. anything else                         -> "torch".

Step 4 is a table of measurements, not a model: an entry means that on that GPU,
for that exact layer (batch, channels, size, kernel, stride, dtype, memory
layout), the fused kernel beat cuDNN in the same layout by at least
`MARGIN` in `benchmarks/gpu_dsc.py`. Everywhere else the fallback runs, so "auto" is
never slower than torch by more than the noise of a measurement (the
0.95x floor). The table starts empty: until someone runs the benchmark on a
GPU and copies the entries it prints here, "auto" always runs torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

MARGIN = 1.05  # the fused kernel must be this much faster than torch to earn an entry


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


# Measured entries: LayerKey -> the TileConfig that won. Filled from the output of
# benchmarks/gpu_dsc.py on a GPU; empty until then, so "auto" runs torch everywhere.
FUSED_FASTER: dict[LayerKey, TileConfig] = {}

TARGET_PROGRAMS = 256  # enough programs to fill a large GPU (~132 SMs) about twice


def _next_power_of_2(value: int) -> int:
    return 1 << max(value - 1, 0).bit_length()


def default_config(batch: int, c_mid: int, c_out: int, out_pixels: int, half_precision: bool) -> TileConfig:
    """Tile sizes for a layer without a measured entry (used by backend="triton").

    Start from large tiles (128 pixels x up to 128 output channels, 32 or 64
    intermediate channels per step), then halve the pixel tile, and then the
    channel tile, while there are too few programs to fill the GPU.
    """
    block_co = min(max(16, _next_power_of_2(c_out)), 128)
    block_ci = min(max(16, _next_power_of_2(c_mid)), 64 if half_precision else 32)
    block_p = 128

    def programs() -> int:
        return batch * -(-out_pixels // block_p) * -(-c_out // block_co)

    while programs() < TARGET_PROGRAMS and block_p > 16:
        block_p //= 2
    while programs() < TARGET_PROGRAMS and block_co > 32:
        block_co //= 2
    num_warps = 8 if block_p * block_co >= 128 * 128 else 4
    return TileConfig(block_p, block_ci, block_co, num_warps)
