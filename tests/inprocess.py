"""Run a released exercise in this process, as a student runs it in their own kernel (visible tests only).

`run_visible(assignment, replace)` executes the code cells of the released notebook, with the solution
filled in and `replace` ({answer cell id: source}) applied, in one namespace, and returns what each test
cell said: None when it passed, else the message of its error (what the student reads under it).
`recorded_calls` does the same with the solution and records, for each answer function, the arguments of
every call a test cell made of it (not the calls the answer functions make of each other).
The install cell and the "Before you submit" cell are skipped. Not a test module: asserts carry messages.
"""

from __future__ import annotations

import functools
import inspect
import types
from collections import defaultdict
from typing import Any, Optional

import grading_support as support
from notebooks import code_cells, grade_id, nbgrader, source

SKIPPED = {"install", "before_you_submit"}


def _cells(assignment: str, replace: Optional[dict[str, str]] = None):
    for cell in code_cells(support.student_notebook(assignment, replace)):
        if grade_id(cell) not in SKIPPED:
            yield grade_id(cell), bool(nbgrader(cell).get("grade")), source(cell)


def _run_cell(cell_id: str, code: str, namespace: dict) -> Optional[str]:
    try:
        exec(compile(code, f"<cell {cell_id}>", "exec"), namespace)
    except Exception as error:  # noqa: BLE001 - what the cell would show
        return f"{type(error).__name__}: {error}"
    return None


def run_visible(assignment: str, replace: Optional[dict[str, str]] = None) -> dict[str, Optional[str]]:
    """{test cell id: None (passed) or its error message} for the release with `replace` applied."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    said = {}
    for cell_id, is_test, code in _cells(assignment, replace):
        error = _run_cell(cell_id, code, namespace)
        if is_test:
            said[cell_id] = error
        else:
            assert error is None, f"{assignment}: cell {cell_id} failed: {error}"
    return said


def recorded_calls(assignment: str) -> dict[str, list[dict[str, Any]]]:
    """{answer function name: [its arguments by name, defaults filled in, for each call a test cell made]}."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    calls: dict[str, list[dict[str, Any]]] = defaultdict(list)
    depth = [0]

    def recording(name: str, function: types.FunctionType):
        signature = inspect.signature(function)

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            if depth[0] == 0:
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                calls[name].append(dict(bound.arguments))
            depth[0] += 1
            try:
                return function(*args, **kwargs)
            finally:
                depth[0] -= 1
        return wrapper

    for cell_id, is_test, code in _cells(assignment):
        before = dict(namespace)
        error = _run_cell(cell_id, code, namespace)
        assert error is None, f"{assignment}: cell {cell_id} failed with the solution: {error}"
        if is_test:
            continue
        for name, value in list(namespace.items()):
            if isinstance(value, types.FunctionType) and before.get(name) is not value and value.__module__ == "__main__":
                namespace[name] = recording(name, value)
    return dict(calls)
