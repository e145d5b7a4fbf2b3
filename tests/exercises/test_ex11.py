"""Exercise 11 (beyond images) through the real grading pipeline.

One batch of ex11 submissions is graded once with `dsconv-course grade`: the
solution, the solution re-saved by Colab, a correct solution written another
way (plain loops in float32, tensordot, ceilings instead of floors, a float
logarithm for the FFT size, joules converted at the end), and mechanically
wrong ones: padding off by one, the pointwise matrix transposed, a call to
torch's conv1d where the exercise says to write it yourself, the temporal
kernel forgotten in the depthwise step of a 3D separable convolution and in
(2+1)D's temporal step, Tran et al.'s middle width with its denominator
swapped, an FFT size not rounded up to a power of two, energy in joules instead
of microjoules, the library's energy model called instead of written, and a
wrong number for Q1. Each wrong one must lose the points of its part, and
only those.
"""

from __future__ import annotations

import pytest
from grading_support import Assignment, Graded, colab_resave
from grading_support import check_full_marks, check_lost_only, check_release

EX11 = Assignment("ex11")
FULL = 14.0

pytestmark = pytest.mark.grading
pytest.importorskip("nbgrader")

# Shorthands for this assignment: a student's notebook, a one-edit wrong answer, a graded cell's output.
student_notebook, swap, cell_output = EX11.student_notebook, EX11.swap, EX11.cell_output


# A correct solution written another way: one output value at a time in float32, the pointwise step as a
# tensordot per signal, output sizes as ceilings, M through a float division, the FFT size through log2,
# the crossover as a while loop, the energy in joules first.
OTHER_WAY = {
    "depthwise_conv1d": (
        "def depthwise_conv1d(x, weight, stride=1, padding=0):\n"
        "    x = np.asarray(x, dtype=np.float32)\n"
        "    n, c, length = x.shape\n"
        "    k = weight.shape[-1]\n"
        "    zeros = np.zeros((n, c, padding), dtype=np.float32)\n"
        "    padded = np.concatenate([zeros, x, zeros], axis=2)\n"
        "    l_out = 1 + (length + 2 * padding - k) // stride\n"
        "    out = np.empty((n, c, l_out), dtype=np.float32)\n"
        "    for b in range(n):\n"
        "        for ch in range(c):\n"
        "            taps = np.asarray(weight[ch, 0], dtype=np.float32)\n"
        "            for i in range(l_out):\n"
        "                out[b, ch, i] = np.dot(padded[b, ch, i * stride:i * stride + k], taps)\n"
        "    return out\n"),
    "separable_conv1d": (
        "def separable_conv1d(x, depthwise_weight, pointwise_weight, stride=1, padding=0):\n"
        "    z = depthwise_conv1d(x, depthwise_weight, stride=stride, padding=padding)\n"
        "    matrix = pointwise_weight.reshape(pointwise_weight.shape[0], -1).astype(np.float32)\n"
        "    return np.stack([np.tensordot(matrix, z[b], axes=1) for b in range(z.shape[0])])\n"),
    "costs_3d": (
        "def positions(frames, height, width, stride):\n"
        "    return frames * -(-height // stride) * -(-width // stride)  # 'same' padding: ceil(H / s)\n\n\n"
        "def conv3d_params(c_in, c_out, t, d):\n"
        "    return t * d ** 2 * c_in * c_out\n\n\n"
        "def conv3d_macs(c_in, c_out, t, d, frames, height, width, stride=1):\n"
        "    return positions(frames, height, width, stride) * t * d ** 2 * c_in * c_out\n\n\n"
        "def separable3d_params(c_in, c_out, t, d):\n"
        "    return c_in * (t * d ** 2 + c_out)\n\n\n"
        "def separable3d_macs(c_in, c_out, t, d, frames, height, width, stride=1):\n"
        "    return positions(frames, height, width, stride) * c_in * (t * d ** 2 + c_out)\n"),
    "r2plus1d": (
        "def r2plus1d_mid_channels(c_in, c_out, t, d):\n"
        "    return math.floor(t * d ** 2 * c_in * c_out / (d ** 2 * c_in + t * c_out))\n\n\n"
        "def r2plus1d_params(c_in, c_out, t, d):\n"
        "    return r2plus1d_mid_channels(c_in, c_out, t, d) * (d ** 2 * c_in + t * c_out)\n\n\n"
        "def r2plus1d_macs(c_in, c_out, t, d, frames, height, width, stride=1):\n"
        "    m = r2plus1d_mid_channels(c_in, c_out, t, d)\n"
        "    h_out, w_out = math.ceil(height / stride), math.ceil(width / stride)\n"
        "    spatial = frames * h_out * w_out * m * c_in * d ** 2\n"
        "    temporal = frames * h_out * w_out * c_out * m * t\n"
        "    return spatial + temporal\n"),
    "fft_size": (
        "def fft_size_1d(n, k):\n"
        "    return 2 ** math.ceil(math.log2(n + k - 1))\n"),
    "fft_flops": (
        "def fft_conv_flops_1d(n, k, kernel_transformed=False):\n"
        "    big_n = fft_size_1d(n, k)\n"
        "    count = 3 - int(kernel_transformed)\n"
        "    return count * 5 * big_n * math.log2(big_n) / 2 + (big_n // 2 + 1) * 6.0\n\n\n"
        "def direct_conv_flops_1d(n, k):\n"
        "    return float(n * k * 2)\n"),
    "fft_crossover": (
        "def fft_crossover_kernel_1d(n, kernel_transformed=True):\n"
        "    k = 1\n"
        "    while not fft_conv_flops_1d(n, k, kernel_transformed=kernel_transformed) < direct_conv_flops_1d(n, k):\n"
        "        k += 2\n"
        "    return k\n"),
    "energy": (
        "def energy_uj(macs, bytes_moved, arithmetic, memory):\n"
        "    table = HOROWITZ_45NM_PJ\n"
        "    per_mac = (table[arithmetic + ' multiply'] + table[arithmetic + ' add']) * 1e-12\n"
        "    per_word = table['32-bit DRAM read' if memory == 'DRAM' else '32-bit SRAM read (8 KB)'] * 1e-12\n"
        "    joules = macs * per_mac + bytes_moved * per_word / 4\n"
        "    return joules * 1e6\n"),
    "answers": 'answer_q1 = 2816.0\nanswer_q2 = " C "\nanswer_q3 = "B"\n',
}

