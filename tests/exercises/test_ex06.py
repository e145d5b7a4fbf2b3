"""Exercise 6 (depthwise separable convolution) through the real grading pipeline.

One batch of ex06 submissions is graded once with `dsconv-course grade`: the
solution, the solution re-saved by Colab, a correct solution written another
way (loops, float32), and mechanically wrong ones (a ratio with 1/k instead of
1/k^2, the pointwise matrix transposed in the equivalent kernel, a depthwise
step that uses the height for the width, a call to the library). Each wrong
one must lose the points of its part, and only those.
"""

from __future__ import annotations

import pytest
from grading_support import Assignment, Graded, colab_resave
from grading_support import check_full_marks, check_lost_only, check_release

EX06 = Assignment("ex06")
FULL = 14.0

pytestmark = pytest.mark.grading
pytest.importorskip("nbgrader")

# Shorthands for this assignment: a student's notebook, a one-edit wrong answer, a graded cell's output.
student_notebook, swap, cell_output = EX06.student_notebook, EX06.swap, EX06.cell_output


# A correct solution written another way: plain loops, float32 throughout, SVD through the eigenvalues of M M^T.
OTHER_WAY = {
    "depthwise_conv2d": (
        "def depthwise_conv2d(x, weight, stride=1, padding=0):\n"
        "    n, c, h, w = x.shape\n"
        "    k_h, k_w = weight.shape[2], weight.shape[3]\n"
        "    padded = np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=np.float32)\n"
        "    padded[:, :, padding:padding + h, padding:padding + w] = x\n"
        "    h_out = (h + 2 * padding - k_h) // stride + 1\n"
        "    w_out = (w + 2 * padding - k_w) // stride + 1\n"
        "    out = np.zeros((n, c, h_out, w_out), dtype=np.float32)\n"
        "    for b in range(n):\n"
        "        for ch in range(c):\n"
        "            for i in range(h_out):\n"
        "                for j in range(w_out):\n"
        "                    window = padded[b, ch, i * stride:i * stride + k_h, j * stride:j * stride + k_w]\n"
        "                    out[b, ch, i, j] = np.sum(window * weight[ch, 0])\n"
        "    return out\n"),
    "pointwise_conv2d": (
        "def pointwise_conv2d(z, weight):\n"
        "    n, c, h, w = z.shape\n"
        "    matrix = weight.reshape(weight.shape[0], c).astype(np.float32)\n"
        "    return (matrix @ z.reshape(n, c, h * w).astype(np.float32)).reshape(n, -1, h, w)\n"),
    "equivalent_kernel": (
        "def equivalent_kernel(w_dw, w_pw):\n"
        "    c_out, c_in = w_pw.shape[0], w_pw.shape[1]\n"
        "    out = np.zeros((c_out, c_in) + w_dw.shape[2:], dtype=np.float32)\n"
        "    for o in range(c_out):\n"
        "        for c in range(c_in):\n"
        "            out[o, c] = w_pw[o, c, 0, 0] * w_dw[c, 0]\n"
        "    return out\n"),
    "separable_cost": (
        "def separable_macs(c_in, c_out, k, h_out, w_out):\n"
        "    return h_out * w_out * c_in * (k * k + c_out)\n\n\n"
        "def ratio_closed_form(c_out, k):\n"
        "    return float(np.float32(1) / c_out + np.float32(1) / (k * k))\n"),
    "approximation": (
        "def best_rank_one(matrix):\n"
        "    m = np.asarray(matrix, dtype=np.float32)\n"
        "    u, s, vt = np.linalg.svd(m)\n"
        "    return s[0] * u[:, :1] @ vt[:1, :]\n\n\n"
        "def separable_approximation_error(weight):\n"
        "    w = np.asarray(weight, dtype=np.float32)\n"
        "    total, kept = 0.0, 0.0\n"
        "    for c in range(w.shape[1]):\n"
        "        m = w[:, c].reshape(w.shape[0], -1)\n"
        "        eig = np.linalg.eigvalsh(m @ m.T)  # squared singular values, ascending\n"
        "        total += float(np.sum(m * m))\n"
        "        kept += float(max(eig[-1], 0.0))\n"
        "    return max(total - kept, 0.0) ** 0.5 / total ** 0.5\n"),
}

