"""What the exercises' test cells call: comparisons whose failures a student can act on.

Every check raises `AssertionError` (what nbgrader counts as a failed test) with
a message that names the quantity, the case, the shape, and expected against got:

    check_array("y", got, expected)              arrays: type, shape, dtype kind, values
    check_close("answer_q1", got, 4)             scalars (exact for ints, tolerant for floats)
    check_choice("answer_q2", got, "b", "abcd")  one option out of several
    check_function_cases(fn, cases, reference)   named cases, all run, every failure reported
    with forbid(): ...                           library convolutions raise while a student's code runs

The module imports numpy only; it never imports torch (a test cell runs in well
under a second). `forbid` touches torch only when it is already imported, and
otherwise refuses to import it for as long as the block runs.
"""

from __future__ import annotations

import contextlib
import fractions
import importlib
import importlib.abc
import numbers
import sys
import types
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, Union

import numpy as np

__all__ = [
    "ForbiddenCallError",
    "check_array",
    "check_choice",
    "check_close",
    "check_function_cases",
    "describe",
    "forbid",
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
            return " (off by one in the spatial size: check the output-size formula)"
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
) -> None:
    """Run `fn` on every named case and compare with `reference` on the same arguments.

    cases: {case name: positional arguments (a tuple) or keyword arguments (a dict)}.
    Every case runs; the AssertionError lists each failing case with its
    arguments and what went wrong. `forbidden`: passed to `forbid` while `fn`
    runs (None: nothing is forbidden; `forbid.CONVOLUTIONS` for the library's and
    torch's convolutions). Array results go through `check_array`, numbers
    through `check_close`.
    """
    label = name or getattr(fn, "__name__", "the function")
    failures = []
    for case_name, case in cases.items():
        expected = _call(reference, _copy(case))
        prefix = f"{label}({_case_arguments(case)})"
        try:
            with forbid(*forbidden) if forbidden is not None else contextlib.nullcontext():
                got = _call(fn, _copy(case))
        except ForbiddenCallError:
            raise
        except NotImplementedError:
            raise AssertionError(f"{label}: not implemented yet (it raises NotImplementedError)") from None
        except Exception as error:  # the student's code raised: say where, keep going
            failures.append(f"case {case_name!r}: {prefix} raised {type(error).__name__}: {error}")
            continue
        try:
            if isinstance(expected, np.ndarray):
                check_array(prefix, got, expected, atol=atol, rtol=rtol)
            else:
                check_close(prefix, got, expected)
        except AssertionError as error:
            failures.append(f"case {case_name!r}: {error}")
    if failures:
        raise AssertionError(
            f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(f"  - {f}" for f in failures)
        )


# ----------------------------------------------------------------------------- forbid


class ForbiddenCallError(RuntimeError):
    """A library implementation was called where the exercise asks you to write your own."""


# Dotted names: the library's and torch's convolutions. Entries whose module is
# not imported are left alone; torch, if not imported, cannot be imported in the block.
CONVOLUTIONS = (
    "dsconv_lib.reference",  # every public function of the package
    "dsconv_lib.reference.fast",
    "dsconv_lib.reference.loops",
    "torch",
    "scipy.signal.convolve",
    "scipy.signal.convolve2d",
    "scipy.signal.correlate",
    "scipy.signal.correlate2d",
    "scipy.signal.fftconvolve",
    "scipy.ndimage.convolve",
    "scipy.ndimage.correlate",
)
# torch functions that compute a convolution (matched by name under a TorchFunctionMode).
_TORCH_CONVOLUTIONS = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                       "conv_transpose3d", "convolution", "_convolution", "unfold", "conv_tbc")


def _message(what: str) -> str:
    return (f"implement it yourself: {what} is not allowed here. Write the computation with "
            "numpy (loops, or slicing and np.sum / @); the library's and torch's convolutions are what it is checked against.")


def _raising_code(message: str) -> types.CodeType:
    source = ("def forbidden(*args, **kwargs):\n"
              f"    raise __import__('dsconv_lib.checks', fromlist=['x']).ForbiddenCallError({message!r})\n")
    namespace: dict = {}
    exec(compile(source, "<forbidden>", "exec"), namespace)
    return namespace["forbidden"].__code__


class _BlockImport(importlib.abc.MetaPathFinder):
    def __init__(self, top_level: str) -> None:
        self.top_level = top_level

    def find_spec(self, fullname, path=None, target=None):  # noqa: D401 - importlib protocol
        if fullname == self.top_level or fullname.startswith(self.top_level + "."):
            raise ForbiddenCallError(_message(f"importing {self.top_level}"))
        return None


@contextlib.contextmanager
def forbid(*targets: Any) -> Iterator[None]:
    """Make library implementations raise `ForbiddenCallError` inside the block.

    targets: functions, or dotted names ("dsconv_lib.reference.conv2d"; a module
    name forbids its public functions); none given: `CONVOLUTIONS`. A Python
    function is disabled in place (its code is swapped), so that a reference
    taken earlier (`from dsconv_lib.reference import conv2d`) raises too. "torch"
    forbids its convolutions if torch is imported (by a TorchFunctionMode, which
    also catches nn.Conv2d and aliases), and its import if it is not.
    Everything is restored when the block ends.
    """
    targets = targets or CONVOLUTIONS
    swapped: list[tuple[types.FunctionType, types.CodeType]] = []
    finders: list[_BlockImport] = []
    torch_mode = None
    try:
        for target in targets:
            if target == "torch":
                if "torch" in sys.modules:
                    torch_mode = _torch_mode()
                    torch_mode.__enter__()
                else:
                    finders.append(_BlockImport("torch"))
                continue
            for name, function in _resolve(target):
                if isinstance(function, types.FunctionType) and not function.__code__.co_freevars:
                    swapped.append((function, function.__code__))
                    function.__code__ = _raising_code(_message(name))
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


forbid.CONVOLUTIONS = CONVOLUTIONS  # type: ignore[attr-defined]


def _resolve(target: Any) -> list[tuple[str, Any]]:
    """(name, function) pairs that `target` stands for; nothing for a module that is not imported."""
    if isinstance(target, str) and target.startswith("dsconv_lib") and target not in sys.modules:
        try:  # the library's modules are light (no torch): import them, so an import inside the block is caught too
            importlib.import_module(target)
        except ImportError:
            pass
    if not isinstance(target, str):
        return [(f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', target)}", target)]
    if target in sys.modules:
        module = sys.modules[target]
        # A package's __all__, or every function defined in the module (private ones too).
        names = getattr(module, "__all__", None) or [
            n for n, f in vars(module).items() if getattr(f, "__module__", None) == target
        ]
        found = [(f"{target}.{n}", getattr(module, n, None)) for n in names]
        return [(n, f) for n, f in found if isinstance(f, types.FunctionType)]
    module_name, _, attribute = target.rpartition(".")
    module = sys.modules.get(module_name)
    if module is None or not hasattr(module, attribute):
        return []
    return [(target, getattr(module, attribute))]


def _torch_mode():
    import torch
    from torch.overrides import TorchFunctionMode

    class ForbidConvolutions(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            name = getattr(func, "__name__", "")
            if name in _TORCH_CONVOLUTIONS:
                raise ForbiddenCallError(_message(f"torch's {name}"))
            return func(*args, **(kwargs or {}))

    del torch
    return ForbidConvolutions()
