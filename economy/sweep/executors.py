"""Executors: where the chunks of a sweep run, serially, in local processes or on a Dask cluster.

Each executor takes chunks of runs and yields their results as they complete, in any
order; results are keyed by run id and stored sorted, so the rows are the same
whichever executor ran them and with however many workers. The study (base configs
included) goes to each worker once, not with every chunk, and at most a few chunks per
worker are in flight, so memory stays flat however long the sweep is.

* ``serial``: in this process, one chunk after another (debugging, tiny sweeps).
* ``processes``: a :class:`concurrent.futures.ProcessPoolExecutor` with the ``spawn``
  start method (safe with threads and the same on every platform).
* ``dask``: :mod:`dask.distributed`; a ``LocalCluster`` on 127.0.0.1 by default, or an
  existing cluster given by its scheduler address (workers must be able to import this
  project: start them from its folder or with it on ``PYTHONPATH``).
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import shutil
import signal
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from economy.sweep import EXECUTORS
from economy.sweep.plan import RunSpec
from economy.sweep.task import ChunkResult, SweepContext, run_chunk

__all__ = ["EXECUTORS", "DaskExecutor", "Executor", "ExecutorError", "ProcessExecutor", "SerialExecutor", "make_executor"]
#: Chunks in flight per worker: enough to keep each busy while the main process stores results.
IN_FLIGHT_PER_WORKER = 2


class ExecutorError(Exception):
    """An executor that cannot start (e.g. no scheduler at the address); ``str()`` is for the user."""


class Executor:
    """Runs chunks and yields their results as they complete; a context manager."""

    name = "executor"
    workers = 1

    def imap(self, chunks: Iterable[list[RunSpec]]) -> Iterator[ChunkResult]:
        """Results of the chunks, in completion order."""
        raise NotImplementedError

    def close(self, cancel: bool = False) -> None:
        """Release workers; with ``cancel``, drop chunks not yet started."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, kind: type | None, *_: Any) -> None:
        self.close(cancel=kind is not None)


class SerialExecutor(Executor):
    """Every chunk in this process, in order."""

    name = "serial"

    def __init__(self, context: SweepContext) -> None:
        """Keep the context."""
        self.context = context

    def imap(self, chunks: Iterable[list[RunSpec]]) -> Iterator[ChunkResult]:
        """Results of the chunks, in order."""
        for chunk in chunks:
            yield run_chunk(self.context, chunk)


# ---------------------------------------------------------------------------- local processes
_WORKER_CONTEXT: SweepContext | None = None


def _init_worker(context: SweepContext) -> None:
    """Runs once in each worker process: keep the study, leave Ctrl-C to the main process, warm imports."""
    global _WORKER_CONTEXT
    # Ctrl-C reaches the whole process group; the main process decides what stops, so a
    # worker finishes its chunk quietly instead of printing a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER_CONTEXT = context
    import analysis.summary  # noqa: F401 - loaded now, not inside the first run's timing
    import model  # noqa: F401


def _run_in_worker(chunk: list[RunSpec]) -> ChunkResult:
    assert _WORKER_CONTEXT is not None, "worker not initialised"
    return run_chunk(_WORKER_CONTEXT, chunk)


class ProcessExecutor(Executor):
    """Local worker processes (``spawn``), each holding the study.

    Args:
        context: The study and model factory.
        workers: Number of processes.
    """

    name = "processes"

    def __init__(self, context: SweepContext, workers: int) -> None:
        """Start the pool (workers start lazily, on the first chunk)."""
        self.workers = workers
        self.pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_init_worker, initargs=(context,))

    def imap(self, chunks: Iterable[list[RunSpec]]) -> Iterator[ChunkResult]:
        """Results of the chunks, in completion order."""
        return _windowed(lambda c: self.pool.submit(_run_in_worker, c),
                         lambda fs: cf.wait(fs, return_when=cf.FIRST_COMPLETED),
                         chunks, IN_FLIGHT_PER_WORKER * self.workers)

    def close(self, cancel: bool = False) -> None:
        """Shut the pool down; with ``cancel`` drop queued chunks (running ones finish, then the workers exit)."""
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)


