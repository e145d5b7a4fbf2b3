"""dsconv_lib.checks: what the exercises' test cells call, and the messages a student reads."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from dsconv_lib import checks, reference
from dsconv_lib.checks import (
    ForbiddenCallError,
    check_array,
    check_choice,
    check_close,
    check_function_cases,
    forbid,
)


def failure(call, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as info:
        call(*args, **kwargs)
    return str(info.value)


def test_import_is_light():
    code = "import sys, time; t = time.perf_counter(); import dsconv_lib.checks; " \
           "print('torch' in sys.modules, time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "False", "importing dsconv_lib.checks must not import torch"
    assert float(out[1]) < 1.0


def test_check_array_passes_float32_and_float64():
    expected = np.linspace(0, 1, 12).reshape(3, 4)
    check_array("y", expected.astype(np.float32), expected)
    check_array("y", expected.copy(), expected)
    check_array("y", expected.tolist(), expected)


@pytest.mark.parametrize("got, fragments", [
    (np.zeros((3, 5)), ["wrong shape", "expected (3, 4)", "got (3, 5)", "off by one"]),
    (np.zeros((4, 3)), ["wrong shape", "axes swapped"]),
    (None, ["got None", "return"]),
    ("text", ["expected a numpy array", "str"]),
])
def test_check_array_messages(got, fragments):
    message = failure(check_array, "y", got, np.ones((3, 4)))
    for fragment in fragments:
        assert fragment in message, message


def test_check_array_names_first_mismatch_and_max_error():
    expected = np.zeros((2, 3))
    got = expected.copy()
    got[1, 2], got[0, 1] = 5.0, 0.5
    message = failure(check_array, "y", got, expected)
    assert "2 of 6 values differ" in message
    assert "index (0, 1)" in message and "expected 0, got 0.5" in message
    assert "max |got - expected| = 5" in message


def test_check_array_integer_result_where_floats_expected():
    message = failure(check_array, "y", np.array([0, 1]), np.array([0.2, 1.0]))
    assert "integers" in message


def test_check_close():
    check_close("n", 16, 16)
    check_close("n", 16.0, 16)
    check_close("n", np.int64(16), 16)
    check_close("r", 1 / 3 + 1e-12, 1 / 3)
    assert "whole number 16" in failure(check_close, "n", 16.5, 16)
    assert "expected 16, got 15" in failure(check_close, "n", 15, 16)
    assert "expected a number" in failure(check_close, "n", "16", 16)
    assert "got None" in failure(check_close, "n", None, 16)
    assert "expected a number" in failure(check_close, "n", True, 1)


def test_check_choice():
    check_choice("q", " A ", "a", "abcd")
    assert "not one of the options" in failure(check_choice, "q", "e", "a", "abcd")
    assert "not the right option" in failure(check_choice, "q", "b", "a", "abcd")


def test_check_function_cases_reports_every_failing_case():
    def shifted(x):
        return x[1:] if len(x) > 3 else x

    cases = {"short": (np.arange(3.0),), "long": (np.arange(5.0),), "longer": {"x": np.arange(6.0)}}
    message = failure(check_function_cases, shifted, cases, lambda x: x)
    assert message.startswith("2 of 3 cases failed")
    assert "case 'long'" in message and "case 'longer'" in message and "case 'short'" not in message
    assert "shifted(shape (5,))" in message and "x=shape (6,)" in message


def test_check_function_cases_reports_exceptions_and_not_implemented():
    def broken(x):
        raise IndexError("index 7 is out of bounds")

    message = failure(check_function_cases, broken, {"a": (1,)}, lambda x: x)
    assert "raised IndexError: index 7 is out of bounds" in message

    def blank(x):
        raise NotImplementedError()

    assert "not implemented yet" in failure(check_function_cases, blank, {"a": (1,)}, lambda x: x)


def test_check_function_cases_gives_copies():
    x = np.ones(3)

    def writes_into_input(a):
        a[:] = 0
        return a

    with pytest.raises(AssertionError):
        check_function_cases(writes_into_input, {"a": (x,)}, lambda a: a.copy() + 1)
    assert np.array_equal(x, np.ones(3))


def test_forbid_catches_library_convolutions_even_when_imported_early():
    from dsconv_lib.reference import conv2d as early_alias

    x, w = np.ones((1, 2, 5, 5)), np.ones((3, 2, 3, 3))
    expected = reference.conv2d(x, w)
    with forbid():
        for call in (lambda: early_alias(x, w), lambda: reference.conv2d_loops(x, w),
                     lambda: reference.fast.conv_nd(x, w, None, 1, 0, 1, 1, 2)):
            with pytest.raises(ForbiddenCallError, match="implement it yourself"):
                call()
        assert np.ones(3).sum() == 3  # numpy is fine
    np.testing.assert_array_equal(early_alias(x, w), expected)  # restored afterwards


def test_forbid_restores_after_an_error():
    with pytest.raises(ValueError):
        with forbid("dsconv_lib.shapes"):
            raise ValueError("the student's own error")
    from dsconv_lib import shapes

    assert shapes.conv_output_size(7, 3) == 5


def test_forbid_blocks_torch_import_when_not_loaded():
    code = (
        "import sys\n"
        "from dsconv_lib.checks import forbid, ForbiddenCallError\n"
        "try:\n"
        "    with forbid():\n"
        "        import torch\n"
        "    print('imported')\n"
        "except ForbiddenCallError as e:\n"
        "    print('blocked', 'torch' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "blocked False"


def test_forbid_catches_torch_convolutions_when_loaded():
    torch = pytest.importorskip("torch")
    x = torch.ones(1, 2, 5, 5)
    layer = torch.nn.Conv2d(2, 3, 3)
    with forbid():
        with pytest.raises(ForbiddenCallError, match="conv2d"):
            torch.nn.functional.conv2d(x, layer.weight)
        with pytest.raises(ForbiddenCallError):
            layer(x)
        assert float(torch.ones(3).sum()) == 3.0
    assert layer(x).shape == (1, 3, 3, 3)


def test_check_function_cases_with_forbidden_propagates_the_error():
    def cheat(x, w):
        return reference.conv2d(x, w)

    x, w = np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3))
    with pytest.raises(ForbiddenCallError, match="implement it yourself"):
        check_function_cases(cheat, {"a": (x, w)}, lambda x, w: reference.conv2d(x, w), forbidden=checks.CONVOLUTIONS)


def test_forbid_covers_every_submodule_and_modules_first_imported_inside_the_block():
    """Derived, not listed: dsconv_lib.reference.fft is forbidden with the rest of the package, also when it is
    imported only inside the block; SciPy's convolutions are, its other functions are not."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import numpy as np
        from dsconv_lib.checks import ForbiddenCallError, active_forbid_targets, forbid
        x, w = np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3))
        outcome = []
        with forbid():
            outcome.append(active_forbid_targets() is not None)
            from dsconv_lib.reference import fft
            from scipy.signal import convolve2d, get_window
            from scipy.linalg import svd
            for name, call in [("fft", lambda: fft.fft_depthwise_conv(x, w)), ("convolve2d", lambda: convolve2d(x[0, 0], w[0, 0])),
                               ("get_window", lambda: get_window("hann", 4)), ("svd", lambda: svd(np.eye(3)))]:
                try:
                    call()
                    outcome.append(f"{name} allowed")
                except ForbiddenCallError as error:
                    outcome.append(f"{name} forbidden: {str(error).split(' is not allowed')[0].split(': ')[-1]}")
        outcome.append(active_forbid_targets())
        outcome.append(fft.fft_depthwise_conv(x, w).shape)  # restored afterwards
        print(outcome)
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str([
        True, "fft forbidden: dsconv_lib.reference.fft.fft_depthwise_conv",
        "convolve2d forbidden: scipy.signal._signaltools.convolve2d", "get_window allowed", "svd allowed",
        None, (1, 1, 2, 2)]), result.stdout


