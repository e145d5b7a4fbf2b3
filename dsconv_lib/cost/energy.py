"""Energy per inference from MACs and bytes moved, and energy budgets over time.

The model is the simplest one that shows where the energy goes:

    energy = MACs * (E_multiply + E_add) + bytes * E_memory_per_byte

One MAC is one multiply and one add; every byte that `Cost.bytes` counts is one
byte read from or written to the memory the tensors live in. Static (leakage)
power, the sensor, the radio and the operating system are not in it: it is the
energy of the arithmetic and of the data movement, nothing else.

The default figures are Horowitz's for a 45 nm process at 0.9 V (Horowitz,
2014, "Computing's energy problem (and what we can do about it)", ISSCC), in the
form Han et al. (2015, Figure 1) tabulate them for 32-bit words. Pass your own
`EnergyTable` for another chip: the numbers move by large factors between
processes, but their ratios (memory far above arithmetic, int8 far below
float32) are what the course uses them for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..shapes import positive_int
from ._checks import non_negative, positive
from .formulas import Cost

# Published energies in picojoules, 45 nm, 0.9 V (Horowitz, 2014). The 32-bit
# memory entries are as Han et al. (2015, Figure 1) give them: a 32-bit read
# from an 8 KB SRAM (half of Horowitz's 10 pJ for a 64-bit access) and from DRAM.
HOROWITZ_45NM_PJ: dict[str, float] = {
    "int8 add": 0.03,
    "int8 multiply": 0.2,
    "int32 add": 0.1,
    "int32 multiply": 3.1,
    "float16 add": 0.4,
    "float16 multiply": 1.1,
    "float32 add": 0.9,
    "float32 multiply": 3.7,
    "32-bit SRAM read (8 KB)": 5.0,
    "32-bit DRAM read": 640.0,
}


@dataclass(frozen=True)
class EnergyTable:
    """Energy per operation: one multiply, one add, one byte moved to or from memory (pJ)."""

    name: str
    multiply_pj: float
    add_pj: float
    memory_pj_per_byte: float

    def __post_init__(self) -> None:
        for field in ("multiply_pj", "add_pj", "memory_pj_per_byte"):
            non_negative(getattr(self, field), field)

    @property
    def mac_pj(self) -> float:
        """Energy of one multiply-accumulate: one multiply plus one add."""
        return self.multiply_pj + self.add_pj


def _table(name: str, arithmetic: str, memory: str) -> EnergyTable:
    word_bytes = 4  # both memory entries are for 32-bit words
    return EnergyTable(
        name,
        HOROWITZ_45NM_PJ[f"{arithmetic} multiply"],
        HOROWITZ_45NM_PJ[f"{arithmetic} add"],
        HOROWITZ_45NM_PJ[memory] / word_bytes,
    )


FLOAT32_DRAM = _table("float32, tensors in DRAM", "float32", "32-bit DRAM read")
FLOAT32_SRAM = _table("float32, tensors in on-chip SRAM", "float32", "32-bit SRAM read (8 KB)")
INT8_DRAM = _table("int8, tensors in DRAM", "int8", "32-bit DRAM read")
INT8_SRAM = _table("int8, tensors in on-chip SRAM", "int8", "32-bit SRAM read (8 KB)")


@dataclass(frozen=True)
class Energy:
    """Energy of one inference in joules, split into arithmetic and memory traffic."""

    compute_j: float
    memory_j: float

    @property
    def total_j(self) -> float:
        return self.compute_j + self.memory_j

    @property
    def memory_share(self) -> float:
        """The fraction of the total spent moving data."""
        return self.memory_j / self.total_j if self.total_j else 0.0


def inference_energy(macs: int, bytes_moved: int, table: EnergyTable = FLOAT32_DRAM) -> Energy:
    """Energy of `macs` multiply-accumulates and `bytes_moved` bytes of memory traffic.

        compute = MACs * (E_mult + E_add),   memory = bytes * E_byte   (pJ -> J: * 1e-12)

    Count the bytes with the element size the table assumes (4 for float32,
    1 for int8: `cost.conv(..., bytes_per_element=1)`).
    """
    non_negative(macs, "macs")
    non_negative(bytes_moved, "bytes_moved")
    return Energy(macs * table.mac_pj * 1e-12, bytes_moved * table.memory_pj_per_byte * 1e-12)


def cost_energy(cost: Cost, table: EnergyTable = FLOAT32_DRAM) -> Energy:
    """`inference_energy` of a layer's or network's `Cost` (its MACs and bytes)."""
    return inference_energy(cost.macs, cost.bytes, table)


def battery_joules(capacity_mah: float, volts: float) -> float:
    """The energy a battery holds: capacity (mAh) * 3.6 (C per mAh) * voltage (V), in joules."""
    return positive(capacity_mah, "capacity_mah") * 3.6 * positive(volts, "volts")


def mixed_schedule_energy(big_j: float, small_j: float, period: int) -> float:
    """Average energy per frame when the big model runs on every `period`-th frame, the small one otherwise.

        E_avg(k) = (E_big + (k - 1) * E_small) / k
    """
    period = positive_int(period, "period")
    return (big_j + (period - 1) * small_j) / period


def shortest_period_within_budget(big_j: float, small_j: float, budget_j_per_frame: float) -> int:
    """The smallest period k (big model every k-th frame) whose average energy fits the budget.

    E_avg(k) <= B  <=>  E_big - E_small <= k (B - E_small)  <=>  k >= (E_big - E_small) / (B - E_small).
    Needs E_small < B (else no schedule fits: ValueError) and E_small <= E_big.
    """
    if small_j > big_j:
        raise ValueError(f"small_j ({small_j}) must not exceed big_j ({big_j})")
    if budget_j_per_frame <= small_j:
        raise ValueError(
            f"budget_j_per_frame ({budget_j_per_frame}) must exceed small_j ({small_j}): "
            "even the small model alone does not fit"
        )
    if big_j <= budget_j_per_frame:
        return 1
    period = math.ceil((big_j - small_j) / (budget_j_per_frame - small_j))
    while period > 1 and mixed_schedule_energy(big_j, small_j, period - 1) <= budget_j_per_frame:
        period -= 1  # guard against the ceiling of a float landing one too high
    while mixed_schedule_energy(big_j, small_j, period) > budget_j_per_frame:
        period += 1  # ... or one too low
    return period