CHEAT_CONV1D = (
    "import torch\nimport torch.nn.functional as F\n\n"
    "def depthwise_conv1d(x, weight, stride=1, padding=0):\n"
    "    as_tensor = lambda a: torch.from_numpy(np.asarray(a, dtype=np.float64))\n"
    "    return F.conv1d(as_tensor(x), as_tensor(weight), stride=stride, padding=padding, groups=x.shape[1]).numpy()\n"
)

CHEAT_ENERGY = (
    "from dsconv_lib.cost import energy\n\n"
    "def energy_uj(macs, bytes_moved, arithmetic, memory):\n"
    "    table = {('float32', 'DRAM'): energy.FLOAT32_DRAM, ('float32', 'SRAM'): energy.FLOAT32_SRAM,\n"
    "             ('int8', 'DRAM'): energy.INT8_DRAM, ('int8', 'SRAM'): energy.INT8_SRAM}[arithmetic, memory]\n"
    "    return energy.inference_energy(macs, bytes_moved, table).total_j * 1e6\n"
)

# student id -> (file name in the batch, notebook JSON)
BATCH = {
    "alice": ("alice_ex11.ipynb", lambda: student_notebook()),
    "bob": ("bob/Copy of ex11.ipynb", lambda: student_notebook(edit=colab_resave)),
    "erin": ("erin_ex11.ipynb", lambda: student_notebook(OTHER_WAY)),
    "frank": ("frank_ex11.ipynb", lambda: student_notebook(swap(
        "depthwise_conv1d", "(padding, padding)", "(padding + 1, padding + 1)"))),
    "leo": ("leo_ex11.ipynb", lambda: student_notebook(swap("separable_conv1d", '"oc,ncl->nol"', '"co,ncl->nol"'))),
    "ken": ("ken_ex11.ipynb", lambda: student_notebook({"depthwise_conv1d": CHEAT_CONV1D})),
    "henry": ("henry_ex11.ipynb", lambda: student_notebook(swap(
        "costs_3d", "c_in * t * d * d + c_in * c_out", "c_in * d * d + c_in * c_out"))),
    "carol": ("carol_ex11.ipynb", lambda: student_notebook(swap("r2plus1d", "temporal = m * c_out * t", "temporal = m * c_out"))),
    "ivan": ("ivan_ex11.ipynb", lambda: student_notebook(swap(
        "r2plus1d", "(d * d * c_in + t * c_out)", "(t * c_in + d * d * c_out)"))),
    "dave": ("dave_ex11.ipynb", lambda: student_notebook(swap("fft_size", "    return size", "    return n + k - 1"))),
    "gina": ("gina_ex11.ipynb", lambda: student_notebook(swap("energy", "picojoules * 1e-6", "picojoules * 1e-12"))),
    "mia": ("mia_ex11.ipynb", lambda: student_notebook({"energy": CHEAT_ENERGY})),
    "judy": ("judy_ex11.ipynb", lambda: student_notebook(swap("answers", "answer_q1 = 2816", "answer_q1 = 2560"))),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    return EX11.grade(BATCH, tmp_path_factory, "--timeout", "20", "--memory-mb", "1536")


def test_release_has_no_solutions_or_hidden_tests_and_a_locked_install_cell():
    check_release(EX11, FULL, absent=["answer_q1 = 2816", "size *= 2", "picojoules * 1e-6", "temporal = m * c_out * t",
                                      '"oc,ncl->nol"'])


@pytest.mark.parametrize("student", ["alice", "bob", "erin"])
def test_correct_solutions_score_full_marks(graded, student):
    """The solution, its Colab re-save, and a correct solution written another way in float32."""
    check_full_marks(graded.rows[student], FULL)


@pytest.mark.parametrize("student, lost", [
    ("frank", {"test_depthwise_conv1d", "test_separable_conv1d"}),       # padding off by one
    ("leo", {"test_separable_conv1d"}),                                    # pointwise matrix transposed
    ("ken", {"test_depthwise_conv1d", "test_separable_conv1d"}),          # calls torch's conv1d
    ("henry", {"test_costs_3d"}),                                          # depthwise 3D kernel without its t frames
    ("carol", {"test_r2plus1d_cost"}),                                     # (2+1)D's temporal kernel forgotten
    ("ivan", {"test_r2plus1d_mid", "test_r2plus1d_cost"}),                 # M's denominator swapped
    ("dave", {"test_fft_size", "test_fft_flops", "test_fft_crossover"}),  # FFT size not a power of two
    ("gina", {"test_energy"}),                                             # joules, not microjoules
    ("mia", {"test_energy"}),                                              # calls the library's energy model
    ("judy", {"test_q1"}),                                                 # a wrong crossover length
])
def test_wrong_solutions_lose_the_points_of_their_part(graded, student, lost):
    check_lost_only(graded.rows[student], FULL, lost)


def test_feedback_says_which_case_failed_with_expected_and_got(graded):
    text = cell_output(graded, "carol", "test_r2plus1d_cost")
    assert "case 'video block, 64 -> 64, 3x3x3'" in text and "expected 110592, got 92160" in text, text
    text = cell_output(graded, "frank", "test_depthwise_conv1d")
    assert "values differ" in text and "first at index" in text, text
    text = cell_output(graded, "gina", "test_energy")
    assert "case 'separable 1D layer, float32, DRAM'" in text and "expected 26.7125" in text, text
    assert "implement it yourself" in cell_output(graded, "ken", "test_depthwise_conv1d")
    assert "implement it yourself" in cell_output(graded, "mia", "test_energy")


def test_wrong_q1_passes_the_visible_check_only(graded):
    text = cell_output(graded, "judy", "test_q1")
    assert "answer_q1 is a whole number" in text and "expected 2816, got 2560" in text, text
