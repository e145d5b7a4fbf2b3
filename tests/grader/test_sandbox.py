"""The grading kernel's confinement (dsconv_grader.execution.sandbox), each piece in a fresh subprocess."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dsconv_grader.execution import sandbox

ROOT = Path(__file__).resolve().parents[2]
needs_landlock = pytest.mark.skipif(sandbox.landlock_abi() == 0, reason="this kernel has no Landlock")


def run(code: str, cwd: Path) -> str:
    """Run `code` in a fresh interpreter in `cwd`; its stdout (it must exit 0)."""
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@needs_landlock
def test_confine_filesystem_reads_and_writes_only_what_it_allows(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    work = tmp_path / "work"
    work.mkdir()
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "ok.txt").write_text("fine")
    out = run(f"""
        from pathlib import Path
        from dsconv_grader.execution import sandbox
        import os
        ro = [*sandbox.python_paths(), *sandbox.system_read_only(), {str(allowed)!r}]
        assert sandbox.confine_filesystem(ro, [{str(work)!r}]) >= 1
        def attempt(what, action):
            try:
                action()
                print(what, "allowed")
            except PermissionError:
                print(what, "refused")
        attempt("read-allowed", lambda: Path({str(allowed / 'ok.txt')!r}).read_text())
        attempt("read-outside", lambda: Path({str(outside / 'secret.txt')!r}).read_text())
        attempt("list-outside", lambda: list(Path({str(outside)!r}).iterdir()))
        attempt("read-solution", lambda: Path({str(ROOT / 'solutions' / 'ex01' / 'ex01.ipynb')!r}).read_text())
        attempt("write-work", lambda: Path({str(work / 'scratch.txt')!r}).write_text("x"))
        attempt("write-outside", lambda: Path({str(outside / 'new.txt')!r}).write_text("x"))
        attempt("overwrite-outside", lambda: Path({str(outside / 'secret.txt')!r}).write_text("x"))
        attempt("write-allowed-read-only", lambda: Path({str(allowed / 'ok.txt')!r}).write_text("x"))
        attempt("read-own-proc", lambda: Path("/proc/self/status").read_text())
        attempt("read-cpuinfo", lambda: Path("/proc/cpuinfo").read_text())
        attempt("read-parent-environ", lambda: Path(f"/proc/{{os.getppid()}}/environ").read_bytes())
        attempt("read-init-cmdline", lambda: Path("/proc/1/cmdline").read_bytes())
    """, cwd=work)
    assert out.split("\n")[:-1] == ["read-allowed allowed", "read-outside refused", "list-outside refused",
                                    "read-solution refused", "write-work allowed", "write-outside refused",
                                    "overwrite-outside refused", "write-allowed-read-only refused",
                                    "read-own-proc allowed", "read-cpuinfo allowed", "read-parent-environ refused",
                                    "read-init-cmdline refused"], out
    assert (outside / "secret.txt").read_text() == "secret" and not (outside / "new.txt").exists()


def test_python_paths_leave_out_the_course_checkout(monkeypatch):
    """PYTHONPATH=the repository (or an editable install's path entry) must not make solutions/ readable."""
    monkeypatch.setattr(sys, "path", [str(ROOT), *sys.path])
    paths = [p.resolve() for p in sandbox.python_paths()]
    assert ROOT.resolve() not in paths
    assert not any(p == ROOT.resolve() / "solutions" or (ROOT.resolve() / "solutions").is_relative_to(p) for p in paths)
    import dsconv_lib

    assert Path(dsconv_lib.__file__).resolve().parent in paths


def test_set_resource_limits_turns_a_huge_allocation_into_memory_error(tmp_path):
    out = run("""
        from dsconv_grader.execution import sandbox
        sandbox.set_resource_limits(512)
        import numpy as np
        try:
            np.ones(200_000_000)
            print("allocated")
        except MemoryError:
            print("MemoryError")
        small = np.ones(1000)
        print("small", small.sum())
    """, cwd=tmp_path)
    assert out.split() == ["MemoryError", "small", "1000.0"]


def test_audit_hook_refuses_processes_forks_and_signals(tmp_path):
    out = run("""
        import os, subprocess, signal
        from dsconv_grader.execution import sandbox
        sandbox.install_audit_hook()
        for what, action in [("system", lambda: os.system("true")),
                             ("popen", lambda: subprocess.run(["true"])),
                             ("fork", lambda: os.fork()),
                             ("kill", lambda: os.kill(os.getppid(), 0)),
                             ("posix_spawn", lambda: os.posix_spawn("/bin/true", ["true"], {}))]:
            try:
                action()
                print(what, "allowed")
            except sandbox.GradingViolation as error:
                assert "the grader does not allow" in str(error)
                print(what, "refused")
    """, cwd=tmp_path)
    assert out.split("\n")[:-1] == ["system refused", "popen refused", "fork refused", "kill refused",
                                    "posix_spawn refused"], out


def test_freeze_modules_refuses_patching_dsconv_lib_and_leaves_numpy_to_the_student(tmp_path):
    """The tests run in another process: a student may patch numpy in their own (it only changes their
    answers); the library stays frozen so that `forbid` is what it says."""
    out = run("""
        import numpy as np
        import dsconv_lib.checks
        from dsconv_grader.execution import sandbox
        assert sandbox.freeze_modules() > 0
        class Patch:
            def go(self):
                self.check_array = lambda *a, **k: None
        for what, action in [("np.set_printoptions", lambda: np.set_printoptions(precision=3)),
                             ("np attribute", lambda: setattr(np, "my_helper", 1)),
                             ("checks", lambda: setattr(dsconv_lib.checks, "check_array", None)),
                             ("self", lambda: Patch.go(dsconv_lib.checks)),
                             ("delete", lambda: delattr(dsconv_lib.checks, "forbid"))]:
            try:
                action()
                print(what, "allowed")
            except sandbox.GradingViolation:
                print(what, "refused")
        print(dsconv_lib.checks.check_array is not None)
        import dsconv_lib.factorize  # the import system may still attach a submodule
        print("submodule", dsconv_lib.factorize is not None)
    """, cwd=tmp_path)
    assert out.split("\n")[:-1] == ["np.set_printoptions allowed", "np attribute allowed", "checks refused",
                                    "self refused", "delete refused", "True", "submodule True"], out


def test_output_cap_truncates_with_one_notice():
    stream = io.StringIO()
    budget = [10]
    cap = sandbox.OutputCap(stream, budget, "[cut]")
    other = sandbox.OutputCap(io.StringIO(), budget, "[cut]")  # the budget is shared by stdout and stderr
    assert cap.write("12345") == 5
    cap.write("67890abc")
    cap.write("more")
    other.write("and more")
    assert stream.getvalue() == "1234567890[cut]"
    assert other.stream.getvalue() == ""
    assert cap.getvalue() == stream.getvalue()  # other attributes reach the stream


def test_output_cap_keeps_no_copy_of_a_cells_output_in_ipythons_history(monkeypatch):
    """IPython 9 wraps sys.stdout.write for each cell to copy the output into its history; the cap does not
    take the wrapper, so a flood costs only the writes the cap drops."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    stream = io.StringIO()
    cap = sandbox.OutputCap(stream, [10 ** 6], "[cut]")
    monkeypatch.setattr(sys, "stdout", cap)
    shell.run_cell("for _ in range(3):\n    print('x' * 5)", store_history=True)
    assert stream.getvalue() == "xxxxx\n" * 3
    assert "write" not in vars(cap)
    kept = [output for outputs in shell.history_manager.outputs.values() for output in outputs
            if "xxxxx" in "".join(output.bundle.get("stream", []))]
    assert kept == []
    cap.write = print  # ignored
    assert cap.write("y") == 1 and stream.getvalue().endswith("y")


def test_a_module_of_the_library_imported_later_is_frozen_as_soon_as_its_import_ends(tmp_path):
    out = run("""
        from dsconv_grader.execution import sandbox
        sandbox.freeze_modules()
        sandbox.freeze_on_import()
        import dsconv_lib.factorize as factorize  # as a cell would, and patch it in the same cell
        try:
            factorize.spatial_factors = None
            print("allowed")
        except sandbox.GradingViolation:
            print("refused")
        print(callable(factorize.spatial_factors))
    """, cwd=tmp_path)
    assert out.split("\n")[:-1] == ["refused", "True"], out
