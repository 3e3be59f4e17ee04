"""The credit desk: a round of loan requests cleared at once against each lender's capacity.

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
