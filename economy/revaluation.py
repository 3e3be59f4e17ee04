"""Phase 7 of a quarter: firms valued jointly over cross-holdings, net of debt; stakes and warrants marked; sentiment updated.

A firm's equity is worth what a credit analyst would leave its shareholders: the
enterprise value of its own business, plus its stakes and warrants at their value,
less its net debt, and never less than nothing (MODEL.md section 6a). The business is
valued at a multiple of the revenue the market looks at, fixed at the opening so that
the config's values are matched (:func:`calibrate`); the multiple compresses as growth
fades and after sustained losses (:func:`multiple_factor`). Values including the stakes
firms hold in one another, and the warrants that dilute their issuers, are then solved
at once (:func:`economy.valuation.solve_equity`).

Net debt is debt (loans, bonds, ABS, margin loans) less cash and loans the firm holds
as a creditor (vendor financing). Payables, receivables, deferred revenue and compute
credits are working capital of the business and stay in its value; take-or-pay
commitments are its costs, which the multiple already prices; guarantees and backstops
are contingent and not netted. A lender's or the government's debts and loans are its
business, not net debt: they are valued as before, on their own business and stakes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from economy.closing import payout_due
from economy.contracts import LIVE, EquityStake, State, Warrant
from economy.equity import issue_shares_to
from economy.ledger import ASSETS, EXPENSES, INCOME, Account
from economy.state import Economy, Firm
from economy.valuation import WarrantClaim, growth_multiple, solve_equity

NOT_NET_OF_DEBT = ("lender", "government")
"""Roles whose cash, loans and debts are their business: valued on their own business and stakes, not net of debt."""

FINANCIAL_ASSETS = (Account.CASH, Account.STAKES, Account.WARRANTS, Account.LOANS_HELD)
"""Assets outside a firm's operating business: netted against its debt or valued in the joint solve."""


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


def valued_on_revenue(e: Economy, co: Firm) -> bool:
    """Whether a firm's business is valued on its revenue (it had revenue at the opening) or on its operating assets."""
    return fundamental_revenue(e, co, opening=True) > 0


def operating_assets(e: Economy, co: Firm) -> float:
    """Book value of the assets that run the business: everything but cash, stakes, warrants and loans held."""
    led = e.ledger
    return led.total(co.holder, ASSETS) - math.fsum(led.balance(co.holder, a) for a in FINANCIAL_ASSETS)


def net_debt(e: Economy, co: Firm, cash: float | None = None) -> float:
    """Debt less cash (``cash``, or the cash on the ledger) less loans held as a creditor; 0 for lenders and government."""
    if co.role in NOT_NET_OF_DEBT:
        return 0.0
    led = e.ledger
    cash = co.cash() if cash is None else cash
    return led.balance(co.holder, Account.DEBT) - cash - led.balance(co.holder, Account.LOANS_HELD)


def trend_growth(points: Sequence[float]) -> float | None:
    """Annual growth of a quarterly series, from the least-squares trend of its logarithm (None below two points).

    A trend over five quarters reads a year's growth without letting one lumpy quarter decide it.
    A point at or below zero counts as a millionth of the largest.

    Example:
        >>> round(trend_growth([1.0, 1.1, 1.21, 1.331, 1.4641]), 4)
        0.4641
    """
    top = max(points, default=0.0)
    if len(points) < 2 or top <= 0:
        return None
    logs = [math.log(max(x, top * 1e-6)) for x in points]
    n = len(logs)
    mid, mean = (n - 1) / 2.0, math.fsum(logs) / n
    slope = math.fsum((i - mid) * (y - mean) for i, y in enumerate(logs)) / math.fsum((i - mid) ** 2 for i in range(n))
    return math.exp(4.0 * slope) - 1.0


def forward_growth(points: Sequence[float]) -> float | None:
    """The growth the market expects ahead from a quarterly series: its trend, or its latest half-year's pace if slower.

    A five-quarter trend reads a year's growth, but after a dip it reads the rebound as growth even
    once revenue has stopped rising; the market takes the pace kept up lately instead, the last two
    quarters over the two before, annualised, when that is lower (needs four points; else the trend).

    Example:
        A dip to 145 and a rebound to 272 that has stalled: the trend says 81%, the last half-year 36%.

        >>> stalled = [145.0, 215.0, 249.0, 269.0, 272.0]
        >>> round(trend_growth(stalled), 2), round(forward_growth(stalled), 2)
        (0.81, 0.36)
    """
    trend = trend_growth(points)
    if trend is None or len(points) < 4:
        return trend
    before, lately = points[-4] + points[-3], points[-2] + points[-1]
    if before <= 0:
        return trend
    return min(trend, (max(lately, 0.0) / before) ** 2 - 1.0)


