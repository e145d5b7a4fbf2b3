"""Before you submit: what the grader would flag in this notebook, said in the student's own kernel.

The last cell of every exercise calls

    report = before_you_submit(globals(), answers=[...], implement_yourself=[...])

which prints a short report and returns it (a `SubmitReport`). It looks at
three things, and only looks (it calls none of the student's functions, so it
is cheap, and it runs as well when the notebook is graded):

- answers still blank: a name not defined, still `None`, or a function that
  still raises the stub's `NotImplementedError` (only a reminder: the tests
  give the grade);
- implement it yourself: the library calls that `dsconv_lib.checks.forbid`
  refused inside the student's functions while the test cells ran in this
  kernel (`dsconv_lib.checks.forbid_log`); when graded, such a call fails
  and its part loses its points;
- commands that do not run when graded: `%pip`, `%conda`, `!cmd`, `%%bash`,
  `%%script`, `%system`, `%sx`, shell aliases, `subprocess` and `os.system`,
  and `%run`/`%load` of a file of one's own, found in IPython's input history
  (the course's install cell, `try: import dsconv_lib / except ImportError:
  %pip install ...`, is expected and not flagged).

It never raises: a namespace may hold anything. Outside IPython the command
check is skipped. It imports nothing heavy (no torch).
"""

from __future__ import annotations

import ast
import dataclasses
import dis
import functools
import os
import sys
import types
from collections.abc import Iterable, Mapping
from typing import Any, Optional

from .checks import forbid_log

__all__ = ["GRADING_LIMITS", "Blank", "Command", "SubmitReport", "Violation", "before_you_submit"]

# What grading allows: the limits nbgrader_config.py sets (tests/dsconv_lib/test_presubmit.py checks they agree).
GRADING_LIMITS = {"cell_seconds": 30, "notebook_seconds": 600, "memory_mb": 4096}

# Line magics and cell magics that grading skips (they install packages or run shell commands) or that fail there.
_LINE_MAGICS = {"pip": "installs packages", "conda": "installs packages", "mamba": "installs packages",
                "micromamba": "installs packages", "uv": "installs packages", "sx": "runs a shell command",
                "system": "runs a shell command", "sc": "runs a shell command",
                "run": "runs a file of your own", "load": "reads a file of your own",
                "loadpy": "reads a file of your own"}
_CELL_MAGICS = {"bash", "sh", "script", "script_sh", "sx", "system", "!", "perl", "ruby", "python", "python2",
                "python3", "pypy"}
_SUBPROCESS = {"run", "call", "check_call", "check_output", "Popen", "getoutput", "getstatusoutput"}
_OS_PROCESS = {"system", "popen", "execv", "execve", "execl", "execlp", "execvp", "spawnl", "spawnv", "posix_spawn"}
_HINTS = ("get_ipython", "subprocess", "os.")
_MAX_HISTORY = 2000
# The grader runs a notebook's locked cells in its trusted kernel too (the one that runs the tests, and none of
# the student's code), and sets this variable there: the check has nothing to say in that kernel.
TRUSTED_KERNEL_VARIABLE = "DSCONV_TRUSTED_KERNEL"
_MAX_SHOWN = 6


@dataclasses.dataclass(frozen=True)
class Blank:
    """An answer still to write: `reason` is "undefined", "None" or "stub" (it raises NotImplementedError)."""

    name: str
    reason: str


@dataclasses.dataclass(frozen=True)
class Violation:
    """A library call refused by `forbid` inside the notebook's `function` (None: not known) while tests ran."""

    function: Optional[str]
    target: str
    count: int = 1


@dataclasses.dataclass(frozen=True)
class Command:
    """A command in the input history that does not run when graded: `cell` is its In [n], `why` says why."""

    cell: Optional[int]
    text: str
    why: str


@dataclasses.dataclass(frozen=True)
class SubmitReport:
    """What `before_you_submit` found; `text` is what it printed."""

    blank: tuple[Blank, ...]
    violations: tuple[Violation, ...]
    commands: tuple[Command, ...]
    tests_run: bool
    checks_implementation: bool
    in_ipython: bool
    text: str

    @property
    def all_clear(self) -> bool:
        """Nothing flagged, and (where the exercise has implement-it-yourself parts) the test cells have run."""
        return (not self.blank and not self.violations and not self.commands
                and (self.tests_run or not self.checks_implementation))

    def __str__(self) -> str:
        return self.text


