"""Classroom-ready figures drawn from a run's results tables.

Every plot function takes pandas DataFrames (as returned by
:func:`analysis.results.load_results`) and returns a :class:`matplotlib.figure.Figure`
rendered with the Agg canvas. Figures are never registered with pyplot, so they
are garbage-collected like any other object and nothing is ever shown on screen.

Money is in USD billions; x axes show quarter labels, thinned to every 4th quarter.

Functions:
    balance_sheet_composition: stacked assets and liabilities with the equity line, per entity.
    lab_revenue_vs_compute: each AI lab's quarterly revenue against its compute bill.
    debt_buildup: outstanding debt by borrower, stacked, with the system partner-debt line.
    contract_web: the network of contracts active at one quarter, nodes outlined by status.
    default_timeline: defaults and rescues over time, coloured by channel, with the cascade tree.
    losses_by_channel: losses written off per holder, stacked by contagion channel.
    spreads_and_sentiment: sentiment and GPU prices above, credit spreads below.
    worst_quarter: the quarter with the most defaults (then the largest losses).
    standard_figures / save_standard_figures: the standard set, as Figures or PNG files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch

from .results import ASSET_COLUMNS, CHANNELS, LIABILITY_COLUMNS, Results, quarter_key, quarter_order

__all__ = [
    "ASSET_COLORS",
    "CHANNEL_COLORS",
    "KIND_COLORS",
    "LIABILITY_COLORS",
    "ROLE_COLORS",
    "STANDARD_FIGURE_NAMES",
    "active_contracts",
    "balance_sheet_composition",
    "contract_web",
    "debt_buildup",
    "default_timeline",
    "lab_revenue_vs_compute",
    "losses_by_channel",
    "save_standard_figures",
    "spreads_and_sentiment",
    "standard_figures",
    "worst_quarter",
]

#: File stems written by :func:`save_standard_figures`, in order.
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

#: Fill colour of each asset class (cool colours).
ASSET_COLORS: dict[str, str] = {
    "cash": "#4e79a7",
    "receivables": "#a0cbe8",
    "dc_shells": "#8c6d31",
    "hardware": "#59a14f",
    "construction_in_progress": "#8cd17d",
    "stakes": "#b07aa1",
    "warrants": "#d4a6c8",
    "loans_held": "#499894",
    "credits_receivable": "#86bcb6",
    "non_ai_business": "#bab0ac",
    "deposits": "#79706e",
    "other_assets": "#d7d7d7",
}

#: Fill colour of each liability class (warm colours).
LIABILITY_COLORS: dict[str, str] = {
    "debt": "#e15759",
    "deferred_revenue": "#f28e2b",
    "payables": "#ffbe7d",
    "funding": "#9d7660",
}

_COLUMN_LABELS: dict[str, str] = {
    "cash": "Cash",
    "receivables": "Receivables",
    "dc_shells": "Data-centre shells",
    "hardware": "Hardware (chips, servers)",
    "construction_in_progress": "Construction in progress",
    "stakes": "Equity stakes held",
    "warrants": "Warrants held",
    "loans_held": "Loans held",
    "credits_receivable": "Compute credits receivable",
    "non_ai_business": "Non-AI business",
    "deposits": "Deposits",
    "other_assets": "Other assets",
    "debt": "Debt (liability)",
    "deferred_revenue": "Deferred revenue (liability)",
    "payables": "Payables (liability)",
    "funding": "Funding owed (liability)",
}

#: Node fill colour of each role in the contract web.
ROLE_COLORS: dict[str, str] = {
    "lab": "#4e79a7",
    "chipmaker": "#59a14f",
    "hyperscaler": "#76b7b2",
    "neocloud": "#f28e2b",
    "investor": "#9c755f",
    "lender": "#bab0ac",
    "government": "#ff9da7",
    "external": "#e0e0e0",
    "other": "#ffffff",
}

#: Edge colour of each contract kind in the contract web.
KIND_COLORS: dict[str, str] = {
    "compute": "#1f77b4",
    "revenue_share": "#17becf",
    "equity_stake": "#2ca02c",
    "investment_commitment": "#bcbd22",
    "compute_credit": "#d8b365",
    "warrant": "#e377c2",
    "loan": "#8a8a8a",
    "backstop": "#8c564b",
    "guarantee": "#393b79",
}
# Loans are grey and no edge is red or purple, so that red and purple in the web
# always mean a defaulted or rescued firm.

#: Colour of each contagion channel (markers and bars in the default and loss figures).
CHANNEL_COLORS: dict[str, str] = {
    "payment": "#4e79a7",
    "equity": "#59a14f",
    "collateral": "#9c755f",
    "credit": "#e15759",
    "confidence": "#f28e2b",
    "demand": "#76b7b2",
    "fundamental": "#7f7f7f",
}
_UNRECORDED_CHANNEL = "not recorded"
_UNRECORDED_COLOR = "#ffffff"

#: One-line meaning of each channel, used in legends.
_CHANNEL_LABELS: dict[str, str] = {
    "payment": "payment (unpaid dues)",
    "equity": "equity (stake written down)",
    "collateral": "collateral (fire-sale prices)",
    "credit": "credit (loans refused or repriced)",
    "confidence": "confidence (sentiment, failed rounds)",
    "demand": "demand (lost customer backlog)",
    "fundamental": "fundamental (own losses)",
    _UNRECORDED_CHANNEL: "channel not recorded",
}
_OTHER_KIND_COLOR = "#000000"

# Colours of the individually shown borrowers in the debt figure.
_PALETTE: tuple[str, ...] = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#86bcb6",
)


@dataclass(frozen=True)
class _StatusStyle:
    """How one ledger status is drawn: node outline and background shading."""

    label: str
    outline: str
    linewidth: float
    linestyle: str
    shade: str | None


_STATUS_STYLES: dict[str, _StatusStyle] = {
    "healthy": _StatusStyle("Healthy", "#404040", 0.8, "solid", None),
    "distressed": _StatusStyle("Distressed", "#e6a700", 3.0, "dashed", "#ffd54f"),
    "defaulted": _StatusStyle("Defaulted", "#d62728", 3.5, "solid", "#ef9a9a"),
    "rescued": _StatusStyle("Rescued", "#6a3d9a", 3.0, "solid", "#ce93d8"),
}
_ROLE_ORDER: tuple[str, ...] = tuple(ROLE_COLORS)
_TICK_EVERY = 4
_DPI = 120


# ----------------------------------------------------------------------------- helpers


def _new_figure(width: float, height: float) -> Figure:
    """Create a Figure on an Agg canvas that pyplot does not know about.

    Args:
        width: Width in inches.
        height: Height in inches.

    Returns:
        An empty Figure using the constrained layout engine.
    """
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _grid(n: int) -> tuple[int, int]:
    """Choose a small-multiples grid for ``n`` panels.

    Args:
        n: Number of panels.

    Returns:
        ``(nrows, ncols)`` with at most three columns.
    """
    ncols = 1 if n == 1 else 2 if n in (2, 4) else 3
    return math.ceil(n / ncols), ncols


def _format_quarter_axis(ax: Axes, quarters: Sequence[str], every: int = _TICK_EVERY) -> None:
    """Label an x axis of quarter positions ``0..n-1`` with every ``every``-th label.

    Short runs (at most two ticks' worth of quarters) get every quarter labelled.

    Args:
        ax: Axes whose x data are quarter positions.
        quarters: Quarter labels, one per position.
        every: Show one label per this many quarters.
    """
    n = len(quarters)
    if n <= 2 * every:
        every = 1
    ticks = list(range(0, n, every))
    ax.set_xticks(ticks, [quarters[i] for i in ticks], rotation=30, ha="right")
    if n > 1:
        ax.set_xlim(0, n - 1)
    else:
        ax.set_xlim(-0.5, 0.5)
    ax.set_xlabel("Quarter")


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


def _shade_status(ax: Axes, frame: pd.DataFrame) -> set[str]:
    """Shade the quarters in which an entity was not healthy.

    Args:
        ax: Axes with quarter positions on x.
        frame: The entity's rows aligned to the quarter axis.

    Returns:
        The statuses that were shaded.
    """
    if "status" not in frame.columns:
        return set()
    statuses = ["" if not isinstance(s, str) else s for s in frame["status"]]
    shaded: set[str] = set()
    i = 0
    while i < len(statuses):
        status = statuses[i]
        j = i
        while j + 1 < len(statuses) and statuses[j + 1] == status:
            j += 1
        style = _STATUS_STYLES.get(status)
        if style is not None and style.shade is not None:
            ax.axvspan(i - 0.5, j + 0.5, color=style.shade, alpha=0.35, linewidth=0, zorder=0)
            shaded.add(status)
        i = j + 1
    return shaded


def _status_handles(statuses: set[str]) -> list[Artist]:
    """Legend handles for shaded non-healthy quarters.

    Args:
        statuses: Statuses that were shaded somewhere.

    Returns:
        One patch per status, in a fixed order.
    """
    return [
        Patch(facecolor=style.shade, alpha=0.35, label=f"{style.label} quarters")
        for status, style in _STATUS_STYLES.items()
        if status in statuses and style.shade is not None
    ]


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


# ----------------------------------------------------------------------------- figures


def balance_sheet_composition(balance_sheets: pd.DataFrame, entities: Sequence[str]) -> Figure:
    """Small multiples of each entity's balance sheet over time.

    Each panel stacks the asset classes above zero and the liabilities (debt,
    deferred revenue, payables, funding) below zero, draws equity as a black line
    and shades quarters in which the entity was distressed, defaulted or rescued.
    Only classes that are non-zero somewhere in the shown panels are drawn, with
    the same colours in every panel and one shared legend.

    Args:
        balance_sheets: The balance-sheets table.
        entities: Entity ids, one panel each, in this order.

    Returns:
        A Figure with one axes per entity.

    Raises:
        ValueError: If ``entities`` is empty or names an unknown entity.
    """
    _check_entities(balance_sheets, entities)
    quarters = quarter_order(balance_sheets)
    frames = {e: _entity_frame(balance_sheets, e, quarters) for e in entities}

    def used(columns: Sequence[str]) -> list[str]:
        return [c for c in columns if any(np.abs(_values(f, c)).sum() > 0 for f in frames.values())]

    assets = used(ASSET_COLUMNS)
    liabilities = used(LIABILITY_COLUMNS)
    nrows, ncols = _grid(len(entities))
    fig = _new_figure(5.2 * ncols, 3.6 * nrows + 1.4)
    x = np.arange(len(quarters))
    shaded: set[str] = set()
    for i, entity in enumerate(entities):
        frame = frames[entity]
        ax = fig.add_subplot(nrows, ncols, i + 1)
        shaded |= _shade_status(ax, frame)
        if assets:
            ax.stackplot(
                x,
                *[_values(frame, c) for c in assets],
                colors=[ASSET_COLORS[c] for c in assets],
                linewidth=0,
            )
        if liabilities:
            ax.stackplot(
                x,
                *[-_values(frame, c) for c in liabilities],
                colors=[LIABILITY_COLORS[c] for c in liabilities],
                linewidth=0,
            )
        ax.plot(x, _values(frame, "equity"), color="black", linewidth=2.0, label="Equity")
        ax.axhline(0.0, color="#333333", linewidth=0.8)
        ax.grid(axis="y", alpha=0.3)
        ax.set_title(_entity_title(frame, entity), fontsize=11)
        ax.set_ylabel("USD billions")
        _format_quarter_axis(ax, quarters)

    handles: list[Artist] = [Patch(facecolor=ASSET_COLORS[c], label=_COLUMN_LABELS[c]) for c in assets]
    handles += [Patch(facecolor=LIABILITY_COLORS[c], label=_COLUMN_LABELS[c]) for c in liabilities]
    handles.append(Line2D([], [], color="black", linewidth=2.0, label="Equity (assets − liabilities)"))
    handles += _status_handles(shaded)
    fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)), fontsize=8, frameon=False)
    fig.suptitle("Balance-sheet composition: assets above zero, liabilities below zero", fontsize=13)
    return fig


def lab_revenue_vs_compute(balance_sheets: pd.DataFrame, labs: Sequence[str] | None = None) -> Figure:
    """Each AI lab's quarterly revenue against its compute cost and net income.

    The gap is shaded red in quarters where compute cost exceeds revenue.

    Args:
        balance_sheets: The balance-sheets table.
        labs: Entity ids to show; by default every entity whose role is ``"lab"``.

    Returns:
        A Figure with one axes per lab.

    Raises:
        ValueError: If there are no labs to show or ``labs`` names an unknown entity.
    """
    if labs is None:
        lab_rows = balance_sheets[balance_sheets["role"].astype(str) == "lab"]
        labs = [str(e) for e in pd.unique(lab_rows["entity"])]
        if not labs:
            raise ValueError("no entities with role 'lab' in balance_sheets")
    _check_entities(balance_sheets, labs)
    quarters = quarter_order(balance_sheets)
    nrows, ncols = _grid(len(labs))
    fig = _new_figure(5.2 * ncols, 3.6 * nrows + 1.0)
    x = np.arange(len(quarters))
    for i, lab in enumerate(labs):
        frame = _entity_frame(balance_sheets, lab, quarters)
        revenue = _values(frame, "revenue")
        compute = _values(frame, "compute_cost")
        ax = fig.add_subplot(nrows, ncols, i + 1)
        ax.fill_between(
            x, revenue, compute, where=compute > revenue, interpolate=True, color="#e15759", alpha=0.2, linewidth=0
        )
        ax.plot(x, revenue, color="#4e79a7", linewidth=2.2, label="Revenue")
        ax.plot(x, compute, color="#e15759", linewidth=2.2, label="Compute cost")
        ax.plot(x, _values(frame, "net_income"), color="black", linewidth=1.5, linestyle="--", label="Net income")
        ax.axhline(0.0, color="#333333", linewidth=0.8)
        ax.grid(axis="y", alpha=0.3)
        ax.set_title(_entity_title(frame, lab), fontsize=11)
        ax.set_ylabel("USD billions per quarter")
        _format_quarter_axis(ax, quarters)
    handles: list[Artist] = [
        Line2D([], [], color="#4e79a7", linewidth=2.2, label="Revenue"),
        Line2D([], [], color="#e15759", linewidth=2.2, label="Compute cost"),
        Line2D([], [], color="black", linewidth=1.5, linestyle="--", label="Net income"),
        Patch(facecolor="#e15759", alpha=0.2, label="Compute cost exceeds revenue"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=4 if ncols > 1 else 2, fontsize=9, frameon=False)
    fig.suptitle("AI labs: quarterly revenue vs compute cost", fontsize=13)
    return fig


def debt_buildup(balance_sheets: pd.DataFrame, system: pd.DataFrame, top: int = 8) -> Figure:
    """Outstanding debt by borrower over time, stacked, with the system partner-debt line.

    Borrowers are ledger holders other than lenders and external parties whose
    debt is positive in some quarter; the ``top`` largest by peak debt are shown
    separately and the rest are summed as "Others".

    Args:
        balance_sheets: The balance-sheets table.
        system: The system table (its ``partner_debt`` column is drawn if present).
        top: How many borrowers to show separately.

    Returns:
        A Figure with a single axes.
    """
    quarters = quarter_order(system)
    quarters += [q for q in quarter_order(balance_sheets) if q not in set(quarters)]
    position = {q: i for i, q in enumerate(quarters)}
    x = np.arange(len(quarters))

    borrowers = _as_str_quarters(
        balance_sheets[~balance_sheets["role"].astype(str).isin(["lender", "external"])]
    )
    debt = (
        borrowers.assign(debt=pd.to_numeric(borrowers["debt"], errors="coerce").fillna(0.0))
        .pivot_table(index="entity", columns="quarter", values="debt", aggfunc="sum", fill_value=0.0)
        .reindex(columns=quarters, fill_value=0.0)
    )
    peak = debt.max(axis=1)
    peak = peak[peak > 0]
    ranked = sorted(peak.index, key=lambda e: (-float(peak[e]), str(e)))
    shown, rest = ranked[:top], ranked[top:]
    names = (
        balance_sheets.drop_duplicates("entity", keep="last").set_index("entity")["name"].astype(str).to_dict()
        if "name" in balance_sheets.columns
        else {}
    )

    series = [debt.loc[e].to_numpy(dtype=float) for e in shown]
    labels = [names.get(e) or str(e) for e in shown]
    colors = [_PALETTE[i % len(_PALETTE)] for i in range(len(shown))]
    if rest:
        series.append(debt.loc[rest].sum(axis=0).to_numpy(dtype=float))
        labels.append(f"Others ({len(rest)})")
        colors.append("#c7c7c7")

    fig = _new_figure(11.0, 5.8)
    ax = fig.add_subplot()
    if series:
        ax.stackplot(x, *series, labels=labels, colors=colors, linewidth=0.3, edgecolor="white")
    else:
        ax.text(0.5, 0.5, "No borrower has debt", transform=ax.transAxes, ha="center", va="center")
    if "partner_debt" in system.columns and len(system):
        sys_rows = _as_str_quarters(system)
        ax.plot(
            [position[q] for q in sys_rows["quarter"]],
            pd.to_numeric(sys_rows["partner_debt"], errors="coerce").to_numpy(dtype=float),
            color="black",
            linewidth=2.2,
            linestyle="--",
            label="System partner debt",
        )
    ax.grid(axis="y", alpha=0.3)
    ax.set_ylabel("Debt outstanding (USD billions)")
    ax.set_title("Debt build-up by borrower (stacked) and system partner debt", fontsize=13)
    _format_quarter_axis(ax, quarters)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False, title="Borrower")
    return fig




def _quarter_key_or_none(value: object) -> int | None:
    """Parse an optional quarter label.

    Args:
        value: A quarter label, ``""``, ``None`` or NaN.

    Returns:
        The :func:`quarter_key` of the label, or ``None`` when it is empty.
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return quarter_key(text) if text else None


def active_contracts(contracts: pd.DataFrame, quarter: str) -> pd.DataFrame:
    """The contracts active at a quarter.

    A contract is active when ``start <= quarter`` and it has not yet left the
    active state, i.e. ``ended`` is empty or ``ended > quarter`` (a contract that
    ended in a quarter is no longer active in that quarter). An empty ``start``
    counts as already started.

    Args:
        contracts: The contracts table.
        quarter: Quarter label such as ``"2026Q1"``.

    Returns:
        The matching rows of ``contracts`` (original index kept).
    """
    q = quarter_key(str(quarter))
    starts = [_quarter_key_or_none(v) for v in contracts["start"]]
    endeds = [_quarter_key_or_none(v) for v in contracts["ended"]]
    mask = [(s is None or s <= q) and (e is None or e > q) for s, e in zip(starts, endeds, strict=True)]
    return contracts.loc[np.asarray(mask, dtype=bool)]


def _node_table(balance_sheets: pd.DataFrame, contracts: pd.DataFrame, quarter: str) -> pd.DataFrame:
    """Entity attributes at a quarter, plus placeholder rows for unknown contract parties.

    Args:
        balance_sheets: The balance-sheets table.
        contracts: Contracts whose parties must all appear as nodes.
        quarter: Quarter label.

    Returns:
        A table indexed by entity with ``name``, ``role``, ``status`` and ``value``
        (market value, or total assets when the market value is 0 or missing).
    """
    rows = _as_str_quarters(balance_sheets)
    rows = rows[rows["quarter"] == str(quarter)].drop_duplicates("entity", keep="last")
    market = _values(rows, "market_value")
    assets = _values(rows, "total_assets")
    table = pd.DataFrame(
        {
            "name": rows["name"].astype(str).to_numpy() if "name" in rows else rows["entity"].astype(str).to_numpy(),
            "role": rows["role"].astype(str).to_numpy(),
            "status": rows["status"].astype(str).to_numpy() if "status" in rows else "healthy",
            "value": np.where(market > 0, market, np.maximum(assets, 0.0)),
        },
        index=pd.Index(rows["entity"].astype(str), name="entity"),
    )
    parties = [str(p) for p in pd.unique(pd.concat([contracts["from_party"], contracts["to_party"]])) if str(p)]
    extra = [p for p in parties if p not in table.index]
    if extra:
        table = pd.concat(
            [
                table,
                pd.DataFrame(
                    {"name": extra, "role": "other", "status": "healthy", "value": 0.0},
                    index=pd.Index(extra, name="entity"),
                ),
            ]
        )
    return table


def _role_rank(role: str) -> int:
    """Position of a role in the fixed role order (unknown roles last).

    Args:
        role: Role name.

    Returns:
        Its rank.
    """
    return _ROLE_ORDER.index(role) if role in _ROLE_ORDER else len(_ROLE_ORDER)


def _web_layout(contracts: pd.DataFrame, balance_sheets: pd.DataFrame) -> dict[str, np.ndarray]:
    """Deterministic node positions shared by every quarter of a run: a circle grouped by role.

    Every entity of the run (and every contract party without a ledger) gets a
    slot on a circle, clockwise from the top, grouped by role in the order of
    :data:`ROLE_COLORS` and sorted by id within a role, with an empty slot between
    role groups. Positions depend only on the set of entities, so the start and
    end pictures of a run place every entity at the same spot.

    Args:
        contracts: The full contracts table.
        balance_sheets: The full balance-sheets table.

    Returns:
        Position of each entity id.
    """
    roles = (
        balance_sheets.drop_duplicates("entity", keep="last").set_index("entity")["role"].astype(str).to_dict()
    )
    nodes = {str(e) for e in balance_sheets["entity"]}
    nodes |= {str(p) for p in pd.concat([contracts["from_party"], contracts["to_party"]]) if str(p)}
    ordered = sorted(nodes, key=lambda n: (_role_rank(roles.get(n, "other")), n))
    slots: list[str | None] = []
    for i, node in enumerate(ordered):
        if i and roles.get(node, "other") != roles.get(ordered[i - 1], "other"):
            slots.append(None)
        slots.append(node)
    total = max(len(slots), 1)
    angles = {node: math.pi / 2 - 2 * math.pi * i / total for i, node in enumerate(slots) if node is not None}
    return {node: np.array([math.cos(a), math.sin(a)]) for node, a in angles.items()}


def contract_web(contracts: pd.DataFrame, balance_sheets: pd.DataFrame, quarter: str) -> Figure:
    """The network of contracts active at one quarter.

    Nodes are entities, sized by market value (total assets when the market value
    is 0 or missing) and filled by role; distressed, defaulted and rescued
    entities get a distinct outline. Edges are the contracts active at the quarter
    (see :func:`active_contracts`), pointing the way the headline money goes,
    coloured by kind and with width growing with log(amount). Nodes sit on a
    circle grouped by role; the layout depends only on the run's entities, so it
    is reproducible and identical for every quarter.

    Args:
        contracts: The contracts table.
        balance_sheets: The balance-sheets table.
        quarter: Quarter label to draw.

    Returns:
        A Figure with a single axes (axis lines hidden).

    Raises:
        ValueError: If ``quarter`` does not occur in ``balance_sheets``.
    """
    quarter = str(quarter)
    if quarter not in set(balance_sheets["quarter"].astype(str)):
        raise ValueError(f"quarter {quarter!r} not in balance_sheets")
    active = active_contracts(contracts, quarter)
    nodes = _node_table(balance_sheets, active, quarter)
    pos = _web_layout(contracts, balance_sheets)
    order = sorted(nodes.index, key=lambda n: (_role_rank(nodes.at[n, "role"]), n))
    nodes = nodes.loc[order]

    # The external sector's balance sheet is a bottomless sink: it must not set the scale.
    inside = nodes.loc[nodes["role"] != "external", "value"]
    vmax = float(inside.max()) if len(inside) and inside.max() > 0 else 1.0
    biggest = min(2400.0, (700.0 / max(len(pos), 1)) ** 2)  # keep neighbours on the circle apart
    sizes = {
        n: min(biggest, 80.0 + biggest * math.sqrt(max(float(v), 0.0) / vmax)) for n, v in nodes["value"].items()
    }
    for n in nodes.index[nodes["status"].isin(["distressed", "defaulted", "rescued"])]:
        sizes[n] = max(sizes[n], 260.0)  # big enough for the status outline to show

    graph = nx.MultiDiGraph()
    graph.add_nodes_from(order)
    amounts = pd.to_numeric(active["amount"], errors="coerce").fillna(0.0).clip(lower=0.0)
    amax = float(amounts.max()) if len(amounts) else 0.0
    edgelist: list[tuple[str, str, str]] = []
    widths: list[float] = []
    colors: list[str] = []
    for (_, row), amount in zip(active.iterrows(), amounts, strict=True):
        u, v, key = str(row["from_party"]), str(row["to_party"]), str(row["contract_id"])
        graph.add_edge(u, v, key=key)
        edgelist.append((u, v, key))
        scaled = math.log1p(float(amount)) / math.log1p(amax) if amax > 0 else 0.0
        widths.append(0.6 + 4.4 * scaled)
        colors.append(KIND_COLORS.get(str(row["kind"]), _OTHER_KIND_COLOR))

    fig = _new_figure(12.0, 8.5)
    ax = fig.add_subplot()
    for status in [*_STATUS_STYLES, *sorted(set(nodes["status"]) - set(_STATUS_STYLES))]:
        group = [n for n in order if nodes.at[n, "status"] == status]
        if not group:
            continue
        style = _STATUS_STYLES.get(status, _STATUS_STYLES["healthy"])
        collection = nx.draw_networkx_nodes(
            graph,
            pos,
            nodelist=group,
            node_size=[sizes[n] for n in group],
            node_color=[ROLE_COLORS.get(nodes.at[n, "role"], ROLE_COLORS["other"]) for n in group],
            edgecolors=style.outline,
            linewidths=style.linewidth,
            alpha=0.95,
            ax=ax,
        )
        collection.set_linestyle(style.linestyle)
        collection.set_zorder(2)
        collection.set_gid("nodes")
        if status != "healthy" and style.shade is not None:
            # a ring a little way outside the node, so the status shows whatever the role colour
            ring = ax.scatter(
                [pos[n][0] for n in group],
                [pos[n][1] for n in group],
                s=[(math.sqrt(sizes[n]) + 12.0) ** 2 for n in group],
                facecolors="none",
                edgecolors=style.outline,
                linewidths=3.0,
                linestyles=style.linestyle,
                zorder=1.9,
                gid="status-ring",
            )
            ring.set_in_layout(False)
    if edgelist:
        nx.draw_networkx_edges(
            graph,
            pos,
            edgelist=edgelist,
            nodelist=order,
            node_size=[sizes[n] for n in order],
            width=widths,
            edge_color=colors,
            arrows=True,
            arrowstyle="-|>",
            arrowsize=12,
            connectionstyle=[f"arc3,rad={r:.2f}" for r in (0.12, 0.26, 0.40, 0.54, 0.68, 0.82)],
            alpha=0.8,
            ax=ax,
        )
    for n in order:
        x, y = pos[n]
        angle = math.degrees(math.atan2(y, x))
        status = str(nodes.at[n, "status"])
        style = _STATUS_STYLES.get(status)
        label = _short_name(str(nodes.at[n, "name"]) or n)
        flagged = style is not None and status != "healthy"
        if flagged:
            label = f"{label} · {style.label.lower()}" if x >= -1e-9 else f"{style.label.lower()} · {label}"
        gap = math.sqrt(sizes[n]) / 2.0 + (12.0 if flagged else 5.0)  # points from the node centre
        text = ax.annotate(
            label,
            (x, y),
            xytext=(gap * x, gap * y),
            textcoords="offset points",
            fontsize=9,
            rotation=angle if x >= -1e-9 else angle - 180.0,
            rotation_mode="anchor",
            ha="left" if x >= -1e-9 else "right",
            va="center",
            color=style.outline if flagged else "black",
            fontweight="bold" if flagged else "normal",
        )
        text.set_in_layout(False)
    ax.set_xlim(-1.8, 1.8)
    ax.set_ylim(-1.95, 1.95)
    ax.set_aspect("equal")
    ax.set_axis_off()

    total = float(amounts.sum())
    fig.suptitle(
        f"Contract web at {quarter}: {len(active)} active contracts, USD {total:,.0f}B headline value", fontsize=13
    )  # _worst_web relies on this wording
    fig.supxlabel(
        "Node area ~ market value (total assets if none; the external sector is capped); edge width ~ log(amount)\n"
        "Arrows follow the headline money "
        "(buyer→seller, lender→borrower, investor→investee, issuer→holder of credits)",
        fontsize=9,
    )
    _web_legend(fig, nodes, active)
    return fig


def _web_legend(fig: Figure, nodes: pd.DataFrame, active: pd.DataFrame) -> None:
    """Add one sectioned legend (roles, statuses, contract kinds) to a contract-web figure.

    Args:
        fig: The contract-web figure.
        nodes: Node table from :func:`_node_table`.
        active: The contracts drawn.
    """

    def header(text: str) -> Line2D:
        return Line2D([], [], linestyle="none", label=text)

    roles = [r for r in ROLE_COLORS if r in set(nodes["role"])]
    statuses = [s for s in _STATUS_STYLES if s in set(nodes["status"])]
    kinds = [k for k in KIND_COLORS if k in set(active["kind"].astype(str))]
    kinds += sorted(set(active["kind"].astype(str)) - set(KIND_COLORS))
    handles: list[Artist] = [header("Role")]
    handles += [
        Line2D([], [], marker="o", linestyle="none", markersize=10, markerfacecolor=ROLE_COLORS[r],
               markeredgecolor="#404040", label=r.replace("_", " "))
        for r in roles
    ]
    handles.append(header("Status (outline, label)"))
    for s in statuses:
        style = _STATUS_STYLES[s]
        handles.append(
            Line2D([], [], marker="o", linestyle="none", markersize=10, markerfacecolor="white",
                   markeredgecolor=style.outline, markeredgewidth=min(style.linewidth, 2.5), label=style.label)
        )
    handles.append(header("Contract kind (edge)"))
    handles += [
        Line2D([], [], color=KIND_COLORS.get(k, _OTHER_KIND_COLOR), linewidth=2.5, label=k.replace("_", " "))
        for k in kinds
    ]
    headers = {"Role", "Status (outline, label)", "Contract kind (edge)"}
    legend = fig.legend(handles=handles, loc="outside right upper", fontsize=9, frameon=False)
    for text in legend.get_texts():
        if text.get_text() in headers:
            text.set_fontweight("bold")


# ----------------------------------------------------------------------------- contagion


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


def _spells(statuses: Sequence[str], wanted: str) -> list[tuple[int, int]]:
    """Runs of consecutive positions with one status.

    Args:
        statuses: Status per quarter position.
        wanted: Status to look for.

    Returns:
        ``(first, last)`` positions of each run, in order.
    """
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for i, status in enumerate([*statuses, ""]):
        if status == wanted and start is None:
            start = i
        elif status != wanted and start is not None:
            runs.append((start, i - 1))
            start = None
    return runs


def _status_matrix(balance_sheets: pd.DataFrame, quarters: Sequence[str]) -> dict[str, list[str]]:
    """Each entity's status per quarter, aligned to ``quarters``.

    Args:
        balance_sheets: The balance-sheets table (a missing ``status`` column means all healthy).
        quarters: Quarter labels.

    Returns:
        Entity id to a list of statuses (``""`` where the entity has no row).
    """
    if balance_sheets.empty or "status" not in balance_sheets.columns:
        return {}
    rows = _as_str_quarters(balance_sheets[["quarter", "entity", "status"]])
    table = (
        rows.assign(entity=rows["entity"].astype(str), status=rows["status"].astype(str))
        .drop_duplicates(["entity", "quarter"], keep="last")
        .pivot(index="entity", columns="quarter", values="status")
        .reindex(columns=list(quarters))
    )
    return {str(e): ["" if not isinstance(v, str) else v for v in table.loc[e]] for e in table.index}


def _defaults_table(cascade: pd.DataFrame, statuses: dict[str, list[str]], quarters: Sequence[str]) -> pd.DataFrame:
    """One row per default: its quarter, entity, main channel and causes.

    A default is a distinct (quarter, entity) pair of ``cascade``; its main channel
    and main source are those of its row with the largest amount (the first such
    row on ties). Entities that are ``defaulted`` in the balance sheets but have no
    cascade row (older results folders) get one default at their first defaulted
    quarter with the channel "not recorded".

    Args:
        cascade: The cascade table (may be empty).
        statuses: Output of :func:`_status_matrix`.
        quarters: Quarter labels of the run.

    Returns:
        Columns ``quarter``, ``pos`` (quarter position), ``entity``, ``channel``,
        ``caused_by``, ``amount`` (sum over its channels), ``n_channels`` and
        ``causes`` (list of ``(channel, caused_by, amount)``, largest first).
    """
    position = {q: i for i, q in enumerate(quarters)}
    records: list[dict[str, object]] = []
    if len(cascade):
        rows = _as_str_quarters(cascade).assign(
            entity=cascade["entity"].astype(str),
            channel=cascade["channel"].astype(str) if "channel" in cascade.columns else "",
            caused_by=cascade["caused_by"].astype(str) if "caused_by" in cascade.columns else "",
            amount=_numeric(cascade, "amount"),
        )
        for (quarter, entity), group in rows.groupby(["quarter", "entity"], sort=False):
            ranked = sorted(
                zip(group["channel"], group["caused_by"], group["amount"], strict=True),
                key=lambda t: -float(t[2]),
            )
            channel, caused_by, _ = ranked[0]
            records.append(
                {
                    "quarter": str(quarter),
                    "entity": str(entity),
                    "channel": channel or _UNRECORDED_CHANNEL,
                    "caused_by": caused_by,
                    "amount": float(group["amount"].sum()),
                    "n_channels": len(ranked),
                    "causes": [(str(c), str(b), float(a)) for c, b, a in ranked],
                }
            )
    in_cascade = {str(r["entity"]) for r in records}
    for entity, row in statuses.items():
        if entity in in_cascade or "defaulted" not in row:
            continue
        records.append(
            {
                "quarter": quarters[row.index("defaulted")],
                "entity": entity,
                "channel": _UNRECORDED_CHANNEL,
                "caused_by": "",
                "amount": 0.0,
                "n_channels": 0,
                "causes": [],
            }
        )
    table = pd.DataFrame(
        records, columns=["quarter", "entity", "channel", "caused_by", "amount", "n_channels", "causes"]
    )
    table["pos"] = [position.get(q, -1) for q in table["quarter"]]
    return table.sort_values(["pos", "entity"], kind="stable").reset_index(drop=True)


def _money(amount: float) -> str:
    """USD billions as ``$12B`` (one decimal below 10, e.g. ``$0.4B``), with the dollar escaped for matplotlib.

    Two unescaped dollar signs in one text would be read as mathtext.

    Args:
        amount: Amount in USD billions.

    Returns:
        The label.
    """
    return rf"\${amount:,.1f}B" if abs(amount) < 9.95 else rf"\${amount:,.0f}B"


def _no_data_figure(message: str, title: str, width: float = 10.0, height: float = 3.0) -> Figure:
    """A figure that says there is nothing to draw.

    Args:
        message: Text in the middle of the figure.
        title: Figure title.
        width: Width in inches.
        height: Height in inches.

    Returns:
        A Figure with one blank axes holding ``message``.
    """
    fig = _new_figure(width, height)
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=14, color="#555555")
    ax.set_axis_off()
    fig.suptitle(title, fontsize=13)
    return fig


