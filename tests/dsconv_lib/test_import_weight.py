"""What importing each part of dsconv_lib must not drag in.

The cost model, the numpy reference and the shape rules are used where torch is absent or slow
to import (a test cell's first line, the static book's explorers); the GPU package must not
import Triton until the fused kernel runs; a test cell imports its exercise's mistake catalogue.
Each case imports in a fresh interpreter and lists which of the heavy modules came with it.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

NO_TORCH = ("torch",)
LIGHT = ("torch", "matplotlib", "ipywidgets")
MISTAKE_CATALOGUES = tuple(f"dsconv_lib.mistakes.ex{n:02d}" for n in range(1, 12))

CASES = {
    "the numpy core": (("dsconv_lib", "dsconv_lib.shapes", "dsconv_lib.reference", "dsconv_lib.cost",
                        "dsconv_lib.factorize", "dsconv_lib.tables"), NO_TORCH),
    "the book's views": (("dsconv_lib.widgets", "dsconv_lib.explorer_data", "dsconv_lib.questions"), LIGHT),
    "the mistake catalogues": (("dsconv_lib.mistakes", *MISTAKE_CATALOGUES), LIGHT),
    "the GPU package and the blocks": (("dsconv_lib.gpu", "dsconv_lib.nn"), ("triton",)),
}


def imported_with(modules: tuple[str, ...], heavy: tuple[str, ...]) -> list[str]:
    code = (f"import importlib, sys\nfor name in {modules!r}:\n    importlib.import_module(name)\n"
            f"print(' '.join(m for m in {heavy!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.parametrize("what", CASES)
def test_importing_does_not_bring_heavy_modules(what):
    modules, heavy = CASES[what]
    assert imported_with(modules, heavy) == [], f"importing {what} ({', '.join(modules)}) imports {heavy}"


def test_the_check_can_fail():
    assert imported_with(("dsconv_lib.nn",), NO_TORCH) == ["torch"]
