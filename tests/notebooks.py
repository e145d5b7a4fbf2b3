"""Reading notebook files in tests: the cells, their source, their nbgrader metadata.

Works on the JSON as loaded (dicts, `load`) and on nbformat's NotebookNode alike.
Not a test module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional


def load(path: Path) -> dict:
    """The notebook at `path` as plain JSON (dicts and lists)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def source(cell: Any) -> str:
    """The cell's source as one string (a notebook file may store it as a list of lines)."""
    text = cell["source"]
    return "".join(text) if isinstance(text, list) else text


def code_cells(notebook: Any) -> list:
    """The notebook's code cells, in order."""
    return [cell for cell in notebook.get("cells", []) if cell.get("cell_type") == "code"]


def nbgrader(cell: Any) -> dict:
    """The cell's nbgrader metadata ({} for a cell nbgrader does not manage)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_id(cell: Any) -> Optional[str]:
    return nbgrader(cell).get("grade_id")


def answer_cells(notebook: Any) -> list:
    """The cells a student writes in (nbgrader's solution cells)."""
    return [cell for cell in notebook.get("cells", []) if nbgrader(cell).get("solution")]


def graded_cells(notebook: Any) -> list:
    """The cells that carry points (nbgrader's grade cells: autograded tests, manually graded answers)."""
    return [cell for cell in notebook.get("cells", []) if nbgrader(cell).get("grade")]
