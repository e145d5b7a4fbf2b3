"""The static answer policy (dsconv_lib.course.policy), directly: no grading, no kernel."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dsconv_lib.course.policy import check_cell, notebook_context

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").iterdir() if (p / f"{p.name}.ipynb").is_file())


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def context(assignment: str):
    return notebook_context(cells(ROOT / "solutions" / assignment / f"{assignment}.ipynb"),
                            cells(ROOT / "exercises" / assignment / f"{assignment}.ipynb"))


def text(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_solution_passes_the_policy(assignment):
    ctx = context(assignment)
    answers = [c for c in cells(ROOT / "solutions" / assignment / f"{assignment}.ipynb")
               if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    assert answers
    for cell in answers:
        for source in (text(cell), re.sub(r"^\s*### (BEGIN|END) SOLUTION\n", "", text(cell), flags=re.MULTILINE)):
            assert check_cell(source, ctx) == [], (cell["metadata"]["nbgrader"]["grade_id"], check_cell(source, ctx))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_blank_answer_passes_the_policy(assignment):
    ctx = context(assignment)
    for cell in cells(ROOT / "exercises" / assignment / f"{assignment}.ipynb"):
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            assert check_cell(text(cell), ctx) == []


ATTACKS = [  # (source, a substring of the rule it must break), in ex01's context
    # imports
    ("import os\n", "module 'os' is not allowed"),
    ("import subprocess\n", "module 'subprocess' is not allowed"),
    ("import ctypes\n", "module 'ctypes' is not allowed"),
    ("from dsconv_lib.course import grading\n", "module 'dsconv_lib.course' is not allowed"),
    ("import numpy.ctypeslib\n", "module 'numpy.ctypeslib' is not allowed"),
    ("from numpy import *\n", "import *"),
    ("from numpy import _core\n", "private name"),
    ("from . import x\n", "relative imports"),
    ("from dsconv_lib.checks import sys\n", "importing 'sys' from dsconv_lib.checks"),
    ("from dsconv_lib.checks import importlib\n", "importing 'importlib'"),
    ("from dsconv_lib.widgets import os\n", "importing 'os'"),
    # names
    ("open('/etc/passwd')\n", "'open' is not allowed"),
    ("exec('1')\n", "'exec' is not allowed"),
    ("eval('1')\n", "'eval' is not allowed"),
    ("x = getattr(np, 'allclose')\n", "'getattr' is not allowed"),
    ("g = globals()\n", "'globals' is not allowed"),
    ("exit()\n", "'exit' is not allowed"),
    ("quit()\n", "'quit' is not allowed"),
    ("raise SystemExit\n", "'SystemExit' is not allowed"),
    ("get_ipython().set_custom_exc((Exception,), print)\n", "'get_ipython' is not allowed"),
    ("x = Out[3]\n", "'Out' is not allowed"),
    ("x = _i3\n", "the name '_i3' is not allowed"),
    ("x = __builtins__\n", "the name '__builtins__' is not allowed"),
    # attributes
    ("x = np.__dict__\n", "private attribute .__dict__"),
    ("x = (1).__class__\n", "private attribute .__class__"),
    ("np.allclose = lambda *a, **k: True\n", "assigning or deleting the attribute .allclose"),
    ("import numpy as xp\nxp.isclose = None\n", "assigning or deleting the attribute .isclose"),
    ("del np.allclose\n", "assigning or deleting the attribute .allclose"),
    # `self` is whatever a method is called with: Patch.go(cost.Cost) would patch the tests' reference class
    ("from dsconv_lib import cost\nclass Patch:\n    def go(self):\n        self.macs = property(lambda s: 0)\n"
     "Patch.go(cost.Cost)\n", "assigning or deleting self.macs outside a class's __init__"),
    ("def go(self, value):\n    self.macs = value\n", "self.macs outside a class's __init__"),
    ("class P:\n    @staticmethod\n    def __init__(self):\n        self.x = 1\n", "self.x outside a class's __init__"),
    ("class P:\n    def __init__(self):\n        def g(self):\n            self.x = 1\n", "self.x outside"),
    ("class P:\n    def __init__(this, self):\n        self.x = 1\n", "self.x outside"),
    ("x = np.loadtxt('/tmp/x')\n", "the attribute .loadtxt is not allowed"),
    ("np.save('/tmp/x', np.zeros(1))\n", "the attribute .save is not allowed"),
    ("np.zeros(3).tofile('/tmp/x')\n", "the attribute .tofile is not allowed"),
    ("np.seterr(all='ignore')\n", "the attribute .seterr is not allowed"),
    ("import torch\ntorch.set_default_dtype(torch.float64)\n", "the attribute .set_default_dtype"),
    ("import dsconv_lib.checks\nx = dsconv_lib.checks.sys\n", "the attribute .sys is not allowed"),
    ("import dataclasses\nx = dataclasses.inspect\n", "the attribute .inspect is not allowed"),
    ("import dsconv_lib.widgets\nx = dsconv_lib.widgets.os.open('/x', 0)\n", "the attribute .os is not allowed"),
    ("def f():\n    def g():\n        yield it.gi_frame.f_back.f_locals['expected']\n    it = g()\n    return next(it)\n",
     "the attribute .gi_frame is not allowed"),
    ("def f(e):\n    return e.tb_frame.f_globals\n", "the attribute .f_globals is not allowed"),
    ("import dataclasses\nT = dataclasses.make_dataclass('T', [])\n", "the attribute .make_dataclass"),
    ("x = {'__eq__': 1}\n", "strings naming dunder attributes"),
    # definitions
    ("class F(float):\n    def __eq__(self, other):\n        return True\n", "defining __eq__ is not allowed"),
    ("class F(float):\n    def __float__(self):\n        return 1.0\n", "defining __float__ is not allowed"),
    ("class F(float):\n    __eq__ = lambda s, o: True\n", "the name '__eq__' is not allowed"),
    ("F = type('F', (float,), {})\n", "type() with more than one argument"),
    # the tests' names
    ("check_array = print\n", "'check_array' is used by the tests and may not be redefined"),
    ("def check_function_cases(*a, **k):\n    pass\n", "'check_function_cases' is used by the tests"),
    ("np = None\n", "'np' is used by the tests"),
    ("import numpy\nnp = numpy\n", "'np' is used by the tests"),
    ("for check_close in [print]:\n    pass\n", "'check_close' is used by the tests"),
    ("(check_choice := print)\n", "'check_choice' is used by the tests"),
    ("def f():\n    global check_close\n    check_close = print\n", "check_close"),
    ("def output_size(*a):\n    return len(cases)\n", "'cases' belongs to the tests and may not be read"),
    ("def output_size(*a):\n    return hidden['x']\n", "'hidden' belongs to the tests and may not be read"),
    # magics and the shell
    ("!ls /\n", "the magic %! is not allowed"),
    ("%run /tmp/x.py\n", "the magic %run is not allowed"),
    ("%%bash\nls\n", "the magic %bash is not allowed"),
    ("%timeit open('/etc/passwd')\n", "'open' is not allowed"),
    ("%matplotlib module://dsconv_lib.course.grading\n", "%matplotlib 'module://dsconv_lib.course.grading' is not allowed"),
]


@pytest.fixture(scope="module")
def ex01():
    return context("ex01")


@pytest.mark.parametrize("source, rule", ATTACKS, ids=[f"{i:02d}" for i in range(len(ATTACKS))])
def test_attack_breaks_the_expected_rule(ex01, source, rule):
    violations = [str(v) for v in check_cell(source, ex01)]
    assert any(rule in v for v in violations), violations


def test_the_builtins_a_test_calls_are_protected():
    # ex03's tests call isinstance and len; ex02's hidden tests call float
    assert any("'isinstance' is used by the tests" in str(v) for v in check_cell("isinstance = print\n", context("ex03")))
    assert any("'len' is used by the tests" in str(v) for v in check_cell("len = print\n", context("ex03")))
    assert any("'float' is used by the tests" in str(v) for v in check_cell("def float(x):\n    return 1\n", context("ex02")))
    # hidden_outputs is a hidden test's variable in ex06
    assert any("'hidden_outputs' belongs to the tests" in str(v)
               for v in check_cell("def f():\n    return hidden_outputs\n", context("ex06")))


LEGITIMATE = [
    "def output_size(size, kernel, stride=1, padding=0, dilation=1):\n"
    "    total = 0\n    for i in range(size):\n        while total < i:\n            total += 1\n"
    "    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1\n",
    "def f(x, w):\n    return np.einsum('oc,nchw->nohw', w[:, :, 0, 0], x)\n",
    "import torch\nimport torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self, c):\n"
    "        super().__init__()\n        self.conv = nn.Conv2d(c, c, 3)\n        self.scale = 2.0\n\n"
    "    def forward(self, x):\n        return self.conv(x) * self.scale\n",
    "%timeit np.zeros(10).sum()\n",
    "%%time\nx = np.ones(3)\n",
    "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\n",
    "import numpy as np\nfrom dsconv_lib.checks import check_array\n",  # the same imports as the locked cell
    "from dsconv_lib import reference, shapes\nx = shapes.conv_output_size(7, 3)\n",
    "import math, itertools, functools\nfrom collections import defaultdict\nx = math.prod(range(1, 4))\n",
    "answer_q1 = 16\nanswer_q2 = 'a'\n",
    "def f(x):\n    y = x.copy()\n    y[0] = 1\n    return y.reshape(-1).astype(np.float64)\n",
    "from dataclasses import dataclass\n\n@dataclass\nclass Layer:\n    c_in: int\n    c_out: int\n",
    "expected_size = 3\n",  # a name of one's own that only looks like a test's
    "def pool(x):\n    return np.max(np.stack([x, -x]), axis=0) + torch.stack([torch.ones(2)]).numpy().sum()\n",
    "def count(model):\n    return sum(p.numel() for m in model.modules() for p in m.parameters(recurse=False))\n",
]


# What answers may not touch in numpy and torch, on purpose: files, global state, other modules.
# Anything else these libraries offer must stay usable (np.stack was refused once, wrongly).
DENIED_ON_PURPOSE = {
    "ctypeslib", "f2py", "fromfile", "fromregex", "genfromtxt", "load", "loadtxt", "memmap", "save", "savetxt",
    "savez", "savez_compressed", "set_printoptions", "setbufsize", "seterr", "seterrcall", "ctypes", "dump",
    "dumps", "tofile", "builtins", "classes", "fork", "from_file", "glob", "hub", "importlib", "inspect",
    "library", "multiprocessing", "ops", "os", "set_default_device", "set_default_dtype",
    "set_default_tensor_type", "set_flush_denormal", "signal", "sys", "threading", "types",
    "use_deterministic_algorithms",
}


def test_only_file_and_global_state_attributes_of_numpy_and_torch_are_denied():
    import numpy as np
    import torch

    from dsconv_lib.course.policy import DENIED_ATTRIBUTES

    libraries = (np, np.ndarray, np.linalg, np.random, torch, torch.Tensor, torch.nn, torch.nn.Module,
                 torch.nn.functional, torch.linalg, torch.fft)
    denied = {name for library in libraries for name in dir(library)} & DENIED_ATTRIBUTES
    assert denied <= DENIED_ON_PURPOSE, f"denied by accident: {sorted(denied - DENIED_ON_PURPOSE)}"


@pytest.mark.parametrize("source", LEGITIMATE, ids=[f"{i:02d}" for i in range(len(LEGITIMATE))])
def test_legitimate_code_passes(ex01, source):
    assert check_cell(source, ex01) == []


def test_a_syntax_error_is_left_to_the_kernel(ex01):
    assert check_cell("def f(:\n", ex01) == []
