"""The credit desk: how lenders measure a borrower, and a round of loan requests cleared at once against capacity.

Builders ask for what their builds need; each lender has decided every request from
the same frozen state (its cash and the borrower's books at the start of the round).
When what a lender approved exceeds what it can put out, every approved request is
cut in the same proportion. No request is served before another, so the order in
which firms are listed or activated cannot change who gets how much.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


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
    debt_room: float = float("inf")
    """New debt the borrower's covenants still allow ($B): a reorganised firm's exit plan caps its debt."""
    capital_ratio: float = 1.0
    """The lender's equity over its assets now."""


@dataclass(frozen=True)
class LoanRequest:
    """New money a borrower asked a lender for, approved by the lender's rule at ``spread_bp``.

    Attributes:
        borrower: The borrower's ledger holder.
        lender: The lender's ledger holder.
        amount: What was asked for ($B).
        spread_bp: The spread the lender quoted.
        tied_to: The lab the borrowing serves (the holder), if any.
    """

    borrower: int
    lender: int
    amount: float
    spread_bp: float
    tied_to: int | None = None


def clear_loan_requests(requests: Sequence[LoanRequest], capacity: Mapping[int, float]) -> list[float]:
    """Grant approved requests in full if each lender's capacity covers them all, else pro rata.

    Sums are exactly rounded (``math.fsum``), so even the last digit does not depend on
    the order of ``requests``.

    Args:
        requests: The round's approved requests.
        capacity: What each lender can lend in this round ($B, frozen at its start).

    Returns:
        The amount granted for each request, in the order of ``requests``.

    Example:
        >>> clear_loan_requests([LoanRequest(1, 9, 30.0, 500.0), LoanRequest(2, 9, 10.0, 500.0)], {9: 20.0})
        [15.0, 5.0]
    """
    asked: dict[int, list[float]] = {}
    for r in requests:
        asked.setdefault(r.lender, []).append(r.amount)
    ratio = {}
    for lender, amounts in asked.items():
        total = math.fsum(amounts)
        room = max(0.0, capacity.get(lender, 0.0))
        ratio[lender] = 1.0 if total <= room else room / total
    return [r.amount * ratio[r.lender] for r in requests]
