"""Which of a test cell's names are the student's: the stand-ins the trusted kernel binds before each cell.

A name a test cell reads is the tests' own if any trusted cell (a test cell, or
a locked cell that is not a test) binds it at the top level, or if it is a
built-in; every other name it reads is looked up in the student's notebook.
Plain data (an answer `answer_q1 = 16`) is copied over as it is at that moment;
anything else (a function, a class, a model) becomes a `RemoteName`, which
looks the name up in the student's kernel at each use. So a student's helper
named like a test's variable (`hidden`, `cases`) is never seen by the tests,
and a test's variable is never seen by the student's code.
"""

from __future__ import annotations

import ast
import builtins
import sys
from typing import Any, Iterable

from .proxy import RemoteName, StudentKernel, StudentKernelError

BUILTIN_NAMES = frozenset(dir(builtins))


def read_names(source: str) -> set[str]:
    """Every name the code reads anywhere (top level, functions, comprehensions); none if it does not parse."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}


def bound_names(source: str) -> set[str]:
    """The names the code binds at its top level (assignments, imports, defs, classes, loop targets, with-as)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in _top_level(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.NamedExpr):
            names.add(node.target.id)
    return names


def _top_level(body: list[ast.stmt]) -> Iterable[ast.AST]:
    """The nodes of module-level statements, not entering function, class or lambda bodies."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        stack.extend(ast.iter_child_nodes(node))


class NameSync:
    """Before each cell of the trusted kernel, binds the student's names that the tests read."""

    def __init__(self, shell: Any, student: StudentKernel) -> None:
        self.shell, self.student = shell, student
        self.trusted: set[str] = set()  # bound by a trusted cell: never the student's
        self.watched: set[str] = set()  # read by some test cell so far: looked up again before every cell
        self.proxied: dict[str, Any] = {}  # name -> what was bound for it

    def before_cell(self, info: Any) -> None:
        source = getattr(info, "transformed_cell", None)  # the cell as IPython transformed it (IPython 9)
        if source is None:
            source = self.shell.transform_cell(info.raw_cell or "")
        self.trusted |= bound_names(source)
        self.watched |= read_names(source)
        namespace = self.shell.user_ns
        wanted = sorted(n for n in self.watched - self.trusted - BUILTIN_NAMES
                        if n not in namespace or self._is_proxy(n))
        if not wanted:
            return
        try:
            described = self.student.request({"op": "describe", "names": wanted})
        except StudentKernelError as error:
            print(f"[grader] the student's names could not be read: {error}", file=sys.stderr)
            described = {}
        for name in wanted:
            entry = described.get(name) if isinstance(described, dict) else None
            if not isinstance(entry, dict):
                if self._is_proxy(name):
                    del namespace[name]
                self.proxied.pop(name, None)
                continue
            value = self._stand_in(name, entry)
            namespace[name] = value
            self.proxied[name] = value

    def after_cell(self, result: Any = None) -> None:
        """Names a trusted cell bound some other way (`from m import *`) are the tests' from now on."""
        namespace = self.shell.user_ns
        for name in list(self.proxied):
            if not self._is_proxy(name):
                self.proxied.pop(name)
                if name in namespace:
                    self.trusted.add(name)

    def _is_proxy(self, name: str) -> bool:
        return name in self.proxied and self.shell.user_ns.get(name, self) is self.proxied[name]

    def _stand_in(self, name: str, entry: dict) -> Any:
        if "value" in entry:
            return entry["value"]
        module = entry.get("module")
        if isinstance(module, str) and module in sys.modules:  # the tests' own copy of an imported module
            return sys.modules[module]
        return RemoteName(self.student, name)
