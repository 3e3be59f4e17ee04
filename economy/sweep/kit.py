"""What a study needs from the layers above ``economy``, handed in rather than imported.

``economy`` imports neither Mesa, agents, the model nor the analysis
(``tests/test_architecture.py``), yet a sweep must build models, summarise their runs
and, for ``analyze`` and ``compare``, write reports. A :class:`StudyKit` carries those
pieces: the composition root that may import everything (``run.study_kit()``) builds
one and passes it to :func:`economy.sweep.cli.dispatch`, which hands it to the runner,
the executors and every task. Workers receive it pickled with the study, so every field
is a top-level function or class (pickled by name) or a plain value.

>>> kit = StudyKit(model_factory=dict, summarize=dict, run_metrics=dict, metric_names=("defaults",))
>>> kit.for_workers() == kit
True
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

__all__ = ["StudyKit", "StudyReports", "keep_model", "metric_names_of"]


def keep_model(model: Any) -> None:
    """A release hook that does nothing: for factories whose models need no help to be freed."""


@dataclass(frozen=True)
class StudyReports:
    """The analysis functions the ``analyze`` and ``compare`` commands call.

    Attributes:
        write_report: ``write_report(folder, metrics, out=...) -> Path``: a sweep folder's report.
        report_error: The exception ``write_report`` raises for a folder it refuses (its ``str()`` is for the user).
        load_sweep: ``load_sweep(folder, table="runs") -> DataFrame``: a table of a sweep folder.
        sweep_manifest: ``sweep_manifest(folder) -> dict``: a sweep folder's manifest.
        fan_chart: ``fan_chart(timeseries, columns, by, title=...) -> Figure``: median and 5-95% bands.
        key_series: The system series a comparison draws.
        key_metrics: ``key_metrics(runs, lab) -> list[str]``: the metrics a comparison shows.
        describe_metrics: ``describe_metrics(runs, metrics, by) -> DataFrame``: median and 5-95% per group.
        comparison_table: ``comparison_table(described, by) -> DataFrame``: the side-by-side table printed.
    """

    write_report: Callable[..., Path]
    report_error: type[Exception]
    load_sweep: Callable[..., Any]
    sweep_manifest: Callable[..., dict]
    fan_chart: Callable[..., Any]
    key_series: tuple[str, ...]
    key_metrics: Callable[..., list[str]]
    describe_metrics: Callable[..., Any]
    comparison_table: Callable[..., Any]


@dataclass(frozen=True)
class StudyKit:
    """The model factory, the metrics and the report functions a study runs with.

    Attributes:
        model_factory: Builds a model from ``config, seed, quarters, overrides`` keywords;
            the model has ``run()``, and :func:`economy.records.frames` reads it.
        summarize: ``summarize(tables, labs) -> dict``: a run's summary from its tables.
        run_metrics: ``run_metrics(summary, lab=...) -> dict``: the flat per-run metrics kept.
        metric_names: The metric columns a run keeps (a spec may not name a parameter so).
        release: Called with every model once its run is over, finished or failed (e.g. to
            drop it from a framework's registry so it can be freed).
        preload: Modules a worker imports when it starts, so the first run is not slowed by them.
        reports: What ``analyze`` and ``compare`` need; None where only runs are made
            (workers are sent the kit without it, see :meth:`for_workers`).
        results: The folder ``sweep`` and ``compare`` write into when given no ``--out``
            (``<results>/sweeps/<name>``, ``<results>/compare/<title>``); None: the project's
            ``results/`` beside the ``economy`` package.
    """

    model_factory: Callable[..., Any]
    summarize: Callable[..., dict]
    run_metrics: Callable[..., dict]
    metric_names: tuple[str, ...]
    release: Callable[[Any], None] = keep_model
    preload: tuple[str, ...] = ()
    reports: StudyReports | None = None
    results: Path | None = None

    def metrics(self, tables: dict[str, Any], lab: str) -> dict[str, Any]:
        """The metrics of one run from its tables, for the lab the study follows."""
        return self.run_metrics(self.summarize(tables, [lab]), lab=lab)

    def for_workers(self) -> StudyKit:
        """The kit without the report functions: what a worker needs (unpickling those would load plotting)."""
        return self if self.reports is None else replace(self, reports=None)

    def warm(self) -> None:
        """Import the :attr:`preload` modules (by name: ``economy`` never imports them itself)."""
        for name in self.preload:
            importlib.import_module(name)


class _EmptySummary(dict):
    """A run summary with nothing in it: any field reads as an empty mapping (len 0, ``.get`` gives the default)."""

    def __missing__(self, key: str) -> dict:
        return {}


def metric_names_of(run_metrics: Callable[..., dict]) -> tuple[str, ...]:
    """The metric columns ``run_metrics`` gives, found by asking it about an empty summary (empty if it cannot say).

    Example:
        >>> metric_names_of(lambda summary, lab="openai": {"defaults": summary["defaults"], f"{lab}_burn": 0})
        ('defaults', 'openai_burn')
    """
    try:
        return tuple(run_metrics(_EmptySummary()))
    except (KeyError, TypeError, ValueError, AttributeError):
        return ()  # the metric set changed shape; the row builder still refuses a clash
