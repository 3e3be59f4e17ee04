"""Losses written off, by holder and by the contagion channel that carried them.

Functions:
    losses_by_channel: losses written off per holder, stacked by contagion channel.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from economy.state import BACKLOG_KINDS

from .style import _CHANNEL_LABELS, _UNRECORDED_CHANNEL, _channel_color, _channel_order, _money, _new_figure, _no_data_figure
from .tables import _numeric


def losses_by_channel(losses: pd.DataFrame, names: dict[str, str] | None = None, top: int = 10) -> Figure:
    """Losses written off by each holder, stacked by the channel that carried them.

    The left panel has one horizontal bar per holder that lost (the ``top``
    largest by total; the rest summed as "Others"), stacked by channel, with the
    total at the end of the bar. The small right panel totals the run's losses by
    channel. Every bar segment is a Rectangle patch with ``gid`` ``"holder"`` or
    ``"total"``.

    Lost backlog (rows of kind ``backlog`` and ``backlog_nonbinding``: orders a failed buyer
    will not take) is not a write-off: it is left out of the bars, as of ``summary.json``'s
    losses, and its total, binding and non-binding apart, is named in the figure's footnote.

    Args:
        losses: The losses table (``holder``, ``kind``, ``channel``, ``amount``).
        names: Optional display name of each holder id.
        top: How many holders to show separately.

    Returns:
        A Figure with two axes, or a figure saying there were no losses.
    """
    title = "Losses written off, by holder and by the contagion channel that carried them"
    amounts = _numeric(losses, "amount") if len(losses) else pd.Series(dtype=float)
    rows = losses.assign(amount=amounts) if len(losses) else losses
    rows = rows[rows["amount"] > 0] if len(rows) else rows
    binding = nonbinding = 0.0
    if len(rows) and "kind" in rows.columns:
        kinds = rows["kind"].astype(str)
        binding = float(rows.loc[kinds == "backlog", "amount"].sum())
        nonbinding = float(rows.loc[kinds == "backlog_nonbinding", "amount"].sum())
        rows = rows[~kinds.isin(BACKLOG_KINDS)]
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
    if binding + nonbinding > 0:
        fig.text(0.01, 0.005, f"Not included: {_money(binding + nonbinding)} of lost backlog, {_money(binding)} binding "
                 f"and {_money(nonbinding)} non-binding (orders failed buyers will not take; contracted revenue, "
                 "not a write-off).", fontsize=8.5, color="#555555", ha="left", va="bottom")
    return fig
