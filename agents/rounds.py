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
from agents.decisions import (
    ApproveLoan,
    DrawMarginLoan,
    HoldBackTranche,
    RefuseLoan,
    RefuseRoll,
    ReleaseTranche,
    RollLoan,
    SellHoldings,
)
from agents.distress import distressed_issue, hardware_sale_room, hardware_sale_share, honours_draw
from agents.government import rescue_decision
from agents.investor import margin_call, margin_draw, sale_needed
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
from agents.renegotiation import accept_concession
from agents.restructuring import restructure
from economy import compute_deals, equity, lending
from economy.construction import finance_and_build, instalments_due, start_build
from economy.contracts import LIVE, InvestmentCommitment, Loan
from economy.credit import LoanRequest
from economy.defaults import DefaultResolver, DefaultRules
from economy.operations import cut_costs
from economy.state import Economy, Firm, Status
from economy.views import (
    borrowing_room,
    credit_conditions,
    distressed,
    dues_now,
    leverage,
    margin_room,
    view_of,
)

RULES = DefaultRules(rescue=rescue_decision, margin_call=margin_call, issue=distressed_issue, concede=accept_concession,
                     honour=honours_draw, sell_hardware=hardware_sale_share, sale_room=hardware_sale_room,
                     restructure=restructure)
"""The agents' rules the default phase applies (the government's rescue, a margin lender's call, a round in distress,
a seller's concession on a failing buyer's dues, a lender honouring a revolver, hardware sold in distress, how much
of its fleet a firm may still sell in the year, and the creditors' choice between reorganising a failed firm and
selling its estate)."""

OWN_DECISIONS = (TakeDeliveries, RaiseFunding, CutCosts, SignCompute, Renegotiate, Cancel, ListShares, StartBuild)


class DecisionError(ValueError):
    """A reviewed decision that the round does not offer (a person steering a company chose something impossible)."""


def checked(agent: Company, offered: list, taken: list) -> list:
    """The decisions a company's reviewer returned, if each is one the round offered it; raise otherwise.

    A reviewer may swap a decision for its alternative (release or hold back a tranche,
    roll or refuse a loan, approve or refuse a request), drop or add decisions of the
    company's own (a funding round, a cost cut, a cancellation), never decide for
    another company or about a contract that is not before it.
    """
    if taken is offered or agent.reviewer is None:
        return taken
    alternatives = {_subject(d): d for d in offered if _subject(d) is not None}
    for d in taken:
        subject = _subject(d)
        if subject is None:
            if not isinstance(d, OWN_DECISIONS) or getattr(d, "entity", None) != agent.entity:
                raise DecisionError(f"{agent.entity}: {d!r} is not a decision {agent.entity} can take now")
            _check_own(agent, d)
        elif subject not in alternatives:
            raise DecisionError(f"{agent.entity}: {d!r} is about something not before {agent.entity} this round")
        elif not _swappable(alternatives[subject], d):
            raise DecisionError(f"{agent.entity}: {d!r} cannot replace {alternatives[subject]!r}")
        elif isinstance(d, HoldBackTranche) and agent.economy.book.by_id[d.contract_id].binding:
            raise DecisionError(f"{agent.entity}: the tranche of {d.contract_id} is binding and must be paid")
    subjects = [_subject(d) for d in taken if _subject(d) is not None]
    if sorted(map(str, subjects)) != sorted(map(str, alternatives)):
        raise DecisionError(f"{agent.entity}: every tranche, roll or loan request before it needs one decision")
    return taken


def _subject(d: object) -> tuple | None:
    """What a round's decision is about (a tranche, a loan, a request), or None for a company's own decisions."""
    if isinstance(d, ReleaseTranche | HoldBackTranche):
        return ("tranche", d.contract_id)
    if isinstance(d, RollLoan | RefuseRoll):
        return ("roll", d.loan_id)
    if isinstance(d, ApproveLoan | RefuseLoan):
        return ("request", d.borrower)
    return None


