"""The check of the cells' nbgrader metadata (dsconv_grader.intake.metadata): nbgrader's, its schema checked once."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("nbgrader")

from nbgrader.preprocessors import CheckCellMetadata as NbgraderCheckCellMetadata  # noqa: E402

from dsconv_grader.intake.metadata import CheckCellMetadata  # noqa: E402
from notebooks import graded_cells  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def solution() -> nbformat.NotebookNode:
    return nbformat.read(REPO / "solutions" / "ex01" / "ex01.ipynb", as_version=4)


def broken(how: str) -> nbformat.NotebookNode:
    nb = solution()
    meta = graded_cells(nb)[0].metadata["nbgrader"]
    if how == "points not a number":
        meta["points"] = "many"
    elif how == "no points":
        del meta["points"]
    elif how == "empty grade id":
        meta["grade_id"] = ""
    elif how == "duplicate grade id":
        graded_cells(nb)[1].metadata["nbgrader"]["grade_id"] = meta["grade_id"]
    elif how == "old schema":
        meta["schema_version"] = 1
    return nb


def outcome(check, nb) -> str:
    try:
        check().preprocess(copy.deepcopy(nb), {})
    except Exception as error:  # noqa: BLE001 - the outcome is compared, whatever it is
        return f"{type(error).__name__}: {error}"
    return "valid"


@pytest.mark.parametrize("how", ["points not a number", "no points", "empty grade id", "duplicate grade id",
                                 "old schema"])
def test_a_notebook_nbgrader_refuses_is_refused_with_nbgraders_error(how):
    nb = broken(how)
    expected = outcome(NbgraderCheckCellMetadata, nb)
    assert expected != "valid"  # the case is one nbgrader refuses
    assert outcome(CheckCellMetadata, nb) == expected


def test_a_valid_notebook_passes_both_and_the_schema_is_checked_once(monkeypatch):
    import jsonschema

    nb = solution()
    assert outcome(NbgraderCheckCellMetadata, nb) == outcome(CheckCellMetadata, nb) == "valid"
    checked = []
    original = jsonschema.validators.Draft4Validator.check_schema.__func__

    def counting(cls, schema, *args, **kwargs):
        checked.append(cls)
        return original(cls, schema, *args, **kwargs)

    for kind in (jsonschema.validators.Draft4Validator, jsonschema.validators.Draft7Validator,
                 jsonschema.validators.Draft202012Validator):
        monkeypatch.setattr(kind, "check_schema", classmethod(counting))
    for _ in range(3):
        CheckCellMetadata().preprocess(copy.deepcopy(nb), {})
    assert checked == []  # checked once per process, before these three
    NbgraderCheckCellMetadata().preprocess(copy.deepcopy(nb), {})
    assert len(checked) >= len(graded_cells(nb)), "nbgrader's own check counts (the check above could not fail)"


def test_the_repositorys_config_uses_it_in_both_of_autogrades_lists():
    from dsconv_grader.repository import load_config

    config = load_config(REPO)
    for steps in (config.Autograde.sanitize_preprocessors, config.Autograde.autograde_preprocessors):
        assert CheckCellMetadata in steps and NbgraderCheckCellMetadata not in steps

