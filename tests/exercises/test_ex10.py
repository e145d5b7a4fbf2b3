"""Exercise 10 (FLOPs vs wall-clock time) through the real grading pipeline.

One batch of ex10 submissions is graded once with `dsconv-course grade`: the
solution, the solution re-saved by Colab, a correct solution written another
way (floats and ceilings for the counts, an if for the roofline, the bound from
the intensity and the ridge, a band-by-band forward pass with loops in
float32), the blank exercise, and mechanically wrong ones: bytes counted with 2
instead of 4 bytes per value, an output size off by one under a stride, the
depthwise weights forgotten, the intensity inverted, min instead of max in the
time bound, > instead of >= at the ridge, a fusion saving that forgets the
batch, the pointwise matrix transposed, wrong answers of the right form, and
calls to the library where the task says "implement it yourself". Each wrong
one must lose the points of its part (and of the parts built on it), and only
those.
"""

from __future__ import annotations

import pytest
from grading_support import Assignment, Graded, colab_resave, load
from grading_support import check_full_marks, check_lost_only, check_release

EX10 = Assignment("ex10")
FULL = 14.0

pytestmark = pytest.mark.grading
pytest.importorskip("nbgrader")

# Shorthands for this assignment: a student's notebook, a one-edit wrong answer, a graded cell's output.
student_notebook, swap, cell_output = EX10.student_notebook, EX10.swap, EX10.cell_output


# A correct solution written another way: floats and ceilings for the counts, the roofline with ifs and NumPy,
# the bound from the intensity and the ridge, and a forward pass that pads only the rows a tile needs, in float32.
OTHER_WAY = {
    "layer_bytes": (
        "import math\n\n\n"
        "def standard_conv_bytes(n, c_in, c_out, k, h, w, stride):\n"
        "    h_out, w_out = math.ceil(h / stride), math.ceil(w / stride)  # odd k, padding k // 2\n"
        "    return 4.0 * (n * (c_in * h * w + c_out * h_out * w_out) + c_in * c_out * k ** 2)\n\n\n"
        "def depthwise_conv_bytes(n, c, k, h, w, stride):\n"
        "    per_channel = n * h * w + k ** 2 + n * (-(-h // stride)) * (-(-w // stride))\n"
        "    return c * per_channel * 4\n\n\n"
        "def pointwise_conv_bytes(n, c_in, c_out, h, w):\n"
        "    activations = n * h * w * (c_in + c_out)\n"
        "    return int(np.int64(4) * (activations + c_in * c_out))\n"),
    "roofline": (
        "def arithmetic_intensity(macs, bytes_moved):\n"
        "    flops = macs + macs\n"
        "    return flops / float(bytes_moved)\n\n\n"
        "def ridge_point(peak, bandwidth):\n"
        "    return float(np.float64(peak) / np.float64(bandwidth))\n\n\n"
        "def attainable(intensity, peak, bandwidth):\n"
        "    memory_roof = intensity * bandwidth\n"
        "    if memory_roof < peak:\n"
        "        return memory_roof\n"
        "    return peak\n\n\n"
        "def min_time(macs, bytes_moved, peak, bandwidth):\n"
        "    times = np.array([2.0 * macs / peak, bytes_moved / bandwidth])\n"
        "    return float(times.max())\n\n\n"
        "def bound(macs, bytes_moved, peak, bandwidth):\n"
        "    if arithmetic_intensity(macs, bytes_moved) <= ridge_point(peak, bandwidth):\n"
        "        return 'memory'\n"
        "    return 'compute'\n"),
    "fusion": (
        "def separable_bytes(n, c_in, c_out, k, h, w, stride, fused):\n"
        "    pixels_out = (-(-h // stride)) * (-(-w // stride))\n"
        "    values = n * c_in * h * w + c_in * k * k + c_in * c_out + n * c_out * pixels_out\n"
        "    if not fused:\n"
        "        values += 2 * n * c_in * pixels_out  # the intermediate, written and read back\n"
        "    return 4 * values\n\n\n"
        "def fusion_speedup(n, c_in, c_out, k, h, w, stride, peak, bandwidth):\n"
        "    pixels_out = (-(-h // stride)) * (-(-w // stride))\n"
        "    intermediate = n * c_in * pixels_out\n"
        "    flops = np.array([2.0 * intermediate * k * k, 2.0 * intermediate * c_out])\n"
        "    moved = 4.0 * np.array([n * c_in * h * w + c_in * k * k + intermediate,\n"
        "                            intermediate + c_in * c_out + n * c_out * pixels_out])\n"
        "    steps = np.maximum(flops / peak, moved / bandwidth)\n"
        "    fused = max(flops.sum() / peak, (moved.sum() - 8.0 * intermediate) / bandwidth)\n"
        "    return float(steps.sum() / fused)\n"),
    "fused_forward": (
        "def fused_separable_forward(x, w_dw, w_pw, tile_rows):\n"
        "    x = np.asarray(x, dtype=np.float32)\n"
        "    n, c, h, w = x.shape\n"
        "    k = w_dw.shape[-1]\n"
        "    p = (k - 1) // 2\n"
        "    c_out = w_pw.shape[0]\n"
        "    mix = np.asarray(w_pw, dtype=np.float32).reshape(c_out, c)\n"
        "    y = np.empty((n, c_out, h, w), dtype=np.float32)\n"
        "    for top in range(0, h, tile_rows):\n"
        "        bottom = min(top + tile_rows, h)\n"
        "        rows = bottom - top\n"
        "        band = np.zeros((n, c, rows + 2 * p, w + 2 * p), dtype=np.float32)  # the input rows this tile reads\n"
        "        first, last = max(top - p, 0), min(bottom + p, h)\n"
        "        band[:, :, first - (top - p):last - (top - p), p:p + w] = x[:, :, first:last]\n"
        "        tile = np.zeros((n, c, rows, w), dtype=np.float32)\n"
        "        for ch in range(c):\n"
        "            for u in range(k):\n"
        "                for v in range(k):\n"
        "                    tile[:, ch] += np.float32(w_dw[ch, 0, u, v]) * band[:, ch, u:u + rows, v:v + w]\n"
        "        y[:, :, top:bottom] = np.tensordot(mix, tile, axes=([1], [1])).transpose(1, 0, 2, 3)\n"
        "    return y\n"),
    "answers": 'answer_q1 = 64.0\nanswer_q2 = " Compute "\nanswer_q3 = "MEMORY"\n',
}

