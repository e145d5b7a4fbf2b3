"""What the exercises' test cells call: comparisons whose failures a student can act on.

Every check raises `AssertionError` (what nbgrader counts as a failed test) with
a message that names the quantity, the case, the shape, and expected against got:

    check_array("y", got, expected)              arrays: type, shape, dtype kind, values
    check_close("answer_q1", got, 4)             scalars (exact for ints, tolerant for floats)
    check_choice("answer_q2", got, "b", "abcd")  one option out of several
    check_function_cases(fn, cases, reference)   named cases, all run, every failure reported
    known_mistake(mistakes, returned)            the known mistake (dsconv_lib.mistakes) an answer's results match
    with forbid(): ...                           library convolutions raise while a student's code runs
    forbid_log                                   what `forbid` saw in this process (read by dsconv_lib.presubmit)

The module imports numpy only; it never imports torch (a test cell runs in well
under a second). `forbid` touches torch only when it is already imported, and
otherwise refuses to import it for as long as the block runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fractions
import functools
import importlib
import importlib.abc
import numbers
import re
import sys
import types
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, Union

import numpy as np

__all__ = [
    "ALL_OF_TORCH",
    "ForbiddenCallError",
    "check_array",
    "check_choice",
    "check_close",
    "check_function_cases",
    "describe",
    "forbid",
    "forbid_log",
    "known_mistake",
    "active_forbid_targets",
    "ForbiddenCall",
    "ForbidLog",
]


# ----------------------------------------------------------------------------- messages


def describe(value: Any) -> str:
    """A short description of a value for a message: arrays by shape and dtype, the rest by repr."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}, dtype {value.dtype}"
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"{type(value).__module__}.{type(value).__name__} of shape {tuple(value.shape)}, dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _format_number(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return repr(value.item() if isinstance(value, np.generic) else value)


# ----------------------------------------------------------------------------- arrays


# Only these types are compared, never a subclass: an answer's own class could override the operators,
# `astype` or numpy's hooks (__array_ufunc__, __torch_function__, __float__, __eq__) that a comparison uses.
_PYTHON_NUMBERS = (int, float)


def _is_numpy_scalar(value: Any) -> bool:
    """True for an exact numpy scalar type (np.float32, np.int64, ...), not a subclass of one."""
    return isinstance(value, np.generic) and type(value) is np.dtype(type(value)).type


def _is_torch_tensor(value: Any) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and type(value) in (torch.Tensor, torch.nn.Parameter)


def _to_numpy(name: str, got: Any) -> np.ndarray:
    """`got` as a numpy array, or an AssertionError saying what it is instead.

    Accepts exactly: numpy arrays and scalars, torch tensors, lists and tuples, Python ints and floats
    (their subclasses are refused: they could change what the comparison computes).
    """
    if got is None:
        raise AssertionError(f"{name}: got None; did the function forget to `return` its result?")
    if type(got) is np.ndarray:
        return got
    if _is_torch_tensor(got):
        return got.detach().cpu().numpy()
    if type(got) in (list, tuple) or type(got) in _PYTHON_NUMBERS or type(got) is bool or _is_numpy_scalar(got):
        return np.array(got, subok=False)
    if isinstance(got, (np.ndarray, np.generic, list, tuple, numbers.Number)):
        raise AssertionError(f"{name}: expected a numpy array, got an object of its own class "
                             f"{type(got).__name__} (a subclass of {type(got).__mro__[1].__name__}); "
                             "return a plain numpy array")
    raise AssertionError(f"{name}: expected a numpy array, got {type(got).__name__} ({describe(got)})")