SWAPS = {ReleaseTranche: HoldBackTranche, HoldBackTranche: ReleaseTranche, RollLoan: RefuseRoll, RefuseRoll: RollLoan,
         ApproveLoan: RefuseLoan, RefuseLoan: ApproveLoan}


def _swappable(offered: object, taken: object) -> bool:
    if taken == offered:
        return True
    if type(taken) is not SWAPS.get(type(offered)):
        return False
    if isinstance(taken, ReleaseTranche):  # a tranche the rules held back, released in full (the means are checked)
        return taken.amount == offered.amount
    # a person can refuse what the rules granted; granting a loan the rules refused would need terms they did not set
    return isinstance(taken, HoldBackTranche | RefuseRoll | RefuseLoan)


def _check_own(agent: Company, d: object) -> None:
    e = agent.economy
    if isinstance(d, RaiseFunding) and not (d.amount > 0 and d.pre_money > 0 and math.isfinite(d.amount + d.pre_money)):
        raise DecisionError(f"{agent.entity}: a funding round needs a positive amount and valuation, not {d!r}")
    if isinstance(d, CutCosts) and not 0.0 < d.factor <= 1.0:
        raise DecisionError(f"{agent.entity}: costs can be cut to a share in (0, 1] of plan, not {d.factor!r}")
    if isinstance(d, Renegotiate | Cancel):
        c = e.book.by_id.get(d.contract_id)
        if c is None or c.from_party != agent.holder or c.state not in LIVE or c.start <= e.quarter:
            raise DecisionError(f"{agent.entity}: {d.contract_id!r} is not one of its contracts that has yet to start")


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
            # a rescued or reorganised firm keeps that status while it is not in distress again
            a.firm.status = Status.DISTRESSED if distressed(a.firm, views[a.holder]) else (
                a.status if a.status in (Status.RESCUED, Status.REORGANISED) else Status.HEALTHY)
    decisions = [d for a in agents if a.alive for d in _reviewed(a, a.decide(views[a.holder]))]
    compute_deals.choose_deliveries(e, {d.entity: d.contracts for d in decisions if isinstance(d, TakeDeliveries)})
    by_holder = {a.holder: a for a in agents}
    tranche_round(e, views, by_holder)
    dues = dues_now(e)
    roll_round(e, views, dues, by_holder)
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


def _reviewed(agent: Company, decisions: list) -> list:
    return checked(agent, decisions, agent.review(decisions))


def tranche_round(e: Economy, views: dict[int, View], agents: dict[int, Company]) -> None:
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
        chosen = _reviewed(agents[holder], choose_tranches(tranches, views[holder].cash + room, own_min))
        released = math.fsum(d.amount for d in chosen if isinstance(d, ReleaseTranche))
        if agents[holder].reviewer is not None and released > views[holder].cash + room + 1e-9:
            raise DecisionError(f"{investor.entity}: releasing ${released:.1f}B is more than its cash and margin room "
                                f"(${views[holder].cash + room:.1f}B)")
        borrow = margin_draw(released, views[holder].cash, own_min, room) if investor.spec.investor else 0.0
        decided[holder] = ([DrawMarginLoan(investor.entity, borrow)] if borrow > 0 else []) + chosen
    for holder, decisions in decided.items():
        for d in decisions:
            if isinstance(d, DrawMarginLoan):
                lending.borrow_on_margin(e, e.by_holder[holder], d.amount)
            elif isinstance(d, ReleaseTranche):
                equity.pay_tranche(e, e.book.by_id[d.contract_id], d.amount)
            else:
                equity.decline_tranche(e, e.book.by_id[d.contract_id], d.amount, d.health, d.threshold)