def _channel_color(channel: str) -> str:
    """Colour of a channel (white for unknown or unrecorded ones)."""
    return CHANNEL_COLORS.get(channel, _UNRECORDED_COLOR)


def _channel_order(channels: set[str]) -> list[str]:
    """Channels in the fixed order of :data:`CHANNELS`, unknown ones after, sorted."""
    known = [c for c in CHANNELS if c in channels]
    return known + sorted(channels - set(CHANNELS))


def default_timeline(cascade: pd.DataFrame, balance_sheets: pd.DataFrame) -> Figure:
    """Defaults and rescues laid out in time, as a cascade tree.

    One row per entity that defaulted or was rescued, in order of its first such
    event; x is the quarter. Each default is a circle filled with the colour of
    its main channel (the channel that carried the most; see
    :func:`_defaults_table`), and a short note says what carried it and from
    where. When a channel's source is itself a firm that defaulted (at or before
    that quarter) an arrow runs from the source's default to this one: solid for
    the main channel, dashed for the others. A purple star marks the start of each
    rescue; light bands show the quarters each firm spent distressed, defaulted or
    rescued.

    Artists carry ``gid`` s for inspection: ``"default"`` (one scatter per channel,
    one point per default), ``"rescue"`` (one point per rescue spell), ``"cause"``
    (the arrows) and ``"status-spell"`` (the bands).

    Args:
        cascade: The cascade table (may be empty).
        balance_sheets: The balance-sheets table (for names, statuses and quarters).

    Returns:
        A Figure with one axes, or a figure saying "no defaults in this run" when
        nothing defaulted and nothing was rescued.
    """
    quarters = _run_quarters(balance_sheets, cascade)
    statuses = _status_matrix(balance_sheets, quarters)
    defaults = _defaults_table(cascade, statuses, quarters)
    rescues = {e: [a for a, _ in _spells(row, "rescued")] for e, row in statuses.items()}
    rescues = {e: starts for e, starts in rescues.items() if starts}
    title = "Defaults and rescues over time: who fell, when, and through which channel"
    if defaults.empty and not rescues:
        return _no_data_figure("no defaults in this run", title)

    names = _name_map(balance_sheets)
    first_event: dict[str, int] = {}
    for entity, pos in zip(defaults["entity"], defaults["pos"], strict=True):
        first_event[entity] = min(first_event.get(entity, pos), pos)
    for entity, starts in rescues.items():
        first_event[entity] = min(first_event.get(entity, starts[0]), starts[0])
    rows = sorted(first_event, key=lambda e: (first_event[e], e))
    y_of = {e: i for i, e in enumerate(rows)}
    n = len(quarters)

    fig = _new_figure(12.0, 2.6 + 0.62 * len(rows))
    ax = fig.add_subplot()
    band = {"distressed": "#ffe49a", "defaulted": "#f6c6c4", "rescued": "#e2cdee"}
    shown_spells: set[str] = set()
    for entity in rows:
        row = statuses.get(entity, [])
        for status, color in band.items():
            runs = _spells(row, status)
            if runs:
                shown_spells.add(status)
                ax.broken_barh(
                    [(a - 0.5, b - a + 1) for a, b in runs],
                    (y_of[entity] - 0.28, 0.56),
                    facecolors=color,
                    edgecolor="none",
                    zorder=1,
                    gid="status-spell",
                )

    # arrows from the default of a source firm to the default it helped cause
    default_at: dict[str, list[int]] = {}
    for entity, pos in zip(defaults["entity"], defaults["pos"], strict=True):
        default_at.setdefault(entity, []).append(int(pos))
    for _, d in defaults.iterrows():
        for k, (channel, source, _amount) in enumerate(d["causes"]):
            earlier = [p for p in default_at.get(source, []) if p <= d["pos"]]
            if source == d["entity"] or not earlier:
                continue
            x0, y0 = earlier[-1], y_of[source]
            x1, y1 = int(d["pos"]), y_of[d["entity"]]
            arrow = FancyArrowPatch(
                (x0, y0),
                (x1, y1),
                arrowstyle="-|>",
                mutation_scale=16,
                connectionstyle="arc3,rad=0.3" if x1 != x0 else "arc3,rad=0.6",
                color=_channel_color(channel) if channel in CHANNEL_COLORS else "#333333",
                linewidth=2.2 if k == 0 else 1.3,
                linestyle="solid" if k == 0 else (0, (4, 3)),
                shrinkA=9,
                shrinkB=9,
                zorder=2,
                gid="cause",
            )
            ax.add_patch(arrow)

    present = set(defaults["channel"])
    for channel in _channel_order(present):
        group = defaults[defaults["channel"] == channel]
        ax.scatter(
            group["pos"],
            [y_of[e] for e in group["entity"]],
            s=190,
            marker="o",
            color=_channel_color(channel),
            edgecolors="black",
            linewidths=1.2,
            zorder=4,
            gid="default",
        )
    rescue_points = [(s, y_of[e]) for e, starts in rescues.items() for s in starts]
    if rescue_points:
        ax.scatter(
            [p[0] for p in rescue_points],
            [p[1] for p in rescue_points],
            s=330,
            marker="*",
            color=_STATUS_STYLES["rescued"].outline,
            edgecolors="white",
            linewidths=0.8,
            zorder=4,
            gid="rescue",
        )

    # a short note next to each default: what carried it, from where, how much
    for _, d in defaults.iterrows():
        x, y = int(d["pos"]), y_of[d["entity"]]
        if d["channel"] == _UNRECORDED_CHANNEL:
            note = "channel not recorded"
        elif d["channel"] == "fundamental" or not d["caused_by"]:
            note = f"{d['channel']}: its own losses"
        else:
            source = names.get(d["caused_by"], d["caused_by"])
            note = f"{d['channel']} from {source}, {_money(float(d['causes'][0][2]))}"
            if d["n_channels"] > 1:
                others = d["n_channels"] - 1
                note += f" (+{others} channel{'s' if others > 1 else ''}, {_money(float(d['amount']))} in all)"
        right = x <= 0.6 * (n - 1)
        ax.annotate(
            note,
            (x, y),
            xytext=(11 if right else -11, 9),
            textcoords="offset points",
            ha="left" if right else "right",
            va="bottom",
            fontsize=8.5,
            color="#222222",
            zorder=5,
        )
    for entity, starts in rescues.items():
        for start in starts:
            right = start <= 0.6 * (n - 1)
            ax.annotate(
                "rescued",
                (start, y_of[entity]),
                xytext=(11 if right else -11, -10),
                textcoords="offset points",
                ha="left" if right else "right",
                va="top",
                fontsize=8.5,
                color=_STATUS_STYLES["rescued"].outline,
                fontweight="bold",
                zorder=5,
            )

    ax.set_yticks(range(len(rows)), [names.get(e, e) for e in rows], fontsize=10)
    ax.set_ylim(len(rows) - 0.4, -0.75)
    ax.grid(axis="x", alpha=0.25)
    _format_quarter_axis(ax, quarters)
    ax.set_xlim(-0.7, max(n - 1, 0) + 0.7)

    handles: list[Artist] = [
        Line2D([], [], marker="o", linestyle="none", markersize=10, markerfacecolor=_channel_color(c),
               markeredgecolor="black", label=_CHANNEL_LABELS.get(c, c))
        for c in _channel_order(present)
    ]
    if rescue_points:
        handles.append(Line2D([], [], marker="*", linestyle="none", markersize=14,
                              color=_STATUS_STYLES["rescued"].outline, label="Rescue (government steps in)"))
    if any(p.get_gid() == "cause" for p in ax.patches):
        handles.append(Line2D([], [], color="#333333", linewidth=2.2,
                              label="Arrow: caused by that firm's default (colour = channel)"))
        handles.append(Line2D([], [], color="#333333", linewidth=1.3, linestyle=(0, (4, 3)),
                              label="Arrow, dashed: a lesser channel from that firm"))
    handles += [Patch(facecolor=band[s], label=f"{s.capitalize()} quarters") for s in band if s in shown_spells]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=9, frameon=False)
    fig.suptitle(title, fontsize=13)
    ax.set_title(
        "Marker colour = the channel that carried the most in the four quarters before the default; "
        "arrows link a default to the firm defaults it fed",
        fontsize=9,
    )
    return fig


