"""Loading a parameter study: one function turns a sweep folder into a pandas DataFrame.

>>> runs = load_sweep("results/sweeps/smoke")                      # doctest: +SKIP
>>> runs.groupby("demand_growth").systemic_event.mean()           # doctest: +SKIP

Rows are sorted by ``run_id`` and carry ``seed`` and the run's parameters; ``status``
says ``ok`` or ``failed`` (then ``error`` holds the message and the metrics are empty).
Metric columns with gaps use pandas' nullable types (``boolean``, ``Int64``), so a
failed run never turns ``systemic_event`` into an object column.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa

TABLES = ("runs", "timeseries", "entities", "design")


def load_sweep(folder: str | Path, table: str = "runs") -> pd.DataFrame:
    """A sweep folder's stored rows as one DataFrame, sorted by run id.

    Args:
        folder: The folder ``run.py sweep`` (or ``compare``) wrote.
        table: ``runs`` (one row per run), ``timeseries`` (the system table per run and
            quarter), ``entities`` (chosen balance-sheet rows per run and quarter) or
            ``design`` (one row per design point with unit-cube positions ``unit:<name>``).

    Raises:
        FileNotFoundError: If the folder is not a sweep folder or has no such table.
        economy.sweep.storage.DamagedSweepError: If a stored file is truncated or garbled
            (the message names it and says what to do; nothing is changed).
    """
    from economy.sweep.storage import MANIFEST, SweepStore, read_parquet

    folder = Path(folder)
    if table not in TABLES:
        raise ValueError(f"table must be one of {', '.join(TABLES)}; got {table!r}")
    if not (folder / MANIFEST).is_file():
        raise FileNotFoundError(f"{folder}: not a sweep folder (no {MANIFEST})")
    if table == "design":
        return _to_pandas(read_parquet(folder / "design.parquet"))
    data = SweepStore(folder).read(table)
    if data is None:
        why = " (the spec did not keep them: outputs.timeseries / outputs.entities)" if table != "runs" else " yet"
        raise FileNotFoundError(f"{folder}: no {table} stored{why}")
    return _to_pandas(data)


def sweep_manifest(folder: str | Path) -> dict:
    """The manifest of a sweep folder (spec, parameters, lab, code version), checked to be whole.

    Raises:
        economy.sweep.storage.StorageError: If there is none or it is another program's.
        economy.sweep.storage.DamagedSweepError: If it is truncated, garbled or lacks a field.
    """
    from economy.sweep.storage import read_manifest

    return read_manifest(folder)


def parameter_names(manifest: dict) -> list[str]:
    """The parameter columns of a sweep, in spec order."""
    return list(manifest.get("parameters", {}))


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow to pandas, with nullable dtypes for true/false and whole-number columns that have gaps."""
    df = table.to_pandas()
    for name, column in zip(table.column_names, table.columns, strict=True):
        if column.null_count and pa.types.is_boolean(column.type):
            df[name] = pd.array(column.to_pylist(), dtype="boolean")
        elif column.null_count and pa.types.is_integer(column.type):
            df[name] = pd.array(column.to_pylist(), dtype="Int64")
    return df
