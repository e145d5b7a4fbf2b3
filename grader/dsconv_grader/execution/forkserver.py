"""Grading kernels forked from a warm process: a kernel starts in milliseconds instead of half a second.

Every kernel that grading starts imports the same things first (ipykernel, IPython, numpy, dsconv_lib's
checks and reference ops, this package's kernel modules): about 0.4 s of CPU, twice per notebook (the
student's kernel and the trusted one), a third of a notebook's grading. The fork server imports them
once per grading process and then forks a kernel for each request:

    server = ForkServer.for_this_process()            # started on first use, one per grading process
    pid = server.spawn("student", argv, cwd, env)     # or "tests": kernel.main(argv) / verdict.main(argv)
    server.poll(pid), server.signal(pid, signum)      # the server alone waits for its children

The server starts with the student's minimal environment (`kernel.student_environment()`), runs no
code but this module and the imports above, and holds nothing of the grader's (no connection file, no
path of the course). A forked child first drops the server's pipes and descriptors, reseeds numpy's
random state, takes its working folder and environment from the request, and then runs the kernel's
own `main`, which confines it (student) or not (tests) exactly as in a kernel started by exec. The
server speaks JSON lines on its stdin and stdout, which no child keeps, so a kernel has no way to
ask it for anything; a pid is signalled only while the server has not reaped it (no reused pid).

`ForkedKernelProvisioner` is the jupyter_client kernel provisioner (an entry point of this package,
named in the grading kernels' specs) that launches a kernel through the server in place of
`subprocess.Popen`; `TwoProcessExecute.fork_kernels` turns it off.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from typing import Any, Optional

from jupyter_client.provisioning import LocalProvisioner

from .kernel import student_environment

KERNEL_MODULES = {"dsconv_grader.execution.kernel": "student", "dsconv_grader.execution.remote.verdict": "tests"}


# ----------------------------------------------------------------------------- the grader's side


class ForkServer:
    """A handle on this process's fork server: requests on its stdin, replies on its stdout."""

    _instance: Optional["ForkServer"] = None

    def __init__(self) -> None:
        self._folder = tempfile.mkdtemp(prefix="dsconv-forkserver-")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "dsconv_grader.execution.forkserver"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, env=student_environment(), cwd=self._folder, close_fds=True)
        self._owner = os.getpid()
        self._lock = threading.Lock()

    @classmethod
    def for_this_process(cls) -> "ForkServer":
        """The server of this process, started now if there is none (or it died, or was a parent's)."""
        server = cls._instance
        if server is None or server._owner != os.getpid() or server._process.poll() is not None:
            server = cls._instance = cls()
        return server

    def request(self, message: dict) -> dict:
        with self._lock:
            self._process.stdin.write((json.dumps(message) + "\n").encode())
            self._process.stdin.flush()
            line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the grading kernels' fork server exited ({self._process.poll()})")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"the fork server could not {message['op']}: {reply['error']}")
        return reply

    def spawn(self, role: str, argv: list[str], cwd: str, env: dict[str, str]) -> int:
        return self.request({"op": "spawn", "role": role, "argv": argv, "cwd": cwd, "env": env})["pid"]

    def poll(self, pid: int) -> Optional[int]:
        return self.request({"op": "poll", "pid": pid})["returncode"]

    def signal(self, pid: int, signum: int) -> None:
        self.request({"op": "signal", "pid": pid, "signum": int(signum)})


