"""What a company's rules may look at: its frozen view, and the questions a role asks of the books.

Every function here only reads the :class:`~economy.state.Economy`; the rules in
``agents/`` decide from what these return.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from economy.config import BuilderParams
from economy.contracts import LIVE, ComputeContract, DueContext, EquityStake, Loan, State
from economy.credit import CreditConditions, credit_leverage
from economy.ledger import Account
from economy.state import Economy, Firm, Status, annual_growth
from economy.units import quarter_index


@dataclass(frozen=True)
class View:
    """A frozen snapshot of what a company's rules may look at this quarter."""

    quarter: int
    cash: float
    debt: float
    total_assets: float
    revenue_q: float
    ai_revenue_q: float
    ai_revenue_growth_yoy: float
    burn_q: float
    runway_q: float
    capacity_gw: float
    compute_gw: float
    market_value: float
    status: Status
    market_share: float = 0.0
    """A lab's share of end-user AI spending now (the competition state); 0 for other firms."""
    market_share_trend_annual: float = 0.0
    """How fast that share has moved since the run began, a year's pace (-0.05: losing a twentieth a year)."""


def view_of(e: Economy, co: Firm) -> View:
    """Freeze what a company knows at the start of its decisions."""
    led = e.ledger
    cash = led.balance(co.holder, Account.CASH)
    burn = -sum(co.cash_changes) / len(co.cash_changes) if co.cash_changes else 0.0
    share, trend = market_share(e, co)
    return View(
        quarter=e.quarter,
        cash=cash,
        debt=led.balance(co.holder, Account.DEBT),
        total_assets=e.total_assets(co.holder),
        revenue_q=e.last_statement(co.holder, Account.REVENUE),
        ai_revenue_q=co.ai_revenue_hist[-1] if co.ai_revenue_hist else 0.0,
        ai_revenue_growth_yoy=annual_growth(co.ai_revenue_hist),
        burn_q=burn,
        runway_q=cash / burn if burn > 1e-9 else float("inf"),
        capacity_gw=co.fleet.capacity_gw,
        compute_gw=co.flows.compute_gw,
        market_value=co.market_value,
        status=co.status,
        market_share=share,
        market_share_trend_annual=trend,
    )


def market_share(e: Economy, co: Firm) -> tuple[float, float]:
    """A lab's share of end-user AI spending and its trend: the pace of change since the start, per year.

    The trend is ``(share / opening share) ** (4 / quarters) - 1``, counted over at
    least four quarters so that the first quarters' moves are not blown up into a
    yearly pace. A firm that is not a lab has neither (0, 0).
    """
    shares = e.competition.shares
    if co.spec.lab is None or co.holder not in shares:
        return 0.0, 0.0
    share, opening = shares[co.holder], co.spec.lab.market_share
    if opening <= 0 or e.quarter <= 0:
        return share, 0.0
    return share, (max(share, 0.0) / opening) ** (4.0 / max(e.quarter, 4)) - 1.0


@dataclass
class Commitments:
    """A holder's contracted capacity in one quarter (GW): what it owes and what it is owed, and for which labs.

    ``rent_by_lab``, ``lease_out_by_lab`` and ``lease_in_by_lab`` split the rentals it
    owes, the shells it leases out and the shells it leases in by the lab whose
    contracts they serve (a contract's ``tied_to``, else its buyer when the buyer is a
    lab); capacity for anyone else (Meta, Nvidia's balancing contract, own use) is in
    the totals only.
    """

    rent_out: float = 0.0
    lease_out: float = 0.0
    rent_in: float = 0.0
    lease_in: float = 0.0
    rent_by_lab: dict[int, float] = field(default_factory=dict)
    lease_out_by_lab: dict[int, float] = field(default_factory=dict)
    lease_in_by_lab: dict[int, float] = field(default_factory=dict)

    def hardware_by_lab(self) -> dict[int, float]:
        """GW of hardware each lab's contracts take: the rentals owed to it."""
        return dict(self.rent_by_lab)

    def shells_by_lab(self) -> dict[int, float]:
        """GW of shells each lab's contracts take: rentals and leases owed to it, less shells leased in for it."""
        labs = sorted(set(self.rent_by_lab) | set(self.lease_out_by_lab) | set(self.lease_in_by_lab))
        return {lab: max(0.0, self.rent_by_lab.get(lab, 0.0) + self.lease_out_by_lab.get(lab, 0.0)
                         - self.lease_in_by_lab.get(lab, 0.0)) for lab in labs}


