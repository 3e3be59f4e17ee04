"""Market mood and the price of credit: sentiment, hardware prices and credit spreads.

Functions:
    spreads_and_sentiment: sentiment and GPU prices above, credit spreads below.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .style import _PALETTE, _STATUS_STYLES, _format_quarter_axis, _new_figure
from .tables import _as_str_quarters, _entity_frame, _name_map, _numeric, _run_quarters, _values


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
