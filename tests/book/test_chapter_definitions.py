"""The chapters define only what is theirs: everything reusable is imported from dsconv_lib.

Every function and class a chapter's code defines (at any depth) must be listed below with the
reason it belongs to the chapter: a plot of that page, a toy network it trains, a step of a
derivation the page then checks against the library. A new definition fails this test until it
is either moved into the library or listed here with its reason; a listed name that is gone
fails too, so the list stays the chapters' own. And no chapter may define a name the library
exports: that is a copy of something the library has.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from notebooks import code_cells, load, source

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))

# chapter file stem -> {name defined in it: why it belongs to the chapter, not the library}
CHAPTER_ONLY: dict[str, dict[str, str]] = {
}


def definitions(notebook: Path) -> set[str]:
    """The names of the functions and classes the notebook's code cells define, at any depth."""
    to_python = TransformerManager().transform_cell  # %pip and !commands as IPython runs them
    names = set()
    for cell in code_cells(load(notebook)):
        tree = ast.parse(to_python(source(cell)))
        names |= {node.name for node in ast.walk(tree)
                  if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    return names - {"__init__", "forward", "__call__", "__repr__"}  # methods of a listed class


def library_names() -> set[str]:
    """Every public name a module of dsconv_lib defines (not what it merely imports)."""
    import dsconv_lib

    names = set()
    for info in pkgutil.walk_packages(dsconv_lib.__path__, "dsconv_lib."):
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # the Triton kernel, where Triton is missing
            continue
        names |= {name for name, value in vars(module).items()
                  if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__}
    return names


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_a_chapter_defines_only_what_is_listed_as_its_own(chapter: Path):
    defined = definitions(chapter)
    listed = set(CHAPTER_ONLY.get(chapter.stem, {}))
    assert not defined - listed, (
        f"{chapter.name} defines {sorted(defined - listed)}: import it from dsconv_lib if the library has it "
        f"(or should), or list it in CHAPTER_ONLY of {Path(__file__).name} with the reason it is the chapter's own")
    assert not listed - defined, f"CHAPTER_ONLY lists {sorted(listed - defined)} for {chapter.name}, which no longer defines them"


def test_no_chapter_defines_a_name_the_library_exports():
    exported = library_names()
    copies = {f"{stem}: {name}" for stem, names in CHAPTER_ONLY.items() for name in names if name in exported}
    assert not copies, f"chapters define names dsconv_lib exports (import those instead): {sorted(copies)}"


def test_every_listed_chapter_exists_and_gives_reasons():
    stems = {path.stem for path in CHAPTERS}
    assert set(CHAPTER_ONLY) <= stems, sorted(set(CHAPTER_ONLY) - stems)
    assert all(reason.strip() for names in CHAPTER_ONLY.values() for reason in names.values())