def opening_growth(e: Economy, co: Firm) -> float | None:
    """Growth the opening value priced: the config's, or for a lab the steady path's in the first quarter."""
    given = co.spec.valuation.opening_growth_annual
    if given is None and co.role == "lab":
        return e.world.expected_growth_annual(1)
    return given


def market_growth(e: Economy, co: Firm) -> float | None:
    """The growth the market reads now: its :func:`forward_growth`, leaning on the opening growth until a year is known.

    A lab's is read from its share of demand (``Firm.demand_hist``), not from what its compute let it serve: a
    quarter short of compute lowers the revenue it is valued on, but the recovery after it is not growth ahead.
    """
    if co.role == "lab":
        points = list(co.demand_hist) if co.demand_hist else list(co.ai_revenue_hist)
    else:
        points = [*co.revenue_hist, e.ledger.balance(co.holder, Account.REVENUE)]
    measured, known = forward_growth(points), opening_growth(e, co)
    if known is None or measured is None:
        return measured if known is None else known
    weight = min(1.0, (len(points) - 1) / 4.0)
    return weight * measured + (1.0 - weight) * known


def profit_margin(e: Economy, co: Firm) -> float:
    """A trailing year's net income as a share of its revenue (this quarter and the three before); 0 without revenue."""
    led = e.ledger
    income = led.total(co.holder, INCOME) - led.total(co.holder, EXPENSES)
    revenue = math.fsum([*list(co.revenue_hist)[-3:], led.balance(co.holder, Account.REVENUE)])
    return math.fsum([*list(co.net_income_hist)[-3:], income]) / revenue if revenue > 0 else 0.0


def loss_margin(e: Economy, co: Firm) -> float:
    """A trailing year's loss as a share of its revenue (this quarter and the three before); 0 without a loss."""
    return max(0.0, -profit_margin(e, co))


def opening_loss_margin(co: Firm) -> float:
    """The loss margin of the last reported quarter (0 for a profitable firm)."""
    return max(0.0, -opening_margin(co))


def opening_margin(co: Firm) -> float:
    """The net margin of the last reported quarter (0 without revenue)."""
    r = co.spec.reported
    return r.net_income_quarterly / r.revenue_quarterly if r.revenue_quarterly > 0 else 0.0


def mature_multiple(co: Firm, margin: float) -> float:
    """A mature firm's multiple at net margin ``margin``, relative to the opening's: its earnings multiple x the margin.

    Never below ``min_factor``: a firm earning little or losing money is still worth that share of its
    opening multiple, the floor every multiple keeps. In units of the opening multiple (1 = the opening's).
    """
    p = co.spec.valuation
    if co.own_multiple <= 0 or p.mature_earnings_multiple is None:
        return p.min_factor
    return max(p.min_factor, p.mature_earnings_multiple * margin / co.own_multiple)


def growth_factor(e: Economy, co: Firm, g0: float | None, g: float | None) -> float:
    """The multiple's move with growth, before losses: see :func:`multiple_factor`."""
    p = co.spec.valuation
    if g0 is None or g is None:
        return 1.0
    if p.mature_growth_annual is not None:
        moved = growth_multiple(g, g0, 1.0, mature_multiple(co, profit_margin(e, co)),
                                mature_multiple(co, opening_margin(co)), p.mature_growth_annual, p.growth_fade)
        if moved is not None:
            return min(p.max_factor, max(p.min_factor, moved))
    return min(p.max_factor, max(p.min_factor, ((1.0 + g) / (1.0 + g0)) ** p.growth_sensitivity))


def multiple_factor(e: Economy, co: Firm) -> float:
    """How far a firm's revenue multiple has moved from the opening: with growth, and down after sustained losses.

    With a mature firm's figures in its config (``mature_growth_annual``, ``mature_earnings_multiple``) the
    multiple follows expected forward growth (:func:`economy.valuation.growth_multiple`): from the opening's
    at the opening's growth toward a mature firm's, its earnings multiple x the firm's trailing-year net
    margin (:func:`mature_multiple`), as the growth the market reads fades toward the mature rate. Without
    them it is ``((1 + g) / (1 + g0)) ** growth_sensitivity``. Either way within ``[min_factor, max_factor]``,
    ``g`` the growth the market reads now and ``g0`` the growth the opening value priced. Then divided by
    ``1 + loss_sensitivity * excess loss margin``: the losses of the opening were priced, and are forgiven in
    proportion to growth still at the opening's pace; a firm listed during the run is judged on its losses
    alone (MODEL.md section 6).
    """
    p = co.spec.valuation
    g0, g = opening_growth(e, co), market_growth(e, co)
    factor = growth_factor(e, co, g0, g)
    listed_in_run = co.listed and not co.spec.listed
    pace = min(1.0, max(0.0, g / g0)) if g0 is not None and g0 > 0 and g is not None else 1.0
    allowance = 0.0 if listed_in_run else opening_loss_margin(co) * pace
    return factor / (1.0 + p.loss_sensitivity * max(0.0, loss_margin(e, co) - allowance))


