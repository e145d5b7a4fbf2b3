"""Exercise 7 (MobileNet) through the real grading pipeline.

One batch of ex07 submissions is graded once with `dsconv-course grade`: the
solution, the solution re-saved by Colab, a correct solution written another
way (a precomputed channel list and math.ceil, loops and tensordot in float32,
a factored cost formula, answers in other spellings), the blank exercise, and
mechanically wrong ones (feature-map sides halved with floor instead of
ceiling, ReLU instead of ReLU6, a ReLU6 on the linear projection, the
expansion counted at the output resolution, the naive 1/alpha^2 answer, calls
to the library or to torch's convolutions). Each wrong one must lose the
points of its part, and only those.
"""

from __future__ import annotations

import pytest
from grading_support import Assignment, Graded, colab_resave, load
from grading_support import check_full_marks, check_lost_only, check_release

EX07 = Assignment("ex07")
FULL = 14.0

pytestmark = pytest.mark.grading
pytest.importorskip("nbgrader")

# Shorthands for this assignment: a student's notebook, a one-edit wrong answer, a graded cell's output.
student_notebook, swap, cell_output = EX07.student_notebook, EX07.swap, EX07.cell_output


# A correct solution written another way.
OTHER_WAY = {
    "v1_cost": (
        "def v1_macs(alpha, resolution):\n"
        "    widths = [max(8, int(alpha * c)) for c in (32,) + tuple(c for c, s in SEPARABLE_LAYERS)]\n"
        "    side = math.ceil(resolution / 2)\n"
        "    total = side * side * 27 * widths[0]\n"
        "    for i, (c, s) in enumerate(SEPARABLE_LAYERS):\n"
        "        side = math.ceil(side / s)\n"
        "        total += side * side * widths[i] * (9 + widths[i + 1])\n"
        "    return total + widths[-1] * 1000\n\n\n"
        "def v1_params(alpha):\n"
        "    widths = np.array([max(8, int(alpha * c)) for c in (32,) + tuple(c for c, s in SEPARABLE_LAYERS)])\n"
        "    return 27 * widths[0] + np.sum(widths[:-1] * (9 + widths[1:])) + widths[-1] * 1000\n"),
    "inverted_residual": (
        "def inverted_residual(x, w_expand, b_expand, w_dw, b_dw, w_project, b_project, stride):\n"
        "    x = x.astype(np.float32)\n"
        "    n, c_in, h, w = x.shape\n"
        "    hidden = w_expand.shape[0]\n"
        "    z = np.zeros((n, hidden, h, w), dtype=np.float32)\n"
        "    for j in range(hidden):\n"
        "        z[:, j] = np.tensordot(w_expand[j].astype(np.float32), x, axes=([0], [1])) + b_expand[j]\n"
        "    z = np.minimum(np.maximum(z, 0), 6)\n"
        "    z = depthwise3x3(z, w_dw.astype(np.float32), stride) + b_dw.astype(np.float32)[None, :, None, None]\n"
        "    z = np.minimum(np.maximum(z, 0), 6)\n"
        "    y = np.tensordot(z, w_project.astype(np.float32), axes=([1], [1])).transpose(0, 3, 1, 2)\n"
        "    y = y + b_project.astype(np.float32)[None, :, None, None]\n"
        "    if stride == 1 and c_in == y.shape[1]:\n"
        "        y = y + x\n"
        "    return y\n"),
    "block_cost": (
        "def block_params(c_in, c_out, t, k):\n"
        "    return t * c_in * ((c_in if t != 1 else 0) + k ** 2 + c_out)\n\n\n"
        "def block_macs(c_in, c_out, t, k, stride, h, w):\n"
        "    h_out, w_out = -(-h // stride), -(-w // stride)\n"
        "    return (h * w * c_in * t * c_in if t > 1 else 0) + h_out * w_out * t * c_in * (k ** 2 + c_out)\n"),
    "answers": 'answer_q1 = "C"\nanswer_q2 = 3.8\nanswer_q3 = 1.0\nanswer_q4 = " Projection"\n',
}

CHEAT_BLOCK = (
    "import torch\n"
    "import torch.nn.functional as F\n\n\n"
    "def inverted_residual(x, w_expand, b_expand, w_dw, b_dw, w_project, b_project, stride):\n"
    "    t = torch.from_numpy(np.asarray(x, dtype=np.float64))\n"
    "    as_t = lambda a: torch.from_numpy(np.asarray(a, dtype=np.float64))\n"
    "    z = F.conv2d(t, as_t(w_expand)[:, :, None, None], as_t(b_expand)).clamp(0, 6)\n"
    "    z = F.conv2d(z, as_t(w_dw)[:, None], as_t(b_dw), stride=stride, padding=1, groups=z.shape[1]).clamp(0, 6)\n"
    "    y = F.conv2d(z, as_t(w_project)[:, :, None, None], as_t(b_project))\n"
    "    if stride == 1 and y.shape[1] == t.shape[1]:\n"
    "        y = y + t\n"
    "    return y.numpy()\n"
)

