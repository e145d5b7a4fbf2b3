"""The two-process executor's limits (dsconv_grader.execution.execute): what each wait may take."""

from __future__ import annotations

import time

import nbformat
import pytest

pytest.importorskip("nbgrader")

from dsconv_grader.execution.execute import TwoProcessExecute  # noqa: E402


def executor(**limits) -> TwoProcessExecute:
    execute = TwoProcessExecute(**limits)
    execute._deadline = time.monotonic() + execute.notebook_timeout  # as preprocess sets it
    return execute


def test_a_cell_gets_the_cell_limit_within_what_is_left_of_the_notebooks():
    cell = nbformat.v4.new_code_cell("x = 1")
    assert executor(timeout=3, notebook_timeout=600)._get_timeout(cell) == 3
    assert executor(timeout=30, notebook_timeout=5)._get_timeout(cell) in (4, 5)


def test_the_executors_own_requests_wait_as_long_as_a_kernel_start_not_as_a_students_cell():
    """Connecting the trusted kernel to the student's is the grader's request, not the student's code: on a loaded
    machine its answer may take longer than a short cell limit, and the notebook must not fail for it."""
    execute = executor(timeout=3, startup_timeout=60)
    assert execute._get_timeout(None) == 60