def roll_round(e: Economy, views: dict[int, View], dues: dict[int, float], agents: dict[int, Company]) -> None:
    """Borrowers ask to roll loans maturing this quarter; lenders decide by their rule (:func:`agents.lender.decide_roll`)."""
    q = e.quarter
    by_lender: dict[int, list[RollLoan | RefuseRoll]] = {}
    order: dict[str, int] = {}  # carried out in the book's order of loans, whoever decided them
    for loan in e.book.of_kind(Loan):
        if loan.end != q or not loan.live(q) or loan.principal <= 0:
            continue
        borrower, lender = e.by_holder.get(loan.to_party), e.by_holder.get(loan.from_party)
        if borrower is None or not borrower.alive:
            continue
        v = views[borrower.holder]
        floor = borrower.spec.builder.min_cash if borrower.spec.builder else 0.0
        if v.cash - floor >= dues.get(borrower.holder, 0.0):
            continue  # repaid from cash at maturity
        if loan.sold_by is not None and lender is None:
            lending.unrolled_after_failure(e, loan)  # bought from a failed lender by outside investors, who want it back
            continue
        if lender is None or not lender.alive or lender.spec.lender is None:
            continue
        # every lender decides from the same frozen views before any roll is carried out
        order[loan.id] = len(order)
        by_lender.setdefault(lender.holder, []).append(
            decide_roll(lender.spec.lender, loan.id, loan.principal, leverage(e, borrower, lender, 0.0),
                        views[lender.holder].cash, credit_conditions(e, lender, borrower)))
    decided = [d for holder, rolls in by_lender.items() for d in _reviewed(agents[holder], rolls)]
    for d in sorted(decided, key=lambda d: order[d.loan_id]):
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
            short = sale_needed(dues.get(co.holder, 0.0), views[co.holder].cash, co.spec.investor.min_cash)
            if short > 0:
                sell_holdings(e, SellHoldings(co.entity, short))


def sell_holdings(e: Economy, d: SellHoldings) -> None:
    """Carry out a sale of holdings to outside investors, at the discount of a sale in distress, and tell it."""
    co = e.firm(d.entity)
    sold = DefaultResolver(e, RULES).sell_assets(co, d.amount, e.config.world.distress.holding_sale_discount)
    e.event("asset_sale", co, None, sold, f"{co.spec.name} sells ${sold:.1f}B of holdings to meet ${d.amount:.1f}B due")


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


def construct_and_finance(e: Economy, decisions: list, agents: Sequence[Company]) -> None:
    """Phase 5: cost cuts, new builds, then one round of loan requests cleared at once, then the builds paid."""
    for d in decisions:
        if isinstance(d, CutCosts):
            cut_costs(e, e.firm(d.entity), d.factor)
    for d in decisions:
        if isinstance(d, StartBuild):
            start_build(e, e.firm(d.entity), d.gw, d.shell_gw, tied=d.tied, tied_shells=d.tied_shells)
    # every builder asks from the books as they stand now, before anyone spends; the desk clears all at once
    builders = [co for co in e.firms if co.alive and co.fleet.builds]
    by_lender: dict[int, list[ApproveLoan | RefuseLoan]] = {}
    for co in builders:
        if (d := loan_decision(e, co)) is not None:
            lender = d.request.lender if isinstance(d, ApproveLoan) else e.firm(co.spec.builder.lender).holder
            by_lender.setdefault(lender, []).append(d)
    by_holder = {a.holder: a for a in agents}
    reviewed = {_subject(d): d for holder, ds in by_lender.items() for d in _reviewed(by_holder[holder], ds)}
    requests = []
    for co in builders:  # carried out in the order of the firms, as the rules produced them
        d = reviewed.get(("request", co.entity))
        if isinstance(d, ApproveLoan):
            requests.append(d.request)
        elif isinstance(d, RefuseLoan):
            lending.refuse_loan(e, e.firm(co.spec.builder.lender), co, d.amount, d.leverage)
    finance_and_build(e, requests)


def loan_decision(e: Economy, co: Firm) -> ApproveLoan | RefuseLoan | None:
    """A builder's lender decides on what the builder asks for to pay this quarter's instalments and keep its cash floor.

    The lender decides on the state at the start of the phase (its cash, the borrower's
    leverage) by :func:`agents.lender.lending_decision`. None when the builder asks
    for nothing.
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
        return RefuseLoan(co.entity, need, dta_after)
    # the draw is tied to the labs its builds serve, in proportion, when it is made (construction.split_by_lab)
    return ApproveLoan(co.entity, LoanRequest(co.holder, lender.holder, need, spread))
