"""Drawing a run's figures in worker processes, started before they are needed.

Drawing is most of a run's time (matplotlib spends 0.1-0.5 s on each figure, and
importing it another half second), so ``run.py run`` makes a :class:`FigurePlan` as
soon as its input is checked: it forks two worker processes that import matplotlib and
load their fonts while the model runs. Once the tables are written, :func:`start_figures`
hands each figure to the workers, the slowest first, and the main process writes the
rest of the results (the HTML report) meanwhile; :meth:`PendingFigures.wait` returns
the files. Every figure is drawn from the CSV files in the run's folder by the same code
in whichever process, so the files are byte for byte those drawn serially (the tests
check it). Without a plan, or with ``processes=0``, figures are drawn in the calling
process.

This module imports no matplotlib (the figures package is imported by the workers,
and here only inside functions that draw), so a run's main process never loads it.

Functions and classes:
    FigurePlan: the figure set and the worker processes of one run, as a context manager.
    start_figures / PendingFigures: queue a set's figures of a run folder; wait for the files.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextvars import ContextVar, Token
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .results import Results

log = logging.getLogger(__name__)

#: The figure sets a run can draw, cheapest first (what each holds: :mod:`analysis.figures.render`).
FIGURE_SETS: tuple[str, ...] = ("none", "standard", "all")
#: Worker processes a plan starts by default (the machines this is run on have two cores or more).
WORKERS = 2
#: The standard set's file stems, in order (as :data:`analysis.figures.STANDARD_FIGURE_NAMES`; a test checks).
STANDARD_FIGURE_NAMES: tuple[str, ...] = (
    "balance_sheets",
    "lab_revenue_vs_compute",
    "debt_buildup",
    "contract_web_start",
    "contract_web_end",
    "default_timeline",
    "losses_by_channel",
    "spreads_and_sentiment",
    "contract_web_worst",
)
# the most expensive figures first, so that two workers finish at about the same time
_COST_ORDER = ("balance_sheets", "spreads_and_sentiment", "contract_web", "money_loop")


def start_figures(folder: str | Path, out_dir: str | Path, which: str | None = None,
                  workers: FigurePlan | None = None) -> PendingFigures:
    """Like :func:`render_figures`, but return at once, while the workers draw (if there are any).

    The caller can do other work (the HTML report's tables, say) and then call
    :meth:`PendingFigures.wait`.
    """
    plan = workers or FigurePlan.active()
    which = which or (plan.which if plan else "standard")
    if which not in FIGURE_SETS:
        raise ValueError(f"figure set {which!r}: choose from {', '.join(FIGURE_SETS)}")
    folder, out = Path(folder), Path(out_dir)
    if which == "none":
        return PendingFigures(folder, which, out, [])
    # the standard set is known without reading the tables: each worker skips what the run has no data for
    names = list(STANDARD_FIGURE_NAMES) if which == "standard" else _names(str(folder), which, plan)
    out.mkdir(parents=True, exist_ok=True)
    jobs = [(name, out / f"{name}.png") for name in names]
    pending = PendingFigures(folder, which, out, jobs)
    if plan is not None and plan._pool is not None:
        try:
            pending.futures = plan._submit(folder, which, jobs)
            return pending
        except BrokenProcessPool:
            log.warning("the figure workers stopped; drawing the figures in this process")
            plan.close()
    pending.done = [_draw_if_due(str(folder), which, name, str(path)) for name, path in jobs]
    return pending


class PendingFigures:
    """Figures being drawn (or drawn already): :meth:`wait` returns the files once all are written."""

    def __init__(self, folder: Path, which: str, out: Path, jobs: list[tuple[str, Path]]) -> None:
        self.folder, self.which, self.out, self.jobs = folder, which, out, jobs
        self.futures: list[Future] | None = None
        self.done: list[str | None] = []
        self._started = time.perf_counter()

    def wait(self) -> list[Path]:
        """Block until every figure is drawn; return the files written, in the order of :func:`figure_names`.

        A figure whose worker stopped (killed, say) is drawn in this process instead, so a
        run never fails for want of a worker; an error drawing a figure is raised as is.
        """
        if self.futures is not None:
            self.done = [self._result(future, name, path)
                         for future, (name, path) in zip(self.futures, self.jobs, strict=True)]
            self.futures = None
        drawn = {d for d in self.done if d}
        if self.jobs and not drawn and self.out.is_dir() and not any(self.out.iterdir()):
            self.out.rmdir()  # no figure had data: leave no empty folder behind
        paths = [path for _, path in self.jobs if str(path) in drawn]
        if paths:
            log.debug("drew %d figures in %.2f s", len(paths), time.perf_counter() - self._started)
        return paths

    def _result(self, future: Future, name: str, path: Path) -> str | None:
        try:
            return future.result()
        except BrokenProcessPool:
            log.warning("a figure worker stopped; drawing %s in this process", name)
            return _draw_if_due(str(self.folder), self.which, name, str(path))


class FigurePlan:
    """The figure set of one run and the processes that draw it, started as soon as the plan is made.

    Use it as a context manager around the simulation and the writing of results:
    :func:`render_figures` called inside the block uses it. The processes are forked on
    Linux (they inherit what is imported so far and import matplotlib while the model
    runs) and spawned elsewhere; with ``processes=0``, or for the set ``none``, no
    process is started and figures are drawn in the calling process.

    Example:
        >>> with FigurePlan("none") as plan:                    # doctest: +SKIP
        ...     render_figures("results/baseline", "/tmp/figures")
        []
    """

    _current: ContextVar[FigurePlan | None] = ContextVar("figure_plan", default=None)

    def __init__(self, which: str = "standard", processes: int = WORKERS) -> None:
        if which not in FIGURE_SETS:
            raise ValueError(f"figure set {which!r}: choose from {', '.join(FIGURE_SETS)}")
        self.which = which
        self.processes = 0 if which == "none" else max(0, min(processes, os.cpu_count() or 1))
        if self.processes == 1:
            self.processes = 0  # one worker beside an idle main process gains nothing
        self._pool: ProcessPoolExecutor | None = None
        self._token: Token | None = None
        if self.processes:
            sys.stdout.flush()  # a forked child would otherwise write what is still buffered a second time
            sys.stderr.flush()
            context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
            try:
                # one worker warms up at a time, so the two leave the main process a core while it imports and
                # runs the model
                self._pool = ProcessPoolExecutor(self.processes, mp_context=context, initializer=_warm_up,
                                                 initargs=(context.Lock(),))
                for _ in range(self.processes):
                    self._pool.submit(int)  # a no-op: the processes start now, not when the first figure is due
            except (OSError, AssertionError, RuntimeError) as err:  # no processes here (a daemon, a limit): draw here
                log.debug("figures drawn in this process: cannot start workers (%s)", err)
                self.close()
                self.processes = 0

    @classmethod
    def active(cls) -> FigurePlan | None:
        """The plan of the enclosing ``with`` block, if any."""
        return cls._current.get()

    def __enter__(self) -> FigurePlan:
        self._token = self._current.set(self)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            self._current.reset(self._token)
            self._token = None
        self.close()

    def close(self) -> None:
        """Stop the worker processes (figures not yet drawn are cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _submit(self, folder: Path, which: str, jobs: Sequence[tuple[str, Path]]) -> list[Future]:
        """Queue each ``(name, path)`` for the workers, the slow kinds first; the futures in the order of ``jobs``."""
        assert self._pool is not None
        futures = {name: self._pool.submit(_draw_if_due, str(folder), which, name, str(path))
                   for name, path in sorted(jobs, key=lambda job: _cost_rank(job[0]))}
        return [futures[name] for name, _ in jobs]


def _cost_rank(name: str) -> int:
    """Where a figure goes in the queue: the slow kinds first."""
    return next((i for i, prefix in enumerate(_COST_ORDER) if name.startswith(prefix)), len(_COST_ORDER))


_loaded: dict[tuple[str, int, int], Results] = {}


def _results(folder: str) -> Results:
    """The run's tables, read once per process (keyed by the file's identity, so a rewritten folder is read again)."""
    stat = os.stat(os.path.join(folder, "balance_sheets.csv"))
    key = (folder, stat.st_mtime_ns, stat.st_size)
    if key not in _loaded:
        _loaded.clear()
        from .results import load_results

        _loaded[key] = load_results(folder)
    return _loaded[key]


def _names(folder: str, which: str, plan: FigurePlan | None) -> list[str]:
    """The names of a set's figures for a run, worked out by a worker if there are any (it has matplotlib loaded)."""
    if plan is not None and plan._pool is not None:
        try:
            return plan._pool.submit(_figure_names, folder, which).result()
        except BrokenProcessPool:
            plan.close()
    return _figure_names(folder, which)


def _figure_names(folder: str, which: str) -> list[str]:
    from .figures.render import figure_names

    return figure_names(_results(folder), which)


def _draw_if_due(folder: str, which: str, name: str, path: str) -> str | None:
    """Draw figure ``name`` of the run in ``folder`` into ``path`` if the set has it for this run; return the path."""
    from .figures.render import build_figure, figure_names
    from .figures.standard import save_figure

    started = time.perf_counter()
    results = _results(folder)
    if name not in figure_names(results, which):
        return None
    save_figure(build_figure(results, name), Path(path))
    log.debug("figure %s: %.2f s (process %d)", name, time.perf_counter() - started, os.getpid())
    return path


def _warm_up(one_at_a_time) -> None:
    """Load what every figure needs (matplotlib, fonts, text layout, the PNG writer) before the first one is due.

    Args:
        one_at_a_time: A lock the workers take in turn, so that they warm up one after the other.
    """
    import io

    with one_at_a_time:
        from .figures.style import _new_figure

        fig = _new_figure(2.0, 1.0)
        ax = fig.add_subplot()
        ax.set_title("Warm-up", fontweight="bold")
        ax.plot([0, 1], [0, 1], label="line")
        ax.legend()
        fig.savefig(io.BytesIO(), format="png")
