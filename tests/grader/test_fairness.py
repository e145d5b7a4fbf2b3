"""Correct answers in many styles keep full marks: the grader judges what answers compute, not how they look.

Each notebook below is a correct solution written the way students write them:
loops, einsum, sliding windows, float32; helper classes of their own with dunders
(`__call__`, `__len__`, `__getitem__`), dataclasses with `__post_init__`,
`self.x = ...` outside `__init__`; `display`, `help`, `np.set_printoptions`, a
seeded `rng` of their own for a self-test, an `if __name__ == "__main__":`
block, `import warnings`, `from __future__ import annotations`, a parameter
named `input`; a torch module whose weights are set through `.data` for a
self-check; scipy functions that are not convolutions; names that coincide
with the tests' own (`hidden`, `cases`, `expected`, `check_array`); a variable
the exercise gives (`w_shift`); leftover magics (`%pip install`, `%timeit`,
`%matplotlib inline`, `!ls`). All are graded in one batch and must score full
marks, with no problem reported, beside a mistake per style that must lose
exactly its part's points.
"""

from __future__ import annotations

import grading_support as support
import pytest
from grading_support import check_full_marks, check_lost_only

pytestmark = pytest.mark.grading
pytest.importorskip("nbgrader")

EX01, EX05, EX06 = (support.Assignment(name) for name in ("ex01", "ex05", "ex06"))
FULL = {"ex01": 13.0, "ex05": 8.0, "ex06": 14.0}

SELF_TEST = (
    "\n\nrng = np.random.default_rng(1234)  # my own random numbers, for my own check\n"
    "np.set_printoptions(precision=3, suppress=True)\n"
    "display(output_size(7, 3, padding=1))\n"
    "help(np.pad)\n"
    "if __name__ == '__main__':\n"
    "    print('my check:', output_size(int(rng.integers(5, 9)), 3))\n")

HELPER_NAMES = (
    "from __future__ import annotations\n"
    "import warnings\n\n"
    "warnings.filterwarnings('ignore', category=RuntimeWarning)\n\n\n"
    "def hidden(size: int, padding: int) -> int:\n"
    "    return size + 2 * padding\n\n\n"
    "cases = [(7, 3)]  # my own examples\n"
    "expected = [5]\n\n\n"
    "def check_array(a, b):  # my own, for my own checks\n"
    "    return np.allclose(a, b)\n\n\n"
    "def output_size(size, kernel, stride=1, padding=0, dilation=1):\n"
    "    return (hidden(size, padding) - dilation * (kernel - 1) - 1) // stride + 1\n\n\n"
    "assert [output_size(*case) for case in cases] == expected\n")

CALLABLE_CLASS = (
    "class Windows:\n"
    "    \"\"\"The k_h x k_w windows of an image, by output position.\"\"\"\n\n"
    "    def __init__(self, image, k_h, k_w, stride):\n"
    "        self.image, self.k_h, self.k_w, self.stride = image, k_h, k_w, stride\n\n"
    "    def __len__(self):\n"
    "        return output_size(self.image.shape[0], self.k_h, self.stride)\n\n"
    "    def __getitem__(self, ij):\n"
    "        i, j = ij\n"
    "        s = self.stride\n"
    "        return self.image[i * s:i * s + self.k_h, j * s:j * s + self.k_w]\n\n\n"
    "class SingleChannel:\n"
    "    def prepare(self, input, w, padding):\n"
    "        self.x = np.pad(np.asarray(input, dtype=np.float64), padding)  # set outside __init__\n"
    "        self.w = w\n\n"
    "    def __call__(self, input, w, stride=1, padding=0):\n"
    "        self.prepare(input, w, padding)\n"
    "        windows = Windows(self.x, *w.shape, stride)\n"
    "        width = output_size(self.x.shape[1], w.shape[1], stride)\n"
    "        return np.array([[np.sum(windows[i, j] * self.w) for j in range(width)] for i in range(len(windows))])\n\n\n"
    "conv2d_single_channel = SingleChannel()\n")

DATACLASS = (
    "from dataclasses import dataclass, field\n\n\n"
    "@dataclass\n"
    "class Geometry:\n"
    "    size: int\n"
    "    kernel: int\n"
    "    stride: int = 1\n"
    "    padding: int = 0\n"
    "    dilation: int = 1\n"
    "    span: int = field(init=False)\n\n"
    "    def __post_init__(self):\n"
    "        self.span = self.dilation * (self.kernel - 1) + 1\n\n"
    "    @property\n"
    "    def out(self):\n"
    "        return (self.size + 2 * self.padding - self.span) // self.stride + 1\n\n\n"
    "def output_size(size, kernel, stride=1, padding=0, dilation=1):\n"
    "    return Geometry(size, kernel, stride, padding, dilation).out\n")

