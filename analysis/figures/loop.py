"""The money loop: what firms actually paid each other over a period, with the largest cycle picked out.

Where the contract web (:mod:`.web`) draws what firms promised each other, this figure
draws the money that moved (``payments.csv``), on the same layout: the same nodes at the
same places, healthy lenders as one node, the external sector as one node. Links are the
payments of a period summed per payer, payee and group (funding, goods and services,
payments back to funders, other), pointing from payer to payee, with width growing with
the square root of the amount, so that the tranches and credits that start a loop show
beside the trillions of end-user sales. Links under :data:`SMALL_FLOW_SHARE` of the
largest flow between two firms of the loop are left out and counted in the footnote.
The period's largest cycle between firms of the loop (``economy.circularity``: the
smallest flow around it is the most money that can have gone all the way round) is
outlined and its flows labelled.

Functions:
    money_loop: the money paid between holders over a period, as a figure.
    loop_periods: the periods the figure sets draw (the run; each calendar year in it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from economy.circularity import FUNDING_KINDS, OUTSIDE_ROLES, PAYBACK_KINDS, REVENUE_ACCOUNT, money_cycles

from ..results import quarter_order
from .style import ROLE_COLORS, _money, _no_data_figure
from .tables import _as_str_quarters, _numeric, _short_name
from .web import (
    _AXES,
    _HEIGHT,
    _LARGEST_NODE,
    _POINTS,
    _SMALLEST_NODE,
    _WIDTH,
    _X_RADIUS,
    LENDERS,
    _footnote,
    _network_figure,
    _place_labels,
    _role_rank,
)

#: A link worth less than this share of the largest flow between two firms of the loop is not drawn
#: (unless it lies on the largest cycle).
SMALL_FLOW_SHARE = 0.02
#: The groups links are coloured by, in legend order: label and colour.
FLOW_GROUPS: dict[str, tuple[str, str]] = {
    "funding": ("funding: tranches, shares,\ncredits, loans drawn", "#2ca02c"),
    "goods": ("goods and services:\nchips, compute", "#1f77b4"),
    "back": ("back to funders: interest,\nrepayments, dividends", "#8a8a8a"),
    "other": ("other: asset sales,\npenalties, recoveries", "#bcbd22"),
}
_CYCLE_COLOR = "#222222"
_FUNDING, _BACK = set(FUNDING_KINDS), set(PAYBACK_KINDS)


def _group(kind: str, payee_account: str) -> str:
    """The group of a payment (:data:`FLOW_GROUPS`) from its kind and the account its payee moved."""
    if kind in _FUNDING:
        return "funding"
    if kind in _BACK or kind == "interest":
        return "back"
    return "goods" if payee_account == REVENUE_ACCOUNT else "other"


def loop_periods(quarters: Sequence[str]) -> dict[str, list[str]]:
    """The periods drawn: the whole run (``""``) and each calendar year the run covers in full (``"2027"``).

    Args:
        quarters: The run's simulated quarters, in order (the opening excluded).

    Returns:
        Period name -> its quarters.
    """
    years: dict[str, list[str]] = {}
    for q in quarters:
        years.setdefault(str(q)[:4], []).append(str(q))
    return {"": list(quarters), **{y: qs for y, qs in years.items() if len(qs) == 4}}


def money_loop(payments: pd.DataFrame, balance_sheets: pd.DataFrame, quarters: Sequence[str] | None = None) -> Figure:
    """The money paid between the firms of the loop over a period, with their lenders and outside funders.

    Nodes are the firms of the loop (labs, clouds, chipmakers, investors) with a flow drawn, every lender as one
    node (``Lenders``), the government, and the external sector; they sit on a circle grouped by role, with node
    area growing with the money each received. Links are the period's payments summed per payer, payee and group
    (:data:`FLOW_GROUPS`), from payer to payee, width growing with the square root of the amount. Between the
    external sector and a firm only funding and payments back to funders are drawn (shares bought by outside
    investors, dividends and buybacks): end-user sales and what firms pay outside for staff, power and equipment
    would dwarf the loop, and the footnote gives their totals instead. Links under :data:`SMALL_FLOW_SHARE` of
    the largest flow between two firms of the loop are left out (counted in the footnote), except those on the
    period's largest cycle (:func:`economy.circularity.money_cycles` over the period's flows between firms of the
    loop), which is outlined, its flows labelled.

    Args:
        payments: The payments table (``payments.csv``).
        balance_sheets: The balance-sheets table (names and roles of the nodes).
        quarters: The quarters to sum over (default: every quarter with payments).

    Returns:
        A Figure with a single axes (axis lines hidden); a "nothing to draw" figure when no money moved
        between the firms of the loop.
    """
    pay = _as_str_quarters(payments)
    period = [str(q) for q in quarters] if quarters is not None else quarter_order(pay)
    pay = pay[pay["quarter"].isin(set(period))]
    span = f"{period[0]}–{period[-1]}" if len(period) > 1 else (period[0] if period else "")
    title = f"Money paid between firms, {span}"
    first = balance_sheets.drop_duplicates("entity")
    names = dict(zip(first["entity"].astype(str), first["name"].astype(str), strict=True))
    roles = dict(zip(first["entity"].astype(str), first["role"].astype(str), strict=True))
    lenders = sorted(e for e, r in roles.items() if r == "lender")
    node_of = {e: (LENDERS if r == "lender" else e) for e, r in roles.items()}
    role = {**{n: roles[e] for e, n in node_of.items()}, LENDERS: "lender"}
    names[LENDERS] = "Lenders"
    in_loop = {n for n, r in role.items() if r not in OUTSIDE_ROLES}

    # summed per payer, payee, kind and account first: a run has thousands of payments but a few hundred such sums
    pay = pay.assign(amount=_numeric(pay, "amount")).groupby(["payer", "payee", "kind", "payee_account"],
                                                              observed=True).amount.sum().reset_index()
    frame = pd.DataFrame({
        "u": [node_of.get(p, p) for p in pay["payer"].astype(str)],
        "v": [node_of.get(p, p) for p in pay["payee"].astype(str)],
        "group": [_group(k, a) for k, a in zip(pay["kind"].astype(str), pay["payee_account"].astype(str), strict=True)],
        "amount": pay["amount"].to_numpy(),
    })
    frame = frame[(frame.u != frame.v) & frame.u.isin(role) & frame.v.isin(role)]
    outside = (frame.u.map(role) == "external") | (frame.v.map(role) == "external")
    business = frame[outside & frame.group.isin(["goods", "other"])]  # sales to end users, costs paid outside
    frame = frame[~(outside & frame.group.isin(["goods", "other"]))]
    links = (frame.groupby(["u", "v", "group"], sort=True).amount.sum().reset_index()
             .sort_values(["amount", "u", "v", "group"], ascending=[False, True, True, True], ignore_index=True))
    between = links[links.u.isin(in_loop) & links.v.isin(in_loop)]
    if between.empty:
        return _no_data_figure("No money moved between firms of the loop in this period", title, _WIDTH, 4.0)
    graph = between.groupby(["u", "v"]).amount.sum().to_dict()
    order = sorted(in_loop, key=lambda n: (_role_rank(role[n]), n))
    cycles = money_cycles(graph, order)
    funding = between[between.group == "funding"]
    funded = set(zip(funding.u, funding.v, strict=True))
    started = [c for c in cycles if any((c[0][i], c[0][(i + 1) % len(c[0])]) in funded for i in range(len(c[0])))]
    cycle, volume = (started or cycles or [((), 0.0)])[0]
    if started:  # told from the funder: the funding first, then the money coming back
        at = next(i for i in range(len(cycle)) if (cycle[i], cycle[(i + 1) % len(cycle)]) in funded)
        cycle = cycle[at:] + cycle[:at]
    on_cycle = {(cycle[i], cycle[(i + 1) % len(cycle)]) for i in range(len(cycle))}
    floor = SMALL_FLOW_SHARE * float(between.amount.max())
    keep = (links.amount >= floor) | np.array([(u, v) in on_cycle for u, v in zip(links.u, links.v, strict=True)], bool)
    hidden, links = links[~keep], links[keep].reset_index(drop=True)
    shown = sorted(set(links.u) | set(links.v), key=lambda n: (_role_rank(role[n]), n))

    # a circle clockwise from the top, grouped by role, a gap between groups
    slots: list[str | None] = []
    for i, n in enumerate(shown):
        if i and role[n] != role[shown[i - 1]]:
            slots.append(None)
        slots.append(n)
    angle = {n: math.pi / 2 - 2 * math.pi * i / len(slots) for i, n in enumerate(slots) if n is not None}
    drawn = pd.DataFrame({"name": [_short_name(names.get(n, n)) for n in shown], "role": [role[n] for n in shown],
                          "status": "healthy", "angle": [angle[n] for n in shown]}, index=pd.Index(shown))
    drawn["x"], drawn["y"] = _X_RADIUS * np.cos(drawn["angle"]), np.sin(drawn["angle"])

    fig, ax = _network_figure()

    received = links.groupby("v").amount.sum()
    rmax = float(received.max()) if len(received) and received.max() > 0 else 1.0
    diameter = {n: _SMALLEST_NODE + (_LARGEST_NODE - _SMALLEST_NODE) * math.sqrt(float(received.get(n, 0.0)) / rmax)
                for n in shown}
    outer = {n: d / 2 + 0.5 for n, d in diameter.items()}
    ax.scatter(drawn["x"], drawn["y"], s=[diameter[n] ** 2 for n in shown],
               c=[ROLE_COLORS.get(role[n], ROLE_COLORS["other"]) for n in shown], edgecolors="#404040",
               linewidths=0.8, alpha=0.95, zorder=2, gid="nodes")

    amax = float(links.amount.max())
    seen: dict[tuple, int] = {}
    for link in links.itertuples(index=False):
        pair = (link.u, link.v)  # the other way round bends to the other side by itself
        rank = seen[pair] = seen.get(pair, -1) + 1  # links of several groups between the same two nodes bend apart
        rad = 0.15 + 0.12 * rank
        width = 0.8 + 9.0 * math.sqrt(link.amount / amax)
        a = np.array([drawn.at[link.u, "x"], drawn.at[link.u, "y"]])
        b = np.array([drawn.at[link.v, "x"], drawn.at[link.v, "y"]])
        # start and end on the nodes' rims, along the curve's tangents (towards arc3's control point): cheaper than
        # letting matplotlib shrink each curve by bisection when it draws
        control = 0.5 * (a + b) + rad * np.array([b[1] - a[1], a[0] - b[0]])
        a = a + (control - a) / np.hypot(*(control - a)) * (outer[link.u] + 1.0) / _POINTS
        b = b + (control - b) / np.hypot(*(control - b)) * (outer[link.v] + 2.0) / _POINTS
        common = {"connectionstyle": f"arc3,rad={rad:.2f}", "shrinkA": 0.0, "shrinkB": 0.0}
        if (link.u, link.v) in on_cycle and rank == 0:
            ax.add_patch(FancyArrowPatch(tuple(a), tuple(b), arrowstyle="-", linewidth=width + 4.0, color=_CYCLE_COLOR,
                                         zorder=0.9, gid="cycle", **common))
            mid = 0.5 * (a + b) + rad * np.array([b[1] - a[1], a[0] - b[0]]) / 2  # the middle of arc3's curve
            ax.annotate(_money(graph[link.u, link.v]), tuple(mid), ha="center", va="center", fontsize=12,
                        fontweight="bold", zorder=5, gid="cycle-label",
                        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": _CYCLE_COLOR})
        ax.add_patch(FancyArrowPatch(tuple(a), tuple(b), arrowstyle="-|>", mutation_scale=10.0 + 1.5 * width,
                                     linewidth=width, color=FLOW_GROUPS[link.group][1],
                                     alpha=0.45 if link.group == "back" else 0.75, zorder=1,
                                     gid="link", **common))
    _place_labels(ax, drawn, outer)

    fig.suptitle(f"{title}: USD {float(between.amount.sum()):,.0f}B paid between firms of the loop", fontsize=15,
                 y=1 - 0.12 / _HEIGHT, va="top")
    lines = []
    if cycle:
        what = "Largest loop started by funding" if started else "Largest loop"
        lines.append(f"{what} (outlined): {_path(cycle, names)}: {_money(volume)} went all the way round")
    if started and cycles[0][0] != cycle:
        lines.append(f"Largest loop of any payments: {_path(cycles[0][0], names)}: {_money(cycles[0][1])}")
    if lines:
        fig.text(0.5, 1 - 0.48 / _HEIGHT, "\n".join(lines), ha="center", va="top", fontsize=13, linespacing=1.4)
    sales = float(business.loc[business.u.map(role) == "external", "amount"].sum())
    costs = float(business.loc[business.v.map(role) == "external", "amount"].sum())
    notes = ["Arrows go from payer to payee, width ~ square root of the amount paid in the period; "
             "node area ~ money received on the arrows drawn. The loop: labs, clouds, chipmakers, investors",
             f"Not drawn: what outside buyers paid firms ({_money(sales)}: end users, non-AI customers) "
             f"and what firms paid outside ({_money(costs)}: staff, power, equipment)"]
    if len(lenders) > 1:
        notes.append("Lenders: " + ", ".join(_short_name(names[e]) for e in lenders))
    if len(hidden):
        n = len(hidden)
        notes.append(f"Not drawn: {n} smaller flow{'s' if n != 1 else ''} ({_money(float(hidden.amount.sum()))} in all), "
                     f"each under {SMALL_FLOW_SHARE:.0%} of the largest flow between two firms of the loop")
    _footnote(fig, notes)
    _loop_legend(fig, drawn, links, bool(cycle))
    return fig


def _path(cycle: Sequence[str], names: dict[str, str]) -> str:
    """A cycle as ``A → B → A`` with display names."""
    return " → ".join(_short_name(names.get(n, n)) for n in (*cycle, cycle[0]))


def _loop_legend(fig: Figure, nodes: pd.DataFrame, links: pd.DataFrame, cycle: bool) -> None:
    """The legend right of the drawing: roles, flow groups and the cycle's outline."""

    def header(text: str) -> Line2D:
        return Line2D([], [], linestyle="none", label=text)

    handles = [header("Role")]
    handles += [Line2D([], [], marker="o", linestyle="none", markersize=12, markerfacecolor=ROLE_COLORS[r],
                       markeredgecolor="#404040", label=r) for r in ROLE_COLORS if r in set(nodes["role"])]
    handles.append(header("Money paid (arrow)"))
    groups = set(links["group"])
    for g, (label, colour) in FLOW_GROUPS.items():
        if g in groups:
            handles.append(Line2D([], [], color=colour, linewidth=3.5, label=label))
    if cycle:
        handles.append(Line2D([], [], color=_CYCLE_COLOR, linewidth=6.0, label="the loop outlined"))
    left = (_AXES[0] + _AXES[2] + 0.1) / _WIDTH
    legend = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(left, (_AXES[1] + _AXES[3]) / _HEIGHT),
                        fontsize=10.5, frameon=False, borderaxespad=0.0)
    for text in legend.get_texts():
        if text.get_text() in ("Role", "Money paid (arrow)"):
            text.set_fontweight("bold")
