"""The executor's kernel client (dsconv_grader.execution.client): ready once both channels have answered."""

from __future__ import annotations

import tempfile

import pytest

pytest.importorskip("nbgrader")

from jupyter_client.manager import AsyncKernelManager  # noqa: E402
from jupyter_core.utils import run_sync  # noqa: E402

from dsconv_grader.execution.execute import PROMPT_CLIENT  # noqa: E402
from dsconv_grader.execution.kernel import student_environment  # noqa: E402
from dsconv_grader.execution.kernelspecs import GradingKernelSpecs, kernel_spec  # noqa: E402


async def _ready_then_run(spec: dict) -> str:
    km = AsyncKernelManager(kernel_spec_manager=GradingKernelSpecs(specs={"k": spec}), kernel_name="k",
                            client_class=PROMPT_CLIENT)
    await km.start_kernel(env=student_environment(), cwd=tempfile.mkdtemp())
    kc = km.client()
    kc.start_channels()
    try:
        assert type(kc).__name__ == "PromptKernelClient"
        await kc.wait_for_ready(timeout=60)
        reply = await kc.execute_interactive("print(6 * 7)", timeout=30,
                                             output_hook=lambda m: outputs.append(m))
        assert reply["content"]["status"] == "ok"
        return "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)


outputs: list = []


@pytest.mark.parametrize("fork", [True, False])
def test_the_client_is_ready_and_the_first_cell_runs(fork):
    outputs.clear()
    assert run_sync(_ready_then_run)(kernel_spec(2048, fork=fork)).strip() == "42"


def test_a_kernel_that_dies_before_answering_is_reported():
    spec = kernel_spec(2048)
    spec["argv"] = [spec["argv"][0], "-c", "raise SystemExit(3)"]  # exits at once, never answers

    async def wait() -> None:
        km = AsyncKernelManager(kernel_spec_manager=GradingKernelSpecs(specs={"k": spec}), kernel_name="k",
                                client_class=PROMPT_CLIENT)
        await km.start_kernel(env=student_environment(), cwd=tempfile.mkdtemp())
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=30)
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

    with pytest.raises(RuntimeError, match="Kernel died before replying to kernel_info"):
        run_sync(wait)()