SLIDING_FLOAT32 = (
    "%pip install -q numpy\n"
    "%matplotlib inline\n"
    "from numpy.lib.stride_tricks import sliding_window_view\n\n\n"
    "def conv2d(x, weight, bias=None, stride=1, padding=0):\n"
    "    x = np.pad(np.asarray(x, dtype=np.float32), ((0, 0), (0, 0), (padding, padding), (padding, padding)))\n"
    "    k_h, k_w = weight.shape[2:]\n"
    "    windows = sliding_window_view(x, (k_h, k_w), axis=(2, 3))[:, :, ::stride, ::stride]\n"
    "    y = np.einsum('nchwij,ocij->nohw', windows, weight.astype(np.float32))\n"
    "    if bias is not None:\n"
    "        y = y + np.asarray(bias, dtype=np.float32)[None, :, None, None]\n"
    "    return y\n\n\n"
    "%timeit -n1 -r1 conv2d(np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3)))\n"
    "!ls\n")

TORCH_SELF_CHECK = (
    "import torch\n\n\n"
    "def pointwise_conv2d(x, weight, bias=None):\n"
    "    y = np.einsum('oc,nchw->nohw', weight[:, :, 0, 0], x)\n"
    "    return y if bias is None else y + bias[None, :, None, None]\n\n\n"
    "# My own check against torch, with the weights set through .data (outside the function)\n"
    "conv = torch.nn.Conv2d(3, 2, 1, bias=False).double()\n"
    "w = np.random.default_rng(7).standard_normal((2, 3, 1, 1))\n"
    "conv.weight.data = torch.from_numpy(w)\n"
    "x = np.random.default_rng(8).standard_normal((1, 3, 4, 4))\n"
    "assert np.allclose(conv(torch.from_numpy(x)).detach().numpy(), pointwise_conv2d(x, w))\n")

SCIPY_SVD = (
    "from scipy.linalg import svd\n\n\n"
    "def best_rank_one(matrix):\n"
    "    u, s, vt = svd(np.asarray(matrix, dtype=np.float64), full_matrices=False)\n"
    "    return s[0] * np.outer(u[:, 0], vt[0])\n\n\n"
    "def separable_approximation_error(weight):\n"
    "    weight = np.asarray(weight, dtype=np.float64)\n"
    "    c_out, c_in = weight.shape[:2]\n"
    "    slices = [weight[:, c].reshape(c_out, -1) for c in range(c_in)]\n"
    "    lost = sum(np.linalg.norm(m - best_rank_one(m)) ** 2 for m in slices)\n"
    "    return float(np.sqrt(lost) / np.linalg.norm(weight))\n")

GIVEN_VARIABLE = (
    "# the smallest m whose best approximation of the given w_shift is exact\n"
    "answer_q1 = int(np.linalg.matrix_rank(w_shift[:, 0].reshape(w_shift.shape[0], -1)))\n")

CORRECT = {
    "selftest": (EX01, lambda: EX01.student_notebook({"output_size": support.solution_sources("ex01")["output_size"]
                                                                      + SELF_TEST})),
    "helpernames": (EX01, lambda: EX01.student_notebook({"output_size": HELPER_NAMES})),
    "callable": (EX01, lambda: EX01.student_notebook({"conv2d_single_channel": CALLABLE_CLASS})),
    "dataclass": (EX01, lambda: EX01.student_notebook({"output_size": DATACLASS})),
    "sliding": (EX01, lambda: EX01.student_notebook({"conv2d": SLIDING_FLOAT32})),
    "torchcheck": (EX05, lambda: EX05.student_notebook({"pointwise_conv2d": TORCH_SELF_CHECK})),
    "scipysvd": (EX06, lambda: EX06.student_notebook({"approximation": SCIPY_SVD, "answers": GIVEN_VARIABLE})),
}
# The same styles with one mistake each: they lose that part's points and nothing else.
WRONG = {
    "selftest_wrong": (EX01, lambda: EX01.student_notebook({"output_size": DATACLASS.replace("+ 1\n", "\n")
                                                                           + SELF_TEST}), {"test_output_size", "test_conv2d_single_channel", "test_conv2d"}),  # the later parts call it
    "callable_wrong": (EX01, lambda: EX01.student_notebook({"conv2d_single_channel": CALLABLE_CLASS.replace(
        "np.sum(windows[i, j] * self.w)", "np.sum(windows[i, j] * self.w[::-1, ::-1])")}),
        {"test_conv2d_single_channel", "test_conv2d"}),
    "scipysvd_wrong": (EX06, lambda: EX06.student_notebook({"answers": "answer_q1 = 1\n"}), {"test_q1"}),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    batch = {student: (f"{student}_{assignment.name}.ipynb", make)
             for student, (assignment, make, *_) in {**CORRECT, **WRONG}.items()}
    return support.grade(batch, tmp_path_factory, "--jobs", "2", label="fairness")


@pytest.mark.parametrize("student", list(CORRECT))
def test_correct_answers_in_any_style_score_full_marks(graded, student):
    assignment = CORRECT[student][0]
    row = graded.rows[student]
    check_full_marks(row, FULL[assignment.name])
    assert not row["problems"], row["problems"]


@pytest.mark.parametrize("student", list(WRONG))
def test_a_mistake_in_the_same_style_loses_only_its_part(graded, student):
    assignment, _, lost = WRONG[student]
    check_lost_only(graded.rows[student], FULL[assignment.name], lost)


def test_leftover_shell_commands_say_they_were_skipped(graded):
    assert "not run when grading" in EX01.cell_output(graded, "sliding", "conv2d")
