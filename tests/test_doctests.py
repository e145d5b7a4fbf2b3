"""The examples in docstrings (`>>> ...`) of dsconv_lib and dsconv_grader run, and show what they say.

Every module of both packages is searched, so a new example is run without being listed here.
A module that cannot be imported on this machine (the Triton kernel needs Triton) is skipped,
and said so.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("dsconv_lib", "dsconv_grader")
OPTIONAL = {"triton"}  # a module that needs one of these is skipped where it is missing


def module_names() -> list[str]:
    names = []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        names.append(package_name)
        names += [info.name for info in pkgutil.walk_packages(package.__path__, package_name + ".")
                  if not info.name.endswith(".__main__")]  # a command line: importing it runs it
    return names


def examples(module_name: str) -> list[doctest.DocTest]:
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        if error.name in OPTIONAL:
            pytest.skip(f"{module_name} needs {error.name}")
        raise
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, module_name)
    return [test for test in tests if test.examples]


MODULES_WITH_EXAMPLES = ("dsconv_lib.shapes", "dsconv_lib.presubmit", "dsconv_grader.intake.names")


@pytest.mark.parametrize("module_name", module_names())
def test_docstring_examples_run(module_name: str):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in examples(module_name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples of {module_name} failed (output above)"


@pytest.mark.parametrize("module_name", MODULES_WITH_EXAMPLES)
def test_the_modules_known_to_have_examples_are_found(module_name: str):
    assert module_name in module_names()
    assert examples(module_name), f"no docstring examples found in {module_name}: the search above would miss them"
