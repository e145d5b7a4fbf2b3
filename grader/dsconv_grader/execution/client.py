"""The executor's kernel client: ready as soon as the kernel has answered on both channels.

jupyter_client's `wait_for_ready` ends by reading IOPub until it has been
silent for 0.2 s, and a kernel whose IOPub answered first is asked once more:
at least a fifth of a second of waiting per kernel, twice per notebook, with
nothing to do. `PromptKernelClient` asks for the kernel's info, and is ready
when it has the reply on the shell channel and the kernel's "idle" status for
that same request on IOPub: both channels then work, and nothing of that
request is left to read. (A message left on IOPub from before belongs to no
cell: nbclient reads only the messages of the request it sent.)
"""

from __future__ import annotations

import time
from queue import Empty
from typing import Optional

from jupyter_client.asynchronous import AsyncKernelClient

# How long one try waits for IOPub to carry the request's status before asking again (a SUB socket misses
# what was published before it was connected).
IOPUB_TRY_S = 0.2


class PromptKernelClient(AsyncKernelClient):
    """An AsyncKernelClient whose `wait_for_ready` returns as soon as both channels have answered."""

    async def _async_wait_for_ready(self, timeout: Optional[float] = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            request = self.kernel_info()
            reply = await self._reply_to(request, deadline)
            if reply is not None and await self._idle_on_iopub(request, deadline):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    wait_for_ready = _async_wait_for_ready

    async def _reply_to(self, request: str, deadline: float) -> Optional[dict]:
        while time.monotonic() < deadline:
            try:
                message = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                return None
            if message["parent_header"].get("msg_id") == request and message["msg_type"] == "kernel_info_reply":
                return message
        return None

    async def _idle_on_iopub(self, request: str, deadline: float) -> bool:
        until = min(deadline, time.monotonic() + IOPUB_TRY_S)
        while time.monotonic() < until:
            try:
                message = await self.iopub_channel.get_msg(timeout=max(until - time.monotonic(), 0.001))
            except Empty:
                return False
            if (message["parent_header"].get("msg_id") == request and message["msg_type"] == "status"
                    and message["content"].get("execution_state") == "idle"):
                return True
        return False
