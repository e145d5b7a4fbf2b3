"""Hostile submissions against the grader: each one must score no more than the blank exercise.

Every hostile notebook is the BLANK release of a real assignment (ex01..ex11)
with one or more answer cells replaced by an attack on the test cells that
follow. So each must score what the blank scores (0), and per cell no more
than the blank. All of them are graded in ONE batch (module fixture), beside a
correct solution and the blank of every assignment, which must still get full
marks and zero; the instructor's folders and the submissions are hashed before
and after; and the report (grades.csv `problems`) must name what happened.

The classes of attack (the issue's words):
1. answers that are not what they claim to be (wrong types, wrong shapes that broadcast,
   bool/complex/object arrays, classes overriding comparison or conversion);
2. code that changes what the tests rely on (numpy, torch, math, builtins, dsconv_lib's
   helpers, IPython's exception handling);
3. code that reads what it should not (solutions, hidden tests' variables, other students, the gradebook);
4. code that tampers with the grader (writes, kills or exits the kernel, floods the output,
   forks, sleeps, loops, allocates without bound).
Direct unit tests of `dsconv_lib.checks` against objects that override operators are at the end.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import grading_support as support
import numpy as np
import pytest
from grading_support import course_command, grade_id, load, read_grades, write_batch

pytestmark = pytest.mark.grading
pytest.importorskip("nbgrader")

ROOT = support.ROOT
ASSIGNMENTS = tuple(sorted(p.name for p in (ROOT / "solutions").iterdir() if (p / f"{p.name}.ipynb").is_file()))
TIMEOUT_S = 5
MEMORY_MB = 2048

# The policy's rule texts (dsconv_lib/course/policy.py) the report must quote.
REDEFINED = "is used by the tests and may not be redefined"
TEST_ONLY = "belongs to the tests and may not be read"
ATTR_ASSIGN = "assigning or deleting the attribute"
NOT_ALLOWED = "is not allowed in answers"
BLANKED = "was not run, graded as blank"


def blank_with(assignment: str, replace: dict[str, str]) -> dict:
    """The released (blank) notebook of `assignment` with the answer cells in `replace` rewritten."""
    notebook = load(support.release_path(assignment))
    found = set()
    for cell in notebook["cells"]:
        if grade_id(cell) in replace:
            cell["source"] = replace[grade_id(cell)]
            found.add(grade_id(cell))
    assert found == set(replace), (assignment, set(replace) - found)
    return notebook


def attacks(batch: Path, out: Path) -> dict[str, tuple[str, dict[str, str], str, str]]:
    """{student: (assignment, {answer cell: attack source}, substring the report must contain, what it tries)}."""
    solution = (ROOT / "solutions" / "ex01" / "ex01.ipynb").as_posix()
    gradebook = (out / "course" / "gradebook.db").as_posix()
    victim = (batch / "solex01" / "ex01.ipynb").as_posix()
    frame_walk = (
        "def {name}(*args, **kwargs):\n"
        "    def spy():\n"
        "        yield walker.gi_frame.f_back.f_back.f_back.f_locals['expected']\n"
        "    walker = spy()\n"
        "    return next(walker)\n")
    patcher = ("class Patch:\n"
               "    def go(self):\n"
               "        self.{attr} = lambda *args, **kwargs: {value}\n")
    return {
        # ---------------------------------------------------------------- 1. not what they claim
        "c1string": ("ex01", {"answers": "answer_q1 = '16'\nanswer_q2 = 'e'\n"}, "notebook:expected a number, got str", "a string for a number"),
        "c1complex": ("ex02", {"answers": "answer_q1 = 'FLOPs'\nanswer_q2 = 4 + 0j\n",
                               "answers_roofline": "answer_roofline_bound = 'memory'\nanswer_roofline_time_us = 1e3 + 1j\n"},
                      "notebook:expected a number, got complex", "complex numbers"),
        "c1bool": ("ex05", {"answers": "answer_q1 = True\nanswer_q2 = True\n"}, "notebook:expected a number, got bool", "bools for whole numbers"),
        "c1shape1": ("ex05", {"pointwise_conv2d": "def pointwise_conv2d(x, weight, bias=None):\n"
                                                  "    return np.zeros((1,))\n",
                              "pointwise_macs": "def pointwise_macs(c_in, c_out, h, w):\n    return np.array([0])\n"},
                     "notebook:wrong shape: expected (1, 3, 4, 4), got (1,)", "shape (1,) that broadcasts"),
        "c1shapen1": ("ex03", {"separate": "def separate(kernel):\n"
                                           "    return np.ones((kernel.shape[0], 1)), np.ones((kernel.shape[1], 1))\n",
                               "is_rank_one": "def is_rank_one(kernel, tol=1e-8):\n    return np.ones(1)\n"},
                      "notebook:column must have shape", "(N, 1) factors and a truthy array for a bool"),
        "c1dtypes": ("ex04", {"connectivity": "def connectivity(c_in, c_out, groups=1):\n"
                                              "    return np.ones((c_out, c_in), dtype=complex)\n",
                              "depthwise_conv2d": "def depthwise_conv2d(x, weight, stride=1, padding=0):\n"
                                                  "    return np.empty(x.shape, dtype=object)\n"},
                     "notebook:expected real numbers, got dtype complex128", "complex and object arrays"),
        "c1subclass": ("ex06", {"answers": "class Two(int):\n    pass\nanswer_q1 = Two(2)\n",
                                "equivalent_kernel": "class Sneaky(np.ndarray):\n    pass\n\n"
                                                     "def equivalent_kernel(w_dw, w_pw):\n"
                                                     "    return np.zeros(1).view(Sneaky)\n"},
                       "notebook:got an object of its own class Two", "int and ndarray subclasses"),
        "c1eq": ("ex01", {"answers": "class Yes(int):\n    def __eq__(self, other):\n        return True\n\n"
                                     "    def __float__(self):\n        return 16.0\n\n"
                                     "answer_q1 = Yes(0)\nanswer_q2 = Yes(0)\n"},
                 "defining __eq__ is not allowed in answers", "__eq__/__float__ overridden"),
        "c1dataclass": ("ex03", {"answers": "import dataclasses\nname = '_' * 2 + 'eq' + '_' * 2\n"
                                            "S = dataclasses.make_dataclass('S', [], bases=(str,), namespace={name: lambda s, o: True})\n"
                                            "answer_q1 = S('x')\n"},
                        "the attribute .make_dataclass is not allowed", "a dunder through make_dataclass"),
        # ---------------------------------------------------------------- 2. changing what the tests rely on
        "c2allclose": ("ex01", {"answers": "np.isclose = lambda *args, **kwargs: True\nanswer_q1 = 0\n"},
                       ATTR_ASSIGN, "np.isclose patched"),
        "c2alias": ("ex04", {"answers": "import numpy as xp\nxp.isclose = lambda *args, **kwargs: True\n"},
                    ATTR_ASSIGN, "numpy patched through an alias"),
        "c2self": ("ex05", {"answers": patcher.format(attr="isclose", value="np.ones(1, bool)")
                            + "Patch.go(np)\nanswer_q1 = 0\nanswer_q2 = 0\n"},
                   "self.isclose outside a class's __init__", "numpy patched through `self`"),
        "c2checks": ("ex02", {"answers": patcher.format(attr="check_close", value="None")
                              + "import dsconv_lib.checks\nPatch.go(dsconv_lib.checks)\nanswer_q1 = 'x'\nanswer_q2 = 0\n"},
                     "self.check_close outside a class's __init__", "dsconv_lib.checks patched"),
        "c2math": ("ex03", {"answers": patcher.format(attr="isclose", value="True")
                            + "import math\nPatch.go(math)\nanswer_q1 = 'a'\n"},
                   "self.isclose outside a class's __init__", "math patched through `self`"),
        "c2sysmod": ("ex06", {"answers": "import sys\nsys.modules['numpy'].allclose = lambda *a, **k: True\n"},
                     "module 'sys' is not allowed in answers", "numpy patched through sys.modules"),
        "c2torch": ("ex06", {"pointwise_conv2d": "import torch\ntorch.allclose = lambda *a, **k: True\n"
                                                 "def pointwise_conv2d(z, weight):\n    return z\n"},
                    ATTR_ASSIGN, "torch patched"),
        "c2torchself": ("ex06", {"answers": "import torch\n" + patcher.format(attr="allclose", value="True")
                                 + "Patch.go(torch)\nanswer_q1 = 3\n"},
                        "self.allclose outside a class's __init__", "torch patched through `self` right after its import"),
        "c2classpatch": ("ex01", {"conv_cost": "from dsconv_lib import cost\n"
                                               "class Patch:\n    def go(self):\n"
                                               "        self.macs = property(lambda s: 0, lambda s, v: None)\n"
                                               "        self.params = property(lambda s: 0, lambda s, v: None)\n"
                                               "Patch.go(cost.Cost)\n"
                                               "def conv_params(c_in, c_out, k, bias=True):\n    return 0\n"
                                               "def conv_macs(c_in, c_out, k, h_out, w_out):\n    return 0\n"},
                         "self.macs outside a class's __init__", "the reference's class patched through `self`"),
        "c2rebind": ("ex01", {"answers": "check_close = lambda *args, **kwargs: None\n"
                                         "check_choice = lambda *args, **kwargs: None\n"
                                         "check_function_cases = lambda *args, **kwargs: None\n"},
                     "'check_close' " + REDEFINED, "check_* rebound"),
        "c2checkarray": ("ex05", {"answers": "def check_array(*args, **kwargs):\n    pass\n"},
                         "'check_array' " + REDEFINED, "check_array rebound"),
        "c2builtins": ("ex03", {"answers": "isinstance = lambda *args: True\nlen = lambda x: 2\nanswer_q1 = 'x'\n"},
                       "'isinstance' " + REDEFINED, "isinstance and len rebound"),
        "c2float": ("ex02", {"answers": "def float(x):\n    return 4.0\nanswer_q1 = 'x'\nanswer_q2 = 'x'\n"},
                    "'float' " + REDEFINED, "float rebound"),
        "c2custexc": ("ex04", {"answers": "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)\n"},
                      "'get_ipython' is not allowed", "IPython's set_custom_exc"),
        "c2excepthook": ("ex05", {"answers": "from dsconv_lib.checks import sys\nsys.excepthook = print\n"},
                         "importing 'sys' from dsconv_lib.checks is not allowed", "sys.excepthook via a library's sys"),
        "c2showtb": ("ex06", {"answers": "ip = get_ipython()\nip.showtraceback = lambda *a, **k: None\n"},
                     "'get_ipython' is not allowed", "showtraceback replaced"),
        "c2frames": ("ex01", {"answers": "def shell():\n    def spy():\n        yield walker.gi_frame.f_back\n"
                                         "    walker = spy()\n    return next(walker)\n"
                                         "shell().f_globals['check_close'] = lambda *a, **k: None\n"},
                     "the attribute .gi_frame is not allowed", "a module's globals through a frame"),
        # ---------------------------------------------------------------- 3. reading what it should not
        "c3open": ("ex01", {"answers": f"text = open({solution!r}).read()\nanswer_q1 = 16\n"},
                   "'open' is not allowed in answers", "open() on the solution"),
        "c3loadtxt": ("ex02", {"answers": f"rows = np.loadtxt({gradebook!r}, dtype=str)\n"},
                      "the attribute .loadtxt is not allowed", "np.loadtxt on the gradebook"),
        "c3pathlib": ("ex03", {"answers": f"import pathlib\ntext = pathlib.Path({victim!r}).read_text()\n"},
                      "module 'pathlib' is not allowed", "pathlib on another student"),
        "c3os": ("ex04", {"answers": "import os\nnames = os.listdir('/')\n"},
                 "module 'os' is not allowed", "os.listdir"),
        "c3libos": ("ex05", {"answers": f"import dsconv_lib.widgets\nfd = dsconv_lib.widgets.os.open({solution!r}, 0)\n"},
                    "the attribute .os is not allowed", "a library's os"),
        "c3imread": ("ex01", {"answers": f"import matplotlib.pyplot as plt\npicture = plt.imread({solution!r})\n"},
                     "refused access", "matplotlib reads the solution (Landlock)"),
        "c3hidden": ("ex06", {"equivalent_kernel": "def equivalent_kernel(w_dw, w_pw):\n"
                                                   "    for case in hidden.values():\n"
                                                   "        return case\n",
                              "separable_conv2d": "def separable_conv2d(x, w_dw, w_pw, stride=1, padding=0):\n"
                                                  "    return hidden_outputs\n"},
                     "'hidden' " + TEST_ONLY, "hidden tests' variables"),
        "c3cases": ("ex01", {"output_size": "def output_size(size, kernel, stride=1, padding=0, dilation=1):\n"
                                            "    return len(cases)\n"},
                    "'cases' " + TEST_ONLY, "the test's cases"),
        "c3expected": ("ex05", {"pointwise_macs": frame_walk.format(name="pointwise_macs")},
                       "the attribute .f_locals is not allowed", "check_function_cases' `expected` through frames"),
        "c3inspect": ("ex04", {"grouped_cost": "import dataclasses\n"
                                               "def grouped_params(c_in, c_out, k, groups=1):\n"
                                               "    return dataclasses.inspect.currentframe().f_back.f_locals['expected']\n"
                                               "grouped_macs = grouped_params\n"},
                      "the attribute .currentframe is not allowed", "inspect through dataclasses"),
        # ---------------------------------------------------------------- 4. tampering with the grader
        "c4savefig": ("ex02", {"answers": "import matplotlib\nmatplotlib.use('agg')\nimport matplotlib.pyplot as plt\n"
                                          f"plt.plot([1, 2])\nplt.savefig({victim!r}, format='png')\n"
                                          f"plt.savefig({gradebook!r}, format='png')\n"},
                      "refused access", "overwrite another student's notebook and the gradebook (Landlock)"),
        "c4write": ("ex03", {"answers": f"np.save({gradebook!r}, np.zeros(3))\n"},
                    "the attribute .save is not allowed", "np.save into the gradebook"),
        "c4exit": ("ex01", {"answers": "exit()\n"}, "'exit' is not allowed", "exit()"),
        "c4osexit": ("ex02", {"answers": "import os\nos._exit(0)\n"}, "module 'os' is not allowed", "os._exit"),
        "c4kill": ("ex03", {"answers": "from dsconv_lib.widgets import os\nos.kill(os.getppid(), 9)\n"},
                   "importing 'os' from dsconv_lib.widgets is not allowed", "os.kill(os.getppid())"),
        "c4sysexit": ("ex04", {"answers": "raise SystemExit(0)\n"}, "'SystemExit' is not allowed", "raise SystemExit"),
        "c4segv": ("ex05", {"answers": "from numpy.lib.stride_tricks import as_strided\n"
                                       "far = as_strided(np.zeros(1), shape=(10**6,), strides=(10**7,))\n"
                                       "answer_q1 = float(far.sum())\n"},
                   "the kernel died in cell 'answers'", "crash the kernel (segfault)"),
        "c4flood": ("ex06", {"answers": "for i in range(200_000):\n    print('spam' * 20)\nanswer_q1 = 3\n"},
                    "printed more than", "floods the output"),
        "c4fork": ("ex01", {"answers": "import multiprocessing\nmultiprocessing.Process(target=print).start()\n"},
                   "module 'multiprocessing' is not allowed", "multiprocessing"),
        "c4subprocess": ("ex02", {"answers": "import subprocess\nsubprocess.run(['true'])\n"},
                         "module 'subprocess' is not allowed", "subprocess"),
        "c4sleep": ("ex03", {"answers": "import time\ntime.sleep(10**6)\n"}, "time limit", "time.sleep(10**6)"),
        "c4busy": ("ex04", {"answers": "while True:\n    pass\n"}, "time limit", "a busy loop"),
        "c4memory": ("ex06", {"answers": "hog = np.ones(400_000_000)\n"}, "out of memory", "allocates 3.2 GB"),
        # the later assignments' own test cells
        "c1eqstr10": ("ex10", {"roofline": "class Both(str):\n    def __eq__(self, other):\n        return True\n\n"
                                           "def bound(macs, bytes_moved, peak, bandwidth):\n"
                                           "    return Both('memory')\n"},
                      "defining __eq__ is not allowed", "a str that equals both answers of bound()"),
        "c3ref10": ("ex10", {"roofline": "def bound(macs, bytes_moved, peak, bandwidth):\n"
                                         "    return bound_reference(macs, bytes_moved, peak, bandwidth)\n"},
                    TEST_ONLY, "bound() returns the test's own reference"),
        "c3ref11": ("ex11", {"energy": "def energy_uj(macs, bytes_moved, arithmetic, memory):\n"
                                       "    return energy_reference(macs, bytes_moved, arithmetic, memory)\n"},
                    TEST_ONLY, "energy_uj() returns the test's own reference"),
        "c2formulas07": ("ex07", {"block_cost": "from dsconv_lib.cost import formulas\n"
                                                "formulas.inverted_residual = lambda *a, **k: 0\n"},
                         ATTR_ASSIGN, "patch the library formula ex07's tests compare with"),
        "c2check09": ("ex09", {"answers": "check_close = lambda *a, **k: None\nanswer_q1 = 1\n"},
                      REDEFINED, "rebind check_close in ex09"),
        "c3getattr08": ("ex08", {"squeeze_excite": "def squeeze_excite(x, w1, b1, w2, b2):\n"
                                                   "    return getattr(np, 'lo' + 'ad')('/etc/passwd')\n"},
                        "'getattr' is not allowed", "reach np.load through getattr"),
    }


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and ".ipynb_checkpoints" not in p.parts}


@pytest.fixture(scope="module")
def graded():
    # A folder of its own, not tmp_path_factory's: pytest runs beside this one (same user) prune old basetemps.
    scratch = Path(tempfile.mkdtemp(prefix="dsconv-redteam-"))
    try:
        yield grade_the_batch(scratch / "hostile", scratch / "graded")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def grade_the_batch(batch: Path, out: Path) -> dict:
    batch.mkdir()
    out.mkdir()
    table = attacks(batch, out)
    files = {}
    for assignment in ASSIGNMENTS:  # the bystanders: a correct solution and the blank of each assignment
        files[f"sol{assignment}"] = (f"sol{assignment}/{assignment}.ipynb",
                                     lambda a=assignment: support.student_notebook(a))
        files[f"blank{assignment}"] = (f"blank{assignment}/{assignment}.ipynb",
                                       lambda a=assignment: load(support.release_path(a)))
    for student, (assignment, replace, _, _) in table.items():
        files[student] = (f"{student}/{assignment}.ipynb", lambda a=assignment, r=replace: blank_with(a, r))
    write_batch(files, batch)
    before = {"batch": digest(batch), "solutions": digest(ROOT / "solutions"), "exercises": digest(ROOT / "exercises")}
    result = course_command("grade", str(batch), "--out", str(out), "--jobs", "2", "--timeout", str(TIMEOUT_S),
                            "--memory-mb", str(MEMORY_MB), "--output-kb", "64")
    assert result.returncode == 0, result.stdout + result.stderr
    after = {"batch": digest(batch), "solutions": digest(ROOT / "solutions"), "exercises": digest(ROOT / "exercises")}
    rows = {r["student_id"]: r for r in read_grades(out) if r["student_id"]}
    return {"table": table, "rows": rows, "before": before, "after": after, "stdout": result.stdout, "out": out}


def number(text: str) -> float:
    return float(text) if text else 0.0


def cells_of(rows, student: str) -> dict[str, float]:
    row = rows[student]
    return {key: number(value) for key, value in row.items()
            if key.startswith("test_") and value != ""}


def test_bystanders_are_unaffected(graded):
    for assignment in ASSIGNMENTS:
        solution, blank = graded["rows"][f"sol{assignment}"], graded["rows"][f"blank{assignment}"]
        assert solution["status"] == "graded" and solution["score"] == solution["max_score"], solution
        assert not solution["problems"], solution
        assert blank["status"] == "graded" and number(blank["score"]) == 0, blank


def test_every_attack_was_graded_and_reported(graded):
    assert set(graded["table"]) <= set(graded["rows"]), sorted(set(graded["table"]) - set(graded["rows"]))


ATTACKS = list(attacks(Path("/batch"), Path("/out")))


@pytest.mark.parametrize("student", ATTACKS)
def test_attack_scores_no_more_than_blank(graded, student):
    assignment, replace, report, what = graded["table"][student]
    row = graded["rows"][student]
    blank = cells_of(graded["rows"], f"blank{assignment}")
    got = cells_of(graded["rows"], student)
    for cell, score in got.items():
        if cell in blank:
            assert score <= blank[cell], (what, cell, row)
    assert number(row["score"]) <= number(graded["rows"][f"blank{assignment}"]["score"]), (what, row)
    if report.startswith("notebook:"):  # a failed test's message, in the graded notebook
        graded_notebook = next(p for p in (graded["out"] / "course" / "autograded", graded["out"] / "autograded")
                               if (p / student).is_dir()) / student / assignment / f"{assignment}.ipynb"
        outputs = "\n".join(str(o.get("evalue", "")) + "".join(o.get("traceback", []))
                            for c in load(graded_notebook)["cells"] for o in c.get("outputs", []))
        assert report.removeprefix("notebook:") in outputs, (what, outputs[-3000:])
    else:
        assert report in row["problems"], (what, row["problems"])


def test_instructor_files_and_submissions_are_unchanged(graded):
    assert graded["after"] == graded["before"]


# ----------------------------------------------------------------------------- the checks, directly


class AlwaysEqual(float):
    """A float that claims to equal anything and converts to whatever the test wants."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = float.__hash__

    def __float__(self):
        return 16.0

    def __int__(self):
        return 16

    def __abs__(self):
        return 0.0

    def __sub__(self, other):
        return 0.0

    __rsub__ = __sub__


