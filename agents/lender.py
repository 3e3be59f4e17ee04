"""Lenders: lend or refinance when the borrower's leverage and their own capacity allow."""

from __future__ import annotations

from dataclasses import dataclass

from agents.base import Company
from agents.decisions import RefuseRoll, RollLoan
from economy.config import LenderParams


def credit_leverage(debt: float, assets: float, backlog: float, advance_rate: float) -> float:
    """Debt over the assets a lender counts: the balance sheet plus a share of contracted backlog.

    Project lenders lend against take-or-pay contracts (CoreWeave's delayed-draw loans,
    the Vantage and Jupiter construction loans), so contracted revenue is part of
    what secures a loan.
    """
    base = assets + advance_rate * backlog
    return debt / base if base > 0 else float("inf")


@dataclass(frozen=True)
class CreditConditions:
    """What a lender's decision depends on besides the borrower's leverage."""

    sentiment: float
    stress: float
    """The lender's recent losses over its opening equity (0 = none)."""
    rescue_belief: float
    """The chance, as lenders see it, that the government would rescue this borrower (0..1)."""
    leverage_cap: float | None = None
    """A regulator's leverage limit (ex-ante policy), if any."""
    interest_cover: float = float("inf")
    """The borrower's operating earnings over its interest, last quarter."""
    secured: bool = False
    """Whether the loan is secured on hardware or buildings."""


def lending_decision(
    params: LenderParams, leverage_after: float, amount: float, lender_cash: float, conditions: CreditConditions
) -> tuple[bool, float]:
    """Approve if leverage after the loan is under the limit and the lender's capacity allows; price the risk.

    The spread rises with the borrower's leverage and thin interest cover, with fear
    in the market and with the lender's own recent losses (it tightens after
    losses), and falls with collateral and with the believed chance of a government
    rescue (the too-big-to-fail subsidy). Losses
    also shrink how much of its cash the lender will put into one loan.

    Args:
        params: The lender's parameters.
        leverage_after: The borrower's :func:`credit_leverage` with the new loan.
        amount: The new money asked for (0 for a roll-over).
        lender_cash: The lender's cash now.
        conditions: Market, lender and policy conditions.

    Returns:
        ``(approved, spread_bp)``.
    """
    c = conditions
    thin_cover = max(0.0, 1.0 - c.interest_cover / 3.0)  # 0 at three times cover or better, 1 at none
    spread = (params.base_spread_bp + params.leverage_spread_bp * leverage_after + 200.0 * max(0.0, -c.sentiment)
              + params.cover_spread_bp * thin_cover - (params.secured_discount_bp if c.secured else 0.0)
              + params.tightening_bp * c.stress - params.tbtf_discount_bp * c.rescue_belief)
    limit = params.max_borrower_debt_to_assets
    if c.leverage_cap is not None:
        limit = min(limit, c.leverage_cap)
    capacity = lender_cash * params.max_exposure_share * max(0.0, 1.0 - params.tightening_capacity * c.stress)
    return leverage_after <= limit and amount <= capacity, max(0.0, spread)


def decide_roll(params: LenderParams, loan_id: str, principal: float, leverage: float, lender_cash: float,
                conditions: CreditConditions) -> RollLoan | RefuseRoll:
    """Roll a maturing loan if :func:`lending_decision` would lend its principal again, at the spread it quotes.

    Rolling is lending the principal anew, so it counts against what the lender will put
    into one loan, and the borrower's leverage is judged as it stands.
    """
    ok, spread = lending_decision(params, leverage, principal, lender_cash, conditions)
    return RollLoan(loan_id, spread, params.tenor_quarters) if ok else RefuseRoll(loan_id, leverage)


class Lender(Company):
    """A lender (banks and bond market, private credit)."""

    role = "lender"
