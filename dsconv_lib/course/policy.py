"""What a student's code may do when it is graded: a static check of every cell the student can edit.

A student's answers run in the same Python process as the tests that grade
them, so an answer could rebind `check_array`, patch numpy, read the variable
`expected` a test has just computed, or exit the kernel. Before a submission
runs, the grader reads each cell the student could edit (answer cells and
cells they added) and refuses code that reaches for anything beyond numerical
work:

- imports of modules outside `ALLOWED_MODULES` (no os, sys, subprocess,
  ctypes, inspect, builtins, IPython, dsconv_lib.course);
- the builtins that reach into the interpreter (`DENIED_NAMES`: open, exec,
  eval, getattr, globals, exit, get_ipython, ...) and IPython's history
  variables (In, Out, _i3, ...);
- attributes that are private or dunder (`x._y`, `x.__class__`; only
  `super().__init__` is allowed), attributes that read or write files or change
  a library's global state (`DENIED_ATTRIBUTES`), and strings naming a dunder;
- assigning or deleting an attribute of anything but `self`, and of `self` anywhere but
  in a class's `__init__` (a method called as `Patch.go(cost.Cost)` gets any object as `self`);
- binding, at the top level, a name the tests use (`check_array`, `np`,
  `expected`, `len` when a test calls it, ...), and reading, anywhere, a
  name only the tests define (`expected`, `cases`): the student's functions
  see their arguments, their own names and the notebook's imports, never the
  tests' variables;
- shell escapes and magics other than %time, %timeit and %matplotlib.

A cell that breaks a rule is not run: an answer cell is replaced by its blank
version from the release (so those answers score what a blank scores), a cell
the student added is dropped, and the report names the cell, the line and the
rule. Correct answers never need any of this; the exercises say so.

The check is the first of several defences (see `sandbox` for the kernel's
limits): it is static, so it reasons about names, not values, and it is
written to refuse rather than to guess.
"""

from __future__ import annotations

import ast
import re
import symtable
from dataclasses import dataclass
from typing import Iterable, Optional

ALLOWED_MODULES = frozenset({
    "numpy", "torch", "math", "cmath", "itertools", "functools", "collections", "dataclasses", "typing",
    "numbers", "fractions", "decimal", "statistics", "random", "time", "string", "re", "copy", "operator",
    "abc", "enum", "heapq", "bisect", "matplotlib", "dsconv_lib",
})
DENIED_MODULE_PREFIXES = (
    "dsconv_lib.course", "dsconv_lib.notebook",
    "torch.utils.cpp_extension", "torch.hub", "torch.multiprocessing", "torch.distributed", "torch.package",
    "torch.serialization", "torch.testing", "torch.library", "torch.ops",
    "numpy.ctypeslib", "numpy.f2py", "numpy.distutils", "numpy.testing", "numpy.lib.format",
)
DENIED_NAMES = frozenset({
    "open", "exec", "eval", "compile", "__import__", "globals", "locals", "vars", "getattr", "setattr",
    "delattr", "input", "breakpoint", "help", "exit", "quit", "memoryview", "get_ipython", "display",
    "In", "Out", "builtins", "copyright", "credits", "license",
    "SystemExit", "KeyboardInterrupt", "BaseException", "GeneratorExit",
})
# IPython's history: In, Out, _ih, _oh, _dh, _i, _ii, _iii, _i7, _7, __, ___
HISTORY_NAME = re.compile(r"^(_i{1,3}\d*|_\d+|__|___|_[ido]h)$")
DENIED_ATTRIBUTES = frozenset({
    # files and serialisation
    "load", "loads", "save", "savez", "savez_compressed", "savetxt", "loadtxt", "genfromtxt", "fromfile",
    "tofile", "memmap", "open_memmap", "from_file", "fromregex", "DataSource", "dump", "dumps",
    "read_text", "read_bytes", "write_text", "write_bytes",
    # escape hatches and global state of the libraries the tests use
    "ctypeslib", "ctypes", "f2py", "distutils", "hub", "cpp_extension", "library", "ops", "classes",
    "set_default_dtype", "set_default_tensor_type", "set_default_device", "seterr", "seterrcall",
    "setbufsize", "set_printoptions", "set_string_function", "use_deterministic_algorithms",
    "set_flush_denormal", "attrgetter", "methodcaller", "register",
    # processes and the interpreter
    "system", "popen", "spawn", "fork", "kill", "exit", "abort",
    # frames and code objects: from a generator's or a traceback's frame, `f_back` walks up to the test's
    # locals (`expected`), `f_globals` to any module's dictionary (past the frozen modules), `f_builtins` to
    # the builtins every module shares
    "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code", "f_back", "f_globals", "f_locals",
    "f_builtins", "f_code", "f_trace", "tb_frame", "tb_next", "co_code", "co_consts", "currentframe",
    "getouterframes", "getinnerframes", "import_module", "reload", "make_dataclass", "new_class",
    # modules an allowed module keeps as an attribute (`dsconv_lib.checks.sys`, `dsconv_lib.widgets.os`,
    # `dataclasses.inspect`): the names of modules that are not allowed, as attributes or `from m import name`
    "sys", "os", "posix", "inspect", "importlib", "types", "builtins", "gc", "io", "subprocess", "pathlib",
    "Path", "PosixPath", "PurePath", "shutil", "signal", "socket", "threading", "multiprocessing", "pickle",
    "marshal", "tempfile", "glob", "traceback", "weakref", "runpy", "resource", "atexit", "site", "open",
})
ALLOWED_MAGICS = frozenset({"time", "timeit", "matplotlib"})
DUNDER_TEXT = re.compile(r"__\w+__")