class AlwaysClose(np.ndarray):
    """An array whose ufuncs (np.isclose, np.abs, ...) answer whatever makes a comparison pass."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(np.broadcast_shapes(*(np.shape(i) for i in inputs)), dtype=bool) \
            if ufunc in (np.isnan, np.not_equal) else np.ones(np.broadcast_shapes(*(np.shape(i) for i in inputs)), dtype=bool)

    def astype(self, *args, **kwargs):
        return self


class Anything(str):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = str.__hash__

    def strip(self):
        return self

    def lower(self):
        return self


@pytest.mark.parametrize("got", [AlwaysEqual(3.0), np.float64(16.5), "16", 16 + 0j, True, np.array([16]),
                                 type("F64", (np.float64,), {"__float__": lambda self: 16.0})(3.0)])
def test_check_close_refuses_impostors(got):
    from dsconv_lib.checks import check_close

    with pytest.raises(AssertionError):
        check_close("answer", got, 16)


@pytest.mark.parametrize("got", [
    np.zeros(3).view(AlwaysClose),                # operators and ufuncs overridden
    np.zeros(1),                                  # shape (1,) broadcasts against (3,)
    np.zeros((3, 1)),                             # (N, 1) broadcasts against (N,)
    np.array([1, 2, 3], dtype=object),            # object array with the right values
    np.array([1, 2, 3], dtype=complex),           # complex with the right values
    np.array([True, True, True]),                 # bool where floats are expected
    [AlwaysEqual(1.0), AlwaysEqual(2.0), AlwaysEqual(3.5)],
])
def test_check_array_refuses_impostors(got):
    from dsconv_lib.checks import check_array

    with pytest.raises(AssertionError):
        check_array("y", got, np.array([1.0, 2.0, 3.5]))


def test_check_choice_refuses_a_str_that_equals_anything():
    from dsconv_lib.checks import check_choice

    with pytest.raises(AssertionError):
        check_choice("answer", Anything("z"), "a", "abcd")
    check_choice("answer", " A", "a", "abcd")  # a plain str still passes


def test_check_function_cases_refuses_impostors():
    from dsconv_lib.checks import check_function_cases

    cases = {"one": (np.array([1.0, 2.0]),)}
    for impostor in (lambda x: (x * 2).view(AlwaysClose) + 1, lambda x: AlwaysEqual(0.0)):
        with pytest.raises(AssertionError):
            check_function_cases(impostor, cases, lambda x: x * 2)
    check_function_cases(lambda x: x + x, cases, lambda x: x * 2)  # the honest answer passes


def test_print_attack_table(graded):
    """The attack table with what the report said (pytest -s shows it)."""
    for student, (assignment, _, _, what) in graded["table"].items():
        row = graded["rows"].get(student, {})
        print(f"{student:14} {assignment} {row.get('score')}/{row.get('max_score')} {what}: {row.get('problems')}")