def check_array(
    name: str,
    got: Any,
    expected: Any,
    atol: float = 1e-6,
    rtol: float = 1e-5,
) -> None:
    """Assert that `got` is an array like `expected`: same shape, numeric, values within tolerance.

    Any float dtype passes (float32 or float64): values are compared with
    |got - expected| <= atol + rtol * |expected|, the test of np.allclose. The
    message gives the first index that differs, expected and got there, the
    largest error and how many values differ.
    """
    expected = np.asarray(expected)
    array = _to_numpy(name, got)
    if array.shape != expected.shape:
        raise AssertionError(
            f"{name}: wrong shape: expected {expected.shape}, got {array.shape}"
            + _shape_hint(array.shape, expected.shape)
        )
    if array.dtype.kind not in "biuf":
        raise AssertionError(f"{name}: expected real numbers, got dtype {array.dtype}")
    if expected.dtype.kind == "f" and array.dtype.kind in "biu" and not np.array_equal(array, expected):
        raise AssertionError(
            f"{name}: got integers (dtype {array.dtype}) where real numbers are expected; "
            "an integer array rounds every value it stores (create it with dtype=float)"
        )
    got_f = array.astype(np.float64)
    exp_f = expected.astype(np.float64)
    if np.isnan(got_f).any() and not np.isnan(exp_f).any():
        index = tuple(int(i) for i in np.argwhere(np.isnan(got_f))[0])
        raise AssertionError(f"{name}: got NaN at index {index} (expected {_format_number(exp_f[index])})")
    bad = ~np.isclose(got_f, exp_f, atol=atol, rtol=rtol, equal_nan=True)
    if bad.any() and expected.shape == ():
        raise AssertionError(f"{name}: expected {_format_number(exp_f[()])}, got {_format_number(got_f[()])} "
                             f"(tolerance atol={atol:g}, rtol={rtol:g})")
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        error = np.abs(got_f - exp_f)
        raise AssertionError(
            f"{name}: {int(bad.sum())} of {bad.size} values differ (shape {expected.shape}); "
            f"first at index {index}: expected {_format_number(exp_f[index])}, got {_format_number(got_f[index])}; "
            f"max |got - expected| = {np.nanmax(error):.3g} (tolerance atol={atol:g}, rtol={rtol:g})"
        )


def _shape_hint(got: tuple, expected: tuple) -> str:
    if sorted(got) == sorted(expected):
        return " (the same sizes in another order: are two axes swapped?)"
    if len(got) == len(expected) and len(got) >= 2 and got[:-2] == expected[:-2]:
        diffs = {g - e for g, e in zip(got[-2:], expected[-2:])}
        if diffs <= {-1, 0, 1} and diffs != {0}:
            return (" (off by one in the spatial size: check the output-size formula, and that the padding adds "
                    "zeros on both sides of each spatial axis)")
    return ""


# ----------------------------------------------------------------------------- scalars


def check_close(name: str, got: Any, expected: Any, atol: float = 1e-9, rtol: float = 1e-6) -> None:
    """Assert that the number `got` equals `expected`: exactly for an int, within tolerance for a float.

    An int expected accepts any integral number (3, 3.0, np.int64(3)); a float
    expected accepts any number within atol + rtol * |expected|.
    """
    if got is None:
        raise AssertionError(f"{name}: got None; replace the None (or the `raise NotImplementedError()`) with your answer")
    if type(got) is np.ndarray and got.shape == ():
        got = got.item()
    if _is_numpy_scalar(got):
        got = got.item()  # a Python int, float, bool or complex
    if type(got) not in (*_PYTHON_NUMBERS, fractions.Fraction):
        # bool, complex, strings, and subclasses of int or float (which could redefine float() or ==)
        kind = ("an object of its own class " if isinstance(got, (*_PYTHON_NUMBERS, fractions.Fraction, np.generic))
                and type(got) is not bool else "")
        raise AssertionError(f"{name}: expected a number, got {kind}{type(got).__name__} ({describe(got)})")
    if isinstance(expected, numbers.Integral) and not isinstance(expected, bool):
        if not np.isfinite(float(got)) or float(got) != int(got):
            raise AssertionError(f"{name}: expected the whole number {expected}, got {_format_number(got)}")
        if int(got) != int(expected):
            raise AssertionError(f"{name}: expected {expected}, got {_format_number(got)}")
        return
    if not abs(float(got) - float(expected)) <= atol + rtol * abs(float(expected)):
        raise AssertionError(f"{name}: expected {_format_number(expected)}, got {_format_number(got)}")


