"""The deal web as an ECharts option: companies laid out by role, money flowing this quarter.

Positions are fixed by role and id, so a node stays where it is from quarter to
quarter; colour is the company's status, size its value, and arrows the money that
moved this quarter (contract payments, and new money: loans, tranches, rescues).
Firms that default or are rescued this quarter pulse (an effect-scatter ring).
"""

from __future__ import annotations

import html
import math

from classroom.i18n import company_name, money, t
from classroom.state import View, money_moves

FONT = "'IPAexGothic', 'Helvetica Neue', Arial, sans-serif"
"""The page's font stack: IPAexGothic is served by the app (matplotlib_fontja), so Japanese needs no OS font."""
ROLES = ("investor", "lab", "hyperscaler", "neocloud", "chipmaker", "lender", "government")
STATUS_COLOURS = {"healthy": "#4e9a06", "distressed": "#e6a100", "defaulted": "#cc0000", "rescued": "#3465a4",
                  "reorganised": "#75507b"}
EDGE_COLOURS = {"payment": "#8a8f98", "funding": "#2e9e8f"}


def layout(roles: dict[str, str]) -> dict[str, tuple[float, float]]:
    """A fixed (x, y) per company: one column per role, firms spread evenly down it in id order."""
    pos: dict[str, tuple[float, float]] = {}
    for col, role in enumerate(ROLES):
        members = sorted(e for e, r in roles.items() if r == role)
        for i, entity in enumerate(members):
            pos[entity] = (float(col), (i + 1) / (len(members) + 1) * 10.0)
    extra = sorted(e for e in roles if e not in pos)  # a role this layout does not know: a last column
    for i, entity in enumerate(extra):
        pos[entity] = (float(len(ROLES)), (i + 1) / (len(extra) + 1) * 10.0)
    return pos


def _value(row) -> float:
    """What a node's size shows: market value, or book equity for firms without one (lenders, government)."""
    return float(row.market_value) if row.market_value > 0 else max(0.0, float(row.equity))


def _sheet(lang: str, name: str, row) -> str:
    """The hover card: a firm's balance sheet this quarter."""
    lines = [f"<b>{html.escape(name)}</b>", f"{t(lang, 'sheet.status')}: {t(lang, 'status.' + row.status)}"]
    for key in ("cash", "total_assets", "debt", "equity", "market_value", "revenue", "net_income"):
        lines.append(f"{t(lang, 'sheet.' + key)}: {money(lang, float(getattr(row, key)))}")
    lines.append(f"{t(lang, 'sheet.capacity_gw')}: {float(row.capacity_gw):.2f}")
    return "<br/>".join(lines)


def web_option(view: View, lang: str) -> dict:
    """The ECharts option of the deal web at the view's quarter."""
    pos = layout(view.roles)
    sheets = view.sheets()
    values = {r.entity: _value(r) for r in sheets.itertuples()}
    top = max(values.values(), default=1.0) or 1.0
    before = view.sheets(view.tables["system"]["quarter"].iloc[-2]) if len(view.tables["system"]) > 1 else sheets
    was = dict(zip(before["entity"], before["status"], strict=True))
    nodes, pulses = [], []
    for r in sheets.itertuples():
        name = company_name(lang, r.entity, view.names.get(r.entity, ""))
        x, y = pos[r.entity]
        size = 10 + 42 * math.sqrt(values[r.entity] / top)
        nodes.append({
            "id": r.entity, "name": name, "value": [x, y], "symbolSize": round(size, 1),
            "itemStyle": {"color": STATUS_COLOURS.get(r.status, "#888")},
            "tooltip": {"formatter": _sheet(lang, name, r)},
        })
        if r.status in ("defaulted", "rescued", "reorganised") and was.get(r.entity) != r.status:
            pulses.append({"value": [x, y], "symbolSize": round(size, 1),
                           "itemStyle": {"color": STATUS_COLOURS[r.status]}})
    moves = money_moves(view)
    biggest = float(moves["amount"].max()) if len(moves) else 1.0
    links = []
    for m in moves.itertuples():
        payer = company_name(lang, m.payer, view.names.get(m.payer, ""))
        payee = company_name(lang, m.payee, view.names.get(m.payee, ""))
        links.append({
            "source": m.payer, "target": m.payee,
            "lineStyle": {"width": round(0.8 + 9 * math.sqrt(m.amount / biggest), 2), "color": EDGE_COLOURS[m.kind],
                          "opacity": 0.75, "curveness": 0.18},
            "tooltip": {"formatter": f"{html.escape(payer)} → {html.escape(payee)}: "
                                     f"{t(lang, 'sheet.paid', amount=money(lang, m.amount))}"},
        })
    columns = [{"value": [float(i), 0.0], "label": {"show": True, "formatter": t(lang, "role." + role),
                                                     "fontWeight": "bold", "color": "#444"}}
               for i, role in enumerate(ROLES) if role in view.roles.values()]
    axis = {"show": False, "type": "value"}
    return {
        "textStyle": {"fontFamily": FONT},
        "title": {"text": t(lang, "web.title", label=view.label), "subtext": t(lang, "web.legend_edges"),
                  "left": "center", "textStyle": {"fontFamily": FONT, "fontSize": 15}},
        "tooltip": {"trigger": "item", "confine": True},
        "grid": {"left": 40, "right": 40, "top": 70, "bottom": 20},
        "xAxis": {**axis, "min": -0.6, "max": len(ROLES) - 0.4},
        "yAxis": {**axis, "min": -0.4, "max": 10.4, "inverse": True},
        "animationDurationUpdate": 300,
        "series": [
            {"type": "graph", "coordinateSystem": "cartesian2d", "data": nodes, "links": links,
             "edgeSymbol": ["none", "arrow"], "edgeSymbolSize": 7, "roam": False,
             "label": {"show": True, "position": "right", "fontSize": 11, "fontFamily": FONT},
             # blur within the web only: ECharts 5.4 would ask the pulse and label series for the
             # graph's node/edge data and throw on every hover (apache/echarts#14270)
             "emphasis": {"focus": "adjacency", "blurScope": "series", "lineStyle": {"opacity": 1}}, "z": 3},
            {"type": "effectScatter", "coordinateSystem": "cartesian2d", "data": pulses, "z": 2,
             "rippleEffect": {"scale": 3.0, "brushType": "stroke"}, "tooltip": {"show": False}},
            {"type": "scatter", "coordinateSystem": "cartesian2d", "data": columns, "symbolSize": 0,
             "tooltip": {"show": False}, "silent": True},
        ],
    }
