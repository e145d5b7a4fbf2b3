"""The Python kernel that runs a student's notebook when grading, confined before any of it runs.

`python -m dsconv_grader.execution.kernel --memory-mb M --output-kb K [--no-confine] -f CONNECTION_FILE`

It runs the student's cells and the locked cells that are not tests; the test
cells run in another kernel (`remote.verdict`), which calls the student's
functions here through `remote.serve`. In order, before the kernel starts (see
`sandbox` for each piece):

1. it starts itself again with a minimal environment (`CLEAN_ENV`): nothing of
   the grader's environment (tokens, paths) is readable, not even in
   /proc/self/environ;
2. its working folder (the scratch folder nbgrader runs the notebook in) holds
   its HOME, IPython's and matplotlib's settings and its temporary files;
3. Landlock: read-only access to the Python installation, dsconv_lib, this
   package and the system, read-write to the working folder only (no /dev/shm: nothing is shared
   with another student's kernel), no TCP connections and no binding but the
   kernel's own ports, no signals to other processes (skipped with --no-confine,
   or where Linux has no Landlock: the kernel then says so on stderr);
4. resource limits: M MiB of address space (an allocation beyond it raises
   MemoryError), 64 MiB per written file, no core dumps;
5. printed output beyond K KiB in all is dropped with a notice (the executor
   caps every kind of output again, on its side);
6. an audit hook refuses processes, forks, signals and sockets; shell escapes
   and `%pip`/`%conda` print that they are skipped instead of failing the cell;
   dsconv_lib's and this package's modules are frozen (so `forbid`, and the
   code that applies it to each remote call, stay what they are).

BLAS and OpenMP use one thread: grading machines are shared, test cells are small.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
       "PYTHONDONTWRITEBYTECODE": "1"}
# What the student's kernel keeps of the environment it is started with (the rest is dropped).
KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "PYTHONPATH", "JPY_PARENT_PID", "TRITON_INTERPRET")
CLEAN_MARK = "DSCONV_GRADING_CLEAN_ENV"
SKIPPED = "[grader] not run when grading: {what} (a submission cannot install packages or run commands)"
NOT_CONFINED = "dsconv-grading: Landlock is not available here; the kernel is not confined to its folder"


def student_environment() -> dict[str, str]:
    """The environment the student's kernel gets: KEPT_VARIABLES of this one, and ENV."""
    env = {k: os.environ[k] for k in KEPT_VARIABLES if k in os.environ}
    env.update(ENV)
    return env


def clean_environment(argv: list[str]) -> None:
    """Start this kernel again with `student_environment()` if it was given anything more (as a kernel
    started by other means than `TwoProcessExecute` is), so that /proc/self/environ holds nothing else."""
    allowed = set(KEPT_VARIABLES) | set(ENV) | {"JPY_SESSION_NAME", CLEAN_MARK}
    if os.environ.get(CLEAN_MARK) == "1" or set(os.environ) <= allowed:
        return
    env = student_environment()
    env[CLEAN_MARK] = "1"
    os.execve(sys.executable, [sys.executable, "-m", "dsconv_grader.execution.kernel", *argv], env)


def _skip_installs(shell) -> None:
    """Shell escapes and package installs print a notice instead of raising (an answer cell with a leftover
    `%pip install` still defines its functions)."""
    def skipped(line: str = "", cell: str = "", *_args, **_kwargs) -> None:
        print(SKIPPED.format(what=(line or cell or "").strip()[:80] or "a shell command"))

    shell.system = skipped
    shell.getoutput = lambda command, *a, **k: print(SKIPPED.format(what=command.strip()[:80])) or []
    for magic in ("pip", "conda", "mamba", "micromamba", "uv", "sx", "system"):
        shell.register_magic_function(lambda line, magic=magic: skipped(f"%{magic} {line}"), "line", magic)
    for magic in ("bash", "sh", "script", "script_sh"):
        shell.register_magic_function(lambda line, cell, magic=magic: skipped(f"%%{magic} {line}"), "cell", magic)


def _option(argv: list[str], name: str, default: str) -> tuple[str, list[str]]:
    if name in argv:
        i = argv.index(name)
        return argv[i + 1], argv[:i] + argv[i + 2:]
    return default, argv


def main(argv: list[str]) -> None:
    clean_environment(argv)
    from . import sandbox

    memory_mb, argv = _option(argv, "--memory-mb", "0")
    output_kb, argv = _option(argv, "--output-kb", "1024")
    confine = "--no-confine" not in argv
    argv = [a for a in argv if a != "--no-confine"]
    connection_file, _ = _option(list(argv), "-f", "")

    work = Path.cwd()
    os.environ.pop(CLEAN_MARK, None)
    os.environ["HOME"] = str(work)
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
    # No debugger in a grading kernel (its spec says so): with debugpy unimportable ipykernel does not load
    # it (a tenth of a second at every start), and a submission has no debugger to drive.
    sys.modules["debugpy"] = None
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(argv)
    budget = [int(output_kb) * 1024]
    notice = f"\n[the grader dropped the rest of this notebook's output: more than {output_kb} KiB]\n"
    sys.stdout = sandbox.OutputCap(sys.stdout, budget, notice)
    sys.stderr = sandbox.OutputCap(sys.stderr, budget, notice)

    import numpy  # noqa: F401 - loaded before any student code, like the library
    import dsconv_lib.checks  # noqa: F401
    import dsconv_grader.execution.remote.serve  # noqa: F401 - what the trusted kernel calls
    import dsconv_lib.reference  # noqa: F401

    _skip_installs(app.shell)
    sandbox.freeze_modules()
    sandbox.freeze_on_import()
    app.shell.events.register("post_run_cell", lambda *args: sandbox.freeze_modules())
    sandbox.install_audit_hook()
    app.start()


if __name__ == "__main__":
    main(sys.argv[1:])
