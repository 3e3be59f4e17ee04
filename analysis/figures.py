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
from matplotlib.patches import Patch

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
    "credit": "credit (loan refused)",
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

    vmax = float(nodes["value"].max()) if len(nodes) and nodes["value"].max() > 0 else 1.0
    biggest = min(2400.0, (700.0 / max(len(pos), 1)) ** 2)  # keep neighbours on the circle apart
    sizes = {n: 60.0 + biggest * math.sqrt(max(float(v), 0.0) / vmax) for n, v in nodes["value"].items()}

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
        ax.text(
            1.16 * x,
            1.16 * y,
            str(nodes.at[n, "name"]) or n,
            fontsize=9,
            ha="left" if x > 0.25 else "right" if x < -0.25 else "center",
            va="bottom" if y > 0.25 else "top" if y < -0.25 else "center",
        )
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(-1.3, 1.3)
    ax.set_aspect("equal")
    ax.set_axis_off()

    total = float(amounts.sum())
    fig.suptitle(
        f"Contract web at {quarter}: {len(active)} active contracts, USD {total:,.0f}B headline value", fontsize=13
    )
    ax.set_title(
        "Node area ~ market value (total assets if none); edge width ~ log(amount)\n"
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
    handles.append(header("Status (outline)"))
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
    headers = {"Role", "Status (outline)", "Contract kind (edge)"}
    legend = fig.legend(handles=handles, loc="outside right upper", fontsize=9, frameon=False)
    for text in legend.get_texts():
        if text.get_text() in headers:
            text.set_fontweight("bold")


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
        figure is left out when the run has no labs.
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
    return figures


def save_standard_figures(
    results: Results,
    out_dir: Path,
    focus: Sequence[str] = ("openai", "oracle", "coreweave", "microsoft", "nvidia"),
) -> list[Path]:
    """Write the standard figure set as PNG files.

    Files are ``balance_sheets.png``, ``lab_revenue_vs_compute.png``,
    ``debt_buildup.png``, ``contract_web_start.png`` (first quarter) and
    ``contract_web_end.png`` (last quarter). Output is byte-for-byte
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
