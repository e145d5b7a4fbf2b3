"""Grading kernels forked from a warm process (dsconv_grader.execution.forkserver): the same kernels, sooner.

Each test starts kernels through jupyter_client's KernelManager with the grading
kernels' specs, as TwoProcessExecute does, and checks what a kernel started by
exec guaranteed: the student's kernel is confined and sees nothing of the
grader's environment; no kernel holds the server's pipes; each draws its own
random numbers; interrupts, kills and deaths reach the manager. The server
signals only its own kernels and takes them with it when the grader goes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytest.importorskip("nbgrader")

from jupyter_client.manager import KernelManager  # noqa: E402

from dsconv_grader.execution.forkserver import ForkedKernelProvisioner, ForkServer  # noqa: E402
from dsconv_grader.execution.kernel import student_environment  # noqa: E402
from dsconv_grader.execution.kernelspecs import GradingKernelSpecs, kernel_spec, verdict_kernel_spec  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SPECS = {"student": kernel_spec(2048, 1024, True, fork=True), "tests": verdict_kernel_spec(2048, fork=True)}


def start(name: str):
    """A started kernel (manager, client) of the grading kernels' spec `name`, in a folder of its own, with
    the environment TwoProcessExecute gives it (the student's: a minimal one; the tests': the grader's)."""
    km = KernelManager(kernel_spec_manager=GradingKernelSpecs(specs=SPECS), kernel_name=name)
    km.start_kernel(env=student_environment() if name == "student" else dict(os.environ), cwd=tempfile.mkdtemp())
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


def run(kc, code: str, timeout: float = 30) -> str:
    """What `code` printed (and the error it raised, as "ERROR name: value")."""
    msg_id = kc.execute(code)
    out = []
    while True:
        message = kc.get_iopub_msg(timeout=timeout)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        if message["msg_type"] == "stream":
            out.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            out.append(f"ERROR {message['content']['ename']}: {message['content']['evalue']}")
        elif message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            return "".join(out)


@pytest.fixture
def student(monkeypatch):
    monkeypatch.setenv("DSCONV_GRADER_SECRET", "s3cr3t")  # in the grader's environment, never in a student's
    km, kc = start("student")
    yield km, kc
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_the_kernel_specs_name_the_forking_provisioner_only_when_asked():
    assert SPECS["student"]["metadata"]["kernel_provisioner"]["provisioner_name"] == "dsconv-forked-kernel"
    assert "kernel_provisioner" not in kernel_spec(2048)["metadata"]
    assert "kernel_provisioner" not in verdict_kernel_spec(2048)["metadata"]


def test_a_forked_student_kernel_is_the_servers_child_confined_and_without_the_graders_environment(student):
    km, kc = student
    server = ForkServer.for_this_process()
    facts = json.loads(run(kc, "import json, os, sys\nprint(json.dumps({'ppid': os.getppid(), 'env': sorted(os.environ), "
                                "'cwd': os.getcwd(), 'path0': sys.path[0]}))"))
    assert facts["ppid"] == server._process.pid
    assert "DSCONV_GRADER_SECRET" not in facts["env"] and facts["cwd"] == facts["path0"]
    refused = run(kc, f"open({str(ROOT / 'solutions' / 'ex01' / 'ex01.ipynb')!r}).read()")
    assert refused.startswith("ERROR PermissionError"), refused
    assert "GradingViolation" in run(kc, "import dsconv_lib.checks as c\nc.forbid = None")


def test_no_kernel_holds_the_servers_pipes(student):
    km, kc = student
    server = ForkServer.for_this_process()
    pipes = {os.fstat(server._process.stdin.fileno()).st_ino, os.fstat(server._process.stdout.fileno()).st_ino}
    listing = run(kc, "import os\nfor fd in os.listdir('/proc/self/fd'):\n    try:\n        print(os.fstat(int(fd)).st_ino)\n"
                      "    except OSError:\n        pass")
    assert listing.split() and not pipes & {int(i) for i in listing.split()}


def test_each_kernel_draws_its_own_random_numbers_and_the_tests_kernel_knows_its_role(student):
    km, kc = student
    km2, kc2 = start("tests")
    try:
        draw = "import numpy, random\nprint(numpy.random.rand(), random.random())"
        assert run(kc, draw) != run(kc2, draw)
        assert run(kc2, "import os\nprint(os.environ.get('DSCONV_TRUSTED_KERNEL'))").strip() == "1"
    finally:
        kc2.stop_channels()
        km2.shutdown_kernel(now=True)


def test_interrupt_kill_and_death_reach_the_manager(student):
    km, kc = student
    msg_id = kc.execute("import time\ntime.sleep(60)")
    time.sleep(0.5)
    km.interrupt_kernel()
    while True:
        message = kc.get_iopub_msg(timeout=10)
        if message["parent_header"].get("msg_id") == msg_id and message["msg_type"] == "error":
            assert message["content"]["ename"] == "KeyboardInterrupt"
            break
    time.sleep(0.5)  # ipykernel drops requests that arrive just after an error: let that moment pass
    assert run(kc, "print('still here')").strip() == "still here"
    # a segmentation fault: a view far outside its array (as in test_kernel_recovery)
    kc.execute("import numpy as np\nfrom numpy.lib.stride_tricks import as_strided\n"
               "far = as_strided(np.zeros(1), shape=(10**6,), strides=(10**7,))\nfloat(far.sum())")
    deadline = time.monotonic() + 20
    while km.is_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not km.is_alive()
    km.restart_kernel(now=True)  # as the executor does after a death
    kc.wait_for_ready(timeout=60)
    assert run(kc, "print(6 * 7)").strip() == "42"


def test_the_server_signals_only_its_own_kernels():
    server = ForkServer.for_this_process()
    with pytest.raises(RuntimeError, match="not one of this server's kernels"):
        server.signal(os.getpid(), signal.SIGTERM)
    with pytest.raises(RuntimeError, match="not one of this server's kernels"):
        server.poll(1)


def test_the_provisioner_starts_the_grading_kernels_only():
    import asyncio

    provisioner = ForkedKernelProvisioner.__new__(ForkedKernelProvisioner)
    with pytest.raises(ValueError, match="grading kernels only"):
        asyncio.run(provisioner.launch_kernel([sys.executable, "-m", "ipykernel_launcher", "-f", "x.json"]))


def test_the_server_takes_its_kernels_with_it_when_the_grader_goes():
    code = ("import json, time\n"
            "from jupyter_client.manager import KernelManager\n"
            "from dsconv_grader.execution.kernelspecs import GradingKernelSpecs, kernel_spec\n"
            "from dsconv_grader.execution.kernel import student_environment\n"
            "km = KernelManager(kernel_spec_manager=GradingKernelSpecs(specs={'s': kernel_spec(2048, fork=True)}), "
            "kernel_name='s')\n"
            "km.start_kernel(env=student_environment())\n"
            "from dsconv_grader.execution.forkserver import ForkServer\n"
            "print(json.dumps([ForkServer.for_this_process()._process.pid, km.provisioner.pid]), flush=True)\n"
            "import os\nos._exit(0)\n")  # the grader dies without shutting anything down
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tempfile.mkdtemp())
    server, kernel = json.loads(out.stdout.strip().splitlines()[-1])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() and
                                              "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
                                              for pid in (server, kernel)):
        time.sleep(0.1)
    for pid in (server, kernel):
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower(), pid


def test_a_kernel_starts_by_exec_when_the_server_cannot_fork_it(monkeypatch):
    def broken(self, *args, **kwargs):
        raise RuntimeError("the grading kernels' fork server exited (-9)")

    monkeypatch.setattr(ForkServer, "spawn", broken)
    km, kc = start("student")
    try:
        server = ForkServer.for_this_process()
        assert run(kc, "import os\nprint(os.getppid())").strip() != str(server._process.pid)
        refused = run(kc, f"open({str(ROOT / 'solutions' / 'ex01' / 'ex01.ipynb')!r}).read()")
        assert refused.startswith("ERROR PermissionError"), refused
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
