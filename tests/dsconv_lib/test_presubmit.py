"""dsconv_lib.presubmit: the "Before you submit" cell that ends every exercise.

- The report: blank answers (undefined, None, the stub's NotImplementedError),
  implement-it-yourself violations that `forbid` recorded in this process
  (`dsconv_lib.checks.forbid_log`), commands in IPython's history that do not
  run when graded (the install cell excepted), the grading limits; "all clear"
  when nothing is flagged; never an exception, whatever the namespace holds.
- Every solution and every released exercise ends with the locked
  `before_you_submit` cell, which names the notebook's own answers, and its
  "How to work" list states the rules with the grading limits.
- In a real kernel: a solution run top to bottom is all clear; a blank
  exercise lists its blank answers; a shell command in the history is named.
"""

from __future__ import annotations

import ast
import functools
import re
import types
from pathlib import Path

import numpy as np
import pytest

from dsconv_lib import presubmit, reference
from notebooks import answer_cells, load, source
from dsconv_lib.checks import ForbiddenCall, ForbiddenCallError, _BlockImport, check_function_cases, forbid, forbid_log
from dsconv_lib.presubmit import GRADING_LIMITS, Blank, Violation, before_you_submit

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if (p / f"{p.name}.ipynb").is_file())


@pytest.fixture(autouse=True)
def clean_log():
    """Each test starts with an empty `forbid_log` (it is the process's own) and leaves one."""
    forbid_log.clear()
    yield
    forbid_log.clear()


