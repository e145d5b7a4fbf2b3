"""The instructor's command: `dsconv-course` (or `python -m dsconv_grader`).

    dsconv-course generate              exercises/ from solutions/ (nbgrader generate_assignment)
    dsconv-course generate --check      fail if the committed exercises/ differ from a fresh generation
    dsconv-course validate              each solution scores full marks, each blank exercise zero
    dsconv-course grade SUBMISSIONS     grade a folder or .zip of submissions: feedback HTML, grades.csv

The grader is a package of its own, beside the course library `dsconv_lib`
(which students install, and which test cells import): nothing of it reaches a
student's Colab. Its parts, along the pipeline's seams:

    repository   the checkout: nbgrader_config.py, solutions/, the grading limits
    course       an nbgrader course folder, driven through nbgrader's Python API
    intake       which handed-in file is whose, what is read of it, what it must be
    execution    nbgrader's Execute step in two processes: the student's code in a
                 confined kernel, the test cells in a trusted one (`remote`)
    job, batch   one student's grading as plain data; a class's on an engine (`engines`)
    report       feedback without hidden tests or paths; grades.csv and the summary

nbgrader is imported only when a command runs; the student's kernel imports only
`execution.kernel`, `execution.sandbox` and `execution.remote.serve`.
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv=None) -> int:
    from .cli import main as cli_main

    return cli_main(argv)
