"""Reading the results tables for the figures.

Helpers shared by several figures: quarter labels as strings, one entity's rows
aligned to the quarter axis, numeric columns with gaps as zero, entity titles and
short display names, the check that requested entities exist, the quarters of a
run across several tables, and the new defaults of each quarter.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..results import quarter_key, quarter_order


def _as_str_quarters(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with its ``quarter`` column as plain strings.

    Args:
        df: Table with a ``quarter`` column (string or Categorical).

    Returns:
        A copy whose ``quarter`` column holds strings.
    """
    return df.assign(quarter=df["quarter"].astype(str))


def _entity_frame(balance_sheets: pd.DataFrame, entity: str, quarters: Sequence[str]) -> pd.DataFrame:
    """One entity's rows indexed by quarter label, aligned to ``quarters``.

    Args:
        balance_sheets: The balance-sheets table.
        entity: Entity id.
        quarters: Quarter labels to align to (missing quarters become NaN rows).

    Returns:
        The entity's rows indexed by quarter.
    """
    rows = _as_str_quarters(balance_sheets[balance_sheets["entity"].astype(str) == entity])
    return rows.drop_duplicates("quarter", keep="last").set_index("quarter").reindex(list(quarters))


def _values(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A numeric column as a float array with NaN replaced by zero.

    Args:
        frame: Table (e.g. from :func:`_entity_frame`).
        column: Column name; a missing column gives zeros.

    Returns:
        Float array of length ``len(frame)``.
    """
    if column not in frame.columns:
        return np.zeros(len(frame))
    return pd.to_numeric(frame[column], errors="coerce").fillna(0.0).to_numpy(dtype=float)


def _numeric(df: pd.DataFrame, column: str) -> pd.Series:
    """A column as floats with missing or non-numeric values as zero.

    Args:
        df: Table.
        column: Column name; a missing column gives zeros.

    Returns:
        Float series aligned to ``df``.
    """
    if column not in df.columns:
        return pd.Series(0.0, index=df.index)
    return pd.to_numeric(df[column], errors="coerce").fillna(0.0).astype(float)


def _last_text(frame: pd.DataFrame, column: str, default: str) -> str:
    """The last non-empty text value of a column.

    Args:
        frame: Table.
        column: Column name.
        default: Value returned when there is none.

    Returns:
        The last non-empty value, as a string.
    """
    if column not in frame.columns:
        return default
    values = [str(v) for v in frame[column] if isinstance(v, str) and v.strip()]
    return values[-1] if values else default


def _entity_title(frame: pd.DataFrame, entity: str) -> str:
    """Panel title ``"Name (role)"`` for one entity.

    Args:
        frame: The entity's rows.
        entity: Entity id (used when no name is recorded).

    Returns:
        The title text.
    """
    name = _last_text(frame, "name", entity)
    role = _last_text(frame, "role", "")
    return f"{name} ({role})" if role else name


def _short_name(name: str, limit: int = 28) -> str:
    """A display name without its parenthesised detail, cut to ``limit`` characters.

    Args:
        name: Full entity name, e.g. ``"Alphabet (Google Cloud, TPU, Gemini)"``.
        limit: Longest result.

    Returns:
        E.g. ``"Alphabet"``.
    """
    short = name.split(" (")[0].strip() or name.strip()
    return short if len(short) <= limit else short[: limit - 1].rstrip() + "…"


def _name_map(balance_sheets: pd.DataFrame) -> dict[str, str]:
    """Short display name of every entity in the balance sheets.

    Args:
        balance_sheets: The balance-sheets table (a ``name`` column is optional).

    Returns:
        Entity id to short name (the id when no name is recorded).
    """
    if balance_sheets.empty or "entity" not in balance_sheets.columns:
        return {}
    last = balance_sheets.drop_duplicates("entity", keep="last")
    names = last["name"].astype(str) if "name" in last.columns else last["entity"].astype(str)
    return {str(e): _short_name(str(n) or str(e)) for e, n in zip(last["entity"], names, strict=True)}


def _check_entities(balance_sheets: pd.DataFrame, entities: Sequence[str]) -> None:
    """Raise if ``entities`` is empty or names entities absent from the data.

    Args:
        balance_sheets: The balance-sheets table.
        entities: Requested entity ids.

    Raises:
        ValueError: If no entities were requested or some are unknown.
    """
    if not entities:
        raise ValueError("no entities requested")
    known = set(balance_sheets["entity"].astype(str))
    missing = [e for e in entities if e not in known]
    if missing:
        raise ValueError(f"entities not in balance_sheets: {missing}")


def _run_quarters(*tables: pd.DataFrame) -> list[str]:
    """Quarter labels of several tables merged in chronological order.

    Args:
        tables: Tables with a ``quarter`` column (others are ignored).

    Returns:
        The distinct labels sorted by :func:`quarter_key` (unparseable labels last, in order of appearance).
    """
    seen: list[str] = []
    for df in tables:
        for q in quarter_order(df):
            if q and q not in seen:
                seen.append(q)

    def key(q: str) -> tuple[int, int]:
        try:
            return (0, quarter_key(q))
        except ValueError:
            return (1, seen.index(q))

    return sorted(seen, key=key)


def _default_counts(system: pd.DataFrame, cascade: pd.DataFrame, quarters: Sequence[str]) -> pd.Series:
    """New defaults per quarter: distinct entities in ``cascade``, else rises of ``system.defaults``.

    Args:
        system: The system table.
        cascade: The cascade table.
        quarters: Quarter labels to report.

    Returns:
        Count per quarter label, aligned to ``quarters``.
    """
    counts = pd.Series(0.0, index=list(quarters))
    if len(cascade):
        rows = _as_str_quarters(cascade)
        per = rows.groupby("quarter")["entity"].nunique()
        counts = counts.add(per.reindex(counts.index).fillna(0.0), fill_value=0.0)
    elif "defaults" in system.columns and len(system):
        sys_rows = _as_str_quarters(system)
        values = _numeric(sys_rows, "defaults").to_numpy(dtype=float)
        rises = np.clip(values - np.concatenate([[0.0], values[:-1]]), 0.0, None)
        per = pd.Series(rises, index=sys_rows["quarter"].to_numpy()).groupby(level=0).sum()
        counts = counts.add(per.reindex(counts.index).fillna(0.0), fill_value=0.0)
    return counts.reindex(list(quarters)).fillna(0.0)
