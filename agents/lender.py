"""Lenders: lend or refinance when the borrower's leverage and their own capacity allow."""

from __future__ import annotations

from dataclasses import replace

from agents.base import Company
from agents.decisions import RefuseRoll, RollLoan
from economy.config import LenderParams
from economy.credit import CreditConditions, credit_leverage
from economy.state import Economy, Firm
from economy.views import credit_conditions, leverage

__all__ = ["CreditConditions", "Lender", "credit_leverage", "decide_roll", "funding_rate", "lending_decision",
           "quoted_spread_bp"]


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
    capacity = (lender_cash * params.max_exposure_share * max(0.0, 1.0 - params.tightening_capacity * c.stress)
                * capital_factor(c.capital_ratio, params.min_capital_ratio, params.target_capital_ratio))
    return leverage_after <= limit and amount <= min(capacity, c.debt_room), max(0.0, spread)


def capital_factor(ratio: float, floor: float, target: float) -> float:
    """The share of its usual capacity a lender puts out at a capital ratio: 0 below the floor, 1 from the target up.

    In between in proportion (0 at the floor itself). The floor binds whatever the target: a target
    left below the floor (a config that sets only ``min_capital_ratio``) lends fully from the floor up
    and nothing below it, never fully below the floor.

    Example:
        >>> capital_factor(0.08, 0.05, 0.10), capital_factor(0.03, 0.05, 0.0), capital_factor(0.05, 0.05, 0.05)
        (0.6, 0.0, 1.0)
    """
    if ratio < floor:
        return 0.0
    if ratio >= target:
        return 1.0
    return round((ratio - floor) / (target - floor), 12)


def decide_roll(params: LenderParams, loan_id: str, principal: float, leverage: float, lender_cash: float,
                conditions: CreditConditions) -> RollLoan | RefuseRoll:
    """Roll a maturing loan if :func:`lending_decision` would lend its principal again, at the spread it quotes.

    Rolling is lending the principal anew, so it counts against what the lender will put
    into one loan, and the borrower's leverage is judged as it stands.
    """
    # a roll lends the same principal again: it adds no debt, so an exit plan's debt cap does not bar it
    ok, spread = lending_decision(params, leverage, principal, lender_cash, replace(conditions, debt_room=float("inf")))
    return RollLoan(loan_id, spread, params.tenor_quarters) if ok else RefuseRoll(loan_id, leverage)


def quoted_spread_bp(e: Economy, co: Firm) -> float:
    """The spread a company's lender would charge it now (0 for holders without a lender)."""
    section = co.spec.builder or co.spec.investor
    if section is None:
        return 0.0
    lender = e.firm(section.lender)
    if not lender.alive:
        return 0.0
    _ok, spread = lending_decision(lender.spec.lender, leverage(e, co, lender, 0.0), 0.0, lender.cash(),
                                   credit_conditions(e, lender, co))
    return spread


def funding_rate(e: Economy, co: Firm) -> float:
    """The annual rate a builder would pay on new debt now: policy rate plus its lender's quoted spread."""
    return e.market.policy_rate_annual + quoted_spread_bp(e, co) / 1e4


class Lender(Company):
    """A lender (banks and bond market, private credit)."""

    role = "lender"
