"""The executor's kernel client (dsconv_grader.execution.client): ready once both channels have answered."""

from __future__ import annotations

import contextlib
import tempfile
from typing import AsyncIterator

import pytest

pytest.importorskip("nbgrader")

from jupyter_client.manager import AsyncKernelManager  # noqa: E402
from jupyter_core.utils import run_sync  # noqa: E402

from dsconv_grader.execution.execute import PROMPT_CLIENT  # noqa: E402
from dsconv_grader.execution.kernel import student_environment  # noqa: E402
from dsconv_grader.execution.kernelspecs import GradingKernelSpecs, kernel_spec  # noqa: E402


@contextlib.asynccontextmanager
async def started(spec: dict) -> AsyncIterator:
    """A client (PromptKernelClient) of a kernel started from `spec`, shut down afterwards."""
    km = AsyncKernelManager(kernel_spec_manager=GradingKernelSpecs(specs={"k": spec}), kernel_name="k",
                            client_class=PROMPT_CLIENT)
    await km.start_kernel(env=student_environment(), cwd=tempfile.mkdtemp())
    kc = km.client()
    kc.start_channels()
    try:
        yield kc
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)


@pytest.mark.parametrize("fork", [True, False])
def test_the_client_is_ready_and_the_first_cell_runs(fork):
    async def ready_then_run() -> str:
        outputs: list = []
        async with started(kernel_spec(2048, fork=fork)) as kc:
            assert type(kc).__name__ == "PromptKernelClient"
            await kc.wait_for_ready(timeout=60)
            reply = await kc.execute_interactive("print(6 * 7)", timeout=30, output_hook=outputs.append)
        assert reply["content"]["status"] == "ok"
        return "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")

    assert run_sync(ready_then_run)().strip() == "42"


def test_a_kernel_that_dies_before_answering_is_reported():
    spec = kernel_spec(2048)
    spec["argv"] = [spec["argv"][0], "-c", "raise SystemExit(3)"]  # exits at once, never answers

    async def wait() -> None:
        async with started(spec) as kc:
            await kc.wait_for_ready(timeout=30)

    with pytest.raises(RuntimeError, match="Kernel died before replying to kernel_info"):
        run_sync(wait)()
