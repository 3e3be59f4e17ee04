"""Investors: meet commitments while their own funding allows; margin calls force sales."""

from __future__ import annotations

from agents.base import Company


def margin_call(loan_balance: float, pledged_value: float, max_loan_to_value: float) -> float:
    """Repayment needed to bring a margin loan back to the maximum loan-to-value (0 if within)."""
    return max(0.0, loan_balance - max_loan_to_value * pledged_value)


def margin_draw(released: float, cash: float, min_cash: float, room: float) -> float:
    """What to borrow on margin to release ``released`` of tranches and keep ``min_cash``: no more than ``room``."""
    short = released - (cash - min_cash)
    return min(room, short) if short > 0 else 0.0


def sale_needed(due: float, cash: float, min_cash: float) -> float:
    """Holdings to sell so that what falls due is paid and ``min_cash`` is kept (0 if cash suffices)."""
    return max(0.0, due + min_cash - cash)


class Investor(Company):
    """An investor (SoftBank, MGX) holding stakes financed partly by borrowing."""

    role = "investor"
