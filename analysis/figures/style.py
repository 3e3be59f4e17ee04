"""The shared look of the figures and the helpers that build one.

Holds the colour of every asset and liability class, role, contract kind and
contagion channel, how each ledger status is drawn (outline, shading), the
palette of individually shown series and the output resolution; and the helpers
that make an Agg figure pyplot never sees, lay out small multiples, label a
quarter axis, shade non-healthy quarters, say "nothing to draw" and format money
and channels. Red and purple are kept for defaulted and rescued firms.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..results import CHANNELS

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


def _money(amount: float) -> str:
    """USD billions as ``$12B`` (one decimal below 10, e.g. ``$0.4B``), with the dollar escaped for matplotlib.

    Two unescaped dollar signs in one text would be read as mathtext.

    Args:
        amount: Amount in USD billions.

    Returns:
        The label.
    """
    return rf"\${amount:,.1f}B" if abs(amount) < 9.95 else rf"\${amount:,.0f}B"


def _channel_color(channel: str) -> str:
    """Colour of a channel (white for unknown or unrecorded ones)."""
    return CHANNEL_COLORS.get(channel, _UNRECORDED_COLOR)


def _channel_order(channels: set[str]) -> list[str]:
    """Channels in the fixed order of :data:`CHANNELS`, unknown ones after, sorted."""
    known = [c for c in CHANNELS if c in channels]
    return known + sorted(channels - set(CHANNELS))
