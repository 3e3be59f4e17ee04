"""Load the tidy CSV tables a simulation run writes into its results folder.

A run writes ``balance_sheets.csv``, ``contracts.csv``, ``contract_flows.csv``,
``system.csv`` and ``events.csv``, the contagion tables ``cascade.csv`` (who
defaulted through which channel), ``channels.csv`` (every loss or refusal a
channel carried) and ``losses.csv`` (losses written off by holders), the flow table
``payments.csv`` (every payment between two holders), plus, optionally,
``summary.json`` into one folder. :func:`load_results` reads them into
a :class:`Results` bundle of pandas DataFrames; folders written before the
contagion tables or the payments existed load with those tables empty. Money is in
USD billions, capacity in GW, and quarters are labelled like ``"2025Q4"``.

Quarter order is preserved: every ``quarter`` column is converted into an ordered
pandas Categorical whose categories are the quarter labels in order of first
appearance (``system.csv`` first, then the other per-quarter tables). The contract
date columns (``start``, ``end``, ``ended``) stay plain strings because contracts
may be dated before the run starts; compare them with :func:`quarter_key`.

This module only reads results; it never runs a model.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from economy import records
from economy.channels import Channel
from economy.flows import PAYMENT_COLUMNS as _PAYMENT_COLUMNS

__all__ = [
    "ASSET_COLUMNS",
    "BALANCE_SHEET_COLUMNS",
    "CASCADE_COLUMNS",
    "CHANNEL_COLUMNS",
    "CHANNELS",
    "CONTRACT_COLUMNS",
    "CONTRACT_FLOW_COLUMNS",
    "EVENT_COLUMNS",
    "FLOW_COLUMNS",
    "LIABILITY_COLUMNS",
    "LOSS_COLUMNS",
    "PAYMENT_COLUMNS",
    "SYSTEM_COLUMNS",
    "Results",
    "load_results",
    "quarter_key",
    "quarter_order",
]

# The column lists come from the module that writes the tables, so reader and writer cannot drift apart.
#: Asset classes on a ledger, in the order they are stacked in figures.
ASSET_COLUMNS: tuple[str, ...] = tuple(records.ASSET_COLUMNS)
#: Liability classes on a ledger (``total_liabilities`` is their sum).
LIABILITY_COLUMNS: tuple[str, ...] = tuple(records.LIABILITY_COLUMNS)
#: The quarter's income-statement flows in ``balance_sheets.csv``.
FLOW_COLUMNS: tuple[str, ...] = tuple(records.FLOW_COLUMNS)
BALANCE_SHEET_COLUMNS: tuple[str, ...] = tuple(records.BALANCE_SHEET_COLUMNS)
CONTRACT_COLUMNS: tuple[str, ...] = tuple(records.CONTRACT_COLUMNS)
CONTRACT_FLOW_COLUMNS: tuple[str, ...] = tuple(records.CONTRACT_FLOW_COLUMNS)
SYSTEM_COLUMNS: tuple[str, ...] = tuple(records.SYSTEM_COLUMNS)
EVENT_COLUMNS: tuple[str, ...] = tuple(records.EVENT_COLUMNS)
#: ``cascade.csv``: one row per (default, channel that contributed); ``caused_by`` is the
#: channel's main source (an entity id, ``"market sentiment"``, or ``""`` for a fundamental
#: default) and ``amount`` what the channel carried.
CASCADE_COLUMNS: tuple[str, ...] = tuple(records.CASCADE_COLUMNS)
#: ``channels.csv``: every loss or refusal a contagion channel carried.
CHANNEL_COLUMNS: tuple[str, ...] = tuple(records.CHANNEL_COLUMNS)
#: ``losses.csv``: losses written off by holders, by whose default and through which channel.
LOSS_COLUMNS: tuple[str, ...] = tuple(records.LOSS_COLUMNS)
#: ``payments.csv``: every payment between two holders (``economy.flows``).
PAYMENT_COLUMNS: tuple[str, ...] = tuple(_PAYMENT_COLUMNS)
#: The contagion channels, in the order figures list them.
CHANNELS: tuple[str, ...] = tuple(c.value for c in Channel)

# Text columns that must never contain NaN (missing values become "").
_TEXT_COLUMNS: dict[str, tuple[str, ...]] = {
    "balance_sheets": ("quarter", "entity", "name", "role", "status"),
    "contracts": tuple(c for c in records.CONTRACT_COLUMNS if c != "amount"),
    "contract_flows": ("quarter", "contract_id", "kind", "payer", "payee"),
    "system": ("quarter",),
    "events": ("quarter", "kind", "entity", "counterparty", "channel", "text"),
    "cascade": ("quarter", "entity", "caused_by", "channel"),
    "channels": ("quarter", "holder", "channel", "source"),
    "losses": ("quarter", "holder", "source", "kind", "channel"),
    "payments": ("quarter", "payer", "payee", "kind", "contract_id", "lab", "payer_account", "payee_account", "memo"),
}

_SCHEMAS: dict[str, tuple[str, ...]] = {
    "balance_sheets": BALANCE_SHEET_COLUMNS,
    "contracts": CONTRACT_COLUMNS,
    "contract_flows": CONTRACT_FLOW_COLUMNS,
    "system": SYSTEM_COLUMNS,
    "events": EVENT_COLUMNS,
    "cascade": CASCADE_COLUMNS,
    "channels": CHANNEL_COLUMNS,
    "losses": LOSS_COLUMNS,
    "payments": PAYMENT_COLUMNS,
}

# Tables with a ``quarter`` column, in the order used to establish quarter order.
_QUARTER_TABLES: tuple[str, ...] = (
    "system",
    "balance_sheets",
    "contract_flows",
    "events",
    "cascade",
    "channels",
    "losses",
    "payments",
)

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.IGNORECASE)


@dataclass(frozen=True, eq=False)
class Results:
    """The tables written by one simulation run.

    Attributes:
        balance_sheets: One row per ledger holder per quarter.
        contracts: One row per contract.
        contract_flows: One row per contract payment per quarter.
        system: One row per quarter of system-wide indicators.
        events: One row per logged event.
        summary: Contents of ``summary.json`` if present, else an empty dict.
        path: Folder the results were read from, if any.
        cascade: One row per (default, contributing channel); empty if not recorded.
        channels: One row per loss or refusal carried by a contagion channel; empty if not recorded.
        losses: One row per loss written off by a holder; empty if not recorded.
        payments: One row per payment between two holders; empty if not recorded.
    """

    balance_sheets: pd.DataFrame
    contracts: pd.DataFrame
    contract_flows: pd.DataFrame
    system: pd.DataFrame
    events: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    cascade: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(CASCADE_COLUMNS)))
    channels: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(CHANNEL_COLUMNS)))
    losses: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(LOSS_COLUMNS)))
    payments: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(PAYMENT_COLUMNS)))

    @property
    def quarters(self) -> list[str]:
        """Quarter labels of the run in chronological order.

        Returns:
            The labels from ``system`` if it has any rows, else from ``balance_sheets``.
        """
        if len(self.system):
            return quarter_order(self.system)
        return quarter_order(self.balance_sheets)

    @property
    def entities(self) -> list[str]:
        """Entity ids present in the balance sheets, in order of first appearance.

        Returns:
            The distinct values of ``balance_sheets["entity"]``.
        """
        return [str(e) for e in pd.unique(self.balance_sheets["entity"])]


def quarter_key(label: str) -> int:
    """Turn a quarter label such as ``"2026Q1"`` into a sortable integer.

    Args:
        label: Quarter label of the form ``YYYYQn`` (``"2026-Q1"`` is also accepted).

    Returns:
        ``year * 4 + (n - 1)``, so consecutive quarters differ by one.

    Raises:
        ValueError: If the label is not a quarter label.
    """
    match = _QUARTER_RE.match(str(label))
    if match is None:
        raise ValueError(f"not a quarter label: {label!r} (expected e.g. '2026Q1')")
    return int(match.group(1)) * 4 + int(match.group(2)) - 1


def quarter_order(df: pd.DataFrame, column: str = "quarter") -> list[str]:
    """Return the quarter labels used in a table, in chronological order.

    For an ordered Categorical column the category order is used (restricted to
    the labels that occur); otherwise the order of first appearance.

    Args:
        df: Table with a quarter column.
        column: Name of the quarter column.

    Returns:
        The distinct quarter labels as strings.
    """
    if column not in df.columns or df.empty:
        return []
    values = df[column]
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna().astype(str))
        return [str(q) for q in values.cat.categories if str(q) in present]
    return [str(q) for q in pd.unique(values.dropna())]


def _read_table(path: Path, name: str) -> pd.DataFrame:
    """Read one CSV table, or return an empty table with its documented columns.

    Args:
        path: CSV file to read (may be missing or empty).
        name: Table name, a key of ``_SCHEMAS``.

    Returns:
        The table with text columns free of NaN (missing text becomes ``""``).
    """
    text_dtypes = {column: str for column in _TEXT_COLUMNS[name]}
    if path.exists():
        try:
            df = pd.read_csv(path, dtype=text_dtypes)
        except pd.errors.EmptyDataError:
            df = pd.DataFrame(columns=list(_SCHEMAS[name]))
    else:
        df = pd.DataFrame(columns=list(_SCHEMAS[name]))
    for column in _TEXT_COLUMNS[name]:
        if column in df.columns:
            df[column] = df[column].astype(object).fillna("").astype(str)
    return df


def load_results(path: str | Path) -> Results:
    """Load a run's results folder.

    ``balance_sheets.csv`` is required; the other tables (including
    ``cascade.csv``, ``channels.csv``, ``losses.csv`` and ``payments.csv``, which older folders lack)
    are optional and become empty DataFrames with their documented columns when
    missing. Columns a table lacks are not added.

    Args:
        path: Folder a run wrote its CSV files (and optionally ``summary.json``) to.

    Returns:
        A :class:`Results` whose ``quarter`` columns are ordered Categoricals.

    Raises:
        FileNotFoundError: If the folder or its ``balance_sheets.csv`` is missing.
        ValueError: If ``summary.json`` does not hold a JSON object.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"results folder not found: {folder}")
    if not (folder / "balance_sheets.csv").exists():
        raise FileNotFoundError(f"no balance_sheets.csv in {folder}")

    tables = {name: _read_table(folder / f"{name}.csv", name) for name in _SCHEMAS}

    order: list[str] = []
    seen: set[str] = set()
    for name in _QUARTER_TABLES:
        for label in quarter_order(tables[name]):
            if label and label not in seen:
                seen.add(label)
                order.append(label)
    dtype = pd.CategoricalDtype(categories=order, ordered=True)
    for name in _QUARTER_TABLES:
        if "quarter" in tables[name].columns:
            tables[name]["quarter"] = tables[name]["quarter"].astype(dtype)

    summary: dict[str, Any] = {}
    summary_path = folder / "summary.json"
    if summary_path.exists():
        data = json.loads(summary_path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{summary_path} must hold a JSON object, got {type(data).__name__}")
        summary = data

    return Results(summary=summary, path=folder, **tables)
