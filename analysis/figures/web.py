"""The contract web: who is bound to whom at one quarter.

Holds which contracts are active at a quarter, the node table (name, role,
status, size), the fixed circular layout grouped by role that every quarter of a
run shares, the drawing itself and its sectioned legend.

Functions:
    active_contracts: the contracts active at a quarter.
    contract_web: the network of contracts active at one quarter, nodes outlined by status.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..results import quarter_key
from .style import _OTHER_KIND_COLOR, _ROLE_ORDER, _STATUS_STYLES, KIND_COLORS, ROLE_COLORS, _new_figure
from .tables import _as_str_quarters, _short_name, _values


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
