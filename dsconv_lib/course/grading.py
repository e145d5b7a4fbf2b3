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
checks the handed-in file (JSON, nbformat, locked cells), applies the answer
policy (`policy`), autogrades it with nbgrader in a confined kernel
(`kernel`, `sandbox`), reads the scores from its private gradebook, renders
the feedback, and returns plain data; the scratch folder is then deleted.
Nothing a student's code does can reach another student's folder or the
class gradebook: the kernel can read only the Python installation and write
only its own working folder (where Linux has Landlock), and the results
travel back as data that the instructor's process writes down.

Limits: each cell runs at most `Execute.timeout` seconds (nbgrader interrupts
it, the test fails); the kernel has an address-space limit, an output budget
and no way to start processes. A notebook that is not JSON, lost its test
cells, loops forever or kills its kernel gives that student a failure or a
lower score and a line in the report, never an aborted batch; a kernel that
dies in one cell costs that cell (`execute.RecoveringExecute` restarts it and
replays the cells before), not the whole notebook. Submissions are
read from copies; the originals are never opened for writing.
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

from .kernel import kernel_spec
from .submissions import Collection, Submission

KERNEL_NAME = "dsconv-grading"
_JUPYTER_PATH = os.environ.get("JUPYTER_PATH", "")  # as it was before any course put its kernel first


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


@dataclass(frozen=True)
class Limits:
    """What a student's kernel may use: seconds per cell, MiB of memory, KiB of output; confined or not."""

    timeout: int = 30
    memory_mb: int = 4096
    output_kb: int = 1024
    confine: bool = True


def _nbgrader_config(repo_config, root: Path, limits_: Limits):
    """The repository's nbgrader config pointed at a course folder `root` and the grading kernel."""
    from traitlets.config import Config

    config = Config(repo_config)
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.source_directory = "source"
    config.CourseDirectory.release_directory = "release"
    config.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    config.Execute.timeout = limits_.timeout
    config.Execute.kernel_name = KERNEL_NAME
    # The kernel normally exits 0.1 s after its shutdown request, but ipykernel sometimes stalls on a last
    # flush of its output (until the manager's SIGTERM at half this wait: 2.5 s by default): the kernel is
    # disposable and its outputs are in by then, so it is terminated sooner.
    config.KernelManager.shutdown_wait_time = 0.6
    config.OverwriteCells.add_missing_cells = True
    config.Autograde.autograde_preprocessors = _autograde_steps(config)
    return config


def _autograde_steps(config) -> list:
    """The autograde steps (the config's, else nbgrader's), with Execute replaced by one that survives a
    kernel death (`execute.RecoveringExecute`)."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    from .execute import RecoveringExecute

    steps = config.Autograde.get("autograde_preprocessors") or Autograde.autograde_preprocessors.default()
    return [RecoveringExecute if step is Execute else step for step in steps]


def _install_kernel(root: Path, limits_: Limits) -> None:
    """Write the grading kernel's spec under root/jupyter and put it first on JUPYTER_PATH."""
    spec = root / "jupyter" / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps(
        kernel_spec(limits_.memory_mb, limits_.output_kb, limits_.confine), indent=1))
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(root / "jupyter"), _JUPYTER_PATH]))
    # nbgrader runs `alembic` (installed beside it) when it creates a gradebook: find it
    # even when this interpreter's bin/ is not on PATH (.venv/bin/python -m ...).
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
        _install_kernel(root, limits_)
        self.coursedir = CourseDirectory(config=self.config)
        self.api = NbGraderAPI(coursedir=self.coursedir, config=self.config)

    @classmethod
    def create(cls, repo: Path, workdir: Path, assignments: list[str], limits_: Optional[Limits] = None) -> "Course":
        """A new course under workdir/course with the source of `assignments` copied from repo/solutions."""
        if limits_ is None:
            timeout, memory = limits(repo)
            limits_ = Limits(timeout=timeout, memory_mb=memory)
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


MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


