"""Checks on the repository itself: the book's notebooks, _toc.yml and _config.yml.

- Book notebooks are committed with their outputs stripped (the book executes
  them at build time).
- Each book notebook starts with the "Colab cell", which installs dsconv_lib
  from the repository named in _config.yml (the one place that names it).
- _toc.yml and book/ agree: every file the toc names exists, and every
  notebook in book/ is in the toc.
- pyproject.toml packages all of dsconv_lib, subpackages included (an editable
  install hides a missing subpackage; `pip install git+...` in Colab does not).
"""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path

import pytest
import yaml
from notebooks import code_cells, load

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = None

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
CONFIG = ROOT / "_config.yml"
TOC = ROOT / "_toc.yml"

# Suffixes Jupyter Book accepts for a page named without one in _toc.yml.
PAGE_SUFFIXES = (".ipynb", ".md", ".rst")

# git+ URLs in pip commands: git+https://host/org/repo[.git][@ref][#egg=...]
GIT_URL = re.compile(r"git\+(https?://[^\s\"'@#]+)")

STRIP_HINT = (
    "strip it with: .venv/bin/jupyter nbconvert --clear-output --inplace {path}"
)


def book_notebooks() -> list[Path]:
    return sorted(p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def source(cell: dict) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def repository_url() -> str:
    with CONFIG.open(encoding="utf-8") as f:
        config = yaml.safe_load(f)
    url = (config.get("repository") or {}).get("url")
    assert isinstance(url, str) and url.startswith("https://"), (
        f"_config.yml must set repository.url to the repository's https URL, got {url!r}"
    )
    return normalise_url(url)


def normalise_url(url: str) -> str:
    url = url.rstrip("/")
    return url[: -len(".git")] if url.endswith(".git") else url


def is_install_cell(cell: dict) -> bool:
    return "pip install" in source(cell)


def toc_entries(node: object) -> tuple[list[str], list[str]]:
    """The `root`/`file` entries and the `glob` entries anywhere in the parsed toc."""
    files: list[str] = []
    globs: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("root", "file") and isinstance(value, str):
                files.append(value)
            elif key == "glob" and isinstance(value, str):
                globs.append(value)
            else:
                sub_files, sub_globs = toc_entries(value)
                files += sub_files
                globs += sub_globs
    elif isinstance(node, list):
        for item in node:
            sub_files, sub_globs = toc_entries(item)
            files += sub_files
            globs += sub_globs
    return files, globs


def load_toc() -> dict:
    with TOC.open(encoding="utf-8") as f:
        toc = yaml.safe_load(f)
    assert isinstance(toc, dict), "_toc.yml must be a mapping"
    return toc


def toc_page_path(entry: str) -> list[Path]:
    """The existing files that a toc entry (a path relative to the root, suffix optional) names."""
    path = ROOT / entry
    if path.suffix in PAGE_SUFFIXES:
        return [path] if path.is_file() else []
    return [candidate for suffix in PAGE_SUFFIXES if (candidate := path.with_name(path.name + suffix)).is_file()]


NOTEBOOKS = book_notebooks()
NOTEBOOK_IDS = [rel(p) for p in NOTEBOOKS]


def test_book_has_notebooks():
    assert NOTEBOOKS, "book/ holds no notebooks; the book's root page is book/index.ipynb"


# (a) outputs stripped ---------------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_notebook_outputs_are_stripped(path: Path):
    notebook = load(path)
    problems = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {index} has {len(cell['outputs'])} output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {index} has execution_count {cell['execution_count']}")
    if "widgets" in notebook.get("metadata", {}):
        problems.append("the notebook metadata holds saved widget state ('widgets')")
    assert not problems, (
        f"{rel(path)} is committed with outputs: " + "; ".join(problems) + ". " + STRIP_HINT.format(path=rel(path))
    )


# (b) the install ("Colab") cell uses the repository URL from _config.yml ------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_install_cell_uses_configured_repository(path: Path):
    url = repository_url()
    cells = code_cells(load(path))
    install_cells = [cell for cell in cells if is_install_cell(cell)]
    assert len(install_cells) == 1, (
        f"{rel(path)} needs exactly one install cell (a code cell with `%pip install`), found {len(install_cells)}"
    )
    cell = install_cells[0]
    assert cell is cells[0], f"{rel(path)}: the install cell must be the first code cell, so later cells can import dsconv_lib"
    text = source(cell)
    assert "import dsconv_lib" in text and "except ImportError" in text, (
        f"{rel(path)}: the install cell must install only when `import dsconv_lib` fails "
        "(try: import dsconv_lib / except ImportError: %pip install ...), so it does nothing where the library is installed"
    )
    found = [normalise_url(u) for u in GIT_URL.findall(text)]
    assert found, f"{rel(path)}: the install cell must install \"git+{url}\", found:\n{text}"
    wrong = [u for u in found if u != url]
    assert not wrong, f"{rel(path)}: the install cell installs from {wrong}, but _config.yml's repository.url is {url}"


def test_readme_install_commands_use_configured_repository():
    url = repository_url()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = [normalise_url(u) for u in GIT_URL.findall(readme)]
    assert found, f"README.md should show how to install the library: pip install \"git+{url}\""
    wrong = [u for u in found if u != url]
    assert not wrong, f"README.md installs from {wrong}, but _config.yml's repository.url is {url}"


# (c) _toc.yml and book/ agree -------------------------------------------------


def test_toc_names_existing_files():
    toc = load_toc()
    assert toc.get("format") == "jb-book", "_toc.yml must have `format: jb-book` (Jupyter Book 1)"
    assert toc.get("root"), "_toc.yml must name the root page (`root: book/index`)"
    files, _ = toc_entries(toc)
    missing = [entry for entry in files if not toc_page_path(entry)]
    assert not missing, f"_toc.yml names files that do not exist: {missing}"
    ambiguous = {entry: [rel(p) for p in toc_page_path(entry)] for entry in files if len(toc_page_path(entry)) > 1}
    assert not ambiguous, f"_toc.yml entries that match more than one file: {ambiguous}"
    duplicated = sorted({entry for entry in files if files.count(entry) > 1})
    assert not duplicated, f"_toc.yml lists these files more than once: {duplicated}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NOTEBOOK_IDS)
def test_notebook_is_in_toc(path: Path):
    files, globs = toc_entries(load_toc())
    listed = {p.resolve() for entry in files for p in toc_page_path(entry)}
    name = rel(path.with_suffix(""))
    in_glob = any(fnmatch.fnmatch(name, pattern) for pattern in globs)
    assert path.resolve() in listed or in_glob, (
        f"{rel(path)} is not in _toc.yml, so the book would not include it; add `- file: {name}`"
    )


# Packaging -----------------------------------------------------------------------


def python_packages(root: Path) -> set[str]:
    """Dotted names of the packages under root, as setuptools finds them (directories with __init__.py)."""
    names = set()
    for directory, subdirs, files in os.walk(root):
        here = Path(directory)
        # Descend only into packages, skipping hidden, cache and build folders.
        subdirs[:] = [
            d for d in subdirs
            if not d.startswith(".") and d not in ("__pycache__", "build", "_build")
            and (here / d / "__init__.py").is_file()
        ]
        if here != root and "__init__.py" in files:
            names.add(".".join(here.relative_to(root).parts))
    return names


@pytest.mark.skipif(tomllib is None, reason="needs tomllib (Python 3.11+)")
def test_package_includes_every_subpackage():
    with (ROOT / "pyproject.toml").open("rb") as f:
        setuptools_config = tomllib.load(f).get("tool", {}).get("setuptools", {})
    packages = setuptools_config.get("packages", {"find": {}})  # absent: automatic discovery
    if isinstance(packages, list):
        packaged = set(packages)
    else:
        find = packages.get("find", {})
        # What setuptools' find_packages does: match dotted names against the patterns.
        include, exclude = find.get("include", ["*"]), find.get("exclude", [])
        packaged = {
            name
            for name in python_packages(ROOT)
            if any(fnmatch.fnmatchcase(name, pat) for pat in include)
            and not any(fnmatch.fnmatchcase(name, pat) for pat in exclude)
        }
    on_disk = {name for name in python_packages(ROOT) if name.split(".")[0] == "dsconv_lib"}
    missing = sorted(on_disk - packaged)
    assert not missing, (
        f"pyproject.toml does not package {missing}: a non-editable install "
        "(pip install git+..., as in Colab) would lack them"
    )
    extra = sorted(p for p in packaged if p.split(".")[0] != "dsconv_lib")
    assert not extra, f"pyproject.toml packages more than dsconv_lib: {extra}"
