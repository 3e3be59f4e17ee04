"""Loans opened or changed in the run: building facilities, margin loans, Treasury bonds, rolled loans.

Each opens or changes its contract and posts it together (through :mod:`economy.actions`).
"""

from __future__ import annotations

from economy.actions import draw, open_loan
from economy.channels import Channel
from economy.config import LenderParams
from economy.contracts import Loan
from economy.credit import LoanRequest
from economy.state import Economy, Firm
from economy.units import quarter_label
from economy.views import margin_room


def draw_facility(e: Economy, request: LoanRequest, amount: float, terms: LenderParams) -> None:
    """Lend what the desk granted: draws in one year go on one facility per lender and purpose, repriced at each draw.

    A new facility carries the lender's terms: tenor, amortisation after an interest-only
    period, and covenants (loan-to-value on hardware-secured loans, debt-service cover).
    """
    if amount <= 0:
        return
    co, lender = e.by_holder[request.borrower], e.by_holder[request.lender]
    tied_to, spread = request.tied_to, request.spread_bp
    year = quarter_label(e.quarter, e.origin)[:4]
    key = f"facility-{co.entity}-{lender.entity}-{e.ledger.names[tied_to] if tied_to is not None else 'general'}-{year}"
    loan = e.book.by_id.get(key)
    if loan is None or not loan.live(e.quarter):
        secured = co.role == "neocloud"
        loan = Loan(id=key if loan is None else f"{key}-{e.quarter}", kind="loan", from_party=lender.holder,
                    to_party=co.holder, amount=0.0, start=e.quarter, end=e.quarter + terms.tenor_quarters, tied_to=tied_to,
                    principal=0.0, spread_bp=spread, collateral="hardware" if secured else "none",
                    seniority="senior_secured" if secured else "senior_unsecured",
                    amortisation=terms.facility_amortisation,
                    interest_only_until=e.quarter + terms.facility_interest_only_quarters,
                    max_ltv=terms.facility_max_ltv if secured else None, min_dscr=terms.facility_min_dscr,
                    source="drawn in the run")
        e.book.add(loan)
    loan.spread_bp = (loan.spread_bp * loan.principal + spread * amount) / (loan.principal + amount)
    draw(e.ledger, loan, amount)
    rationed = ""
    if amount < request.amount - 1e-9:
        rationed = f" (of ${request.amount:.1f}B asked: its lending this quarter is rationed pro rata)"
    e.event("loan", lender, co, amount,
            f"{lender.spec.name} lends ${amount:.1f}B to {co.spec.name} at policy +{spread:.0f}bp{rationed}")


def open_margin_loan(e: Economy, lender: Firm, investor: Firm, amount: float) -> None:
    """A margin loan secured on the investor's holdings, drawn now for two years."""
    loan = Loan(id=f"margin-{investor.entity}-{e.label}", kind="loan", from_party=lender.holder, to_party=investor.holder,
                amount=amount, start=e.quarter, end=e.quarter + 8, instrument="margin_loan", principal=amount,
                spread_bp=lender.spec.lender.base_spread_bp, collateral="all_assets", source="drawn in the run")
    open_loan(e.ledger, e.book, loan)
    e.event("margin_loan", lender, investor, amount,
            f"{lender.spec.name} lends {investor.spec.name} ${amount:.1f}B against its holdings")


def fund_government(e: Economy, gov: Firm, amount: float) -> None:
    """The government borrows from the external sector (Treasury bonds) to pay for a rescue."""
    bond = Loan(id=f"UST-{e.quarter:03d}-{len(e.book.contracts)}", kind="loan", from_party=e.external,
                to_party=gov.holder, amount=amount, start=e.quarter, end=e.quarter + 40, instrument="bond",
                principal=amount, fixed_rate_annual=e.market.policy_rate_annual + 0.005)
    open_loan(e.ledger, e.book, bond, "Treasury issue")


def roll_loan(e: Economy, loan: Loan, tenor_quarters: int, spread_bp: float) -> None:
    """Extend a maturing loan by ``tenor_quarters`` at the lender's new spread (a fixed rate is reset over policy)."""
    loan.end = e.quarter + tenor_quarters
    if loan.fixed_rate_annual is None:
        loan.spread_bp = spread_bp
    else:
        loan.fixed_rate_annual = e.market.policy_rate_annual + spread_bp / 1e4
    borrower, lender = e.by_holder[loan.to_party], e.by_holder[loan.from_party]
    e.event("refinanced", borrower, lender, loan.principal,
            f"{lender.spec.name} rolls ${loan.principal:.1f}B of {borrower.spec.name} debt to "
            f"{quarter_label(loan.end, e.origin)}")


def borrow_on_margin(e: Economy, investor: Firm, amount: float) -> None:
    """Draw a margin loan from the investor's lender, within what its holdings still secure."""
    lender = e.firm(investor.spec.investor.lender)
    amount = min(amount, margin_room(e, investor))
    if amount <= 0 or not lender.alive:
        return
    open_margin_loan(e, lender, investor, amount)


def refuse_roll(e: Economy, loan: Loan, leverage: float) -> None:
    """A lender lets a maturing loan fall due: told, and noted on the borrower's credit channel."""
    borrower, lender = e.by_holder[loan.to_party], e.by_holder[loan.from_party]
    e.event("refinancing_refused", lender, borrower, loan.principal,
            f"{lender.spec.name} refuses to roll ${loan.principal:.1f}B of {borrower.spec.name} debt (leverage {leverage:.0%})",
            Channel.CREDIT.value)
    e.note_channel(borrower.holder, Channel.CREDIT, loan.principal, lender.entity)


def refuse_loan(e: Economy, lender: Firm, co: Firm, need: float, leverage_after: float) -> None:
    """A lender refuses new money: told once per spell of refusals, noted on the credit channel every time."""
    if co.refused_in != e.quarter - 1:
        e.event("loan_refused", lender, co, need,
                f"{lender.spec.name} refuses ${need:.1f}B to {co.spec.name} (leverage would be {leverage_after:.0%})",
                Channel.CREDIT.value)
    co.refused_in = e.quarter
    e.note_channel(co.holder, Channel.CREDIT, need, lender.entity)


def unrolled_after_failure(e: Economy, loan: Loan) -> None:
    """A maturing loan that outside investors bought from a failed lender is not rolled: the credit channel, from that lender."""
    borrower, failed = e.by_holder[loan.to_party], e.by_holder[loan.sold_by]
    e.event("refinancing_refused", failed, borrower, loan.principal,
            f"no one rolls ${loan.principal:.1f}B of {borrower.spec.name} debt: its lender {failed.spec.name} has failed",
            Channel.CREDIT.value)
    e.note_channel(borrower.holder, Channel.CREDIT, loan.principal, failed.entity)
