"""A class's batch: one job per submission, run on an engine, recorded in the class's gradebook.

    course = Course.create(repo, workdir, assignments)   # workdir/course: source/, release/, gradebook.db
    course.generate(assignment)                           # nbgrader generate_assignment: release + gradebook
    jobs = make_jobs(course, collection)                  # one Job per submission (plain data)
    with GradebookRecorder(course) as gradebook:          # the class's one gradebook
        results = run_jobs(jobs, engine, on_result=gradebook.record)  # serial, local processes or Dask

Each result is written into the gradebook as it comes back, while the engine
grades the others: at the end of a class of 200, that was 8 s of writing alone.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Optional

from .course import Course
from .engines import Engine
from .intake import Collection, Submission
from .job import Job, Result


def make_jobs(course: Course, collection: Collection) -> list[Job]:
    """One Job per collected submission (the course's assignments must be generated)."""
    templates = {a: course.template(a) for a in {s.assignment_id for s in collection.submissions}}
    config = course.plain_config()
    return [Job(s.student_id, s.assignment_id, _notebook_for(s, course.notebooks[s.assignment_id]), s.original,
                s.path.read_bytes(), templates[s.assignment_id], config, course.limits, list(s.notes))
            for s in collection.submissions]


def progress(done: int, total: int, label: str, stream=None) -> None:
    """A one-line progress bar on stderr (redrawn in a terminal, one line per step otherwise)."""
    stream = stream or sys.stderr
    width = 30
    filled = width * done // max(total, 1)
    line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label}"
    if stream.isatty():
        stream.write("\r" + line.ljust(79)[:79] + ("\n" if done == total else ""))
    else:
        stream.write(line + "\n")
    stream.flush()


def run_jobs(jobs: list[Job], engine: Engine, report: Callable[[int, int, str], None] = progress,
             on_result: Optional[Callable[[Result], None]] = None) -> list[Result]:
    """Grade every job on `engine`; results in the jobs' order, whatever order they finish in. `on_result` is
    called with each result as it comes back (in the order they finish), while the engine grades the rest."""
    results: list[Optional[Result]] = [None] * len(jobs)
    done = 0
    report(0, len(jobs), "starting")
    for index, result in engine.run(jobs):
        results[index] = result
        if on_result is not None:
            on_result(result)
        done += 1
        report(done, len(jobs), f"{result.student_id} {result.assignment_id}")
    return [r if r is not None else Result(j.student_id, j.assignment_id, j.original,
                                           problems=["the grading engine returned no result"])
            for j, r in zip(jobs, results)]


class GradebookRecorder:
    """Writes graded results into the course's gradebook (one per class), each with its per-cell scores.

        with GradebookRecorder(course) as gradebook:
            gradebook.record(result)

    The gradebook is opened at the first result, so that worker processes an engine forks before then do
    not inherit its connection.
    """

    def __init__(self, course: Course) -> None:
        self.course = course
        self._gradebook = None

    def __enter__(self) -> "GradebookRecorder":
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._gradebook is not None:
            self._gradebook.close()
            self._gradebook = None

    def record(self, result: Result) -> None:
        """Replace the student's submission of the assignment by this result (a result not graded: nothing)."""
        if result.status != "graded":
            return
        if self._gradebook is None:
            from nbgrader.api import Gradebook

            self._gradebook = Gradebook(self.course.coursedir.db_url)
        gradebook = self._gradebook
        gradebook.update_or_create_student(result.student_id)
        try:
            gradebook.remove_submission(result.assignment_id, result.student_id)
        except Exception:  # none yet
            pass
        gradebook.add_submission(result.assignment_id, result.student_id)
        notebook = Path(result.notebook).stem
        for cell, score in result.cells.items():
            grade = gradebook.find_grade(cell, notebook, result.assignment_id, result.student_id)
            grade.auto_score = score
        gradebook.db.commit()


def _notebook_for(submission: Submission, notebooks: list[str]) -> str:
    if len(notebooks) == 1:
        return notebooks[0]
    name = Path(submission.original).name.lower()
    matches = [n for n in notebooks if Path(n).stem.lower() in name]
    return max(matches, key=len) if matches else notebooks[0]

