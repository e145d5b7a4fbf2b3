"""One student's grading, as a self-contained job: plain data in (`Job`), plain data out (`Result`).

`grade_job` is the whole of one student's grading, and it runs anywhere: in
this process, in a local worker process, or on a Dask worker on another
machine. It unpacks the assignment's template (the instructor's source, the
release and an empty gradebook) into a fresh scratch folder of its own,
checks the handed-in file (`intake`), autogrades it with nbgrader, whose
execute step (`execution.execute.TwoProcessExecute`, set in nbgrader_config.py) runs the
student's cells in a confined kernel and the tests in a trusted one, reads the
scores from its private gradebook, renders the feedback (`report.feedback`), and
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

import io
import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .course import Course
from .disposable import disposable_gradebook
from .execution.execute import OUTPUT_CAPPED  # the executor's notice (the kernel's own says the same)
from .intake import check_submission
from .repository import Limits


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


ERROR_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Died)\b(: .*)?$")
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

        with disposable_gradebook(root / "gradebook.db"):  # thrown away with the scratch folder
            graded = course.autograde(job.student_id, job.assignment_id)
            if not graded["success"]:
                if "DeadKernelError" in (graded.get("log") or "") + (graded.get("error") or ""):
                    result.problems.append("the kernel died while running the notebook (it crashed, e.g. a "
                                           "segmentation fault, or was killed); nothing of it could be graded")
                else:
                    result.problems.append("autograde failed: " + _cause(graded.get("log"), graded.get("error")))
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



def _cause(log: Optional[str], error: Optional[str]) -> str:
    """The last exception nbgrader's log names (its own NbGraderException only says to look above)."""
    raised = [line.strip() for line in (log or "").splitlines()
              if ERROR_LINE.match(line.strip()) and "NbGraderException" not in line]
    return raised[-1][:300] if raised else _last_line(error or log)


def _last_line(text: Optional[str]) -> str:
    lines = [line.strip() for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no message)"