def check_choice(name: str, got: Any, expected: Any, options: Iterable[Any]) -> None:
    """Assert that `got` is one of `options` (strings compare case- and space-insensitively) and is `expected`."""
    options = list(options)

    def norm(value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    if got is None:
        raise AssertionError(f"{name}: got None; set it to one of {options!r}")
    if type(got) not in {type(o) for o in options}:  # exactly an option's type: a subclass could redefine ==
        raise AssertionError(f"{name}: expected one of {options!r}, got {type(got).__name__} ({describe(got)})")
    if norm(got) not in [norm(o) for o in options]:
        raise AssertionError(f"{name}: {got!r} is not one of the options {options!r}")
    if norm(got) != norm(expected):
        raise AssertionError(f"{name}: {got!r} is not the right option")


# ----------------------------------------------------------------------------- functions

Case = Union[Sequence[Any], Mapping[str, Any]]


def _call(fn: Callable, case: Case) -> Any:
    if isinstance(case, Mapping):
        return fn(**case)
    return fn(*case)


def _copy(case: Case) -> Case:
    """A copy of the case's arrays, so that a function that writes into its input changes nothing else."""
    def copy(value: Any) -> Any:
        return value.copy() if isinstance(value, np.ndarray) else value

    if isinstance(case, Mapping):
        return {key: copy(value) for key, value in case.items()}
    return tuple(copy(value) for value in case)


def _case_arguments(case: Case) -> str:
    values = case.items() if isinstance(case, Mapping) else ((None, v) for v in case)
    parts = []
    for key, value in values:
        text = f"shape {value.shape}" if isinstance(value, np.ndarray) else repr(value)
        parts.append(text if key is None else f"{key}={text}")
    return ", ".join(parts)


def check_function_cases(
    fn: Callable,
    cases: Mapping[str, Case],
    reference: Callable,
    *,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    forbidden: Optional[Sequence[Any]] = None,
    name: Optional[str] = None,
    mistakes: Sequence[Any] = (),
) -> None:
    """Run `fn` on every named case and compare with `reference` on the same arguments.

    cases: {case name: positional arguments (a tuple) or keyword arguments (a dict)}.
    Every case runs; the AssertionError lists each failing case with its
    arguments and what went wrong. `forbidden`: passed to `forbid` while `fn`
    runs (None: nothing is forbidden; `forbid.CONVOLUTIONS` for the library's and
    torch's convolutions). Array results go through `check_array`, numbers
    through `check_close`. `mistakes`: known wrong ways to compute the same thing
    (`dsconv_lib.mistakes.Mistake`); when a case fails and what `fn` returned
    matches one of them in every case, the message ends with its hint (see `known_mistake`).
    """
    label = name or getattr(fn, "__name__", "the function")
    failures = []
    returned: list[tuple[Case, Any]] = []  # every case in which the function returned, passed or failed
    outcomes = _outcomes(fn, [_copy(case) for case in cases.values()], forbidden)
    for (case_name, case), (got, raised) in zip(cases.items(), outcomes):
        expected = _call(reference, _copy(case))
        prefix = f"{label}({_case_arguments(case)})"
        if isinstance(raised, ForbiddenCallError):
            raise raised
        if isinstance(raised, NotImplementedError):
            raise AssertionError(f"{label}: not implemented yet (it raises NotImplementedError)") from None
        if raised is not None:  # the student's code raised: say where, keep going
            failures.append(f"case {case_name!r}: {prefix} raised {type(raised).__name__}: {raised}")
            continue
        returned.append((case, got))
        try:
            if isinstance(expected, np.ndarray):
                check_array(prefix, got, expected, atol=atol, rtol=rtol)
            else:
                check_close(prefix, got, expected)
        except AssertionError as error:
            failures.append(f"case {case_name!r}: {error}")
    if failures:
        hint = known_mistake(mistakes, returned, atol=atol, rtol=rtol)
        raise AssertionError(
            f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(f"  - {f}" for f in failures)
            + (f"\n{hint}" if hint else "")
        )


def _matches(got: Any, wrong: Any, atol: float, rtol: float) -> bool:
    """True when `got` passes as `wrong` would: the same checks as a test's, against the wrong value."""
    if isinstance(wrong, (bool, np.bool_)):  # exact types only, as the checks take them: no class of the answer's own
        return type(got) in (bool, np.bool_) and bool(got) == bool(wrong)
    if isinstance(wrong, str):  # an option, as check_choice compares them
        return type(got) is str and got.strip().lower() == wrong.strip().lower()
    try:
        if isinstance(wrong, np.ndarray):
            check_array("got", got, wrong, atol=atol, rtol=rtol)
        else:
            check_close("got", got, wrong, atol=max(atol, 1e-9), rtol=max(rtol, 1e-6))
    except AssertionError:
        return False
    return True


def known_mistake(mistakes: Sequence[Any], returned: Sequence[tuple[Case, Any]], *,
                  atol: float = 1e-6, rtol: float = 1e-5) -> Optional[str]:
    """The hint of the first of `mistakes` that gives what the student's function returned in every case, or None.

    mistakes: objects with `wrong(*case)` (what the mistake computes) and `hint` (one sentence),
    e.g. `dsconv_lib.mistakes.Mistake`. returned: (the case's arguments, what the function returned) for
    every case in which it returned, those it passed included: a mistake must agree with the passed cases
    too, which tells apart mistakes that fail the same cases. Call it only when a case failed: a correct
    answer never gets a hint.
    """
    for mistake in mistakes:
        try:
            if returned and all(_matches(got, _call(mistake.wrong, _copy(case)), atol, rtol) for case, got in returned):
                return mistake.hint
        except Exception:  # noqa: BLE001 - a mistake that cannot be computed for a case does not match it
            continue
    return None


def _outcomes(fn: Callable, cases: list[Case], forbidden: Optional[Sequence[Any]]) -> list[tuple[Any, Any]]:
    """(result, None) or (None, the exception) of `fn` on each case, in order, each call under `forbid`.

    A function whose type offers `call_each(fn, calls, forbidden)` gets all the calls at once: the grader's
    stand-in for a student's function does, so that the cases cross to the student's process together.
    """
    calls = [((), dict(case)) if isinstance(case, Mapping) else (tuple(case), {}) for case in cases]
    call_each = getattr(type(fn), "call_each", None)
    if call_each is not None:
        return call_each(fn, calls, None if forbidden is None else (tuple(forbidden) or CONVOLUTIONS))
    outcomes = []
    for args, kwargs in calls:
        try:
            with forbid(*forbidden) if forbidden is not None else contextlib.nullcontext():
                outcomes.append((fn(*args, **kwargs), None))
        except Exception as error:  # noqa: BLE001 - reported per case by the caller
            outcomes.append((None, error))
    return outcomes


# ----------------------------------------------------------------------------- forbid


class ForbiddenCallError(RuntimeError):
    """A library implementation was called where the exercise asks you to write your own."""


# Dotted names: the library's and torch's convolutions. Entries whose module is
# not imported are left alone; torch, if not imported, cannot be imported in the block.
CONVOLUTIONS = (
    "dsconv_lib.reference",  # every function of the package and its submodules
    "torch",
    "scipy.signal",  # its convolutions and correlations (convolve2d, fftconvolve, oaconvolve, ...)
    "scipy.ndimage",
)
# A target that forbids every torch function (not only its convolutions): for parts to be written in NumPy alone.
ALL_OF_TORCH = "torch (any function)"
# torch functions that compute a convolution (matched by name under a TorchFunctionMode).
_TORCH_CONVOLUTIONS = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                       "conv_transpose3d", "convolution", "_convolution", "unfold", "conv_tbc")


