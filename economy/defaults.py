"""Defaults and the cascade (MODEL.md section 7, step 6).

A firm that could not pay what was due, or breaches a covenant it cannot cure,
defaults unless the government rescues it. A default is resolved in the order a
court would: secured lenders seize and fire-sell their collateral, the firm's stakes
are sold, what cash remains goes pro rata to its creditors, the rest is written off,
and its contracts terminate. Then everyone is checked again; the rounds repeat until
no new default. Every default records the channel that brought it about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agents.base import Company, Status
from agents.government import rescue_decision
from agents.investor import margin_call
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
from economy.ledger import Account
from economy.units import quarter_label

if TYPE_CHECKING:
    from model import AIFinanceModel

MAX_ROUNDS = 50


class Channel:
    """Names of the contagion channels of MODEL.md section 8 (plus the root cause)."""

    PAYMENT = "payment"
    EQUITY = "equity"
    COLLATERAL = "collateral"
    CREDIT = "credit"
    CONFIDENCE = "confidence"
    DEMAND = "demand"
    FUNDAMENTAL = "fundamental"


@dataclass
class Trigger:
    """Why a firm is about to default: the amount short, the channel, who caused it."""

    amount: float
    channel: str
    caused_by: str = ""


class DefaultResolver:
    """Runs step 6 of a quarter for a model."""

    def __init__(self, model: AIFinanceModel) -> None:
        """Bind to the model whose quarter is being resolved."""
        self.m = model
        self.led = model.ledger
        self.q = model.quarter
        self.label = quarter_label(self.q, model.origin)
        self.sold_this_round: list[str] = []

    def run(self, shortfall: dict[int, float]) -> None:
        """Resolve this quarter's defaults in rounds until none is new."""
        m = self.m
        m.new_defaults = 0
        triggers = {h: self._payment_trigger(h, amount) for h, amount in shortfall.items() if h in m.by_holder}
        for rnd in range(1, MAX_ROUNDS + 1):
            triggers.update(self._covenant_triggers())
            triggers.update(self._insolvency_triggers())
            triggers = {h: t for h, t in triggers.items() if m.by_holder[h].alive}
            if not triggers:
                return
            self.sold_this_round = []
            for h in sorted(triggers):
                self._fail(m.by_holder[h], triggers[h], rnd)
            triggers = {}
        raise RuntimeError(f"{self.label}: the default cascade did not settle in {MAX_ROUNDS} rounds")

    # ---------------------------------------------------------------- triggers
    def _payment_trigger(self, holder: int, amount: float) -> Trigger:
        """Blame the debtors who short-paid this firm, if any; otherwise its own fundamentals."""
        short_payers: dict[str, float] = {}
        for ob in self.m.obligations:
            if ob.payee == holder and ob.paid < ob.amount - 1e-9:
                name = self.led.names[ob.payer]
                short_payers[name] = short_payers.get(name, 0.0) + ob.amount - ob.paid
        if short_payers and self.m.config.channels.payment:
            return Trigger(amount, Channel.PAYMENT, max(short_payers, key=lambda k: (short_payers[k], k)))
        refused = [e for e in self.m.events if e["quarter"] == self.label and e["kind"] in ("refinancing_refused", "loan_refused")
                   and e["counterparty"] == self.led.names[holder]]
        if refused and self.m.config.channels.credit:
            return Trigger(amount, Channel.CREDIT, refused[0]["entity"])
        return Trigger(amount, Channel.FUNDAMENTAL)

    def _covenant_triggers(self) -> dict[int, Trigger]:
        """Loan-to-value covenants tested at today's resale prices; cured from cash if possible."""
        m = self.m
        out: dict[int, Trigger] = {}
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
            if borrower.cash() >= cure:
                self.led.transfer(borrower.holder, loan.from_party, cure, Account.DEBT, Account.LOANS_HELD, f"{loan.id}: covenant cure")
                loan.principal -= cure
                m.event("covenant_cure", borrower, m.by_holder.get(loan.from_party), cure,
                        f"{borrower.spec.name} pays down ${cure:.1f}B of {loan.id} to restore its loan-to-value covenant")
                continue
            channel = Channel.COLLATERAL if m.market.resale_factor < 1.0 and m.config.channels.collateral else Channel.FUNDAMENTAL
            cause = self.sold_this_round[0] if channel == Channel.COLLATERAL and self.sold_this_round else ""
            out[borrower.holder] = Trigger(cure, channel, cause)
        return out

    def _insolvency_triggers(self) -> dict[int, Trigger]:
        """Lenders and investors fail when losses wipe out their equity; margin calls force sales."""
        m = self.m
        out: dict[int, Trigger] = {}
        for co in m.companies:
            if not co.alive:
                continue
            if co.role == "investor":
                t = self._margin_calls(co)
                if t:
                    out[co.holder] = t
            if co.role in ("lender", "investor") and self.led.equity(co.holder) < 0:
                out[co.holder] = Trigger(-self.led.equity(co.holder), Channel.PAYMENT if m.config.channels.payment else Channel.FUNDAMENTAL,
                                         self._largest_loss_source(co))
        return out

    def _margin_calls(self, co: Company) -> Trigger | None:
        m = self.m
        for loan in m.book.of_kind(Loan):
            if loan.to_party != co.holder or loan.instrument != "margin_loan" or not loan.live(self.q) or loan.principal <= 0:
                continue
            pledged = self.led.balance(co.holder, Account.STAKES)
            limit = co.spec.investor.max_loan_to_value if co.spec.investor else 0.5
            call = margin_call(loan.principal, pledged, limit)
            if call <= 0:
                continue
            paid = min(call, co.cash())
            if paid > 0:
                self.led.transfer(co.holder, loan.from_party, paid, Account.DEBT, Account.LOANS_HELD, f"{loan.id}: margin call")
                loan.principal -= paid
            rest = call - paid
            if rest > 1e-9:
                sold = self._sell_stakes(co, rest / max(1e-9, 1 - limit))
                pay = min(co.cash(), loan.principal, rest / max(1e-9, 1 - limit))
                if pay > 0:
                    self.led.transfer(co.holder, loan.from_party, pay, Account.DEBT, Account.LOANS_HELD, f"{loan.id}: margin call")
                    loan.principal -= pay
                m.event("margin_call", co, m.by_holder.get(loan.from_party), call,
                        f"{co.spec.name} meets a ${call:.1f}B margin call, selling ${sold:.1f}B of stakes")
                if loan.principal > limit * self.led.balance(co.holder, Account.STAKES) + 1e-6:
                    channel = Channel.EQUITY if m.config.channels.equity else Channel.FUNDAMENTAL
                    return Trigger(call, channel, self._largest_stake_loss(co))
        return None

    def _largest_loss_source(self, co: Company) -> str:
        losses = [c for c in self.m.cascade if c["quarter"] == self.label]
        return losses[-1]["entity"] if losses else ""

    def _largest_stake_loss(self, co: Company) -> str:
        for c in self.m.cascade[::-1]:
            if c["quarter"] == self.label:
                return c["entity"]
        return ""

    # ---------------------------------------------------------------- failure
    def _fail(self, co: Company, trigger: Trigger, rnd: int) -> None:
        m = self.m
        gov = next((g for g in m.companies if g.role == "government"), None)
        importance = self.systemic_importance(co)
        if gov is not None and co.role != "government" and rescue_decision(gov.spec.government.policy, importance, gov.spec.government.systemic_threshold):
            self._rescue(gov, co, trigger, importance)
            return
        co.status = Status.DEFAULTED
        m.new_defaults += 1
        m.cascade.append({"quarter": self.label, "round": rnd, "entity": co.entity, "caused_by": trigger.caused_by,
                          "channel": trigger.channel, "amount": round(trigger.amount, 6)})
        cause = f" after {m.by_holder[m.index[trigger.caused_by]].spec.name if trigger.caused_by in m.index and trigger.caused_by != 'external' else trigger.caused_by}" if trigger.caused_by else ""
        m.event("default", co, None, trigger.amount,
                f"{co.spec.name} defaults: ${trigger.amount:.1f}B it cannot pay ({trigger.channel}{cause})")
        self._seize_collateral(co)
        self._sell_stakes(co, float("inf"))
        self._pay_creditors(co)
        self._write_off(co)
        self._terminate_contracts(co)

    def systemic_importance(self, co: Company) -> float:
        """What others would lose if the firm failed: its debts, its remaining purchases, stakes in it."""
        m = self.m
        loss = 0.0
        for c in m.book.contracts:
            if c.state not in LIVE:
                continue
            if isinstance(c, Loan) and c.to_party == co.holder:
                loss += c.principal
            elif isinstance(c, ComputeContract) and c.from_party == co.holder:
                loss += c.remaining_value(self.q) * c.take_or_pay
            elif isinstance(c, EquityStake) and c.to_party == co.holder and c.from_party in m.by_holder:
                loss += c.fraction * co.market_value
        return loss

    def _rescue(self, gov: Company, co: Company, trigger: Trigger, importance: float) -> None:
        """The government injects equity to cover the gap; financed by issuing bonds to the external sector."""
        m = self.m
        unpaid = [ob for ob in m.obligations if ob.payer == co.holder and ob.paid < ob.amount - 1e-9]
        need = sum(ob.amount - ob.paid for ob in unpaid) + max(0.0, trigger.amount if trigger.channel != Channel.PAYMENT else 0.0)
        need = max(need, trigger.amount)
        if gov.cash() < need:
            m.fund_government(gov, need - gov.cash())
        self.led.transfer(gov.holder, co.holder, need, Account.STAKES, Account.PAID_IN_CAPITAL, f"rescue of {co.entity}")
        co.flows.equity_raised += need
        m.issue_shares_to(co, gov, need)
        m.fiscal_cost += need
        catch_up: dict[str, list[Obligation]] = {}
        for ob in unpaid:
            gap = ob.amount - ob.paid
            self.led.transfer(ob.payer, ob.payee, gap, ob.payer_debit, ob.payee_credit, "rescue: arrears paid")
            if ob.contract is not None:
                catch_up.setdefault(ob.contract.id, []).append(
                    Obligation(ob.contract, ob.payer, ob.payee, ob.amount, ob.payer_debit, ob.payee_credit, ob.label, gap))
            ob.paid = ob.amount
        for cid, obs in catch_up.items():
            contract = m.book.by_id[cid]
            contract.settled(self.q, obs)
            if isinstance(contract, ComputeContract) and contract.payment == "purchase":
                m.deliver_systems(contract, obs)
        co.status = Status.RESCUED
        m.event("rescue", gov, co, need,
                f"{gov.spec.name} rescues {co.spec.name} with ${need:.1f}B (its failure would cost others ${importance:.0f}B)")

    def collateral_value(self, co: Company, loan: Loan) -> float:
        """Market value of what secures a loan, at this quarter's resale price."""
        m = self.m
        w, mk = m.config.world, m.market
        hw = co.fleet.market_value(self.q, w.capex_per_gw * w.hardware_share, mk.price_index, mk.resale_factor)
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

    def _seize_collateral(self, co: Company) -> None:
        """Secured lenders take the hardware and fire-sell it; proceeds go to them by seniority."""
        m, led = self.m, self.led
        secured = [l for l in m.book.of_kind(Loan) if l.to_party == co.holder and l.live(self.q) and l.principal > 0
                   and l.collateral in ("hardware", "all_assets")]
        hw_book = co.fleet.hardware_book
        if not secured or hw_book <= 0:
            return
        w, mk = m.config.world, m.market
        value = co.fleet.market_value(self.q, w.capex_per_gw * w.hardware_share, mk.price_index, 1.0)
        proceeds = m.world.fire_sale(value) if m.config.channels.collateral else value
        gw = co.fleet.hardware_gw
        co.fleet.vintages = []
        self.sold_this_round.append(co.entity)
        led.post(((m.external, Account.OTHER_ASSETS, proceeds), (m.external, Account.CASH, -proceeds),
                  (co.holder, Account.CASH, proceeds), (co.holder, Account.LOSSES, hw_book - proceeds),
                  (co.holder, Account.HARDWARE, -hw_book)), f"{co.entity}: seized hardware fire-sold")
        owed = sum(l.principal for l in secured)
        for loan in secured:
            part = min(loan.principal, proceeds * loan.principal / owed)
            led.transfer(co.holder, loan.from_party, part, Account.DEBT, Account.LOANS_HELD, f"{loan.id}: collateral proceeds")
            loan.principal -= part
        m.event("fire_sale", co, None, proceeds,
                f"lenders seize {gw:.2f} GW of {co.spec.name} hardware and sell it for ${proceeds:.1f}B "
                f"(resale price now {m.market.resale_factor:.0%} of value)")

    def _sell_stakes(self, co: Company, up_to: float) -> float:
        """Sell stakes to outside investors at market value, up to an amount; return proceeds."""
        m, led = self.m, self.led
        sold = 0.0
        for s in m.book.of_kind(EquityStake):
            if s.from_party != co.holder or s.state not in LIVE or sold >= up_to:
                continue
            issuer = m.by_holder[s.to_party]
            value = s.fraction * issuer.market_value
            if value <= 0:
                continue
            take = min(1.0, (up_to - sold) / value)
            amount = value * take
            led.post(((m.external, Account.OTHER_ASSETS, amount), (m.external, Account.CASH, -amount),
                      (co.holder, Account.CASH, amount), (co.holder, Account.STAKES, -amount)), f"{co.entity}: stake in {issuer.entity} sold")
            s.fraction *= 1 - take
            if s.fraction <= 1e-12:
                s.close(State.TERMINATED, self.q)
            sold += amount
        return sold

    def _pay_creditors(self, co: Company) -> None:
        """Whatever cash is left goes pro rata to lenders and to this quarter's unpaid creditors."""
        m, led = self.m, self.led
        claims: list[tuple[object, int, float]] = []
        for l in m.book.of_kind(Loan):
            if l.to_party == co.holder and l.live(self.q) and l.principal > 0:
                claims.append((l, l.from_party, l.principal))
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
                led.transfer(co.holder, creditor, pay, Account.DEBT, Account.LOANS_HELD, f"{claim.id}: recovery")
                claim.principal -= pay
            else:
                led.transfer(co.holder, creditor, pay, claim.payer_debit, claim.payee_credit, "recovery of unpaid dues")
                claim.paid += pay

    def _write_off(self, co: Company) -> None:
        """Lenders write off what was not recovered; guarantors pay their share of it."""
        m, led = self.m, self.led
        for l in m.book.of_kind(Loan):
            if l.to_party != co.holder or not l.live(self.q):
                continue
            loss = l.principal
            if loss > 0:
                for g in m.book.of_kind(Guarantee):
                    if g.loan_id == l.id and g.state in LIVE and g.amount - g.paid_out > 0:
                        pay = min(loss, g.amount - g.paid_out)
                        guarantor = m.by_holder[g.from_party]
                        if guarantor.role == "government" and guarantor.cash() < pay:
                            m.fund_government(guarantor, pay - guarantor.cash())
                        pay = min(pay, guarantor.cash())
                        led.transfer(g.from_party, l.from_party, pay, Account.LOSSES, Account.LOANS_HELD, f"{g.id}: guarantee called")
                        led.move(co.holder, Account.DEBT, Account.OTHER_INCOME, pay, f"{l.id}: debt assumed by guarantor")
                        g.paid_out += pay
                        loss -= pay
                        if guarantor.role == "government":
                            m.fiscal_cost += pay
                led.move(l.from_party, Account.LOSSES, Account.LOANS_HELD, loss, f"{l.id}: written off")
                led.move(co.holder, Account.DEBT, Account.OTHER_INCOME, loss, f"{l.id}: extinguished in default")
                m.losses.append({"quarter": self.label, "holder": led.names[l.from_party], "source": co.entity,
                                 "kind": "loan", "amount": loss})
            l.principal = 0.0
            l.close(State.DEFAULTED, self.q)

    def _terminate_contracts(self, co: Company) -> None:
        """Every live contract of the defaulted firm ends; counterparties lose what it would have brought."""
        m, led = self.m, self.led
        for c in m.book.contracts:
            if c.state not in LIVE or co.holder not in (c.from_party, c.to_party):
                continue
            other = c.to_party if c.from_party == co.holder else c.from_party
            if isinstance(c, ComputeContract):
                lost = c.remaining_value(self.q)
                if lost > 0 and other in m.by_holder:
                    m.event("contract_terminated", m.by_holder[other], co, lost,
                            f"{c.id} terminates: {m.by_holder[other].spec.name} loses ${lost:.1f}B of "
                            f"{'backlog' if c.to_party == other else 'contracted capacity'}")
            elif isinstance(c, ComputeCredit) and c.balance > 0:
                if c.from_party == co.holder:  # issuer failed: the credits are worthless
                    led.move(c.to_party, Account.LOSSES, Account.CREDITS_RECEIVABLE, c.balance, f"{c.id}: credits lost")
                    led.move(c.from_party, Account.DEFERRED_REVENUE, Account.OTHER_INCOME, c.balance, f"{c.id}: credits void")
                    m.losses.append({"quarter": self.label, "holder": led.names[c.to_party], "source": co.entity,
                                     "kind": "credits", "amount": c.balance})
                else:
                    led.move(c.to_party, Account.LOSSES, Account.CREDITS_RECEIVABLE, c.balance, f"{c.id}: credits forfeited")
                    led.move(c.from_party, Account.DEFERRED_REVENUE, Account.OTHER_INCOME, c.balance, f"{c.id}: credits lapse")
                c.balance = 0.0
            elif isinstance(c, Warrant) and c.to_party == co.holder and c.amount:
                led.move(co.holder, Account.REVALUATION, Account.WARRANTS, c.amount, f"{c.id}: warrant forfeited")
                c.amount = 0.0
            if isinstance(c, EquityStake):
                continue  # stakes in the firm stay on the books and are marked to zero
            c.close(State.TERMINATED if not isinstance(c, Loan) else State.DEFAULTED, self.q)