def capacity_commitments(e: Economy, holder: int, q: int, served: bool = False) -> Commitments:
    """GW a holder must deliver and will receive in quarter ``q`` under its contracts, in total and by lab served.

    With ``served`` the GW are those allocated this quarter (what its capacity serves
    now, MODEL.md section 7.2) instead of those scheduled for quarter ``q``.
    """
    # GW by (what, lab), summed exactly so that the order of the contracts cannot change the last digit
    parts: dict[tuple[str, int | None], list[float]] = {}
    for c in e.book.of_kind_involving(ComputeContract, holder):
        if c.state not in LIVE or c.payment in ("purchase", "supply"):
            continue
        gw = c.allocated_gw if served else c.scheduled_gw(q)
        if c.to_party == holder:
            what = "lease_out" if c.payment == "lease" else "rent_out"
        else:
            what = "lease_in" if c.payment == "lease" else "rent_in"
        lab = served_lab(e, c)
        parts.setdefault((what, None), []).append(gw)
        # compute rented in serves the holder's own needs; the rest is counted for the lab it serves
        if what != "rent_in" and lab is not None and lab != holder and gw > 0:
            parts.setdefault((what, lab), []).append(gw)
    total = {key: math.fsum(gws) for key, gws in parts.items()}
    by_lab = {"rent_out": {}, "lease_out": {}, "lease_in": {}}
    for (what, lab), gw in total.items():
        if lab is not None:
            by_lab[what][lab] = gw
    return Commitments(total.get(("rent_out", None), 0.0), total.get(("lease_out", None), 0.0),
                       total.get(("rent_in", None), 0.0), total.get(("lease_in", None), 0.0),
                       by_lab["rent_out"], by_lab["lease_out"], by_lab["lease_in"])


def served_lab(e: Economy, c: ComputeContract) -> int | None:
    """The lab whose contracts a compute contract serves: its ``tied_to``, else its buyer if that is a lab."""
    lab = c.tied_to if c.tied_to is not None else c.from_party
    co = e.by_holder.get(lab)
    return lab if co is not None and co.spec.lab is not None else None


def own_use(e: Economy, co: Firm, q: int) -> float:
    """GW a builder keeps for its own business in quarter ``q`` (Copilot, ads ranking, Gemini), growing as configured."""
    key = (co.holder, q)
    if key not in e.own_use_memo:
        spec = co.spec.builder
        halflife = e.config.world.demand.growth_halflife_years
        factor = 1.0
        for t in range(1, q + 1):  # own AI use matures with the market: its growth fades like demand's
            g = spec.own_use_growth_annual * (0.5 ** ((t - 1) / 4.0 / halflife) if halflife else 1.0)
            factor *= (1.0 + g) ** 0.25
        e.own_use_memo[key] = spec.own_use_gw * factor
    return e.own_use_memo[key]


def reach(e: Economy, co: Firm) -> float:
    """The scenario's multiplier on a lab's distribution reach this quarter (0 once it has failed)."""
    if not co.alive:
        return 0.0
    mult = 1.0
    for step in co.spec.lab.reach_path:
        if quarter_index(step.from_quarter, e.origin) <= e.quarter:
            mult = step.multiplier
    return mult


def contracted_compute(e: Economy, lab: int, q: int) -> float:
    """GW a lab will have in quarter ``q``: rentals scheduled then, and hardware it owns or is buying."""
    co = e.by_holder[lab]
    gw = co.fleet.hardware_gw - co.fleet.retiring_gw(e.quarter, q)
    for c in e.book.of_kind_from(ComputeContract, lab):
        if c.state not in LIVE:
            continue
        if c.payment == "rental":
            gw += c.scheduled_gw(q)
        elif c.payment == "purchase":
            gw += sum(c.binding_gw(t) for t in range(e.quarter, min(q, c.end) + 1))
    return gw


