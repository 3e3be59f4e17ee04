"""Phase 8 of a quarter: payouts to outside shareholders, the books closed, the short histories the rules read."""

from __future__ import annotations

from economy.ledger import EXPENSES, INCOME, Account
from economy.state import Economy, Firm


def pay_out(e: Economy) -> None:
    """Profitable listed firms return a share of the quarter's profit to outside shareholders (FACTS 1.2: buybacks)."""
    for co in e.firms:
        if not co.alive or co.spec.payout_ratio <= 0:
            continue
        profit = e.ledger.equity(co.holder) - _equity_before_close(e, co)
        amount = min(co.spec.payout_ratio * profit, co.cash() - (co.spec.builder.min_cash if co.spec.builder else 0.0))
        if amount > 0:
            e.ledger.transfer(co.holder, e.external, amount, Account.RETAINED_EARNINGS, Account.OTHER_INCOME,
                              "dividends and buybacks")


def _equity_before_close(e: Economy, co: Firm) -> float:
    """Equity without this quarter's income and expenses."""
    return e.ledger.equity(co.holder) - e.ledger.total(co.holder, INCOME) + e.ledger.total(co.holder, EXPENSES)


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
