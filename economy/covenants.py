"""Loan covenants tested and cured (MODEL.md 6a): loan-to-value at today's resale prices, debt-service cover.

A breach asks the borrower to pay enough principal down to meet the covenant again (the
cure); a borrower that cannot pay all its cures from cash climbs the distress ladder
(:mod:`economy.distress_ladder`) for them. Mixed into :class:`economy.defaults.DefaultResolver`.
"""

from __future__ import annotations

import math

from economy.actions import repay
from economy.channels import Channel
from economy.contracts import Loan
from economy.ledger import Account
from economy.resolver_state import ResolverState
from economy.state import Firm
from economy.units import money_tol, quarterly_rate


class Covenants(ResolverState):
    """Covenant triggers and cures, and the value of what secures a loan."""

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