@dataclasses.dataclass(frozen=True)
class ForbiddenCall:
    """One `ForbiddenCallError` that `forbid` raised: what was called, and from which of the notebook's functions.

    target: "dsconv_lib.reference.conv2d", "torch.nn.functional.conv2d", "import torch", ...
    callers: the names of the notebook's own functions (those defined in `__main__`) that were running,
    outermost first: ("conv2d", "my_helper") when the student's conv2d called a helper that called it.
    """

    target: str
    callers: tuple[str, ...] = ()
    caller_codes: tuple[types.CodeType, ...] = dataclasses.field(default=(), repr=False, compare=False)


class ForbidLog:
    """What `forbid` saw in this process: how many blocks it ran, and the errors it raised (the latest MAX_CALLS).

    Only read, to tell a student what the grader would flag (`dsconv_lib.presubmit`); never a verdict.
    Changed in place only: when grading, this module's attributes cannot be reassigned.
    """

    MAX_CALLS = 200

    def __init__(self) -> None:
        self.blocks = 0
        self.calls: list[ForbiddenCall] = []

    def count_block(self) -> None:
        try:
            self.blocks += 1
        except Exception:  # noqa: BLE001 - a log changed by the notebook's own code: forbid goes on regardless
            pass

    def record(self, call: ForbiddenCall) -> None:
        self.calls.append(call)
        del self.calls[:-self.MAX_CALLS]

    def clear(self) -> None:
        self.blocks = 0
        self.calls.clear()


forbid_log = ForbidLog()


