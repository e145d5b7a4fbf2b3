"""The grading pipeline on nbgrader's Python API, in a course directory it builds itself.

    course = Course(repo, workdir, ...)     # workdir/course: source/ (a copy of solutions/),
                                            # release/, submitted/, autograded/, feedback/, gradebook.db
    course.generate(assignment)             # nbgrader generate_assignment: the release and the gradebook
    grade_batch(course, collection)         # per student: check, autograde, feedback; one at a time

Each student is graded on their own: a notebook that is not JSON, lost its test
cells, loops forever or runs out of memory gives that student a failure or a
lower score and a line in the report, never an aborted batch. Limits: each cell
runs at most `Execute.timeout` seconds (nbgrader interrupts it, the test fails);
the kernel runs under an address-space limit (`dsconv_lib.course.kernel`).
Submissions are read from copies; the originals are never opened for writing.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from .kernel import kernel_spec
from .submissions import Collection, Submission

KERNEL_NAME = "dsconv-grading"
# Error names in a graded cell's output that are the grader's business, not just a failed test.
NOTABLE_ERRORS = {
    "CellTimeoutError": "cell {cell} ran past the time limit ({timeout} s) and was interrupted",
    "ForbiddenCallError": "cell {cell}: called a library convolution where the exercise asks for their own",
    "MemoryError": "cell {cell} ran out of memory (limit {memory} MiB)",
    "DeadKernelError": "the kernel died in cell {cell} (out of memory?)",
}


def find_repository(start: Optional[Path] = None) -> Path:
    """The checkout's root: the first folder upwards from `start` (or the cwd) with nbgrader_config.py and solutions/."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / "solutions").is_dir():
            return folder
    raise FileNotFoundError(
        f"no nbgrader_config.py with a solutions/ folder beside it in {start} or above; "
        "run the command in the dsconv-course checkout, or pass --repo"
    )


