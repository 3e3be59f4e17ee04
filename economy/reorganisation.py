"""Court-supervised reorganisation (MODEL.md 6a, rung 4): a failed firm emerges, owned by its creditors, with less debt.

The court values the estate two ways (:meth:`Reorganisation.estate_view`): as a going
concern (the enterprise value of the running business, :func:`economy.revaluation.business_value`,
plus its cash and holdings) and as a liquidation (what the estate sale of
:mod:`economy.court` would fetch, net of bankruptcy costs). The creditors' rule
(``agents/restructuring.py``) picks the one that recovers more. A reorganisation
(:meth:`Reorganisation.reorganise`) then shares the going concern among the claims by
seniority: secured loans first up to the value of their collateral, then senior claims
(what collateral did not cover, this quarter's unpaid dues, outside suppliers and funders),
then subordinated loans. The debt the emerged firm can carry stays with the most senior
recoveries, in the same order; the rest of every recovery is paid in new shares, so the
claims the value reaches last become the owners; what a creditor does not recover is its
loss. The old shareholders keep only what is left after all claims (usually
nothing). The firm keeps its assets and all its contracts. Mixed into
:class:`economy.defaults.DefaultResolver`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

from economy.actions import exchange_for_shares
from economy.channels import Channel
from economy.contracts import LIVE, ComputeContract, EquityStake, Loan, Obligation, State, Warrant
from economy.ledger import LIABILITIES, Account
from economy.procurement import deliver_systems
from economy.resolver_state import ResolverState
from economy.revaluation import business_value
from economy.state import EXTERNAL, Firm, Status
from economy.units import money_tol

OUTSIDE = (Account.PAYABLES, Account.FUNDING)
"""Liabilities to holders outside the model (as :data:`economy.court.OUTSIDE_CLAIMS`)."""

NOT_REORGANISED = ("lender", "investor", "government")
"""Roles whose estate is a portfolio of claims: its going-concern value is what it sells for, so they are liquidated."""

SECURED_ON = ("hardware", "dc_shells", "all_assets", "shares")


@dataclass(frozen=True)
class EstateView:
    """A failed firm's estate as the court sees it ($B)."""

    entity: str
    claims: float
    """Everything its creditors claim: loans, this quarter's unpaid dues, outside suppliers and funders."""
    debt_claims: float
    """The part of the claims that can stay debt of the emerged firm (loans and outside claims)."""
    going_concern: float
    """The enterprise value of its running business, plus its cash and holdings."""
    liquidation: float
    """What selling the estate would fetch, net of bankruptcy costs."""
    debt_room: float
    """The most debt the emerged firm may keep with its book equity at zero or above."""
    operating: bool
    """Whether it runs a business that can be reorganised (not a lender's or investor's portfolio)."""
    cash: float = 0.0
    """The cash it holds now, which it keeps if reorganised."""
    operating_surplus: float = 0.0
    """This quarter's revenue less everything but debt service that fell due on it (suppliers, compute, running costs)."""


class Outcome(Protocol):
    """The court's decision as the creditors' rule returns it (``agents.decisions.Reorganise`` or ``Liquidate``)."""

    reorganise: bool


@dataclass
class Claim:
    """One creditor's claim on the estate and what it recovers."""

    creditor: int
    what: Loan | Obligation | Account
    amount: float
    secured: float = 0.0
    subordinated: bool = False
    by_rank: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    """What it recovers in each rank: on its collateral, among senior claims, among subordinated ones."""
    debt: float = 0.0
    """The part of its recovery it keeps as debt of the emerged firm."""

    @property
    def recovery(self) -> float:
        """What it recovers in all."""
        return math.fsum(self.by_rank)

    @property
    def can_stay_debt(self) -> bool:
        """Loans and outside claims can stay owed by the emerged firm; a quarter's unpaid dues are settled in shares."""
        return not isinstance(self.what, Obligation)


