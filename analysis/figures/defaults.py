"""Defaults and rescues: the cascade over time and the worst quarter.

Holds the table of defaults (one row per default, with its main channel and
causes), the timeline that draws them as a cascade tree, and the choice of the
run's worst quarter.

Functions:
    default_timeline: defaults and rescues over time, coloured by channel, with the cascade tree.
    worst_quarter: the quarter with the most defaults (then the largest losses).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch

from .style import (
    _CHANNEL_LABELS,
    _STATUS_STYLES,
    _UNRECORDED_CHANNEL,
    CHANNEL_COLORS,
    _channel_color,
    _channel_order,
    _format_quarter_axis,
    _money,
    _new_figure,
    _no_data_figure,
)
from .tables import _as_str_quarters, _default_counts, _name_map, _numeric, _run_quarters


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
