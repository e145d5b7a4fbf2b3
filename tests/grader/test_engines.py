"""The same class graded serially, on local worker processes and on a local Dask cluster.

Each engine runs the same per-student job, so the three runs must write the
same grades.csv, fill one gradebook with every student, and draw a progress
bar. The batch is small (a solution, a blank, a wrong answer, a broken file,
an infinite loop and a rebound check function) but has every kind of outcome.
"""

from __future__ import annotations

import grading_support as support
import pytest
from grading_support import grade_batch

pytestmark = pytest.mark.grading
pytest.importorskip("nbgrader")

ASSIGNMENT = "ex01"
BATCH = {
    "solution": ("alice_ex01.ipynb", lambda: support.student_notebook(ASSIGNMENT)),
    "blank": ("bob_ex01.ipynb", lambda: support.load(support.release_path(ASSIGNMENT))),
    "wrong": ("carol_ex01.ipynb", lambda: support.student_notebook(
        ASSIGNMENT, support.swap(ASSIGNMENT, "conv_cost", "c_out * c_in * k * k +", "c_out * c_in * k +"))),
    "broken": ("dave_ex01.ipynb", lambda: '{"cells": ['),
    "loop": ("erin_ex01.ipynb", lambda: support.student_notebook(ASSIGNMENT, {"output_size": "while True:\n    pass\n"})),
    "rebinds": ("frank_ex01.ipynb", lambda: support.student_notebook(
        ASSIGNMENT, {"answers": "check_close = lambda *args, **kwargs: None\nanswer_q1 = 0\nanswer_q2 = 'x'\n"})),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple]:
    submissions = tmp_path_factory.mktemp("submissions")
    results = {}
    for name, options in {"serial": ("--jobs", "1"), "processes": ("--jobs", "2"),
                          "dask": ("--dask", "local", "--jobs", "2")}.items():
        out = tmp_path_factory.mktemp(f"graded-{name}")
        result, rows = grade_batch(BATCH, submissions, out, "--timeout", "5", *options)
        results[name] = (result, rows, out)
    return results


def comparable(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items()} for row in rows]


@pytest.mark.parametrize("engine", ["processes", "dask"])
def test_engine_grades_like_a_serial_run(runs, engine):
    serial_rows = comparable(runs["serial"][1])
    assert comparable(runs[engine][1]) == serial_rows, (
        f"{engine} wrote other grades than the serial run:\n{runs[engine][1]}\nvs\n{serial_rows}")


def test_serial_run_grades_each_outcome(runs):
    rows = {row["file"]: row for row in runs["serial"][1]}
    assert rows["alice_ex01.ipynb"]["percent"] == "100.0", rows["alice_ex01.ipynb"]
    assert rows["bob_ex01.ipynb"]["score"] == "0"
    assert 0 < float(rows["carol_ex01.ipynb"]["score"]) < float(rows["carol_ex01.ipynb"]["max_score"])
    assert rows["dave_ex01.ipynb"]["status"] == "failed" and "invalid JSON" in rows["dave_ex01.ipynb"]["problems"]
    assert "time limit" in rows["erin_ex01.ipynb"]["problems"]
    # check_close rebound in the student's own kernel: the tests, in the trusted one, still judge the answers
    assert rows["frank_ex01.ipynb"]["test_q1"] == rows["frank_ex01.ipynb"]["test_q2"] == "0"
    assert rows["frank_ex01.ipynb"]["test_conv2d"] == "4", rows["frank_ex01.ipynb"]


@pytest.mark.parametrize("engine", ["serial", "processes", "dask"])
def test_one_gradebook_holds_every_graded_student(runs, engine):
    from nbgrader.api import Gradebook

    result, rows, out = runs[engine]
    graded = {row["student_id"]: float(row["score"]) for row in rows if row["status"] == "graded"}
    with Gradebook(f"sqlite:///{out / 'course' / 'gradebook.db'}") as gradebook:
        scores = {s.student.id: s.score for s in gradebook.assignment_submissions(ASSIGNMENT)}
    assert scores == graded


@pytest.mark.parametrize("engine", ["serial", "processes", "dask"])
def test_progress_bar_counts_every_submission(runs, engine):
    result = runs[engine][0]
    assert f"] {len(BATCH)}/{len(BATCH)}" in result.stderr, result.stderr[-2000:]
