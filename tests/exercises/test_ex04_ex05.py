"""Exercises 4 (depthwise and grouped) and 5 (pointwise) through the real grading path.

One batch holds, for each assignment, the solution, the solution re-saved by
Colab, another correct way of writing it (loops, float32, einsum), and
mechanically wrong solutions: depthwise outputs in the order c + j*C instead of
c*m + j, groups ignored in the cost, a square-kernel assumption (caught by the
hidden tests only), a transposed weight matrix in the pointwise convolution, the
composition in the wrong order, a wrong answer of the right form. It is graded
once with `dsconv-course grade`; each wrong one must lose points but not all.
"""

from __future__ import annotations


import pytest
from notebooks import code_cells
from grading_support import (
    ROOT,
    colab_resave,
    grade_batch,
    grade_id,
    load,
    solution_sources,
    source,
    student_notebook,
    swap,
)

FULL = {"ex04": 12.0, "ex05": 8.0}

pytestmark = pytest.mark.grading
pytest.importorskip("nbgrader")


LOOPS_DEPTHWISE = '''\
def depthwise_conv2d(x, weight, stride=1, padding=0):
    n, c, h, w = x.shape
    c_out, _, k_h, k_w = weight.shape
    m = c_out // c
    xp = np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=np.float32)
    xp[:, :, padding:padding + h, padding:padding + w] = x
    h_out = (h + 2 * padding - k_h) // stride + 1
    w_out = (w + 2 * padding - k_w) // stride + 1
    y = np.zeros((n, c_out, h_out, w_out), dtype=np.float32)
    for b in range(n):
        for ch in range(c):
            for j in range(m):
                for i in range(h_out):
                    for i2 in range(w_out):
                        window = xp[b, ch, i * stride:i * stride + k_h, i2 * stride:i2 * stride + k_w]
                        y[b, ch * m + j, i, i2] = np.sum(window * weight[ch * m + j, 0])
    return y
'''
LOOPS_CONNECTIVITY = '''\
def connectivity(c_in, c_out, groups=1):
    seen = np.zeros((c_out, c_in), dtype=int)
    for o in range(c_out):
        g = o // (c_out // groups)
        for c in range(g * (c_in // groups), (g + 1) * (c_in // groups)):
            seen[o, c] = 1
    return seen
'''
EINSUM_POINTWISE = '''\
def pointwise_conv2d(x, weight, bias=None):
    y = np.einsum("oc,nchw->nohw", weight[:, :, 0, 0].astype(np.float32), x.astype(np.float32))
    return y if bias is None else y + np.asarray(bias)[:, None, None]
'''