def load_config(repo: Path):
    """The repository's nbgrader_config.py as a traitlets Config."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(repo)).load_config()


def assignment_notebooks(repo: Path) -> dict[str, list[str]]:
    """{assignment id: [notebook file names]} from solutions/<assignment>/*.ipynb."""
    result = {}
    for folder in sorted((repo / "solutions").iterdir()):
        notebooks = sorted(p.name for p in folder.glob("*.ipynb"))
        if folder.is_dir() and notebooks:
            result[folder.name] = notebooks
    return result


def limits(repo: Path) -> tuple[int, int]:
    """(cell timeout in s, kernel memory in MiB) from nbgrader_config.py."""
    config = load_config(repo)
    timeout = int(config.Execute.get("timeout", 30))
    memory = int(config.get("DsconvGrading", {}).get("memory_limit_mb", 4096))
    return timeout, memory


class Course:
    """A scratch nbgrader course directory for the assignments of `repo`."""

    def __init__(self, repo: Path, workdir: Path, assignments: list[str], *,
                 timeout: Optional[int] = None, memory_mb: Optional[int] = None) -> None:
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        self.repo = repo
        self.root = workdir / "course"
        default_timeout, default_memory = limits(repo)
        self.timeout = default_timeout if timeout is None else timeout
        self.memory_mb = default_memory if memory_mb is None else memory_mb
        if self.root.exists():
            shutil.rmtree(self.root)
        self.notebooks = {a: assignment_notebooks(repo)[a] for a in assignments}
        for assignment in assignments:
            shutil.copytree(repo / "solutions" / assignment, self.root / "source" / assignment,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints"))

        # The student's kernel: a kernelspec of our own, found first through JUPYTER_PATH.
        jupyter = self.root / "jupyter"
        spec = jupyter / "kernels" / KERNEL_NAME
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps(kernel_spec(self.memory_mb), indent=1))
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(jupyter), os.environ.get("JUPYTER_PATH")]))
        # nbgrader runs `alembic` (installed beside it) when it creates a gradebook: find it
        # even when this interpreter's bin/ is not on PATH (.venv/bin/python -m ...).
        bin_dir = str(Path(sys.executable).parent)
        if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = os.pathsep.join(filter(None, [bin_dir, os.environ.get("PATH")]))

        config = load_config(repo)
        config.CourseDirectory.root = str(self.root)
        config.CourseDirectory.source_directory = "source"
        config.CourseDirectory.release_directory = "release"
        config.CourseDirectory.db_url = f"sqlite:///{self.root / 'gradebook.db'}"
        config.Execute.timeout = self.timeout
        config.Execute.kernel_name = KERNEL_NAME
        config.OverwriteCells.add_missing_cells = True
        self.config = config
        self.coursedir = CourseDirectory(config=config)
        self.api = NbGraderAPI(coursedir=self.coursedir, config=config)

    # -- steps
    def generate(self, assignment: str) -> None:
        result = self.api.generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{result.get('log')}\n{result.get('error')}")

    def release_path(self, assignment: str, notebook: str) -> Path:
        return self.root / "release" / assignment / notebook

    def submitted_path(self, student: str, assignment: str, notebook: str) -> Path:
        return self.root / "submitted" / student / assignment / notebook

    def autograded_path(self, student: str, assignment: str, notebook: str) -> Path:
        return self.root / "autograded" / student / assignment / notebook

    def feedback_path(self, student: str, assignment: str, notebook: str) -> Path:
        return self.root / "feedback" / student / assignment / (Path(notebook).stem + ".html")

    def autograde(self, student: str, assignment: str) -> dict:
        return self.api.autograde(assignment, student, force=True, create=True)

    def generate_feedback(self, student: str, assignment: str) -> dict:
        return self.api.generate_feedback(assignment, student, force=True)

    def scores(self, student: str, assignment: str) -> tuple[float, float, dict[str, float]]:
        """(score, max score, {grade cell id: score}) from the gradebook."""
        from nbgrader.api import Gradebook

        with Gradebook(self.coursedir.db_url) as gradebook:
            submission = gradebook.find_submission(assignment, student)
            cells = {}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    cells[grade.name] = grade.score
            return submission.score, submission.max_score, cells


# ----------------------------------------------------------------------------- one submission


@dataclass
class Result:
    student_id: str
    assignment_id: str
    original: str
    status: str = "failed"  # "graded" or "failed"
    score: Optional[float] = None
    max_score: Optional[float] = None
    cells: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    feedback: Optional[Path] = None
    seconds: float = 0.0


def check_submission(path: Path, release: Path, source: Optional[Path] = None) -> tuple[Optional[dict], list[str], Optional[str]]:
    """(notebook to grade, problems to report, reason it cannot be graded) for a handed-in file.

    Reads JSON and nbformat (a notebook re-saved by Colab, with its metadata,
    cell ids and another nbformat_minor, is fine), and compares the locked cells
    with the release: a deleted test cell is restored by nbgrader, an edited one
    is replaced by the original; both are reported.
    """
    import nbformat

    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        return None, [], f"not a text file ({error.reason})"
    except json.JSONDecodeError as error:
        return None, [], f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
    if not isinstance(raw, dict) or "cells" not in raw:
        return None, [], "not a Jupyter notebook (no 'cells')"
    try:
        notebook = nbformat.reads(json.dumps(raw), as_version=4)
        # Colab writes nbformat 4.0 with cell ids; give every cell a valid id for 4.5.
        notebook.nbformat_minor = max(notebook.nbformat_minor, 5)
        _, notebook = nbformat.validator.normalize(notebook)
        notebook = nbformat.from_dict(notebook)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises several kinds
        return None, [], f"not a valid notebook: {type(error).__name__}: {str(error).splitlines()[0]}"

    problems = []
    original = {c.metadata["nbgrader"]["grade_id"]: c for c in nbformat.read(release, as_version=4).cells
                if c.metadata.get("nbgrader", {}).get("grade_id")}
    # The instructor's version (with hidden tests) counts as unedited too.
    instructor = {} if source is None else {
        c.metadata["nbgrader"]["grade_id"]: c.source.strip() for c in nbformat.read(source, as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("grade_id")}
    present = {}
    for cell in notebook.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id:
            present[grade_id] = cell
    for grade_id, cell in original.items():
        meta = cell.metadata["nbgrader"]
        kind = "test cell" if meta.get("grade") and not meta.get("solution") else (
            "answer cell" if meta.get("solution") else "read-only cell")
        if grade_id not in present:
            what = "put back from the original and graded" if kind != "answer cell" else "its tests fail"
            problems.append(f"{kind} {grade_id!r} was deleted ({what})")
        elif meta.get("locked") and present[grade_id].source.strip() not in (cell.source.strip(), instructor.get(grade_id)):
            problems.append(f"{kind} {grade_id!r} was edited (the original is graded)")
    return notebook, problems, None


def notable_errors(autograded: Path, timeout: int, memory_mb: int) -> list[str]:
    """The errors the report should name: timeouts, forbidden calls, memory, and code that does not parse."""
    import nbformat

    problems = []
    for cell in nbformat.read(autograded, as_version=4).cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", cell.get("id"))
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            ename = output.get("ename")
            if ename in NOTABLE_ERRORS:
                problems.append(NOTABLE_ERRORS[ename].format(cell=repr(grade_id), timeout=timeout, memory=memory_mb))
            elif ename in ("SyntaxError", "IndentationError", "TabError"):
                problems.append(f"cell {grade_id!r} has a {ename}: {output.get('evalue', '')}")
    return problems


def grade_one(course: Course, submission: Submission) -> Result:
    """Check, autograde and give feedback on one submission; every failure ends up in the Result."""
    import nbformat

    started = time.perf_counter()
    result = Result(submission.student_id, submission.assignment_id, submission.original)
    notebooks = course.notebooks[submission.assignment_id]
    notebook_name = _notebook_for(submission, notebooks)
    try:
        notebook, problems, reason = check_submission(
            submission.path, course.release_path(submission.assignment_id, notebook_name),
            course.root / "source" / submission.assignment_id / notebook_name)
        result.problems += problems
        if reason:
            result.problems.append(reason)
            return result
        target = course.submitted_path(submission.student_id, submission.assignment_id, notebook_name)
        if target.parent.exists():
            shutil.rmtree(target.parent)
        target.parent.mkdir(parents=True)
        nbformat.write(notebook, target)

        graded = course.autograde(submission.student_id, submission.assignment_id)
        if not graded["success"]:
            result.problems.append("autograde failed: " + _last_line(graded.get("error") or graded.get("log")))
            return result
        result.problems += notable_errors(
            course.autograded_path(submission.student_id, submission.assignment_id, notebook_name),
            course.timeout, course.memory_mb)
        result.score, result.max_score, result.cells = course.scores(submission.student_id, submission.assignment_id)
        feedback = course.generate_feedback(submission.student_id, submission.assignment_id)
        html = course.feedback_path(submission.student_id, submission.assignment_id, notebook_name)
        if feedback["success"] and html.is_file():
            result.feedback = html
        else:
            result.problems.append("feedback failed: " + _last_line(feedback.get("error") or feedback.get("log")))
        result.status = "graded"
    except Exception as error:  # one student's trouble never stops the batch
        result.problems.append(f"grading raised {type(error).__name__}: {_last_line(str(error))}")
    finally:
        result.seconds = time.perf_counter() - started
    return result


def _notebook_for(submission: Submission, notebooks: list[str]) -> str:
    if len(notebooks) == 1:
        return notebooks[0]
    name = Path(submission.original).name.lower()
    matches = [n for n in notebooks if Path(n).stem.lower() in name]
    return max(matches, key=len) if matches else notebooks[0]


def _last_line(text: Optional[str]) -> str:
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no message)"


# ----------------------------------------------------------------------------- a batch


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


def grade_batch(course: Course, collection: Collection,
                report: Callable[[int, int, str], None] = progress) -> list[Result]:
    """Grade every collected submission, one after the other."""
    results = []
    total = len(collection.submissions)
    for index, submission in enumerate(collection.submissions):
        report(index, total, f"{submission.student_id} {submission.assignment_id}")
        results.append(grade_one(course, submission))
    report(total, total, "done")
    return results


def write_outputs(results: list[Result], collection: Collection, course: Course, out: Path) -> Path:
    """grades.csv (one row per graded file and per file that could not be) and feedback/<student>/<assignment>/."""
    feedback_root = out / "feedback"
    if feedback_root.exists():
        shutil.rmtree(feedback_root)
    for result in results:
        if result.feedback:
            target = feedback_root / result.student_id / result.assignment_id / result.feedback.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(result.feedback, target)
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
