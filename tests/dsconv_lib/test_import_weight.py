"""What importing each part of dsconv_lib must not drag in.

The cost model, the numpy reference and the shape rules are used where torch is absent or slow
to import (a test cell's first line, the static book's explorers); the GPU package must not
import Triton until the fused kernel runs (tests/dsconv_lib/gpu/test_gpu.py checks that where Triton is
installed); a test cell imports its exercise's mistake catalogue.
Each case imports in a fresh interpreter and lists which of the heavy modules came with it.
"""

from __future__ import annotations

import pytest
from fresh_interpreter import imported_with

NO_TORCH = ("torch",)
LIGHT = ("torch", "matplotlib", "ipywidgets")
MISTAKE_CATALOGUES = tuple(f"dsconv_lib.mistakes.ex{n:02d}" for n in range(1, 12))

CASES = {
    "the numpy core": (("dsconv_lib", "dsconv_lib.shapes", "dsconv_lib.reference", "dsconv_lib.cost",
                        "dsconv_lib.factorize", "dsconv_lib.tables"), NO_TORCH),
    "the book's views": (("dsconv_lib.widgets", "dsconv_lib.explorer_data", "dsconv_lib.questions"), LIGHT),
    "the mistake catalogues": (("dsconv_lib.mistakes", *MISTAKE_CATALOGUES), LIGHT),
}


@pytest.mark.parametrize("what", CASES)
def test_importing_does_not_bring_heavy_modules(what):
    modules, heavy = CASES[what]
    assert imported_with(modules, heavy) == [], f"importing {what} ({', '.join(modules)}) imports {heavy}"


def test_the_check_can_fail():
    assert imported_with(("dsconv_lib.nn",), NO_TORCH) == ["torch"]
