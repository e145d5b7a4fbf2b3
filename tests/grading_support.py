"""Helpers for the grading tests: build student notebooks from the solutions, grade a batch.

A "student notebook" is the released exercise with the instructor's solution
filled in, then some answer cells replaced (a mechanically wrong variant, a
correct one written another way) or the notebook edited (as Colab re-saves it,
with a test cell deleted, ...). `grade_batch` grades such notebooks with the
real instructor command, `python -m dsconv_grader grade`.

The test files of the exercises share `Assignment` (one exercise's notebooks,
grading a batch, reading a graded cell's output), `Graded` (a graded batch) and
the checks on a grades.csv row or a release (`check_full_marks`,
`check_lost_only`, `check_release`). These are not test modules: pytest does not
rewrite their asserts, so each assert carries its own message.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Union

import pytest
from notebooks import code_cells, grade_id, load, source  # noqa: F401  (re-exported for the test modules)

ROOT = Path(__file__).resolve().parent.parent

# student id (or any key) -> (file name in the submissions folder, a factory of the notebook: JSON or raw text)
Batch = dict[str, tuple[str, Callable[[], Union[dict, str]]]]


def course_command(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dsconv_grader", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)




def solution_path(assignment: str) -> Path:
    return ROOT / "solutions" / assignment / f"{assignment}.ipynb"


def release_path(assignment: str) -> Path:
    return ROOT / "exercises" / assignment / f"{assignment}.ipynb"


def solution_sources(assignment: str) -> dict[str, str]:
    """The answer cells of the instructor notebook, as a student would write them (no markers)."""
    result = {}
    for cell in load(solution_path(assignment))["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            result[meta["grade_id"]] = re.sub(r"^\s*### (BEGIN|END) SOLUTION\n", "", source(cell), flags=re.MULTILINE)
    return result


def student_notebook(assignment: str, replace: Optional[dict[str, str]] = None,
                     edit: Optional[Callable[[dict], None]] = None) -> dict:
    """The released notebook with the solution filled in, then `replace` {grade id: new source} applied."""
    notebook = load(release_path(assignment))
    answers = {**solution_sources(assignment), **(replace or {})}
    for cell in notebook["cells"]:
        if grade_id(cell) in answers:
            cell["source"] = answers[grade_id(cell)]
    if edit:
        edit(notebook)
    return notebook


def swap(assignment: str, cell_id: str, old: str, new: str) -> dict[str, str]:
    """{cell_id: the solution's source with `old` replaced by `new`}: a one-edit wrong answer."""
    text = solution_sources(assignment)[cell_id]
    assert old in text, f"{old!r} not in the solution of {assignment}/{cell_id}"
    return {cell_id: text.replace(old, new)}


def colab_resave(notebook: dict) -> None:
    """What Colab does to a notebook it saves: its metadata, its own cell ids, nbformat 4.0."""
    notebook["nbformat_minor"] = 0
    notebook["metadata"] = {"colab": {"provenance": [], "toc_visible": True},
                            "kernelspec": {"name": "python3", "display_name": "Python 3"},
                            "language_info": {"name": "python"}}
    for index, cell in enumerate(notebook["cells"]):
        cell.pop("id", None)
        cell["metadata"]["id"] = f"c0lab{index:04d}Xy"
        if cell["cell_type"] == "code":
            cell["metadata"]["colab"] = {"base_uri": "https://localhost:8080/"}
            cell["metadata"]["outputId"] = f"out{index}"
            cell["execution_count"] = index
            cell["source"] = source(cell).splitlines(keepends=True)


def delete_cell(cell_id: str) -> Callable[[dict], None]:
    def edit(notebook: dict) -> None:
        notebook["cells"] = [c for c in notebook["cells"] if grade_id(c) != cell_id]
    return edit


def edit_cell(cell_id: str, new_source: str) -> Callable[[dict], None]:
    def edit(notebook: dict) -> None:
        for cell in notebook["cells"]:
            if grade_id(cell) == cell_id:
                cell["source"] = new_source
    return edit


def write_batch(batch: Batch, folder: Path) -> None:
    """Write each (file name, notebook factory) of `batch` under `folder`.

    A factory may return a notebook (written as JSON) or a string (written as is, e.g. broken JSON).
    """
    for name, make in batch.values():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        content = make()
        path.write_text(content if isinstance(content, str) else json.dumps(content, indent=1), encoding="utf-8")


def read_grades(out: Path) -> list[dict[str, str]]:
    """The rows of the grades.csv that `dsconv-course grade --out out` wrote."""
    with (out / "grades.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def grade_batch(batch: Batch, submissions: Path, out: Path,
                *options: str) -> tuple[subprocess.CompletedProcess, list[dict[str, str]]]:
    """Write `batch` under `submissions`, grade that folder into `out`: the command's result and grades.csv."""
    write_batch(batch, submissions)
    result = course_command("grade", str(submissions), "--out", str(out), *options)
    assert result.returncode == 0, result.stdout + result.stderr
    return result, read_grades(out)


# The first code cell of every released exercise: installs the course library where it is missing (Colab).
INSTALL_CELL = ('try:\n    import dsconv_lib\nexcept ImportError:\n'
                '    %pip install -q "git+https://github.com/dsconv-course/dsconv-course"')


@dataclass(frozen=True)
class Graded:
    """A graded batch: the `--out` folder, the grades.csv rows by student id, the command's stdout."""

    out: Path
    rows: dict[str, dict[str, str]]
    stdout: str


def grade(batch: Batch, tmp_path_factory: pytest.TempPathFactory, *options: str, label: str = "") -> Graded:
    """Grade `batch` with `options` in fresh temporary folders ("submissions-<label>", "graded-<label>")."""
    suffix = f"-{label}" if label else ""
    out = tmp_path_factory.mktemp(f"graded{suffix}")
    result, grades = grade_batch(batch, tmp_path_factory.mktemp(f"submissions{suffix}"), out, *options)
    return Graded(out=out, rows={r["student_id"]: r for r in grades}, stdout=result.stdout)


@dataclass(frozen=True)
class Assignment:
    """One exercise, e.g. Assignment("ex06"): its notebooks, student variants of them, its graded output."""

    name: str

    @property
    def solution(self) -> Path:
        return solution_path(self.name)

    @property
    def release(self) -> Path:
        return release_path(self.name)

    def student_notebook(self, replace: Optional[dict[str, str]] = None,
                         edit: Optional[Callable[[dict], None]] = None) -> dict:
        """The release with the solution filled in, then `replace` and `edit` applied (see `student_notebook`)."""
        return student_notebook(self.name, replace, edit)

    def swap(self, cell_id: str, old: str, new: str) -> dict[str, str]:
        """{cell_id: the solution's source with `old` replaced by `new`} (see `swap`)."""
        return swap(self.name, cell_id, old, new)

    def grade(self, batch: Batch, tmp_path_factory: pytest.TempPathFactory, *options: str) -> Graded:
        """Grade `batch` (student id -> (file name, notebook factory)) with the command-line `options`."""
        return grade(batch, tmp_path_factory, *options, label=self.name)

    def cell_output(self, graded: Graded, student: str, cell_id: str) -> str:
        """The outputs of cell `cell_id` in `student`'s autograded notebook, as JSON text."""
        autograded = graded.out / "course" / "autograded" / student / self.name / f"{self.name}.ipynb"
        cell = next(c for c in load(autograded)["cells"] if grade_id(c) == cell_id)
        return json.dumps(cell["outputs"])


def lost_cells(row: dict[str, str]) -> set[str]:
    """The test cells of a grades.csv row that scored zero (an empty entry, e.g. a cell the notebook lacks, is not)."""
    return {cell for cell in row if cell.startswith("test_") and row[cell] != "" and float(row[cell]) == 0}


def check_full_marks(row: dict[str, str], full: float) -> None:
    """Assert that a grades.csv row is graded, with `full` points out of `full`."""
    assert (row["status"], float(row["score"]), float(row["max_score"])) == ("graded", full, full), row


def check_lost_only(row: dict[str, str], full: float, lost: set[str]) -> None:
    """Assert that a grades.csv row is graded, keeps some but not all of `full`, and scores zero in `lost` only."""
    assert row["status"] == "graded", row
    assert 0 < float(row["score"]) < full, row
    assert lost_cells(row) == lost, (lost_cells(row), row)


def check_release(assignment: Assignment, full: float, absent: list[str]) -> None:
    """Assert that the release holds no solution, hidden test nor any string of `absent`, that its first code
    cell is the locked INSTALL_CELL, and that the points of the solution add up to `full`."""
    text = assignment.release.read_text(encoding="utf-8")
    for needle in ["BEGIN SOLUTION", "HIDDEN TESTS", *absent]:
        assert needle not in text, f"{needle!r} in {assignment.release}"
    first_code = code_cells(load(assignment.release))[0]
    assert source(first_code).strip() == INSTALL_CELL, source(first_code)
    assert first_code["metadata"]["nbgrader"]["locked"] is True, first_code["metadata"]
    points = sum(c["metadata"].get("nbgrader", {}).get("points", 0) for c in load(assignment.solution)["cells"])
    assert points == full, (points, full)
