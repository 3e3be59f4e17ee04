"""The distress ladder's own rules (MODEL.md 6a): what a firm short of cash can raise before it defaults.

A firm with a committed revolver draws it first, unless its lender is failing itself.
Any company, not only a lab, can sell new shares when it is short; the round clears at a
price instead of failing outright: the less investors want it (the larger the round
against the firm's value, the more fearful the market), the deeper the discount and so
the dilution of every existing holder.
"""

from __future__ import annotations

from economy.config import Distress


def distressed_issue(need: float, market_value: float, sentiment: float, params: Distress) -> tuple[float, float] | None:
    """What a round sold in distress raises and at what discount to the firm's value; None if nothing can be sold.

    Args:
        need: Cash the firm is short ($B).
        market_value: The value of its equity now ($B); a firm worth nothing sells nothing.
        sentiment: Market sentiment (-1..1).
        params: The distress parameters.

    Returns:
        ``(amount, discount)``: the amount raised (at most ``max_issue_share`` of the value)
        and the discount on the value at which the new shares are priced.

    Example:
        >>> distressed_issue(10.0, 100.0, 0.0, Distress())
        (10.0, 0.25)
    """
    if need <= 0 or market_value <= 0:
        return None
    amount = min(need, params.max_issue_share * market_value)
    if amount <= 0:
        return None
    discount = (params.equity_discount + params.equity_discount_per_size * amount / market_value
                + params.fear_discount * max(0.0, -sentiment))
    return amount, min(0.9, discount)


def honours_draw(lender_alive: bool, capital_ratio: float, min_capital_ratio: float) -> bool:
    """Whether a lender lets a borrower in distress draw its committed revolver: yes, unless the lender itself is failing.

    A committed line is the lender's promise, and its borrower draws it exactly when it is in
    trouble, so trouble at the borrower is no reason to refuse. The lender may refuse only under
    the material-adverse-change clause of its own condition: it has failed, or its capital ratio
    is below its floor (it may not lend at all; ``agents.lender.capital_factor``).

    Args:
        lender_alive: Whether the lender is still in business.
        capital_ratio: Its book equity over its assets now.
        min_capital_ratio: The floor below which it puts out no new money.

    Example:
        >>> honours_draw(True, 0.10, 0.08), honours_draw(True, 0.05, 0.08), honours_draw(False, 0.10, 0.08)
        (True, False, False)
    """
    return lender_alive and capital_ratio >= min_capital_ratio
