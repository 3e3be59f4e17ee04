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

from collections.abc import Callable
from dataclasses import dataclass

from economy.actions import extinguish_in_default, pay_for_borrower, repay
from economy.channels import Channel
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
from economy.equity import issue_shares_to
from economy.ledger import Account
from economy.lending import fund_government
from economy.procurement import deliver_systems
from economy.state import Economy, Firm, Status

MAX_ROUNDS = 50
LIQUID = (Account.STAKES, Account.OTHER_ASSETS)


@dataclass(frozen=True)
class DefaultRules:
    """The decisions the default phase asks of the agents, injected so that the mechanics do not import them.

    Attributes:
        rescue: ``rescue(policy, systemic_importance, threshold)``: whether the government rescues.
        margin_call: ``margin_call(loan_balance, pledged_value, max_loan_to_value)``: repayment demanded.
    """

    rescue: Callable[[str, float, float], bool]
    margin_call: Callable[[float, float, float], float]


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
        self.discount: dict[str, float] = {}

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
                return
            for h in sorted(triggers):
                if m.by_holder[h].alive and not self._pay_arrears(m.by_holder[h]):
                    self.fail(m.by_holder[h], triggers[h], rnd)
            triggers = {}
        raise RuntimeError(f"{self.label}: the default cascade did not settle in {MAX_ROUNDS} rounds")

    def _pay_arrears(self, co: Firm) -> bool:
        """Pay this quarter's unpaid dues late if money has come in since (a rescue of a debtor); True if cured.

        Only a firm whose trouble was a payment shortfall can be cured this way.
        """
        m = self.m
        unpaid = self._unpaid(co)
        gap = sum(ob.amount - ob.paid for ob in unpaid)
        if not unpaid or co.cash() < gap or co.holder not in m.shortfall:
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
        """Loan-to-value covenants tested at today's resale prices; cured from cash if possible."""
        m = self.m
        out: dict[int, float] = {}
        for loan in m.book.of_kind(Loan):
            if loan.max_ltv is None or not loan.live(self.q) or loan.principal <= 0:
                continue
            borrower = m.by_holder.get(loan.to_party)
            if borrower is None or not borrower.alive:
                continue
            value = self.collateral_value(borrower, loan)
            if value <= 0 or loan.principal <= loan.max_ltv * value:
                continue
            cure = loan.principal - loan.max_ltv * value
            if m.market.resale_factor < 1.0:
                full = self.collateral_value(borrower, loan, resale=1.0)
                source = m.fire_sellers[0] if m.fire_sellers else ""
                m.note_channel(borrower.holder, Channel.COLLATERAL, min(cure, max(0.0, full - value) * loan.max_ltv), source)
            if borrower.cash() >= cure:
                repay(self.led, loan, cure, "covenant cure")
                m.event("covenant_cure", borrower, m.by_holder.get(loan.from_party), cure,
                        f"{borrower.spec.name} pays down ${cure:.1f}B of {loan.id} to restore its loan-to-value covenant")
                continue
            out[borrower.holder] = out.get(borrower.holder, 0.0) + cure
        return out

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
        self._bankruptcy_costs(co)
        self._write_down_stakes(co)
        self._seize_collateral(co)
        self.sell_assets(co, float("inf"))
        self._pay_creditors(co)
        self._write_off(co)
        self._terminate_contracts(co)

    def _rescue(self, gov: Firm, co: Firm, amount: float, importance: float) -> None:
        """The government injects equity to cover the gap, financed by issuing bonds to the external sector."""
        m = self.m
        unpaid = self._unpaid(co)
        need = max(amount, sum(ob.amount - ob.paid for ob in unpaid))
        if gov.cash() < need:
            fund_government(m, gov, need - gov.cash())
        self.led.transfer(gov.holder, co.holder, need, Account.STAKES, Account.PAID_IN_CAPITAL, f"rescue of {co.entity}")
        co.flows.equity_raised += need
        issue_shares_to(m, co, gov, need)
        m.fiscal_cost += need
        self._pay_late(unpaid, "rescue: arrears paid")
        co.status = Status.RESCUED
        m.event("rescue", gov, co, need,
                f"{gov.spec.name} rescues {co.spec.name} with ${need:.1f}B (its failure would cost others ${importance:.0f}B)")

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
        """Secured lenders take the hardware and fire-sell it; proceeds go to them pro rata to their loans."""
        m, led = self.m, self.led
        secured = [loan for loan in m.book.of_kind_to(Loan, co.holder) if loan.live(self.q)
                   and loan.principal > 0 and loan.collateral in ("hardware", "all_assets")]
        hw_book = co.fleet.hardware_book
        if not secured or hw_book <= 0:
            return
        w, mk = m.config.world, m.market
        value = co.fleet.market_value(self.q, w.capex_per_gw * w.hardware_share, mk.price_index, 1.0, w.gpu.decline_annual)
        proceeds = m.world.fire_sale(value) if self.on.collateral else value
        gw = co.fleet.hardware_gw
        co.fleet.vintages = []
        m.fire_sellers.append(co.entity)
        led.post(((m.external, Account.OTHER_ASSETS, proceeds), (m.external, Account.CASH, -proceeds),
                  (co.holder, Account.CASH, proceeds), (co.holder, Account.LOSSES, hw_book - proceeds),
                  (co.holder, Account.HARDWARE, -hw_book)), f"{co.entity}: seized hardware fire-sold")
        owed = sum(loan.principal for loan in secured)
        for loan in secured:
            share = loan.principal / owed
            part = min(loan.principal, proceeds * share)
            repay(led, loan, part, "collateral proceeds")
            if value > proceeds:  # what the thin market took off this lender's recovery
                self.discount[loan.id] = (value - proceeds) * share
                m.note_channel(loan.from_party, Channel.COLLATERAL, self.discount[loan.id], co.entity)
        m.event("fire_sale", co, None, proceeds,
                f"lenders seize {gw:.2f} GW of {co.spec.name} hardware and sell it for ${proceeds:.1f}B "
                f"(resale price now {m.market.resale_factor:.0%} of value)", Channel.COLLATERAL.value)

    def sell_assets(self, co: Firm, up_to: float) -> float:
        """Sell stakes at market value, then other holdings at book, to outside investors; return proceeds."""
        m, led = self.m, self.led
        sold = 0.0
        for s in m.book.of_kind_from(EquityStake, co.holder):
            if s.state not in LIVE or sold >= up_to:
                continue
            issuer = m.by_holder[s.to_party]
            value = s.fraction * m.value_for_holders(issuer)
            if value <= 0:
                continue
            take = min(1.0, (up_to - sold) / value)
            amount = value * take
            led.post(((m.external, Account.OTHER_ASSETS, amount), (m.external, Account.CASH, -amount),
                      (co.holder, Account.CASH, amount), (co.holder, Account.STAKES, -amount)),
                     f"{co.entity}: stake in {issuer.entity} sold")
            s.fraction *= 1 - take
            if s.fraction <= 1e-12:
                s.close(State.TERMINATED, self.q)
            sold += amount
        other = led.balance(co.holder, Account.OTHER_ASSETS)
        if sold < up_to and other > 0:
            amount = min(other, up_to - sold)
            led.post(((m.external, Account.OTHER_ASSETS, amount), (m.external, Account.CASH, -amount),
                      (co.holder, Account.CASH, amount), (co.holder, Account.OTHER_ASSETS, -amount)),
                     f"{co.entity}: holdings sold")
            sold += amount
        return sold

    def _pay_creditors(self, co: Firm) -> None:
        """Whatever cash is left goes pro rata to lenders and to this quarter's unpaid creditors."""
        m, led = self.m, self.led
        claims: list[tuple[object, int, float]] = []
        for loan in m.book.of_kind_to(Loan, co.holder):
            if loan.live(self.q) and loan.principal > 0:
                claims.append((loan, loan.from_party, loan.principal))
        for ob in m.obligations:
            if ob.payer == co.holder and ob.paid < ob.amount - 1e-9 and not isinstance(ob.contract, Loan):
                claims.append((ob, ob.payee, ob.amount - ob.paid))
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
                repay(led, claim, pay, "recovery")
            else:
                led.transfer(co.holder, creditor, pay, claim.payer_debit, claim.payee_credit, "recovery of unpaid dues")
                claim.paid += pay

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
        """Every live contract of the failed firm ends; suppliers lose its orders (demand channel)."""
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
