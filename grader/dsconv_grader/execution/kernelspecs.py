"""The two grading kernels' specs, made in code (nothing is installed for `nbgrader autograde` to find them).

    kernel_spec(memory_mb, output_kb, confine, fork)   # the student's kernel: `kernel`, confined
    verdict_kernel_spec(memory_mb, fork)                # the trusted kernel that runs the tests: `remote.verdict`
    GradingKernelSpecs(specs={name: spec, ...})   # a KernelSpecManager that knows only these
    compile_course_packages()                     # once per process: the kernels import compiled code
"""

from __future__ import annotations

import compileall
import functools
import sys
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from traitlets import Dict

from .kernel import ENV


# The provisioner (an entry point of this package) that forks a kernel from a warm process (`forkserver`).
FORKED = {"kernel_provisioner": {"provisioner_name": "dsconv-forked-kernel", "config": {}}}


def kernel_spec(memory_mb: int, output_kb: int = 1024, confine: bool = True, fork: bool = False) -> dict:
    """The kernel.json of the grading kernel (this interpreter, this module), forked from a warm process
    (`forkserver`) or started by exec."""
    argv = [sys.executable, "-m", "dsconv_grader.execution.kernel", "--memory-mb", str(memory_mb),
            "--output-kb", str(output_kb)]
    if not confine:
        argv.append("--no-confine")
    return {
        "argv": argv + ["-f", "{connection_file}", "--IPKernelApp.log_level=ERROR",
                        "--HistoryManager.enabled=False"],
        "display_name": f"Python 3 (grading, {memory_mb} MiB)",
        "language": "python",
        "env": ENV,
        "metadata": {"debugger": False, **(FORKED if fork else {})},
    }


def verdict_kernel_spec(memory_mb: int, fork: bool = False) -> dict:
    """The kernel.json of the trusted kernel that runs the test cells (`remote.verdict`), forked or not."""
    return {
        "argv": [sys.executable, "-m", "dsconv_grader.execution.remote.verdict", "--memory-mb", str(memory_mb),
                 "-f", "{connection_file}", "--IPKernelApp.log_level=ERROR", "--HistoryManager.enabled=False"],
        "display_name": "Python 3 (grading: the tests)",
        "language": "python",
        "env": ENV,
        "metadata": {"debugger": False, **(FORKED if fork else {})},
    }


class GradingKernelSpecs(KernelSpecManager):
    """The two kernels' specs, made in code: nothing needs to be installed for `nbgrader autograde`."""

    specs = Dict()

    def find_kernel_specs(self) -> dict:
        return {name: "" for name in self.specs}

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(resource_dir="", **self.specs[kernel_name])


@functools.cache
def compile_course_packages() -> None:
    """Byte-compile dsconv_lib and this package where they lie, if they are not yet (an editable checkout
    where PYTHONDONTWRITEBYTECODE is set): the kernels, which may not write there, then load compiled code
    instead of compiling the same modules again at each start. Where the folders are read-only, nothing
    happens and the kernels compile as before."""
    import dsconv_grader
    import dsconv_lib

    for package in (dsconv_lib, dsconv_grader):
        try:
            compileall.compile_dir(Path(package.__file__).parent, quiet=2)
        except OSError:
            pass
