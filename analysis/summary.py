"""Summary figures of one run, computed from its tables (MODEL.md section 9).

The systemic-event rule (MODEL.md 6a): a run has a systemic event when there is
contagion, not coincidence: a default that another firm's default brought about
(through any channel), or losses to the lenders above a tenth of their opening
capital, or a rescue (the government rescues only firms whose failure would cost
others more than its threshold). ``systemic_event_causes`` says which. The older
count (two or more defaults, or more than $100B written off by others) is kept as
``systemic_event_by_count``. Contracted orders lost to a buyer's default are reported
apart, as ``lost_backlog``. Cash burn is the negative of free
cash flow (change in cash less equity raised less net new debt).

One definition of loss, three things kept apart (README, "Losses"; docs/outputs.md):

* **losses written off** (``total_losses``, ``losses_by_holder``, ``losses_by_channel``):
  what holders lost for good: loans and unpaid dues written off (payment; the part of
  a loan loss due to fire-sale prices is collateral), stakes in failed firms (equity),
  what a seller in distress gave up selling below value (collateral), rescue haircuts,
  and outside claims a failed estate did not pay; every row of ``losses.csv`` but
  lost backlog;
* **lost backlog** (``lost_backlog``, ``lost_backlog_by_holder``): contracted future
  revenue a failed buyer will not bring, the demand channel; not a write-off of an asset.
  Both parts together; ``lost_backlog_binding`` (rows of kind ``backlog``: what the buyer
  had to take) and ``lost_backlog_nonbinding`` (kind ``backlog_nonbinding``: the optional
  rest, such as a letter of intent), each also ``_by_holder``, split it;
* **rescue cost** (``fiscal_cost``): what the government paid in rescues and guarantees.

``defaults_by_channel`` counts defaults by the channel that carried the most to the firm
in its last quarter (credit and confidence show up here: a refused loan or a failed round
is what pushed the firm over, not a loss to others).

``circularity`` sums the circularity tables of ``economy.circularity`` over the run:
round-tripped revenue as a share of each firm's revenue over the run (not a mean of
quarterly shares), and the loop's outside funding by calendar year.
"""

from __future__ import annotations

import math

import pandas as pd

from economy.channels import Channel
from economy.circularity import OUTSIDE_ROLES
from economy.state import BACKLOG_KINDS

SYSTEMIC_DEFAULTS = 2
SYSTEMIC_LOSSES = 100.0
SYSTEMIC_LENDER_LOSS_SHARE = 0.10
"""Losses to lenders, as a share of their opening capital, that make a systemic event by themselves."""
TOP_CYCLES = 5
"""How many cycles ``circularity.top_cycles`` lists."""


def _year(quarter: str) -> int:
    return int(str(quarter)[:4])


def lab_figures(balance_sheets: pd.DataFrame, entity: str, opening: str) -> dict:
    """Burn, losses and first profitable year of one lab."""
    df = balance_sheets[(balance_sheets.entity == entity) & (balance_sheets.quarter.astype(str) != opening)].copy()
    if df.empty:
        return {}
    df["year"] = df.quarter.astype(str).map(_year)
    by_year = df.groupby("year").agg(net_income=("net_income", "sum"), revenue=("revenue", "sum"),
                                     burn=("free_cash_flow", lambda s: -s.sum()), n=("quarter", "size"))
    full = by_year[by_year.n == 4]
    profitable = [int(y) for y, r in full.iterrows() if r.net_income > 0]
    burn_window = by_year.loc[[y for y in by_year.index if 2026 <= y <= 2029], "burn"].sum()
    return {
        "net_income_by_year": {int(y): round(float(v), 3) for y, v in by_year.net_income.items()},
        "revenue_by_year": {int(y): round(float(v), 3) for y, v in by_year.revenue.items()},
        "cumulative_burn_2026_2029": round(float(burn_window), 3),
        "first_profitable_year": profitable[0] if profitable else None,
        "final_status": str(df.status.iloc[-1]),
    }


