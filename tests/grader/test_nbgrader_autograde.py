"""nbgrader's own commands with this repository's nbgrader_config.py run the same pipeline as `dsconv-course grade`.

An instructor who grades with `nbgrader autograde` and `nbgrader generate_feedback` (or formgrader, which runs
them) in a course directory holding this configuration gets the two-process step and the feedback step: a
notebook that patches the check helpers in its own kernel scores what the blank scores, a correct one full
marks, and the feedback shows no hidden test.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import grading_support as support
import pytest

pytestmark = pytest.mark.grading
pytest.importorskip("nbgrader")

PATCH_CHECKS = ("import dsconv_lib.checks as c\n"
                "for name in ('check_array', 'check_close', 'check_choice', 'check_function_cases'):\n"
                "    c.__dict__[name].__code__ = (lambda *a, **k: None).__code__\n"
                "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])\n")


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    course = tmp_path_factory.mktemp("nbgrader-course")
    shutil.copy(support.ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(support.ROOT / "solutions" / "ex01", course / "solutions" / "ex01")
    nbgrader(course, "generate_assignment", "ex01", "--force")
    blank = support.load(course / "exercises" / "ex01" / "ex01.ipynb")
    for cell in blank["cells"]:
        if support.grade_id(cell) == "answers":
            cell["source"] = PATCH_CHECKS
    spy = support.student_notebook("ex01", {"answers": (
        f"import os\nprint('env:', sorted(os.environ))\ntext = open({str(course / 'solutions' / 'ex01' / 'ex01.ipynb')!r}).read()\n")})
    for student, notebook in (("alice", support.student_notebook("ex01")), ("mallory", blank), ("eve", spy)):
        target = course / "submitted" / student / "ex01" / "ex01.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(notebook), encoding="utf-8")
    os.environ["DSCONV_INSTRUCTOR_SECRET"] = "token-in-the-graders-environment"
    try:
        nbgrader(course, "autograde", "ex01", "--force")
    finally:
        del os.environ["DSCONV_INSTRUCTOR_SECRET"]
    nbgrader(course, "generate_feedback", "ex01", "--force")
    return course


def scores(course: Path) -> dict[str, float]:
    """{student: score} from the gradebook nbgrader wrote."""
    with sqlite3.connect(course / "gradebook.db") as db:
        rows = db.execute("SELECT student.id, SUM(COALESCE(grade.manual_score, grade.auto_score)) FROM grade "
                          "JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id "
                          "JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id "
                          "JOIN student ON submitted_assignment.student_id = student.id GROUP BY student.id").fetchall()
    return {student: score for student, score in rows}


def test_nbgrader_autograde_runs_the_tests_where_the_students_code_cannot_reach(course):
    assert scores(course) == {"alice": 13.0, "mallory": 0.0, "eve": 11.0}  # eve's answers cell failed: q1, q2


def test_nbgrader_autograde_confines_the_students_kernel(course):
    """Eve's cell could neither read the solution on disk nor see the grader's environment."""
    notebook = support.load(course / "autograded" / "eve" / "ex01" / "ex01.ipynb")
    answers = next(c for c in notebook["cells"] if support.grade_id(c) == "answers")
    text = json.dumps(answers["outputs"])
    assert "PermissionError" in text and "env:" in text, text[-2000:]
    assert "DSCONV_INSTRUCTOR_SECRET" not in text


def test_nbgrader_generate_feedback_hides_the_hidden_tests(course):
    page = (course / "feedback" / "mallory" / "ex01" / "ex01.html").read_text(encoding="utf-8")
    assert "HIDDEN TESTS" not in page and "_rng = np.random.default_rng(101)" not in page
    assert "not implemented yet" in page  # what the tests said of the blank answers
