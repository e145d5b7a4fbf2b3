"""Exercises 2 (counting cost) and 3 (spatially separable): graded end to end with `dsconv-course grade`.

One batch holds, for each assignment, the solution, the solution as Colab re-saves
it, a correct solution written another way, and mechanically wrong ones (an
off-by-one output size, a factor 2 missing in the FLOPs, transposed row and
column, a flipped kernel, a call to the library instead of the student's own code). Each wrong one must lose the
points of its part but not all of them; the correct ones must score full marks.
"""

from __future__ import annotations

import pytest
from grading_support import ROOT, Assignment, Graded, check_full_marks, colab_resave, grade, load, source, swap
from notebooks import code_cells
from grading_support import student_notebook as student

FULL = {"ex02": 12.0, "ex03": 10.0}

pytestmark = pytest.mark.grading
pytest.importorskip("nbgrader")


# ex02, written another way: loops over the output positions, float arithmetic, numpy.
EX02_OTHER_WAY = {
    "params": (
        "def params(c_in, c_out, k, groups=1, bias=False):\n"
        "    per_filter = (c_in / groups) * k ** 2\n"
        "    total = per_filter * c_out\n"
        "    if bias:\n"
        "        total += c_out\n"
        "    return int(round(total))\n"),
    "macs": (
        "def output_size(size, k, stride=1, padding=0):\n"
        "    return len(range(0, size + 2 * padding - k + 1, stride))\n\n"
        "def macs(c_in, c_out, k, h, w, stride=1, padding=0, groups=1):\n"
        "    positions = 0\n"
        "    for i in range(0, h + 2 * padding - k + 1, stride):\n"
        "        for j in range(0, w + 2 * padding - k + 1, stride):\n"
        "            positions += 1\n"
        "    return int(np.int64(positions) * c_out * (c_in // groups) * k * k)\n"),
    "roofline": (
        "def roofline_min_time(flops, nbytes, peak_flops_per_s, bandwidth_bytes_per_s):\n"
        "    return float(np.max([flops / peak_flops_per_s, nbytes / bandwidth_bytes_per_s]))\n\n"
        "def roofline_bound(flops, nbytes, peak_flops_per_s, bandwidth_bytes_per_s):\n"
        "    intensity = flops / nbytes\n"
        "    return 'Memory' if intensity <= peak_flops_per_s / bandwidth_bytes_per_s else 'Compute'\n"),
    "answers_roofline": "answer_roofline_bound = 'compute'\nanswer_roofline_time_us = 462.4\n",
    "answers": "answer_q1 = 'macs'\nanswer_q2 = 4.0\n",
}

# ex03, written another way: float32 throughout, sign and scale split differently, vectorised passes.
EX03_OTHER_WAY = {
    "is_rank_one": (
        "def is_rank_one(kernel, tol=1e-8):\n"
        "    s = np.linalg.svd(kernel, compute_uv=False)\n"
        "    return s.size < 2 or s[1] <= tol * s[0]\n"),
    "separate": (
        "def separate(kernel):\n"
        "    u, s, vt = np.linalg.svd(kernel)\n"
        "    return -np.sqrt(s[0]) * u[:, 0], -np.sqrt(s[0]) * vt[0, :]\n"),
    "separable_filter": (
        "def separable_filter(image, column, row):\n"
        "    image = np.asarray(image, dtype=np.float32)\n"
        "    h, w = image.shape\n"
        "    a, b = len(column) // 2, len(row) // 2\n"
        "    padded = np.pad(image, ((a, a), (b, b)))\n"
        "    windows = np.lib.stride_tricks.sliding_window_view(padded, (len(column), 1))[:, b:b + w, :, 0]\n"
        "    down = windows @ np.asarray(column, dtype=np.float32)\n"
        "    down = np.pad(down, ((0, 0), (b, b)))\n"
        "    across = np.lib.stride_tricks.sliding_window_view(down, len(row), axis=1)\n"
        "    return across @ np.asarray(row, dtype=np.float32)\n"),
    "savings": "def saving_2d(k):\n    return k / 2\n\ndef saving_3d(k):\n    return k * k / 3\n",
}

CHEAT_FILTER = (
    "from dsconv_lib import reference\n\n"
    "def separable_filter(image, column, row):\n"
    "    return reference.depthwise_conv2d(image[None, None], np.outer(column, row)[None, None], padding='same')[0, 0]\n"
)

CHEAT_PARAMS = (
    "from dsconv_lib import cost\n\n"
    "def params(c_in, c_out, k, groups=1, bias=False):\n"
    "    return cost.conv(c_in, c_out, k, k, groups=groups, bias=bias).params\n"
)