def summarize(tables: dict[str, pd.DataFrame], labs: list[str]) -> dict:
    """The headline figures of a run, as plain JSON-ready values.

    Args:
        tables: The run's tables (``balance_sheets``, ``system``, ``cascade``, ``losses``; ``circularity``, ``loop``
            and ``cycles`` for the ``circularity`` block, which is left out without them).
        labs: Entity ids of the labs to report on.
    """
    balance_sheets, system = tables["balance_sheets"], tables["system"]
    cascade, losses = tables["cascade"], tables["losses"]
    opening = str(system.quarter.iloc[0])
    last = balance_sheets[balance_sheets.quarter.astype(str) == str(system.quarter.iloc[-1])]
    defaulted = sorted(last.loc[last.status == "defaulted", "entity"])
    rescued = sorted(last.loc[last.status == "rescued", "entity"])
    first_default = str(cascade.quarter.iloc[0]) if len(cascade) else None
    is_backlog = losses.kind.isin(BACKLOG_KINDS) if len(losses) else pd.Series(dtype=bool)
    written_off = losses[~is_backlog] if len(losses) else losses
    total_losses = float(written_off.amount.sum()) if len(written_off) else 0.0
    backlog = {kind: losses[losses.kind == kind] if len(losses) else losses for kind in BACKLOG_KINDS}
    binding, nonbinding = (float(backlog[kind].amount.sum()) if len(backlog[kind]) else 0.0 for kind in BACKLOG_KINDS)
    ai_roles = balance_sheets.role.isin(["lab", "chipmaker", "neocloud"])
    ai_value = balance_sheets[ai_roles].groupby("quarter", sort=False, observed=True).market_value.sum()
    peak_idx = ai_value.values.argmax()
    trough_after = ai_value.values[peak_idx:].min()
    peak = ai_value.values[peak_idx]
    share = system.ai_capex_share_gdp.iloc[1:] if len(system) > 1 else system.ai_capex_share_gdp
    causes = systemic_causes(balance_sheets, cascade, written_off, rescued, opening)
    out = {
        "quarters": int(len(system) - 1),
        "defaults": len(defaulted),
        "defaulted": defaulted,
        "rescued": rescued,
        "first_default_quarter": first_default,
        "systemic_event": bool(causes),
        "systemic_event_causes": causes,
        # every firm that defaulted counts, liquidated or reorganised (before reorganisation, all were still in default)
        "systemic_event_by_count": bool(len(set(defaulted) | set(cascade.entity if len(cascade) else []))
                                        >= SYSTEMIC_DEFAULTS or total_losses >= SYSTEMIC_LOSSES),
        "total_losses": round(total_losses, 3),
        "lost_backlog": round(binding + nonbinding, 3),
        "lost_backlog_binding": round(binding, 3),
        "lost_backlog_nonbinding": round(nonbinding, 3),
        "losses_by_holder": _sum_by(written_off, "holder"),
        "losses_by_channel": _sum_by(written_off, "channel"),
        "lost_backlog_by_holder": _sum_by(losses[is_backlog] if len(losses) else losses, "holder"),
        "lost_backlog_binding_by_holder": _sum_by(backlog["backlog"], "holder"),
        "lost_backlog_nonbinding_by_holder": _sum_by(backlog["backlog_nonbinding"], "holder"),
        "defaults_reorganised": _count_outcome(cascade, "reorganised"),
        "defaults_liquidated": _count_outcome(cascade, "liquidated"),
        "reorganised": sorted(set(cascade.loc[cascade.outcome == "reorganised", "entity"]))
        if len(cascade) and "outcome" in cascade.columns else [],
        "defaults_by_channel": (
            {k: int(v) for k, v in cascade.drop_duplicates(["quarter", "entity"]).groupby("channel").size().items()}
            if len(cascade) else {}),
        "fiscal_cost": round(float(system.fiscal_cost.iloc[-1]), 3),
        "peak_partner_debt": round(float(system.partner_debt.max()), 3),
        "peak_openai_partner_debt": round(float(system.openai_partner_debt.max()), 3),
        "ai_capex_share_gdp_peak": round(float(share.max()), 5),
        "ai_capex_share_gdp_trough": round(float(share.min()), 5),
        "ai_market_value_peak_to_trough": round(float(1 - trough_after / peak) if peak > 0 else 0.0, 5),
        "labs": {lab: lab_figures(balance_sheets, lab, opening) for lab in labs},
    }
    if "circularity" in tables and "loop" in tables:
        out["circularity"] = circularity_figures(tables["circularity"], tables["loop"], tables.get("cycles"))
    return _clean(out)


def circularity_figures(circularity: pd.DataFrame, loop: pd.DataFrame, cycles: pd.DataFrame | None = None,
                        top: int = TOP_CYCLES) -> dict:
    """The run's circular financing (``economy.circularity``): round-tripped revenue per firm, the loop by year.

    Args:
        circularity: The ``circularity`` table (per firm and quarter).
        loop: The ``loop`` table (per quarter).
        cycles: The ``cycles`` table, or None.
        top: How many cycles ``top_cycles`` lists.

    Returns:
        ``firms``: for each firm of the loop with revenue in the run, its revenue over the run and the shares of it
        that were round-tripped (direct, one step removed, both) and paid from loop funding, and the share of what
        it paid other firms that went to its funders (``paid_to_funders_share``); the loop's outside
        funding need and net outside funding summed by year, the share of its spending financed inside the loop by
        year; ``top_cycles``: the cycles with the largest volume summed over the quarters ``cycles`` lists them in.
    """
    firms = {}
    inside = circularity[~circularity.role.isin(OUTSIDE_ROLES)]
    sums = inside.groupby("entity", sort=False)[["revenue", "round_trip_direct", "round_trip_one_step",
                                                  "loop_financed", "paid_to_firms", "paid_to_funders"]].sum()
    for entity, row in sums.iterrows():
        if row.revenue <= 0:
            continue
        firms[str(entity)] = {
            "revenue": round(float(row.revenue), 3),
            "direct_share": round(float(row.round_trip_direct / row.revenue), 5),
            "one_step_share": round(float(row.round_trip_one_step / row.revenue), 5),
            "round_trip_share": round(float((row.round_trip_direct + row.round_trip_one_step) / row.revenue), 5),
            "loop_financed_share": round(float(row.loop_financed / row.revenue), 5),
            "paid_to_funders_share": round(float(row.paid_to_funders / row.paid_to_firms), 5)
            if row.paid_to_firms > 0 else 0.0,
        }
    years = loop.assign(year=loop.quarter.astype(str).map(_year)).groupby("year")
    by_year = years[["outside_funding_need", "outside_funding_net", "financed_inside", "spending"]].sum()
    top_cycles: dict[str, float] = {}
    if cycles is not None and len(cycles):
        volume = cycles.groupby("cycle", sort=False).volume.sum().sort_values(ascending=False, kind="stable")
        top_cycles = {str(c): round(float(v), 3) for c, v in volume.head(top).items()}
    return {
        "firms": firms,
        "outside_funding_need_by_year": {int(y): round(float(v), 3) for y, v in by_year.outside_funding_need.items()},
        "outside_funding_net_by_year": {int(y): round(float(v), 3) for y, v in by_year.outside_funding_net.items()},
        "financed_inside_share_by_year": {
            int(y): round(float(r.financed_inside / r.spending), 5) if r.spending > 0 else 0.0
            for y, r in by_year.iterrows()},
        "top_cycles": top_cycles,
    }