@dataclass(frozen=True)
class Violation:
    """One rule a cell breaks: where (line in the cell) and what."""

    line: int
    rule: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.rule}"


def ipython_to_python(source: str) -> str:
    """The cell as plain Python: magics become get_ipython() calls, as IPython runs them."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def names_bound(source: str) -> set[str]:
    """The global names a cell binds (assignments, defs, classes, imports, for targets, `global x`)."""
    table = _symtable(source)
    if table is None:
        return set()
    bound = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    for child in _walk_tables(table):
        bound |= {s.get_name() for s in child.get_symbols() if s.is_declared_global() and s.is_assigned()}
    return bound


def names_used(source: str) -> set[str]:
    """Every global name a cell reads or binds, in any scope."""
    table = _symtable(source)
    if table is None:
        return set()
    used = {s.get_name() for s in table.get_symbols()}
    for child in _walk_tables(table):
        used |= {s.get_name() for s in child.get_symbols() if s.is_global()}
    return used


def import_bindings(source: str) -> dict[str, str]:
    """{name: "module[.attr]"} for the names a cell binds by import statements."""
    try:
        tree = ast.parse(ipython_to_python(source))
    except SyntaxError:
        return {}
    bindings = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                bindings[name] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                bindings[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return bindings


@dataclass(frozen=True)
class Context:
    """What the notebook's own cells establish: the names students must leave alone.

    protected: names the locked cells bind, and names a test or locked cell reads from outside
        itself (`check_array`, `np`, a builtin it calls); a student may not rebind them.
    test_only: names only the tests bind (`expected`, `cases`); a student may not read them
        (binding one is harmless: the test assigns it before it reads it).
    answers: names the answer cells are meant to define (they may be bound).
    imports: {name: module} bound by the locked cells' imports; re-importing the same is fine.
    """

    protected: frozenset[str]
    test_only: frozenset[str]
    answers: frozenset[str]
    imports: dict

    @classmethod
    def from_cells(cls, locked: Iterable[str], tests: Iterable[str], answers: Iterable[str]) -> "Context":
        """From the sources of the locked (non-test) cells, the test cells (visible and hidden), and the answer stubs."""
        locked, tests, answers = list(locked), list(tests), list(answers)
        answer_names = set().union(*map(names_bound, answers))
        locked_bound = set().union(*map(names_bound, locked))
        test_bound = set().union(*map(names_bound, tests))
        # What each locked or test cell reads from outside itself: a student rebinding it changes the test.
        read_from_outside = set().union(*(names_used(s) - names_bound(s) for s in locked + tests))
        imports = {}
        for s in locked:
            imports.update(import_bindings(s))
        # Modules a test imports are not the test's data: reading `reference` or `cost` is fine.
        test_imports = set().union(*(import_bindings(s).keys() for s in tests))
        return cls(
            protected=frozenset((read_from_outside | locked_bound) - answer_names),
            test_only=frozenset(test_bound - locked_bound - answer_names - test_imports),
            answers=frozenset(answer_names),
            imports=imports,
        )


def check_cell(source: str, context: Context) -> list[Violation]:
    """The rules `source` (a cell a student could edit) breaks; empty when it may run."""
    try:
        python = ipython_to_python(source)
        tree = ast.parse(python)
    except SyntaxError:
        return []  # it fails when it runs, as it would in the student's own kernel
    checker = _Checker(context)
    checker.visit(tree)
    violations = checker.violations
    table = _symtable(python)
    if table is not None:
        violations += _scope_violations(table, tree, context)
    return sorted(set(violations), key=lambda v: (v.line, v.rule))


# ----------------------------------------------------------------------------- the AST walk


class _Checker(ast.NodeVisitor):
    def __init__(self, context: Context) -> None:
        self.context = context
        self.violations: list[Violation] = []
        self.scopes: list[ast.AST] = []  # the enclosing classes, functions and lambdas

    def deny(self, node: ast.AST, rule: str) -> None:
        self.violations.append(Violation(getattr(node, "lineno", 0), rule))

    # imports
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(node, alias.name)
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            self.deny(node, "relative imports are not allowed")
        module = node.module or ""
        self._check_module(node, module)
        for alias in node.names:
            if alias.name == "*":
                self.deny(node, f"`from {module} import *` is not allowed: import the names you need")
            elif alias.name.startswith("_"):
                self.deny(node, f"importing the private name {alias.name!r} is not allowed")
            else:
                self._check_module(node, f"{module}.{alias.name}", quiet_if_not_module=True)
                if alias.name in DENIED_ATTRIBUTES:
                    self.deny(node, f"importing {alias.name!r} from {module} is not allowed in answers")
        self.generic_visit(node)

    def _check_module(self, node: ast.AST, module: str, quiet_if_not_module: bool = False) -> None:
        root = module.split(".")[0]
        if root not in ALLOWED_MODULES:
            if not quiet_if_not_module:
                self.deny(node, f"module {module!r} is not allowed in answers "
                                f"(allowed: {', '.join(sorted(ALLOWED_MODULES))})")
            return
        if any(part.startswith("_") for part in module.split(".")):
            self.deny(node, f"private module {module!r} is not allowed in answers")
        elif any(module == p or module.startswith(p + ".") for p in DENIED_MODULE_PREFIXES):
            self.deny(node, f"module {module!r} is not allowed in answers")

    # names
    def visit_Name(self, node: ast.Name) -> None:
        if node.id in DENIED_NAMES:
            self.deny(node, f"{node.id!r} is not allowed in answers")
        elif HISTORY_NAME.match(node.id) or node.id.startswith("__"):
            self.deny(node, f"the name {node.id!r} is not allowed in answers")

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            if name in self.context.protected:
                self.deny(node, f"`global {name}`: {name!r} belongs to the tests")

    visit_Nonlocal = visit_Global

    # attributes
    def visit_Attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        if attr.startswith("_"):
            is_super_init = (attr == "__init__" and isinstance(node.value, ast.Call)
                             and isinstance(node.value.func, ast.Name) and node.value.func.id == "super")
            if not is_super_init:
                self.deny(node, f"the private attribute .{attr} is not allowed in answers")
        elif attr in DENIED_ATTRIBUTES:
            self.deny(node, f"the attribute .{attr} is not allowed in answers (files, processes or global state)")
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            if not (isinstance(node.value, ast.Name) and node.value.id == "self"):
                self.deny(node, f"assigning or deleting the attribute .{attr} of something other than `self` "
                                "is not allowed in answers")
            elif not self._in_init():
                # Elsewhere `self` can be anything: `Patch.go(cost.Cost)` would set Cost.macs for the tests too.
                self.deny(node, f"assigning or deleting self.{attr} outside a class's __init__ is not allowed in answers")
        self.generic_visit(node)

    def _in_init(self) -> bool:
        """True inside the body of `def __init__(self, ...)`, undecorated, directly in a class body."""
        if len(self.scopes) < 2:
            return False
        function, owner = self.scopes[-1], self.scopes[-2]
        return (isinstance(function, ast.FunctionDef) and isinstance(owner, ast.ClassDef)
                and function.name == "__init__" and not function.decorator_list
                and bool(function.args.posonlyargs + function.args.args)
                and (function.args.posonlyargs + function.args.args)[0].arg == "self")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scopes.append(node)
        self.generic_visit(node)
        self.scopes.pop()

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.scopes.append(node)
        self.generic_visit(node)
        self.scopes.pop()

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and DUNDER_TEXT.search(node.value):
            self.deny(node, "strings naming dunder attributes are not allowed in answers")

    # definitions
    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name.startswith("__") and node.name != "__init__":
            self.deny(node, f"defining {node.name} is not allowed in answers (only __init__)")
        self.scopes.append(node)
        self.generic_visit(node)
        self.scopes.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id == "type" and len(node.args) > 1:
            self.deny(node, "type() with more than one argument (creating a class) is not allowed in answers")
        magic = _magic_call(node)
        if magic is not None:
            kind, name, code = magic
            if name not in ALLOWED_MAGICS:
                self.deny(node, f"the magic %{name} is not allowed in answers (allowed: %time, %timeit, %matplotlib)")
            elif name == "matplotlib" and (code or "").strip() not in ("", "inline", "agg", "widget", "ipympl"):
                # `%matplotlib module://x.y` imports any module by name
                self.deny(node, f"%matplotlib {code.strip()!r} is not allowed in answers (allowed: inline, agg, widget)")
            elif code is not None and name != "matplotlib":
                try:
                    inner = ast.parse(code)
                except SyntaxError:
                    inner = None
                if inner is not None:
                    self.visit(inner)
            return  # the get_ipython() inside is the magic itself
        self.generic_visit(node)


def _magic_call(node: ast.Call) -> Optional[tuple[str, str, Optional[str]]]:
    """("line"/"cell", magic name, its code) when `node` is get_ipython().run_*_magic("name", ...)."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in ("run_line_magic", "run_cell_magic", "system",
                                                               "getoutput")):
        return None
    if not (isinstance(func.value, ast.Call) and isinstance(func.value.func, ast.Name)
            and func.value.func.id == "get_ipython"):
        return None
    if func.attr in ("system", "getoutput"):
        return ("shell", "!", None)
    args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args]
    name = args[0] if args else None
    code = None
    if func.attr == "run_line_magic" and len(args) > 1:
        code = args[1]
    elif func.attr == "run_cell_magic" and len(args) > 2:
        code = "\n".join(filter(None, (args[1], args[2])))
    return (func.attr, name or "?", code)