def losses_by_channel(losses: pd.DataFrame, names: dict[str, str] | None = None, top: int = 10) -> Figure:
    """Losses written off by each holder, stacked by the channel that carried them.

    The left panel has one horizontal bar per holder that lost (the ``top``
    largest by total; the rest summed as "Others"), stacked by channel, with the
    total at the end of the bar. The small right panel totals the run's losses by
    channel. Every bar segment is a Rectangle patch with ``gid`` ``"holder"`` or
    ``"total"``.

    Args:
        losses: The losses table (``holder``, ``channel``, ``amount``).
        names: Optional display name of each holder id.
        top: How many holders to show separately.

    Returns:
        A Figure with two axes, or a figure saying there were no losses.
    """
    title = "Losses written off, by holder and by the contagion channel that carried them"
    amounts = _numeric(losses, "amount") if len(losses) else pd.Series(dtype=float)
    rows = losses.assign(amount=amounts) if len(losses) else losses
    rows = rows[rows["amount"] > 0] if len(rows) else rows
    if rows is None or len(rows) == 0:
        return _no_data_figure("no losses written off in this run", title)
    names = names or {}
    rows = rows.assign(holder=rows["holder"].astype(str), channel=rows["channel"].astype(str).replace("", _UNRECORDED_CHANNEL))
    table = rows.pivot_table(index="holder", columns="channel", values="amount", aggfunc="sum", fill_value=0.0)
    channels = _channel_order(set(table.columns))
    table = table[channels]
    totals = table.sum(axis=1)
    ranked = sorted(totals.index, key=lambda h: (-float(totals[h]), h))
    shown, rest = ranked[:top], ranked[top:]
    bars = table.loc[shown]
    labels = [names.get(h, h) for h in shown]
    if rest:
        bars = pd.concat([bars, table.loc[rest].sum(axis=0).to_frame(f"Others ({len(rest)})").T])
        labels.append(f"Others ({len(rest)})")

    fig = _new_figure(13.0, 1.8 + 0.45 * len(labels) + 1.0)
    grid = fig.add_gridspec(1, 2, width_ratios=[3.0, 1.25])
    ax = fig.add_subplot(grid[0, 0])
    y = np.arange(len(labels))
    left = np.zeros(len(labels))
    for channel in channels:
        values = bars[channel].to_numpy(dtype=float)
        container = ax.barh(
            y, values, left=left, color=_channel_color(channel), edgecolor="white", linewidth=0.6,
            label=_CHANNEL_LABELS.get(channel, channel),
        )
        for patch in container.patches:
            patch.set_gid("holder")
        left += values
    xmax = float(left.max()) if len(left) else 1.0
    for yi, total in zip(y, left, strict=True):
        ax.text(total + 0.01 * xmax, yi, _money(total), va="center", fontsize=9)
    ax.set_yticks(y, labels, fontsize=10)
    ax.set_ylim(len(labels) - 0.4, -0.6)
    ax.set_xlim(0, xmax * 1.15 if xmax > 0 else 1.0)
    ax.set_xlabel("Losses written off over the run (USD billions)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Who lost (largest first)", fontsize=11)

    side = fig.add_subplot(grid[0, 1])
    by_channel = table.sum(axis=0)
    yc = np.arange(len(channels))
    container = side.barh(
        yc, [float(by_channel[c]) for c in channels], color=[_channel_color(c) for c in channels],
        edgecolor="#555555", linewidth=0.6,
    )
    for patch in container.patches:
        patch.set_gid("total")
    cmax = float(by_channel.max()) if len(by_channel) else 1.0
    grand = float(by_channel.sum())
    for yi, c in zip(yc, channels, strict=True):
        share = float(by_channel[c]) / grand if grand > 0 else 0.0
        side.text(float(by_channel[c]) + 0.02 * cmax, yi, f"{_money(float(by_channel[c]))} ({share:.0%})", va="center",
                  fontsize=9)
    side.set_yticks(yc, channels, fontsize=10)
    side.set_ylim(len(channels) - 0.4, -0.6)
    side.set_xlim(0, cmax * 1.6 if cmax > 0 else 1.0)
    side.set_xlabel("USD billions")
    side.grid(axis="x", alpha=0.3)
    side.set_title(f"Total by channel: {_money(grand)}", fontsize=11)

    fig.legend(
        handles=[Patch(facecolor=_channel_color(c), edgecolor="#555555", label=_CHANNEL_LABELS.get(c, c)) for c in channels],
        loc="outside lower center", ncols=min(4, len(channels)), fontsize=9, frameon=False, title="Channel",
    )
    fig.suptitle(title, fontsize=13)
    return fig


