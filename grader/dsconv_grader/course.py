"""An nbgrader course folder driven through nbgrader's Python API (the class's, or one job's).

`Course` holds a course folder (source/, release/, submitted/, autograded/,
feedback/ and gradebook.db under one root) and the repository's nbgrader config
pointed at it, with the grading limits set on the executor. Its steps are
nbgrader's own: generate_assignment, autograde, generate_feedback.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Optional

from .repository import Limits, assignment_notebooks, limits, load_config


def _nbgrader_config(repo_config, root: Path, limits_: Limits):
    """The repository's nbgrader config pointed at a course folder `root`, with these limits."""
    from traitlets.config import Config

    from .execution.execute import TwoProcessExecute

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
    from .report.feedback import StudentFeedback

    if TwoProcessExecute not in list(config.Autograde.get("autograde_preprocessors") or []):
        raise ValueError("nbgrader_config.py must list dsconv_grader.execution.execute.TwoProcessExecute in "
                         "c.Autograde.autograde_preprocessors (in place of nbgrader's Execute)")
    if StudentFeedback not in list(config.GenerateFeedback.get("preprocessors") or []):
        raise ValueError("nbgrader_config.py must list dsconv_grader.report.feedback.StudentFeedback in "
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

    def plain_config(self) -> dict:
        """This course's nbgrader config as nested plain dicts (picklable, the same on every machine)."""
        return _plain(self.config)

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


def _plain(config) -> dict:
    return {k: _plain(v) if isinstance(v, dict) else v for k, v in config.items()}