class Reorganisation(ResolverState):
    """Valuing a failed firm's estate both ways, and reorganising it when its creditors choose that."""

    # ---------------------------------------------------------------- the court's view
    def claims_on(self, co: Firm) -> list[Claim]:
        """Every claim on a failed firm, with the part of each loan its collateral secures."""
        m, led = self.m, self.led
        loans = [loan for loan in m.book.of_kind_to(Loan, co.holder) if loan.live(self.q) and loan.principal > 0]
        claims = [Claim(loan.from_party, loan, loan.principal, subordinated=loan.seniority == "subordinated")
                  for loan in loans]
        # secured loans share the going-concern value of what secures them, pro rata to principal
        for kind in SECURED_ON:
            pool = [c for c in claims if not c.subordinated and c.what.collateral == kind]
            owed = math.fsum(c.amount for c in pool)
            for c in pool:
                c.secured = min(c.amount, self.collateral_value(co, c.what, resale=1.0) * c.amount / owed)
        assumed = 0.0
        for ob in m.obligations:
            if ob.payer == co.holder and ob.paid < ob.amount - 1e-9 and not isinstance(ob.contract, Loan):
                claims.append(Claim(ob.payee, ob, ob.amount - ob.paid))
                if ob.payer_debit in OUTSIDE:  # dues the outside sector paid for it: also in its payables
                    assumed += ob.amount - ob.paid
        for account in OUTSIDE:
            owed = led.balance(co.holder, account) - (assumed if account is Account.PAYABLES else 0.0)
            if owed > money_tol(owed):
                claims.append(Claim(m.external, account, owed))
        return claims

    def liquidation_value(self, co: Firm) -> float:
        """What the estate sale of :mod:`economy.court` would fetch now, net of bankruptcy costs (nothing is sold)."""
        m, led, d = self.m, self.led, self.distress
        w, mk = m.config.world, m.market
        hw = co.fleet.market_value(self.q, w.capex_per_gw * w.hardware_share, mk.price_index, 1.0, w.gpu.decline_annual)
        stakes = math.fsum(s.fraction * m.value_for_holders(m.by_holder[s.to_party])
                           for s in m.book.of_kind_from(EquityStake, co.holder) if s.state in LIVE)
        bal = led.balances(co.holder)
        estate = math.fsum([
            max(0.0, bal[Account.CASH]),
            m.world.fire_sale_proceeds(hw) if self.on.collateral else hw,
            (bal[Account.DC_SHELLS] + bal[Account.CONSTRUCTION_IN_PROGRESS]) * d.shell_recovery,
            (max(0.0, stakes) + bal[Account.OTHER_ASSETS]) * (1.0 - d.holding_sale_discount),
            bal[Account.LOANS_HELD] * d.loan_sale_price,
            (bal[Account.RECEIVABLES] + bal[Account.DEPOSITS] + bal[Account.NON_AI_BUSINESS]) * d.other_asset_recovery,
        ])
        return w.bankruptcy.alpha * max(0.0, estate)

    def going_concern_value(self, co: Firm) -> float:
        """The enterprise value of the running business plus cash and holdings at their marks."""
        bal = self.led.balances(co.holder)
        return math.fsum([business_value(self.m, co), bal[Account.CASH], bal[Account.STAKES], bal[Account.WARRANTS],
                          bal[Account.LOANS_HELD]])

    def estate_view(self, co: Firm, claims: list[Claim] | None = None) -> EstateView:
        """The frozen view the creditors' rule decides on."""
        claims = self.claims_on(co) if claims is None else claims
        booked = math.fsum(c.amount for c in claims if c.can_stay_debt)
        dues = math.fsum(ob.amount for ob in self.m.obligations
                         if ob.payer == co.holder and not isinstance(ob.contract, Loan) and ob.payer_debit not in OUTSIDE)
        return EstateView(entity=co.entity, claims=math.fsum(c.amount for c in claims), debt_claims=booked,
                          going_concern=self.going_concern_value(co), liquidation=self.liquidation_value(co),
                          debt_room=max(0.0, self.led.equity(co.holder) + booked),
                          operating=co.role not in NOT_REORGANISED, cash=max(0.0, co.cash()),
                          operating_surplus=self.led.balance(co.holder, Account.REVENUE) - dues)

    # ---------------------------------------------------------------- the plan
    @staticmethod
    def share_out(claims: list[Claim], value: float, debt: float) -> None:
        """Share ``value`` among the claims by seniority, then the ``debt`` the emerged firm keeps among their recoveries.

        Each rank (collateral, senior, subordinated) is paid pro rata within it before the next
        is paid anything. The debt goes to the most senior recoveries first, in the same ranks
        (among the claims that can stay debt), so the shares go to the claims the value reaches
        last: a secured lender keeps a loan, the junior creditors become the owners.
        """
        ranks = [[(c, c.secured) for c in claims],
                 [(c, c.amount - c.secured) for c in claims if not c.subordinated],
                 [(c, c.amount) for c in claims if c.subordinated]]
        left = value
        for i, rank in enumerate(ranks):
            total = math.fsum(part for _c, part in rank)
            if total <= 0:
                continue
            ratio = max(0.0, min(1.0, left / total))
            for c, part in rank:
                c.by_rank[i] += part * ratio
            left -= total * ratio
        left = debt
        for i in range(len(ranks)):
            total = math.fsum(c.by_rank[i] for c in claims if c.can_stay_debt)
            if total <= 0:
                continue
            ratio = max(0.0, min(1.0, left / total))
            for c in claims:
                if c.can_stay_debt:
                    c.debt += c.by_rank[i] * ratio
            left -= total * ratio

    def reorganise(self, co: Firm, plan: Outcome) -> None:
        """Carry out a reorganisation: debt cut, claims exchanged for shares by seniority, old equity wiped.

        ``plan`` carries the reorganised value (``value``), the debt the emerged firm may keep
        (``new_debt``) and what its creditors recover (``recovery``) and would have from a sale
        (``liquidation``).
        """
        m = self.m
        claims = self.claims_on(co)
        total = math.fsum(c.amount for c in claims)
        value_before = co.market_value
        self.share_out(claims, plan.recovery, plan.new_debt)
        kept = math.fsum(c.debt for c in claims)
        equity_value = plan.value - kept
        keep_old = max(0.0, plan.value - total) / equity_value if equity_value > 0 else 0.0
        new_shares: dict[int, float] = {}
        for c in claims:
            debt = c.debt
            shares = c.recovery - debt
            creditor = c.creditor if c.creditor == m.external or m.by_holder[c.creditor].alive else m.external
            asset = Account.OTHER_ASSETS if creditor == m.external else Account.STAKES
            if isinstance(c.what, Loan):
                self._exchange_loan(co, c.what, c.amount - c.recovery, debt, shares, asset)
            elif isinstance(c.what, Account):
                self._exchange_outside(co, c.what, c.amount - debt, shares)
            else:
                self._settle_dues_in_shares(co, c.what, creditor, shares, asset)
            if shares > 0 and creditor != m.external:
                new_shares[creditor] = new_shares.get(creditor, 0.0) + shares
        self._reissue(co, value_before, keep_old, equity_value, new_shares)
        co.status = Status.REORGANISED
        co.frozen_value = None
        # the exit plan caps what it may owe while the kept loans run, as exit facilities' debt covenants do
        co.plan_debt = self.led.balance(co.holder, Account.DEBT)
        co.plan_until = self.q + self.distress.reorganisation_tenor_quarters
        self.reorganised.add(co.holder)
        owned = 1.0 - keep_old
        m.event("reorganised", co, None, total,
                f"{co.spec.name} is reorganised in court: ${total:.1f}B of claims become ${kept:.1f}B of debt and "
                f"{owned:.0%} of its shares (worth ${plan.recovery - kept:.1f}B); its creditors recover "
                f"${plan.recovery:.1f}B against ${plan.liquidation:.1f}B from selling its estate")

    def _exchange_loan(self, co: Firm, loan: Loan, loss: float, debt: float, shares: float, asset: Account) -> None:
        """A loan cut to ``debt``: guarantors pay what the lender loses first, the rest of the cut is exchanged for shares."""
        m = self.m
        if loss > 0:
            self._call_guarantees(co, loan, loss)
        cut = max(0.0, loan.principal - debt)
        lost = exchange_for_shares(self.led, loan, cut, shares, asset,
                                   made_good_by=None if self.on.payment else m.external)
        loan.limit = None  # undrawn commitments end with the reorganisation
        if lost > money_tol(cut) and self.on.payment:
            m.losses.append({"quarter": self.label, "holder": self.led.names[loan.from_party], "source": co.entity,
                             "kind": "loan", "channel": Channel.PAYMENT.value, "amount": lost})
            if loan.from_party in m.by_holder:
                m.note_channel(loan.from_party, Channel.PAYMENT, lost, co.entity)
        if loan.principal <= money_tol(debt):
            if loan.principal > 0:
                exchange_for_shares(self.led, loan, loan.principal, 0.0, asset)  # float dust
            loan.close(State.DEFAULTED, self.q)
        elif loan.end is not None:
            loan.end = max(loan.end, self.q + self.distress.reorganisation_tenor_quarters)

    def _exchange_outside(self, co: Firm, account: Account, cut: float, shares: float) -> None:
        """An outside supplier's or funder's claim cut by ``cut``, ``shares`` of it exchanged for shares held outside."""
        m = self.m
        lost = cut - shares
        self.led.post(((co.holder, account, cut), (co.holder, Account.PAID_IN_CAPITAL, -shares),
                       (co.holder, Account.OTHER_INCOME, -lost),
                       (m.external, Account.OTHER_ASSETS, shares), (m.external, Account.OTHER_INCOME, -shares)),
                      f"{co.entity}: {account.name.lower()} exchanged for shares in a reorganisation")
        if lost > money_tol(cut):
            m.losses.append({"quarter": self.label, "holder": EXTERNAL, "source": co.entity,
                             "kind": account.name.lower(), "channel": Channel.PAYMENT.value, "amount": lost})

    def _settle_dues_in_shares(self, co: Firm, ob: Obligation, creditor: int, shares: float, asset: Account) -> None:
        """This quarter's unpaid dues settled by the court: the creditor is paid ``shares`` of new shares, the rest lapses.

        The creditor books the shares as other income, a recovery, not as revenue (no customer
        paid it; ``payments.csv`` shows every dollar of revenue paid). Dues already booked as
        owed (taken over by the outside sector) are written off as well; the contract learns of
        what was paid as if it had been paid late, as in
        :meth:`economy.distress_ladder.DistressLadder._pay_late`.
        """
        m = self.m
        rest = ob.amount - ob.paid
        if ob.payer_debit in LIABILITIES:
            receiver_credit = ob.payee_credit if creditor == ob.payee else Account.OTHER_INCOME
            legs = [(co.holder, ob.payer_debit, rest), (co.holder, Account.PAID_IN_CAPITAL, -shares),
                    (co.holder, Account.OTHER_INCOME, -(rest - shares)),
                    (creditor, asset, shares), (creditor, Account.LOSSES, rest - shares), (creditor, receiver_credit, -rest)]
        else:  # a recovery in shares, not revenue paid by a customer
            legs = [(co.holder, ob.payer_debit, shares), (co.holder, Account.PAID_IN_CAPITAL, -shares),
                    (creditor, asset, shares), (creditor, Account.OTHER_INCOME, -shares)]
        self.led.post(tuple(legs), f"{co.entity}: {ob.label} settled in shares in a reorganisation")
        if ob.contract is not None and shares > 0:
            late = Obligation(ob.contract, ob.payer, ob.payee, ob.amount, ob.payer_debit, ob.payee_credit, ob.label, shares)
            ob.contract.settled(self.q, [late])
            if isinstance(ob.contract, ComputeContract) and ob.contract.payment == "purchase":
                deliver_systems(m, ob.contract, [late])
        ob.paid = ob.amount

    def _reissue(self, co: Firm, value_before: float, keep_old: float, equity_value: float,
                 new_shares: dict[int, float]) -> None:
        """Old holders keep ``keep_old`` of their stakes (their loss written off); creditors get their new stakes."""
        m = self.m
        for s in m.book.of_kind_to(EquityStake, co.holder):
            if s.state not in LIVE:
                continue
            lost = s.fraction * (value_before - keep_old * equity_value)
            if lost > 0 and self.on.equity and s.from_party in m.by_holder:
                m.note_channel(s.from_party, Channel.EQUITY, lost, co.entity)
                m.losses.append({"quarter": self.label, "holder": self.led.names[s.from_party], "source": co.entity,
                                 "kind": "stake", "channel": Channel.EQUITY.value, "amount": lost})
            s.fraction *= keep_old
            if s.fraction <= 1e-12:
                s.close(State.TERMINATED, self.q)
        if keep_old <= 0:  # warrants on the old shares go with them
            for w in m.book.of_kind_from(Warrant, co.holder):
                if w.state in LIVE:
                    w.close(State.TERMINATED, self.q)
        for holder, shares in sorted(new_shares.items()):
            fraction = shares / equity_value
            m.book.add(EquityStake(id=f"stake-{self.led.names[holder]}-{co.entity}-reorganised-{self.q}",
                                   kind="equity_stake", from_party=holder, to_party=co.holder, amount=shares,
                                   start=self.q, end=None, fraction=fraction, cost=shares))
        co.market_value = equity_value