def _event_quarters(system: pd.DataFrame, column: str) -> list[int]:
    """Positions in ``system`` at which a count column went up.

    Args:
        system: The system table.
        column: A count column such as ``defaults`` or ``rescues``.

    Returns:
        Row positions (0-based) where the count rose (the first row counts if positive).
    """
    if column not in system.columns or system.empty:
        return []
    values = _numeric(system, column).to_numpy(dtype=float)
    previous = np.concatenate([[0.0], values[:-1]])
    return [int(i) for i in np.flatnonzero(values > previous + 1e-9)]


def _top_spread_borrowers(balance_sheets: pd.DataFrame, k: int = 5) -> list[str]:
    """The ``k`` most indebted borrowers (by peak debt) that were quoted a spread.

    Args:
        balance_sheets: The balance-sheets table.
        k: How many to return.

    Returns:
        Entity ids, most indebted first (ties by id); lenders and external parties are left out.
    """
    if "credit_spread_bp" not in balance_sheets.columns or balance_sheets.empty:
        return []
    rows = balance_sheets[~balance_sheets["role"].astype(str).isin(["lender", "external"])]
    rows = rows.assign(entity=rows["entity"].astype(str), debt=_numeric(rows, "debt"),
                       spread=_numeric(rows, "credit_spread_bp"))
    stats = rows.groupby("entity").agg(debt=("debt", "max"), spread=("spread", "max"))
    stats = stats[(stats["debt"] > 0) & (stats["spread"] > 0)]
    return sorted(stats.index, key=lambda e: (-float(stats.at[e, "debt"]), e))[:k]