def not_started(e: Economy, buyer: int, q: int) -> list[tuple[str, float, bool]]:
    """A buyer's rentals that have not started: ``(id, remaining value, already renegotiated)``."""
    return [(c.id, c.remaining_value(c.start), c.state is State.RENEGOTIATED)
            for c in e.book.of_kind_from(ComputeContract, buyer)
            if c.payment == "rental" and c.state in LIVE and c.start > q]


def purchase_dues(e: Economy, buyer: int, q: int) -> tuple[float, list[tuple[str, float]]]:
    """A buyer's binding compute dues this quarter, and its optional deliveries with their price."""
    due = 0.0
    options: list[tuple[str, float]] = []
    for c in e.book.of_kind_from(ComputeContract, buyer):
        if not c.live(q) or c.payment == "supply":
            continue  # a supply agreement is paid for by the builders, not the buyer
        if c.payment in ("rental", "lease"):
            due += c.scheduled_gw(q) * c.price
        else:
            binding = c.binding_gw(q)
            due += binding * c.price
            optional = c.scheduled_gw(q) - binding
            if optional > 1e-12:
                options.append((c.id, optional * c.price))
    options.sort(key=lambda o: (e.book.by_id[o[0]].start, o[0]))
    return due, options


def dues_now(e: Economy) -> dict[int, float]:
    """What borrowers with a maturing loan, and investors, owe this quarter, before settlement."""
    q = e.quarter
    who = {c.to_party for c in e.book.of_kind(Loan) if c.end == q and c.live(q)}
    who |= {co.holder for co in e.firms if co.role in ("investor", "government")}
    ctx = DueContext(e.market.policy_rate_annual, e.market.price_index)
    dues: dict[int, float] = {}
    for c in e.book.contracts:
        if c.state in LIVE and (c.from_party in who or c.to_party in who):
            for ob in c.obligations(q, ctx):
                if ob.payer in who:
                    dues[ob.payer] = dues.get(ob.payer, 0.0) + ob.amount
    for ob in e.operating_costs:
        if ob.payer in who:
            dues[ob.payer] = dues.get(ob.payer, 0.0) + ob.amount
    return dues


def interest_cover(e: Economy, co: Firm) -> float:
    """Last quarter's operating earnings over interest (infinite without interest)."""
    st = e.statements[co.holder] if e.statements else None
    if st is None or st[Account.INTEREST_EXPENSE] <= 0:
        return float("inf")
    earnings = st[Account.REVENUE] + st[Account.OTHER_INCOME] - st[Account.COMPUTE_COST] - st[Account.OPEX]
    return earnings / st[Account.INTEREST_EXPENSE]


def direct_exposure(e: Economy, co: Firm) -> float:
    """What others have at stake in a firm directly: its debt, its take-or-pay purchases, stakes in it.

    Lenders use this quick measure to judge whether the government would step in;
    the government itself measures importance with a what-if run of the cascade.
    """
    exposure = e.ledger.balance(co.holder, Account.DEBT)
    for c in e.book.of_kind_from(ComputeContract, co.holder):
        if c.state in LIVE:
            exposure += c.remaining_value(e.quarter + 1) * c.take_or_pay
    return exposure + sum(s.fraction * co.market_value for s in e.book.of_kind_to(EquityStake, co.holder)
                          if s.state in LIVE and s.from_party in e.by_holder)


def margin_room(e: Economy, investor: Firm) -> float:
    """What an investor could still borrow against its holdings within its loan-to-value limit."""
    holdings = e.ledger.total(investor.holder, (Account.STAKES, Account.OTHER_ASSETS, Account.CASH))
    debt = e.ledger.balance(investor.holder, Account.DEBT)
    return max(0.0, investor.spec.investor.max_loan_to_value * holdings - debt)


