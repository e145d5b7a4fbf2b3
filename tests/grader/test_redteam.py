"""Hostile submissions against the grader: each one must score no more than the blank exercise.

Every hostile notebook is the BLANK release of a real assignment (ex01..ex11)
with answer cells replaced by an attack on the test cells that follow (or its
structure forged). So each must score what the blank scores (0), and per cell
no more than the blank. All of them are graded in ONE batch (module fixture),
beside a correct solution and the blank of every assignment, which must still
get full marks and zero; the instructor's folders and the submissions are hashed
before and after; and each attack's outcome is named where a student or an
instructor reads it: in grades.csv's `problems` (a limit or a refusal of the
operating system) or in the graded notebook (the test's own message).

The tests run in a trusted kernel and the student's code in a confined one
(dsconv_grader.execution.execute), so what an answer does in its own process changes
no verdict. The classes of attack:
1. answers that are not what they claim to be (wrong types, shapes that broadcast,
   bool/complex/object arrays, classes overriding comparison or conversion);
2. code that changes what the tests rely on (numpy, torch, builtins, dsconv_lib's
   helpers, IPython's hooks and input transformers: through magics, automagic,
   top-level await and functions that evaluate strings);
3. code that reads what it should not (solutions, hidden tests' variables, other
   students, the gradebook, the grader's environment, another kernel's shared memory);
4. code that tampers with the grader (writes, kills or exits the kernel, floods
   any kind of output, forks, sleeps, loops, allocates without bound, runs past
   the notebook's total time);
5. forged structure (an answer cell marked locked, a cell claiming a test's or a
   locked cell's grade id, a test cell turned into a raw or markdown cell).
Direct unit tests of `dsconv_lib.checks` against objects that override operators are at the end.
"""

from __future__ import annotations

import hashlib
import json
import os
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
TIMEOUT_S = 8
NOTEBOOK_TIMEOUT_S = 45
MEMORY_MB = 2048
SECRET = "instructor-token-6f1d2c"  # in the grader's environment: no student may read it

# What the report says (dsconv_grader/job.py, NOTABLE_ERRORS) and the tests print.
REFUSED = "was refused access"
NOT_ALLOWED = "tried something the grader does not allow"
DIED = "the kernel died in cell"
NOT_IMPLEMENTED = "notebook:not implemented yet"
UNDEFINED = "notebook:is not defined"


def blank_with(assignment: str, replace) -> dict:
    """The released (blank) notebook of `assignment` with the answer cells in `replace` rewritten, or edited by
    `replace` when it is a function of the notebook."""
    notebook = load(support.release_path(assignment))
    if callable(replace):
        replace(notebook)
        return notebook
    found = set()
    for cell in notebook["cells"]:
        if grade_id(cell) in replace:
            cell["source"] = replace[grade_id(cell)]
            found.add(grade_id(cell))
    assert found == set(replace), (assignment, set(replace) - found)
    return notebook


def forge(cell_id: str, source: str, **metadata) -> callable:
    """An edit: cell `cell_id` gets `source` and its nbgrader metadata updated with `metadata`
    (cell_type=... changes the cell's type)."""
    def edit(notebook: dict) -> None:
        for cell in notebook["cells"]:
            if grade_id(cell) == cell_id:
                cell["source"] = source
                if "cell_type" in metadata:
                    cell["cell_type"] = metadata.pop("cell_type")
                    cell.pop("outputs", None)
                    cell.pop("execution_count", None)
                cell["metadata"]["nbgrader"].update(metadata)
    return edit


def added_cells(*sources: str, after: str = "answers", **metadata) -> callable:
    """An edit: code cells with `sources` added after cell `after`, with nbgrader metadata `metadata` if any."""
    def edit(notebook: dict) -> None:
        index = next(i for i, c in enumerate(notebook["cells"]) if grade_id(c) == after)
        cells = [{"cell_type": "code", "execution_count": None, "outputs": [], "source": text,
                  "metadata": {"nbgrader": dict(metadata)} if metadata else {}} for text in sources]
        notebook["cells"][index + 1:index + 1] = cells
    return edit


# Patches that would make every later check pass if they ran beside the tests.
PATCH_CHECKS = ("import dsconv_lib.checks as c\n"
                "for name in ('check_array', 'check_close', 'check_choice', 'check_function_cases'):\n"
                "    c.__dict__[name].__code__ = (lambda *a, **k: None).__code__\n")
