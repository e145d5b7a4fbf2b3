"""nbgrader's Execute step, in two processes: the student's cells in a confined kernel, the tests in another.

`TwoProcessExecute` replaces nbgrader's `Execute` in `Autograde.autograde_preprocessors`
(nbgrader_config.py), so `nbgrader autograde`, formgrader and `dsconv-course
grade` run the same step. Which kernel runs a cell is decided by the gradebook
(the release), never by the submission's metadata:

- a test cell (a locked grade cell that is not an answer) runs in the trusted
  kernel (`remote.verdict`), with the source the gradebook holds, hidden tests
  included; the student's names it reads are stand-ins that run the student's
  code in the student's kernel and bring back plain data (`remote`);
- a locked cell that is not a test (imports, data an answer may use) runs in
  both: the student's kernel first (its output is the one kept), then the
  trusted one;
- every other cell (answers, cells the student added) runs in the student's
  kernel only (`kernel`: Landlock, rlimits, no network, a minimal environment).

So the scores, which nbgrader reads from the test cells' outputs, come from a
process that never runs a student's code. Limits: each cell `timeout` seconds,
the whole notebook `notebook_timeout`; the outputs of all cells together
`output_limit_kb` (errors are never dropped: a failing test always shows as
failing); a kernel that dies in a cell costs that cell, then a fresh one replays
the cells before it, up to `max_restarts` times.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import shutil
import tempfile
import time
from typing import Iterator, Optional

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer

from .kernel import student_environment
from .kernelspecs import GradingKernelSpecs, compile_course_packages, kernel_spec, verdict_kernel_spec

STUDENT_KERNEL, VERDICT_KERNEL = "dsconv-student", "dsconv-verdict"
# Both kernels' clients are ready when the kernel has answered, without jupyter_client's 0.2 s of silence.
PROMPT_CLIENT = "dsconv_grader.execution.client.PromptKernelClient"
KERNEL_DIED = "KernelDied"
NOT_RUN = "NotRun"
NOTEBOOK_TIMEOUT = "NotebookTimeout"
OUTPUT_CAPPED = "[the grader dropped the rest of this notebook's output"
MAX_TRACEBACK_CHARS = 20_000


def error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"])


class TwoProcessExecute(Execute):
    """Execute a submission with its tests in a trusted kernel and its code in a confined one."""

    memory_limit_mb = Integer(4096, help="address-space limit of each kernel, in MiB (0: none)").tag(config=True)
    output_limit_kb = Integer(1024, help="all outputs of a notebook together, in KiB; the rest is dropped, "
                                         "except errors").tag(config=True)
    notebook_timeout = Integer(600, help="seconds for the whole notebook; the cells after it are not run").tag(
        config=True)
    confine = Bool(True, help="confine the student's kernel (Landlock, audit hook); off only for debugging").tag(
        config=True)
    max_restarts = Integer(3, help="kernel deaths survived before the rest of the notebook is left unrun").tag(
        config=True)
    fork_kernels = Bool(True, help="fork both kernels from a warm process of this one's (`forkserver`) instead "
                                   "of starting each with exec: the same kernels, in a fraction of the time").tag(
        config=True)
    # The kernels are disposable and their outputs are in when a notebook ends: no graceful shutdown.
    shutdown_kernel = "immediate"

    # ---------------------------------------------------------------- set-up and tear-down

    def preprocess(self, nb, resources=None, km=None):
        compile_course_packages()
        self._roles = _roles_from_gradebook(resources or {})
        self._deadline = time.monotonic() + self.notebook_timeout
        self._budget = self.output_limit_kb * 1024
        self._capped = False
        self._deaths = 0
        self._ran: list[int] = []  # cells that ran in the student's kernel, in order (replayed after a death)
        self._trusted_ran: list[int] = []  # cells that ran in the trusted kernel
        self._claimed: set[str] = set()  # grade ids whose cell has run
        self.verdict_km = self.verdict_kc = None
        try:
            return super().preprocess(nb, resources, km)
        finally:
            run_sync(self._stop_verdict)()  # when the student's kernel did not start

    def _specs(self) -> GradingKernelSpecs:
        return GradingKernelSpecs(specs={
            STUDENT_KERNEL: kernel_spec(self.memory_limit_mb, self.output_limit_kb, self.confine, self.fork_kernels),
            VERDICT_KERNEL: verdict_kernel_spec(self.memory_limit_mb, self.fork_kernels)})

    def create_kernel_manager(self):
        self.km = self.kernel_manager_class(kernel_spec_manager=self._specs(), kernel_name=STUDENT_KERNEL,
                                            client_class=PROMPT_CLIENT, config=self.config)
        return self.km

    async def async_start_new_kernel(self, **kwargs):
        """Both kernels start at once: the student's (with a minimal environment) and the trusted one."""
        self.verdict_km = self.kernel_manager_class(kernel_spec_manager=self._specs(), kernel_name=VERDICT_KERNEL,
                                                    client_class=PROMPT_CLIENT, config=self.config)
        # Not the notebook's folder: the student's code may write there (a `torch.py` that an import in a
        # test would otherwise find first). The trusted kernel works in a folder of its own.
        self._verdict_folder = tempfile.mkdtemp(prefix="dsconv-verdict-")
        await asyncio.gather(super().async_start_new_kernel(env=student_environment(), **kwargs),
                             ensure_async(self.verdict_km.start_kernel(cwd=self._verdict_folder)))

    start_new_kernel = run_sync(async_start_new_kernel)

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        self.verdict_kc = self.verdict_km.client()
        await ensure_async(self.verdict_kc.start_channels())
        await ensure_async(self.verdict_kc.wait_for_ready(timeout=self.startup_timeout))
        self.verdict_kc.allow_stdin = False
        await self._connect_verdict()
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    async def _async_cleanup_kernel(self) -> None:
        await asyncio.gather(super()._async_cleanup_kernel(), self._stop_verdict())

    _cleanup_kernel = run_sync(_async_cleanup_kernel)

    async def _connect_verdict(self) -> None:
        """Tell the trusted kernel where the student's kernel is (again after a restart of either)."""
        info = self.km.get_connection_info(session=False)
        info = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in info.items()}
        pid = getattr(self.km.provisioner, "pid", None)
        code = (f"__import__('dsconv_grader.execution.remote.verdict', fromlist=['connect']).connect("
                f"{json.dumps(info)!s}, {pid!r}, {float(self.timeout or 30)!r})")
        with self._in(self.verdict_km, self.verdict_kc):
            msg_id = self.kc.execute(code, silent=True, store_history=False)
            reply = await self.async_wait_for_reply(msg_id)
        if reply is None or reply["content"]["status"] != "ok":
            raise RuntimeError(f"the trusted kernel could not connect to the student's: {reply and reply['content']}")

    async def _stop_verdict(self) -> None:
        km, kc = self.verdict_km, self.verdict_kc
        self.verdict_km = self.verdict_kc = None
        if getattr(self, "_verdict_folder", None):
            shutil.rmtree(self._verdict_folder, ignore_errors=True)
            self._verdict_folder = None
        if kc is not None:
            await ensure_async(kc.stop_channels())
        if km is not None and km.has_kernel:
            await ensure_async(km.shutdown_kernel(now=True))
            await ensure_async(km.cleanup_resources())

    @contextlib.contextmanager
    def _in(self, km, kc) -> Iterator[None]:
        """Within the block, nbclient's machinery (execute, wait, interrupt on timeout) talks to km/kc."""
        saved = (self.km, self.kc)
        self.km, self.kc = km, kc
        try:
            yield
        finally:
            self.km, self.kc = saved

    # ---------------------------------------------------------------- cells

    def _role(self, cell: NotebookNode) -> Optional[str]:
        """"test" or "given" for the release's locked code cells (by grade id, the first cell that claims it),
        None for the student's cells."""
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or grade_id not in self._roles or grade_id in self._claimed:
            return None
        self._claimed.add(grade_id)
        return self._roles[grade_id][0]

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, self.resources
        if time.monotonic() > self._deadline:
            cell.outputs = [error_output(NOTEBOOK_TIMEOUT, f"not run: the notebook ran past its total time limit "
                                                           f"({self.notebook_timeout} s)")]
            return cell, self.resources
        if self._deaths > self.max_restarts:
            cell.outputs = [error_output(NOT_RUN, f"not run: the kernel died {self._deaths} times before this cell")]
            return cell, self.resources
        role = self._role(cell)
        if role is not None:
            cell.source = self._roles[cell.metadata["nbgrader"]["grade_id"]][1]  # the release's, never the student's
        try:
            if role != "test":
                super().preprocess_cell(cell, resources, index)
                self._ran.append(index)
            if role is not None:
                self._run_trusted(cell, index, keep_outputs=role == "test")
        except DeadKernelError:
            self._deaths += 1
            cell.outputs = [error_output(KERNEL_DIED, "it crashed or was killed running this cell; " + (
                "the cells before it were run again in a new kernel" if self._deaths <= self.max_restarts
                else "it is not restarted again"))]
            if self._deaths <= self.max_restarts:
                run_sync(self._recover)()
            return cell, self.resources
        if role == "test" and not run_sync(self._student_alive)():  # it died in a call of the student's code
            self._deaths += 1
            restarting = self._deaths <= self.max_restarts
            cell.outputs.append(error_output(KERNEL_DIED, "the student's kernel crashed or was killed during this "
                                             "test; " + ("the cells before it were run again in a new kernel"
                                                         if restarting else "it is not restarted again")))
            if restarting:
                run_sync(self._recover)()
        return cell, self.resources

    def _run_trusted(self, cell: NotebookNode, index: int, keep_outputs: bool) -> None:
        target = cell if keep_outputs else copy.deepcopy(cell)
        with self._in(self.verdict_km, self.verdict_kc):
            self.execute_cell(target, index, store_history=keep_outputs)
        if not keep_outputs:
            self.nb.cells[index] = cell  # nbclient stores the cell it ran; the student's outputs are kept
            if any(o.get("output_type") == "error" for o in target.outputs):
                self.log.warning("Locked cell %s failed in the trusted kernel", cell.metadata["nbgrader"]["grade_id"])
        self._trusted_ran.append(index)

    async def _student_alive(self) -> bool:
        return bool(await ensure_async(self.km.is_alive()))

    async def _recover(self) -> None:
        """Fresh kernels where one died; replay what ran in each; reconnect the trusted side."""
        try:
            if not await ensure_async(self.km.is_alive()):
                self.log.warning("The student's kernel died; restarting it and running %d cells again", len(self._ran))
                await ensure_async(self.km.restart_kernel(now=True))
                await ensure_async(self.kc.wait_for_ready(timeout=self.startup_timeout))
                await self._replay(self._ran)
            if not await ensure_async(self.verdict_km.is_alive()):
                self.log.warning("The trusted kernel died; restarting it")
                await ensure_async(self.verdict_km.restart_kernel(now=True))
                await ensure_async(self.verdict_kc.wait_for_ready(timeout=self.startup_timeout))
                await self._connect_verdict()
                with self._in(self.verdict_km, self.verdict_kc):
                    await self._replay(self._trusted_ran)
            else:
                await self._connect_verdict()
        except Exception as error:  # noqa: BLE001 - dead, timed out, refused: the rest is not run either way
            self.log.error("A kernel could not be brought back (%s); the rest is not run", error)
            self._deaths = self.max_restarts + 1

    async def _replay(self, indices: list[int]) -> None:
        """Run these cells again, quietly: the notebook keeps the outputs of their first run."""
        for index in indices:
            kept = self.nb.cells[index]
            await self.async_execute_cell(copy.deepcopy(kept), index, store_history=False)
            self.nb.cells[index] = kept

    def _get_timeout(self, cell):
        """A cell's limit: the per-cell one, within what is left of the notebook's. Without a cell (the executor's
        own requests: the kernel's info, connecting the trusted kernel to the student's), the kernels' start-up
        limit: the per-cell one is for the student's code, and on a loaded machine a slow answer to the grader
        must not fail the whole notebook."""
        if cell is None:
            return self.startup_timeout
        timeout = super()._get_timeout(cell)
        remaining = max(1, int(self._deadline - time.monotonic()))
        return remaining if timeout is None else min(timeout, remaining)

    # ---------------------------------------------------------------- outputs

    def process_message(self, msg, cell, cell_index):
        kind, content = msg["msg_type"], msg["content"]
        if kind == "error":
            content["traceback"] = _truncate(content.get("traceback", []))
        elif kind in ("stream", "display_data", "execute_result", "update_display_data") or kind.startswith("comm"):
            size = _size(content)
            if size > self._budget:
                self._budget = 0
                if not self._capped:
                    self._capped = True
                    cell.outputs.append(NotebookNode(output_type="stream", name="stderr", text=(
                        f"\n{OUTPUT_CAPPED}: more than {self.output_limit_kb} KiB]\n")))
                return None
            self._budget -= size
        return super().process_message(msg, cell, cell_index)