def _notebook_callers(frame: Optional[types.FrameType]) -> tuple[tuple[str, ...], tuple[types.CodeType, ...]]:
    """The functions of the notebook (`__main__`) on the stack from `frame` outwards, outermost first."""
    names: list[str] = []
    codes: list[types.CodeType] = []
    depth = 0
    while frame is not None and depth < 200:
        code = frame.f_code
        if frame.f_globals.get("__name__") == "__main__" and not code.co_name.startswith("<"):
            names.append(code.co_name)
            codes.append(code)
        frame, depth = frame.f_back, depth + 1
    return tuple(reversed(names)), tuple(reversed(codes))


def _forbidden_call(what: str, target: Optional[str] = None) -> ForbiddenCallError:
    """The error for a forbidden call of `what` (as the message names it), recorded in `forbid_log`."""
    try:
        get_frame = getattr(sys, "_getframe", None)
        callers, codes = _notebook_callers(get_frame(1) if get_frame else None)
        forbid_log.record(ForbiddenCall(target or what, callers, codes))
    except Exception:  # noqa: BLE001 - the log is a courtesy; the error is what matters
        pass
    return ForbiddenCallError(_message(what))


def _torch_name(name: str) -> str:
    """torch's convolution `name` as a student would call it: torch.nn.functional.conv2d, torch.conv_tbc."""
    functional = getattr(getattr(sys.modules.get("torch"), "nn", None), "functional", None)
    return f"torch.nn.functional.{name}" if hasattr(functional, name) else f"torch.{name}"


def _message(what: str) -> str:
    return (f"implement it yourself: {what} is not allowed here. Write the computation with "
            "numpy (loops, or slicing and np.sum / @); the library's and torch's convolutions are what it is checked against.")


@functools.lru_cache(maxsize=None)
def _raising_code(what: str) -> types.CodeType:
    """The code of a function that raises the forbidden-call error for `what` (compiled once per name: a
    `forbid` block swaps it into every function it disables, on each entry)."""
    source = ("def forbidden(*args, **kwargs):\n"
              f"    raise __import__('dsconv_lib.checks', fromlist=['x'])._forbidden_call({what!r})\n")
    namespace: dict = {}
    exec(compile(source, "<forbidden>", "exec"), namespace)
    return namespace["forbidden"].__code__


class _BlockImport(importlib.abc.MetaPathFinder):
    def __init__(self, top_level: str) -> None:
        self.top_level = top_level

    def find_spec(self, fullname, path=None, target=None):  # noqa: D401 - importlib protocol
        if fullname == self.top_level or fullname.startswith(self.top_level + "."):
            raise _forbidden_call(f"importing {self.top_level}", f"import {self.top_level}")
        return None


class _ForbidOnImport(importlib.abc.MetaPathFinder):
    """A module named by a target, or a submodule of one, imported only inside the block (`from scipy.signal
    import ...`, `import dsconv_lib.reference.fft` in the student's function) has its functions disabled as soon
    as its import ends: nothing is imported ahead just in case (importing torch costs seconds)."""

    def __init__(self, targets: Sequence[str], disable: Callable[[str], None]) -> None:
        self.targets, self.disable = tuple(targets), disable

    def find_spec(self, fullname, path=None, target=None):  # noqa: D401 - importlib protocol
        if not any(fullname == t or fullname.startswith(t + ".") or t.startswith(fullname + ".") for t in self.targets):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec") or isinstance(finder, _ForbidOnImport):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _DisablingLoader(spec.loader, self)
                return spec
        return None


class _DisablingLoader(importlib.abc.Loader):
    def __init__(self, loader, finder: _ForbidOnImport) -> None:
        self.loader, self.finder = loader, finder

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        self.loader.exec_module(module)
        for target in self.finder.targets:
            if module.__name__ == target or module.__name__.startswith(target + ".") \
                    or target.startswith(module.__name__ + "."):
                self.finder.disable(target)

    def __getattr__(self, name: str):
        return getattr(self.loader, name)


