"""Helpers for the grading tests: build student notebooks from the solutions, grade a batch.

A "student notebook" is the released exercise with the instructor's solution
filled in, then some answer cells replaced (a mechanically wrong variant, a
correct one written another way) or the notebook edited (as Colab re-saves it,
with a test cell deleted, ...). `grade_batch` grades such notebooks with the
real instructor command, `python -m dsconv_lib.course grade`.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Callable, Optional, Union

ROOT = Path(__file__).resolve().parent.parent


def course_command(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dsconv_lib.course", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def grade_id(cell: dict) -> Optional[str]:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


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


def write_batch(batch: dict[str, tuple[str, Callable[[], Union[dict, str]]]], folder: Path) -> None:
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


def grade_batch(batch: dict[str, tuple[str, Callable[[], Union[dict, str]]]], submissions: Path, out: Path,
                *options: str) -> tuple[subprocess.CompletedProcess, list[dict[str, str]]]:
    """Write `batch` under `submissions`, grade that folder into `out`: the command's result and grades.csv."""
    write_batch(batch, submissions)
    result = course_command("grade", str(submissions), "--out", str(out), *options)
    assert result.returncode == 0, result.stdout + result.stderr
    return result, read_grades(out)