@pytest.fixture
def no_ipython(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(presubmit, "_ipython", lambda: None)


def notebook_namespace(source: str) -> dict:
    """The names a notebook cell with `source` defines, as in a kernel (`__name__` is "__main__")."""
    namespace = {"__name__": "__main__", "np": np, "reference": reference}
    exec(compile(source, "<cell>", "exec"), namespace)
    return namespace


def tests_ran() -> None:
    """What a test cell leaves in `forbid_log`: one `forbid` block run."""
    with forbid("dsconv_lib.shapes"):
        pass


# ----------------------------------------------------------------------------- blank answers


def test_a_blank_namespace_lists_every_answer_as_not_defined(no_ipython, capsys):
    report = before_you_submit({}, answers=["conv2d", "answer_q1"], implement_yourself=["conv2d"])
    assert report.blank == (Blank("conv2d", "undefined"), Blank("answer_q1", "undefined"))
    assert not report.all_clear
    printed = capsys.readouterr().out
    assert printed.strip() == report.text
    assert "Not answered yet: `conv2d` and `answer_q1` are not defined" in printed
    assert "all clear" not in printed


STUBS = {
    "the stub": "def f(x):\n    \"\"\"doc\"\"\"\n    # YOUR CODE HERE\n    raise NotImplementedError()\n",
    "without parentheses": "def f(x):\n    raise NotImplementedError\n",
    "with a message": "def f(x):\n    raise NotImplementedError('part B')\n",
    "after some code": "def f(x):\n    y = x + 1\n    if y:\n        raise NotImplementedError()\n    return y\n",
    "in a nested function": "def f(x):\n    def g():\n        raise NotImplementedError()\n    return g\n",
    "a message over lines": "def f(x):\n    raise NotImplementedError(\n        f'{x} is not done',\n    )\n",
    "from None": "def f(x):\n    raise NotImplementedError from None\n",
    "in a method of a class": "class f:\n    def forward(self, x):\n        raise NotImplementedError()\n",
    "a partial of a stub": "import functools\ndef g(x, y):\n    raise NotImplementedError()\nf = functools.partial(g, 1)\n",
}
NOT_STUBS = {
    "written": "def f(x):\n    return x + 1\n",
    "catches NotImplementedError": "def f(x):\n    try:\n        return x()\n    except NotImplementedError:\n        return 0\n",
    "returns the class": "def f(x):\n    return NotImplementedError\n",
    "raises another error": "def f(x):\n    raise ValueError('negative size')\n",
    "tests for it": "def f(x):\n    if isinstance(x, NotImplementedError):\n        raise ValueError(x)\n",
    "re-raises another": ("def f(x):\n    try:\n        return x()\n    except (NotImplementedError, KeyError) as e:\n"
                          "        raise RuntimeError('no') from e\n"),
}


@pytest.mark.parametrize("source", STUBS.values(), ids=STUBS.keys())
def test_a_function_that_still_raises_not_implemented_error_is_blank(no_ipython, source):
    report = before_you_submit(notebook_namespace(source), answers=["f"], quiet=True)
    assert report.blank == (Blank("f", "stub"),)
    assert "`f` still raises NotImplementedError" in report.text


@pytest.mark.parametrize("source", NOT_STUBS.values(), ids=NOT_STUBS.keys())
def test_a_written_function_is_not_blank(no_ipython, source):
    report = before_you_submit(notebook_namespace(source), answers=["f"], quiet=True)
    assert report.blank == ()


def test_none_is_blank_and_zero_or_false_are_answers(no_ipython):
    namespace = {"answer_q1": None, "answer_q2": 0, "answer_q3": False, "answer_q4": ""}
    report = before_you_submit(namespace, answers=list(namespace), quiet=True)
    assert report.blank == (Blank("answer_q1", "None"),)
    assert "`answer_q1` is still None" in report.text


# ----------------------------------------------------------------------------- all clear


def test_a_complete_notebook_is_all_clear(no_ipython, capsys):
    namespace = notebook_namespace("def conv2d(x, w):\n    return x\n\nanswer_q1 = 16\n")
    tests_ran()
    report = before_you_submit(namespace, answers=["conv2d", "answer_q1"], implement_yourself=["conv2d"])
    assert report.all_clear and report.tests_run
    assert (report.blank, report.violations, report.commands) == ((), (), ())
    printed = capsys.readouterr().out
    assert printed.startswith("Before you submit: all clear.")
    assert "✗" not in printed and "?" not in printed


def test_the_report_states_the_grading_limits(no_ipython):
    text = before_you_submit({}, quiet=True).text
    assert "fresh kernel" in text and "top to bottom" in text and "no internet" in text and "no files" in text
    assert f"{GRADING_LIMITS['cell_seconds']} s a cell" in text
    assert f"{GRADING_LIMITS['notebook_seconds']} s in all" in text
    assert f"{GRADING_LIMITS['memory_mb']} MiB" in text


def test_the_limits_are_the_graders():
    """GRADING_LIMITS are the values nbgrader_config.py sets for the executor (read from its assignments)."""
    configured = {}
    for node in ast.parse((ROOT / "nbgrader_config.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Attribute) \
                and isinstance(node.value, ast.Constant):
            configured[node.targets[0].attr] = node.value.value
    assert GRADING_LIMITS == {"cell_seconds": configured["timeout"], "notebook_seconds": configured["notebook_timeout"],
                              "memory_mb": configured["memory_limit_mb"]}


def test_without_a_test_run_the_implementation_is_not_checked_yet(no_ipython):
    namespace = notebook_namespace("def conv2d(x, w):\n    return x\n")
    report = before_you_submit(namespace, answers=["conv2d"], implement_yourself=["conv2d"], quiet=True)
    assert not report.tests_run and not report.all_clear
    assert "not checked yet" in report.text and "Restart and run all" in report.text
    # An exercise without implement-it-yourself parts needs no test run to be all clear.
    assert before_you_submit(namespace, answers=["conv2d"], quiet=True).all_clear


# ----------------------------------------------------------------------------- implement it yourself

CHEAT = ("def conv2d(x, w):\n"
         "    return helper(x, w)\n\n"
         "def helper(x, w):\n"
         "    return reference.conv2d(x, w)\n")
CASES = {"one image": (np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)))}


def test_forbid_records_each_call_it_refuses_with_the_notebooks_callers():
    namespace = notebook_namespace(CHEAT)
    with pytest.raises(ForbiddenCallError, match="implement it yourself: dsconv_lib.reference"):
        check_function_cases(namespace["conv2d"], CASES, reference.conv2d, forbidden=forbid.CONVOLUTIONS)
    assert forbid_log.blocks == 1
    [call] = forbid_log.calls
    assert call.target.startswith("dsconv_lib.reference.") and call.target.endswith(".conv2d")
    assert call.callers == ("conv2d", "helper")
    # Outside a block, the library is itself again and nothing more is recorded.
    namespace["conv2d"](*CASES["one image"])
    assert len(forbid_log.calls) == 1


def test_a_recorded_forbidden_call_is_reported_against_the_students_function(no_ipython):
    namespace = notebook_namespace(CHEAT)
    for _ in range(2):
        with pytest.raises(ForbiddenCallError):
            check_function_cases(namespace["conv2d"], CASES, reference.conv2d, forbidden=forbid.CONVOLUTIONS)
    report = before_you_submit(namespace, answers=["conv2d"], implement_yourself=["conv2d"], quiet=True)
    target = forbid_log.calls[0].target
    assert report.violations == (Violation("conv2d", target, 2),)
    assert not report.all_clear
    assert f"`conv2d` called `{target}`." in report.text
    assert "loses its points" in report.text


def test_a_function_fixed_since_is_not_reported(no_ipython):
    namespace = notebook_namespace(CHEAT)
    with pytest.raises(ForbiddenCallError):
        check_function_cases(namespace["conv2d"], CASES, reference.conv2d, forbidden=forbid.CONVOLUTIONS)
    exec("def helper(x, w):\n    return x\n", namespace)  # the student's fix, its cell run again
    report = before_you_submit(namespace, answers=["conv2d"], implement_yourself=["conv2d"], quiet=True)
    assert report.violations == () and report.all_clear


def test_forbid_works_the_same_when_its_log_is_broken():
    namespace = notebook_namespace(CHEAT)
    forbid_log.blocks, forbid_log.calls = None, None  # what a notebook's own code could do to it
    try:
        with pytest.raises(ForbiddenCallError, match="implement it yourself: dsconv_lib.reference"):
            with forbid():
                namespace["conv2d"](*CASES["one image"])
    finally:
        forbid_log.blocks, forbid_log.calls = 0, []


def test_an_import_refused_inside_forbid_is_recorded():
    with pytest.raises(ForbiddenCallError, match="importing not_a_module_of_this_course"):
        _BlockImport("not_a_module_of_this_course").find_spec("not_a_module_of_this_course")
    assert [call.target for call in forbid_log.calls] == ["import not_a_module_of_this_course"]


def test_torchs_convolutions_are_recorded_by_their_functional_name(no_ipython):
    torch = pytest.importorskip("torch")
    namespace = {"__name__": "__main__", "torch": torch}
    exec("def conv2d(x, w):\n    return torch.nn.functional.conv2d(torch.as_tensor(x), torch.as_tensor(w)).numpy()\n",
         namespace)
    with pytest.raises(ForbiddenCallError, match="torch's conv2d is not allowed"):
        with forbid():
            namespace["conv2d"](*CASES["one image"])
    assert forbid_log.calls[-1] == ForbiddenCall("torch.nn.functional.conv2d", ("conv2d",))
    report = before_you_submit(namespace, answers=["conv2d"], implement_yourself=["conv2d"], quiet=True)
    assert "`conv2d` called `torch.nn.functional.conv2d`" in report.text


# ----------------------------------------------------------------------------- commands

INSTALL = ('try:\n    import dsconv_lib\nexcept ImportError:\n'
           '    get_ipython().run_line_magic(\'pip\', \'install -q "git+https://github.com/dsconv-course/dsconv-course"\')\n')
HISTORY = [
    "",                                                                      # In [0]: IPython's placeholder
    INSTALL,                                                                 # In [1]: the course's install cell
    "import numpy as np\n",                                                  # In [2]
    "get_ipython().run_line_magic('pip', 'install torch')\n",                # In [3]: %pip install torch
    "get_ipython().system('ls -la')\n",                                      # In [4]: !ls -la
    "files = get_ipython().getoutput('ls')\n",                               # In [5]: files = !ls
    "get_ipython().run_cell_magic('bash', '', 'echo hi\\n')\n",              # In [6]: %%bash
    "get_ipython().run_line_magic('matplotlib', 'inline')\n",                # In [7]: allowed
    "get_ipython().run_line_magic('timeit', 'sum(range(9))')\n",             # In [8]: allowed
    "def f(:\n",                                                             # In [9]: does not parse
    None,                                                                    # In [10]: not text
    "import subprocess\nsubprocess.run(['ls'])\n",                           # In [11]
    "get_ipython().run_line_magic('ls', '')\n",                              # In [12]: an alias
    "get_ipython().run_line_magic('run', 'helpers.py')\n",                   # In [13]: a file of one's own
    "get_ipython().run_cell_magic('script', 'bash', 'echo\\n')\n",           # In [14]: %%script bash
    "get_ipython().run_line_magic('conda', 'install scipy')\n",              # In [15]
]


def fake_shell(history: list, aliases=(("ls", "ls"),)) -> types.SimpleNamespace:
    return types.SimpleNamespace(history_manager=types.SimpleNamespace(input_hist_parsed=history),
                                 user_ns={"In": history}, alias_manager=types.SimpleNamespace(aliases=list(aliases)))


def test_commands_that_do_not_run_when_graded_are_named_with_their_cell(monkeypatch):
    monkeypatch.setattr(presubmit, "_ipython", lambda: fake_shell(HISTORY))
    report = before_you_submit({}, quiet=True)
    assert [(c.cell, c.text) for c in report.commands] == [
        (3, "%pip install torch"), (4, "!ls -la"), (5, "!ls"), (6, "%%bash"), (11, "subprocess.run(...)"),
        (12, "%ls"), (13, "%run helpers.py"), (14, "%%script bash"), (15, "%conda install scipy")]
    assert not report.all_clear
    assert "In [3] %pip install torch" in report.text and "Delete them" in report.text
    assert "and 3 more" in report.text  # the first six are shown


def test_the_install_cell_is_not_flagged(monkeypatch):
    monkeypatch.setattr(presubmit, "_ipython", lambda: fake_shell(["", INSTALL, "import numpy as np\n"]))
    report = before_you_submit({}, quiet=True)
    assert report.commands == () and report.in_ipython and report.all_clear
    assert "✓ Commands: none that grading skips." in report.text


def test_a_pip_install_outside_the_install_cells_except_block_is_flagged(monkeypatch):
    cell = INSTALL.replace("import dsconv_lib", "import torch")
    monkeypatch.setattr(presubmit, "_ipython", lambda: fake_shell(["", cell]))
    [command] = before_you_submit({}, quiet=True).commands
    assert command.cell == 1 and command.text.startswith('%pip install -q "git+https://github.com/')


def test_the_history_falls_back_to_In_and_an_odd_shell_changes_nothing(monkeypatch):
    shell = types.SimpleNamespace(user_ns={"In": ["", "get_ipython().system('ls')\n"]})
    monkeypatch.setattr(presubmit, "_ipython", lambda: shell)
    assert [c.text for c in before_you_submit({}, quiet=True).commands] == ["!ls"]
    monkeypatch.setattr(presubmit, "_ipython", lambda: object())
    report = before_you_submit({}, quiet=True)
    assert report.commands == () and report.in_ipython


def test_outside_ipython_commands_are_not_checked(no_ipython):
    report = before_you_submit({}, quiet=True)
    assert not report.in_ipython and "Commands" not in report.text


# ----------------------------------------------------------------------------- odd input


class Hostile:
    """An object whose every hook raises."""

    def __getattribute__(self, name):
        raise RuntimeError(f"no {name}")

    def __eq__(self, other):
        raise RuntimeError("no ==")

    def __bool__(self):
        raise RuntimeError("no bool")

    __hash__ = None


class HostileMapping(dict):
    def __contains__(self, key):
        raise RuntimeError("no in")


ODD_NAMESPACES = {
    "hostile values": lambda: {"f": Hostile(), "answer_q1": np.arange(3), "g": np, "h": int,
                               "k": functools.partial(print)},
    "a hostile mapping": lambda: HostileMapping(f=1),
    "a list": lambda: [1, 2, 3],
    "a number": lambda: 42,
    "a hostile object": lambda: Hostile(),
}


@pytest.mark.parametrize("case", ODD_NAMESPACES)
def test_odd_namespaces_never_raise(no_ipython, case):
    namespace = ODD_NAMESPACES[case]()
    forbid_log.calls.append("not a ForbiddenCall")  # an odd record too
    report = before_you_submit(namespace, answers=["f", "answer_q1", "g", "h", "k", "missing"],
                               implement_yourself=["f"], quiet=True)
    assert report.text.startswith("Before you submit")


@pytest.mark.parametrize("answers", ["f", None, 5, [1, None, "f"], (n for n in ["f"])])
def test_odd_name_lists_never_raise(no_ipython, answers):
    report = before_you_submit({"f": None}, answers=answers, implement_yourself=answers, quiet=True)
    assert isinstance(report.blank, tuple)


def test_without_a_namespace_it_reads_the_callers_globals(no_ipython):
    report = before_you_submit(answers=["ROOT", "not_a_name_here"], quiet=True)
    assert report.blank == (Blank("not_a_name_here", "undefined"),)


# ----------------------------------------------------------------------------- the notebooks


def defined_names(code: str) -> tuple[list[str], list[str]]:
    """(every name a cell's code defines at its top level, the functions among them)."""
    names, functions = [], []
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
            functions.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [target.id for target in node.targets if isinstance(target, ast.Name)]
    return names, functions


def call_arguments(code: str) -> tuple[list[str], list[str]]:
    """The `answers` and `implement_yourself` lists of the cell's `before_you_submit(globals(), ...)` call."""
    calls = [node for node in ast.walk(ast.parse(code))
             if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "before_you_submit"]
    assert len(calls) == 1, code
    [call] = calls
    assert [ast.unparse(a) for a in call.args] == ["globals()"], code
    keywords = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    assert set(keywords) == {"answers", "implement_yourself"}, code
    return keywords["answers"], keywords["implement_yourself"]


NOTEBOOKS = [(kind, name) for name in ASSIGNMENTS for kind in ("solutions", "exercises")]


@pytest.mark.parametrize("kind, assignment", NOTEBOOKS, ids=[f"{k}/{a}" for k, a in NOTEBOOKS])
def test_every_notebook_ends_with_the_locked_before_you_submit_cell(kind: str, assignment: str):
    notebook = load(ROOT / kind / assignment / f"{assignment}.ipynb")
    solution = load(ROOT / "solutions" / assignment / f"{assignment}.ipynb")
    heading, last = notebook["cells"][-2:]
    assert heading["cell_type"] == "markdown" and source(heading).startswith("## Before you submit\n"), heading
    assert "Restart" in source(heading)
    assert last["cell_type"] == "code" and last["id"] == "before_you_submit"
    assert (last["metadata"]["deletable"], last["metadata"]["editable"]) == (False, False)
    meta = {k: v for k, v in last["metadata"]["nbgrader"].items() if k not in ("checksum", "cell_type")}
    assert meta == {"grade": False, "grade_id": "before_you_submit", "locked": True, "schema_version": 3,
                    "solution": False}
    assert source(last) == source(solution["cells"][-1])

    answers, own = call_arguments(source(last))
    solution_names = [n for code in map(source, answer_cells(solution)) for n in defined_names(code)[0]]
    released_names = [n for code in map(source, answer_cells(notebook)) for n in defined_names(code)[0]] \
        if kind == "exercises" else None
    missing = [name for name in answers if name not in solution_names]
    assert not missing, f"{assignment}: before_you_submit names {missing}, which no answer cell defines"
    if released_names is not None:  # every name the student's answer cells define is checked
        assert set(answers) == set(released_names), (answers, released_names)
    # The implement-it-yourself functions: answers that a test cell runs under `forbid`.
    tests = [source(c) for c in solution["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    functions = [n for code in map(source, answer_cells(solution)) for n in defined_names(code)[1]]
    for name in own:
        assert name in answers and name in functions, name
        assert any("forbid" in t and re.search(rf"\b{name}\b", t) for t in tests), name


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_how_to_work_is_one_list_of_the_rules_with_the_limits(assignment: str):
    intro = source(load(ROOT / "solutions" / assignment / f"{assignment}.ipynb")["cells"][0])
    how = intro.split("**How to work.**\n\n", 1)[1].split("\n\n", 1)[0]
    bullets = how.split("\n")
    assert all(b.startswith("- ") for b in bullets), how
    assert "**Implement it yourself**" in how and "`raise NotImplementedError()`" in how
    assert "Do not edit or delete the test cells" in how
    assert "fresh kernel" in how and "no internet" in how and "no files of your own" in how and "%pip" in how
    assert (f"{GRADING_LIMITS['cell_seconds']} s a cell, {GRADING_LIMITS['notebook_seconds']} s in all, and "
            f"{GRADING_LIMITS['memory_mb']} MiB of memory") in how
    assert "**Before you submit**" in bullets[-1]
    assert intro.count("**Implement it yourself") == 1


# ----------------------------------------------------------------------------- in a real kernel


def run_notebook(path: Path, extra_cells: tuple[str, ...] = ()) -> tuple[str, list]:
    """Run `path` top to bottom in a fresh kernel (errors allowed, like grading); the last cell's printed text."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(path, as_version=4)
    for code in extra_cells:
        notebook.cells.insert(-2, nbformat.v4.new_code_cell(code))
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    last = notebook.cells[-1]
    errors = [o for o in last.outputs if o.get("output_type") == "error"]
    assert not errors, errors
    return "".join(o.get("text", "") for o in last.outputs if o.get("output_type") == "stream"), notebook.cells


def test_a_solution_run_top_to_bottom_is_all_clear():
    text, _ = run_notebook(ROOT / "solutions" / "ex01" / "ex01.ipynb")
    assert text.startswith("Before you submit: all clear."), text
    assert "✓ Commands: none that grading skips." in text  # the install cell's %pip is not flagged


def test_a_blank_exercise_lists_its_blank_answers():
    text, _ = run_notebook(ROOT / "exercises" / "ex01" / "ex01.ipynb")
    assert ("`output_size`, `conv2d_single_channel`, `conv2d`, `conv_params` and `conv_macs` still raise "
            "NotImplementedError; `answer_q1` and `answer_q2` are still None") in text, text
    assert "all clear" not in text


def test_a_shell_command_and_a_library_call_in_a_kernel_are_reported():
    cheat = ("from dsconv_lib import reference as _reference\n"
             "def conv_params(c_in, c_out, k, bias=True):\n"
             "    from dsconv_lib import cost\n"
             "    return cost.conv(c_in, c_out, k, k, bias=bias).params\n")
    test = "check_function_cases(conv_params, {'a': (3, 4, 3, True)}, lambda *a: 0, forbidden=['dsconv_lib.cost'])"
    text, _ = run_notebook(ROOT / "solutions" / "ex01" / "ex01.ipynb", ("!true", cheat, test))
    assert "✗ Implement it yourself: `conv_params` called `dsconv_lib.cost." in text, text
    assert re.search(r"In \[\d+\] !true", text), text
    assert "%pip" not in text, text  # the install cell ran too, and is not flagged


def test_the_graders_trusted_kernel_gets_an_empty_report_and_no_output(monkeypatch, capsys):
    """The grader runs locked cells in its trusted kernel too, where no student code ran: nothing to say."""
    from dsconv_lib import presubmit

    monkeypatch.setenv(presubmit.TRUSTED_KERNEL_VARIABLE, "1")
    report = presubmit.before_you_submit({}, answers=["conv2d"], implement_yourself=["conv2d"])
    assert (report.blank, report.violations, report.commands, report.text) == ((), (), (), "")
    assert capsys.readouterr().out == ""