# (student, assignment) -> (file name, notebook)
BATCH = {
    ("alice", "ex04"): ("alice_ex04.ipynb", lambda: student_notebook("ex04")),
    ("alice", "ex05"): ("alice_ex05.ipynb", lambda: student_notebook("ex05")),
    ("bob", "ex04"): ("bob/Copy of ex04.ipynb", lambda: student_notebook("ex04", edit=colab_resave)),
    ("bob", "ex05"): ("bob/Copy of ex05 (1).ipynb", lambda: student_notebook("ex05", edit=colab_resave)),
    ("erin", "ex04"): ("erin_ex04.ipynb", lambda: student_notebook(
        "ex04", {"depthwise_conv2d": LOOPS_DEPTHWISE, "connectivity": LOOPS_CONNECTIVITY,
                 "answers": "answer_q1 = 2.0\nanswer_q2 = 32.0\nanswer_q3 = 16\n"})),
    ("erin", "ex05"): ("erin_ex05.ipynb", lambda: student_notebook("ex05", {"pointwise_conv2d": EINSUM_POINTWISE})),
    # c + j*C instead of c*m + j: right for m = 1, wrong for m > 1
    ("carol", "ex04"): ("carol_ex04.ipynb", lambda: student_notebook("ex04", swap(
        "ex04", "depthwise_conv2d", "np.repeat(x, m, axis=1)", "np.tile(x, (1, m, 1, 1))"))),
    # the transposed (C_in, C_out) matrix
    ("carol", "ex05"): ("carol_ex05.ipynb", lambda: student_notebook("ex05", swap(
        "ex05", "pointwise_conv2d", "matrix = weight.reshape(weight.shape[0], weight.shape[1])",
        "matrix = weight.reshape(weight.shape[1], weight.shape[0])"))),
    # groups ignored in the cost
    ("dave", "ex04"): ("dave_ex04.ipynb", lambda: student_notebook("ex04", {"grouped_cost": solution_sources("ex04")[
        "grouped_cost"].replace("(c_in // groups)", "c_in")})),
    # w2 applied first
    ("dave", "ex05"): ("dave_ex05.ipynb", lambda: student_notebook("ex05", swap(
        "ex05", "compose_pointwise", "(m2 @ m1)", "(m1 @ m2)"))),
    # a square kernel assumed: passes the visible tests (all k x k), not the hidden ones
    ("frank", "ex04"): ("frank_ex04.ipynb", lambda: student_notebook("ex04", swap(
        "ex04", "depthwise_conv2d", "c_out, _, k_h, k_w = weight.shape", "c_out, _, k_h, _ = weight.shape\n    k_w = k_h"))),
    # an answer of the right form, wrong: passes the visible test, not the hidden one
    ("frank", "ex05"): ("frank_ex05.ipynb", lambda: student_notebook("ex05", {"answers": "answer_q1 = 9\nanswer_q2 = 9\n"})),
}
# (student, assignment) -> test cells that must score 0 (all others full)
LOST = {
    ("carol", "ex04"): {"test_depthwise_multiplier"},
    ("carol", "ex05"): {"test_pointwise_conv2d"},
    ("dave", "ex04"): {"test_grouped_params", "test_grouped_macs"},
    ("dave", "ex05"): {"test_compose_pointwise"},
    ("frank", "ex04"): {"test_depthwise_conv2d", "test_depthwise_multiplier"},
    ("frank", "ex05"): {"test_q1"},
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    result, grades = grade_batch(BATCH, tmp_path_factory.mktemp("submissions"), tmp_path_factory.mktemp("graded"),
                                 "--timeout", "20")
    rows = {(r["student_id"], r["assignment_id"]): r for r in grades if r["student_id"]}
    assert set(rows) == set(BATCH), (sorted(rows), result.stdout)
    return rows


def points(assignment: str) -> dict[str, float]:
    """Points of each test cell of the instructor notebook."""
    return {grade_id(c): float(c["metadata"]["nbgrader"]["points"])
            for c in load(ROOT / "solutions" / assignment / f"{assignment}.ipynb")["cells"]
            if c.get("metadata", {}).get("nbgrader", {}).get("grade")}


def test_points_add_up():
    for assignment, full in FULL.items():
        assert sum(points(assignment).values()) == full


@pytest.mark.parametrize("student", ["alice", "bob", "erin"])
@pytest.mark.parametrize("assignment", ["ex04", "ex05"])
def test_correct_solutions_score_full_marks(graded, student, assignment):
    r = graded[(student, assignment)]
    assert r["status"] == "graded" and float(r["score"]) == FULL[assignment], r


@pytest.mark.parametrize("key", sorted(LOST), ids="-".join)
def test_wrong_solutions_lose_points_but_not_all(graded, key):
    r = graded[key]
    assignment = key[1]
    assert r["status"] == "graded", r
    assert 0 < float(r["score"]) < FULL[assignment], r
    for cell, full in points(assignment).items():
        assert float(r[cell]) == (0.0 if cell in LOST[key] else full), (cell, r)


@pytest.mark.parametrize("assignment", ["ex04", "ex05"])
def test_release_has_no_solutions_or_hidden_tests(assignment):
    release = ROOT / "exercises" / assignment / f"{assignment}.ipynb"
    text = release.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    first_code = code_cells(load(release))[0]
    assert "import dsconv_lib" in source(first_code)
    assert first_code["metadata"]["nbgrader"]["locked"] is True


@pytest.mark.parametrize("chapter, assignment", [("04_depthwise_grouped", "ex04"), ("05_pointwise", "ex05")])
def test_chapter_links_its_exercise(chapter, assignment):
    text = (ROOT / "book" / f"{chapter}.ipynb").read_text(encoding="utf-8")
    assert ("https://colab.research.google.com/github/dsconv-course/dsconv-course/blob/main/"
            f"exercises/{assignment}/{assignment}.ipynb") in text
