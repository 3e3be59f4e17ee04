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
import ctypes
import ipaddress
import logging
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from economy.sweep import EXECUTORS
from economy.sweep.plan import RunSpec
from economy.sweep.task import ChunkResult, SweepContext, run_chunk

__all__ = ["EXECUTORS", "DaskExecutor", "Executor", "ExecutorError", "ProcessExecutor", "SerialExecutor",
           "check_scheduler_address", "make_executor"]
#: Chunks in flight per worker: enough to keep each busy while the main process stores results.
IN_FLIGHT_PER_WORKER = 2
#: Seconds to wait for a Dask scheduler to answer before giving up (a live one answers in well under 1 s).
CONNECT_TIMEOUT_S = 10
#: How often a worker process checks that the main process is still alive (the portable fallback).
PARENT_CHECK_S = 1.0
#: Protocols a scheduler address may name (Dask's network transports).
SCHEDULER_PROTOCOLS = ("tcp", "tls", "ws", "wss", "ucx")
_HOSTNAME = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?")
_ADDRESS_FORM = "give [tcp://]HOST:PORT, e.g. tcp://10.0.0.5:8786 (HOST a name or IP address, PORT 1-65535)"


class ExecutorError(Exception):
    """An executor that cannot start (e.g. no scheduler at the address); ``str()`` is for the user."""


def check_scheduler_address(address: str) -> str:
    """Return a Dask scheduler address if it is well formed, without connecting to it.

    Accepted: ``[PROTOCOL://]HOST:PORT`` with PROTOCOL one of :data:`SCHEDULER_PROTOCOLS`
    (default ``tcp``), HOST a host name, an IPv4 address or a bracketed IPv6 address,
    PORT 1-65535.

    Raises:
        ExecutorError: Saying what is wrong and what would be valid.

    Example:
        >>> check_scheduler_address("tcp://127.0.0.1:8786")
        'tcp://127.0.0.1:8786'
    """
    shown = repr(address)[:120]
    protocol, sep, rest = address.partition("://")
    if not sep:
        protocol, rest = "tcp", address
    if protocol not in SCHEDULER_PROTOCOLS:
        raise ExecutorError(f"--scheduler {shown}: unknown protocol {protocol!r} (known: {', '.join(SCHEDULER_PROTOCOLS)}); "
                            f"{_ADDRESS_FORM}")
    host, colon, port = rest.rpartition(":")
    if not colon:
        raise ExecutorError(f"--scheduler {shown}: no port; {_ADDRESS_FORM}")
    if not host:
        raise ExecutorError(f"--scheduler {shown}: no host; {_ADDRESS_FORM}")
    if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        raise ExecutorError(f"--scheduler {shown}: port {port!r} is not a number from 1 to 65535; {_ADDRESS_FORM}")
    if not _valid_host(host):
        raise ExecutorError(f"--scheduler {shown}: {host!r} is not a host name or IP address "
                            f"(an IPv6 address goes in brackets: [::1]); {_ADDRESS_FORM}")
    return address


def _valid_host(host: str) -> bool:
    if host.startswith("[") and host.endswith("]"):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return False
        return True
    if re.fullmatch(r"[0-9.]+", host):  # digits and dots only: must be an IPv4 address (so 256.1.1.1 is refused)
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return False
        return True
    return len(host) <= 253 and _HOSTNAME.fullmatch(host) is not None


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


def _init_worker(context: SweepContext, parent: int) -> None:
    """Runs once in each worker process: end with the main process, keep the study, leave Ctrl-C to it, warm imports."""
    global _WORKER_CONTEXT
    die_with_parent(parent)
    # Ctrl-C reaches the whole process group; the main process decides what stops, so a
    # worker finishes its chunk quietly instead of printing a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER_CONTEXT = context
    context.kit.warm()  # the kit's modules loaded now, not inside the first run's timing


