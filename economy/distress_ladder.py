"""The distress ladder (MODEL.md 6a, rungs 1 to 3): what a firm in trouble raises before it defaults.

Committed revolvers drawn; holdings, vested warrants and hardware sold; new shares at a
clearing price; sellers asked to give way on its dues; then arrears and cures paid late
until no one more can pay. Every firm in trouble climbs in the same round and the money
comes from outside investors only, so no firm's ladder depends on another's place in a
list. Mixed into :class:`economy.defaults.DefaultResolver`; the decisions are the agents'
rules (``DefaultRules``).
"""

from __future__ import annotations

import math

from economy.actions import draw, repay
from economy.capacity import Vintage
from economy.channels import Channel
from economy.concessions import concede_dues, units_after
from economy.contracts import (
    LIVE,
    ComputeContract,
    EquityStake,
    Loan,
    Obligation,
    State,
    Warrant,
)
from economy.credit import LoanRequest, clear_loan_requests
from economy.equity import sell_shares_outside
from economy.ledger import Account
from economy.procurement import deliver_systems
from economy.resolver_state import ResolverState
from economy.state import Firm
from economy.units import QUARTERS_PER_YEAR, money_tol
from economy.views import capital_ratio

RENEGOTIABLE = ("rental", "lease")
"""Running take-or-pay contracts whose dues a seller may renegotiate (a purchase is simply not delivered if unpaid)."""


class DistressLadder(ResolverState):
    """The rungs a firm in trouble climbs before it fails, and paying late.

    Hardware sales repay the lenders secured on what is sold (``Court._secured_on``, mixed in beside it).
    """

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

    def _sell_holdings(self, co: Firm) -> None:
        """Rung 1: stakes, other holdings, then vested warrants sold to outside investors at ``holding_sale_discount`` off."""
        short, arrears = self._short(co)
        if short > money_tol(arrears):
            short -= self.sell_assets(co, short, self.distress.holding_sale_discount)
        if short > money_tol(arrears):
            self._sell_warrants(co, short, self.distress.holding_sale_discount)

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

    def _raise_cash(self, co: Firm) -> None:
        """The ladder's last rungs before default (MODEL.md 6a): new shares sold, then its sellers asked to give way."""
        short, arrears = self._short(co)
        if short > money_tol(arrears):
            self._issue_in_distress(co, short)
        short, arrears = self._short(co)
        if short > money_tol(arrears):
            self._renegotiate(co, short)

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