def business_value(e: Economy, co: Firm) -> float:
    """Enterprise value of a firm's own business: multiple x revenue x factor (or x operating assets), with the market's mood."""
    mood = max(0.1, 1.0 + e.market.sentiment)
    if valued_on_revenue(e, co):
        amount = fundamental_revenue(e, co) * multiple_factor(e, co)
    else:
        amount = operating_assets(e, co)
    return (co.own_multiple * amount + co.own_fixed) * mood


def shares_of(e: Economy, co: Firm) -> float:
    """Shares outstanding (billions): the config's, plus those issued on warrants exercised (0 if not given)."""
    if not co.spec.shares_outstanding:
        return 0.0
    return co.spec.shares_outstanding + math.fsum(w.exercised for w in e.book.of_kind_from(Warrant, co.holder))


def calibrate(e: Economy) -> None:
    """Fix each firm's multiple on its own business so the opening values match the config.

    The enterprise value at the opening is the config's market value, plus the warrants on the firm and
    its net debt, less its stakes and warrants held at the opening values; the multiple is that over
    the revenue the market looks at (or over operating assets for a firm without revenue). A firm the
    market values below its net financial assets keeps the difference as a fixed (negative) amount.
    """
    S = holdings_matrix(e)
    v0 = [c.spec.market_value for c in e.firms]
    issued = [0.0] * len(e.firms)
    held = [0.0] * len(e.firms)
    for w in e.book.of_kind(Warrant):  # vested at the opening (none in the shipped configs): diluted value
        if w.state in LIVE and w.from_party < len(v0) and w.to_party < len(v0):
            n = shares_of(e, e.by_holder[w.from_party])
            value = w.fair_value(v0[w.from_party] / n) if n else 0.0
            issued[w.from_party] += value
            held[w.to_party] += value
    for i, c in enumerate(e.firms):
        # summed in order, not by BLAS, so the opening multiples have the same digits on every CPU
        stakes = math.fsum(S[i, j] * v0[j] for j in np.flatnonzero(S[i]))
        ev0 = math.fsum([v0[i], issued[i], -stakes, -held[i], net_debt(e, c)])
        base = fundamental_revenue(e, c, opening=True) if valued_on_revenue(e, c) else operating_assets(e, c)
        # a base so small that value / base overflows is no base for a multiple: the value stays fixed
        by_base = base > 0 and math.isfinite(max(0.0, ev0) / base)
        c.own_multiple = max(0.0, ev0) / base if by_base else 0.0
        c.own_fixed = min(0.0, ev0) if by_base else ev0
        if c.spec.lab:
            c.ai_revenue_hist.append(e.config.world.demand.initial_annual / 4 * c.spec.lab.market_share)
            c.demand_hist.append(c.ai_revenue_hist[-1])


def value_firms(e: Economy) -> None:
    """Market values solved jointly over cross-holdings, net of debt, floored at 0; stakes and warrants marked; sentiment moves.

    Cash is counted after this quarter's pay-out (:func:`economy.closing.payout_due`), so values are ex-dividend.
    Warrants vest at the diluted share price; when one vests, values are solved again with the new claim.
    """
    n = len(e.firms)
    net_own, fixed = np.zeros(n), np.full(n, np.nan)
    for i, co in enumerate(e.firms):
        if co.alive:
            net_own[i] = business_value(e, co) - net_debt(e, co, co.cash() - payout_due(e, co))
        else:
            fixed[i] = e.value_for_holders(co)
    S = holdings_matrix(e)
    shares = np.array([shares_of(e, co) for co in e.firms])
    warrants = [w for w in e.book.of_kind(Warrant) if w.state in LIVE and e.by_holder[w.from_party].alive]
    for _vesting in range(1 + sum(len(w.steps) for w in warrants)):
        # a claim held outside the model (sold by a firm in distress) or by a failed holder dilutes, but is no one's asset here
        claims = [WarrantClaim(w.from_party, w.to_party if w.to_party in e.by_holder and e.by_holder[w.to_party].alive
                               else None, w.open_shares(),
                               w.strike) for w in warrants]
        solved = solve_equity(net_own, S, fixed, shares, claims)
        if not _vest(e, warrants, solved.equity, shares):
            break
    for i, co in enumerate(e.firms):
        co.market_value = float(solved.equity[i]) if co.alive else 0.0
    _mark_stakes(e)
    _mark_warrants(e, dict(zip((w.id for w in warrants), solved.warrants.tolist(), strict=True)))
    labs = [co for co in e.firms if co.spec.lab]
    now = sum(co.flows.ai_revenue for co in labs)
    before = sum(co.ai_revenue_hist[-2] for co in labs if len(co.ai_revenue_hist) >= 2)
    growth = now / before - 1.0 if before > 0 else 0.0
    e.world.update_sentiment(growth, e.new_defaults if e.config.channels.confidence else 0, e.quarter)


