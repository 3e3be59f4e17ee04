"""Phase 7 of a quarter: firms valued jointly over cross-holdings, stakes and warrants marked, sentiment updated.

A firm's own business is valued at a multiple of the revenue the market looks at,
fixed at the opening so that the config's values are matched (:func:`calibrate`);
the multiple of a lab moves with its growth against expectations and, once listed,
with its losses. Values including the stakes firms hold in one another are then
solved at once (:func:`economy.valuation.solve_values`).
"""

from __future__ import annotations

import math

import numpy as np

from economy.contracts import LIVE, EquityStake, Warrant
from economy.ledger import Account
from economy.state import Economy, Firm, annual_growth
from economy.valuation import solve_values


def holdings_matrix(e: Economy) -> np.ndarray:
    """Fractions of each company held by each company (``S[i, j]``: of ``j`` held by ``i``)."""
    n = len(e.firms)
    S = np.zeros((n, n))
    for s in e.book.of_kind(EquityStake):
        if s.from_party < n and s.to_party < n and s.state in LIVE:
            S[s.from_party, s.to_party] += s.fraction
    return S


def fundamental_revenue(e: Economy, co: Firm, opening: bool = False) -> float:
    """Annualised revenue the market values a firm on (AI run-rate for a lab business)."""
    if opening:
        if co.spec.lab and co.role == "lab":
            return e.config.world.demand.initial_annual * co.spec.lab.market_share
        return co.spec.reported.revenue_quarterly * 4.0
    if co.role == "lab":
        return co.flows.ai_revenue * 4.0
    # a trailing year, so that lumpy hardware orders do not whipsaw a chipmaker's value
    recent = list(co.revenue_hist) + [e.ledger.balance(co.holder, Account.REVENUE)]
    return sum(recent[-4:]) / len(recent[-4:]) * 4.0


def lab_multiple_factor(e: Economy, co: Firm) -> float:
    """How a lab's revenue multiple moves: with growth against the steady path, and, once listed, down with losses.

    Private investors pay for growth; after an IPO the market also prices the
    losses (MODEL.md section 6: judged on losses, not on hopes).
    """
    if co.role != "lab":
        return 1.0
    p = co.spec.lab
    reference = e.world.expected_growth_annual(e.quarter)
    growth = annual_growth(co.ai_revenue_hist) if len(co.ai_revenue_hist) >= 2 else reference
    factor = min(2.0, max(0.2, ((1.0 + growth) / (1.0 + reference)) ** p.multiple_growth_sensitivity))
    if co.listed:
        revenue = sum(co.revenue_hist)
        loss = -sum(co.net_income_hist)
        factor /= 1.0 + max(0.0, loss / revenue) if revenue > 0 else 1.0
    return factor


def calibrate(e: Economy) -> None:
    """Fix each firm's multiple on its own business so the opening values match the config."""
    S = holdings_matrix(e)
    v0 = np.array([c.spec.market_value for c in e.firms])
    # summed in order, not by BLAS, so the opening multiples have the same digits on every CPU
    own0 = np.array([v0[i] - math.fsum(S[i] * v0) for i in range(len(v0))])
    for i, c in enumerate(e.firms):
        base = fundamental_revenue(e, c, opening=True)
        # a revenue so small that value / revenue overflows is no base for a multiple: the value stays fixed
        by_revenue = base > 0 and math.isfinite(max(0.0, own0[i]) / base)
        c.own_multiple = max(0.0, own0[i]) / base if by_revenue else 0.0
        c.own_fixed = 0.0 if by_revenue else max(0.0, own0[i])
        if c.spec.lab:
            c.ai_revenue_hist.append(e.config.world.demand.initial_annual / 4 * c.spec.lab.market_share)


def value_firms(e: Economy) -> None:
    """Market values solved jointly over cross-holdings; stakes and warrants marked; sentiment moves."""
    own = np.zeros(len(e.firms))
    mood = max(0.1, 1.0 + e.market.sentiment)
    for i, co in enumerate(e.firms):
        if co.alive:
            own[i] = (co.own_multiple * fundamental_revenue(e, co) * lab_multiple_factor(e, co) + co.own_fixed) * mood
    values = solve_values(own, holdings_matrix(e))
    for i, co in enumerate(e.firms):
        co.market_value = float(values[i]) if co.alive else 0.0
    _mark_stakes(e)
    _mark_warrants(e)
    labs = [co for co in e.firms if co.spec.lab]
    now = sum(co.flows.ai_revenue for co in labs)
    before = sum(co.ai_revenue_hist[-2] for co in labs if len(co.ai_revenue_hist) >= 2)
    growth = now / before - 1.0 if before > 0 else 0.0
    e.world.update_sentiment(growth, e.new_defaults if e.config.channels.confidence else 0, e.quarter)


def _mark_stakes(e: Economy) -> None:
    marks: dict[int, float] = {}
    for s in e.book.of_kind(EquityStake):
        if s.from_party in e.by_holder:
            marks[s.from_party] = marks.get(s.from_party, 0.0) + s.fraction * e.value_for_holders(e.by_holder[s.to_party])
    for h, value in marks.items():
        delta = value - e.ledger.balance(h, Account.STAKES)
        if delta:
            e.ledger.move(h, Account.STAKES, Account.REVALUATION, delta, "stakes marked to market")


def _mark_warrants(e: Economy) -> None:
    for w in e.book.of_kind(Warrant):
        issuer = e.by_holder[w.from_party]
        price = issuer.market_value / issuer.spec.shares_outstanding if issuer.spec.shares_outstanding else 0.0
        delivered = sum(e.book.by_id[k].delivered_gw for k in w.delivery_contracts)
        before = w.vested_fraction
        w.vest(delivered, price)
        if w.vested_fraction > before:
            e.event("warrant_vested", e.by_holder[w.to_party], issuer, 0.0,
                    f"{w.vested_fraction:.0%} of the {issuer.spec.name} warrant held by "
                    f"{e.by_holder[w.to_party].spec.name} has vested")
        delta = w.fair_value(price) - w.amount
        if delta:
            e.ledger.move(w.to_party, Account.WARRANTS, Account.REVALUATION, delta, "warrant marked to market")
            w.amount += delta
