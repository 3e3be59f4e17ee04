"""Defaults and the cascade (MODEL.md section 7, step 6): the rounds, failure, rescue and the what-if cascade.

A firm that could not pay what was due, or breaches a covenant it cannot cure, or
whose losses wipe out a lender's or investor's equity, defaults unless the
government rescues it. A default is resolved in the order a court would: bankruptcy
costs are paid, secured lenders seize and fire-sell their collateral, the firm's
stakes are sold, what cash remains goes pro rata to its creditors, the rest is
written off, and its contracts terminate. Then everyone is checked again; the
rounds repeat until no new default. Every default records the channels that
brought it about (see :mod:`economy.channels`).

Where the steps live: the triggers loop, failure and rescue here; covenant tests and
cures in :mod:`economy.covenants`; the distress ladder (revolvers, sales, new shares,
concessions, paying late) in :mod:`economy.distress_ladder`; the court-style default in
:mod:`economy.court`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from economy.actions import forgive, repay
from economy.channels import Channel
from economy.config import Distress
from economy.contracts import Loan
from economy.court import OUTSIDE_CLAIMS, Court
from economy.covenants import Covenants
from economy.distress_ladder import RENEGOTIABLE, DistressLadder
from economy.equity import issue_shares_to
from economy.ledger import Account
from economy.lending import fund_government
from economy.reorganisation import EstateView, Outcome, Reorganisation
from economy.state import Economy, Firm, Status

__all__ = ["LIQUID", "MAX_ROUNDS", "OUTSIDE_CLAIMS", "RENEGOTIABLE", "DefaultResolver", "DefaultRules", "Terms",
           "what_if_losses"]

MAX_ROUNDS = 50
LIQUID = (Account.STAKES, Account.OTHER_ASSETS)


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
        restructure: ``restructure(estate_view, params)``: whether a failed firm's creditors reorganise it or
            sell its estate (a decision with ``reorganise`` true or false, see :mod:`economy.reorganisation`).
    """

    rescue: Callable[[str, float, float], bool]
    margin_call: Callable[[float, float, float], float]
    issue: Callable[[float, float, float, Distress], tuple[float, float] | None]
    concede: Callable[[float, float, float, float, Distress], Terms | None]
    honour: Callable[[bool, float, float], bool]
    sell_hardware: Callable[[float, float, float, float, float, float], float]
    sale_room: Callable[[float, float, float], float]
    restructure: Callable[[EstateView, Distress], Outcome]


class DefaultResolver(Covenants, DistressLadder, Court, Reorganisation):
    """Runs step 6 of a quarter on an economy.

    The triggers, the rounds, failure and rescue are here; the covenant tests and cures
    (:mod:`economy.covenants`), the distress ladder (:mod:`economy.distress_ladder`), the
    court-style default (:mod:`economy.court`) and reorganisation (:mod:`economy.reorganisation`)
    are mixed in, each reading the state that :class:`economy.resolver_state.ResolverState` binds.
    """

    def run(self, shortfall: dict[int, float]) -> None:
        """Resolve this quarter's defaults in rounds until none is new."""
        m = self.m
        m.new_defaults = 0
        triggers = {h: amount for h, amount in shortfall.items() if h in m.by_holder}
        for rnd in range(1, MAX_ROUNDS + 1):
            triggers.update(self._covenant_triggers())
            triggers.update(self._insolvency_triggers())
            # the government can always borrow: it never defaults
            triggers = {h: a for h, a in triggers.items() if m.by_holder[h].alive and m.by_holder[h].role != "government"
                        and h not in self.reorganised}
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