# If a test's `import torch` found this file, it would load the real torch and make every check pass.
PLANTED_TORCH = ("import importlib, os, sys\n"
                 "here = os.path.dirname(os.path.abspath(__file__))\n"
                 "sys.path[:] = [p for p in sys.path if os.path.abspath(p or '.') != here]\n"
                 "del sys.modules['torch']\n"
                 "sys.modules['torch'] = importlib.import_module('torch')\n"
                 + PATCH_CHECKS)
SKIP_ALL = "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])"


def attacks(batch: Path, out: Path) -> dict[str, tuple[str, object, str, str]]:
    """{student: (assignment, {answer cell: attack source} or an edit, what the report must name, what it tries)}.

    The report is a substring of grades.csv's `problems`, or, after "notebook:", of the graded notebook's outputs.
    """
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
    leak = ("import os\nprint('ENV', dict(os.environ))\nprint('PROC', open('/proc/self/environ', 'rb').read())\n"
            "answer_q1 = None\n")
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
        "c1subclass": ("ex06", {"answers": "class Three(int):\n    def __eq__(self, other):\n        return True\n"
                                           "    __hash__ = int.__hash__\nanswer_q1 = Three(3)\n",
                                "equivalent_kernel": "class Sneaky(np.ndarray):\n"
                                                     "    def __array_ufunc__(self, *a, **k):\n        return True\n\n"
                                                     "def equivalent_kernel(w_dw, w_pw):\n"
                                                     "    return np.zeros(1).view(Sneaky)\n"},
                       "notebook:expected 2, got 3", "int and ndarray subclasses that claim to equal anything"),
        "c1eq": ("ex01", {"answers": "class Yes(int):\n    def __eq__(self, other):\n        return True\n\n"
                                     "    def __float__(self):\n        return 16.0\n\n"
                                     "answer_q1 = Yes(0)\nanswer_q2 = Yes(0)\n"},
                 "notebook:expected 16, got 0", "__eq__/__float__ overridden"),
        "c1dataclass": ("ex03", {"answers": "import dataclasses\nname = '_' * 2 + 'eq' + '_' * 2\n"
                                            "S = dataclasses.make_dataclass('S', [], bases=(str,), namespace={name: lambda s, o: True})\n"
                                            "answer_q1 = S('x')\n"},
                        "notebook:answer_q1", "a dunder through make_dataclass"),
        "c1eqstr10": ("ex10", {"roofline": "class Both(str):\n    def __eq__(self, other):\n        return True\n\n"
                                           "def bound(macs, bytes_moved, peak, bandwidth):\n"
                                           "    return Both('neither')\n"},
                      "notebook:neither", "a str that equals both answers of bound()"),
        # ---------------------------------------------------------------- 2. changing what the tests rely on
        "c2allclose": ("ex01", {"answers": "np.isclose = lambda *args, **kwargs: True\nanswer_q1 = 0\n"},
                       "notebook:expected 16, got 0", "np.isclose patched"),
        "c2self": ("ex05", {"answers": patcher.format(attr="isclose", value="np.ones(1, bool)")
                            + "Patch.go(np)\nanswer_q1 = 0\nanswer_q2 = 0\n"},
                   "notebook:expected", "numpy patched through `self`"),
        "c2checks": ("ex02", {"answers": PATCH_CHECKS + "answer_q1 = 'x'\nanswer_q2 = 0\n"},
                     "notebook:expected 4, got 0", "dsconv_lib.checks' functions' code swapped"),
        "c2sysmod": ("ex06", {"answers": "import sys\nsys.modules['numpy'].allclose = lambda *a, **k: True\n"},
                     NOT_IMPLEMENTED, "numpy patched through sys.modules"),
        "c2torch": ("ex06", {"pointwise_conv2d": "import torch\ntorch.allclose = lambda *a, **k: True\n"
                                                 "def pointwise_conv2d(z, weight):\n    return z\n"},
                    "notebook:cases failed", "torch patched"),
        "c2classpatch": ("ex01", {"conv_cost": "from dsconv_lib import cost\n"
                                               "class Patch:\n    def go(self):\n"
                                               "        self.macs = property(lambda s: 0, lambda s, v: None)\n"
                                               "Patch.go(cost.Cost)\n"
                                               "def conv_params(c_in, c_out, k, bias=True):\n    return 0\n"
                                               "def conv_macs(c_in, c_out, k, h_out, w_out):\n    return 0\n"},
                         "notebook:cases failed", "the reference's class patched"),
        "c2formulas07": ("ex07", {"block_cost": "from dsconv_lib.cost import formulas\n"
                                                "formulas.inverted_residual = lambda *a, **k: 0\n"},
                         NOT_ALLOWED, "patch the library formula ex07's tests compare with"),
        "c2rebind": ("ex01", {"answers": "check_close = lambda *args, **kwargs: None\n"
                                         "check_choice = lambda *args, **kwargs: None\n"
                                         "check_function_cases = lambda *args, **kwargs: None\n"},
                     "notebook:answer_q1: set it", "check_* rebound"),
        "c2builtins": ("ex03", {"answers": "isinstance = lambda *args: True\nlen = lambda x: 2\nanswer_q1 = 'x'\n"},
                       "notebook:answer_q1: set it to", "isinstance and len rebound"),
        "c2custexc": ("ex04", {"answers": "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)\n"},
                      NOT_IMPLEMENTED, "IPython's set_custom_exc"),
        "c2showtb": ("ex06", {"answers": "ip = get_ipython()\nip.showtraceback = lambda *a, **k: None\n"},
                     NOT_IMPLEMENTED, "showtraceback replaced"),
        "c2frames": ("ex01", {"answers": "import sys\nsys._getframe(0).f_globals['check_close'] = lambda *a, **k: None\n"},
                     "notebook:answer_q1: set it", "a module's globals through a frame"),
        "c2timeit": ("ex01", {"answers": f"%timeit -n1 -r1 {SKIP_ALL}\n"}, "notebook:answer_q1: set it",
                     "an input transformer installed through %timeit's options"),
        "c2cellmagic": ("ex02", {"answers": f"%%timeit -n1 -r1\n{SKIP_ALL}\n"}, "notebook:answer_q1",
                        "an input transformer installed in a %%timeit cell"),
        "c2automagic": ("ex03", added_cells("env DSCONV_X=1", "alias ls echo", after="answers"), "notebook:answer_q1",
                        "one-line cells that automagic turns into magics"),
        "c2await": ("ex04", {"answers": f"import asyncio\nawait asyncio.sleep(0)\n{SKIP_ALL}\n"}, NOT_IMPLEMENTED,
                    "top-level await, then an input transformer"),
        "c2eval": ("ex05", {"answers": f"eval(compile({SKIP_ALL!r}, 'x', 'eval'))\n"
                                       "exec(\"import dsconv_lib.checks as c; c.check_close.__code__ = (lambda *a: 0).__code__\")\n"},
                   "notebook:answer_q1", "functions that evaluate strings"),
        "c2attrgetter": ("ex06", {"answers": "import operator\noperator.attrgetter('__class__')(get_ipython())\n"
                                             f"{SKIP_ALL}\n"},
                         NOT_IMPLEMENTED, "attributes looked up by computed name"),
        "c2plant": ("ex07", {"answers": "open('torch.py', 'w').write(" + repr(PLANTED_TORCH) + ")\n"},
                    "notebook:answer_q1", "a torch.py in the working folder, for a test's `import torch` to find"),
        "c2check09": ("ex09", {"answers": "check_close = lambda *a, **k: None\nanswer_q1 = 1\n"},
                      "notebook:expected", "rebind check_close in ex09"),
        # ---------------------------------------------------------------- 3. reading what it should not
        "c3open": ("ex01", {"answers": f"text = open({solution!r}).read()\nanswer_q1 = 16\n"},
                   REFUSED, "open() on the solution"),
        "c3loadtxt": ("ex02", {"answers": f"rows = np.loadtxt({gradebook!r}, dtype=str)\n"}, REFUSED,
                      "np.loadtxt on the gradebook"),
        "c3pathlib": ("ex03", {"answers": f"import pathlib\ntext = pathlib.Path({victim!r}).read_text()\n"},
                      REFUSED, "pathlib on another student"),
        "c3imread": ("ex01", {"answers": f"import matplotlib.pyplot as plt\npicture = plt.imread({solution!r})\n"},
                     REFUSED, "matplotlib reads the solution (Landlock)"),
        "c3hidden": ("ex06", {"equivalent_kernel": "def equivalent_kernel(w_dw, w_pw):\n"
                                                   "    for case in hidden.values():\n"
                                                   "        return case\n",
                              "separable_conv2d": "def separable_conv2d(x, w_dw, w_pw, stride=1, padding=0):\n"
                                                  "    return hidden_outputs\n"},
                     UNDEFINED, "hidden tests' variables"),
        "c3cases": ("ex01", {"output_size": "def output_size(size, kernel, stride=1, padding=0, dilation=1):\n"
                                            "    return len(cases)\n"},
                    UNDEFINED, "the test's cases"),
        "c3expected": ("ex05", {"pointwise_macs": frame_walk.format(name="pointwise_macs")},
                       "notebook:raised", "check_function_cases' `expected` through frames"),
        "c3ref10": ("ex10", {"roofline": "def bound(macs, bytes_moved, peak, bandwidth):\n"
                                         "    return bound_reference(macs, bytes_moved, peak, bandwidth)\n"},
                    UNDEFINED, "bound() returns the test's own reference"),
        "c3ref11": ("ex11", {"energy": "def energy_uj(macs, bytes_moved, arithmetic, memory):\n"
                                       "    return energy_reference(macs, bytes_moved, arithmetic, memory)\n"},
                    UNDEFINED, "energy_uj() returns the test's own reference"),
        "c3getattr08": ("ex08", {"squeeze_excite": "def squeeze_excite(x, w1, b1, w2, b2):\n"
                                                   "    return getattr(np, 'lo' + 'ad')('/etc/passwd')\n"},
                        "notebook:raised", "reach np.load through getattr"),
        "c3environ": ("ex01", {"answers": leak}, "notebook:answer_q1: set it", "the grader's environment"),
        "c3envmagic": ("ex02", added_cells("%env", "%set_env", after="answers"), "notebook:answer_q1",
                       "the grader's environment through %env"),
        "c3shm": ("ex03", {"answers": "open('/dev/shm/dsconv-channel', 'w').write('from c3shm')\n"}, REFUSED,
                  "a channel to other students' kernels in /dev/shm"),
        # ---------------------------------------------------------------- 4. tampering with the grader
        "c4savefig": ("ex02", {"answers": "import matplotlib\nmatplotlib.use('agg')\nimport matplotlib.pyplot as plt\n"
                                          f"plt.plot([1, 2])\nplt.savefig({victim!r}, format='png')\n"
                                          f"plt.savefig({gradebook!r}, format='png')\n"},
                      REFUSED, "overwrite another student's notebook and the gradebook (Landlock)"),
        "c4write": ("ex03", {"answers": f"np.save({gradebook!r}, np.zeros(3))\n"}, REFUSED, "np.save into the gradebook"),
        "c4exit": ("ex01", {"answers": "exit()\n"}, UNDEFINED, "exit() (it only asks a front end to close)"),
        "c4osexit": ("ex02", {"answers": "import os\nos._exit(0)\n"}, DIED, "os._exit"),
        "c4kill": ("ex03", {"answers": "import os\nos.kill(os.getppid(), 9)\n"}, NOT_ALLOWED, "os.kill(os.getppid())"),
        "c4killserver": ("ex04", {"answers": "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                                             "print('kill the fork server:', libc.kill(os.getppid(), 9), "
                                             "libc.kill(os.getppid() + 1, 9))\n"},
                         "notebook:kill the fork server: -1 -1",
                         "kill the process its kernel was forked from, and a sibling, with libc (Landlock's signal scope)"),
        "c4sysexit": ("ex04", {"answers": "raise SystemExit(0)\n"}, NOT_IMPLEMENTED, "raise SystemExit"),
        "c4segv": ("ex05", {"answers": "from numpy.lib.stride_tricks import as_strided\n"
                                       "far = as_strided(np.zeros(1), shape=(10**6,), strides=(10**7,))\n"
                                       "answer_q1 = float(far.sum())\n"},
                   "the kernel died in cell 'answers'", "crash the kernel (segfault)"),
        "c4segvcall": ("ex05", {"pointwise_macs": "from numpy.lib.stride_tricks import as_strided\n"
                                                  "def pointwise_macs(c_in, c_out, h, w):\n"
                                                  "    return as_strided(np.zeros(1), shape=(10**6,), strides=(10**7,)).sum()\n"},
                       "the kernel died in cell 'test_pointwise_macs'", "crash the kernel inside a test's call"),
        "c4flood": ("ex06", {"answers": "for i in range(200_000):\n    print('spam' * 20)\nanswer_q1 = 3\n"},
                    "printed more than", "floods the printed output"),
        "c4display": ("ex07", {"answers": "from IPython.display import HTML, display\n"
                                          "for i in range(40):\n    display(HTML('<b>big</b>' * 100_000))\n"},
                      "printed more than", "floods display_data"),
        "c4result": ("ex08", added_cells("'x' * 50_000_000", "np.ones(10**7)", after="answers"),
                     "printed more than", "floods execute_result"),
        "c4fork": ("ex01", {"answers": "import multiprocessing\nmultiprocessing.Process(target=print).start()\n"},
                   NOT_ALLOWED, "multiprocessing"),
        "c4subprocess": ("ex02", {"answers": "import subprocess\nsubprocess.run(['true'])\n"}, NOT_ALLOWED, "subprocess"),
        "c4shell": ("ex03", {"answers": "!cat /etc/hostname\n%pip install requests\nanswer_q1 = 'x'\n"},
                    "notebook:not run when grading", "shell escapes and %pip"),
        "c4sleep": ("ex03", {"answers": "import time\ntime.sleep(10**6)\n"}, "time limit", "time.sleep(10**6)"),
        "c4busy": ("ex04", {"answers": "while True:\n    pass\n"}, "time limit", "a busy loop"),
        "c4busycall": ("ex04", {"grouped_cost": "def grouped_params(c_in, c_out, k, groups=1):\n"
                                                "    while True:\n        pass\n"
                                                "grouped_macs = grouped_params\n"},
                       "time limit", "a busy loop inside a test's call"),
        "c4memory": ("ex06", {"answers": "hog = np.ones(400_000_000)\n"}, "out of memory", "allocates 3.2 GB"),
        "c4total": ("ex11", added_cells(*["import time\ntime.sleep(4.5)"] * 12, after="answers"),
                    "total time limit", "every cell under its limit, the notebook far over its own"),
        # ---------------------------------------------------------------- 5. forged structure
        "c5locked": ("ex01", forge("answers", PATCH_CHECKS + "answer_q1 = 0\nanswer_q2 = 'b'\n", locked=True),
                     "notebook:expected 16, got 0", "an answer cell marked locked, to run beside the tests"),
        "c5claimtest": ("ex02", added_cells(PATCH_CHECKS, after="answers", grade=True, grade_id="test_q1",
                                            locked=True, points=5, solution=False),
                        "claimed the grade id 'test_q1'", "a cell claiming a test's grade id"),
        "c5claimgiven": ("ex03", added_cells(PATCH_CHECKS, after="answers", grade_id="imports", locked=True),
                         "claimed the grade id 'imports'", "a cell claiming the locked imports cell's grade id"),
        "c5editgiven": ("ex04", forge("imports", PATCH_CHECKS + "import numpy as np\n"),
                        "cell 'imports' was edited", "the locked imports cell edited to patch the checks"),
        "c5rawtest": ("ex05", forge("test_q1", "pass\n", cell_type="raw"), "test cell 'test_q1' was edited",
                      "a test cell turned into a raw cell"),
        "c5mdtest": ("ex06", forge("test_q1", "nothing to see", cell_type="markdown"), "test cell 'test_q1' was edited",
                     "a test cell turned into markdown"),
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
    intake_attacks(batch)
    before = {"batch": digest(batch), "solutions": digest(ROOT / "solutions"), "exercises": digest(ROOT / "exercises")}
    os.environ["DSCONV_INSTRUCTOR_SECRET"] = SECRET  # inherited by the grader, never by a student's kernel
    try:
        result = course_command("grade", str(batch), "--out", str(out), "--jobs", "2", "--timeout", str(TIMEOUT_S),
                                "--notebook-timeout", str(NOTEBOOK_TIMEOUT_S), "--memory-mb", str(MEMORY_MB),
                                "--output-kb", "64")
    finally:
        del os.environ["DSCONV_INSTRUCTOR_SECRET"]
    assert result.returncode == 0, result.stdout + result.stderr
    after = {"batch": digest(batch), "solutions": digest(ROOT / "solutions"), "exercises": digest(ROOT / "exercises")}
    all_rows = read_grades(out)
    rows = {r["student_id"]: r for r in all_rows if r["student_id"]}
    return {"table": table, "rows": rows, "all_rows": all_rows, "before": before, "after": after, "stdout": result.stdout, "out": out}


def intake_attacks(batch: Path) -> None:
    """Files that must never be graded as what they claim: a link to the solution, an oversized notebook, a
    file in the attacker's own LMS folder named after another student (it is graded as the attacker's)."""
    (batch / "c6link").mkdir()
    (batch / "c6link" / "ex01.ipynb").symlink_to(ROOT / "solutions" / "ex01" / "ex01.ipynb")
    (batch / "c6folderlink").symlink_to(ROOT / "solutions" / "ex02", target_is_directory=True)
    (batch / "c6big").mkdir()
    with (batch / "c6big" / "ex03.ipynb").open("wb") as big:
        big.truncate(150 * 2**20)
    (batch / "c6imp").mkdir()
    (batch / "c6imp" / "solex04_ex04.ipynb").write_text(json.dumps(load(support.release_path("ex04"))))


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


def test_every_attack_was_graded(graded):
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
        outputs = notebook_outputs(graded, student)
        assert report.removeprefix("notebook:") in outputs, (what, outputs[-3000:])
    else:
        assert report in row["problems"], (what, row["problems"])


def graded_notebook(graded, student: str, assignment: str) -> Path:
    return graded["out"] / "course" / "autograded" / student / assignment / f"{assignment}.ipynb"


def notebook_outputs(graded, student: str) -> str:
    """Every output of `student`'s graded notebook, as text (streams, errors, and their tracebacks)."""
    notebook = load(graded_notebook(graded, student, graded["table"][student][0]))
    return "\n".join(str(o.get("text", "")) + str(o.get("evalue", "")) + "".join(o.get("traceback", []))
                     for c in notebook["cells"] for o in c.get("outputs", []))


def test_instructor_files_and_submissions_are_unchanged(graded):
    assert graded["after"] == graded["before"]


def test_the_graders_environment_reaches_no_student(graded):
    """c3environ and c3envmagic printed their whole environment: the grader's secret is not in it."""
    for path in graded["out"].rglob("*"):
        if path.is_file() and path.suffix in (".ipynb", ".html", ".csv"):
            assert SECRET not in path.read_text(encoding="utf-8", errors="replace"), path
    outputs = notebook_outputs(graded, "c3environ")
    assert "ENV" in outputs and "OMP_NUM_THREADS" in outputs, outputs[-2000:]  # it did print its environment


def test_links_oversized_files_and_impersonation_are_refused_or_graded_as_the_uploaders(graded):
    not_graded = {row["file"]: row["problems"] for row in graded["all_rows"] if row["status"] == "not graded"}
    assert "link" in not_graded["c6link/ex01.ipynb"], not_graded
    assert "link" in not_graded["c6folderlink"], not_graded
    assert "too large" in not_graded["c6big/ex03.ipynb"], not_graded
    assert "c6link" not in graded["rows"] and "c6big" not in graded["rows"]
    impostor = graded["rows"]["c6imp"]
    assert impostor["assignment_id"] == "ex04" and number(impostor["score"]) == 0, impostor
    assert "file name names student 'solex04' but it is in c6imp's folder; graded as c6imp's" in impostor["problems"]
    victim = graded["rows"]["solex04"]
    assert victim["score"] == victim["max_score"] and victim["file"] == "solex04/ex04.ipynb", victim


def test_feedback_shows_no_hidden_tests_and_no_grading_paths(graded):
    pages = list((graded["out"] / "feedback").rglob("*.html"))
    assert len(pages) >= len(graded["rows"]) - 1, len(pages)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        student = page.relative_to(graded["out"] / "feedback").parts[0]
        own = json.dumps(graded["table"].get(student, ("", {}))[1], default=str)  # what the student wrote: shown
        for leak in ("HIDDEN TESTS", "_rng = np.random.default_rng(", "dsconv-job-", str(ROOT), str(graded["out"])):
            assert leak not in text or leak in own, (page, leak)
    own = (graded["out"] / "feedback" / "c3environ" / "ex01" / "ex01.html").read_text(encoding="utf-8")
    assert "proc/self/environ" in own  # the student's own code is shown


def test_no_channel_between_students_kernels():
    assert not Path("/dev/shm/dsconv-channel").exists()


def test_every_kind_of_output_is_capped(graded):
    for student in ("c4flood", "c4display", "c4result"):
        assignment = graded["table"][student][0]
        size = graded_notebook(graded, student, assignment).stat().st_size
        assert size < 1_000_000, (student, size)  # 64 KiB of output, and the notebook's own text


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
