"""The roofline model: is a layer limited by memory bandwidth or by compute?

A layer that performs F FLOPs and moves B bytes cannot finish faster than
F / peak_flops (compute) nor faster than B / bandwidth (memory). Its attainable
rate is min(peak, intensity * bandwidth), with intensity = F / B in FLOP/byte.
Below the ridge point, intensity < peak / bandwidth, memory is the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Sequence

from ._checks import positive
from .formulas import Cost

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@dataclass(frozen=True)
class RooflinePoint:
    """Where one layer sits on a machine's roofline."""

    arithmetic_intensity: float  # FLOP per byte
    attainable_flops_per_s: float  # min(peak, intensity * bandwidth)
    min_time_s: float  # max(FLOPs / peak, bytes / bandwidth)
    bound: str  # "memory" or "compute"


def ridge_point(peak_flops_per_s: float, bandwidth_bytes_per_s: float) -> float:
    """The intensity (FLOP/byte) where the memory roof meets the compute roof."""
    return peak_flops_per_s / bandwidth_bytes_per_s


def attainable_flops_per_s(intensity: float, peak_flops_per_s: float, bandwidth_bytes_per_s: float) -> float:
    """The roofline itself: min(peak, intensity * bandwidth)."""
    return min(peak_flops_per_s, intensity * bandwidth_bytes_per_s)


def roofline(cost: Cost, peak_flops_per_s: float, bandwidth_bytes_per_s: float) -> RooflinePoint:
    """Place a layer's cost on the roofline of a machine with the given peak and bandwidth."""
    compute_time = cost.flops / positive(peak_flops_per_s, "peak_flops_per_s")
    memory_time = cost.bytes / positive(bandwidth_bytes_per_s, "bandwidth_bytes_per_s")
    intensity = cost.arithmetic_intensity
    return RooflinePoint(
        arithmetic_intensity=intensity,
        attainable_flops_per_s=attainable_flops_per_s(intensity, peak_flops_per_s, bandwidth_bytes_per_s),
        min_time_s=max(compute_time, memory_time),
        bound="memory" if memory_time >= compute_time else "compute",
    )


def draw_roofline(
    ax: "Axes",
    peak_flops_per_s: float,
    bandwidth_bytes_per_s: float,
    intensities: Optional[Sequence[float]] = None,
    *,
    label: str = "roofline",
    mark_ridge: bool = False,
) -> None:
    """Draw the roof on a matplotlib Axes, log-log: attainable GFLOP/s against FLOP/byte.

    intensities: where to evaluate it (default 0.3 to 3000 FLOP/byte). mark_ridge: a dotted
    line and a label at the ridge point. The caller adds the points and may relabel the axes.
    Matplotlib is not imported here: `ax` brings it.
    """
    xs = list(intensities) if intensities is not None else [0.3 * 10 ** (i / 50) for i in range(201)]
    roof = [attainable_flops_per_s(x, peak_flops_per_s, bandwidth_bytes_per_s) / 1e9 for x in xs]
    ax.plot(xs, roof, color="black", linewidth=2, label=label)
    if mark_ridge:
        ridge = ridge_point(peak_flops_per_s, bandwidth_bytes_per_s)
        ax.axvline(ridge, color="grey", linestyle=":", linewidth=1)
        ax.text(ridge * 1.1, 0.05, f"ridge\n{ridge:.1f} FLOP/byte", color="grey", fontsize=9,
                transform=ax.get_xaxis_transform())  # x in data units, y as a fraction of the axes
    ax.set(xscale="log", yscale="log", xlabel="arithmetic intensity (FLOP/byte)", ylabel="attainable rate (GFLOP/s)")
