"""Lenders: lend or refinance when the borrower's leverage and their own capacity allow."""

from __future__ import annotations

from agents.base import Company
from economy.config import LenderParams


def lending_decision(
    params: LenderParams, debt_to_assets_after: float, amount: float, lender_cash: float, sentiment: float
) -> tuple[bool, float]:
    """Approve if leverage after the loan stays under the limit and the cash is there; price by leverage.

    Returns:
        ``(approved, spread_bp)``: the spread rises with the borrower's leverage and
        with fear in the market.
    """
    spread = params.base_spread_bp + params.leverage_spread_bp * debt_to_assets_after + 200.0 * max(0.0, -sentiment)
    ok = debt_to_assets_after <= params.max_borrower_debt_to_assets and amount <= lender_cash * params.max_exposure_share
    return ok, spread


class Lender(Company):
    """A lender (banks and bond market, private credit)."""

    role = "lender"
