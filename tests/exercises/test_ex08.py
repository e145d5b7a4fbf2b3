"""Exercise 8 (Squeeze-and-Excitation) through the real grading pipeline.

One batch of ex08 submissions is graded once with `dsconv-course grade`: the
solution, the solution re-saved by Colab, a correct solution written another
way (loops, einsum, float32, floats for counts), the blank exercise, and
mechanically wrong ones: an operator swapped (* r for / r in Eq. 5), the FC
weight not transposed, an off-by-one (the hidden width's floor at 1
forgotten), the depth multiplier forgotten, the two placements swapped, a
wrong answer of the right form, and two calls to the library where the task
says "implement it yourself". Each wrong one must lose the points of its part,
and only those.
"""

from __future__ import annotations

import pytest
from grading_support import Assignment, Graded, colab_resave, load, solution_sources
from grading_support import check_full_marks, check_lost_only, check_release

EX08 = Assignment("ex08")
FULL = 15.0

pytestmark = pytest.mark.grading
pytest.importorskip("nbgrader")

# Shorthands for this assignment: a student's notebook, a one-edit wrong answer, a graded cell's output.
student_notebook, swap, cell_output = EX08.student_notebook, EX08.swap, EX08.cell_output


# A correct solution written another way: loops and einsum in float32, a stable sigmoid, counts as floats.
OTHER_WAY = {
    "squeeze_excite": (
        "def squeeze_excite(x, w1, b1, w2, b2):\n"
        "    x = np.asarray(x, dtype=np.float32)\n"
        "    n, c, h, w = x.shape\n"
        "    z = np.einsum('nchw->nc', x) / (h * w)\n"
        "    out = np.empty_like(x)\n"
        "    for i in range(n):\n"
        "        hidden = np.maximum(np.einsum('kc,c->k', np.asarray(w1, dtype=np.float32), z[i]) + b1, 0)\n"
        "        v = np.asarray(w2, dtype=np.float32) @ hidden + b2\n"
        "        e = np.exp(-np.abs(v))\n"
        "        gate = np.where(v >= 0, 1 / (1 + e), e / (1 + e))\n"
        "        for ch in range(c):\n"
        "            out[i, ch] = gate[ch] * x[i, ch]\n"
        "    return out\n"),
    "se_cost": (
        "def se_params(c, r, bias=True):\n"
        "    hidden = c // r\n"
        "    if hidden < 1:\n"
        "        hidden = 1\n"
        "    total = c * hidden + hidden * c\n"
        "    if bias:\n"
        "        total += hidden\n"
        "        total += c\n"
        "    return total\n\n\n"
        "def se_macs(c, r, batch=1):\n"
        "    return float(batch * (c * max(1, c // r)) * 2)\n\n\n"
        "def se_network_params(stages, r):\n"
        "    total = 0.0\n"
        "    for n, c in stages:\n"
        "        total += n * 2.0 * c * c / r\n"
        "    return total\n"),
    "placement": (
        "def se_weights_at(c_in, c_out, r, after, depth_multiplier=1):\n"
        "    width = {'depthwise': c_in * depth_multiplier, 'pointwise': c_out}[after]\n"
        "    return 2 * width * max(1, width // r)\n\n\n"
        "def se_share(c_in, c_out, k, r, after):\n"
        "    width = {'depthwise': c_in, 'pointwise': c_out}[after]\n"
        "    return 2 * width * max(1, width // r) / (c_in * (k * k + c_out))\n"),
    "answers": "answer_q1 = 4.0\nanswer_q2 = ' Separable '\nanswer_q3 = 2514944.0\n",
}

CHEAT_SQUEEZE_EXCITE = (
    "import torch\n"
    "from dsconv_lib.nn import SqueezeExcite\n\n"
    "def squeeze_excite(x, w1, b1, w2, b2):\n"
    "    c, hidden = w1.shape[1], w1.shape[0]\n"
    "    r = next(q for q in range(1, c + 1) if max(1, c // q) == hidden)\n"
    "    se = SqueezeExcite(c, r).double()\n"
    "    with torch.no_grad():\n"
    "        se.fc1.weight.copy_(torch.from_numpy(np.asarray(w1, dtype=np.float64)))\n"
    "        se.fc1.bias.copy_(torch.from_numpy(np.asarray(b1, dtype=np.float64)))\n"
    "        se.fc2.weight.copy_(torch.from_numpy(np.asarray(w2, dtype=np.float64)))\n"
    "        se.fc2.bias.copy_(torch.from_numpy(np.asarray(b2, dtype=np.float64)))\n"
    "        return se(torch.from_numpy(np.asarray(x, dtype=np.float64))).numpy()\n"
)


def cheat_cost() -> dict[str, str]:
    text = solution_sources("ex08")["se_cost"]
    start, end = text.index("def se_params"), text.index("def se_macs")
    cheat = ("from dsconv_lib import cost\n\n\n"
             "def se_params(c, r, bias=True):\n"
             "    return cost.squeeze_excite(c, r, 1, bias=bias).params\n\n\n")
    return {"se_cost": text[:start] + cheat + text[end:]}


