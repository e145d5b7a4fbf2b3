"""Intake: what a handed-in file must be before it is graded, and what is repaired or refused.

`check_submission(content, release, source)` reads the bytes of one handed-in
file and returns the notebook to grade, the problems to report, or the reason it
cannot be graded. Nothing in the submission decides how a cell is treated: the
release (and nbgrader's gradebook, made from the instructor's source) does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024  # `submissions.collect` refuses larger files unread; `check_submission` checks again


def check_submission(content: bytes, release: Path, source: Optional[Path] = None) -> tuple[Optional[dict], list[str], Optional[str]]:
    """(notebook to grade, problems to report, reason it cannot be graded) for a handed-in file.

    Reads JSON and nbformat (a notebook re-saved by Colab, with its metadata,
    cell ids and another nbformat_minor, is fine), and compares the locked cells
    with the release: a deleted test cell is restored by nbgrader, an edited one
    is replaced by the original; both are reported. Cells that claim a grade id
    the release does not have, or a second copy of one, lose their nbgrader
    metadata (they could otherwise pose as test cells); a locked cell gets the
    release's cell type and metadata back.
    """
    notebook, reason = _read(content)
    if reason:
        return None, [], reason
    return notebook, _restore_locked_cells(notebook, release, source), None


def _read(content: bytes) -> tuple[Optional[dict], Optional[str]]:
    """(the notebook, None) when `content` is a valid notebook; (None, why not) otherwise."""
    import nbformat

    if len(content) > MAX_NOTEBOOK_BYTES:
        return None, f"file too large ({len(content) / 2**20:.0f} MiB; a notebook is at most {MAX_NOTEBOOK_BYTES // 2**20} MiB)"
    try:
        raw = json.loads(content.decode("utf-8"))
    except UnicodeDecodeError as error:
        return None, f"not a text file ({error.reason})"
    except json.JSONDecodeError as error:
        return None, f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
    except RecursionError:
        return None, "invalid JSON: nested too deeply"
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        return None, "not a Jupyter notebook (no 'cells')"
    try:
        notebook = nbformat.reads(json.dumps(raw), as_version=4)
        # Colab writes nbformat 4.0 with cell ids; give every cell a valid id for 4.5.
        notebook.nbformat_minor = max(notebook.nbformat_minor, 5)
        _, notebook = nbformat.validator.normalize(notebook)
        notebook = nbformat.from_dict(notebook)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises several kinds
        return None, f"not a valid notebook: {type(error).__name__}: {str(error).splitlines()[0]}"
    return notebook, None


def _restore_locked_cells(notebook, release: Path, source: Optional[Path]) -> list[str]:
    """Give locked cells the release's type and metadata, strip claimed grade ids the release does not
    have (or has once); the problems to report, deleted and edited locked cells included."""
    import nbformat

    problems = []
    release_cells = [c for c in nbformat.read(release, as_version=4).cells
                     if c.metadata.get("nbgrader", {}).get("grade_id")]
    original = {c.metadata["nbgrader"]["grade_id"]: c for c in release_cells}
    # The instructor's version (with hidden tests) counts as unedited too.
    instructor = {} if source is None else {
        c.metadata["nbgrader"]["grade_id"]: c.source.strip() for c in nbformat.read(source, as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("grade_id")}
    present = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if meta is not None and (grade_id not in original or grade_id in present):
            cell.metadata.pop("nbgrader")
            problems.append(f"a cell claimed the grade id {grade_id!r}, which "
                            + ("appears twice" if grade_id in present else "the assignment does not have")
                            + "; graded as an ordinary cell")
            continue
        if grade_id:
            present[grade_id] = cell
            release_cell = original[grade_id]
            if release_cell.metadata["nbgrader"].get("locked"):
                cell.cell_type = release_cell.cell_type
                cell.metadata["nbgrader"] = dict(release_cell.metadata["nbgrader"])
                if cell.cell_type == "code":
                    cell.setdefault("outputs", [])
                    cell.setdefault("execution_count", None)
                else:
                    cell.pop("outputs", None)
                    cell.pop("execution_count", None)
    for grade_id, cell in original.items():
        meta = cell.metadata["nbgrader"]
        kind = "test cell" if meta.get("grade") and not meta.get("solution") else (
            "answer cell" if meta.get("solution") else "read-only cell")
        if grade_id not in present:
            what = "put back from the original and graded" if kind != "answer cell" else "its tests fail"
            problems.append(f"{kind} {grade_id!r} was deleted ({what})")
        elif meta.get("locked") and present[grade_id].source.strip() not in (cell.source.strip(), instructor.get(grade_id)):
            problems.append(f"{kind} {grade_id!r} was edited (the original is graded)")
    return problems
