"""The decision rounds of a quarter: every agent decides from the same frozen state, then the economy performs.

Phase 3 (decide) and phase 5 (construct and finance) of MODEL.md section 7. Where
several agents compete for one resource (a lender's cash, an investor's means) they
all decide before anything is carried out, so no agent is served first because of
where it stands in a list.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from agents.base import Company, View
from agents.builder import StartBuild
from agents.chipmaker import TrancheDue, choose_tranches
from agents.decisions import RefuseRoll, ReleaseTranche, RollLoan
from agents.government import rescue_decision
from agents.investor import margin_call
from agents.lab import (
    Cancel,
    CutCosts,
    ListShares,
    RaiseFunding,
    Renegotiate,
    SignCompute,
    TakeDeliveries,
    health_score,
    round_take_up,
)
from agents.lender import decide_roll, lending_decision
from economy import compute_deals, equity, lending
from economy.construction import finance_and_build, instalments_due, start_build
from economy.contracts import InvestmentCommitment, Loan
from economy.credit import LoanRequest
from economy.defaults import DefaultResolver, DefaultRules
from economy.operations import cut_costs
from economy.state import Economy, Firm, Status
from economy.views import (
    borrowing_room,
    capacity_commitments,
    credit_conditions,
    distressed,
    dues_now,
    leverage,
    margin_room,
    view_of,
)

RULES = DefaultRules(rescue=rescue_decision, margin_call=margin_call)
"""The agents' rules the default phase applies (the government's rescue, a margin lender's call)."""


def investee_health(e: Economy, co: Firm, view: View) -> float:
    """An investee's health score as investors see it."""
    if co.spec.lab:
        return health_score(view, co.spec.lab, e.world.expected_growth_annual(e.quarter))
    return 1.0 if co.status is Status.HEALTHY else 0.3


def decide_quarter(e: Economy, agents: Sequence[Company]) -> list:
    """Phase 3: statuses judged, every agent's decisions taken from frozen views, then carried out in rounds."""
    views = {a.holder: a.view() for a in agents if a.alive}
    for a in agents:
        if a.alive:
            a.firm.status = Status.DISTRESSED if distressed(a.firm, views[a.holder]) else (
                Status.RESCUED if a.status is Status.RESCUED else Status.HEALTHY)
    decisions = [d for a in agents if a.alive for d in a.decide(views[a.holder])]
    compute_deals.choose_deliveries(e, {d.entity: d.contracts for d in decisions if isinstance(d, TakeDeliveries)})
    tranche_round(e, views)
    dues = dues_now(e)
    roll_round(e, views, dues)
    raise_cash(e, views, dues)
    # money raised and contracts signed now count when this quarter's dues are settled
    e.extra_obligations = []
    for d in decisions:
        if isinstance(d, RaiseFunding):
            funding_round(e, d)
        elif isinstance(d, SignCompute):
            sign_compute(e, d)
        elif isinstance(d, Renegotiate):
            compute_deals.renegotiate(e, d.contract_id, d.delay)
        elif isinstance(d, Cancel):
            compute_deals.cancel(e, d.contract_id)
        elif isinstance(d, ListShares):
            equity.list_shares(e, e.firm(d.entity), d.share)
    return decisions


def tranche_round(e: Economy, views: dict[int, View]) -> None:
    """Investors decide tranche by tranche on their commitments (MODEL.md section 6, chipmaker).

    Every investor decides from the frozen views, with its means (cash and margin room)
    as they stand at the start of the phase, by :func:`agents.chipmaker.choose_tranches`;
    the releases are then paid, after a margin loan for what its cash does not cover.
    """
    q = e.quarter
    due: dict[int, list[TrancheDue]] = {}
    for c in e.book.of_kind(InvestmentCommitment):
        investor, investee = e.by_holder[c.from_party], e.by_holder[c.to_party]
        if not (investor.alive and investee.alive and c.live(q)):
            continue
        delivered = sum(e.book.by_id[k].delivered_gw for k in c.trigger_contracts)
        lab = investee.spec.lab
        lab_raising = lab is not None and views[investee.holder].runway_q < lab.min_runway_quarters
        amount = c.due_tranche(delivered, q, lab_raising)
        if amount > 0:
            health = investee_health(e, investee, views[investee.holder])
            due.setdefault(investor.holder, []).append(TrancheDue(c.id, amount, c.binding, health, c.health_threshold))
    # all investors decide before any money moves: a tranche paid to an investor cannot widen its margin room
    decided = {}
    for holder, tranches in due.items():
        investor = e.by_holder[holder]
        own_min = investor.spec.investor.min_cash if investor.spec.investor else 0.0
        # an investor can add what a margin loan on its holdings would lend (MODEL.md section 6)
        room = margin_room(e, investor) if investor.spec.investor else 0.0
        decided[holder] = (own_min, room, choose_tranches(tranches, views[holder].cash + room, own_min))
    for holder, (own_min, room, decisions) in decided.items():
        investor = e.by_holder[holder]
        released = math.fsum(d.amount for d in decisions if isinstance(d, ReleaseTranche))
        if investor.spec.investor and released > views[holder].cash - own_min:
            lending.borrow_on_margin(e, investor, min(room, released - (views[holder].cash - own_min)))
        for d in decisions:
            c = e.book.by_id[d.contract_id]
            if isinstance(d, ReleaseTranche):
                equity.pay_tranche(e, c, d.amount)
            else:
                equity.decline_tranche(e, c, d.amount, d.health, d.threshold)


