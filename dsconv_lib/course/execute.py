"""nbgrader's Execute step, made to survive a kernel that dies in one cell.

nbgrader gives up on the whole notebook when the kernel dies (a segmentation
fault in student code, a kill by the memory limit): the student gets no
score at all, even for the parts that had nothing to do with the crash.
`RecoveringExecute` instead marks the cell that killed the kernel with a
`KernelDied` error, starts a fresh kernel (confined like the first: the same
kernel spec), runs again, quietly, the code cells that had run before it,
and goes on with the next cell. The crash costs the cells that depend on it
and nothing more. After `max_restarts` deaths the rest of the notebook is not
run (each of those cells gets a `NotRun` error), so a notebook that crashes in
every test cell costs at most a few restarts and replays.
"""

from __future__ import annotations

import copy

from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Integer

KERNEL_DIED = "KernelDied"
NOT_RUN = "NotRun"


def error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"])


class RecoveringExecute(Execute):
    """Execute every cell; a kernel death costs its cell, then a fresh kernel replays the cells before it."""

    max_restarts = Integer(3, help="kernel deaths survived before the rest of the notebook is left unrun").tag(
        config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._ran: list[int] = []  # code cells that ran without killing the kernel, in order
        self._deaths = 0
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return super().preprocess_cell(cell, resources, index)
        if self._deaths > self.max_restarts:
            cell.outputs = [error_output(NOT_RUN, f"not run: the kernel died {self._deaths} times before this cell")]
            return cell, self.resources
        try:
            result = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._deaths += 1
            restarting = self._deaths <= self.max_restarts
            cell.outputs = [error_output(KERNEL_DIED, "it crashed or was killed running this cell; " + (
                "the cells before it were run again in a new kernel" if restarting else "it is not restarted again"))]
            if restarting:
                self._restart_and_replay()
            return cell, self.resources
        self._ran.append(index)
        return result

    def _restart_and_replay(self) -> None:
        """A fresh kernel with the state of every cell that ran; on a death in the replay, give up."""
        self.log.warning("Kernel died; restarting it and running the %d cells before again", len(self._ran))
        try:
            run_sync(self.km.restart_kernel)(now=True)
            run_sync(self.kc.wait_for_ready)(timeout=self.startup_timeout)
            for index in self._ran:
                self.execute_cell(copy.deepcopy(self.nb.cells[index]), index, store_history=False)
        except (DeadKernelError, RuntimeError) as error:
            self.log.error("The kernel could not be brought back (%s); the rest is not run", error)
            self._deaths = self.max_restarts + 1