# ----------------------------------------------------------------------------- scopes


def _symtable(source: str) -> Optional[symtable.SymbolTable]:
    try:
        return symtable.symtable(source, "<cell>", "exec")
    except SyntaxError:
        return None


def _walk_tables(table: symtable.SymbolTable):
    for child in table.get_children():
        yield child
        yield from _walk_tables(child)


def _scope_violations(table: symtable.SymbolTable, tree: ast.AST, context: Context) -> list[Violation]:
    lines = _first_lines(tree)
    violations = []
    for symbol in table.get_symbols():
        name = symbol.get_name()
        binds = symbol.is_assigned() or symbol.is_imported() or symbol.is_namespace()
        if binds and name in context.protected and not _same_import(name, tree, context):
            violations.append(Violation(lines.get(name, 0), f"{name!r} is used by the tests and may not be redefined"))
        if symbol.is_referenced() and name in context.test_only and not binds:
            violations.append(Violation(lines.get(name, 0), f"{name!r} belongs to the tests and may not be read"))
    for child in _walk_tables(table):
        for symbol in child.get_symbols():
            name = symbol.get_name()
            if symbol.is_declared_global() and symbol.is_assigned() and name in context.protected:
                violations.append(Violation(lines.get(name, 0),
                                            f"{name!r} is used by the tests and may not be redefined"))
            if symbol.is_global() and symbol.is_referenced() and name in context.test_only:
                violations.append(Violation(lines.get(name, 0),
                                            f"{name!r} belongs to the tests and may not be read"))
    return violations


