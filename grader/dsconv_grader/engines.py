"""Where the per-student jobs run: here, in local worker processes, or on a Dask cluster.

Every engine runs the same function, `job.grade_job`, on the same plain-data
`Job`s, so a class graded in parallel or on a cluster gets exactly the grades
of a serial run. An engine yields (job index, Result) as jobs finish.

- `SerialEngine`: one after the other, in this process.
- `ProcessEngine(n)`: n local worker processes (`--jobs n`, default the number
  of cores). A job whose worker dies is retried alone in a fresh worker; if it
  kills that one too, the student gets a failure that says so.
- `DaskEngine(address)`: the jobs go to a running Dask scheduler
  (`--dask tcp://host:8786`), whose workers need the same Python environment
  (the checkout's requirements.txt: dsconv_lib and this package); `DaskEngine.local(n)` starts a
  local cluster of n worker processes, as the tests do. Dask is what
  universities' HPC and JupyterHub deployments already run (dask-jobqueue
  for SLURM/PBS, dask-kubernetes, dask-gateway).
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Iterator, Optional, Protocol

from .job import Job, Result, grade_job


class Engine(Protocol):
    """What runs jobs: yields (job index, Result) for every job, in the order they finish."""

    def run(self, jobs: list[Job]) -> Iterator[tuple[int, Result]]: ...


def _died(job: Job, why: str) -> Result:
    return Result(job.student_id, job.assignment_id, job.original, notebook=job.notebook,
                  problems=[f"the grading process died ({why}); nothing of this submission was graded"])


class SerialEngine:
    """Every job in this process, one after the other."""

    def run(self, jobs: list[Job]) -> Iterator[tuple[int, Result]]:
        for index, job in enumerate(jobs):
            yield index, grade_job(job)


class ProcessEngine:
    """Jobs on `workers` local processes (forked, so they start without re-importing nbgrader)."""

    def __init__(self, workers: Optional[int] = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)

    def run(self, jobs: list[Job]) -> Iterator[tuple[int, Result]]:
        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        retry = []
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=context) as pool:
            pending = {pool.submit(grade_job, job): index for index, job in enumerate(jobs)}
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    index = pending.pop(future)
                    try:
                        yield index, future.result()
                    except BrokenProcessPool:
                        retry.append(index)
                    except Exception as error:  # grade_job catches its own; this is the pool's
                        yield index, _died(jobs[index], f"{type(error).__name__}: {error}")
        for index in retry:  # alone, so that a job that kills its worker harms no other
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                try:
                    yield index, pool.submit(grade_job, jobs[index]).result()
                except BrokenProcessPool:
                    yield index, _died(jobs[index], "its worker process ended abruptly, twice")


class DaskEngine:
    """Jobs on a Dask cluster: `DaskEngine("tcp://scheduler:8786")`, or `DaskEngine.local(n)`."""

    def __init__(self, address: Optional[str] = None, client=None) -> None:
        try:
            from dask.distributed import Client
        except ImportError as error:
            raise ImportError("--dask needs Dask: pip install 'dask[distributed]'") from error
        self.client = client if client is not None else Client(address)
        self.cluster = None

    @classmethod
    def local(cls, workers: int) -> "DaskEngine":
        """A local cluster of `workers` single-threaded worker processes (closed by `close`)."""
        from dask.distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        engine = cls(client=Client(cluster))
        engine.cluster = cluster
        return engine

    def run(self, jobs: list[Job]) -> Iterator[tuple[int, Result]]:
        from dask.distributed import as_completed

        futures = {self.client.submit(grade_job, job, pure=False, retries=1): index
                   for index, job in enumerate(jobs)}
        for future in as_completed(futures):
            index = futures[future]
            try:
                yield index, future.result()
            except Exception as error:  # KilledWorker and the like
                yield index, _died(jobs[index], f"{type(error).__name__}: {str(error).splitlines()[0][:200]}")

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