# student id -> (file name in the batch, notebook JSON)
BATCH = {
    "alice": ("alice_ex08.ipynb", lambda: student_notebook()),
    "bob": ("bob/Copy of ex08.ipynb", lambda: student_notebook(edit=colab_resave)),
    "erin": ("erin_ex08.ipynb", lambda: student_notebook(OTHER_WAY)),
    "zoe": ("zoe_ex08.ipynb", lambda: load(EX08.release)),
    "carol": ("carol_ex08.ipynb", lambda: student_notebook(swap(
        "se_cost", "2 * sum(n * c * c for n, c in stages) // r", "2 * sum(n * c * c for n, c in stages) * r"))),
    "dave": ("dave_ex08.ipynb", lambda: student_notebook(swap("squeeze_excite", "z @ w1.T + b1", "z @ w1 + b1"))),
    "frank": ("frank_ex08.ipynb", lambda: student_notebook(swap("se_cost", "hidden = max(1, c // r)", "hidden = c // r"))),
    "grace": ("grace_ex08.ipynb", lambda: student_notebook(swap(
        "placement", 'channels = c_in * depth_multiplier if after == "depthwise"', 'channels = c_in if after == "depthwise"'))),
    "heidi": ("heidi_ex08.ipynb", lambda: student_notebook(swap(
        "placement", 'channels = c_in if after == "depthwise" else c_out\n    block',
        'channels = c_out if after == "depthwise" else c_in\n    block'))),
    "ivan": ("ivan_ex08.ipynb", lambda: student_notebook(swap("answers", "answer_q1 = 4\n", "answer_q1 = 2\n"))),
    "ken": ("ken_ex08.ipynb", lambda: student_notebook({"squeeze_excite": CHEAT_SQUEEZE_EXCITE})),
    "leo": ("leo_ex08.ipynb", lambda: student_notebook(cheat_cost())),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    return EX08.grade(BATCH, tmp_path_factory, "--timeout", "30", "--memory-mb", "2048")


def test_release_has_no_solutions_or_hidden_tests_and_a_locked_install_cell():
    check_release(EX08, FULL, absent=["answer_q3 = 2514944", "x.mean(axis=(2, 3))"])


@pytest.mark.parametrize("student", ["alice", "bob", "erin"])
def test_correct_solutions_score_full_marks(graded, student):
    """The solution, its Colab re-save, and a correct solution written with loops and einsum in float32."""
    check_full_marks(graded.rows[student], FULL)


def test_blank_exercise_scores_zero(graded):
    r = graded.rows["zoe"]
    assert r["status"] == "graded" and float(r["score"]) == 0.0, r


@pytest.mark.parametrize("student, lost", [
    ("carol", {"test_se_network_params"}),   # * r instead of / r in Eq. 5
    ("dave", {"test_squeeze_excite"}),       # the first FC weight not transposed
    ("frank", {"test_se_params"}),           # hidden width C // r without the floor at 1
    ("grace", {"test_se_weights_at"}),       # the depth multiplier forgotten
    ("heidi", {"test_se_share"}),            # the two placements swapped
    ("ivan", {"test_q1"}),                   # a wrong number of the right form
    ("ken", {"test_squeeze_excite"}),        # calls dsconv_lib.nn.SqueezeExcite
    ("leo", {"test_se_params"}),             # calls dsconv_lib.cost.squeeze_excite
])
def test_wrong_solutions_lose_the_points_of_their_part(graded, student, lost):
    check_lost_only(graded.rows[student], FULL, lost)


def test_feedback_says_which_case_failed_with_expected_and_got(graded):
    text = cell_output(graded, "carol", "test_se_network_params")
    assert "case 'one stage of 2 blocks, C=64, r=16'" in text and "expected 1024, got 262144" in text, text
    text = cell_output(graded, "heidi", "test_se_share")
    assert "case '256 -> 512, k=3, r=16, after depthwise'" in text and "3 of 3 cases failed" not in text, text
    assert "implement it yourself" in cell_output(graded, "ken", "test_squeeze_excite")
    assert "implement it yourself" in cell_output(graded, "leo", "test_se_params")


def test_off_by_one_and_forgotten_multiplier_fail_a_visible_case_that_names_them(graded):
    """r > C and the depth multiplier are named in the text, so visible cases show them (they used to pass every
    visible case), and the message names the mistake."""
    text = cell_output(graded, "frank", "test_se_params")
    assert "1 of 6 cases failed" in text and "C=8, r=16 (C / r < 1" in text, text
    assert "without its max(1, ...)" in text, text
    text = cell_output(graded, "grace", "test_se_weights_at")
    assert "cases failed" in text and "depth multiplier 2, after depthwise" in text, text
    assert "ignoring the depth multiplier" in text, text