def spreads_and_sentiment(
    system: pd.DataFrame, balance_sheets: pd.DataFrame, entities: Sequence[str] | None = None
) -> Figure:
    """Market mood and the price of credit, on a shared quarter axis.

    Top: market sentiment (left axis, −1 to +1) and the GPU price index and
    hardware resale factor (right axis, 1 = starting level). Bottom: the
    debt-weighted average credit spread of the system (``avg_credit_spread_bp``)
    and the spread each borrower's lender would quote it (``credit_spread_bp``;
    quarters with no quote are left blank). Dotted vertical lines mark quarters in
    which a new default (red) or rescue (purple) happened. Series a results folder
    does not have are skipped.

    Args:
        system: The system table.
        balance_sheets: The balance-sheets table.
        entities: Borrowers whose quoted spread to draw; by default the five most
            indebted borrowers (by peak debt) with a nonzero spread.

    Returns:
        A Figure with two axes sharing x (plus a twin right axis on the top panel).
    """
    quarters = _run_quarters(system, balance_sheets)
    position = {q: i for i, q in enumerate(quarters)}
    sys_rows = _as_str_quarters(system) if len(system) else system
    xs = np.array([position[q] for q in sys_rows["quarter"]], dtype=float) if len(system) else np.array([])
    names = _name_map(balance_sheets)

    fig = _new_figure(12.0, 8.4)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1.0, 1.2]})
    handles: list[Artist] = []
    if "sentiment" in system.columns and len(system):
        (line,) = top.plot(xs, _numeric(sys_rows, "sentiment"), color="#1f3b73", linewidth=2.4,
                           label="Market sentiment (left axis)")
        handles.append(line)
    top.axhline(0.0, color="#333333", linewidth=0.8)
    top.set_ylim(-1.08, 1.08)
    top.set_ylabel("Sentiment (−1 gloom … +1 euphoria)")
    top.grid(axis="y", alpha=0.3)
    right = top.twinx()
    for column, label, color, style in (
        ("gpu_price_index", "GPU price index (right axis)", "#59a14f", "solid"),
        ("resale_factor", "Hardware resale factor (right axis)", "#9c755f", "dashed"),
    ):
        if column in system.columns and len(system):
            (line,) = right.plot(xs, _numeric(sys_rows, column), color=color, linewidth=2.0, linestyle=style,
                                 label=label)
            handles.append(line)
    right.set_ylabel("Index (1 = start of run)")
    lo, hi = right.get_ylim()
    right.set_ylim(min(lo, 0.0), max(hi, 1.1))
    top.set_title("(a) Market mood and hardware prices", fontsize=11, loc="left")

    if "avg_credit_spread_bp" in system.columns and len(system):
        bottom.plot(xs, _numeric(sys_rows, "avg_credit_spread_bp"), color="black", linewidth=2.8,
                    label="Debt-weighted average (whole system)")
    chosen = list(entities) if entities is not None else _top_spread_borrowers(balance_sheets)
    if "credit_spread_bp" in balance_sheets.columns:
        for i, entity in enumerate(chosen):
            frame = _entity_frame(balance_sheets, entity, quarters)
            spread = _values(frame, "credit_spread_bp")
            spread = np.where(spread > 0, spread, np.nan)
            bottom.plot(np.arange(len(quarters)), spread, color=_PALETTE[i % len(_PALETTE)], linewidth=1.7,
                        label=f"{names.get(entity, entity)} (quoted)")
    spreads_drawn = bool(bottom.get_lines())
    if not spreads_drawn:
        bottom.text(0.5, 0.5, "no credit spreads recorded in this run", transform=bottom.transAxes,
                    ha="center", va="center", color="#555555")
    bottom.set_ylabel("Credit spread over the policy rate (bp)")
    bottom.set_ylim(bottom=0)
    bottom.grid(axis="y", alpha=0.3)
    bottom.set_title("(b) Credit spreads: what lenders charge on top of the policy rate", fontsize=11, loc="left")

    marks: list[tuple[str, str, list[int]]] = [
        ("defaults", "#d62728", _event_quarters(system, "defaults")),
        ("rescues", _STATUS_STYLES["rescued"].outline, _event_quarters(system, "rescues")),
    ]
    for column, color, rows_at in marks:
        for r in rows_at:
            for ax in (top, bottom):
                ax.axvline(xs[r], color=color, linestyle=":", linewidth=1.6, zorder=0)
        if rows_at:
            handles.append(Line2D([], [], color=color, linestyle=":", linewidth=1.6,
                                  label="Quarter with a new default" if column == "defaults" else "Quarter with a new rescue"))
    if handles:
        top.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.08, 1.0), fontsize=9, frameon=False)
    if spreads_drawn:
        bottom.legend(loc="upper left", bbox_to_anchor=(1.08, 1.0), fontsize=9, frameon=False, title="Spread")
    _format_quarter_axis(bottom, quarters)
    top.tick_params(labelbottom=False)
    top.set_xlabel("")
    fig.suptitle("Sentiment, hardware prices and credit spreads", fontsize=13)
    return fig


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


