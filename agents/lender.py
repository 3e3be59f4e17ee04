"""Lenders: lend or refinance when the borrower's leverage and their own capacity allow."""

from __future__ import annotations

from agents.base import Company
from economy.config import LenderParams


def credit_leverage(debt: float, assets: float, backlog: float, advance_rate: float) -> float:
    """Debt over the assets a lender counts: the balance sheet plus a share of contracted backlog.

    Project lenders lend against take-or-pay contracts (CoreWeave's delayed-draw loans,
    the Vantage and Jupiter construction loans), so contracted revenue is part of
    what secures a loan.
    """
    base = assets + advance_rate * backlog
    return debt / base if base > 0 else float("inf")


def lending_decision(
    params: LenderParams, debt_to_assets_after: float, amount: float, lender_cash: float, sentiment: float
) -> tuple[bool, float]:
    """Approve if leverage after the loan stays under the limit and the cash is there; price by leverage.

    Args:
        params: The lender's parameters.
        debt_to_assets_after: The borrower's :func:`credit_leverage` with the new loan.
        amount: The new money asked for (0 for a roll-over).
        lender_cash: The lender's cash now.
        sentiment: Market sentiment.

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
