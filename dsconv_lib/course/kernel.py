"""The Python kernel that runs a student's notebook when grading, confined before any of it runs.

`python -m dsconv_lib.course.kernel --memory-mb M --output-kb K [--no-confine] -f CONNECTION_FILE`

In order, before the kernel starts (see `sandbox` for each piece):

1. its working folder (the scratch folder nbgrader runs the notebook in) holds
   IPython's and matplotlib's settings and temporary files;
2. Landlock: read-only access to the Python installation, dsconv_lib and the
   system, read-write to the working folder only, no TCP connections and no
   binding but the kernel's own ports, no signals to other processes (skipped with --no-confine, or where Linux has
   no Landlock: the kernel then says so on stderr, and the report too);
3. resource limits: M MiB of address space (an allocation beyond it raises
   MemoryError), 64 MiB per written file, no core dumps;
4. output beyond K KiB in all is dropped with a notice;
5. numpy and dsconv_lib are imported and their modules frozen (torch too, as soon
   as a cell's `import torch` ends), and an audit hook refuses processes, forks, signals and sockets.

BLAS and OpenMP use one thread: grading machines are shared, test cells are small.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
       "PYTHONDONTWRITEBYTECODE": "1"}
NOT_CONFINED = "dsconv-grading: Landlock is not available here; the kernel is not confined to its folder"


def kernel_spec(memory_mb: int, output_kb: int = 1024, confine: bool = True) -> dict:
    """The kernel.json of the grading kernel (this interpreter, this module)."""
    argv = [sys.executable, "-m", "dsconv_lib.course.kernel", "--memory-mb", str(memory_mb),
            "--output-kb", str(output_kb)]
    if not confine:
        argv.append("--no-confine")
    return {
        "argv": argv + ["-f", "{connection_file}", "--IPKernelApp.log_level=ERROR",
                        "--HistoryManager.enabled=False"],
        "display_name": f"Python 3 (grading, {memory_mb} MiB)",
        "language": "python",
        "env": ENV,
        "metadata": {"debugger": False},
    }


def _option(argv: list[str], name: str, default: str) -> tuple[str, list[str]]:
    if name in argv:
        i = argv.index(name)
        return argv[i + 1], argv[:i] + argv[i + 2:]
    return default, argv


def main(argv: list[str]) -> None:
    from . import sandbox

    memory_mb, argv = _option(argv, "--memory-mb", "0")
    output_kb, argv = _option(argv, "--output-kb", "1024")
    confine = "--no-confine" not in argv
    argv = [a for a in argv if a != "--no-confine"]
    connection_file, _ = _option(list(argv), "-f", "")

    work = Path.cwd()
    for variable, folder in (("IPYTHONDIR", ".ipython"), ("MPLCONFIGDIR", ".matplotlib"), ("TMPDIR", ".tmp")):
        (work / folder).mkdir(exist_ok=True)
        os.environ[variable] = str(work / folder)
    for key, value in ENV.items():
        os.environ.setdefault(key, value)

    if confine:
        read_only = [*sandbox.python_paths(), *sandbox.system_read_only()]
        ports = []
        if connection_file:
            read_only.append(Path(connection_file).resolve())
            info = json.loads(Path(connection_file).read_text())
            ports = [info[k] for k in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port") if info.get(k)]
        if not sandbox.confine_filesystem(read_only, [work, *sandbox.SYSTEM_READ_WRITE], ports):
            print(NOT_CONFINED, file=sys.stderr)
    sandbox.set_resource_limits(int(memory_mb))

    import warnings

    # ipykernel's pipe for subprocess output needs a port of its own; the grading kernel starts no subprocesses.
    warnings.filterwarnings("ignore", message="Couldn't bind IOPub Pipe")
    # At shutdown ipykernel looks for child processes with psutil, which lists /proc; the confined kernel
    # may not read /proc (nor start children), so psutil is made unimportable and ipykernel skips the search.
    sys.modules["psutil"] = None
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(argv)
    budget = [int(output_kb) * 1024]
    notice = f"\n[the grader dropped the rest of this notebook's output: more than {output_kb} KiB]\n"
    sys.stdout = sandbox.OutputCap(sys.stdout, budget, notice)
    sys.stderr = sandbox.OutputCap(sys.stderr, budget, notice)

    import numpy  # noqa: F401 - loaded now so that it is frozen before any student code
    import dsconv_lib.checks  # noqa: F401
    import dsconv_lib.reference  # noqa: F401

    sandbox.freeze_modules()
    sandbox.freeze_on_import()
    app.shell.events.register("pre_run_cell", lambda *args: sandbox.freeze_modules())
    app.shell.events.register("post_run_cell", lambda *args: sandbox.freeze_modules())
    sandbox.install_audit_hook()
    app.start()


if __name__ == "__main__":
    main(sys.argv[1:])
