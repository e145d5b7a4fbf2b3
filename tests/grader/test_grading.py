"""The grading pipeline end to end: `dsconv-course generate/validate/grade` on the real nbgrader path.

One batch of submissions, named as an LMS hands them out, holds a correct
solution, one re-saved by Colab, mechanically wrong ones (off-by-one, transposed
axes, a swapped operator, a call to the library), and broken ones (a syntax
error, an infinite loop, a memory hog, a deleted and an edited test cell,
invalid JSON, a misnamed file). It is graded once (module fixture) with a short
cell timeout and a small memory limit; the tests read grades.csv and the summary.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import grading_support as support
import pytest
from notebooks import code_cells
from grading_support import (
    colab_resave,
    course_command,
    delete_cell,
    edit_cell,
    grade_id,
    load,
    read_grades,
    source,
    write_batch,
)

SOLUTION = support.solution_path("ex01")
RELEASE = support.release_path("ex01")
FULL = 13.0
TIMEOUT_S = 3

pytestmark = pytest.mark.grading
pytest.importorskip("nbgrader")


def student_notebook(replace: dict[str, str] | None = None, edit=None) -> dict:
    return support.student_notebook("ex01", replace, edit)


def swap(cell_id: str, old: str, new: str) -> dict[str, str]:
    return support.swap("ex01", cell_id, old, new)


ZEROS_CONV2D = (
    "def conv2d(x, weight, bias=None, stride=1, padding=0):\n"
    "    return np.zeros((x.shape[0], weight.shape[0], output_size(x.shape[2], weight.shape[2], stride, padding),\n"
    "                     output_size(x.shape[3], weight.shape[3], stride, padding)))\n"
)
CHEAT_CONV2D = (
    "from dsconv_lib import reference\n\n"
    "def conv2d(x, weight, bias=None, stride=1, padding=0):\n"
    "    return reference.conv2d(x, weight, bias, stride=stride, padding=padding)\n"
)

# student id -> (file name in the batch, notebook JSON or raw text)
BATCH = {
    "alice": ("alice_ex01.ipynb", lambda: student_notebook()),
    "bob": ("bob/Copy of ex01.ipynb", lambda: student_notebook(edit=colab_resave)),
    "carol": ("carol_ex01 (1).ipynb", lambda: student_notebook(swap(
        "output_size", "- effective_kernel) // stride + 1", "- effective_kernel + 1) // stride + 1"))),
    "dave": ("dave-ex01.ipynb", lambda: student_notebook(swap(
        "conv2d", "w_out = output_size(x.shape[3], weight.shape[3]", "w_out = output_size(x.shape[2], weight.shape[2]"))),
    "erin": ("erin_ex01.ipynb", lambda: student_notebook(swap("conv_cost", "(c_out * h_out * w_out) * (c_in * k * k)",
                                                              "(c_out * h_out * w_out) * (c_in + k * k)"))),
    "frank": ("frank_ex01.ipynb", lambda: student_notebook({"conv_cost": "def conv_params(c_in, c_out, k, bias=True:\n    return 0\n"})),
    "grace": ("grace_ex01.ipynb", lambda: student_notebook({"answers": "answer_q1 = 16\nwhile True:\n    pass\n"})),
    "heidi": ("heidi_ex01.ipynb", lambda: student_notebook(edit=delete_cell("test_conv2d"))),
    "ivan": ("ivan_ex01.ipynb", lambda: student_notebook({"conv2d": ZEROS_CONV2D}, edit=edit_cell("test_conv2d", "pass\n"))),
    "judy": ("judy_ex01.ipynb", lambda: json.dumps(student_notebook())[:5000]),
    "ken": ("ken_ex01.ipynb", lambda: student_notebook({"conv2d": CHEAT_CONV2D})),
    "leo": ("leo_ex01.ipynb", lambda: load(RELEASE)),
    "mallory": ("mallory_ex01.ipynb", lambda: student_notebook(
        {"answers": "answer_q1 = 16\nanswer_q2 = 'a'\nhog = np.ones(400_000_000)\n"})),
    "misnamed": ("homework_final.ipynb", lambda: student_notebook()),
}


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    batch = tmp_path_factory.mktemp("submissions")
    write_batch(BATCH, batch)
    before = digest(batch)
    out = tmp_path_factory.mktemp("graded")
    started = time.perf_counter()
    result = course_command("grade", str(batch), "--out", str(out), "--timeout", str(TIMEOUT_S), "--memory-mb", "1536")
    elapsed = time.perf_counter() - started
    assert result.returncode == 0, result.stdout + result.stderr
    rows = read_grades(out)
    return {"batch": batch, "out": out, "before": before, "rows": rows, "stdout": result.stdout,
            "stderr": result.stderr, "elapsed": elapsed}


def row(graded, student: str) -> dict:
    matches = [r for r in graded["rows"] if r["student_id"] == student]
    assert len(matches) == 1, (student, graded["rows"])
    return matches[0]


def test_exercises_are_generated_from_solutions():
    result = course_command("generate", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_validate_solution_full_marks_blank_zero():
    result = course_command("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "solutions/ex01/ex01.ipynb: 13.0 / 13.0" in result.stdout
    assert "exercises/ex01/ex01.ipynb: 0.0 / 13.0" in result.stdout
    print(result.stdout)


def test_release_has_no_solutions_or_hidden_tests_and_a_locked_install_cell():
    text = RELEASE.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "answer_q1 = 16" not in text
    first_code = code_cells(load(RELEASE))[0]
    assert source(first_code).strip() == (
        'try:\n    import dsconv_lib\nexcept ImportError:\n'
        '    %pip install -q "git+https://github.com/dsconv-course/dsconv-course"')
    assert first_code["metadata"]["nbgrader"]["locked"] is True
    assert first_code["metadata"]["editable"] is False


def test_correct_solutions_score_full_marks(graded):
    for student in ("alice", "bob", "heidi"):
        r = row(graded, student)
        assert r["status"] == "graded", r
        assert (float(r["score"]), float(r["max_score"])) == (FULL, FULL), r
    assert (graded["out"] / "feedback" / "alice" / "ex01" / "ex01.html").is_file()


def test_blank_scores_zero(graded):
    assert float(row(graded, "leo")["score"]) == 0


@pytest.mark.parametrize("student, cell", [
    ("carol", "test_output_size"),   # off by one in the output size
    ("dave", "test_conv2d"),         # transposed axes: passes the visible (square) cases, not the hidden ones
    ("erin", "test_conv_macs"),      # a swapped operator
    ("ken", "test_conv2d"),          # calls the library instead of implementing it
])
def test_wrong_solutions_lose_the_points_of_their_part(graded, student, cell):
    r = row(graded, student)
    assert r["status"] == "graded" and float(r[cell]) == 0, r
    assert 0 < float(r["score"]) < FULL


def test_transposed_axes_pass_the_visible_tests(graded):
    autograded = graded["out"] / "course" / "autograded" / "dave" / "ex01" / "ex01.ipynb"
    cell = next(c for c in load(autograded)["cells"] if grade_id(c) == "test_conv2d")
    text = json.dumps(cell["outputs"])
    assert "the visible cases pass" in text and "hidden random" in text


def test_broken_notebooks_are_reported_and_the_rest_graded(graded):
    assert "syntax" in row(graded, "frank")["problems"].lower() or "SyntaxError" in row(graded, "frank")["problems"]
    assert float(row(graded, "frank")["score"]) < FULL
    grace = row(graded, "grace")
    assert "time limit" in grace["problems"] and float(grace["test_q1"]) == 1 and float(grace["test_q2"]) == 0
    assert "'test_conv2d' was deleted" in row(graded, "heidi")["problems"]
    ivan = row(graded, "ivan")
    assert "'test_conv2d' was edited" in ivan["problems"] and float(ivan["test_conv2d"]) == 0
    judy = row(graded, "judy")
    assert judy["status"] == "failed" and "invalid JSON" in judy["problems"]
    assert "implement it yourself" in row(graded, "ken")["problems"] or "library convolution" in row(graded, "ken")["problems"]
    mallory = row(graded, "mallory")
    assert "out of memory" in mallory["problems"] and float(mallory["test_conv2d"]) == 4
    misnamed = [r for r in graded["rows"] if r["file"] == "homework_final.ipynb"]
    assert misnamed and "misnamed" in misnamed[0]["problems"]
    for expected in ("FAILED judy_ex01.ipynb", "SKIPPED homework_final.ipynb", "Graded 12 of 13 submissions"):
        assert expected in graded["stdout"], graded["stdout"]


def test_originals_are_unchanged(graded):
    assert digest(graded["batch"]) == graded["before"]


def test_grading_time_per_notebook(graded):
    match = re.search(r"([\d.]+) s per notebook", graded["stdout"])
    assert match, graded["stdout"]
    per_notebook = float(match.group(1))
    print(f"\ngrading: {per_notebook:.2f} s per notebook (batch of {len(BATCH)} files, "
          f"{graded['elapsed']:.1f} s in all, cell timeout {TIMEOUT_S} s)")
    # Target 2 s on a quiet machine; the bound leaves room for a shared one (and grace's timeout).
    assert per_notebook < 6


@pytest.mark.parametrize("name, expected", [
    ("alice_ex01.ipynb", ("alice", "ex01", 0)),
    ("Copy of alice_ex01 (2).ipynb", ("alice", "ex01", 2)),
    ("alice-EX01-standard_convolution.ipynb", ("alice", "ex01", 0)),
    ("bob/Copy of ex01 (1).ipynb", ("bob", "ex01", 1)),
    ("Bob Li_123_assignsubmission_file_/ex01.ipynb", ("Bob_Li_123", "ex01", 0)),
    ("ex01.ipynb", (None, "ex01", 0)),
    ("carol_ex011.ipynb", (None, None, 0)),
    ("homework.ipynb", (None, None, 0)),
])
def test_file_names_map_to_students_and_assignments(name, expected):
    from dsconv_grader.intake import parse_name

    assert parse_name(Path(name), ["ex01", "ex02"]) == expected


def test_collect_reads_a_zip_and_keeps_the_latest_copy(tmp_path):
    import zipfile

    from dsconv_grader.intake import collect

    archive = tmp_path / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("alice_ex01.ipynb", "{}")
        z.writestr("alice_ex01 (1).ipynb", "{}")
        z.writestr("__MACOSX/._alice_ex01.ipynb", "")
        z.writestr("readme.txt", "")
    before = hashlib.sha256(archive.read_bytes()).hexdigest()
    collection = collect(archive, tmp_path / "out", ["ex01"])
    assert [(s.student_id, s.original) for s in collection.submissions] == [("alice", "alice_ex01 (1).ipynb")]
    assert {p for p, _ in collection.problems} == {"alice_ex01.ipynb", "readme.txt"}
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == before


def test_importing_the_grader_or_the_checks_does_not_import_nbgrader_or_torch():
    code = ("import sys, dsconv_grader, dsconv_grader.execution.kernel, dsconv_lib.checks; "
            "print('nbgrader' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_the_library_students_install_holds_nothing_of_the_grader():
    """`pip install "git+<repo>"` builds the root project: dsconv_lib and its subpackages, no grader."""
    import fnmatch
    import tomllib

    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text())
    include = project["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {".".join(init.parent.relative_to(root).parts) for init in root.glob("**/__init__.py")
                if not {".venv", "_build", "tests"} & set(init.parts)}
    built = {p for p in packages if any(fnmatch.fnmatchcase(p, pattern) for pattern in include)}
    assert "dsconv_lib" in built and "grader.dsconv_grader" in packages
    assert all(p == "dsconv_lib" or p.startswith("dsconv_lib.") for p in built), built
    assert "scripts" not in project["project"] and "nbgrader" not in str(project["project"]["dependencies"])
    for module in (root / "dsconv_lib").rglob("*.py"):
        imports = [line for line in module.read_text(encoding="utf-8").splitlines()
                   if line.strip().startswith(("import ", "from "))]
        assert not [line for line in imports if "nbgrader" in line or "dsconv_grader" in line], module
    grader = tomllib.loads((root / "grader" / "pyproject.toml").read_text())
    assert grader["project"]["scripts"] == {"dsconv-course": "dsconv_grader:main"}
    assert "-e ./grader" in (root / "requirements.txt").read_text().splitlines()