def before_you_submit(
    namespace: Optional[Mapping[str, Any]] = None,
    answers: Iterable[str] = (),
    implement_yourself: Iterable[str] = (),
    *,
    quiet: bool = False,
) -> SubmitReport:
    """Print what the grader would flag in this notebook, and return it as a `SubmitReport`.

    namespace: the notebook's names (`globals()`; None: IPython's user namespace, else the caller's globals).
    answers: the names the exercise asks for (functions and `answer_...` variables).
    implement_yourself: the functions that must not call the library's implementations.
    quiet: return the report without printing it.

    Example, in a notebook whose `conv2d` is still the stub, after its test cells ran:

    >>> report = before_you_submit(globals(), answers=["conv2d", "conv_params", "answer_q1"],
    ...                            implement_yourself=["conv2d", "conv_params"])      # doctest: +SKIP
    Before you submit: 1 thing to look at.
      ✗ Not answered yet: `conv2d` still raises NotImplementedError. Write it, then run its cell.
      ✓ Implement it yourself: no library call in your functions while the test cells ran.
      ✓ Commands: none that grading skips.
    When graded, a fresh kernel runs the notebook top to bottom, with no internet and no files of your own:
    at most 30 s a cell, 600 s in all, and 4096 MiB of memory.
    >>> report.blank, report.all_clear                                               # doctest: +SKIP
    ((Blank(name='conv2d', reason='stub'),), False)
    """
    if os.environ.get(TRUSTED_KERNEL_VARIABLE) == "1":
        return SubmitReport((), (), (), False, False, False, "")
    try:
        caller = sys._getframe(1)
    except Exception:  # noqa: BLE001 - not CPython: no caller's globals
        caller = None
    try:
        report = _check(namespace, answers, implement_yourself, caller)
    except Exception as error:  # noqa: BLE001 - never fail the notebook's last cell
        report = SubmitReport((), (), (), False, False, False,
                              f"Before you submit: the check could not run ({type(error).__name__}). "
                              "Restart and run all, then run this cell again.")
    if not quiet:
        print(report.text)
    return report


def _check(namespace: Any, answers: Any, implement_yourself: Any, caller: Any) -> SubmitReport:
    shell = _ipython()
    names = _namespace(namespace, shell, caller)
    answer_names = _names(answers)
    own = _names(implement_yourself)
    blank = tuple(b for b in (_blank(names, name) for name in answer_names) if b is not None)
    violations = _violations(names, own)
    commands = _commands(shell) if shell is not None else ()
    tests_run = _safe(lambda: forbid_log.blocks > 0, False)
    report = SubmitReport(blank, violations, commands, tests_run, bool(own), shell is not None, "")
    return dataclasses.replace(report, text=_format(report, answer_names, own))


# ----------------------------------------------------------------------------- inputs


def _safe(compute, default):
    try:
        return compute()
    except Exception:  # noqa: BLE001 - a report never fails
        return default


def _ipython():
    module = sys.modules.get("IPython")
    return _safe(lambda: module.get_ipython(), None) if module is not None else None


def _namespace(namespace: Any, shell: Any, caller: Any) -> Mapping[str, Any]:
    if namespace is None:
        namespace = _safe(lambda: shell.user_ns, None) if shell is not None else None
    if namespace is None:
        namespace = _safe(lambda: caller.f_globals, None)
    if _safe(lambda: isinstance(namespace, Mapping), False):
        return namespace
    return _safe(lambda: dict(namespace), {})


def _names(values: Any) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    names = _safe(lambda: [v if isinstance(v, str) else str(v) for v in values], [])
    return list(dict.fromkeys(names))


# ----------------------------------------------------------------------------- answers


def _blank(namespace: Mapping[str, Any], name: str) -> Optional[Blank]:
    try:
        if name not in namespace:
            return Blank(name, "undefined")
        value = namespace[name]
    except Exception:  # noqa: BLE001 - an odd mapping: say nothing
        return None
    if value is None:
        return Blank(name, "None")
    return Blank(name, "stub") if _safe(lambda: _is_stub(value), False) else None


def _is_stub(value: Any, depth: int = 0) -> bool:
    """True if `value` (a function, method, partial or class) still raises NotImplementedError somewhere."""
    kind = type(value)
    if kind is types.FunctionType:
        return _raises_not_implemented(value.__code__)
    if kind is types.MethodType:
        return _is_stub(value.__func__, depth)
    if kind in (staticmethod, classmethod):
        return _is_stub(value.__func__, depth)
    if issubclass(kind, type) and depth == 0:  # a class: its own methods
        return any(_is_stub(member, depth + 1) for member in list(vars(value).values()))
    if issubclass(kind, functools.partial) and depth < 3:
        return _is_stub(value.func, depth + 1)
    return False