def roll_round(e: Economy, views: dict[int, View], dues: dict[int, float]) -> None:
    """Borrowers ask to roll loans maturing this quarter; lenders decide by their rule (:func:`agents.lender.decide_roll`)."""
    q = e.quarter
    decided: list[RollLoan | RefuseRoll] = []
    for loan in e.book.of_kind(Loan):
        if loan.end != q or not loan.live(q) or loan.principal <= 0:
            continue
        borrower, lender = e.by_holder.get(loan.to_party), e.by_holder.get(loan.from_party)
        if borrower is None or lender is None or not borrower.alive or not lender.alive or lender.spec.lender is None:
            continue
        v = views[borrower.holder]
        floor = borrower.spec.builder.min_cash if borrower.spec.builder else 0.0
        if v.cash - floor >= dues.get(borrower.holder, 0.0):
            continue  # repaid from cash at maturity
        # every lender decides from the same frozen views before any roll is carried out
        decided.append(decide_roll(lender.spec.lender, loan.id, loan.principal, leverage(e, borrower, lender, 0.0),
                                   views[lender.holder].cash, credit_conditions(e, lender, borrower)))
    for d in decided:
        loan = e.book.by_id[d.loan_id]
        if isinstance(d, RollLoan):
            lending.roll_loan(e, loan, d.tenor_quarters, d.spread_bp)
        else:
            lending.refuse_roll(e, loan, d.leverage)


def raise_cash(e: Economy, views: dict[int, View], dues: dict[int, float]) -> None:
    """Investors sell holdings to meet what falls due (MODEL.md section 6: forced sales); the government borrows."""
    gov = e.government
    if gov is not None and dues.get(gov.holder, 0.0) > gov.cash():
        lending.fund_government(e, gov, dues[gov.holder] - gov.cash())
    for co in e.firms:
        if co.alive and co.role == "investor":
            short = dues.get(co.holder, 0.0) + co.spec.investor.min_cash - views[co.holder].cash
            if short > 0:
                sold = DefaultResolver(e, RULES).sell_assets(co, short)
                e.event("asset_sale", co, None, sold, f"{co.spec.name} sells ${sold:.1f}B of holdings to meet ${short:.1f}B due")


def funding_round(e: Economy, d: RaiseFunding) -> None:
    """Outside investors take up part of a lab's round, by how its growth and the market look (:func:`round_take_up`)."""
    co = e.firm(d.entity)
    sentiment = e.market.sentiment
    gap = view_of(e, co).ai_revenue_growth_yoy - e.world.expected_growth_annual(e.quarter)
    amount = d.amount * round_take_up(gap, sentiment)
    if amount < 0.25 * d.amount:
        equity.fail_round(e, co, d.amount, amount, sentiment, gap)
        return
    equity.close_round(e, co, amount, d.amount, d.pre_money)


def sign_compute(e: Economy, d: SignCompute) -> None:
    """The lab contracts new compute from the cloud best able to finance it, if one will accept the lab."""
    lab = e.firm(d.entity)
    health = investee_health(e, lab, view_of(e, lab))
    sellers = [co for co in e.firms if co.alive and co.spec.builder and co.spec.builder.sells_spot
               and co.role in ("hyperscaler", "neocloud") and health >= co.spec.builder.min_buyer_health]
    if not sellers:
        compute_deals.no_seller(e, lab, d.gw, health)
        return
    seller = max(sellers, key=lambda co: (co.cash() + borrowing_room(e, co.holder, co.spec.builder), co.entity))
    compute_deals.sign_rental(e, lab, seller, d.gw, d.start, d.quarters)


def construct_and_finance(e: Economy, decisions: list) -> None:
    """Phase 5: cost cuts, new builds, then one round of loan requests cleared at once, then the builds paid."""
    for d in decisions:
        if isinstance(d, CutCosts):
            cut_costs(e, e.firm(d.entity), d.factor)
    for d in decisions:
        if isinstance(d, StartBuild):
            start_build(e, e.firm(d.entity), d.gw, d.shell_gw, d.tied_to)
    # every builder asks from the books as they stand now, before anyone spends; the desk clears all at once
    builders = [co for co in e.firms if co.alive and co.fleet.builds]
    requests = [r for co in builders if (r := loan_request(e, co)) is not None]
    finance_and_build(e, requests)


def loan_request(e: Economy, co: Firm) -> LoanRequest | None:
    """What a builder asks its lender for to pay this quarter's instalments and keep its cash floor, if approved.

    The lender decides on the state at the start of the phase (its cash, the borrower's
    leverage) by :func:`agents.lender.lending_decision`; a refusal is told and noted on
    the credit channel.
    """
    spec = co.spec.builder
    if spec is None:
        return None
    need = instalments_due(e, co) + spec.min_cash - co.cash()
    lender = e.firm(spec.lender)
    if need <= 0 or not lender.alive:
        return None
    dta_after = leverage(e, co, lender, need)
    if dta_after > spec.max_debt_to_assets:
        return None  # the builder's own limit: it does not ask
    ok, spread = lending_decision(lender.spec.lender, dta_after, need, lender.cash(), credit_conditions(e, lender, co))
    if not ok:
        lending.refuse_loan(e, lender, co, need, dta_after)
        return None
    tied_to = capacity_commitments(e, co.holder, e.quarter + e.config.world.build_lead_quarters).tied_to
    return LoanRequest(co.holder, lender.holder, need, spread, tied_to)
