"""The trusted kernel: it runs the test cells and the locked cells that are not tests, never a student's code.

`python -m dsconv_grader.execution.remote.verdict --memory-mb M -f CONNECTION_FILE`

The executor (`execute.TwoProcessExecute`) starts it beside the student's
kernel and calls `connect(...)` in it with the student's kernel's connection
details; from then on, before each cell, the student's names that the cell
reads are bound as plain data or stand-ins (`names.NameSync`). The scores come
from this kernel's outputs only: the student's kernel cannot reach it (Landlock
forbids it TCP connections and signals, and it cannot read this kernel's
connection file).
"""

from __future__ import annotations

import sys
from typing import Optional

from dsconv_lib.presubmit import TRUSTED_KERNEL_VARIABLE

from ..kernel import ENV
from . import proxy
from .names import NameSync

TRACEBACK_MODE = "Plain"
TRACEBACK_COLORS = "nocolor"  # IPython's scheme names are case-insensitive: NoColor before IPython 9


def connect(connection_info: dict, pid: Optional[int], timeout: float) -> None:
    """Point this kernel at the student's kernel (again, after that one was restarted)."""
    from IPython import get_ipython

    shell = get_ipython()
    if proxy._CURRENT is not None:
        proxy._CURRENT.close()
    student = proxy.StudentKernel(connection_info, pid, timeout)
    proxy._CURRENT = student
    sync = getattr(shell, "_dsconv_name_sync", None)
    if sync is None:
        sync = NameSync(shell, student)
        shell._dsconv_name_sync = sync
        shell.events.register("pre_run_cell", sync.before_cell)
        shell.events.register("post_run_cell", sync.after_cell)
    else:
        sync.student = student
        for value in sync.proxied.values():
            if isinstance(value, proxy.RemoteName):
                value._kernel = student


def main(argv: list[str]) -> None:
    import os

    # Only the installation's paths: never the working folder (`python -m` puts it first), where a student's
    # file could stand in for a module a test imports.
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != os.getcwd()]
    from ..sandbox import set_resource_limits

    memory_mb = "0"
    if "--memory-mb" in argv:
        i = argv.index("--memory-mb")
        memory_mb, argv = argv[i + 1], argv[:i] + argv[i + 2:]
    for key, value in ENV.items():
        os.environ.setdefault(key, value)
    os.environ[TRUSTED_KERNEL_VARIABLE] = "1"  # the notebook's last cell (dsconv_lib.presubmit) says nothing here
    set_resource_limits(int(memory_mb))
    sys.modules["psutil"] = None  # type: ignore[assignment]  # ipykernel's shutdown scan is not needed
    sys.modules["debugpy"] = None  # type: ignore[assignment]  # no debugger: ipykernel then does not load it
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    # A failed test's traceback as Python prints one (each frame's file, line and code), uncoloured: IPython's
    # default, with a few lines around each frame, coloured, costs ten times more to format, twice per error
    # (shown, and stored in the history), a third of this kernel's work on a notebook whose tests fail.
    app.initialize([*argv, f"--InteractiveShell.colors={TRACEBACK_COLORS}",
                    f"--InteractiveShell.xmode={TRACEBACK_MODE}"])
    import numpy  # noqa: F401 - loaded before the first cell, like the student's kernel
    import dsconv_lib.checks  # noqa: F401

    app.start()


if __name__ == "__main__":
    main(sys.argv[1:])