CHEAT_DEPTHWISE = (
    "from dsconv_lib import reference\n\n"
    "def depthwise_conv2d(x, weight, stride=1, padding=0):\n"
    "    return reference.depthwise_conv2d(x, weight, stride=stride, padding=padding)\n"
)

# student id -> (file name in the batch, notebook JSON)
BATCH = {
    "alice": ("alice_ex06.ipynb", lambda: student_notebook()),
    "bob": ("bob/Copy of ex06.ipynb", lambda: student_notebook(edit=colab_resave)),
    "carol": ("carol_ex06.ipynb", lambda: student_notebook(swap("separable_cost", "1 / c_out + 1 / k**2", "1 / c_out + 1 / k"))),
    "dave": ("dave_ex06.ipynb", lambda: student_notebook(swap(
        "equivalent_kernel", "w_pw[:, :, 0, 0][:, :, None, None]", "w_pw[:, :, 0, 0].T[:, :, None, None]"))),
    "erin": ("erin_ex06.ipynb", lambda: student_notebook(OTHER_WAY)),
    "frank": ("frank_ex06.ipynb", lambda: student_notebook(swap(
        "depthwise_conv2d", "w_out = (w - k_w) // stride + 1", "w_out = (h - k_h) // stride + 1"))),
    "ken": ("ken_ex06.ipynb", lambda: student_notebook({"depthwise_conv2d": CHEAT_DEPTHWISE})),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    return EX06.grade(BATCH, tmp_path_factory, "--timeout", "10", "--memory-mb", "1536")


def test_release_has_no_solutions_or_hidden_tests_and_a_locked_install_cell():
    check_release(EX06, FULL, absent=["answer_q1 = 2"])


@pytest.mark.parametrize("student", ["alice", "bob", "erin"])
def test_correct_solutions_score_full_marks(graded, student):
    """The solution, its Colab re-save, and a correct solution written with loops in float32."""
    check_full_marks(graded.rows[student], FULL)


@pytest.mark.parametrize("student, lost", [
    ("carol", {"test_ratio_closed_form"}),                          # 1/k instead of 1/k^2
    ("dave", {"test_equivalent_kernel"}),                           # P transposed in the equivalent kernel
    ("frank", {"test_depthwise_conv2d", "test_separable_conv2d"}),  # height used for the width
    ("ken", {"test_depthwise_conv2d", "test_separable_conv2d"}),    # calls the library
])
def test_wrong_solutions_lose_the_points_of_their_part(graded, student, lost):
    check_lost_only(graded.rows[student], FULL, lost)


def test_feedback_says_which_case_failed_with_expected_and_got(graded):
    text = cell_output(graded, "carol", "test_ratio_closed_form")
    assert "case 'C_out = 64, k=3'" in text and "expected 0.126736, got 0.348958" in text, text
    text = cell_output(graded, "dave", "test_equivalent_kernel")
    assert "4 of 4 cases failed" in text and "wrong shape: expected (2, 1, 3, 3), got (1, 2, 3, 3)" in text, text
    assert "case '3 -> 3 channels, k=3'" in text and "values differ (shape (3, 3, 3, 3)); first at index" in text, text
    assert "implement it yourself" in cell_output(graded, "ken", "test_depthwise_conv2d")


def test_height_for_width_fails_the_visible_non_square_kernel(graded):
    """The text says the kernel need not be square: a visible case has a 2x3 kernel, so the mistake shows
    before submitting (it used to pass every visible case)."""
    text = cell_output(graded, "frank", "test_depthwise_conv2d")
    assert "1 of 4 cases failed" in text and "a 2x3 kernel (not square)" in text and "wrong shape" in text, text