def exercise_warrant(e: Economy, w: Warrant, shares: float | None = None) -> float:
    """The holder buys ``shares`` (all open vested shares if None) at the strike: new shares dilute every holder.

    The holder pays the strike to the issuer and swaps that part of its warrant mark for a stake worth
    the warrant's value plus the strike; existing holders' fractions shrink in proportion to the shares
    issued (:func:`economy.equity.issue_shares_to`), so their value is unchanged, as it already was net
    of the warrant. Returns the shares bought.
    """
    open_shares = w.open_shares()
    bought = open_shares if shares is None else min(shares, open_shares)
    issuer, holder = e.by_holder[w.from_party], e.by_holder[w.to_party]
    if bought <= 0 or w.state not in LIVE or not issuer.alive or not holder.alive:
        return 0.0
    strike_paid, mark = bought * w.strike, w.amount * bought / open_shares
    e.ledger.post(((w.to_party, Account.STAKES, mark + strike_paid), (w.to_party, Account.WARRANTS, -mark),
                   (w.to_party, Account.CASH, -strike_paid), (w.from_party, Account.CASH, strike_paid),
                   (w.from_party, Account.PAID_IN_CAPITAL, -strike_paid)), f"{w.id}: warrant exercised")
    w.amount -= mark
    w.exercised += bought
    issue_shares_to(e, issuer, holder, mark + strike_paid)
    if w.exercised >= w.shares - 1e-12:
        w.close(State.DELIVERED, e.quarter)
    e.event("warrant_exercised", holder, issuer, mark + strike_paid,
            f"{holder.spec.name} exercises its warrant for {bought * 1000:.0f}M {issuer.spec.name} shares "
            f"at ${w.strike:g}, worth ${mark + strike_paid:.1f}B")
    return bought


def _vest(e: Economy, warrants: list[Warrant], equity: np.ndarray, shares: np.ndarray) -> bool:
    """Vest warrants at the diluted share price; True if any vested further (the values must then be solved again)."""
    more = False
    for w in warrants:
        issuer = e.by_holder[w.from_party]
        price = float(equity[w.from_party]) / shares[w.from_party] if shares[w.from_party] else 0.0
        delivered = sum(e.book.by_id[k].delivered_gw for k in w.delivery_contracts)
        before = w.vested_fraction
        w.vest(delivered, price)
        if w.vested_fraction > before:
            more = True
            e.event("warrant_vested", e.by_holder[w.to_party], issuer, 0.0,
                    f"{w.vested_fraction:.0%} of the {issuer.spec.name} warrant held by "
                    f"{e.by_holder[w.to_party].spec.name} has vested")
    return more


def _mark_stakes(e: Economy) -> None:
    marks: dict[int, float] = {}
    for s in e.book.of_kind(EquityStake):
        if s.from_party in e.by_holder:
            marks[s.from_party] = marks.get(s.from_party, 0.0) + s.fraction * e.value_for_holders(e.by_holder[s.to_party])
    for h, value in marks.items():
        delta = value - e.ledger.balance(h, Account.STAKES)
        if delta:
            e.ledger.move(h, Account.STAKES, Account.REVALUATION, delta, "stakes marked to market")


def _mark_warrants(e: Economy, values: dict[str, float]) -> None:
    """Each warrant to its solved value; one on a failed issuer, or no longer live, to 0 (kept when the equity channel is off)."""
    for w in e.book.of_kind(Warrant):
        issuer = e.by_holder[w.from_party]
        if w.id in values:
            target = values[w.id]
        elif not issuer.alive and issuer.frozen_value is not None:
            continue
        else:
            target = 0.0
        delta = target - w.amount
        if delta:
            e.ledger.move(w.to_party, Account.WARRANTS, Account.REVALUATION, delta, "warrant marked to market")
            w.amount += delta
