"""Investors: meet commitments while their own funding allows; margin calls force sales."""

from __future__ import annotations

from agents.base import Company


def margin_call(loan_balance: float, pledged_value: float, max_loan_to_value: float) -> float:
    """Repayment needed to bring a margin loan back to the maximum loan-to-value (0 if within)."""
    return max(0.0, loan_balance - max_loan_to_value * pledged_value)


class Investor(Company):
    """An investor (SoftBank, MGX) holding stakes financed partly by borrowing."""

    role = "investor"