def worst_quarter(system: pd.DataFrame, cascade: pd.DataFrame, losses: pd.DataFrame) -> str:
    """The quarter with the most new defaults, ties broken by the largest losses written off.

    New defaults per quarter are the distinct defaulting entities in ``cascade``
    (or, when ``cascade`` is empty, the rises of ``system.defaults``, a running
    count). Remaining ties go to the earliest quarter. With no defaults at all the
    quarter with the largest losses is chosen, and with no losses either the last
    quarter of the run.

    Args:
        system: The system table (gives the run's quarters).
        cascade: The cascade table (may be empty).
        losses: The losses table (may be empty).

    Returns:
        A quarter label.

    Raises:
        ValueError: If none of the tables has a quarter.
    """
    quarters = _run_quarters(system, cascade, losses)
    if not quarters:
        raise ValueError("no quarters in system, cascade or losses")
    counts = _default_counts(system, cascade, quarters)
    lost = pd.Series(0.0, index=quarters)
    if len(losses):
        rows = _as_str_quarters(losses).assign(amount=_numeric(losses, "amount"))
        lost = lost.add(rows.groupby("quarter")["amount"].sum().reindex(quarters).fillna(0.0), fill_value=0.0)
    if counts.max() <= 0 and lost.max() <= 0:
        return quarters[-1]
    return min(quarters, key=lambda q: (-float(counts[q]), -float(lost[q]), quarters.index(q)))