class ForkedProcess:
    """What LocalProvisioner expects of a `subprocess.Popen`, for a kernel forked by the server."""

    stdin = stdout = stderr = None

    def __init__(self, server: ForkServer, pid: int) -> None:
        self._server, self.pid, self.returncode = server, pid, None

    def poll(self) -> Optional[int]:
        if self.returncode is None:
            self.returncode = self._server.poll(self.pid)
        return self.returncode

    def wait(self, timeout: Optional[float] = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            self._server.signal(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkedKernelProvisioner(LocalProvisioner):
    """Launches a grading kernel by asking this process's fork server, not by exec."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        module = cmd[2] if len(cmd) > 2 and cmd[1] == "-m" else None
        if module not in KERNEL_MODULES:
            raise ValueError(f"ForkedKernelProvisioner starts the grading kernels only, not {cmd!r}")
        env = dict(kwargs.get("env") or os.environ)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        try:
            server = ForkServer.for_this_process()
            pid = server.spawn(KERNEL_MODULES[module], cmd[3:], cwd, env)
        except (OSError, RuntimeError, ValueError) as error:  # the server is gone: this kernel starts by exec
            print(f"dsconv-grading: {error}; starting the kernel by exec", file=sys.stderr)
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedProcess(server, pid)
        self.pid, self.pgid, self.cwd = pid, None, cwd
        return self.connection_info


# ----------------------------------------------------------------------------- the server itself


def _warm_up() -> None:
    """Import what every grading kernel imports before its first cell."""
    sys.modules["psutil"] = None  # type: ignore[assignment]  # as the kernels themselves do
    sys.modules["debugpy"] = None  # type: ignore[assignment]
    import ipykernel.ipkernel  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401
    import numpy  # noqa: F401

    import dsconv_lib.checks  # noqa: F401
    import dsconv_lib.presubmit  # noqa: F401
    import dsconv_lib.reference  # noqa: F401

    from . import kernel, sandbox  # noqa: F401
    from .remote import serve, verdict  # noqa: F401

    # What a kernel otherwise loads or compiles on its first cell or first traceback: the modules ipykernel
    # imports as it starts, and tokenize's and the traceback highlighter's regular expressions (compiled
    # once, on first use, and kept in module caches that a fork inherits).
    import numpy.random  # noqa: F401
    import pdb  # noqa: F401
    import stack_data  # noqa: F401
    import tornado.platform.asyncio  # noqa: F401
    import IPython.core.completerlib  # noqa: F401
    import IPython.core.oinspect  # noqa: F401
    import IPython.extensions.storemagic  # noqa: F401
    from IPython.core.inputtransformer2 import TransformerManager
    from pygments.formatters.terminal256 import Terminal256Formatter  # noqa: F401
    from pygments.lexers.python import PythonLexer

    TransformerManager().transform_cell("x = 1  # a cell\n%time x\n")
    list(PythonLexer().get_tokens("x = 1\n"))
    inspect.getmodule(compile("0", "<warm-up>", "eval"))  # the file of every module loaded by now

    if threading.active_count() != 1:  # a fork copies only the thread that forks
        raise RuntimeError("the fork server must have a single thread before it forks")


def _child(request: dict, server_folder: str) -> None:
    """In the forked child: become the kernel the request asks for; never returns."""
    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(2, 1)  # the server's stdout is its reply pipe: the kernel writes to stderr instead
        os.closerange(3, 65536)
        os.setsid()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # ipykernel read JPY_PARENT_PID when the server imported it: the kernel is told its parent (the server,
        # whose death it then follows, as an exec'd kernel follows the grader's) on its command line.
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        argv = [*request["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        sys.path[:] = [os.getcwd() if entry in ("", server_folder) else entry for entry in sys.path]
        sys.argv[1:] = argv
        import numpy

        numpy.random.seed()  # the server's state is every child's: each kernel draws its own
        if request["role"] == "student":
            from .kernel import main
        else:
            from .remote.verdict import main
        main(argv)
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # noqa: BLE001 - the kernel's own failure, reported on stderr like an exec'd one's
        traceback.print_exc()
        code = 1
    os._exit(code)


def _reap(children: dict[int, Optional[int]]) -> None:
    for pid, code in list(children.items()):
        if code is None:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 0
            if done:
                children[pid] = os.waitstatus_to_exitcode(status)


def _handle(message: dict, children: dict[int, Optional[int]], server_folder: str) -> dict:
    _reap(children)
    if message["op"] == "spawn":
        pid = os.fork()
        if pid == 0:
            _child(message, server_folder)
        children[pid] = None
        return {"pid": pid}
    pid = int(message["pid"])
    if pid not in children:
        return {"error": f"process {pid} is not one of this server's kernels"}
    if message["op"] == "poll":
        return {"returncode": children[pid]}
    if message["op"] == "signal":
        if children[pid] is None:
            os.kill(pid, int(message["signum"]))
        return {"ok": True}
    return {"error": f"unknown request {message['op']!r}"}


def serve_forever() -> None:
    """Answer requests on stdin until it closes; then kill the kernels that are left, and exit."""
    server_folder = os.getcwd()
    _warm_up()
    children: dict[int, Optional[int]] = {}
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    for line in iter(requests.readline, b""):
        try:
            reply = _handle(json.loads(line), children, server_folder)
        except Exception as error:  # noqa: BLE001 - a bad request gets an error reply, the server goes on
            reply = {"error": f"{type(error).__name__}: {error}"}
        replies.write((json.dumps(reply) + "\n").encode())
        replies.flush()
    _reap(children)
    for pid, code in children.items():
        if code is None:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
    shutil.rmtree(server_folder, ignore_errors=True)


if __name__ == "__main__":
    serve_forever()
