"""The course repository as the grader sees it: where it is, its nbgrader config, its assignments, its limits.

    repo = find_repository()            # the checkout: nbgrader_config.py beside solutions/
    load_config(repo)                   # nbgrader_config.py as a traitlets Config
    assignment_notebooks(repo)          # {"ex01": ["ex01.ipynb"], ...}
    limits(repo)                        # Limits: what a student's notebook may use
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional


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