# ----------------------------------------------------------------------------- standard set


def _focus_entities(results: Results, focus: Sequence[str]) -> list[str]:
    """Focus entities present in the data, or a fallback of the largest entities.

    Args:
        results: Loaded results.
        focus: Requested entity ids.

    Returns:
        The requested ids that exist; if none exist, the five entities (other than
        external parties) with the largest peak total assets.
    """
    known = set(results.entities)
    present = [e for e in focus if e in known]
    if present:
        return present
    bs = results.balance_sheets
    inside = bs[bs["role"].astype(str) != "external"]
    peak = pd.to_numeric(inside["total_assets"], errors="coerce").groupby(inside["entity"].astype(str)).max()
    return sorted(peak.index, key=lambda e: (-float(peak[e]), e))[:5]


def standard_figures(
    results: Results,
    focus: Sequence[str] = ("openai", "oracle", "coreweave", "microsoft", "nvidia"),
) -> dict[str, Figure]:
    """Build the standard figure set of a run.

    Args:
        results: Loaded results.
        focus: Entities for the balance-sheet panels; absent ones are skipped.

    Returns:
        Figures keyed by the names in :data:`STANDARD_FIGURE_NAMES`; the lab
        figure is left out when the run has no labs, ``default_timeline`` when
        nothing defaulted or was rescued, ``losses_by_channel`` when no losses
        were recorded and ``spreads_and_sentiment`` when ``system`` is empty.
    """
    bs = results.balance_sheets
    quarters = quarter_order(bs)
    figures: dict[str, Figure] = {}
    entities = _focus_entities(results, focus)
    if entities:
        figures["balance_sheets"] = balance_sheet_composition(bs, entities)
    if (bs["role"].astype(str) == "lab").any():
        figures["lab_revenue_vs_compute"] = lab_revenue_vs_compute(bs)
    figures["debt_buildup"] = debt_buildup(bs, results.system)
    if quarters:
        figures["contract_web_start"] = contract_web(results.contracts, bs, quarters[0])
        figures["contract_web_end"] = contract_web(results.contracts, bs, quarters[-1])
    statuses = set(bs["status"].astype(str)) if "status" in bs.columns else set()
    if len(results.cascade) or statuses & {"defaulted", "rescued"}:
        figures["default_timeline"] = default_timeline(results.cascade, bs)
    if len(results.losses) and (_numeric(results.losses, "amount") > 0).any():
        figures["losses_by_channel"] = losses_by_channel(results.losses, _name_map(bs))
    if len(results.system):
        figures["spreads_and_sentiment"] = spreads_and_sentiment(results.system, bs)
    if quarters:
        figures["contract_web_worst"] = _worst_web(results, quarters)
    return figures


