"""What an instructor reads after a batch: grades.csv, the feedback files, the executed notebooks, a summary."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Optional

from ..intake import Collection
from ..job import Result


def write_outputs(results: list[Result], collection: Collection, out: Path) -> Path:
    """grades.csv (one row per graded file and per file that could not be), feedback/<student>/<assignment>/,
    and the executed notebooks where nbgrader keeps them (course/autograded/<student>/<assignment>/)."""
    for folder in (out / "feedback", out / "course" / "autograded"):
        if folder.exists():
            shutil.rmtree(folder)
    for result in results:
        if result.feedback_html is not None:
            target = out / "feedback" / result.student_id / result.assignment_id / (Path(result.notebook).stem + ".html")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(result.feedback_html, encoding="utf-8")
        if result.autograded is not None:
            target = out / "course" / "autograded" / result.student_id / result.assignment_id / result.notebook
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(result.autograded, encoding="utf-8")
    cell_ids = sorted({cell for r in results for cell in r.cells})
    path = out / "grades.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "assignment_id", "status", "score", "max_score", "percent",
                         *cell_ids, "file", "problems"])
        for r in results:
            percent = "" if r.score is None or not r.max_score else f"{100 * r.score / r.max_score:.1f}"
            writer.writerow([r.student_id, r.assignment_id, r.status, _number(r.score), _number(r.max_score),
                             percent, *(_number(r.cells.get(c)) for c in cell_ids), r.original,
                             "; ".join(r.problems)])
        for file, problem in collection.problems:
            writer.writerow(["", "", "not graded", "", "", "", *("" for _ in cell_ids), file, problem])
    return path


def _number(value: Optional[float]) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def summary(results: list[Result], collection: Collection, elapsed: float) -> str:
    graded = [r for r in results if r.status == "graded"]
    failed = [r for r in results if r.status != "graded"]
    students = {r.student_id for r in graded}
    lines = [f"Graded {len(graded)} of {len(results)} submissions ({len(students)} students) "
             f"in {elapsed:.1f} s"
             + (f", {sum(r.seconds for r in results) / len(results):.2f} s per notebook" if results else "")]
    for r in graded:
        lines.append(f"  {r.student_id:20} {r.assignment_id:8} {_number(r.score):>5} / {_number(r.max_score)}"
                     + (f"   ({'; '.join(r.problems)})" if r.problems else ""))
    if failed or collection.problems:
        lines.append(f"Not graded or with problems: {len(failed)} failed, {len(collection.problems)} files skipped")
        for r in failed:
            lines.append(f"  FAILED {r.original}: {'; '.join(r.problems)}")
        for file, problem in collection.problems:
            lines.append(f"  SKIPPED {file}: {problem}")
    return "\n".join(lines)
