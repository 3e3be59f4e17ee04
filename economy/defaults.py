"""Defaults and the cascade (MODEL.md section 7, step 6).

A firm that could not pay what was due, or breaches a covenant it cannot cure, or
whose losses wipe out a lender's or investor's equity, defaults unless the
government rescues it. A default is resolved in the order a court would: bankruptcy
costs are paid, secured lenders seize and fire-sell their collateral, the firm's
stakes are sold, what cash remains goes pro rata to its creditors, the rest is
written off, and its contracts terminate. Then everyone is checked again; the
rounds repeat until no new default. Every default records the channels that
brought it about (see :mod:`economy.channels`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from economy.actions import draw, extinguish_in_default, forgive, pay_for_borrower, repay
from economy.capacity import Vintage
from economy.channels import Channel
from economy.concessions import concede_dues, units_after
from economy.config import Distress
from economy.contracts import (
    LIVE,
    ComputeContract,
    ComputeCredit,
    EquityStake,
    Guarantee,
    Loan,
    Obligation,
    State,
    Warrant,
)
from economy.credit import LoanRequest, clear_loan_requests
from economy.equity import issue_shares_to, sell_shares_outside
from economy.ledger import ASSETS, LIABILITIES, Account
from economy.lending import fund_government
from economy.procurement import deliver_systems
from economy.state import EXTERNAL, Economy, Firm, Status
from economy.units import QUARTERS_PER_YEAR, money_tol, quarterly_rate
from economy.views import capital_ratio

MAX_ROUNDS = 50
LIQUID = (Account.STAKES, Account.OTHER_ASSETS)
OUTSIDE_CLAIMS = (Account.PAYABLES, Account.FUNDING)
"""Liabilities to holders outside the model (suppliers, a lender's depositors and bondholders)."""
RENEGOTIABLE = ("rental", "lease")
"""Running take-or-pay contracts whose dues a seller may renegotiate (a purchase is simply not delivered if unpaid)."""


class Terms(Protocol):
    """A concession as the seller's rule returns it ($B)."""

    haircut: float
    delay: float


@dataclass(frozen=True)
class DefaultRules:
    """The decisions the default phase asks of the agents, injected so that the mechanics do not import them.

    Attributes:
        rescue: ``rescue(policy, systemic_importance, threshold)``: whether the government rescues.
        margin_call: ``margin_call(loan_balance, pledged_value, max_loan_to_value)``: repayment demanded.
        issue: ``issue(need, market_value, sentiment, params)``: ``(amount, discount)`` of new shares a firm short
            of cash can sell, or None.
        concede: ``concede(ask, dues, backlog, deferrable, params)``: the haircut and delay a seller of compute
            grants a failing buyer on this quarter's dues, or None if it refuses.
        honour: ``honour(lender_alive, capital_ratio, min_capital_ratio)``: whether a lender lets a revolver be drawn.
        sell_hardware: ``sell_hardware(need, value, liens, resale, depth, max_share)``: the share of its fleet a
            firm short of cash sells into the secondary market.
        sale_room: ``sale_room(fleet_gw, sold_gw, max_share)``: the share of its fleet a firm that sold ``sold_gw``
            in distress in the last four quarters may still sell.
    """

    rescue: Callable[[str, float, float], bool]
    margin_call: Callable[[float, float, float], float]
    issue: Callable[[float, float, float, Distress], tuple[float, float] | None]
    concede: Callable[[float, float, float, float, Distress], Terms | None]
    honour: Callable[[bool, float, float], bool]
    sell_hardware: Callable[[float, float, float, float, float, float], float]
    sale_room: Callable[[float, float, float], float]


class DefaultResolver:
    """Runs step 6 of a quarter on an economy."""

    def __init__(self, model: Economy, rules: DefaultRules) -> None:
        """Bind to the economy whose quarter is being resolved, and the agents' rules it applies."""
        self.m = model
        self.rules = rules
        self.led = model.ledger
        self.q = model.quarter
        self.label = model.label
        self.on = model.config.channels
        self.distress = model.config.world.distress
        self.discount: dict[str, float] = {}
        self.cures: dict[int, list[tuple[Loan, float]]] = {}
        self.given_way: set[int] = set()
        """Buyers whose sellers gave way on their dues this quarter."""
        self.covenant: dict[str, str] = {}
        """The covenant each loan with a cure due has breached."""
        """Covenant cures each borrower owes this round: what it must pay down, loan by loan."""

    def run(self, shortfall: dict[int, float]) -> None:
        """Resolve this quarter's defaults in rounds until none is new."""
        m = self.m
        m.new_defaults = 0
        triggers = {h: amount for h, amount in shortfall.items() if h in m.by_holder}
        for rnd in range(1, MAX_ROUNDS + 1):
            triggers.update(self._covenant_triggers())
            triggers.update(self._insolvency_triggers())
            # the government can always borrow: it never defaults
            triggers = {h: a for h, a in triggers.items() if m.by_holder[h].alive and m.by_holder[h].role != "government"}
            if not triggers:
                self._pass_on_late_receipts()
                return
            # every firm in trouble raises what it can before anyone pays: sales and new shares bring money from
            # outside only, so no firm's ladder depends on another's; arrears are then paid until no one more can
            troubled = sorted((m.by_holder[h] for h in triggers), key=lambda co: co.entity)
            self._draw_revolvers(troubled)
            for co in troubled:
                self._sell_holdings(co)
            self._sell_hardware(troubled)
            for co in troubled:
                self._raise_cash(co)
            cured = self._cure_all(troubled)
            for co in troubled:
                if co.alive and co.holder not in cured:
                    self.fail(co, triggers[co.holder], rnd)
            triggers = {}
        raise RuntimeError(f"{self.label}: the default cascade did not settle in {MAX_ROUNDS} rounds")

    def _due_now(self, co: Firm) -> tuple[float, list[tuple[Loan, float]]]:
        """What a firm in trouble must find this round: its unpaid dues (if settlement left it short) and covenant cures."""
        arrears = sum(ob.amount - ob.paid for ob in self._unpaid(co)) if co.holder in self.m.shortfall else 0.0
        return arrears, self.cures.get(co.holder, [])

    def _short(self, co: Firm) -> tuple[float, float]:
        """What a firm in trouble is short of cash this round, and its arrears; ``(0, 0)`` if its trouble is not cash.

        A firm whose trouble is not cash (its losses wiped out its equity, a margin call it
        could not meet) climbs no rung of the ladder.
        """
        arrears, cures = self._due_now(co)
        if not arrears and not cures:
            return 0.0, 0.0
        return max(0.0, arrears + math.fsum(cure for _loan, cure in cures) - co.cash()), arrears

    def _sell_holdings(self, co: Firm) -> None:
        """Rung 1: stakes, other holdings, then vested warrants sold to outside investors at ``holding_sale_discount`` off."""
        short, arrears = self._short(co)
        if short > money_tol(arrears):
            short -= self.sell_assets(co, short, self.distress.holding_sale_discount)
        if short > money_tol(arrears):
            self._sell_warrants(co, short, self.distress.holding_sale_discount)

    def _sell_warrants(self, co: Firm, up_to: float, discount: float) -> float:
        """Sell the same share of every vested warrant the firm holds to outside investors, ``discount`` below its mark.

        The buyers get a warrant of their own on the sold shares (fully vested, same strike), so
        the claim keeps diluting the issuer's shareholders; the seller's warrant keeps its unvested
        part. What the sale fetched below the mark is the seller's ``sale_discount`` loss. Returns the
        proceeds.
        """
        m, led = self.m, self.led
        keep = 1.0 - discount
        held = [w for w in m.book.of_kind_to(Warrant, co.holder) if w.state in LIVE and w.amount > 0
                and w.open_shares() > 0 and m.by_holder[w.from_party].alive]
        worth = math.fsum(w.amount for w in held)
        if worth <= 0 or up_to <= 0 or keep <= 0:
            return 0.0
        take = min(1.0, up_to / (worth * keep))
        for w in held:
            shares, mark = take * w.open_shares(), take * w.amount
            price = mark * keep
            key, n = f"{w.id}-sold-{self.label}", 1
            while key in m.book.by_id:  # sold again in a later round of the same quarter
                n += 1
                key = f"{w.id}-sold-{self.label}-{n}"
            m.book.add(Warrant(id=key, kind=w.kind, from_party=w.from_party, to_party=m.external, amount=price,
                               start=self.q, end=w.end, source=f"sold by {co.entity} in distress", shares=shares,
                               strike=w.strike, vested_fraction=1.0))
            w.sold += shares
            w.amount -= mark
            led.post(((co.holder, Account.CASH, price), (co.holder, Account.WARRANTS, -mark),
                      (co.holder, Account.LOSSES, mark - price),
                      (m.external, Account.WARRANTS, price), (m.external, Account.CASH, -price)),
                     f"{w.id}: vested warrant sold in distress")
            issuer = m.by_holder[w.from_party]
            if mark - price > money_tol(mark):
                m.losses.append({"quarter": self.label, "holder": co.entity, "source": issuer.entity,
                                 "kind": "sale_discount", "channel": Channel.COLLATERAL.value, "amount": mark - price})
            m.event("warrant_sold", co, issuer, price,
                    f"{co.spec.name} sells its vested warrant on {shares * 1000:.0f}M {issuer.spec.name} shares "
                    f"(${mark:.1f}B at its mark) to outside investors for ${price:.1f}B to pay what is due")
        return worth * take * keep

    def _raise_cash(self, co: Firm) -> None:
        """The ladder's last rungs before default (MODEL.md 6a): new shares sold, then its sellers asked to give way."""
        short, arrears = self._short(co)
        if short > money_tol(arrears):
            self._issue_in_distress(co, short)
        short, arrears = self._short(co)
        if short > money_tol(arrears):
            self._renegotiate(co, short)

    def _sell_hardware(self, troubled: list[Firm]) -> None:
        """Rung 1: firms still short sell part of their fleets into the secondary market, all in one block.

        Each firm decides from today's resale price what share of its fleet to sell
        (``rules.sell_hardware``: enough that the proceeds of its sale alone in the thin market,
        less what releases the liens of the lenders secured on the hardware, cover what it is
        short, at most what is left of ``hardware_sale_share`` of its fleet after what it sold in distress in the
        last four quarters, ``rules.sale_room``). The sales of every firm are sold together into the thin
        market (``WorldProcess.fire_sale``: the price falls with the volume, and the resale
        price falls for every GPU-backed loan) and each firm receives the block's proceeds
        in proportion to the value it sold, so no seller is served first. The same share of
        every vintage is sold; lenders secured on the hardware are repaid that share of
        their loans from the proceeds first. What the sale fetched below today's value is the
        seller's ``sale_discount`` loss (collateral channel).
        """
        m, led = self.m, self.led
        w, mk = m.config.world, m.market
        hw_cost = w.capex_per_gw * w.hardware_share
        offers: list[tuple[Firm, float, float, list[Loan]]] = []
        for co in troubled:
            short, arrears = self._short(co)
            if short <= money_tol(arrears) or not co.fleet.vintages:
                continue
            par = co.fleet.market_value(self.q, hw_cost, mk.price_index, 1.0, w.gpu.decline_annual)
            liens = self._secured_on(co, ("hardware",))
            depth = w.gpu.fire_sale_depth if self.on.collateral else math.inf
            # the cap runs over a year: a firm short quarter after quarter sells once, then goes on to the later rungs
            co.hardware_sold = {q: gw for q, gw in co.hardware_sold.items() if self.q - q < QUARTERS_PER_YEAR}
            room = self.rules.sale_room(co.fleet.hardware_gw, math.fsum(co.hardware_sold.values()),
                                        self.distress.hardware_sale_share)
            share = self.rules.sell_hardware(short, par, math.fsum(loan.principal for loan in liens), mk.resale_factor,
                                             depth, room)
            if share > 0:
                offers.append((co, share, par * mk.resale_factor, liens))
        if not offers:
            return
        at_par = {co.holder: share * co.fleet.market_value(self.q, hw_cost, mk.price_index, 1.0, w.gpu.decline_annual)
                  for co, share, _today, _liens in offers}
        block = math.fsum(at_par.values())
        proceeds = m.world.fire_sale(block) if self.on.collateral else block * mk.resale_factor
        for co, share, today, liens in offers:
            got = proceeds * at_par[co.holder] / block if block > 0 else 0.0
            book = share * co.fleet.hardware_book
            gw = share * co.fleet.hardware_gw
            keep = 1.0 - share
            co.hardware_sold[self.q] = co.hardware_sold.get(self.q, 0.0) + gw
            co.fleet.vintages = [Vintage(v.built, v.gw * keep, v.cost * keep, v.book * keep, v.life)
                                 for v in co.fleet.vintages]
            led.post(((m.external, Account.OTHER_ASSETS, got), (m.external, Account.CASH, -got),
                      (co.holder, Account.CASH, got), (co.holder, Account.LOSSES, book - got),
                      (co.holder, Account.HARDWARE, -book)), f"{co.entity}: hardware sold in distress")
            if share * today - got > money_tol(today):
                m.losses.append({"quarter": self.label, "holder": co.entity, "source": "hardware", "kind": "sale_discount",
                                 "channel": Channel.COLLATERAL.value, "amount": share * today - got})
            # the liens on what is sold are released: the secured lenders take that share of their loans first
            owed = math.fsum(share * loan.principal for loan in liens)
            ratio = min(1.0, got / owed) if owed > 0 else 0.0
            for loan in liens:
                if share * loan.principal * ratio > 0:
                    repay(led, loan, share * loan.principal * ratio, "lien released on hardware sold")
            m.fire_sellers.append(co.entity)
            m.event("hardware_sold", co, None, got,
                    f"{co.spec.name} sells {gw:.2f} GW of its hardware ({share:.0%} of its fleet) for ${got:.1f}B to pay "
                    f"what is due (resale price now {m.market.resale_factor:.0%} of value)", Channel.COLLATERAL.value)

    def _draw_revolvers(self, troubled: list[Firm]) -> None:
        """Rung 1, first: every firm in trouble draws its committed revolvers for what it is short, all at once.

        A firm's need is split over its revolvers in proportion to what is undrawn on them,
        among the lenders that honour the draw (``rules.honour``; a refusal is the credit
        channel). Each lender's capacity is its cash before anyone draws, and when the draws
        on it exceed that, every draw is cut in the same proportion
        (``economy.credit.clear_loan_requests``), so no borrower draws first.
        """
        m = self.m
        capacity: dict[int, float] = {}
        asked: list[tuple[Loan, LoanRequest]] = []
        for co in troubled:
            short, arrears = self._short(co)
            if short <= money_tol(arrears):
                continue
            # the commitment ends with the quarter the revolver matures: it is not drawn to repay itself
            lines = [loan for loan in m.book.of_kind_to(Loan, co.holder)
                     if loan.live(self.q) and loan.end is not None and self.q < loan.end and loan.undrawn > 0]
            honoured = []
            for loan in lines:
                if self._honours(loan):
                    honoured.append(loan)
                    continue
                lender = m.by_holder[loan.from_party]
                m.event("revolver_refused", lender, co, loan.undrawn,
                        f"{lender.spec.name} refuses {co.spec.name} a draw on its ${loan.undrawn:.1f}B undrawn revolver "
                        f"{loan.id}: the lender is failing itself", Channel.CREDIT.value)
                m.note_channel(co.holder, Channel.CREDIT, min(loan.undrawn, short), lender.entity)
            undrawn = math.fsum(loan.undrawn for loan in honoured)
            for loan in honoured:
                need = min(loan.undrawn, short * loan.undrawn / undrawn)
                asked.append((loan, LoanRequest(co.holder, loan.from_party, need, loan.spread_bp or 0.0)))
                capacity[loan.from_party] = max(0.0, self.led.balance(loan.from_party, Account.CASH))
        if not asked:
            return
        granted = clear_loan_requests([request for _loan, request in asked], capacity)
        for (loan, request), amount in zip(asked, granted, strict=True):
            if amount <= money_tol(request.amount):
                continue
            draw(self.led, loan, amount)
            co, lender = m.by_holder[loan.to_party], m.by_holder.get(loan.from_party)
            cut = (f" (of ${request.amount:.1f}B asked: its lender's cash is shared pro rata)"
                   if amount < request.amount - 1e-9 else "")
            m.event("revolver_drawn", co, lender, amount,
                    f"{co.spec.name} draws ${amount:.1f}B on its revolver {loan.id}, ${loan.undrawn:.1f}B left undrawn{cut}")

    def _honours(self, loan: Loan) -> bool:
        """Whether the lender of a revolver lets it be drawn now (an outside lender always does)."""
        lender = self.m.by_holder.get(loan.from_party)
        if lender is None:
            return True
        floor = lender.spec.lender.min_capital_ratio if lender.spec.lender is not None else 0.0
        return self.rules.honour(lender.alive, capital_ratio(self.m, lender), floor)

    def _renegotiate(self, co: Firm, gap: float) -> None:
        """Rung 3: the sellers of the buyer's running compute contracts give way on its dues if its failure costs them more.

        Every seller the buyer owes this quarter is asked at once for a share of the gap in
        proportion to what it is owed, and decides by its rule. A concession is worth giving
        only if it saves the buyer, so the sellers who accept are asked again, for the whole
        gap among them, until all who remain accept (the concessions are then granted) or what
        they are owed can no longer cover the gap (none is). Who is asked, and for how much,
        depends only on the set of sellers, never on the order of a list.
        """
        m = self.m
        dues: dict[int, list[Obligation]] = {}
        for ob in self._unpaid(co):
            c, seller = ob.contract, m.by_holder.get(ob.payee)
            # once only: a contract already renegotiated (pushed back before it started, or given way on) is not again,
            # so a buyer short again after its sellers gave way fails rather than living on their concessions for ever
            if (isinstance(c, ComputeContract) and c.payment in RENEGOTIABLE and c.state is not State.RENEGOTIATED
                    and ob.payer_debit is Account.COMPUTE_COST and c.to_party == ob.payee and seller is not None
                    and seller.alive and seller.role != "government"):
                dues.setdefault(ob.payee, []).append(ob)
        owed = {s: math.fsum(ob.amount - ob.paid for ob in obs) for s, obs in dues.items()}
        runs_on = {s: math.fsum(ob.amount - ob.paid for ob in obs if units_after(ob.contract, self.q) > 0)
                   for s, obs in dues.items()}
        # the demand channel off, outside buyers would take the contracts over: the seller would keep its backlog
        backlog = {s: math.fsum(c.remaining_value(self.q + 1) for c in m.book.of_kind_from(ComputeContract, co.holder)
                                if c.to_party == s) if self.on.demand else 0.0 for s in dues}
        sellers = sorted(s for s in owed if owed[s] > 0)
        while sellers:
            total = math.fsum(owed[s] for s in sellers)
            if total < gap - money_tol(gap):
                return
            asks = {s: min(owed[s], gap * owed[s] / total) for s in sellers}
            terms = {s: self.rules.concede(asks[s], owed[s], backlog[s], asks[s] * runs_on[s] / owed[s], self.distress)
                     for s in sellers}
            if all(t is not None for t in terms.values()):
                break
            sellers = [s for s in sellers if terms[s] is not None]
        else:
            return
        self.given_way.add(co.holder)
        for s in sellers:
            t = terms[s]
            deferrable = asks[s] * runs_on[s] / owed[s]
            for ob in dues[s]:
                part = asks[s] * (ob.amount - ob.paid) / owed[s]
                delay = t.delay * part / deferrable if deferrable > 0 and units_after(ob.contract, self.q) > 0 else 0.0
                concede_dues(ob, part - delay, delay, self.q)
            seller = m.by_holder[s]
            m.event("contract_renegotiated", seller, co, t.haircut + t.delay,
                    f"{seller.spec.name} forgives ${t.haircut:.1f}B of the ${owed[s]:.1f}B {co.spec.name} owes it this "
                    f"quarter and lets ${t.delay:.1f}B be paid over the rest of the contract, rather than lose "
                    f"${backlog[s]:.1f}B of backlog and most of what is due with {co.spec.name}'s failure")

    def _cure_all(self, troubled: list[Firm]) -> set[int]:
        """Pay arrears and cures of every firm that now can; repeat while late payments let one more pay. Return who is cured.

        Paying only adds to others' cash, so the firms cured do not depend on who pays first.
        """
        cured: set[int] = set()
        progress = True
        while progress:
            progress = False
            for co in troubled:
                if co.holder in cured or not co.alive:
                    continue
                arrears, cures = self._due_now(co)
                if not arrears and not cures:
                    if co.holder in self.given_way:  # its sellers conceded all it still owed
                        cured.add(co.holder)
                    continue
                if co.cash() < arrears + sum(cure for _loan, cure in cures) - money_tol(arrears):
                    continue
                if arrears:
                    self._pay_arrears(co)
                for loan, cure in cures:
                    self._cure(co, loan, cure)
                self.cures.pop(co.holder, None)
                cured.add(co.holder)
                progress = True
        return cured

    def _issue_in_distress(self, co: Firm, short: float) -> None:
        """Sell new shares to outside investors at the clearing discount: every holder is diluted."""
        sold = self.rules.issue(short, co.market_value, self.m.market.sentiment, self.distress)
        if sold is None:
            return
        amount, discount = sold
        before = co.market_value
        co.market_value = before * (1 - discount)  # the new shares are priced below the value: the dilution is deeper
        sell_shares_outside(self.m, co, amount, "shares sold in distress")
        self.m.event("distressed_issue", co, None, amount,
                     f"{co.spec.name} sells ${amount:.1f}B of new shares at {discount:.0%} below its ${before:.0f}B value "
                     f"to pay what is due")

    def _pay_arrears(self, co: Firm) -> bool:
        """Pay this quarter's unpaid dues late if money has come in since (a rescue of a debtor); True if cured.

        Only a firm whose trouble was a payment shortfall can be cured this way.
        """
        m = self.m
        unpaid = self._unpaid(co)
        gap = sum(ob.amount - ob.paid for ob in unpaid)
        if not unpaid or co.cash() < gap - money_tol(gap) or co.holder not in m.shortfall:
            return False
        self._pay_late(unpaid, "arrears paid")
        m.event("arrears_paid", co, None, gap, f"{co.spec.name} pays ${gap:.1f}B of arrears late in the quarter")
        return True

    def _unpaid(self, co: Firm) -> list[Obligation]:
        """This quarter's obligations the firm paid short."""
        return [ob for ob in self.m.obligations if ob.payer == co.holder and ob.paid < ob.amount - 1e-9]

    def _pay_late(self, unpaid: list[Obligation], memo: str) -> None:
        """Pay what was short on each obligation and tell its contract, as settlement would have."""
        catch_up: dict[str, list[Obligation]] = {}
        for ob in unpaid:
            late = ob.amount - ob.paid
            self.led.transfer(ob.payer, ob.payee, late, ob.payer_debit, ob.payee_credit, memo)
            if ob.contract is not None:
                # the contract learns of the late part only: as if paid `late` of the full amount
                catch_up.setdefault(ob.contract.id, []).append(
                    Obligation(ob.contract, ob.payer, ob.payee, ob.amount, ob.payer_debit, ob.payee_credit, ob.label, late))
            ob.paid = ob.amount
        for cid, obs in catch_up.items():
            contract = self.m.book.by_id[cid]
            contract.settled(self.q, obs)
            if isinstance(contract, ComputeContract) and contract.payment == "purchase":
                deliver_systems(self.m, contract, obs)

    # ---------------------------------------------------------------- triggers
    def _covenant_triggers(self) -> dict[int, float]:
        """Loan covenants tested: loan-to-value at today's resale prices, debt-service cover once a loan amortises.

        A breach asks the borrower to pay enough principal down to meet the covenant again
        (the cure); paid from cash at once if it can, else through the distress ladder.
        """
        m = self.m
        out: dict[int, float] = {}
        self.cures = {}
        for loan in m.book.of_kind(Loan):
            if (loan.max_ltv is None and loan.min_dscr is None) or not loan.live(self.q) or loan.principal <= 0:
                continue
            borrower = m.by_holder.get(loan.to_party)
            if borrower is None or not borrower.alive:
                continue
            cure, covenant = max((self._ltv_cure(borrower, loan), "loan-to-value"),
                                 (self._dscr_cure(borrower, loan), "debt-service cover"))
            if cure <= money_tol(loan.principal):  # float dust from the order sums were taken in is no breach
                continue
            self.covenant[loan.id] = covenant
            self.cures.setdefault(borrower.holder, []).append((loan, cure))
        # a borrower whose cash covers all its cures pays them now; one that cannot pays none yet and
        # climbs the ladder for the total (paying some loans first would make the outcome follow book order)
        for holder, cures in list(self.cures.items()):
            total = math.fsum(cure for _loan, cure in cures)
            borrower = m.by_holder[holder]
            if borrower.cash() >= total:
                for loan, cure in cures:
                    self._cure(borrower, loan, cure)
                del self.cures[holder]
            else:
                out[holder] = total
        return out

    def _ltv_cure(self, borrower: Firm, loan: Loan) -> float:
        """Principal to repay so the loan is within its loan-to-value limit again (0 if it is)."""
        m = self.m
        if loan.max_ltv is None:
            return 0.0
        value = self.collateral_value(borrower, loan)
        if value <= 0 or loan.principal <= loan.max_ltv * value:
            return 0.0
        cure = loan.principal - loan.max_ltv * value
        if m.market.resale_factor < 1.0:
            full = self.collateral_value(borrower, loan, resale=1.0)
            source = m.fire_sellers[0] if m.fire_sellers else ""
            m.note_channel(borrower.holder, Channel.COLLATERAL, min(cure, max(0.0, full - value) * loan.max_ltv), source)
        return cure

    def _dscr_cure(self, borrower: Firm, loan: Loan) -> float:
        """Principal to repay so last quarter's operating cash covers the loan's next debt service ``min_dscr`` times.

        Tested only once the loan amortises (after its interest-only period): a loan's
        debt service shrinks about in proportion to its principal, so the cure is the
        share of principal by which the cover falls short.
        """
        m = self.m
        if loan.min_dscr is None or loan.amortisation != "linear" or self.q <= (loan.interest_only_until or loan.start):
            return 0.0
        if not m.statements:
            return 0.0
        st = m.statements[borrower.holder]
        cash_from_operations = st[Account.REVENUE] + st[Account.OTHER_INCOME] - st[Account.COMPUTE_COST] - st[Account.OPEX]
        service = (loan.principal * quarterly_rate(loan.rate_annual(m.market.policy_rate_annual))
                   + loan.principal_due(self.q + 1))
        if service <= 0 or cash_from_operations >= loan.min_dscr * service:
            return 0.0
        covered = max(0.0, cash_from_operations) / (loan.min_dscr * service)
        return loan.principal * (1.0 - covered)

    def _cure(self, borrower: Firm, loan: Loan, cure: float) -> None:
        repay(self.led, loan, cure, "covenant cure")
        self.m.event("covenant_cure", borrower, self.m.by_holder.get(loan.from_party), cure,
                     f"{borrower.spec.name} pays down ${cure:.1f}B of {loan.id} to restore its "
                     f"{self.covenant.get(loan.id, 'loan-to-value')} covenant")

    def _insolvency_triggers(self) -> dict[int, float]:
        """Lenders and investors fail when losses wipe out their equity; margin calls force sales."""
        m = self.m
        out: dict[int, float] = {}
        for co in m.firms:
            if not co.alive:
                continue
            if co.role == "investor":
                short = self._margin_calls(co)
                if short > 0:
                    out[co.holder] = short
            if co.role in ("lender", "investor") and self.led.equity(co.holder) < 0:
                out[co.holder] = out.get(co.holder, 0.0) - self.led.equity(co.holder)
        return out

    def _margin_calls(self, co: Firm) -> float:
        """Meet margin calls from cash, then by selling holdings; return what could not be met."""
        m = self.m
        unmet = 0.0
        limit = co.spec.investor.max_loan_to_value if co.spec.investor else 0.5
        for loan in m.book.of_kind_to(Loan, co.holder):
            if loan.instrument != "margin_loan" or not loan.live(self.q) or loan.principal <= 0:
                continue
            call = self.rules.margin_call(loan.principal, self.collateral_value(co, loan), limit)
            if call <= 0:
                continue
            # selling pledged assets lowers the collateral too: repay enough that the rest is within the limit
            need = min(loan.principal, call / max(1e-9, 1 - limit))
            if co.cash() < need:
                self.sell_assets(co, need - co.cash())
            pay = min(co.cash(), need)
            if pay > 0:
                repay(self.led, loan, pay, "margin call")
            m.event("margin_call", co, m.by_holder.get(loan.from_party), call,
                    f"{co.spec.name} meets a ${call:.1f}B margin call, repaying ${pay:.1f}B")
            if loan.principal > limit * self.collateral_value(co, loan) + 1e-6:
                unmet += loan.principal - limit * self.collateral_value(co, loan)
        return unmet

    # ---------------------------------------------------------------- failure
    def fail(self, co: Firm, amount: float, rnd: int) -> None:
        """Rescue the firm if policy says so; otherwise resolve its default."""
        m = self.m
        gov = m.government
        if gov is not None and gov.alive and not m.what_if and co is not gov:
            policy = gov.spec.government.policy
            if policy in ("discretionary", "backstop"):
                importance = what_if_losses(m, co, self.rules)
                if self.rules.rescue(policy, importance, gov.spec.government.systemic_threshold):
                    self._rescue(gov, co, amount, importance)
                    return
        self.default(co, amount, rnd)

    def default(self, co: Firm, amount: float, rnd: int) -> None:
        """Resolve a default and record who and what brought it about."""
        m = self.m
        co.status = Status.DEFAULTED
        m.new_defaults += 1
        causes = m.channels.attribution(co.holder) or [(Channel.FUNDAMENTAL, amount, "")]
        for channel, carried, source in causes:
            m.cascade.append({"quarter": self.label, "round": rnd, "entity": co.entity, "caused_by": source,
                              "channel": channel.value, "amount": round(carried, 6)})
        channel, _carried, source = causes[0]
        after = f" after {m.name_of(source)}" if source else ""
        m.event("default", co, m.company_named(source), amount,
                f"{co.spec.name} defaults: ${amount:.1f}B it cannot pay ({channel.value}{after})", channel.value)
        # court-style (MODEL.md 6a): equity wiped, the estate sold, creditors paid by seniority, contracts passed on
        self._write_down_stakes(co)
        self._seize_collateral(co)
        self._sell_property(co)
        self.sell_assets(co, float("inf"), self.distress.holding_sale_discount)
        self._sell_loan_book(co)
        self._sell_the_rest(co)
        self._bankruptcy_costs(co)
        self._pay_creditors(co)
        self._write_off(co)
        self._terminate_contracts(co)
        self._wind_up(co)

    def _rescue(self, gov: Firm, co: Firm, amount: float, importance: float) -> None:
        """The government injects equity to cover the gap, financed by issuing bonds to the external sector."""
        m = self.m
        terms = gov.spec.government
        unpaid = self._unpaid(co)
        need = max(amount, sum(ob.amount - ob.paid for ob in unpaid))
        if terms.creditor_haircut > 0:  # a bail-in: unsecured lenders take a cut before public money goes in
            for loan in m.book.of_kind_to(Loan, co.holder):
                if loan.live(self.q) and loan.principal > 0 and loan.seniority != "senior_secured":
                    cut = loan.principal * terms.creditor_haircut
                    forgive(self.led, loan, cut, "haircut in a rescue")
                    m.losses.append({"quarter": self.label, "holder": self.led.names[loan.from_party],
                                     "source": co.entity, "kind": "haircut", "channel": Channel.PAYMENT.value,
                                     "amount": cut})
                    m.note_channel(loan.from_party, Channel.PAYMENT, cut, co.entity)
        if terms.old_equity == "wiped":  # the old shareholders lose everything; the government owns the firm
            self._write_down_stakes(co)
            co.market_value = 0.0
        if gov.cash() < need:
            fund_government(m, gov, need - gov.cash())
        self.led.transfer(gov.holder, co.holder, need, Account.STAKES, Account.PAID_IN_CAPITAL, f"rescue of {co.entity}")
        co.flows.equity_raised += need
        issue_shares_to(m, co, gov, need)
        m.fiscal_cost += need
        self._pay_late(unpaid, "rescue: arrears paid")
        co.status = Status.RESCUED
        terms_text = "old shareholders wiped out" if terms.old_equity == "wiped" else "old shareholders diluted"
        if terms.creditor_haircut > 0:
            terms_text += f", unsecured lenders cut by {terms.creditor_haircut:.0%}"
        m.event("rescue", gov, co, need,
                f"{gov.spec.name} rescues {co.spec.name} with ${need:.1f}B (its failure would cost others ${importance:.0f}B; "
                f"{terms_text})")

    def _bankruptcy_costs(self, co: Firm) -> None:
        """Administrators and lawyers take a share of the estate's cash (Rogers-Veraart's 1 - alpha)."""
        alpha = self.m.config.world.bankruptcy.alpha
        fees = (1 - alpha) * max(0.0, co.cash())
        if fees > 0:
            self.led.transfer(co.holder, self.m.external, fees, Account.LOSSES, Account.REVENUE, f"{co.entity}: bankruptcy costs")

    def _write_down_stakes(self, co: Firm) -> None:
        """Holders of the failed firm's shares lose them (equity channel), unless that channel is off."""
        m = self.m
        for s in m.book.of_kind_to(EquityStake, co.holder):
            if s.state in LIVE and s.from_party in m.by_holder:
                value = s.fraction * co.market_value
                if self.on.equity:
                    m.note_channel(s.from_party, Channel.EQUITY, value, co.entity)
                    m.losses.append({"quarter": self.label, "holder": self.led.names[s.from_party], "source": co.entity,
                                     "kind": "stake", "channel": Channel.EQUITY.value, "amount": value})
        co.frozen_value = None if self.on.equity else co.market_value

    def collateral_value(self, co: Firm, loan: Loan, resale: float | None = None) -> float:
        """Market value of what secures a loan, at this quarter's resale price (or the one given)."""
        m = self.m
        w, mk = m.config.world, m.market
        factor = mk.resale_factor if resale is None else resale
        hw = co.fleet.market_value(self.q, w.capex_per_gw * w.hardware_share, mk.price_index, factor, w.gpu.decline_annual)
        if loan.collateral == "hardware":
            return hw
        if loan.collateral == "dc_shells":
            return self.led.balance(co.holder, Account.DC_SHELLS)
        if loan.collateral == "all_assets":
            return hw + self.led.total(co.holder, (Account.CASH, Account.DC_SHELLS, Account.STAKES, Account.RECEIVABLES,
                                                   Account.NON_AI_BUSINESS, Account.OTHER_ASSETS))
        if loan.collateral == "shares":
            return self.led.balance(co.holder, Account.STAKES)
        return 0.0

    def _seize_collateral(self, co: Firm) -> None:
        """The hardware is fire-sold; lenders secured on it (or on all assets) are paid first, pro rata to their loans."""
        m, led = self.m, self.led
        hw_book = led.balance(co.holder, Account.HARDWARE)
        if hw_book <= 0 and not co.fleet.vintages:
            return
        w, mk = m.config.world, m.market
        value = co.fleet.market_value(self.q, w.capex_per_gw * w.hardware_share, mk.price_index, 1.0, w.gpu.decline_annual)
        proceeds = m.world.fire_sale(value) if self.on.collateral else value
        gw = co.fleet.hardware_gw
        co.fleet.vintages = []
        m.fire_sellers.append(co.entity)
        led.post(((m.external, Account.OTHER_ASSETS, proceeds), (m.external, Account.CASH, -proceeds),
                  (co.holder, Account.CASH, proceeds), (co.holder, Account.LOSSES, hw_book - proceeds),
                  (co.holder, Account.HARDWARE, -hw_book)), f"{co.entity}: hardware fire-sold")
        secured = self._secured_on(co, ("hardware", "all_assets"))
        paid = self._pay_secured(secured, proceeds, "collateral proceeds")
        for loan, share in paid.items():
            if value > proceeds:  # what the thin market took off this lender's recovery
                self.discount[loan.id] = self.discount.get(loan.id, 0.0) + (value - proceeds) * share
                m.note_channel(loan.from_party, Channel.COLLATERAL, (value - proceeds) * share, co.entity)
        who = "lenders seize" if secured else "the estate sells"
        m.event("fire_sale", co, None, proceeds,
                f"{who} {gw:.2f} GW of {co.spec.name} hardware and sell it for ${proceeds:.1f}B "
                f"(resale price now {m.market.resale_factor:.0%} of value)", Channel.COLLATERAL.value)

    def _secured_on(self, co: Firm, collateral: tuple[str, ...]) -> list[Loan]:
        return [loan for loan in self.m.book.of_kind_to(Loan, co.holder) if loan.live(self.q) and loan.principal > 0
                and loan.collateral in collateral]

    def _pay_secured(self, secured: list[Loan], proceeds: float, why: str) -> dict[Loan, float]:
        """Pay the proceeds of collateral to the loans it secures, pro rata to principal, each up to its principal.

        Returns:
            Each loan's share of the collateral.
        """
        owed = sum(loan.principal for loan in secured)
        shares = {loan: loan.principal / owed for loan in secured} if owed > 0 else {}
        for loan, share in shares.items():
            part = min(loan.principal, proceeds * share)
            if part > 0:
                repay(self.led, loan, part, why)
        return shares

    def _sell_property(self, co: Firm) -> None:
        """Data-centre shells and construction in progress go to a buyer at a recovery on book; lenders secured on them first."""
        m, led = self.m, self.led
        shells, cip = led.balance(co.holder, Account.DC_SHELLS), led.balance(co.holder, Account.CONSTRUCTION_IN_PROGRESS)
        book = shells + cip
        if book <= 0:
            return
        proceeds = book * self.distress.shell_recovery
        gw = co.fleet.shell_gw
        led.post(((m.external, Account.OTHER_ASSETS, proceeds), (m.external, Account.CASH, -proceeds),
                  (co.holder, Account.CASH, proceeds), (co.holder, Account.LOSSES, book - proceeds),
                  (co.holder, Account.DC_SHELLS, -shells), (co.holder, Account.CONSTRUCTION_IN_PROGRESS, -cip)),
                 f"{co.entity}: data centres sold from the estate")
        co.fleet.shell_gw, co.fleet.shell_book, co.fleet.builds = 0.0, 0.0, []
        self._pay_secured(self._secured_on(co, ("dc_shells", "all_assets")), proceeds, "collateral proceeds")
        m.event("estate_sale", co, None, proceeds,
                f"{co.spec.name}'s {gw:.2f} GW of data centres and its construction (${book:.1f}B at book) are sold "
                f"for ${proceeds:.1f}B")

    def sell_assets(self, co: Firm, up_to: float, discount: float = 0.0) -> float:
        """Sell stakes at their value, then other holdings at book, to outside investors, less ``discount``; return proceeds.

        The same share of every stake is sold (so which stake goes first cannot depend on
        the order of the contracts); other holdings only once the stakes are all sold. A
        sale in distress fetches ``1 - discount`` of what it sells; the seller books the
        difference as a loss (the losses table's ``sale_discount``).
        """
        m, led = self.m, self.led
        keep = 1.0 - discount
        stakes = [(s, s.fraction * m.value_for_holders(m.by_holder[s.to_party]))
                  for s in m.book.of_kind_from(EquityStake, co.holder) if s.state in LIVE]
        stakes = [(s, value) for s, value in stakes if value > 0]
        worth = math.fsum(value for _s, value in stakes)
        sold = 0.0
        if worth > 0 and up_to > 0:
            take = min(1.0, up_to / (worth * keep))
            for s, value in stakes:
                issuer = m.by_holder[s.to_party]
                self._sell(co, Account.STAKES, value * take, keep, f"{co.entity}: stake in {issuer.entity} sold", issuer.entity)
                s.fraction *= 1 - take
                if s.fraction <= 1e-12:
                    s.close(State.TERMINATED, self.q)
            sold = worth * take * keep
        other = led.balance(co.holder, Account.OTHER_ASSETS)
        if up_to - sold > money_tol(up_to) and other > 0:
            amount = min(other, (up_to - sold) / keep)
            self._sell(co, Account.OTHER_ASSETS, amount, keep, f"{co.entity}: holdings sold", "other_assets")
            sold += amount * keep
        return sold

    def _sell(self, co: Firm, account: Account, value: float, keep: float, memo: str, source: str) -> None:
        """Outside investors buy ``value`` of an asset for ``keep`` of it; the seller books the rest as a loss."""
        m = self.m
        price = value * keep
        legs = [(m.external, Account.OTHER_ASSETS, price), (m.external, Account.CASH, -price),
                (co.holder, Account.CASH, price), (co.holder, account, -value), (co.holder, Account.LOSSES, 0.0)]
        legs[-1] = (co.holder, Account.LOSSES, value - price)
        if value - price > money_tol(value):
            m.losses.append({"quarter": self.label, "holder": co.entity, "source": source, "kind": "sale_discount",
                             "channel": Channel.COLLATERAL.value, "amount": value - price})
        self.led.post(tuple(legs), memo)

    def _sell_loan_book(self, co: Firm) -> None:
        """A failed lender's loans are sold to outside investors below par; its borrowers now owe them."""
        m = self.m
        price_share = self.distress.loan_sale_price
        for loan in list(m.book.of_kind_from(Loan, co.holder)):
            if not loan.live(self.q) or loan.principal <= 0:
                continue
            par = loan.principal
            price = par * price_share
            self.led.post(((m.external, Account.LOANS_HELD, par), (m.external, Account.CASH, -price),
                           (m.external, Account.OTHER_INCOME, price - par),
                           (co.holder, Account.CASH, price), (co.holder, Account.LOSSES, par - price),
                           (co.holder, Account.LOANS_HELD, -par)), f"{loan.id}: sold from {co.entity}'s estate")
            m.book.change_from_party(loan, m.external)
            loan.sold_by = co.holder
            loan.limit = None  # the buyers take the loan, not the failed lender's promise to lend more
            borrower = m.by_holder.get(loan.to_party)
            m.event("loan_sold", co, borrower, par,
                    f"{co.spec.name}'s ${par:.1f}B loan to {m.name_of(self.led.names[loan.to_party])} is sold to outside "
                    f"investors for ${price:.1f}B")

    def _sell_the_rest(self, co: Firm) -> None:
        """Receivables, deposits and non-AI businesses are sold at a recovery on book."""
        for account in (Account.RECEIVABLES, Account.DEPOSITS, Account.NON_AI_BUSINESS, Account.OTHER_ASSETS):
            value = self.led.balance(co.holder, account)
            if value > 0:
                self._sell(co, account, value, self.distress.other_asset_recovery,
                           f"{co.entity}: {account.name.lower()} sold from the estate", account.name.lower())

    def _pay_creditors(self, co: Firm) -> None:
        """The estate's cash goes to creditors by seniority, pro rata within a rank.

        Secured lenders were paid from their collateral; what it did not cover ranks
        with the senior unsecured loans and this quarter's unpaid trade creditors;
        subordinated loans come last.
        """
        m = self.m
        ranks: list[list[tuple[object, int, float]]] = [[], []]
        for loan in m.book.of_kind_to(Loan, co.holder):
            if loan.live(self.q) and loan.principal > 0:
                ranks[1 if loan.seniority == "subordinated" else 0].append((loan, loan.from_party, loan.principal))
        for ob in m.obligations:
            if ob.payer == co.holder and ob.paid < ob.amount - 1e-9 and not isinstance(ob.contract, Loan):
                ranks[0].append((ob, ob.payee, ob.amount - ob.paid))
        for account in OUTSIDE_CLAIMS:  # suppliers and funders outside the model
            if (owed := self.led.balance(co.holder, account)) > 0:
                ranks[0].append((account, m.external, owed))
        for claims in ranks:
            total = sum(c[2] for c in claims)
            cash = co.cash()
            if total <= 0 or cash <= 0:
                return
            ratio = min(1.0, cash / total)
            for claim, creditor, amount in claims:
                pay = amount * ratio
                if pay <= 0:
                    continue
                if isinstance(claim, Loan):
                    repay(self.led, claim, pay, "recovery")
                elif isinstance(claim, Account):
                    self.led.transfer(co.holder, creditor, pay, claim, Account.OTHER_INCOME, f"{co.entity}: recovery")
                else:
                    self.led.transfer(co.holder, creditor, pay, claim.payer_debit, claim.payee_credit, "recovery of unpaid dues")
                    claim.paid += pay

    def _wind_up(self, co: Firm) -> None:
        """Close the estate: what is left of its liabilities is written off, any surplus goes to its owners.

        Afterwards the failed firm holds nothing and owes nothing: its book equity is zero.
        """
        m, led = self.m, self.led
        for account in ASSETS:
            value = led.balance(co.holder, account)
            if account not in (Account.CASH, Account.LOANS_HELD) and value:
                led.move(co.holder, Account.LOSSES, account, value, f"{co.entity}: {account.name.lower()} worth nothing")
        for account in LIABILITIES:
            value = led.balance(co.holder, account)
            if account is not Account.DEBT and value:
                led.move(co.holder, account, Account.OTHER_INCOME, value, f"{co.entity}: {account.name.lower()} written off")
                if account in OUTSIDE_CLAIMS and value > 0:
                    m.losses.append({"quarter": self.label, "holder": EXTERNAL, "source": co.entity,
                                     "kind": account.name.lower(), "channel": Channel.PAYMENT.value, "amount": value})
        surplus = led.equity(co.holder)
        if surplus > money_tol(led.total(co.holder, ASSETS)):
            owners = [(s.from_party, s.fraction) for s in m.book.of_kind_to(EquityStake, co.holder)
                      if s.state in LIVE and s.fraction > 0]
            for holder, fraction in owners:
                led.transfer(co.holder, holder, surplus * fraction, Account.RETAINED_EARNINGS, Account.OTHER_INCOME,
                             f"{co.entity}: liquidation proceeds")
            rest = surplus * (1 - sum(f for _h, f in owners))
            if rest > 0:
                led.transfer(co.holder, m.external, rest, Account.RETAINED_EARNINGS, Account.OTHER_INCOME,
                             f"{co.entity}: liquidation proceeds to outside shareholders")
            m.event("liquidation_proceeds", co, None, surplus,
                    f"{co.spec.name}'s estate pays ${surplus:.1f}B left after its creditors to its shareholders")

    def _pass_on_late_receipts(self) -> None:
        """Money a firm failed this quarter received after its estate was closed goes to those who lost by it.

        A debtor paying arrears after a rescue later in the cascade pays the estate, not its
        old shareholders: the receipt is shared among this default's written-off claims (loans and
        outside claims) in proportion, each loss cut by what it recovers; a surplus beyond them goes
        to the owners. The failed firm ends the quarter holding nothing, as the court left it.
        """
        m, led = self.m, self.led
        for co in m.firms:
            cash = co.cash()
            if co.status is not Status.DEFAULTED or cash <= money_tol(cash):
                continue
            rows = [row for row in m.losses if row["quarter"] == self.label and row["source"] == co.entity
                    and row["kind"] in ("loan", *(a.name.lower() for a in OUTSIDE_CLAIMS)) and row["amount"] > 0]
            lost = math.fsum(row["amount"] for row in rows)
            ratio = min(1.0, cash / lost) if lost > 0 else 0.0
            holder_of = {name: h for h, name in enumerate(led.names)}
            for row in rows:
                back = row["amount"] * ratio
                led.transfer(co.holder, holder_of[row["holder"]], back, Account.LOSSES, Account.OTHER_INCOME,
                             f"{co.entity}: late recovery")
                row["amount"] -= back
            if lost > 0:
                m.event("late_recovery", co, None, min(cash, lost),
                        f"{co.spec.name}'s estate passes ${min(cash, lost):.1f}B received after its default "
                        f"to its creditors")
            self._wind_up(co)

    def _write_off(self, co: Firm) -> None:
        """What was not recovered is lost to lenders (payment channel), less what guarantors pay."""
        m, led = self.m, self.led
        for loan in m.book.of_kind_to(Loan, co.holder):
            if not loan.live(self.q):
                continue
            if loan.principal > 0:
                self._call_guarantees(co, loan, loan.principal)
            # the payment channel off: the lender is made whole from outside
            loss = extinguish_in_default(led, loan, self.q, made_good_by=None if self.on.payment else m.external)
            if loss > 0 and self.on.payment:
                # the part the fire sale took off the recovery was carried by the collateral channel
                by_collateral = min(loss, self.discount.get(loan.id, 0.0))
                for channel, amount in ((Channel.COLLATERAL, by_collateral), (Channel.PAYMENT, loss - by_collateral)):
                    if amount > 0:
                        m.losses.append({"quarter": self.label, "holder": led.names[loan.from_party], "source": co.entity,
                                         "kind": "loan", "channel": channel.value, "amount": amount})
                m.note_channel(loan.from_party, Channel.PAYMENT, loss - by_collateral, co.entity)
        self._write_off_assumed_dues(co)

    def _write_off_assumed_dues(self, co: Firm) -> None:
        """Dues the outside sector paid for the failed firm (payment channel off) and did not recover are its loss."""
        for ob in self.m.obligations:
            if ob.payer == co.holder and ob.payer_debit is Account.PAYABLES and ob.paid < ob.amount:
                rest = ob.amount - ob.paid
                self.led.post(((co.holder, Account.PAYABLES, rest), (co.holder, Account.OTHER_INCOME, -rest),
                               (ob.payee, Account.LOSSES, rest), (ob.payee, Account.RECEIVABLES, -rest)),
                              f"{co.entity}: {ob.label} written off")
                ob.paid = ob.amount

    def _call_guarantees(self, co: Firm, loan: Loan, loss: float) -> float:
        m, led = self.m, self.led
        covered = 0.0
        for g in m.book.of_kind(Guarantee):
            room = g.amount - g.paid_out
            if g.loan_id != loan.id or g.state not in LIVE or room <= 0 or covered >= loss:
                continue
            guarantor = m.by_holder[g.from_party]
            pay = min(loss - covered, room)
            if guarantor.role == "government" and guarantor.cash() < pay:
                fund_government(m, guarantor, pay - guarantor.cash())
            pay = min(pay, guarantor.cash())
            if pay <= 0:
                continue
            pay_for_borrower(led, loan, g.from_party, pay, f"{g.id}: guarantee called")
            g.paid_out += pay
            covered += pay
            if guarantor.role == "government":
                m.fiscal_cost += pay
            m.event("guarantee_called", guarantor, co, pay,
                    f"{guarantor.spec.name} pays ${pay:.1f}B under its guarantee of {loan.id}")
        return covered

    def _terminate_contracts(self, co: Firm) -> None:
        """The failed firm's contracts end, or pass on to whoever takes its place.

        Suppliers lose its orders (demand channel); its customers keep the compute it
        rented or leased to them, now from the buyers of its data centres.
        """
        m, led = self.m, self.led
        for c in m.book.contracts:
            if c.state not in LIVE or co.holder not in (c.from_party, c.to_party) or isinstance(c, EquityStake):
                continue
            other = c.to_party if c.from_party == co.holder else c.from_party
            if isinstance(c, ComputeContract):
                lost = c.remaining_value(self.q + 1)
                if c.from_party == co.holder and not self.on.demand:
                    m.book.change_from_party(c, m.external)  # another buyer steps in at the contract's terms
                    m.event("contract_assumed", m.by_holder.get(other), co, lost,
                            f"{c.id} is taken over by outside buyers: "
                            f"{m.name_of(led.names[other])} keeps ${lost:.1f}B of backlog")
                    continue
                if c.to_party == co.holder and c.payment in ("rental", "lease") and other in m.by_holder:
                    # whoever bought the failed seller's data centres serves its customers on the same terms
                    m.book.change_to_party(c, m.external)
                    m.event("contract_assumed", m.by_holder[other], co, lost,
                            f"{c.id} passes to the buyers of {co.spec.name}'s data centres: "
                            f"{m.by_holder[other].spec.name} keeps its capacity")
                    continue
                if lost > 0 and other in m.by_holder:
                    if c.from_party == co.holder:
                        m.note_channel(other, Channel.DEMAND, lost, co.entity)
                        m.losses.append({"quarter": self.label, "holder": led.names[other], "source": co.entity,
                                         "kind": "backlog", "channel": Channel.DEMAND.value, "amount": lost})
                    m.event("contract_terminated", m.by_holder[other], co, lost,
                            f"{c.id} terminates: {m.by_holder[other].spec.name} loses ${lost:.1f}B of "
                            f"{'backlog' if c.to_party == other else 'contracted capacity'}", Channel.DEMAND.value)
            elif isinstance(c, ComputeCredit) and c.balance > 0:
                if c.from_party == co.holder:  # issuer failed: the credits are worthless
                    led.move(c.to_party, Account.LOSSES, Account.CREDITS_RECEIVABLE, c.balance, f"{c.id}: credits lost")
                    led.move(c.from_party, Account.DEFERRED_REVENUE, Account.OTHER_INCOME, c.balance, f"{c.id}: credits void")
                else:
                    led.move(c.to_party, Account.LOSSES, Account.CREDITS_RECEIVABLE, c.balance, f"{c.id}: credits forfeited")
                    led.move(c.from_party, Account.DEFERRED_REVENUE, Account.OTHER_INCOME, c.balance, f"{c.id}: credits lapse")
                c.balance = 0.0
            elif isinstance(c, Warrant) and c.to_party == co.holder and c.amount:
                led.move(co.holder, Account.REVALUATION, Account.WARRANTS, c.amount, f"{c.id}: warrant forfeited")
                c.amount = 0.0
            c.close(State.DEFAULTED if isinstance(c, Loan) else State.TERMINATED, self.q)


def what_if_losses(e: Economy, co: Firm, rules: DefaultRules) -> float:
    """What others would lose this quarter if ``co`` failed now: a what-if run of the cascade on a copy.

    The copy has no government rescue and runs the whole cascade; the answer is the
    sum of everything the channels carried to other holders.
    """
    twin = e.twin()
    before = len(twin.channels.rows)
    resolver = DefaultResolver(twin, rules)
    resolver.default(twin.by_holder[co.holder], 0.0, 0)
    # others already short this quarter fail in the twin too, so the cascade runs as it would
    resolver.run({h: a for h, a in twin.shortfall.items() if h != co.holder})
    return sum(r["amount"] for r in twin.channels.rows[before:] if r["holder"] != co.entity)
