"""The contract web: who is bound to whom at one quarter.

Holds which contracts are active at a quarter, the node table (name, role,
status, size), the fixed layout grouped by role that every quarter of a run
shares, the drawing itself and its sectioned legend.

The web is drawn to be read from the back of a room: healthy lenders are one node
("Lenders"), all the contracts of one kind from one party to another are one link,
links under :data:`SMALL_LINK_SHARE` of the quarter's headline value are left out
(unless they touch a firm in trouble) and counted in the footnote, and every label
is placed outside every node, clear of the other labels, at a size a projector shows.

Functions:
    active_contracts: the contracts active at a quarter.
    contract_web: the network of contracts active at one quarter, nodes outlined by status.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from ..results import quarter_key
from .style import _OTHER_KIND_COLOR, _ROLE_ORDER, _STATUS_STYLES, KIND_COLORS, ROLE_COLORS, _money
from .tables import _as_str_quarters, _short_name, _values

#: A link (the contracts of one kind from one party to another) worth less than this share of the
#: quarter's headline value is not drawn, unless it touches a distressed, defaulted or rescued firm.
SMALL_LINK_SHARE = 0.005
#: The node standing for every healthy lender when there are two or more.
LENDERS = "lenders"
_TROUBLE = ("distressed", "defaulted", "rescued")

# The figure is laid out by hand (inches), so that label placement can work in points before drawing.
_WIDTH, _HEIGHT = 14.0, 9.5
_AXES = (0.15, 1.05, 10.9, 7.55)  # left, bottom, width, height of the drawing area
_Y_HALF = 1.42  # half the data height of the drawing area; nodes sit on an ellipse of half-height 1
_X_RADIUS = 1.3  # half-width of the ellipse: the area is wider than tall, and so are labels
_POINTS = _AXES[3] * 72.0 / (2 * _Y_HALF)  # points per data unit (equal on both axes)
_LABEL_SIZE = 12.5
_LARGEST_NODE, _SMALLEST_NODE, _TROUBLE_NODE = 44.0, 12.0, 20.0  # node diameters in points
_RING_GAP = 5.0  # points between a node and its status ring
# Where a label may go, nearest first: (1 outside its node or -1 inside the ellipse, points further from the
# node, points sideways). Inside spots (over the links, on the label's white box) come only after every outside one.
_CANDIDATES = sorted(((way, 5.0 * out, 6.0 * side) for way in (1, -1) for out in range(24) for side in range(-12, 13)),
                     key=lambda c: (-c[0], c[1] + 1.5 * abs(c[2]), abs(c[2]), c[2]))


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


def _drawn_nodes(nodes: pd.DataFrame, pos: dict[str, np.ndarray]) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Merge the healthy lenders into one node when there are two or more.

    A lender in trouble keeps its own node, so that its status shows.

    Args:
        nodes: The node table of the quarter (:func:`_node_table`).
        pos: The run's layout (unit-circle positions of every entity).

    Returns:
        The table of drawn nodes (with ``x, y``), each entity's drawn node, and the
        names of the lenders merged (empty when none were).
    """
    healthy_lenders = [n for n in nodes.index if nodes.at[n, "role"] == "lender" and nodes.at[n, "status"] == "healthy"]
    merge = healthy_lenders if len(healthy_lenders) >= 2 else []
    drawn = nodes.drop(index=merge).copy()
    node_of = {n: n for n in nodes.index}
    if merge:
        angle = math.atan2(sum(pos[n][1] for n in merge), sum(pos[n][0] for n in merge))
        pos = {**pos, LENDERS: np.array([math.cos(angle), math.sin(angle)])}
        merged = pd.DataFrame({"name": "Lenders", "role": "lender", "status": "healthy",
                               "value": float(nodes.loc[merge, "value"].sum())}, index=pd.Index([LENDERS], name="entity"))
        drawn = pd.concat([drawn, merged])
        node_of.update({n: LENDERS for n in merge})
    unit = np.array([pos[n] for n in drawn.index]) if len(drawn) else np.zeros((0, 2))
    drawn["angle"] = np.arctan2(unit[:, 1], unit[:, 0]) if len(drawn) else []
    drawn["x"], drawn["y"] = _X_RADIUS * np.cos(drawn["angle"]), np.sin(drawn["angle"])
    return drawn, node_of, [_short_name(str(nodes.at[n, "name"]) or n) for n in merge]