def _same_import(name: str, tree: ast.AST, context: Context) -> bool:
    """True when every binding of `name` in the cell is an import of what the locked cells import as `name`."""
    if name not in context.imports:
        return False
    found = False
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                module = (alias.name if alias.asname else alias.name.split(".")[0]) if isinstance(node, ast.Import) \
                    else f"{node.module}.{alias.name}"
                if (alias.asname or alias.name.split(".")[0]) == name:
                    if module != context.imports[name]:
                        return False
                    found = True
        elif isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, (ast.Store, ast.Del)):
            return False
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return False
    return found


def _first_lines(tree: ast.AST) -> dict[str, int]:
    lines: dict[str, int] = {}
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = node.name
        elif isinstance(node, ast.alias):
            name = (node.asname or node.name).split(".")[0]
        if name is not None and hasattr(node, "lineno"):
            lines[name] = min(lines.get(name, node.lineno), node.lineno)
    return lines


def notebook_context(source_cells: Iterable[dict], release_cells: Iterable[dict]) -> Context:
    """The Context of one assignment notebook: test cells from the instructor's source (hidden tests
    included), locked cells and answer stubs from the release."""
    def meta(cell: dict) -> dict:
        return cell.get("metadata", {}).get("nbgrader", {})

    def text(cell: dict) -> str:
        source = cell.get("source", "")
        return "".join(source) if isinstance(source, list) else source

    code = [c for c in release_cells if c.get("cell_type") == "code"]
    tests = [text(c) for c in source_cells
             if c.get("cell_type") == "code" and meta(c).get("grade") and not meta(c).get("solution")]
    locked = [text(c) for c in code if meta(c).get("locked") and not meta(c).get("grade")]
    answers = [text(c) for c in code if meta(c).get("solution")]
    return Context.from_cells(locked, tests, answers)
