"""Wall-clock timing that survives a busy machine.

On a shared machine a run can be slowed by anything else that runs, including
the worker threads a library leaves spinning after its last call. The fastest
of many runs measures the code, the others measure the machine; and functions
compared with each other take turns, round by round, so that all of them see
the same conditions.
"""

from __future__ import annotations

import time
from typing import Callable, Mapping, Union


def best_times(
    candidates: Mapping[str, Callable[[], object]],
    repeats: Union[int, Mapping[str, int]] = 10,
    rounds: int = 3,
    min_round_s: float = 0.0,
) -> dict[str, float]:
    """The fastest call of each candidate, in seconds.

    In each of `rounds` rounds, every candidate in turn runs once untimed (a
    warm-up), then is timed `repeats` times (or more, until `min_round_s`
    seconds are spent, at most 100 x repeats, to give short calls more chances).
    `repeats` may differ per candidate: {"name": n}.
    """
    best = {name: float("inf") for name in candidates}
    for _ in range(rounds):
        for name, run in candidates.items():
            count = repeats if isinstance(repeats, int) else repeats[name]
            run()
            spent, calls = 0.0, 0
            while calls < count or (spent < min_round_s and calls < 100 * count):
                start = time.perf_counter()
                run()
                elapsed = time.perf_counter() - start
                best[name] = min(best[name], elapsed)
                spent, calls = spent + elapsed, calls + 1
    return best


def best_time(run: Callable[[], object], repeats: int = 10, rounds: int = 3, min_round_s: float = 0.0) -> float:
    """The fastest of rounds x repeats timed calls of `run`, in seconds (see best_times)."""
    return best_times({"run": run}, repeats, rounds, min_round_s)["run"]
