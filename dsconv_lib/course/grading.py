"""The grading pipeline on nbgrader's Python API: one self-contained job per student.

    course = Course(repo, workdir, assignments)   # workdir/course: source/, release/, gradebook.db
    course.generate(assignment)                    # nbgrader generate_assignment: release + gradebook
    jobs = make_jobs(course, collection)           # one Job per submission (plain data)
    results = run_jobs(jobs, engine)               # serial, local processes (--jobs N) or Dask
    record_in_gradebook(course, results)           # the class's one gradebook

`grade_job` is the whole of one student's grading, and it runs anywhere: in
this process, in a local worker process, or on a Dask worker on another
machine. It unpacks the assignment's template (the instructor's source, the
release and an empty gradebook) into a fresh scratch folder of its own,
checks the handed-in file (`intake`), autogrades it with nbgrader, whose
execute step (`execute.TwoProcessExecute`, set in nbgrader_config.py) runs the
student's cells in a confined kernel and the tests in a trusted one, reads the
scores from its private gradebook, renders the feedback (`feedback`), and
returns plain data; the scratch folder is then deleted. Nothing a student's
code does can change a verdict, reach another student's folder or the class
gradebook: the tests run in another process, the student's kernel can read only
the Python installation and write only its own working folder (where Linux has
Landlock), and the results travel back as data that the instructor's process
writes down.

Limits (nbgrader_config.py, `Limits`): seconds per cell and per notebook,
memory, output of every kind. A notebook that is not JSON, lost its test
cells, loops forever or kills its kernel gives that student a failure or a
lower score and a line in the report, never an aborted batch; a kernel that
dies in one cell costs that cell (the executor restarts it and replays the
cells before), not the whole notebook. Submissions are read from copies; the
originals are never opened for writing.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from .execute import OUTPUT_CAPPED  # the executor's notice (the kernel's own says the same)
from .intake import check_submission
from .submissions import Collection, Submission

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


def limits(repo: Path) -> "Limits":
    """The grading limits set in nbgrader_config.py (TwoProcessExecute's options)."""
    config = load_config(repo).get("TwoProcessExecute", {})
    default = Limits()
    return Limits(timeout=int(config.get("timeout", default.timeout)),
                  memory_mb=int(config.get("memory_limit_mb", default.memory_mb)),
                  output_kb=int(config.get("output_limit_kb", default.output_kb)),
                  notebook_timeout=int(config.get("notebook_timeout", default.notebook_timeout)))


@dataclass(frozen=True)
class Limits:
    """What a student's notebook may use: seconds per cell and in all, MiB of memory, KiB of output;
    confined or not."""

    timeout: int = 30
    memory_mb: int = 4096
    output_kb: int = 1024
    notebook_timeout: int = 600
    confine: bool = True


def _nbgrader_config(repo_config, root: Path, limits_: Limits):
    """The repository's nbgrader config pointed at a course folder `root`, with these limits."""
    from traitlets.config import Config

    from .execute import TwoProcessExecute

    config = Config(repo_config)
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.source_directory = "source"
    config.CourseDirectory.release_directory = "release"
    config.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    config.TwoProcessExecute.timeout = limits_.timeout
    config.TwoProcessExecute.notebook_timeout = limits_.notebook_timeout
    config.TwoProcessExecute.memory_limit_mb = limits_.memory_mb
    config.TwoProcessExecute.output_limit_kb = limits_.output_kb
    config.TwoProcessExecute.confine = limits_.confine
    # The kernel normally exits 0.1 s after its shutdown request, but ipykernel sometimes stalls on a last
    # flush of its output (until the manager's SIGTERM at half this wait: 2.5 s by default): the kernel is
    # disposable and its outputs are in by then, so it is terminated sooner.
    config.KernelManager.shutdown_wait_time = 0.6
    config.OverwriteCells.add_missing_cells = True
    from .feedback import StudentFeedback

    if TwoProcessExecute not in list(config.Autograde.get("autograde_preprocessors") or []):
        raise ValueError("nbgrader_config.py must list dsconv_lib.course.execute.TwoProcessExecute in "
                         "c.Autograde.autograde_preprocessors (in place of nbgrader's Execute)")
    if StudentFeedback not in list(config.GenerateFeedback.get("preprocessors") or []):
        raise ValueError("nbgrader_config.py must list dsconv_lib.course.feedback.StudentFeedback in "
                         "c.GenerateFeedback.preprocessors (after GetGrades)")
    return config


def _find_alembic() -> None:
    """nbgrader runs `alembic` (installed beside it) when it creates a gradebook: find it even when this
    interpreter's bin/ is not on PATH (.venv/bin/python -m ...)."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join(filter(None, [bin_dir, os.environ.get("PATH")]))


class Course:
    """An nbgrader course folder: the assignments' source, release and gradebook (the class's, or one job's)."""

    def __init__(self, root: Path, config, limits_: Limits, notebooks: dict[str, list[str]]) -> None:
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        self.root = root
        self.limits = limits_
        self.notebooks = notebooks
        self.config = _nbgrader_config(config, root, limits_)
        _find_alembic()
        self.coursedir = CourseDirectory(config=self.config)
        self.api = NbGraderAPI(coursedir=self.coursedir, config=self.config)

    @classmethod
    def create(cls, repo: Path, workdir: Path, assignments: list[str], limits_: Optional[Limits] = None) -> "Course":
        """A new course under workdir/course with the source of `assignments` copied from repo/solutions."""
        if limits_ is None:
            limits_ = limits(repo)
        root = workdir / "course"
        if root.exists():
            shutil.rmtree(root)
        all_notebooks = assignment_notebooks(repo)
        for assignment in assignments:
            shutil.copytree(repo / "solutions" / assignment, root / "source" / assignment,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        return cls(root, load_config(repo), limits_, {a: all_notebooks[a] for a in assignments})

    # -- steps
    def generate(self, assignment: str) -> None:
        result = self.api.generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{result.get('log')}\n{result.get('error')}")

    def source_path(self, assignment: str, notebook: str) -> Path:
        return self.root / "source" / assignment / notebook

    def release_path(self, assignment: str, notebook: str) -> Path:
        return self.root / "release" / assignment / notebook

    def submitted_path(self, student: str, assignment: str, notebook: str) -> Path:
        return self.root / "submitted" / student / assignment / notebook

    def autograded_path(self, student: str, assignment: str, notebook: str) -> Path:
        return self.root / "autograded" / student / assignment / notebook

    def feedback_path(self, student: str, assignment: str, notebook: str) -> Path:
        return self.root / "feedback" / student / assignment / (Path(notebook).stem + ".html")

    def template(self, assignment: str) -> bytes:
        """What a job needs to grade `assignment` anywhere: source, release and gradebook, zipped."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for folder in ("source", "release"):
                for path in sorted((self.root / folder / assignment).rglob("*")):
                    if path.is_file():
                        archive.write(path, path.relative_to(self.root).as_posix())
            archive.write(self.root / "gradebook.db", "gradebook.db")
            archive.writestr("course.json", json.dumps({"assignment": assignment,
                                                        "notebooks": self.notebooks[assignment]}))
        return buffer.getvalue()

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
    notebook: str = ""  # the graded notebook's file name
    feedback_html: Optional[str] = None
    autograded: Optional[str] = None  # the executed notebook, JSON
    seconds: float = 0.0


@dataclass
class Job:
    """Everything one student's grading needs, as plain data (it may travel to another machine)."""

    student_id: str
    assignment_id: str
    notebook: str  # which notebook of the assignment this file is
    original: str  # the name as handed in
    content: bytes  # the file as handed in
    template: bytes  # Course.template(assignment)
    config: dict  # the repository's nbgrader config, as a dict
    limits: Limits = field(default_factory=Limits)
    notes: list[str] = field(default_factory=list)  # what intake said of this file (it is graded all the same)


NOTABLE_ERRORS = {
    "CellTimeoutError": "cell {cell} ran past the time limit ({timeout} s) and was interrupted",
    "ForbiddenCallError": "cell {cell}: called a library convolution where the exercise asks for their own",
    "MemoryError": "cell {cell} ran out of memory (limit {memory} MiB)",
    "KernelDied": "the kernel died in cell {cell}: {evalue}",
    "NotRun": "cell {cell} was not run: the kernel had died too many times",
    "NotebookTimeout": "cell {cell} was not run: the notebook ran past its total time limit ({notebook_timeout} s)",
    "StudentKernelError": "cell {cell}: the student's code did not answer: {evalue}",
    "GradingViolation": "cell {cell} tried something the grader does not allow: {evalue}",
    "PermissionError": "cell {cell} was refused access: {evalue}",
}




def notable_errors(autograded: Path, limits_: Limits) -> list[str]:
    """The errors the report should name: timeouts, forbidden calls, memory, refusals, code that does not parse."""
    import nbformat

    problems = []
    for cell in nbformat.read(autograded, as_version=4).cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", cell.get("id"))
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and OUTPUT_CAPPED in str(output.get("text", "")):
                problems.append(f"cell {grade_id!r} printed more than {limits_.output_kb} KiB; "
                                "the grader dropped the rest of the output")
            if output.get("output_type") != "error":
                continue
            ename = output.get("ename")
            evalue = str(output.get("evalue", ""))[:200]
            if ename in NOTABLE_ERRORS:
                problems.append(NOTABLE_ERRORS[ename].format(cell=repr(grade_id), timeout=limits_.timeout,
                                                             memory=limits_.memory_mb, evalue=evalue,
                                                             notebook_timeout=limits_.notebook_timeout))
            elif ename in ("SyntaxError", "IndentationError", "TabError"):
                problems.append(f"cell {grade_id!r} has a {ename}: {evalue}")
    return problems


def grade_job(job: Job) -> Result:
    """Grade one submission in a scratch folder of its own; every failure ends up in the Result."""
    import nbformat

    started = time.perf_counter()
    result = Result(job.student_id, job.assignment_id, job.original, notebook=job.notebook, problems=list(job.notes))
    scratch = Path(tempfile.mkdtemp(prefix="dsconv-job-"))
    try:
        root = scratch / "course"
        with zipfile.ZipFile(io.BytesIO(job.template)) as archive:
            archive.extractall(root)
        from traitlets.config import Config

        course = Course(root, Config(job.config), job.limits, {job.assignment_id: [job.notebook]})
        release = course.release_path(job.assignment_id, job.notebook)
        source = course.source_path(job.assignment_id, job.notebook)
        notebook, problems, reason = check_submission(job.content, release, source)
        result.problems += problems
        if reason:
            result.problems.append(reason)
            return result
        target = course.submitted_path(job.student_id, job.assignment_id, job.notebook)
        target.parent.mkdir(parents=True)
        nbformat.write(notebook, target)

        graded = course.autograde(job.student_id, job.assignment_id)
        if not graded["success"]:
            if "DeadKernelError" in (graded.get("log") or "") + (graded.get("error") or ""):
                result.problems.append("the kernel died while running the notebook (it crashed, e.g. a segmentation "
                                       "fault, or was killed); nothing of it could be graded")
            else:
                result.problems.append("autograde failed: " + _last_line(graded.get("error") or graded.get("log")))
            return result
        autograded = course.autograded_path(job.student_id, job.assignment_id, job.notebook)
        result.problems += notable_errors(autograded, job.limits)
        result.autograded = autograded.read_text(encoding="utf-8")
        result.score, result.max_score, result.cells = course.scores(job.student_id, job.assignment_id)
        feedback = course.generate_feedback(job.student_id, job.assignment_id)
        html = course.feedback_path(job.student_id, job.assignment_id, job.notebook)
        if feedback["success"] and html.is_file():
            result.feedback_html = html.read_text(encoding="utf-8")
        else:
            result.problems.append("feedback failed: " + _last_line(feedback.get("error") or feedback.get("log")))
        result.status = "graded"
    except Exception as error:  # one student's trouble never stops the batch
        result.problems.append(f"grading raised {type(error).__name__}: {_last_line(str(error))}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
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


def make_jobs(course: Course, collection: Collection) -> list[Job]:
    """One Job per collected submission (the course's assignments must be generated)."""
    templates = {a: course.template(a) for a in {s.assignment_id for s in collection.submissions}}
    config = _plain(course.config)
    return [Job(s.student_id, s.assignment_id, _notebook_for(s, course.notebooks[s.assignment_id]), s.original,
                s.path.read_bytes(), templates[s.assignment_id], config, course.limits, list(s.notes))
            for s in collection.submissions]


def _plain(config) -> dict:
    """A traitlets Config as nested plain dicts (picklable, and the same on every machine)."""
    return {k: _plain(v) if isinstance(v, dict) else v for k, v in config.items()}


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


def run_jobs(jobs: list[Job], engine: "Engine", report: Callable[[int, int, str], None] = progress) -> list[Result]:
    """Grade every job on `engine`; results in the jobs' order, whatever order they finish in."""
    results: list[Optional[Result]] = [None] * len(jobs)
    done = 0
    report(0, len(jobs), "starting")
    for index, result in engine.run(jobs):
        results[index] = result
        done += 1
        report(done, len(jobs), f"{result.student_id} {result.assignment_id}")
    return [r if r is not None else Result(j.student_id, j.assignment_id, j.original,
                                           problems=["the grading engine returned no result"])
            for j, r in zip(jobs, results)]


def record_in_gradebook(course: Course, results: list[Result]) -> None:
    """Write every graded result into the course's gradebook (one per class), with its per-cell scores."""
    from nbgrader.api import Gradebook

    with Gradebook(course.coursedir.db_url) as gradebook:
        for result in results:
            if result.status != "graded":
                continue
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