def systemic_causes(balance_sheets: pd.DataFrame, cascade: pd.DataFrame, written_off: pd.DataFrame, rescued: list[str],
                    opening: str) -> list[str]:
    """Why a run counts as a systemic event, in words (empty if it does not).

    Args:
        balance_sheets: The run's balance sheets (for the lenders' opening capital).
        cascade: The cascade table: each default with the channels and sources that carried it.
        written_off: Losses written off (without lost backlog).
        rescued: Firms rescued at the end of the run.
        opening: The opening quarter's label.
    """
    causes = []
    if len(cascade):
        first = cascade.groupby("entity").quarter.min().astype(str).to_dict()
        for row in cascade.itertuples():
            source = str(row.caused_by)
            if source in first and source != row.entity and first[source] <= str(row.quarter):
                cause = f"contagion: {row.entity} defaults in {row.quarter} after {source}'s default ({row.channel})"
                if cause not in causes:
                    causes.append(cause)
    start = balance_sheets[(balance_sheets.quarter.astype(str) == opening) & (balance_sheets.role == "lender")]
    capital = float(start.equity.clip(lower=0).sum())
    lenders = set(start.entity)
    lost = float(written_off.loc[written_off.holder.isin(lenders), "amount"].sum()) if len(written_off) else 0.0
    if capital > 0 and lost > SYSTEMIC_LENDER_LOSS_SHARE * capital:
        causes.append(f"lenders lose ${lost:,.1f}B, {lost / capital:.0%} of their opening capital")
    causes += [f"rescue of {entity}" for entity in rescued]
    return causes


def _count_outcome(cascade: pd.DataFrame, outcome: str) -> int:
    """How many defaults (a firm in a quarter) ended in ``outcome`` (``reorganised`` or ``liquidated``)."""
    if not len(cascade) or "outcome" not in cascade.columns:
        return 0
    return int((cascade.drop_duplicates(["quarter", "entity"]).outcome == outcome).sum())


def _sum_by(losses: pd.DataFrame, column: str) -> dict[str, float]:
    """Losses summed by holder or channel, rounded for the summary."""
    return {k: round(float(v), 3) for k, v in losses.groupby(column).amount.sum().items()} if len(losses) else {}


def _clean(value):
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def run_metrics(summary: dict, lab: str = "openai") -> dict[str, float | int | bool | None]:
    """The per-run figures a parameter study keeps, flat (one column each)."""
    lab_figs = summary.get("labs", {}).get(lab, {})
    out: dict[str, float | int | bool | None] = {
        "defaults": summary["defaults"],
        "first_default_quarter": summary["first_default_quarter"],
        "systemic_event": summary["systemic_event"],
        "systemic_event_by_count": summary["systemic_event_by_count"],
        "total_losses": summary["total_losses"],
        "lost_backlog": summary["lost_backlog"],
        "fiscal_cost": summary["fiscal_cost"],
        "rescues": len(summary["rescued"]),
        "peak_partner_debt": summary["peak_partner_debt"],
        f"{lab}_cumulative_burn_2026_2029": lab_figs.get("cumulative_burn_2026_2029"),
        f"{lab}_first_profitable_year": lab_figs.get("first_profitable_year"),
        "ai_capex_share_gdp_peak": summary["ai_capex_share_gdp_peak"],
        "ai_capex_share_gdp_trough": summary["ai_capex_share_gdp_trough"],
        "ai_market_value_peak_to_trough": summary["ai_market_value_peak_to_trough"],
    }
    for channel in (c.value for c in Channel if c not in (Channel.DEMAND, Channel.FUNDAMENTAL)):
        # lost backlog (the demand channel) is lost_backlog; nothing is ever lost "fundamentally"
        out[f"losses_{channel}"] = summary["losses_by_channel"].get(channel, 0.0)
    return out