def leverage(e: Economy, borrower: Firm, lender: Firm, new_debt: float) -> float:
    """The borrower's leverage as this lender counts it, after ``new_debt`` (spent on assets)."""
    return credit_leverage(e.ledger.balance(borrower.holder, Account.DEBT) + new_debt,
                           e.total_assets(borrower.holder) + new_debt, e.backlog(borrower.holder),
                           lender.spec.lender.backlog_advance_rate)


def credit_conditions(e: Economy, lender: Firm, borrower: Firm) -> CreditConditions:
    """The conditions a lender decides under: sentiment, its own losses, the rescue it expects, the rules."""
    gov = e.government
    policy = gov.spec.government.policy if gov is not None and gov.alive else "none"
    belief = 0.0
    if policy in ("backstop", "discretionary") and direct_exposure(e, borrower) >= gov.spec.government.systemic_threshold:
        belief = 1.0 if policy == "backstop" else 0.5
    stress = lender.loss_stress if e.config.channels.credit else 0.0
    cap = gov.spec.government.ex_ante_max_leverage if policy == "ex_ante" else None
    return CreditConditions(e.market.sentiment, stress, belief, cap, interest_cover(e, borrower),
                            secured=borrower.role == "neocloud", capital_ratio=capital_ratio(e, lender),
                            debt_room=plan_debt_room(e, borrower))


def plan_debt_room(e: Economy, co: Firm) -> float:
    """New debt a firm may take under its exit plan: up to the debt it left court with, while the plan runs.

    Without a plan (never reorganised, or the plan's tenor over) there is no such cap.
    """
    if co.plan_debt is None or e.quarter > co.plan_until:
        return float("inf")
    return max(0.0, co.plan_debt - e.ledger.balance(co.holder, Account.DEBT))


def capital_ratio(e: Economy, co: Firm) -> float:
    """Book equity over total assets (1 for a holder without assets)."""
    assets = e.total_assets(co.holder)
    return e.ledger.equity(co.holder) / assets if assets > 0 else 1.0


def borrowing_room(e: Economy, holder: int, spec: BuilderParams) -> float:
    """New debt a builder could take before reaching its leverage ceiling."""
    lender = e.firm(spec.lender)
    cap = min(spec.max_debt_to_assets, lender.spec.lender.max_borrower_debt_to_assets)
    debt = e.ledger.balance(holder, Account.DEBT)
    base = e.total_assets(holder) + lender.spec.lender.backlog_advance_rate * e.backlog(holder)
    return min(max(0.0, (cap * base - debt) / (1 - cap)), plan_debt_room(e, e.by_holder[holder]))


def distressed(co: Firm, view: View) -> bool:
    """Whether a firm counts as distressed: a lab short of runway, or anyone with debt over 80% of assets."""
    if co.spec.lab and view.runway_q < co.spec.lab.min_runway_quarters:
        return True
    return view.total_assets > 0 and view.debt / view.total_assets > 0.8


def partner_debt(e: Economy, lab: int | None = None) -> float:
    """Partner debt ($B): loans and bonds that companies other than a lab raised to build for its contracts.

    FACTS D34 counts the borrowing of Oracle, SoftBank, CoreWeave, the Crusoe and Blue
    Owl vehicles and Vantage "tied to OpenAI". Here that is every live loan with
    ``tied_to`` set (given in the config for the opening loans; in the run, the share
    of a build draw that pays for capacity built for the lab, see
    :func:`economy.construction.finance_and_build`) whose borrower is not the lab itself.
    General corporate debt (bonds not raised for a lab, margin loans, the part of a
    draw that pays for own use or spot capacity) is never partner debt.

    Args:
        e: The economy.
        lab: Count only the debt tied to this lab (its holder); None for every lab.
    """
    return math.fsum(loan.principal for loan in e.book.of_kind(Loan)
                     if loan.state in LIVE and loan.tied_to is not None and loan.tied_to != loan.to_party
                     and (lab is None or loan.tied_to == lab))


def count_status(e: Economy, status: Status) -> int:
    """How many firms are in ``status`` now."""
    return sum(1 for co in e.firms if co.status is status)
