"""What a worker does: make the runs of a chunk and turn each into a stored row.

A run is the model built from its scenario's base config with the spec's ``fixed``
values and its parameters' values (the kit's factory: ``AIFinanceModel(config=...,
seed=..., quarters=..., overrides=...)``, the same call a user makes to re-run it),
stepped to the end and summarised by the kit's metrics (:func:`analysis.summary.run_metrics`).
Both come in the :class:`~economy.sweep.kit.StudyKit`, so this module imports neither.
A run that raises is recorded with its parameters, seed and error, and the chunk goes on.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from economy.sweep.kit import StudyKit
from economy.sweep.plan import RunSpec
from economy.sweep.spec import Study

#: Longest error text kept per failed run (a config error lists every problem).
MAX_ERROR_CHARS = 4000


@dataclass(frozen=True)
class SweepContext:
    """Everything a worker needs besides the runs: sent once per worker, not per chunk.

    Attributes:
        study: The loaded study (base configs included, so workers need no files).
        kit: The model factory, metrics and release hook (tests pass a factory that fails on purpose).
    """

    study: Study
    kit: StudyKit


@dataclass
class ChunkResult:
    """The stored form of a chunk of runs.

    Attributes:
        run_ids: The runs, in order.
        runs: One row per run: ids, seed, parameters, status, metrics, error.
        timeseries: The system table per quarter of each successful run (if kept).
        entities: Chosen balance-sheet rows per quarter of each successful run (if kept).
        failed: How many runs raised.
    """

    run_ids: list[int]
    runs: pa.Table
    timeseries: pa.Table | None
    entities: pa.Table | None
    failed: int


def id_columns(study: Study) -> list[str]:
    """The columns in front of every stored row, the parameters included."""
    return ["run_id"] + (["scenario"] if study.has_scenarios else []) + ["point_id", "replication", "seed"] + study.spec.names


def parameter_types(study: Study) -> dict[str, pa.DataType]:
    """The Arrow type of each parameter column, fixed by the spec so every chunk agrees."""
    out: dict[str, pa.DataType] = {}
    for name, p in study.spec.parameters.items():
        if p.labelled:
            out[name] = pa.string()
        elif p.values is not None:
            kinds = {type(v) for v in p.values}
            out[name] = (pa.bool_() if kinds == {bool} else pa.string() if kinds == {str}
                         else pa.int64() if kinds == {int} else pa.float64())
        else:
            out[name] = pa.int64() if study.integer.get(name) and p.mode == "set" else pa.float64()
    return out


def run_one(ctx: SweepContext, run: RunSpec) -> tuple[dict[str, Any], Any, Any]:
    """Make one run.

    Returns:
        ``(metrics, system, entities)``: the run's metrics plus ``status`` (and ``error``
        if it raised); its system table and chosen balance-sheet rows if the spec keeps them.
    """
    from economy.records import frames

    study, kit = ctx.study, ctx.kit
    model = None
    try:
        model = kit.model_factory(config=study.scenarios[run.scenario], seed=run.seed, quarters=study.spec.quarters,
                                  overrides=study.overrides(run.scenario, run.params) or None)
        model.run()
        tables = frames(model)
        metrics = kit.metrics(tables, study.lab)
    except Exception as err:  # noqa: BLE001 - any failure of a run is data, not a reason to stop the sweep
        return {"status": "failed", "error": _error_text(err)}, None, None
    finally:
        if model is not None:
            # e.g. Mesa 3.3.1 keeps every model alive in a class-level table of agent-id counters
            # (mesa.Agent._ids; mesa/mesa#3179): a worker making thousands of runs would otherwise
            # grow by about 2 MB a run. The kit's factory side knows how to let one go.
            kit.release(model)
    clash = set(metrics) & (set(study.spec.names) | {"status", "error"})
    if clash:
        raise ValueError(f"parameter name(s) {sorted(clash)} clash with metric columns; rename them in the spec")
    out = study.spec.outputs
    system = tables["system"] if out.timeseries else None
    entities = None
    if out.entities:
        bs = tables["balance_sheets"]
        entities = bs.loc[bs.entity.isin(out.entities), ["quarter", "entity", *out.entity_columns]]
    return {"status": "ok", **metrics}, system, entities


def run_chunk(ctx: SweepContext, runs: list[RunSpec]) -> ChunkResult:
    """Make a chunk of runs and pack them as Arrow tables (in the worker, to spare the main process)."""
    import pandas as pd

    rows, systems, entities = [], [], []
    for run in runs:
        metrics, system, ent = run_one(ctx, run)
        rows.append((run, metrics))
        if system is not None:
            systems.append((run, system))
        if ent is not None:
            entities.append((run, ent))
    failed = sum(1 for _, m in rows if m["status"] == "failed")

    def long(parts: list) -> pa.Table | None:
        if not parts:
            return None
        body = pa.Table.from_pandas(pd.concat([df for _, df in parts], ignore_index=True), preserve_index=False)
        return _prepend_ids(ctx.study, body, [(run, len(df)) for run, df in parts])

    return ChunkResult(run_ids=[r.run_id for r in runs], runs=_runs_table(ctx.study, rows),
                       timeseries=long(systems), entities=long(entities), failed=failed)


def _runs_table(study: Study, rows: list[tuple[RunSpec, dict]]) -> pa.Table:
    """One row per run: typed id and parameter columns, then status, the metrics (types inferred), error."""
    ids = _prepend_ids(study, pa.table({}), [(run, 1) for run, _ in rows])
    metric_names: list[str] = []
    for _, m in rows:
        metric_names += [k for k in m if k not in metric_names and k != "error"]
    columns = {name: pa.array([m.get(name) for _, m in rows]) for name in metric_names}
    columns["error"] = pa.array([m.get("error") for _, m in rows], type=pa.string())
    for name, arr in columns.items():
        ids = ids.append_column(name, arr)
    return ids


def _prepend_ids(study: Study, body: pa.Table, counts: list[tuple[RunSpec, int]]) -> pa.Table:
    """Put the run's id, scenario, point, replication, seed and parameters in front of each of its rows."""
    types = parameter_types(study)

    def repeat(values: list, n: list[int]) -> list:
        return [v for v, k in zip(values, n, strict=True) for _ in range(k)]

    n = [k for _, k in counts]
    runs = [r for r, _ in counts]
    cols: dict[str, pa.Array] = {"run_id": pa.array(repeat([r.run_id for r in runs], n), type=pa.int64())}
    if study.has_scenarios:
        cols["scenario"] = pa.array(repeat([r.scenario for r in runs], n), type=pa.string())
    cols["point_id"] = pa.array(repeat([r.point_id for r in runs], n), type=pa.int64())
    cols["replication"] = pa.array(repeat([r.replication for r in runs], n), type=pa.int64())
    cols["seed"] = pa.array(repeat([r.seed for r in runs], n), type=pa.int64())
    for name in study.spec.names:
        cols[name] = pa.array(repeat([r.params[name] for r in runs], n), type=types[name])
    for name in body.column_names:
        cols[name] = body.column(name)
    return pa.table(cols)


def _error_text(err: BaseException) -> str:
    """The error's type and message, and where it was raised (the innermost frame)."""
    frames = traceback.extract_tb(err.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name})" if frames else ""
    return f"{type(err).__name__}: {err}{where}"[:MAX_ERROR_CHARS]
