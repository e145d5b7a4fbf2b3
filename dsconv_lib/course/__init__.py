"""The instructor's command: `dsconv-course` (or `python -m dsconv_lib.course`).

    dsconv-course generate              exercises/ from solutions/ (nbgrader generate_assignment)
    dsconv-course generate --check      fail if the committed exercises/ differ from a fresh generation
    dsconv-course validate              each solution scores full marks, each blank exercise zero
    dsconv-course grade SUBMISSIONS     grade a folder or .zip of submissions: feedback HTML, grades.csv

nbgrader (the `instructor` extra) is imported only when a command runs, so
importing dsconv_lib never pulls it in. See `submissions` for how file names map
to students and assignments, and `grading` for the pipeline.
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv=None) -> int:
    from .cli import main as cli_main

    return cli_main(argv)