def _links(active: pd.DataFrame, node_of: dict[str, str], trouble: set[str]) -> tuple[pd.DataFrame, dict[str, float]]:
    """The links to draw: active contracts summed per (payer node, payee node, kind), small ones left out.

    Args:
        active: The contracts active at the quarter.
        node_of: Each entity's drawn node.
        trouble: Drawn nodes that are distressed, defaulted or rescued (their links are always drawn).

    Returns:
        ``u, v, kind, amount, contracts`` by decreasing amount, and what was left out
        (``links``, ``contracts``, ``amount``).
    """
    frame = pd.DataFrame({
        "u": [node_of.get(str(p), str(p)) for p in active["from_party"]],
        "v": [node_of.get(str(p), str(p)) for p in active["to_party"]],
        "kind": active["kind"].astype(str).to_numpy(),
        "amount": pd.to_numeric(active["amount"], errors="coerce").fillna(0.0).clip(lower=0.0).to_numpy(),
    })
    frame = frame[frame.u != frame.v]  # a contract between two merged lenders
    links = (frame.groupby(["u", "v", "kind"], sort=True).amount.agg(amount="sum", contracts="size").reset_index()
             .sort_values(["amount", "u", "v", "kind"], ascending=[False, True, True, True], ignore_index=True))
    floor = SMALL_LINK_SHARE * float(links.amount.sum())
    keep = (links.amount >= floor) | links.u.isin(trouble) | links.v.isin(trouble)
    hidden = links[~keep]
    left_out = {"links": float(len(hidden)), "contracts": float(hidden.contracts.sum()), "amount": float(hidden.amount.sum())}
    return links[keep].reset_index(drop=True), left_out


def _box(anchor: np.ndarray, size: tuple[float, float], ha: str, va: str) -> tuple[float, float, float, float]:
    """The rectangle ``(x0, y0, x1, y1)`` a text of ``size`` (points) covers when aligned ``ha``/``va`` at ``anchor``."""
    w, h = size
    x0 = anchor[0] - {"left": 0.0, "center": w / 2, "right": w}[ha]
    y0 = anchor[1] - {"bottom": 0.0, "center": h / 2, "top": h}[va]
    return x0, y0, x0 + w, y0 + h


def _hits_disc(box: tuple[float, float, float, float], centre: np.ndarray, radius: float) -> bool:
    """Whether a rectangle and a disc overlap."""
    nearest = np.clip(centre, [box[0], box[1]], [box[2], box[3]])
    return float(np.hypot(*(nearest - centre))) < radius


