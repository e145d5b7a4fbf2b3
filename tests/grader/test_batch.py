"""A batch (dsconv_grader.batch): results in the jobs' order, each handed on as soon as it comes back."""

from __future__ import annotations

import pytest

pytest.importorskip("nbgrader")

from dsconv_grader.batch import run_jobs  # noqa: E402
from dsconv_grader.job import Job, Result  # noqa: E402


def a_job(student: str) -> Job:
    return Job(student, "ex01", "ex01.ipynb", f"{student}.ipynb", b"{}", b"", {})


class FinishingBackwards:
    """An engine whose jobs finish last first; it records what had been handed on when each one finished."""

    def __init__(self, handed_on: list[str]) -> None:
        self.handed_on, self.seen_at_each_finish = handed_on, []

    def run(self, jobs):
        for index in reversed(range(len(jobs))):
            self.seen_at_each_finish.append(list(self.handed_on))
            yield index, Result(jobs[index].student_id, "ex01", jobs[index].original, status="graded")


def test_each_result_is_handed_on_as_it_comes_back_and_the_list_keeps_the_jobs_order():
    handed_on: list[str] = []
    engine = FinishingBackwards(handed_on)
    jobs = [a_job(student) for student in ("ann", "ben", "cat")]
    results = run_jobs(jobs, engine, report=lambda *args: None, on_result=lambda r: handed_on.append(r.student_id))
    assert [r.student_id for r in results] == ["ann", "ben", "cat"]
    assert handed_on == ["cat", "ben", "ann"]
    assert engine.seen_at_each_finish == [[], ["cat"], ["cat", "ben"]]  # before the batch ended, not after