# ----------------------------------------------------------------------------- known mistakes, scalars, all of torch


def test_a_scalar_result_is_reported_as_expected_against_got():
    message = failure(check_array, "error", np.float64(0.5), np.array(0.25))
    assert "expected 0.25, got 0.5" in message and "values differ" not in message and "shape ()" not in message


def test_a_spatial_size_off_by_one_also_points_to_one_sided_padding():
    assert "both sides" in failure(check_array, "y", np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 5, 5)))


def test_a_failing_answer_that_matches_a_known_mistake_gets_its_hint():
    from dsconv_lib.mistakes import ex01

    def no_plus_one(size, kernel, stride=1, padding=0, dilation=1):
        return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride

    cases = {"7, k=3": (7, 3, 1, 0, 1), "9, k=3, dilation 2": (9, 3, 1, 0, 2)}
    hint = ex01.MISTAKES["output_size"][0].hint
    assert hint in failure(check_function_cases, no_plus_one, cases, lambda *a: no_plus_one(*a) + 1,
                           mistakes=ex01.MISTAKES["output_size"])


def test_a_mistake_must_agree_with_the_passed_cases_too():
    """Ignoring the dilation fails only the dilated case; "no +1" gives that case's value but not the others'."""
    from dsconv_lib.mistakes import ex01

    def dilation_ignored(size, kernel, stride=1, padding=0, dilation=1):
        return (size + 2 * padding - kernel) // stride + 1

    cases = {"7, k=3": (7, 3, 1, 0, 1), "9, k=3, dilation 2": (9, 3, 1, 0, 2)}
    message = failure(check_function_cases, dilation_ignored, cases,
                      lambda s, k, st=1, p=0, d=1: (s + 2 * p - d * (k - 1) - 1) // st + 1,
                      mistakes=ex01.MISTAKES["output_size"])
    assert "ignoring the dilation" in message and "without its + 1" not in message


def test_known_mistake_compares_booleans_and_options():
    class Wrong:
        hint = "Hint: swapped."

        @staticmethod
        def wrong(value):
            return "compute" if value else "memory"

    assert checks.known_mistake([Wrong], [((True,), "compute"), ((False,), " Memory ")]) == Wrong.hint
    assert checks.known_mistake([Wrong], [((True,), "memory")]) is None


def test_all_of_torch_is_forbidden_not_only_its_convolutions():
    torch = pytest.importorskip("torch")
    with forbid(forbid.ALL_OF_TORCH):
        with pytest.raises(ForbiddenCallError, match="implement it yourself"):
            torch.ones(3).mean()
    assert float(torch.ones(3).mean()) == 1.0  # restored after the block
