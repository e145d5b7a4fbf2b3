"""Checks of the cost model's real-valued arguments (energies, rates, capacities); counts are `shapes.positive_int`.

Each returns the value it accepts and otherwise raises a ValueError naming the
argument, what it got and what it needs.
"""

from __future__ import annotations

import math
from numbers import Real


def non_negative(value: object, name: str) -> float:
    """`value` if it is a finite number >= 0 (an energy, a count of bytes)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return value  # type: ignore[return-value]


def positive(value: object, name: str) -> float:
    """`value` if it is a finite number > 0 (a rate, a capacity, a voltage)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be positive (a finite number > 0), got {value!r}")
    return value  # type: ignore[return-value]