@contextlib.contextmanager
def forbid(*targets: Any) -> Iterator[None]:
    """Make library implementations raise `ForbiddenCallError` inside the block.

    targets: functions, or dotted names ("dsconv_lib.reference.conv2d"; a module
    name forbids the functions of the module and of all its submodules, also when
    it is imported only inside the block); none given: `CONVOLUTIONS`. A Python
    function is disabled in place (its code is swapped), so that a reference
    taken earlier (`from dsconv_lib.reference import conv2d`) raises too. "torch"
    forbids its convolutions if torch is imported (by a TorchFunctionMode, which
    also catches nn.Conv2d and aliases), and its import if it is not;
    `ALL_OF_TORCH` forbids every torch function the same way (nn.Linear, mean, sigmoid, ...).
    Everything is restored when the block ends.
    """
    targets = targets or CONVOLUTIONS
    forbid_log.count_block()
    _ACTIVE.append(targets)
    swapped: list[tuple[types.FunctionType, types.CodeType]] = []
    finders: list[importlib.abc.MetaPathFinder] = []
    torch_mode = None

    def disable(target: Any) -> None:
        for name, function in _resolve(target):
            if (isinstance(function, types.FunctionType) and not function.__code__.co_freevars
                    and all(function is not f for f, _ in swapped)):
                swapped.append((function, function.__code__))
                function.__code__ = _raising_code(name)

    try:
        torch_targets = [t for t in targets if isinstance(t, str) and t in ("torch", ALL_OF_TORCH)]
        if torch_targets and "torch" in sys.modules:
            torch_mode = _torch_mode(everything=ALL_OF_TORCH in torch_targets)
            torch_mode.__enter__()
        elif torch_targets:
            finders.append(_BlockImport("torch"))
        for target in targets:
            if not (isinstance(target, str) and target in torch_targets):
                disable(target)
        later = [t for t in targets if isinstance(t, str) and t not in torch_targets]  # their modules imported in the block
        if later:
            finders.append(_ForbidOnImport(later, disable))
        sys.meta_path[:0] = finders
        yield
    finally:
        for finder in finders:
            if finder in sys.meta_path:
                sys.meta_path.remove(finder)
        for function, code in reversed(swapped):
            function.__code__ = code
        if torch_mode is not None:
            torch_mode.__exit__(None, None, None)
        _ACTIVE.pop()


# The targets of every `forbid` block in force, innermost last. When the tests run in a process of their
# own (grading), a call of the student's function sends these along, and the student's process forbids them.
_ACTIVE: list[tuple] = []


def active_forbid_targets() -> Optional[list]:
    """Every target of the `forbid` blocks in force now (None outside any block)."""
    if not _ACTIVE:
        return None
    return [target for targets in _ACTIVE for target in targets]


forbid.CONVOLUTIONS = CONVOLUTIONS  # type: ignore[attr-defined]
forbid.ALL_OF_TORCH = ALL_OF_TORCH  # type: ignore[attr-defined]


def _resolve(target: Any) -> list[tuple[str, Any]]:
    """(name, function) pairs that `target` stands for; nothing for a module that is not imported.

    A module's name stands for every function defined in it and in each of its submodules (derived, so a
    module added to the library is covered without a change here); in `_NAME_FILTERS`' modules, only the
    functions whose names match (SciPy's convolutions, not the rest of scipy.signal).
    """
    if not isinstance(target, str):
        return [(f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', target)}", target)]
    if target in sys.modules:
        pattern = _NAME_FILTERS.get(target)
        found: dict[int, tuple[str, Any]] = {}
        for module_name in sorted(m for m in list(sys.modules) if m == target or m.startswith(target + ".")):
            module = sys.modules[module_name]
            for name, function in list(vars(module).items()):
                if (isinstance(function, types.FunctionType) and function.__module__ == module_name
                        and (pattern is None or pattern.search(name))):
                    found.setdefault(id(function), (f"{module_name}.{name}", function))
        return list(found.values())
    module_name, _, attribute = target.rpartition(".")
    module = sys.modules.get(module_name)
    if module is None or not hasattr(module, attribute):
        return []
    return [(target, getattr(module, attribute))]


_NAME_FILTERS = {"scipy.signal": re.compile(r"convolve|correlate"), "scipy.ndimage": re.compile(r"convolve|correlate")}


def _torch_mode(everything: bool = False):
    """A TorchFunctionMode that raises `ForbiddenCallError` for torch's convolutions (`everything`: for any function)."""
    import torch
    from torch.overrides import TorchFunctionMode

    class ForbidConvolutions(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            name = getattr(func, "__name__", "")
            if everything or name in _TORCH_CONVOLUTIONS:
                raise _forbidden_call(f"torch's {name}", _torch_name(name))
            return func(*args, **(kwargs or {}))

    del torch
    return ForbidConvolutions()