# student -> (file, notebook factory, {test cell: expected points} for the cells that must score zero)
BATCH = {
    "alice": ("alice_ex02.ipynb", lambda: student("ex02")),
    "bob": ("bob/Copy of ex02.ipynb", lambda: student("ex02", edit=colab_resave)),
    "carol": ("carol_ex02.ipynb", lambda: student("ex02", EX02_OTHER_WAY)),
    "dave": ("dave_ex02.ipynb", lambda: student("ex02", swap(  # off by one in the output size
        "ex02", "macs", "(size + 2 * padding - k) // stride + 1", "(size + 2 * padding - k + 1) // stride + 1"))),
    "erin": ("erin_ex02.ipynb", lambda: student("ex02", swap(  # FLOPs = MACs: the factor 2 is missing
        "ex02", "bytes", "flops = 2 * macs(", "flops = 1 * macs("))),
    "frank": ("frank_ex02.ipynb", lambda: student("ex02", swap(  # stride applied to the area, not each side
        "ex02", "macs", "return c_out * h_out * w_out *",
        "h_out, w_out = (h + 2 * padding - k + 1), (w + 2 * padding - k + 1)\n"
        "    return c_out * (h_out * w_out // stride ** 2) *"))),
    "grace": ("grace_ex02.ipynb", lambda: student("ex02", {"params": CHEAT_PARAMS})),
    "alice3": ("alice3_ex03.ipynb", lambda: student("ex03")),
    "bob3": ("bob3/Copy of ex03 (1).ipynb", lambda: student("ex03", edit=colab_resave)),
    "carol3": ("carol3_ex03.ipynb", lambda: student("ex03", EX03_OTHER_WAY)),
    "dave3": ("dave3_ex03.ipynb", lambda: student("ex03", swap(  # row and column transposed
        "ex03", "separate", "return u[:, 0] * s[0], vt[0]", "return vt[0] * s[0], u[:, 0]"))),
    "erin3": ("erin3_ex03.ipynb", lambda: student("ex03", swap(  # the passes use each other's kernel
        "ex03", "separable_filter", "columns_done += column[p]", "columns_done += row[p]"))),
    "frank3": ("frank3_ex03.ipynb", lambda: student("ex03", {"separable_filter": CHEAT_FILTER})),
    "grace3": ("grace3_ex03.ipynb", lambda: student("ex03", swap(  # 3D saving k^3 / 2k
        "ex03", "savings", "k ** 3 / (3 * k)", "k ** 3 / (2 * k)"))),
}

# student -> the test cells it must lose (all of their points); the others it keeps.
WRONG = {
    "dave": ["test_macs", "test_min_bytes", "test_arithmetic_intensity"],
    "erin": ["test_arithmetic_intensity"],
    "frank": ["test_macs"],
    "grace": ["test_params"],
    "dave3": ["test_separate"],
    "erin3": ["test_separable_filter"],
    "frank3": ["test_separable_filter"],
    "grace3": ["test_saving_3d"],
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    return grade(BATCH, tmp_path_factory)


def assignment_of(student_id: str) -> str:
    return "ex03" if student_id.endswith("3") else "ex02"


@pytest.mark.parametrize("student_id", ["alice", "bob", "carol", "alice3", "bob3", "carol3"])
def test_correct_solutions_score_full_marks(graded, student_id):
    check_full_marks(graded.rows[student_id], FULL[assignment_of(student_id)])


@pytest.mark.parametrize("student_id", sorted(WRONG))
def test_wrong_solutions_lose_points_but_not_all(graded, student_id):
    r = graded.rows[student_id]
    assert r["status"] == "graded", r
    for cell in WRONG[student_id]:
        assert float(r[cell]) == 0, (cell, r)
    assert 0 < float(r["score"]) < FULL[assignment_of(student_id)], r


def test_cheating_is_reported(graded):
    for student_id, cell in (("frank3", "test_separable_filter"), ("grace", "test_params")):
        problems = graded.rows[student_id]["problems"]
        assert f"cell '{cell}'" in problems and "library" in problems, graded.rows[student_id]


def test_wrong_stride_passes_the_visible_macs_tests(graded):
    """frank's MACs are right for the visible cases (strides that divide the size); hidden cases catch them."""
    text = Assignment("ex02").cell_output(graded, "frank", "test_macs")
    assert "the visible cases pass" in text and "hidden random" in text


def test_releases_have_no_solutions_and_a_locked_install_cell():
    for assignment in FULL:
        release = ROOT / "exercises" / assignment / f"{assignment}.ipynb"
        text = release.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
        first_code = code_cells(load(release))[0]
        assert source(first_code).strip().startswith("try:\n    import dsconv_lib\nexcept ImportError:")
        assert first_code["metadata"]["nbgrader"]["locked"] is True