# Where the expression after `NotImplementedError` ends without raising it (`except NotImplementedError:`,
# `return NotImplementedError`, `x = NotImplementedError`, a condition, ...).
_ENDS = ("STORE", "POP_TOP", "RETURN", "JUMP", "POP_JUMP", "CHECK_EXC", "JUMP_IF_NOT_EXC", "RERAISE", "POP_EXCEPT",
         "COMPARE", "CONTAINS", "IS_OP", "YIELD")


def _raises_not_implemented(code: types.CodeType, depth: int = 0) -> bool:
    """True if `code`, or a function or class nested in it, does `raise NotImplementedError(...)`."""
    if "NotImplementedError" in code.co_names:
        instructions = list(dis.get_instructions(code))
        for i, instruction in enumerate(instructions):
            if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME") and instruction.argval == "NotImplementedError":
                for following in instructions[i + 1:i + 40]:
                    if following.opname == "RAISE_VARARGS":
                        return True
                    if following.opname.startswith(_ENDS):
                        break
    return depth < 10 and any(_raises_not_implemented(const, depth + 1) for const in code.co_consts
                              if isinstance(const, types.CodeType))


# ----------------------------------------------------------------------------- implement it yourself


def _violations(namespace: Mapping[str, Any], own: list[str]) -> tuple[Violation, ...]:
    counts: dict[tuple[Optional[str], str], int] = {}
    for call in _safe(lambda: list(forbid_log.calls), []):
        try:
            if _stale(namespace, call.callers, call.caller_codes):
                continue
            function = next((name for name in call.callers if name in own), None) or \
                (call.callers[0] if call.callers else None)
            key = (function, str(call.target))
            counts[key] = counts.get(key, 0) + 1
        except Exception:  # noqa: BLE001 - an odd record: skip it
            continue
    return tuple(Violation(function, target, count) for (function, target), count in counts.items())


def _stale(namespace: Mapping[str, Any], callers: tuple, codes: tuple) -> bool:
    """True if one of the calling functions was redefined since (its cell was run again, e.g. after a fix)."""
    for name, code in zip(callers, codes):
        current = _safe(lambda: namespace.get(name), None)
        if type(current) is types.FunctionType and current.__code__ is not code:
            return True
    return False


# ----------------------------------------------------------------------------- commands


def _history(shell: Any) -> list[tuple[int, str]]:
    """(In number, code as IPython ran it) of the latest cells: magics and `!` appear as get_ipython() calls."""
    parsed = _safe(lambda: shell.history_manager.input_hist_parsed, None)
    if not isinstance(parsed, list):
        parsed = _safe(lambda: shell.user_ns.get("In"), None)
    if not isinstance(parsed, list):
        return []
    start = max(0, len(parsed) - _MAX_HISTORY)
    return [(number, parsed[number]) for number in range(start, len(parsed))]


def _commands(shell: Any) -> tuple[Command, ...]:
    aliases = _safe(lambda: {name for name, _ in shell.alias_manager.aliases}, set())
    found: list[Command] = []
    for number, cell in _history(shell):
        if not isinstance(cell, str) or not any(hint in cell for hint in _HINTS):
            continue
        found.extend(_safe(lambda: _cell_commands(cell, number, aliases), []))
    return tuple(dict.fromkeys(found))


def _cell_commands(cell: str, number: int, aliases: set) -> list[Command]:
    tree = ast.parse(cell)
    exempt = {id(node) for handler in _install_handlers(tree) for node in ast.walk(handler)}
    commands = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and id(node) not in exempt:
            command = _command(node, aliases)
            if command is not None:
                commands.append(Command(number or None, *command))
    return commands


def _install_handlers(tree: ast.AST) -> list[ast.AST]:
    """The `except ImportError:` blocks of `try: import dsconv_lib`: the course's install cell, expected."""
    handlers = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        imports_library = any(
            (isinstance(n, ast.Import) and any(a.name.split(".")[0] == "dsconv_lib" for a in n.names))
            or (isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] == "dsconv_lib")
            for statement in node.body for n in ast.walk(statement))
        if imports_library:
            handlers.extend(h for h in node.handlers if h.type is None or _names_import_error(h.type))
    return handlers


def _names_import_error(node: ast.AST) -> bool:
    names = [n.id if isinstance(n, ast.Name) else getattr(n, "attr", "") for n in ast.walk(node)]
    return any(name in ("ImportError", "ModuleNotFoundError", "Exception") for name in names)