def _worst_web(results: Results, quarters: Sequence[str]) -> Figure:
    """The contract web at the run's worst quarter, titled as such.

    Args:
        results: Loaded results.
        quarters: Quarter labels of the balance sheets.

    Returns:
        The :func:`contract_web` figure at :func:`worst_quarter` (the last
        quarter when that quarter has no balance sheets).
    """
    worst = worst_quarter(results.system, results.cascade, results.losses)
    if worst not in quarters:
        worst = quarters[-1]
    counts = _default_counts(results.system, results.cascade, [worst])
    lost = results.losses
    amount = float(_numeric(lost, "amount")[lost["quarter"].astype(str) == worst].sum()) if len(lost) else 0.0
    fig = contract_web(results.contracts, results.balance_sheets, worst)
    n = int(counts[worst])
    fig.suptitle(
        f"Worst quarter of the run, {worst}: {n} new default{'s' if n != 1 else ''}, USD {amount:,.0f}B written off\n"
        + fig.get_suptitle().replace(f"Contract web at {worst}: ", "Contract web then: "),
        fontsize=13,
    )
    return fig


def save_standard_figures(
    results: Results,
    out_dir: Path,
    focus: Sequence[str] = ("openai", "oracle", "coreweave", "microsoft", "nvidia"),
) -> list[Path]:
    """Write the standard figure set as PNG files.

    Files are ``balance_sheets.png``, ``lab_revenue_vs_compute.png``,
    ``debt_buildup.png``, ``contract_web_start.png`` (first quarter),
    ``contract_web_end.png`` (last quarter), ``default_timeline.png``,
    ``losses_by_channel.png``, ``spreads_and_sentiment.png`` and
    ``contract_web_worst.png`` (the :func:`worst_quarter`); figures without data
    are skipped (see :func:`standard_figures`). Output is byte-for-byte
    reproducible for the same inputs (no software or date metadata).

    Args:
        results: Loaded results.
        out_dir: Folder to write into (created if missing).
        focus: Entities for the balance-sheet panels; absent ones are skipped.

    Returns:
        Paths of the files written, in the order above.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, fig in standard_figures(results, focus).items():
        path = out / f"{name}.png"
        fig.savefig(path, dpi=_DPI, metadata={"Software": None})
        written.append(path)
    return written
