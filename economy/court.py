"""Court-style default (MODEL.md 6a, rung 4): a failed firm's estate resolved as a court would.

Equity wiped; collateral seized and fire-sold, data centres, holdings, a lender's loan
book and the rest sold; bankruptcy costs; creditors paid by seniority; what was not
recovered written off (guarantors pay what they guaranteed); contracts passed on or
ended; the estate wound up, and money it receives later passed to those who lost by it.
Mixed into :class:`economy.defaults.DefaultResolver`.
"""

from __future__ import annotations

import math

from economy.actions import extinguish_in_default, pay_for_borrower, repay
from economy.channels import Channel
from economy.contracts import (
    LIVE,
    ComputeContract,
    ComputeCredit,
    EquityStake,
    Guarantee,
    Loan,
    State,
    Warrant,
)
from economy.ledger import ASSETS, LIABILITIES, Account
from economy.lending import fund_government
from economy.resolver_state import ResolverState
from economy.state import EXTERNAL, Firm, Status
from economy.units import money_tol

OUTSIDE_CLAIMS = (Account.PAYABLES, Account.FUNDING)
"""Liabilities to holders outside the model (suppliers, a lender's depositors and bondholders)."""


class Court(ResolverState):
    """Resolving a failed firm's default, from wiping its equity to winding up its estate."""

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
        # the creditors choose between reorganising the going concern and selling the estate (economy.reorganisation)
        plan = self.rules.restructure(self.estate_view(co), self.distress)
        outcome = "reorganised" if plan.reorganise else "liquidated"
        for row in m.cascade[len(m.cascade) - len(causes):]:
            row["outcome"] = outcome
        m.event("default", co, m.company_named(source), amount,
                f"{co.spec.name} defaults: ${amount:.1f}B it cannot pay ({channel.value}{after}); {outcome}",
                channel.value)
        if plan.reorganise:
            self.reorganise(co, plan)
            return
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

    def _sell_loan_book(self, co: Firm) -> None:
        """A failed lender's loans are sold to outside investors below par; its borrowers now owe them."""
        m = self.m
        price_share = self.distress.loan_sale_price
        discount = 0.0
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
            discount += par - price
        if discount > 0:  # what the estate gave up selling below par, as of any other holding sold in distress
            m.losses.append({"quarter": self.label, "holder": co.entity, "source": "loans_held", "kind": "sale_discount",
                             "channel": Channel.COLLATERAL.value, "amount": discount})

    def _sell_the_rest(self, co: Firm) -> None:
        """Receivables, deposits and non-AI businesses are sold at a recovery on book."""
        for account in (Account.RECEIVABLES, Account.DEPOSITS, Account.NON_AI_BUSINESS, Account.OTHER_ASSETS):
            value = self.led.balance(co.holder, account)
            if value > 0:
                self._sell(co, account, value, self.distress.other_asset_recovery,
                           f"{co.entity}: {account.name.lower()} sold from the estate", account.name.lower())

    def _bankruptcy_costs(self, co: Firm) -> None:
        """Administrators and lawyers take a share of the estate's cash (Rogers-Veraart's 1 - alpha)."""
        alpha = self.m.config.world.bankruptcy.alpha
        fees = (1 - alpha) * max(0.0, co.cash())
        if fees > 0:
            self.led.transfer(co.holder, self.m.external, fees, Account.LOSSES, Account.REVENUE, f"{co.entity}: bankruptcy costs")

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
                        # the binding part (the buyer had to take it) apart from the non-binding rest (a letter of
                        # intent); the kinds are economy.state.BACKLOG_KINDS
                        binding = c.binding_remaining_value(self.q + 1)
                        for kind, amount in (("backlog", binding), ("backlog_nonbinding", lost - binding)):
                            if amount > money_tol(lost):
                                m.losses.append({"quarter": self.label, "holder": led.names[other], "source": co.entity,
                                                 "kind": kind, "channel": Channel.DEMAND.value, "amount": amount})
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
                # a recovery: the creditor's loss is cut, in its books as in the loss row
                led.transfer(co.holder, holder_of[row["holder"]], back, Account.LOSSES, Account.LOSSES,
                             f"{co.entity}: late recovery")
                row["amount"] -= back
            if lost > 0:
                m.event("late_recovery", co, None, min(cash, lost),
                        f"{co.spec.name}'s estate passes ${min(cash, lost):.1f}B received after its default "
                        f"to its creditors")
            self._wind_up(co)
