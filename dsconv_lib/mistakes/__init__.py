"""Known mistakes, one module per exercise: what a failing visible test compares an answer with.

Each module (`ex01`, `ex04`, ...) sits next to its exercise's checks and holds, in one place:

- `NAMED`: every argument and edge case the exercise's text names, as `EdgeCase`s; the visible
  test cases cover each of them (tests/dsconv_lib/test_mistakes.py checks it on the released notebook);
- `MISTAKES`: {function name: the `Mistake`s students really make in it}, each a wrong variant
  computed from the same arguments as the test case. `dsconv_lib.checks.check_function_cases(...,
  mistakes=MISTAKES[name])` compares a failing answer with them and, where one matches every failed
  case, ends its message with that mistake's hint: one sentence that names it and points to the
  section of the book that explains it.

Only failed cases are compared, so a correct answer never sees a hint. Importing this package
imports numpy and the library's NumPy modules only (never torch).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Callable

__all__ = ["EdgeCase", "Mistake", "chapter_title"]

# The book's pages, by file stem, as a hint names them.
_CHAPTERS = {
    "01_standard_convolution": "chapter 1, Standard convolution",
    "02_counting_cost": "chapter 2, Counting cost",
    "03_spatially_separable": "chapter 3, Spatially separable convolution",
    "04_depthwise_grouped": "chapter 4, Depthwise and grouped convolution",
    "05_pointwise": "chapter 5, Pointwise convolution",
    "06_depthwise_separable": "chapter 6, Depthwise separable convolution",
    "07_mobilenet": "chapter 7, MobileNet",
    "08_squeeze_excitation": "chapter 8, Squeeze-and-Excitation",
    "09_inception_xception": "chapter 9, Inception and Xception",
    "10_flops_vs_wallclock": "chapter 10, From FLOPs to wall-clock time",
    "11_beyond_images": "chapter 11, Beyond images",
}


def chapter_title(chapter: str) -> str:
    """'chapter 1, Standard convolution' for the page stem '01_standard_convolution'."""
    return _CHAPTERS[chapter]


@dataclasses.dataclass(frozen=True)
class Mistake:
    """A known wrong way to compute a function's result.

    key: a short name for it ("flipped kernel"), unique within its function.
    what: the mistake as the hint names it ("the kernel flipped, i.e. a true convolution").
    why: what is right instead, in a few words ("PyTorch's conv2d is a cross-correlation").
    chapter, section: the book page (file stem in book/) and the heading of its section that explains it.
    wrong: the mistaken computation, called with the test case's arguments (same shapes and types).
    """

    key: str
    what: str
    why: str
    chapter: str
    section: str
    wrong: Callable[..., Any]

    @property
    def hint(self) -> str:
        """One sentence: the mistake, what is right instead, and where the book explains it."""
        return (f"Hint: your results are what {self.what} gives; {self.why} "
                f"(see {chapter_title(self.chapter)}, section \"{self.section}\").")


@dataclasses.dataclass(frozen=True)
class EdgeCase:
    """An argument or edge case that an exercise's text names, for one of its functions.

    function: the student's function; text: how the exercise names it ("dilation other than 1");
    applies: True for a call's arguments (by parameter name, defaults filled in) that exercise it.
    """

    function: str
    text: str
    applies: Callable[[Mapping[str, Any]], bool]
