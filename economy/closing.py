"""Phase 8 of a quarter: payouts to outside shareholders, the books closed, the short histories the rules read."""

from __future__ import annotations

import math

from economy.ledger import EXPENSES, INCOME, Account
from economy.state import Economy, Firm, Status


def payout_due(e: Economy, co: Firm) -> float:
    """What a listed firm returns to its shareholders this quarter under its policy (``Company.payout``).

    A share of the quarter's profit, plus a share of the cash left above the target (quarters of a
    trailing year's average revenue), never taking cash below the firm's floor (a builder's
    ``min_cash``). A firm that is not listed, or is distressed, rescued or failed, pays nothing: it
    keeps its cash for its creditors.
    """
    policy = co.spec.payout_policy
    if policy is None or not co.listed or co.status is not Status.HEALTHY:
        return 0.0
    led = e.ledger
    profit = led.total(co.holder, INCOME) - led.total(co.holder, EXPENSES)
    from_profit = policy.profit_share * max(0.0, profit)
    recent = [*co.revenue_hist, led.balance(co.holder, Account.REVENUE)][-4:]
    target = policy.target_cash_quarters * max(0.0, math.fsum(recent) / len(recent))
    cash = co.cash()
    from_cash = policy.excess_cash_share * max(0.0, cash - from_profit - target)
    floor = co.spec.builder.min_cash if co.spec.builder else 0.0
    return max(0.0, min(from_profit + from_cash, cash - floor))


def pay_out(e: Economy) -> None:
    """Listed firms pay dividends and buy back shares under their stated policy (:func:`payout_due`), to outside holders."""
    for co in e.firms:
        amount = payout_due(e, co)
        if amount > 0:
            e.ledger.transfer(co.holder, e.external, amount, Account.RETAINED_EARNINGS, Account.OTHER_INCOME,
                              "dividends and buybacks")


def close_books(e: Economy) -> None:
    """Close the quarter's income statements into equity."""
    e.statements = e.ledger.close_period()


def remember_quarter(e: Economy) -> None:
    """Append the closed quarter to each firm's histories (cash changes, revenue, income; a lender's losses)."""
    for co in e.firms:
        st = e.statements[co.holder]
        if co.role == "lender":
            co.recent_losses.append(st[Account.LOSSES])
            co.loss_stress = sum(co.recent_losses) / max(co.opening_equity, 1e-9)
        co.cash_changes.append(co.cash() - co.cash_before)
        co.cash_before = co.cash()
        co.revenue_hist.append(st[Account.REVENUE])
        co.net_income_hist.append(sum(st[a] for a in INCOME) - sum(st[a] for a in EXPENSES))