# ---------------------------------------------------------------------------- dask
class DaskExecutor(Executor):
    """A Dask cluster: a new ``LocalCluster`` on 127.0.0.1, or the one at ``scheduler``.

    Args:
        context: The study and model factory (scattered to every worker once).
        workers: Workers of the local cluster (ignored with ``scheduler``).
        scheduler: Address of an existing scheduler, e.g. ``tcp://10.0.0.5:8786``.
        processes: Local cluster workers as processes (True) or threads of this process.
        scratch: The local cluster's working folder (its lock files), removed on close;
            default Dask's own (``dask-scratch-space`` in the system's temporary folder).
    """

    name = "dask"

    def __init__(self, context: SweepContext, workers: int, scheduler: str | None = None, processes: bool = True,
                 scratch: Path | None = None) -> None:
        """Start or connect to the cluster and send it the study."""
        import dask
        from distributed import Client, LocalCluster

        self.cluster = None
        self.scratch = None if scheduler else scratch
        where = {"local_directory": str(self.scratch)} if self.scratch else {}
        try:
            if scheduler:
                self.client = Client(scheduler, timeout="15s")
            else:
                # Nothing listens beyond loopback: worker processes talk over TCP on 127.0.0.1 (thread
                # workers use the in-process transport), and the HTTP endpoints every scheduler and
                # worker opens bind 127.0.0.1 on a free port, never 0.0.0.0:8787.
                network = {"host": "127.0.0.1"} if processes else {}
                # Every Dask server (the scheduler too) makes a working folder; all of them go in scratch.
                with dask.config.set({"temporary-directory": str(self.scratch)} if self.scratch else {}):
                    self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                                                dashboard_address="127.0.0.1:0", worker_dashboard_address="127.0.0.1:0",
                                                silence_logs=logging.ERROR, **network, **where)
                self.client = Client(self.cluster)
        except (OSError, TimeoutError) as err:
            if self.cluster is not None:
                self.cluster.close()
            raise ExecutorError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None
        self.workers = max(1, sum(self.client.nthreads().values()))
        self.context = self.client.scatter(context, broadcast=True, hash=False)

    def imap(self, chunks: Iterable[list[RunSpec]]) -> Iterator[ChunkResult]:
        """Results of the chunks, in completion order."""
        from distributed import wait

        return _windowed(lambda c: self.client.submit(run_chunk, self.context, c, pure=False),
                         lambda fs: wait(list(fs), return_when="FIRST_COMPLETED"),
                         chunks, IN_FLIGHT_PER_WORKER * self.workers)

    def close(self, cancel: bool = False) -> None:
        """Disconnect; a local cluster is shut down, a remote one is left running."""
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()
            if self.scratch is not None:
                shutil.rmtree(self.scratch, ignore_errors=True)


def make_executor(kind: str, context: SweepContext, workers: int, scheduler: str | None = None,
                  dask_processes: bool = True, scratch: Path | None = None) -> Executor:
    """The executor called ``kind`` (one of :data:`EXECUTORS`); ``scratch`` is a local Dask cluster's working folder."""
    if kind == "serial":
        return SerialExecutor(context)
    if kind == "processes":
        return ProcessExecutor(context, workers)
    if kind == "dask":
        return DaskExecutor(context, workers, scheduler, processes=dask_processes, scratch=scratch)
    raise ValueError(f"unknown executor {kind!r}; choose one of {', '.join(EXECUTORS)}")


def _windowed(submit: Callable[[list[RunSpec]], Any], wait_first: Callable[[set], tuple[set, set]],
              chunks: Iterable[list[RunSpec]], window: int) -> Iterator[ChunkResult]:
    """Keep at most ``window`` chunks in flight; yield each result as it completes.

    A chunk that raised as a whole (not a run: runs record their own errors) re-raises
    here, e.g. a worker process that died.
    """
    source = iter(chunks)
    pending: set = set()

    def fill() -> None:
        while len(pending) < window:
            chunk = next(source, None)
            if chunk is None:
                return
            pending.add(submit(chunk))

    fill()
    while pending:
        done, _ = wait_first(pending)
        pending.difference_update(done)
        fill()  # before yielding: the workers stay busy while the caller stores results
        for future in done:
            yield future.result()