def _constant(node: ast.AST) -> Optional[str]:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _command(call: ast.Call, aliases: set) -> Optional[tuple[str, str]]:
    """(what to show, why it does not run when graded) for a call that grading skips or refuses, else None."""
    function = call.func
    if not isinstance(function, ast.Attribute):
        return None
    owner, method = function.value, function.attr
    args = [_constant(a) for a in call.args]
    if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and owner.func.id == "get_ipython":
        first = args[0] if args else None
        second = args[1] if len(args) > 1 else ""
        if method == "run_line_magic" and first is not None:
            why = _LINE_MAGICS.get(first) or ("runs a shell command" if first in aliases else None)
            return (_short(f"%{first} {second or ''}"), why) if why else None
        if method == "run_cell_magic" and first in _CELL_MAGICS:
            return _short(f"%%{first} {second or ''}"), "runs a shell command"
        if method in ("system", "getoutput"):
            return _short(f"!{first if first is not None else '...'}"), "runs a shell command"
        return None
    if isinstance(owner, ast.Name) and ((owner.id == "subprocess" and method in _SUBPROCESS)
                                        or (owner.id == "os" and method in _OS_PROCESS)):
        return f"{owner.id}.{method}(...)", "starts a process"
    return None


def _short(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


# ----------------------------------------------------------------------------- the report


def _listing(names: list[str]) -> str:
    names = [f"`{n}`" for n in names]
    if len(names) > _MAX_SHOWN:
        names = names[:_MAX_SHOWN] + [f"{len(names) - _MAX_SHOWN} more"]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _format(report: SubmitReport, answers: list[str], own: list[str]) -> str:
    lines = []
    if report.blank:
        parts = []
        for reason, one, many in (("stub", "still raises NotImplementedError", "still raise NotImplementedError"),
                                  ("None", "is still None", "are still None"),
                                  ("undefined", "is not defined", "are not defined")):
            names = [b.name for b in report.blank if b.reason == reason]
            if names:
                parts.append(f"{_listing(names)} {many if len(names) > 1 else one}")
        them, their = ("them", "their cells") if len(report.blank) > 1 else ("it", "its cell")
        lines.append(f"  ✗ Not answered yet: {'; '.join(parts)}. Write {them}, then run {their}.")
    elif answers:
        count = {1: "filled in", 2: "both filled in"}.get(len(answers), f"all {len(answers)} filled in")
        lines.append(f"  ✓ Answers: {count}.")
    if report.violations:
        for v in report.violations:
            who = f"`{v.function}`" if v.function else "one of your functions"
            lines.append(f"  ✗ Implement it yourself: {who} called `{v.target}`. When graded, that call "
                         "raises an error and the part loses its points: write the computation yourself.")
    elif own and all(name in {b.name for b in report.blank} for name in own):
        lines.append("  ? Implement it yourself: checked once your functions are written and their test cells run.")
    elif own and not report.tests_run:
        lines.append("  ? Implement it yourself: not checked yet, no test cell has run in this kernel. "
                     "Run all the cells (Kernel > Restart and run all), then this one.")
    elif own:
        lines.append("  ✓ Implement it yourself: no library call in your functions while the test cells ran.")
    if report.commands:
        shown = [f"In [{c.cell}] {c.text}" if c.cell else c.text for c in report.commands[:_MAX_SHOWN]]
        more = f" and {len(report.commands) - _MAX_SHOWN} more" if len(report.commands) > _MAX_SHOWN else ""
        why = sorted({c.why for c in report.commands})
        lines.append(f"  ✗ Commands that do not run when graded ({'; '.join(why)}): {'; '.join(shown)}{more}. "
                     "Delete them (if they are gone already, Restart and run all to clear this).")
    elif report.in_ipython:
        lines.append("  ✓ Commands: none that grading skips.")
    flagged = bool(report.blank) + len(report.violations) + bool(report.commands)
    if report.all_clear:
        header = "Before you submit: all clear."
    elif flagged:
        header = f"Before you submit: {flagged} thing{'s' if flagged > 1 else ''} to look at."
    else:
        header = "Before you submit: nothing flagged yet, but the test cells have not run."
    limits = GRADING_LIMITS
    footer = ("When graded, a fresh kernel runs the notebook top to bottom, with no internet and no files of your "
              f"own:\nat most {limits['cell_seconds']} s a cell, {limits['notebook_seconds']} s in all, and "
              f"{limits['memory_mb']} MiB of memory.")
    return "\n".join([header, *lines, footer])
