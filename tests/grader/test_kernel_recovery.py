"""A kernel that dies in one cell costs that cell, not the notebook (dsconv_grader.execution.execute).

Student code can crash the kernel without anything the policy refuses: a
view made with `as_strided` that points far outside its array segfaults when
read. nbgrader alone would fail the whole notebook; the grader marks the
cell, restarts the kernel, replays the cells before it and goes on. After
three deaths the rest of the notebook is not run.
"""

from __future__ import annotations

import grading_support as support
import pytest
from grading_support import grade_batch

pytestmark = pytest.mark.grading
pytest.importorskip("nbgrader")

CRASH = ("from numpy.lib.stride_tricks import as_strided\n"
         "far = as_strided(np.zeros(1), shape=(10**6,), strides=(10**7,))\n"
         "print(far.sum())\n")
CRASH_WHEN_CALLED = ("from numpy.lib.stride_tricks import as_strided\n\n"
                     "def pointwise_conv2d(x, weight, bias=None):\n"
                     "    return as_strided(np.zeros(1), shape=(10**6,), strides=(10**7,)).sum()\n")
ANSWER_CELLS = ("pointwise_conv2d", "pointwise_macs", "compose_pointwise", "answers")


def solution_with(replace: dict[str, str]):
    return lambda: support.student_notebook("ex05", replace)


BATCH = {
    "alice": ("alice_ex05.ipynb", solution_with({})),
    "bob": ("bob_ex05.ipynb", solution_with({"answers": CRASH})),
    "carol": ("carol_ex05.ipynb", solution_with({"pointwise_conv2d": CRASH_WHEN_CALLED})),
    "dave": ("dave_ex05.ipynb", solution_with({cell: CRASH for cell in ANSWER_CELLS})),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    return grade_batch(BATCH, tmp_path_factory.mktemp("submissions-crash"),
                       tmp_path_factory.mktemp("graded-crash"), "--timeout", "30", "--jobs", "2")


@pytest.fixture(scope="module")
def rows(graded):
    return {row["student_id"]: row for row in graded[1]}


def cell_scores(row: dict[str, str]) -> dict[str, float]:
    return {cell: float(row[cell]) for cell in row if cell.startswith("test_") and row[cell] != ""}


def test_a_crash_in_one_answer_cell_costs_only_what_depends_on_it(rows):
    full, bob = cell_scores(rows["alice"]), cell_scores(rows["bob"])
    assert rows["bob"]["status"] == "graded", rows["bob"]
    assert bob == {**full, "test_q1": 0.0, "test_q2": 0.0}, (bob, full)
    assert ("the kernel died in cell 'answers': it crashed or was killed running this cell; the cells before it "
            "were run again in a new kernel") in rows["bob"]["problems"], rows["bob"]


def test_a_function_that_crashes_when_called_costs_the_tests_that_call_it(rows):
    carol = cell_scores(rows["carol"])
    assert rows["carol"]["status"] == "graded", rows["carol"]
    assert carol["test_pointwise_conv2d"] == 0.0, carol
    # the cells after the crash ran in a new kernel that had the earlier answers again
    assert carol["test_pointwise_macs"] == cell_scores(rows["alice"])["test_pointwise_macs"] > 0, carol
    assert carol["test_q1"] == carol["test_q2"] == 1.0, carol
    assert "the kernel died in cell 'test_pointwise_conv2d'" in rows["carol"]["problems"], rows["carol"]


def test_after_three_restarts_the_rest_is_not_run(rows):
    dave = rows["dave"]
    assert dave["status"] == "graded" and float(dave["score"]) == 0.0, dave
    assert dave["problems"].count("the kernel died in cell") == 4, dave["problems"]
    assert dave["problems"].count("were run again in a new kernel") == 3, dave["problems"]
    assert "the kernel died in cell 'answers': it crashed or was killed running this cell; it is not restarted again" \
        in dave["problems"], dave["problems"]
    assert "cell 'test_q1' was not run: the kernel had died too many times" in dave["problems"], dave["problems"]


def test_restarts_and_shutdowns_print_no_tracebacks(graded):
    """The confined kernels (restarted ones included) start and stop without noise on the instructor's terminal."""
    result, _ = graded
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