def check_submission(content: bytes, release: Path, source: Optional[Path] = None) -> tuple[Optional[dict], list[str], Optional[str]]:
    """(notebook to grade, problems to report, reason it cannot be graded) for a handed-in file.

    Reads JSON and nbformat (a notebook re-saved by Colab, with its metadata,
    cell ids and another nbformat_minor, is fine), and compares the locked cells
    with the release: a deleted test cell is restored by nbgrader, an edited one
    is replaced by the original; both are reported. Cells that claim a grade id
    the release does not have, or a second copy of one, lose their nbgrader
    metadata (they could otherwise pose as test cells); a locked cell gets the
    release's cell type and metadata back.
    """
    import nbformat

    if len(content) > MAX_NOTEBOOK_BYTES:
        return None, [], f"file too large ({len(content) / 2**20:.0f} MiB; a notebook is at most {MAX_NOTEBOOK_BYTES // 2**20} MiB)"
    try:
        raw = json.loads(content.decode("utf-8"))
    except UnicodeDecodeError as error:
        return None, [], f"not a text file ({error.reason})"
    except json.JSONDecodeError as error:
        return None, [], f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
    except RecursionError:
        return None, [], "invalid JSON: nested too deeply"
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
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
    release_cells = [c for c in nbformat.read(release, as_version=4).cells
                     if c.metadata.get("nbgrader", {}).get("grade_id")]
    original = {c.metadata["nbgrader"]["grade_id"]: c for c in release_cells}
    # The instructor's version (with hidden tests) counts as unedited too.
    instructor = {} if source is None else {
        c.metadata["nbgrader"]["grade_id"]: c.source.strip() for c in nbformat.read(source, as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("grade_id")}
    present = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if meta is not None and (grade_id not in original or grade_id in present):
            cell.metadata.pop("nbgrader")
            problems.append(f"a cell claimed the grade id {grade_id!r}, which "
                            + ("appears twice" if grade_id in present else "the assignment does not have")
                            + "; graded as an ordinary cell")
            continue
        if grade_id:
            present[grade_id] = cell
            release_cell = original[grade_id]
            if release_cell.metadata["nbgrader"].get("locked"):
                cell.cell_type = release_cell.cell_type
                cell.metadata["nbgrader"] = dict(release_cell.metadata["nbgrader"])
                if cell.cell_type == "code":
                    cell.setdefault("outputs", [])
                    cell.setdefault("execution_count", None)
                else:
                    cell.pop("outputs", None)
                    cell.pop("execution_count", None)
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


def apply_policy(notebook, release: Path, source: Path) -> list[str]:
    """Check every cell the student could edit against `policy`; blank or drop those that break it.

    An answer cell that breaks a rule gets the release's (blank) version back; a
    cell the student added is removed. Returns a line per cell for the report.
    """
    import nbformat

    from .policy import check_cell, notebook_context

    release_nb = nbformat.read(release, as_version=4)
    source_nb = nbformat.read(source, as_version=4)
    context = notebook_context(source_nb.cells, release_nb.cells)
    blanks = {c.metadata["nbgrader"]["grade_id"]: c.source for c in release_nb.cells
              if c.metadata.get("nbgrader", {}).get("solution")}
    problems, kept = [], []
    for index, cell in enumerate(notebook.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or meta.get("locked"):
            kept.append(cell)
            continue
        violations = check_cell(cell.source, context)
        if not violations:
            kept.append(cell)
            continue
        where = "; ".join(str(v) for v in violations[:3]) + (f" (and {len(violations) - 3} more)" if len(violations) > 3 else "")
        grade_id = meta.get("grade_id")
        if grade_id in blanks:
            cell.source = blanks[grade_id]
            kept.append(cell)
            problems.append(f"answer cell {grade_id!r} was not run, graded as blank: {where}")
        else:
            problems.append(f"added cell {index + 1} was not run: {where}")
    notebook.cells = kept
    return problems


NOTABLE_ERRORS = {
    "CellTimeoutError": "cell {cell} ran past the time limit ({timeout} s) and was interrupted",
    "ForbiddenCallError": "cell {cell}: called a library convolution where the exercise asks for their own",
    "MemoryError": "cell {cell} ran out of memory (limit {memory} MiB)",
    "KernelDied": "the kernel died in cell {cell}: {evalue}",
    "NotRun": "cell {cell} was not run: the kernel had died too many times",
    "GradingViolation": "cell {cell} tried something the grader does not allow: {evalue}",
    "PermissionError": "cell {cell} was refused access: {evalue}",
}


OUTPUT_CAPPED = "[the grader dropped the rest of this notebook's output"  # kernel.main's notice


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
                                                             memory=limits_.memory_mb, evalue=evalue))
            elif ename in ("SyntaxError", "IndentationError", "TabError"):
                problems.append(f"cell {grade_id!r} has a {ename}: {evalue}")
    return problems


def grade_job(job: Job) -> Result:
    """Grade one submission in a scratch folder of its own; every failure ends up in the Result."""
    import nbformat

    started = time.perf_counter()
    result = Result(job.student_id, job.assignment_id, job.original, notebook=job.notebook)
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
        result.problems += apply_policy(notebook, release, source)
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
                s.path.read_bytes(), templates[s.assignment_id], config, course.limits)
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
