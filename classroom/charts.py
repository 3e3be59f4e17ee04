"""KPIs and time series of the system and of one firm, as plain values and ECharts options.

ECharts rather than matplotlib: a chart re-renders in the browser in milliseconds,
keeping a step under the half-second target, and its text uses the served Japanese font.
"""

from __future__ import annotations

from classroom.i18n import money, t
from classroom.state import View, circular_share
from classroom.web import FONT

SYSTEM_MONEY = ("ai_demand", "partner_debt", "fiscal_cost")
SYSTEM_OTHER = ("sentiment", "policy_rate", "defaults")
FIRM_SERIES = ("cash", "total_assets", "debt", "equity", "market_value")


def kpis(view: View, lang: str) -> list[tuple[str, str]]:
    """(label, value) pairs for the monitors row, at the view's quarter."""
    s = view.system
    circ = circular_share(view)
    return [
        (t(lang, "kpi.ai_demand"), money(lang, float(s["ai_demand"]))),
        (t(lang, "kpi.regime"), t(lang, "regime." + str(s["demand_regime"]))),
        (t(lang, "kpi.defaults"), str(int(s["defaults"]))),
        (t(lang, "kpi.rescues"), str(int(s["rescues"]))),
        (t(lang, "kpi.fiscal_cost"), money(lang, float(s["fiscal_cost"]))),
        (t(lang, "kpi.partner_debt"), money(lang, float(s["partner_debt"]))),
        (t(lang, "kpi.sentiment"), f"{float(s['sentiment']):+.2f}"),
        (t(lang, "kpi.policy_rate"), f"{float(s['policy_rate_annual']):.2%}"),
        (t(lang, "kpi.resale_factor"), f"{float(s['resale_factor']):.0%}"),
        (t(lang, "kpi.circularity"), "—" if circ is None else f"{circ:.0%}"),
    ]


def _lines(title: str, quarters: list[str], series: list[tuple[str, list[float]]], percent: bool = False) -> dict:
    return {
        "textStyle": {"fontFamily": FONT},
        "title": {"text": title, "left": "center", "textStyle": {"fontFamily": FONT, "fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0, "textStyle": {"fontFamily": FONT}},
        "grid": {"left": 60, "right": 20, "top": 40, "bottom": 50},
        "xAxis": {"type": "category", "data": quarters},
        "yAxis": {"type": "value", "scale": True},
        "animation": False,
        "series": [{"type": "line", "name": name, "data": [round(v, 4) for v in values], "showSymbol": False}
                   for name, values in series],
    }


def system_options(view: View, lang: str) -> list[dict]:
    """Two charts of the system over the run so far: money series, and mood, rates and defaults."""
    sys = view.tables["system"]
    quarters = sys["quarter"].tolist()
    money_chart = _lines(t(lang, "plots.system"), quarters,
                         [(t(lang, "series." + k), sys[k].astype(float).tolist()) for k in SYSTEM_MONEY])
    other = [
        (t(lang, "series.sentiment"), sys["sentiment"].astype(float).tolist()),
        (t(lang, "series.policy_rate"), (sys["policy_rate_annual"].astype(float) * 100).tolist()),
        (t(lang, "series.defaults"), sys["defaults"].astype(float).tolist()),
    ]
    return [money_chart, _lines("", quarters, other)]


def firm_option(view: View, lang: str, entity: str, name: str) -> dict:
    """One firm's balance sheet over the run so far."""
    bs = view.tables["balance_sheets"]
    rows = bs[bs["entity"] == entity]
    return _lines(f"{t(lang, 'plots.firm')}: {name}", rows["quarter"].tolist(),
                  [(t(lang, "series." + k), rows[k].astype(float).tolist()) for k in FIRM_SERIES])