def _hits_box(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether two rectangles overlap."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _network_figure() -> tuple[Figure, Axes]:
    """An empty figure of a network (the contract web, the money loop) and its drawing area.

    The drawing area is :data:`_AXES` of a :data:`_WIDTH` by :data:`_HEIGHT` inch figure, with
    data coordinates scaled alike on both axes (:data:`_Y_HALF` up and down from the centre)
    and no axis lines: the frame :func:`_place_labels` keeps the node labels inside.

    Returns:
        The figure (on an Agg canvas pyplot does not know about) and its drawing area.
    """
    fig = Figure(figsize=(_WIDTH, _HEIGHT))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((_AXES[0] / _WIDTH, _AXES[1] / _HEIGHT, _AXES[2] / _WIDTH, _AXES[3] / _HEIGHT))
    x_half = _Y_HALF * _AXES[2] / _AXES[3]
    ax.set_xlim(-x_half, x_half)
    ax.set_ylim(-_Y_HALF, _Y_HALF)
    ax.set_axis_off()
    return fig, ax


def _footnote(fig: Figure, notes: Sequence[str]) -> None:
    """Write the notes of a network figure under its drawing area, one line each, centred."""
    fig.text(0.5, 0.1 / _HEIGHT, "\n".join(notes), ha="center", va="bottom", fontsize=10.5, linespacing=1.4)


def _place_labels(ax: Axes, drawn: pd.DataFrame, radius: dict[str, float]) -> None:
    """Write each node's label outside it, clear of every node and of the labels placed before.

    Works in points from the centre of the drawing area. A label leaves its node in the
    node's direction from the centre, aligned so that it grows away from the node; when
    that spot is taken (or outside the drawing area) it tries spots further out and to
    either side, nearest first, and is joined to its node by a thin leader. Should no
    spot be clear, it takes the one with the fewest clashes.

    Args:
        ax: The drawing area.
        drawn: The drawn nodes with ``x, y, angle, name, status``.
        radius: Each node's outer radius in points (its status ring included).
    """
    renderer = ax.figure.canvas.get_renderer()
    scale = 72.0 / ax.figure.dpi
    centres = {n: np.array([drawn.at[n, "x"], drawn.at[n, "y"]]) * _POINTS for n in drawn.index}
    half = np.array([_AXES[2], _AXES[3]]) * 36.0  # half the drawing area, points
    placed: list[tuple[float, float, float, float]] = []
    for n in drawn.index:
        status = str(drawn.at[n, "status"])
        style = _STATUS_STYLES.get(status)
        flagged = style is not None and status != "healthy"
        label = _short_name(str(drawn.at[n, "name"]) or n) + (f"\n{style.label.lower()}" if flagged else "")
        text = ax.annotate(label, (drawn.at[n, "x"], drawn.at[n, "y"]), xytext=(0, 0), textcoords="offset points",
                           fontsize=_LABEL_SIZE, fontweight="bold" if flagged else "normal",
                           color=style.outline if flagged else "black", zorder=4, gid="label",
                           multialignment="center", bbox={"boxstyle": "round,pad=0.15", "facecolor": "white",
                                                          "edgecolor": "none", "alpha": 0.85})
        extent = text.get_window_extent(renderer)
        size = (extent.width * scale + 3.0, extent.height * scale + 3.0)  # with the white box's pad
        c, s = math.cos(drawn.at[n, "angle"]), math.sin(drawn.at[n, "angle"])
        first = radius[n] + 4.0
        best, least = None, math.inf
        for way, out, side in _CANDIDATES:
            direction, across = np.array([way * c, way * s]), np.array([-s, c])
            ha = "left" if direction[0] > 0.3 else "right" if direction[0] < -0.3 else "center"
            va = "bottom" if direction[1] > 0.3 else "top" if direction[1] < -0.3 else "center"
            anchor = centres[n] + direction * (first + out) + across * side
            box = _box(anchor, size, ha, va)
            if not (box[0] >= -half[0] and box[2] <= half[0] and box[1] >= -half[1] and box[3] <= half[1]):
                continue
            clashes = (sum(_hits_disc(box, centres[m], radius[m] + 1.5) for m in drawn.index)
                       + sum(_hits_box(box, other) for other in placed))
            if clashes < least:
                best, least = (bool(out or side), anchor, box, ha, va), clashes
                if not clashes:
                    break
        if best is None:  # no spot inside the drawing area at all (a label wider than it): the plain spot
            anchor = centres[n] + np.array([c, s]) * first
            best = (False, anchor, _box(anchor, size, "center", "center"), "center", "center")
        moved, anchor, box, ha, va = best
        placed.append((box[0] - 1.5, box[1] - 1.5, box[2] + 1.5, box[3] + 1.5))  # a little air between labels
        offset = anchor - centres[n]
        text.xyann = (float(offset[0]), float(offset[1]))
        text.set_horizontalalignment(ha)
        text.set_verticalalignment(va)
        if moved:
            start = centres[n] + (anchor - centres[n]) / max(float(np.hypot(*(anchor - centres[n]))), 1e-9) * radius[n]
            ax.plot([start[0] / _POINTS, anchor[0] / _POINTS], [start[1] / _POINTS, anchor[1] / _POINTS],
                    color="#9a9a9a", linewidth=0.8, zorder=3, gid="leader")


def contract_web(contracts: pd.DataFrame, balance_sheets: pd.DataFrame, quarter: str) -> Figure:
    """The network of contracts active at one quarter.

    Nodes are entities, sized by market value (total assets when the market value
    is 0 or missing) and filled by role; distressed, defaulted and rescued
    entities get a distinct ring and a coloured label. Healthy lenders are one
    node when there are several. Links are the contracts active at the quarter
    (see :func:`active_contracts`) summed per payer, payee and kind, pointing the
    way the headline money goes, coloured by kind, with width growing with
    log(amount); links under :data:`SMALL_LINK_SHARE` of the total are left out
    (counted in the footnote) unless they touch a firm in trouble. Nodes sit on an
    ellipse grouped by role; the layout depends only on the run's entities, so it
    is reproducible and identical for every quarter. Labels sit outside every node
    and clear of each other.

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
    drawn, node_of, merged = _drawn_nodes(nodes, _web_layout(contracts, balance_sheets))
    drawn = drawn.loc[sorted(drawn.index, key=lambda n: (_role_rank(drawn.at[n, "role"]), n))]
    trouble = {n for n in drawn.index if drawn.at[n, "status"] in _TROUBLE}
    links, left_out = _links(active, node_of, trouble)

    # The external sector's balance sheet is a bottomless sink: it must not set the scale.
    inside = drawn.loc[drawn["role"] != "external", "value"]
    vmax = float(inside.max()) if len(inside) and inside.max() > 0 else 1.0
    diameter = {n: min(_LARGEST_NODE, _SMALLEST_NODE + (_LARGEST_NODE - _SMALLEST_NODE) * math.sqrt(max(float(v), 0.0) / vmax))
                for n, v in drawn["value"].items()}
    diameter.update({n: max(diameter[n], _TROUBLE_NODE) for n in trouble})
    outer = {n: diameter[n] / 2 + (_RING_GAP + 2.0 if n in trouble else 0.5) for n in drawn.index}

    fig, ax = _network_figure()

    for status in [*_STATUS_STYLES, *sorted(set(drawn["status"]) - set(_STATUS_STYLES))]:
        group = [n for n in drawn.index if drawn.at[n, "status"] == status]
        if not group:
            continue
        style = _STATUS_STYLES.get(status, _STATUS_STYLES["healthy"])
        xs, ys = drawn.loc[group, "x"].to_numpy(), drawn.loc[group, "y"].to_numpy()
        ax.scatter(xs, ys, s=[diameter[n] ** 2 for n in group],
                   c=[ROLE_COLORS.get(drawn.at[n, "role"], ROLE_COLORS["other"]) for n in group],
                   edgecolors=style.outline, linewidths=min(style.linewidth, 2.0), linestyles=style.linestyle,
                   alpha=0.95, zorder=2, gid="nodes")
        if status != "healthy" and style.shade is not None:
            # a ring a little way outside the node, so the status shows whatever the role colour
            ax.scatter(xs, ys, s=[(diameter[n] + 2 * _RING_GAP) ** 2 for n in group], facecolors="none",
                       edgecolors=style.outline, linewidths=3.0, linestyles=style.linestyle, zorder=1.9, gid="status-ring")

    amax = float(links.amount.max()) if len(links) else 0.0
    seen: dict[frozenset[str], int] = {}
    for link in links.itertuples(index=False):
        pair = frozenset((link.u, link.v))
        rank = seen[pair] = seen.get(pair, -1) + 1  # links between the same two nodes bend apart
        scaled = math.log1p(link.amount) / math.log1p(amax) if amax > 0 else 0.0
        width = 0.8 + 5.2 * scaled
        ax.add_patch(FancyArrowPatch(
            (drawn.at[link.u, "x"], drawn.at[link.u, "y"]), (drawn.at[link.v, "x"], drawn.at[link.v, "y"]),
            arrowstyle="-|>", mutation_scale=10.0 + 2.0 * width, connectionstyle=f"arc3,rad={0.12 + 0.14 * rank:.2f}",
            shrinkA=outer[link.u] + 1.0, shrinkB=outer[link.v] + 2.0, linewidth=width,
            color=KIND_COLORS.get(link.kind, _OTHER_KIND_COLOR), alpha=0.75, zorder=1, gid="link"))

    _place_labels(ax, drawn, outer)

    total = float(pd.to_numeric(active["amount"], errors="coerce").fillna(0.0).clip(lower=0.0).sum())
    fig.suptitle(
        f"Contract web at {quarter}: {len(active)} active contracts, USD {total:,.0f}B headline value",
        fontsize=15, y=1 - 0.12 / _HEIGHT, va="top",
    )  # _worst_web relies on this wording
    notes = ["Node area ~ market value (total assets if none; the external sector is capped); "
             "link width ~ log(amount), all contracts of one kind between two parties summed",
             "Arrows follow the headline money (buyer→seller, lender→borrower, investor→investee, issuer→holder of credits)"]
    if merged:
        notes.append("Lenders: " + ", ".join(merged))
    if left_out["links"]:
        n = int(left_out["links"])
        notes.append(f"Not drawn: {n} smaller link{'s' if n != 1 else ''} ({int(left_out['contracts'])} contracts, "
                     f"{_money(left_out['amount'])} in all), each under {SMALL_LINK_SHARE:.1%} of the headline value")
    _footnote(fig, notes)
    _web_legend(fig, drawn, links)
    return fig


def _web_legend(fig: Figure, nodes: pd.DataFrame, links: pd.DataFrame) -> None:
    """Add one sectioned legend (roles, statuses, contract kinds) to a contract-web figure, right of the drawing.

    Args:
        fig: The contract-web figure.
        nodes: The drawn nodes.
        links: The links drawn (with ``kind``).
    """

    def header(text: str) -> Line2D:
        return Line2D([], [], linestyle="none", label=text)

    roles = [r for r in ROLE_COLORS if r in set(nodes["role"])]
    statuses = [s for s in _STATUS_STYLES if s in set(nodes["status"])]
    kinds = [k for k in KIND_COLORS if k in set(links["kind"].astype(str))]
    kinds += sorted(set(links["kind"].astype(str)) - set(KIND_COLORS))
    handles: list[Artist] = [header("Role")]
    handles += [
        Line2D([], [], marker="o", linestyle="none", markersize=12, markerfacecolor=ROLE_COLORS[r],
               markeredgecolor="#404040", label=r.replace("_", " "))
        for r in roles
    ]
    handles.append(header("Status (outline, label)"))
    for s in statuses:
        style = _STATUS_STYLES[s]
        handles.append(
            Line2D([], [], marker="o", linestyle="none", markersize=12, markerfacecolor="white",
                   markeredgecolor=style.outline, markeredgewidth=min(style.linewidth, 2.5), label=style.label)
        )
    handles.append(header("Contract kind (link)"))
    handles += [
        Line2D([], [], color=KIND_COLORS.get(k, _OTHER_KIND_COLOR), linewidth=3.5, label=k.replace("_", " "))
        for k in kinds
    ]
    headers = {"Role", "Status (outline, label)", "Contract kind (link)"}
    left = (_AXES[0] + _AXES[2] + 0.1) / _WIDTH
    legend = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(left, (_AXES[1] + _AXES[3]) / _HEIGHT),
                        fontsize=11, frameon=False, borderaxespad=0.0)
    for text in legend.get_texts():
        if text.get_text() in headers:
            text.set_fontweight("bold")