CHEAT_FORWARD = (
    "from dsconv_lib import reference\n\n"
    "def fused_separable_forward(x, w_dw, w_pw, tile_rows):\n"
    "    return reference.separable_conv2d(x, w_dw, w_pw, padding=w_dw.shape[2] // 2)\n"
)


def cheat_standard_bytes() -> dict[str, str]:
    """The solution's layer_bytes cell with standard_conv_bytes answered by dsconv_lib.cost."""
    cheat = EX10.swap("layer_bytes", "    return 4 * (inputs + weights + outputs)",
                      "    return cost.conv(c_in, c_out, k, (h, w), stride=stride, padding=k // 2, batch=n).bytes")
    return {"layer_bytes": "from dsconv_lib import cost\n\n\n" + cheat["layer_bytes"]}


# student id -> (file name in the batch, notebook JSON)
BATCH = {
    "alice": ("alice_ex10.ipynb", lambda: student_notebook()),
    "bob": ("bob/Copy of ex10.ipynb", lambda: student_notebook(edit=colab_resave)),
    "erin": ("erin_ex10.ipynb", lambda: student_notebook(OTHER_WAY)),
    "zoe": ("zoe_ex10.ipynb", lambda: load(EX10.release)),
    "carol": ("carol_ex10.ipynb", lambda: student_notebook(swap(
        "layer_bytes", "return 4 * (inputs + weights + outputs)", "return 2 * (inputs + weights + outputs)"))),
    "frank": ("frank_ex10.ipynb", lambda: student_notebook(swap(
        "layer_bytes", "h_out = (h + 2 * (k // 2) - k) // stride + 1\n    w_out = (w + 2 * (k // 2) - k) // stride + 1\n"
                       "    inputs", "h_out = h // stride\n    w_out = w // stride\n    inputs"))),
    "dave": ("dave_ex10.ipynb", lambda: student_notebook(swap(
        "layer_bytes", "n * c * h * w + c * k * k + n * c * size_out", "n * c * h * w + n * c * size_out"))),
    "grace": ("grace_ex10.ipynb", lambda: student_notebook(swap(
        "roofline", "return 2 * macs / bytes_moved", "return bytes_moved / (2 * macs)"))),
    "heidi": ("heidi_ex10.ipynb", lambda: student_notebook(swap(
        "roofline", "return max(2 * macs / peak, bytes_moved / bandwidth)", "return min(2 * macs / peak, bytes_moved / bandwidth)"))),
    "nora": ("nora_ex10.ipynb", lambda: student_notebook(swap(
        "roofline", '"memory" if memory_time >= compute_time', '"memory" if memory_time > compute_time'))),
    "ivan": ("ivan_ex10.ipynb", lambda: student_notebook(swap(
        "fusion", "intermediate = n * c_in * h_out * w_out", "intermediate = c_in * h_out * w_out"))),
    "leo": ("leo_ex10.ipynb", lambda: student_notebook(swap("fused_forward", '"oc,nchw->nohw"', '"co,nchw->nohw"'))),
    "ken": ("ken_ex10.ipynb", lambda: student_notebook({"fused_forward": CHEAT_FORWARD})),
    "mia": ("mia_ex10.ipynb", lambda: student_notebook(cheat_standard_bytes())),
    "judy": ("judy_ex10.ipynb", lambda: student_notebook(swap("answers", 'answer_q3 = "memory"', 'answer_q3 = "compute"'))),
    "kim": ("kim_ex10.ipynb", lambda: student_notebook(swap("answers", "answer_q1 = 64", "answer_q1 = 32"))),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    return EX10.grade(BATCH, tmp_path_factory, "--timeout", "20", "--memory-mb", "1536")


def test_release_has_no_solutions_or_hidden_tests_and_a_locked_install_cell():
    check_release(EX10, FULL, absent=["answer_q1 = 64", "return 4 * (inputs + weights + outputs)",
                                      "2 * 4 * intermediate", '"oc,nchw->nohw"', "default_rng(1001)"])


@pytest.mark.parametrize("student", ["alice", "bob", "erin"])
def test_correct_solutions_score_full_marks(graded, student):
    """The solution, its Colab re-save, and a correct solution written another way (floats, ifs, loops in float32)."""
    check_full_marks(graded.rows[student], FULL)


def test_blank_exercise_scores_zero(graded):
    r = graded.rows["zoe"]
    assert r["status"] == "graded" and float(r["score"]) == 0.0, r


@pytest.mark.parametrize("student, lost", [
    ("carol", {"test_standard_bytes"}),                                          # 2 bytes per value, not 4
    ("frank", {"test_standard_bytes"}),                                          # floor(H / s): one short on odd sizes
    ("dave", {"test_depthwise_bytes", "test_separable_bytes", "test_fusion_speedup"}),  # depthwise weights forgotten
    ("grace", {"test_intensity_ridge"}),                                         # bytes per FLOP, not FLOPs per byte
    ("heidi", {"test_min_time", "test_fusion_speedup"}),                         # min of the two times, not max
    ("nora", {"test_bound"}),                                                    # a layer at the ridge called compute-bound
    ("ivan", {"test_separable_bytes", "test_fusion_speedup"}),                   # fusion saving without the batch
    ("leo", {"test_fused_forward"}),                                             # the pointwise matrix transposed
    ("ken", {"test_fused_forward"}),                                             # calls dsconv_lib.reference
    ("mia", {"test_standard_bytes"}),                                            # calls dsconv_lib.cost
    ("judy", {"test_q3"}),                                                       # bfloat16 layer called compute-bound
    ("kim", {"test_q1"}),                                                        # MACs per byte, not FLOPs per byte
])
def test_wrong_solutions_lose_the_points_of_their_part(graded, student, lost):
    check_lost_only(graded.rows[student], FULL, lost)


def test_feedback_says_which_case_failed_with_expected_and_got(graded):
    text = cell_output(graded, "carol", "test_standard_bytes")
    assert "3 of 3 cases failed" in text and "case '3x3, 32 -> 64, 112x112'" in text, text
    assert "expected 4890624, got 2445312" in text, text
    text = cell_output(graded, "nora", "test_bound")
    assert "exactly at the ridge" in text and "'compute' is not the right option" in text, text
    text = cell_output(graded, "leo", "test_fused_forward")
    assert "values differ" in text or "raised ValueError" in text, text
    assert "implement it yourself" in cell_output(graded, "ken", "test_fused_forward")
    assert "implement it yourself" in cell_output(graded, "mia", "test_standard_bytes")


def test_off_by_one_under_a_stride_passes_the_visible_tests_only(graded):
    text = cell_output(graded, "frank", "test_standard_bytes")
    assert "standard_conv_bytes: the visible cases pass" in text and "stride 2 on an odd size, 15x9" in text, text


def test_wrong_q1_passes_the_visible_check_only(graded):
    text = cell_output(graded, "kim", "test_q1")
    assert "answer_q1 is a number" in text and "got 32" in text, text