def _size(content: dict) -> int:
    """About how many bytes an output adds to the notebook (its text and data, not its keys)."""
    if "text" in content:
        return len(str(content["text"]))
    data = content.get("data") or {}
    return sum(len(str(v)) for v in data.values()) if isinstance(data, dict) else len(str(data))


def _truncate(traceback: list) -> list:
    lines = [str(line) for line in traceback]
    if sum(len(line) for line in lines) <= MAX_TRACEBACK_CHARS:
        return lines
    return [lines[0][:MAX_TRACEBACK_CHARS // 2], "... (traceback cut by the grader) ...",
            lines[-1][-MAX_TRACEBACK_CHARS // 2:]]


def _roles_from_gradebook(resources: dict) -> dict[str, tuple[str, str]]:
    """{grade id: ("test" | "given", source)} for the release's locked code cells, from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    info = resources.get("nbgrader") or {}
    if not {"db_url", "assignment", "notebook"} <= set(info):
        raise ValueError("TwoProcessExecute runs inside nbgrader's autograde: it reads the cells' roles from the "
                         "gradebook (resources['nbgrader'] needs db_url, assignment and notebook)")
    with Gradebook(info["db_url"]) as gradebook:
        notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
        tests = {c.name for c in notebook.grade_cells} - {c.name for c in notebook.solution_cells}
        return {c.name: ("test" if c.name in tests else "given", c.source) for c in notebook.source_cells
                if c.locked and c.cell_type == "code"}


__all__ = ["TwoProcessExecute", "error_output"]
