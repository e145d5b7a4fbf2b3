"""A Python kernel with a memory limit: what runs a student's notebook when grading.

`python -m dsconv_lib.course.kernel --memory-mb M -f CONNECTION_FILE` sets the
address-space limit (RLIMIT_AS) of its own process to M MiB, then starts
ipykernel. An allocation beyond it raises MemoryError in the student's cell (or
ends the kernel), and grading goes on with the next student. BLAS and OpenMP
use one thread: grading machines are shared, and test cells are small.
"""

from __future__ import annotations

import os
import sys

ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def kernel_spec(memory_mb: int) -> dict:
    """The kernel.json of the grading kernel (this interpreter, this module)."""
    return {
        "argv": [sys.executable, "-m", "dsconv_lib.course.kernel", "--memory-mb", str(memory_mb),
                 "-f", "{connection_file}", "--IPKernelApp.log_level=ERROR"],
        "display_name": f"Python 3 (grading, {memory_mb} MiB)",
        "language": "python",
        "env": ENV,
        "metadata": {"debugger": False},
    }


def main(argv: list[str]) -> None:
    if argv[:1] == ["--memory-mb"]:
        memory_mb, argv = int(argv[1]), argv[2:]
        if memory_mb > 0:
            import resource

            limit = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for key, value in ENV.items():
        os.environ.setdefault(key, value)
    from ipykernel import kernelapp

    kernelapp.launch_new_instance(argv=argv)


if __name__ == "__main__":
    main(sys.argv[1:])