def die_with_parent(parent: int) -> None:
    """Make this process end when ``parent`` (the process that started it) dies, even by SIGKILL.

    A killed main process cannot shut its pool down, and a worker blocked on its task
    queue would otherwise live on, holding memory and CPU. On Linux the kernel sends
    SIGKILL at the parent's death (``prctl(PR_SET_PDEATHSIG)``); everywhere a daemon
    thread checks every :data:`PARENT_CHECK_S` seconds that the parent is still there.
    The kernel's signal follows the parent *thread* that started the worker: the pool
    starts workers from the thread that submits chunks, the main thread here.

    Args:
        parent: The process id of the main process, as seen before the worker started.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass  # no prctl here: the watchdog below still ends the worker
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watchdog", daemon=True).start()


def _watch_parent(parent: int) -> None:
    # A dead parent's children are adopted by another process, so the parent id changes.
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)  # no cleanup: the main process that would receive the results is gone


def _run_in_worker(chunk: list[RunSpec]) -> ChunkResult:
    assert _WORKER_CONTEXT is not None, "worker not initialised"
    return run_chunk(_WORKER_CONTEXT, chunk)


class ProcessExecutor(Executor):
    """Local worker processes (``spawn``), each holding the study.

    Args:
        context: The study and the kit (model factory, metrics).
        workers: Number of processes.
    """

    name = "processes"

    def __init__(self, context: SweepContext, workers: int) -> None:
        """Start the pool (workers start lazily, on the first chunk)."""
        self.workers = workers
        self.started = False
        self.pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_init_worker, initargs=(context, os.getpid()))

    def imap(self, chunks: Iterable[list[RunSpec]]) -> Iterator[ChunkResult]:
        """Results of the chunks, in completion order."""
        return _windowed(self._submit, lambda fs: cf.wait(fs, return_when=cf.FIRST_COMPLETED),
                         chunks, IN_FLIGHT_PER_WORKER * self.workers)

    def _submit(self, chunk: list[RunSpec]) -> cf.Future:
        """Queue a chunk; the first one starts the workers, with Ctrl-C ignored from their very first instruction.

        A worker ignores SIGINT once initialised, but one still starting Python would
        print a traceback for a Ctrl-C sent to the process group; a process started
        while its parent ignores SIGINT keeps ignoring it (the main process handles it).
        """
        if self.started or threading.current_thread() is not threading.main_thread():
            return self.pool.submit(_run_in_worker, chunk)
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            return self.pool.submit(_run_in_worker, chunk)  # the pool starts all its processes at the first submit
        finally:
            self.started = True
            signal.signal(signal.SIGINT, previous)

    def close(self, cancel: bool = False) -> None:
        """Shut the pool down; with ``cancel`` drop queued chunks (running ones finish, then the workers exit)."""
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)  # a second call does nothing


# ---------------------------------------------------------------------------- dask
class DaskExecutor(Executor):
    """A Dask cluster: a new ``LocalCluster`` on 127.0.0.1, or the one at ``scheduler``.

    Args:
        context: The study and the kit (scattered to every worker once).
        workers: Workers of the local cluster (ignored with ``scheduler``).
        scheduler: Address of an existing scheduler, e.g. ``tcp://10.0.0.5:8786``.
        processes: Local cluster workers as processes (True) or threads of this process.
        scratch_parent: Where the local cluster's working folder (its lock files) is made:
            a new folder of its own in there (default: the system's temporary folder),
            removed on close. Only that folder, made by this object, is ever removed.

    Raises:
        ExecutorError: If the scheduler address is malformed or nothing answers there
            within :data:`CONNECT_TIMEOUT_S` seconds.
    """

    name = "dask"

    def __init__(self, context: SweepContext, workers: int, scheduler: str | None = None, processes: bool = True,
                 scratch_parent: Path | None = None) -> None:
        """Start or connect to the cluster and send it the study."""
        if scheduler:
            check_scheduler_address(scheduler)
        import dask
        from distributed import Client, LocalCluster

        self.cluster = None
        self.client = None
        self.scratch = None if scheduler else Path(tempfile.mkdtemp(prefix="dask-scratch-", dir=scratch_parent))
        where = {"local_directory": str(self.scratch)} if self.scratch else {}
        try:
            if scheduler:
                self.client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
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
        except (OSError, TimeoutError, ValueError) as err:
            self.close()
            where = f"the Dask scheduler at {scheduler}" if scheduler else "a local Dask cluster"
            raise ExecutorError(f"cannot reach {where} (waited up to {CONNECT_TIMEOUT_S} s): {err}; "
                                "check the address and that the scheduler is running; nothing was written") from None
        self.workers = max(1, sum(self.client.nthreads().values()))
        self.context = self.client.scatter(context, broadcast=True, hash=False)

    def imap(self, chunks: Iterable[list[RunSpec]]) -> Iterator[ChunkResult]:
        """Results of the chunks, in completion order."""
        from distributed import wait

        return _windowed(lambda c: self.client.submit(run_chunk, self.context, c, pure=False),
                         lambda fs: wait(list(fs), return_when="FIRST_COMPLETED"),
                         chunks, IN_FLIGHT_PER_WORKER * self.workers)

    def close(self, cancel: bool = False) -> None:
        """Disconnect; a local cluster is shut down, a remote one is left running. Safe to call twice."""
        client, cluster, scratch = self.client, self.cluster, self.scratch
        self.client = self.cluster = self.scratch = None
        try:
            if client is not None:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()
            if scratch is not None:  # the folder made by mkdtemp in __init__, nothing else
                shutil.rmtree(scratch, ignore_errors=True)


def make_executor(kind: str, context: SweepContext, workers: int, scheduler: str | None = None,
                  dask_processes: bool = True, scratch_parent: Path | None = None) -> Executor:
    """The executor called ``kind`` (one of :data:`EXECUTORS`).

    ``scratch_parent`` is where a local Dask cluster makes its working folder (default: the system's temporary folder).
    """
    if kind == "serial":
        return SerialExecutor(context)
    if kind == "processes":
        return ProcessExecutor(context, workers)
    if kind == "dask":
        return DaskExecutor(context, workers, scheduler, processes=dask_processes, scratch_parent=scratch_parent)
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