CHEAT_COST = (
    "from dsconv_lib.cost import profile\n"
    "from dsconv_lib.nn import MobileNetV1\n\n\n"
    "def v1_macs(alpha, resolution):\n"
    "    model = MobileNetV1(width_multiplier=alpha)\n"
    "    return profile(model, (1, 3, resolution, resolution), count_bias=False, count_batchnorm=False).total_macs\n\n\n"
    "def v1_params(alpha):\n"
    "    model = MobileNetV1(width_multiplier=alpha)\n"
    "    return profile(model, (1, 3, 32, 32), count_bias=False, count_batchnorm=False).total_params\n"
)

# student id -> (file name in the batch, notebook JSON)
BATCH = {
    "alice": ("alice_ex07.ipynb", lambda: student_notebook()),
    "bob": ("bob/Copy of ex07.ipynb", lambda: student_notebook(edit=colab_resave)),
    "carol": ("carol_ex07.ipynb", lambda: student_notebook(swap(
        "v1_cost", "side = (side - 1) // stride + 1", "side = side // stride"))),
    "dave": ("dave_ex07.ipynb", lambda: student_notebook(swap(
        "inverted_residual", "np.clip(depthwise3x3(z, w_dw, stride) + b_dw[None, :, None, None], 0, 6)",
        "np.maximum(depthwise3x3(z, w_dw, stride) + b_dw[None, :, None, None], 0)"))),
    "erin": ("erin_ex07.ipynb", lambda: student_notebook(OTHER_WAY)),
    "frank": ("frank_ex07.ipynb", lambda: student_notebook(swap(
        "block_cost", "expansion = h * w * c_in * hidden", "expansion = h_out * w_out * c_in * hidden"))),
    "gina": ("gina_ex07.ipynb", lambda: student_notebook(swap(
        "inverted_residual", "y = np.einsum(\"oc,nchw->nohw\", w_project, z) + b_project[None, :, None, None]",
        "y = np.clip(np.einsum(\"oc,nchw->nohw\", w_project, z) + b_project[None, :, None, None], 0, 6)"))),
    "ken": ("ken_ex07.ipynb", lambda: student_notebook({"inverted_residual": CHEAT_BLOCK})),
    "lena": ("lena_ex07.ipynb", lambda: student_notebook(swap("answers", "answer_q2 = 3.80", "answer_q2 = 4.0"))),
    "mia": ("mia_ex07.ipynb", lambda: student_notebook({"v1_cost": CHEAT_COST})),
    "zoe": ("zoe_ex07.ipynb", lambda: load(EX07.release)),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    return EX07.grade(BATCH, tmp_path_factory, "--timeout", "60")


def test_release_has_no_solutions_or_hidden_tests_and_a_locked_install_cell():
    check_release(EX07, FULL, absent=['answer_q4 = \\"projection\\"', "answer_q2 = 3.80", "hidden random"])


@pytest.mark.parametrize("student", ["alice", "bob", "erin"])
def test_correct_solutions_score_full_marks(graded, student):
    """The solution, its Colab re-save, and a correct solution written another way (float32 loops, math.ceil)."""
    check_full_marks(graded.rows[student], FULL)


def test_blank_exercise_scores_zero(graded):
    r = graded.rows["zoe"]
    assert (r["status"], float(r["score"])) == ("graded", 0.0), r


@pytest.mark.parametrize("student, lost", [
    ("carol", {"test_v1_macs"}),                  # floor(side / 2) instead of ceil at each stride 2
    ("dave", {"test_inverted_residual"}),         # ReLU instead of ReLU6 after the depthwise step
    ("frank", {"test_block_macs"}),               # expansion counted at the output resolution
    ("gina", {"test_inverted_residual"}),         # a ReLU6 on the projection: no linear bottleneck
    ("ken", {"test_inverted_residual"}),          # torch's conv2d
    ("lena", {"test_q2"}),                        # 1 / alpha^2 = 4
    ("mia", {"test_v1_macs", "test_v1_params"}),  # the library's model and profiler
])
def test_wrong_solutions_lose_the_points_of_their_part(graded, student, lost):
    check_lost_only(graded.rows[student], FULL, lost)


def test_feedback_says_which_case_failed_with_expected_and_got(graded):
    text = cell_output(graded, "carol", "test_v1_macs")  # the text names odd sides: a visible case shows them
    assert "case '1.0-MobileNet-225 (odd sides before a stride 2: 113, 57, ...)'" in text, text
    assert "expected" in text and "got" in text, text
    text = cell_output(graded, "frank", "test_block_macs")
    assert "case 'MobileNetV2 block 2: 16 -> 24, t=6, k=3, stride 2, 112x112'" in text, text
    assert "expected 29202432, got" in text, text
    text = cell_output(graded, "gina", "test_inverted_residual")
    assert "values differ" in text, text
    assert "implement it yourself" in cell_output(graded, "ken", "test_inverted_residual")
    assert "implement it yourself" in cell_output(graded, "mia", "test_v1_macs")
