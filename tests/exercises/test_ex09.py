"""Exercise 9 (Inception and Xception) through the real grading pipeline.

One batch of ex09 submissions is graded once with `dsconv-course grade`: the
solution, the solution re-saved by Colab, a correct solution written another
way (float32, other loops and formulas), and mechanically wrong ones: a 5x5
branch counted with 9 taps, a depthwise step counted on the wrong side of the
pointwise one, an off-by-one padding, the branches concatenated in the wrong
order, a max pool padded with zeros, a grouped convolution that forgets its
groups, a transposed weight matrix, a wrong number for Q1, and a call to
PyTorch's convolution. Each wrong one must lose the points of its part, and only those.
"""

from __future__ import annotations

import pytest
from grading_support import Assignment, Graded, colab_resave
from grading_support import check_full_marks, check_lost_only, check_release

EX09 = Assignment("ex09")
FULL = 14.0

pytestmark = pytest.mark.grading
pytest.importorskip("nbgrader")

# Shorthands for this assignment: a student's notebook, a one-edit wrong answer, a graded cell's output.
student_notebook, swap, cell_output = EX09.student_notebook, EX09.swap, EX09.cell_output


# A correct solution written another way: float32, a loop over output channels, shifted
# copies stacked for the pool, list-based concatenation, formulas rearranged.
OTHER_WAY = {
    "conv2d_same": (
        "def conv2d_same(x, weight, bias):\n"
        "    x = np.asarray(x, dtype=np.float32)\n"
        "    c_out, c_in, k, _ = weight.shape\n"
        "    n, _, h, w = x.shape\n"
        "    p = (k - 1) // 2\n"
        "    padded = np.zeros((n, c_in, h + 2 * p, w + 2 * p), dtype=np.float32)\n"
        "    padded[:, :, p:p + h, p:p + w] = x\n"
        "    out = np.empty((n, c_out, h, w), dtype=np.float32)\n"
        "    for o in range(c_out):\n"
        "        acc = np.full((n, h, w), bias[o], dtype=np.float32)\n"
        "        for i in range(h):\n"
        "            for j in range(w):\n"
        "                acc[:, i, j] += np.tensordot(padded[:, :, i:i + k, j:j + k], weight[o].astype(np.float32), axes=3)\n"
        "        out[:, o] = acc\n"
        "    return out\n"),
    "max_pool3x3": (
        "def max_pool3x3(x):\n"
        "    x = np.asarray(x, dtype=np.float32)\n"
        "    h, w = x.shape[2:]\n"
        "    big = np.full(x.shape[:2] + (h + 2, w + 2), -np.inf, dtype=np.float32)\n"
        "    big[:, :, 1:-1, 1:-1] = x\n"
        "    shifted = [big[:, :, a:a + h, b:b + w] for a in range(3) for b in range(3)]\n"
        "    return np.max(np.stack(shifted), axis=0)\n"),
    "inception_forward": (
        "def inception_forward(x, weights):\n"
        "    relu = lambda z: np.where(z > 0, z, 0)\n"
        "    outs = []\n"
        "    for chain, start in (((\"1x1\",), x), ((\"3x3_reduce\", \"3x3\"), x),\n"
        "                         ((\"5x5_reduce\", \"5x5\"), x), ((\"pool_proj\",), max_pool3x3(x))):\n"
        "        z = start\n"
        "        for name in chain:\n"
        "            z = relu(conv2d_same(z, *weights[name]))\n"
        "        outs.append(z)\n"
        "    return np.concatenate(outs, axis=1)\n"),
    "inception_cost": (
        "def inception_params(c_in, c1, r3, c3, r5, c5, p):\n"
        "    return c_in * (c1 + r3 + r5 + p) + r3 * c3 * 3 ** 2 + r5 * c5 * 5 ** 2\n\n\n"
        "def inception_macs(c_in, c1, r3, c3, r5, c5, p, h, w):\n"
        "    pixels = h * w\n"
        "    return pixels * c_in * (c1 + r3 + r5 + p) + pixels * (9 * r3 * c3 + 25 * r5 * c5)\n"),
    "separable_inception_cost": (
        "def separable_inception_params(c_in, c1, r3, c3, r5, c5, p):\n"
        "    return c_in * (c1 + r3 + r5 + p) + r3 * (9 + c3) + r5 * (25 + c5)\n\n\n"
        "def separable_inception_macs(c_in, c1, r3, c3, r5, c5, p, h, w):\n"
        "    return int(np.int64(h) * w * separable_inception_params(c_in, c1, r3, c3, r5, c5, p))\n"),
    "grouped_conv_params": (
        "def grouped_conv_params(c_in, c_out, k, groups):\n"
        "    per_group = (c_in // groups) * (c_out // groups) * k * k\n"
        "    return groups * per_group\n"),
    "answers": 'answer_q1 = 16.0\nanswer_q2 = " B "\nanswer_q3 = "C"\n',
}

