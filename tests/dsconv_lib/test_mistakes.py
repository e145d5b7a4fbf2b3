"""The exercises teach through their feedback: named cases are visible, known mistakes are named.

For every exercise with a catalogue in `dsconv_lib.mistakes`:

- every argument and edge case its text names (`NAMED`) has a visible test case (the release is run in
  this process with the solution, and the calls the test cells make of each function are recorded);
- every catalogued mistake points to a section that exists in the book, and is written in
  tests/mistake_variants.py as a student would write it;
- each such variant, run as the student runs the notebook, fails its part's visible test (and only the
  parts listed), whose message ends with that mistake's hint; the solution gets no message at all.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from inprocess import recorded_calls, run_visible
from mistake_variants import VARIANTS, packed, sources

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = sorted(VARIANTS)


def catalogue(assignment: str):
    return importlib.import_module(f"dsconv_lib.mistakes.{assignment}")


def headings(chapter: str) -> set[str]:
    notebook = json.loads((ROOT / "book" / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    lines = (line for cell in notebook["cells"] if cell["cell_type"] == "markdown"
             for line in "".join(cell["source"]).splitlines())
    return {line.lstrip("#").strip() for line in lines if line.startswith("#")}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_named_case_is_visible(assignment):
    calls = recorded_calls(assignment)
    missing = [f"{case.function}: {case.text}" for case in catalogue(assignment).NAMED
               if not any(case.applies(arguments) for arguments in calls.get(case.function, []))]
    assert not missing, f"{assignment}: no visible test case for: " + "; ".join(missing)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_mistake_points_to_a_section_and_has_a_variant(assignment):
    problems = []
    for function, mistakes in catalogue(assignment).MISTAKES.items():
        for mistake in mistakes:
            if mistake.section not in headings(mistake.chapter):
                problems.append(f"{function}/{mistake.key}: no section {mistake.section!r} in book/{mistake.chapter}")
            if (function, mistake.key) not in VARIANTS[assignment]:
                problems.append(f"{function}/{mistake.key}: no student variant in tests/mistake_variants.py")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_solution_passes_with_no_hint(assignment):
    said = run_visible(assignment)
    assert not any(said.values()), {cell: message for cell, message in said.items() if message}


GROUPS = [(assignment, members) for assignment in ASSIGNMENTS for members in packed(assignment)]


@pytest.mark.parametrize("assignment, members", GROUPS, ids=[f"{a}-{'+'.join(k for _, k in m)}" for a, m in GROUPS])
def test_mistakes_fail_their_parts_with_their_hints(assignment, members):
    """Mistakes in different parts share a notebook (tests/mistake_variants.py, `packed`): each fails exactly
    its parts, and each part's message ends with its mistake's hint."""
    variants = [VARIANTS[assignment][member] for member in members]
    said = run_visible(assignment, sources(assignment, variants))
    failed = {cell for cell, message in said.items() if message}
    assert failed == set().union(*(v.lost for v in variants)), (members, {cell: said[cell] for cell in failed})
    for (function, key), variant in zip(members, variants):
        mistake = next(m for m in catalogue(assignment).MISTAKES[function] if m.key == key)
        assert mistake.hint in said[variant.shown_in], (function, key, said[variant.shown_in])


# ----------------------------------------------------------------------------- rules the text states are checked

TORCH_SQUEEZE_EXCITE = (  # ex08 part A says: do not call SqueezeExcite or torch
    "import torch\n\n\n"
    "def squeeze_excite(x, w1, b1, w2, b2):\n"
    "    t = torch.as_tensor(np.asarray(x, dtype=np.float64))\n"
    "    fc1, fc2 = torch.nn.Linear(w1.shape[1], w1.shape[0]).double(), torch.nn.Linear(w2.shape[1], w2.shape[0]).double()\n"
    "    with torch.no_grad():\n"
    "        for layer, w, b in ((fc1, w1, b1), (fc2, w2, b2)):\n"
    "            layer.weight.copy_(torch.as_tensor(np.asarray(w, dtype=np.float64)))\n"
    "            layer.bias.copy_(torch.as_tensor(np.asarray(b, dtype=np.float64)))\n"
    "        s = torch.sigmoid(fc2(torch.relu(fc1(t.mean(dim=(2, 3))))))\n"
    "        return (t * s[:, :, None, None]).numpy()\n")
LIBRARY_COMPOSE = (  # ex05 says: implement it yourself (parts A to C)
    "from dsconv_lib import reference\n\n\n"
    "def compose_pointwise(w1, w2):\n"
    "    basis = np.eye(w1.shape[1])[None, :, :, None]  # pixel j holds the unit vector e_j\n"
    "    return reference.pointwise_conv2d(reference.pointwise_conv2d(basis, w1), w2)[0][..., None]\n")
RULE_BREAKERS = {
    "ex08 squeeze_excite with torch": ("ex08", {"squeeze_excite": TORCH_SQUEEZE_EXCITE}, "test_squeeze_excite"),
    "ex05 compose_pointwise with the library": ("ex05", {"compose_pointwise": LIBRARY_COMPOSE}, "test_compose_pointwise"),
}


@pytest.mark.parametrize("name", list(RULE_BREAKERS))
def test_an_answer_that_breaks_a_stated_rule_fails_its_part(name):
    assignment, replace, cell = RULE_BREAKERS[name]
    said = run_visible(assignment, replace)
    assert {c for c, message in said.items() if message} == {cell}, said
    assert "implement it yourself" in said[cell], said[cell]


def test_every_exercise_says_that_the_install_cell_needs_no_restart():
    for path in sorted((ROOT / "solutions").glob("ex*/ex*.ipynb")):
        intro = "".join(json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"])
        assert "you may need to restart the kernel" in intro and "no restart is needed" in intro, path
