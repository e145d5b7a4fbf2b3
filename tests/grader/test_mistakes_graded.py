"""Known mistakes, graded: each loses exactly its part's points and its feedback names it; correct answers do not.

Every catalogued mistake of tests/mistake_variants.py (one per `dsconv_lib.mistakes` entry, written as a
student would write it) is graded with the real command, `dsconv-course grade`. To keep the batch small,
mistakes that touch different answer cells and different parts share a notebook: each must still lose
exactly the parts it lists, and the graded output of its part must end with its hint. Beside them, correct
answers written another way must keep full marks with no hint anywhere (`dsconv-course validate` grades the
solutions).
"""

from __future__ import annotations

import importlib
import json

import grading_support as support
import pytest
from grading_support import check_full_marks, lost_cells
from mistake_variants import EX01_SLIDING_CONV2D, EX10_FUSION_ON_ITS_OWN, VARIANTS, Variant, packed, sources

pytestmark = pytest.mark.grading
pytest.importorskip("nbgrader")


def full_marks(assignment: str) -> float:
    notebook = support.load(support.solution_path(assignment))
    return float(sum(c["metadata"].get("nbgrader", {}).get("points", 0) for c in notebook["cells"]))


def student(assignment: str, what: str) -> str:
    """A student id for `assignment`'s notebook `what` (without the assignment id, which names the file)."""
    return f"{assignment.replace('ex', 'k')}{what}"


NOTEBOOKS = {student(assignment, f"mistakes{i}"): (assignment, members)
             for assignment in sorted(VARIANTS) for i, members in enumerate(packed(assignment))}

# Correct answers written another way (beside those of tests/grader/test_fairness.py).
CORRECT = {
    "ex01": {"conv2d": EX01_SLIDING_CONV2D},
    "ex04": {"connectivity": ("def connectivity(c_in, c_out, groups=1):\n"
                              "    seen = np.zeros((c_out, c_in), dtype=bool)\n"
                              "    for o in range(c_out):\n"
                              "        g = o // (c_out // groups)\n"
                              "        seen[o, g * (c_in // groups):(g + 1) * (c_in // groups)] = True\n"
                              "    return seen\n"),
             "grouped_cost": ("def grouped_params(c_in, c_out, k, groups=1):\n"
                              "    return float(groups * (c_out // groups) * (c_in // groups) * k ** 2)\n\n\n"
                              "def grouped_macs(c_in, c_out, k, h_out, w_out, groups=1):\n"
                              "    return h_out * w_out * grouped_params(c_in, c_out, k, groups)\n")},
    "ex05": {"pointwise_conv2d": ("def pointwise_conv2d(x, weight, bias=None):\n"
                                  "    y = np.einsum('nchw,oc->nohw', x, weight[..., 0, 0])\n"
                                  "    return y if bias is None else y + bias.reshape(1, -1, 1, 1)\n"),
             "compose_pointwise": ("def compose_pointwise(w1, w2):\n"
                                   "    return np.einsum('om,mc->oc', w2[:, :, 0, 0], w1[:, :, 0, 0])[..., None, None]\n")},
    "ex06": {"separable_cost": ("def separable_macs(c_in, c_out, k, h_out, w_out):\n"
                                "    return h_out * w_out * c_in * (k * k + c_out)\n\n\n"
                                "def ratio_closed_form(c_out, k):\n"
                                "    return (k * k + c_out) / (c_out * k * k)\n")},
    "ex08": {"squeeze_excite": ("def squeeze_excite(x, w1, b1, w2, b2):\n"
                                "    z = np.mean(x, axis=(2, 3), keepdims=True)[:, :, 0, 0]\n"
                                "    v = np.maximum(np.einsum('kc,nc->nk', w1, z) + b1, 0) @ w2.T + b2\n"
                                "    return x / (1 + np.exp(-v))[:, :, None, None]\n")},
    "ex10": {"fusion": EX10_FUSION_ON_ITS_OWN},
}


def mistake(assignment: str, function: str, key: str):
    mistakes = importlib.import_module(f"dsconv_lib.mistakes.{assignment}").MISTAKES[function]
    return next(m for m in mistakes if m.key == key)


def variants(assignment: str, members) -> list[Variant]:
    return [VARIANTS[assignment][member] for member in members]


def make(assignment: str, members):
    replace = sources(assignment, variants(assignment, members))
    return lambda: support.student_notebook(assignment, replace)


BATCH = {
    **{name: (f"{name}_{a}.ipynb", make(a, members)) for name, (a, members) in NOTEBOOKS.items()},
    **{student(a, "anotherway"): (f"{student(a, 'anotherway')}_{a}.ipynb",
                                  (lambda a=a: support.student_notebook(a, CORRECT[a]))) for a in CORRECT},
}
# Two grading runs, each well within the command's time limit on a busy machine.
FIRST = ("ex01", "ex02", "ex03", "ex04", "ex05")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    halves = [{s: job for s, job in BATCH.items() if job[0].endswith(tuple(f"_{a}.ipynb" for a in FIRST)) == first}
              for first in (True, False)]
    runs = [support.grade(half, tmp_path_factory, "--jobs", "2", label=f"mistakes{i}") for i, half in enumerate(halves)]
    return runs


def run_of(graded, name: str):
    """The grading run (support.Graded) that holds `name`'s notebook."""
    return next(run for run in graded if name in run.rows)


def said(graded, assignment: str, name: str, cell: str) -> str:
    """What the graded test cell showed: its printed text and its error's message."""
    outputs = json.loads(support.Assignment(assignment).cell_output(run_of(graded, name), name, cell))
    texts = (o.get("text", "") or o.get("evalue", "") for o in outputs)
    return "\n".join("".join(t) if isinstance(t, list) else t for t in texts)


@pytest.mark.parametrize("name", list(NOTEBOOKS))
def test_each_mistake_loses_its_part_and_its_feedback_names_it(graded, name):
    assignment, members = NOTEBOOKS[name]
    row = run_of(graded, name).rows[name]
    lost = set().union(*(v.graded_lost for v in variants(assignment, members)))
    assert row["status"] == "graded" and lost_cells(row) == lost, (members, lost_cells(row), row)
    for (function, key), variant in zip(members, variants(assignment, members)):
        text = said(graded, assignment, name, variant.shown_in)
        assert mistake(assignment, function, key).hint in text, (function, key, text)


@pytest.mark.parametrize("assignment", sorted(CORRECT))
def test_correct_answers_written_another_way_keep_full_marks_and_get_no_hint(graded, assignment):
    for name in (student(assignment, "anotherway"),):
        check_full_marks(run_of(graded, name).rows[name], full_marks(assignment))
        cells = [c for c in support.load(support.release_path(assignment))["cells"]
                 if (support.grade_id(c) or "").startswith("test_")]
        hints = [support.grade_id(c) for c in cells if "Hint:" in said(graded, assignment, name, support.grade_id(c))]
        assert not hints, (name, hints)