CHEAT_CONV = (
    "import torch\nimport torch.nn.functional as F\n\n"
    "def conv2d_same(x, weight, bias):\n"
    "    t = lambda a: torch.from_numpy(np.asarray(a, dtype=np.float64))\n"
    "    return F.conv2d(t(x), t(weight), t(bias), padding=weight.shape[2] // 2).numpy()\n"
)

# student id -> (file name in the batch, notebook JSON)
BATCH = {
    "alice": ("alice_ex09.ipynb", lambda: student_notebook()),
    "bob": ("bob/Copy of ex09.ipynb", lambda: student_notebook(edit=colab_resave)),
    "erin": ("erin_ex09.ipynb", lambda: student_notebook(OTHER_WAY)),
    "carol": ("carol_ex09.ipynb", lambda: student_notebook(swap("inception_cost", "25 * r5 * c5", "9 * r5 * c5"))),
    "dave": ("dave_ex09.ipynb", lambda: student_notebook(swap(
        "separable_inception_cost", "9 * r3 + r3 * c3", "9 * c3 + r3 * c3"))),
    "frank": ("frank_ex09.ipynb", lambda: student_notebook(swap("conv2d_same", "p = k // 2", "p = k // 2 + 1"))),
    "grace": ("grace_ex09.ipynb", lambda: student_notebook(swap(
        "inception_forward", "[branch1, branch2, branch3, branch4]", "[branch2, branch1, branch3, branch4]"))),
    "henry": ("henry_ex09.ipynb", lambda: student_notebook(swap("max_pool3x3", ", constant_values=-np.inf", ""))),
    "ivan": ("ivan_ex09.ipynb", lambda: student_notebook(swap("grouped_conv_params", "(c_in // groups)", "c_in"))),
    "judy": ("judy_ex09.ipynb", lambda: student_notebook(swap("answers", "answer_q1 = 16", "answer_q1 = 8"))),
    "ken": ("ken_ex09.ipynb", lambda: student_notebook({"conv2d_same": CHEAT_CONV})),
    "leo": ("leo_ex09.ipynb", lambda: student_notebook(swap("conv2d_same", '"oc,nchw->nohw"', '"co,nchw->nohw"'))),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    return EX09.grade(BATCH, tmp_path_factory, "--timeout", "20", "--memory-mb", "1536")


def test_release_has_no_solutions_or_hidden_tests_and_a_locked_install_cell():
    check_release(EX09, FULL, absent=["answer_q1 = 16", "25 * r5 * c5", "np.concatenate"])


@pytest.mark.parametrize("student", ["alice", "bob", "erin"])
def test_correct_solutions_score_full_marks(graded, student):
    """The solution, its Colab re-save, and a correct solution written another way in float32."""
    check_full_marks(graded.rows[student], FULL)


@pytest.mark.parametrize("student, lost", [
    ("carol", {"test_inception_params", "test_inception_macs"}),  # 5x5 counted with 9 taps
    ("dave", {"test_separable_inception_cost"}),                    # depthwise step counted on c3
    ("frank", {"test_conv2d_same", "test_inception_forward"}),      # padding off by one
    ("grace", {"test_inception_forward"}),                          # branches concatenated out of order
    ("henry", {"test_max_pool3x3", "test_inception_forward"}),      # max pool padded with zeros
    ("ivan", {"test_grouped_conv_params"}),                         # groups forgotten
    ("judy", {"test_q1"}),                                          # a wrong number of groups
    ("ken", {"test_conv2d_same", "test_inception_forward"}),        # calls torch's conv2d
    ("leo", {"test_conv2d_same", "test_inception_forward"}),        # weight matrix transposed
])
def test_wrong_solutions_lose_the_points_of_their_part(graded, student, lost):
    check_lost_only(graded.rows[student], FULL, lost)


def test_feedback_says_which_case_failed_with_expected_and_got(graded):
    text = cell_output(graded, "carol", "test_inception_params")
    assert "case 'GoogLeNet 3a'" in text and "expected 163328, got 155136" in text, text
    text = cell_output(graded, "grace", "test_inception_forward")
    assert "values differ" in text and "first at index" in text, text
    assert "implement it yourself" in cell_output(graded, "ken", "test_conv2d_same")


def test_wrong_q1_passes_the_visible_check_only(graded):
    text = cell_output(graded, "judy", "test_q1")
    assert "answer_q1 is a whole number" in text and "expected 16, got 8" in text, text
