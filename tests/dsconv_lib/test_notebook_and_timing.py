"""dsconv_lib.notebook (glue that works outside the book) and dsconv_lib.timing."""

from __future__ import annotations

import builtins
import time

import numpy as np
import pytest

from dsconv_lib import notebook, timing


def test_glue_hands_python_numbers_to_myst_nb(monkeypatch):
    recorded = {}
    myst_nb = pytest.importorskip("myst_nb")
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=True: recorded.update({name: (value, display)}))
    notebook.glue("ratio", np.float64(0.25))
    notebook.glue("count", np.int64(7), display=True)
    assert recorded == {"ratio": (0.25, False), "count": (7, True)}
    assert type(recorded["ratio"][0]) is float and type(recorded["count"][0]) is int


def test_glue_is_a_no_op_without_myst_nb(monkeypatch):
    real_import = builtins.__import__

    def no_myst(name, *args, **kwargs):
        if name == "myst_nb":
            raise ImportError("not installed, as in Colab")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_myst)
    assert notebook.glue("anything", 1.0) is None


def test_best_times_returns_the_fastest_call_and_interleaves_rounds():
    order = []
    durations = iter([0.0, 0.02, 0.001, 0.02])  # "a": warm-up, then slow, fast, slow

    def a():
        order.append("a")
        time.sleep(next(durations))

    def b():
        order.append("b")

    best = timing.best_times({"a": a, "b": b}, repeats=3, rounds=1)
    assert 0.001 <= best["a"] < 0.005
    assert best["b"] < best["a"]
    assert order == ["a"] * 4 + ["b"] * 4  # one warm-up call each, then 3 timed calls

    order.clear()
    timing.best_times({"a": lambda: order.append("a"), "b": lambda: order.append("b")}, repeats={"a": 1, "b": 2}, rounds=2)
    assert order == ["a", "a", "b", "b", "b"] * 2


def test_best_time_runs_longer_for_short_calls_when_asked():
    calls = []
    timing.best_time(lambda: calls.append(1), repeats=2, rounds=1, min_round_s=0.001)
    assert len(calls) > 3  # warm-up + at least 2, and more to fill the round
    assert len(calls) <= 1 + 200
