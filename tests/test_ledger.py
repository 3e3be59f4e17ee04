"""Tests for economy.ledger: the one posting primitive and the balance checks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from economy.ledger import ASSETS, LIABILITIES, Account, AccountingError, Ledger
from tests.strategies import amounts, transfers


def _ledger(n: int = 4, cash: float = 100.0) -> Ledger:
    led = Ledger()
    for i in range(n):
        led.open(led.add_holder(f"h{i}"), {Account.CASH: cash})
    return led


def test_transfer_moves_cash_and_books_both_sides():
    """A transfer lowers the payer's cash and raises the payee's by the same amount, with the named accounts."""
    led = _ledger(2)
    led.transfer(0, 1, 30.0, Account.OPEX, Account.REVENUE, "fee")
    assert led.balance(0, Account.CASH) == pytest.approx(70.0)
    assert led.balance(1, Account.CASH) == pytest.approx(130.0)
    assert led.balance(0, Account.OPEX) == pytest.approx(30.0)
    assert led.balance(1, Account.REVENUE) == pytest.approx(30.0)
    assert led.equity(0) == pytest.approx(70.0)
    assert led.equity(1) == pytest.approx(130.0)


def test_unbalanced_posting_is_refused_and_changes_nothing():
    """A posting whose debits and credits differ for a holder raises and leaves every balance as it was."""
    led = _ledger(2)
    before = [led.balances(h) for h in range(2)]
    with pytest.raises(AccountingError, match="unbalanced"):
        led.post(((0, Account.CASH, -5.0), (1, Account.CASH, 5.0)), "cash teleported")
    assert [led.balances(h) for h in range(2)] == before


def test_posting_balanced_overall_but_not_per_holder_is_refused():
    """Balance is required per holder: value cannot leave one holder's books and land as another kind elsewhere."""
    led = _ledger(2)
    with pytest.raises(AccountingError):
        led.post(((0, Account.HARDWARE, 5.0), (1, Account.REVENUE, -5.0)), "gift of nothing")


def test_check_balanced_detects_a_balance_edited_behind_the_ledger():
    """The end-of-quarter check names the holder when a balance was changed without a posting."""
    led = _ledger(3)
    led._bal[2][Account.CASH] += 1.0  # simulate a bug that bypasses post()
    with pytest.raises(AccountingError, match="h2"):
        led.check_balanced("2026Q1")


def test_close_period_moves_income_into_retained_earnings():
    """Closing zeroes income and expense accounts and adds net income to retained earnings."""
    led = _ledger(2)
    led.transfer(0, 1, 10.0, Account.OPEX, Account.REVENUE, "fee")
    statements = led.close_period()
    assert statements[1][Account.REVENUE] == pytest.approx(10.0)
    assert led.balance(1, Account.REVENUE) == 0.0
    assert led.balance(0, Account.OPEX) == 0.0
    assert led.balance(1, Account.RETAINED_EARNINGS) == pytest.approx(10.0)
    assert led.balance(0, Account.RETAINED_EARNINGS) == pytest.approx(-10.0)
    led.check_balanced("2026Q1")


def test_opening_puts_the_residual_in_paid_in_capital():
    """An opening balance sheet balances through paid-in capital (equity is the residual)."""
    led = Ledger()
    h = led.add_holder("firm")
    led.open(h, {Account.CASH: 10.0, Account.HARDWARE: 5.0, Account.DEBT: 12.0})
    assert led.balance(h, Account.PAID_IN_CAPITAL) == pytest.approx(3.0)
    led.check_balanced("2025Q4")


def test_duplicate_holder_is_refused():
    """Two holders cannot share a name."""
    led = Ledger()
    led.add_holder("a")
    with pytest.raises(AccountingError):
        led.add_holder("a")


@settings(max_examples=200, deadline=None)
@given(transfers())
def test_any_sequence_of_transfers_keeps_books_balanced_and_cash_conserved(moves):
    """Whatever transfers happen, every holder's A = L + E and the total cash is unchanged."""
    led = _ledger(4, cash=1000.0)
    total = led.total_cash()
    for payer, payee, amount, debit, credit in moves:
        led.transfer(payer, payee, amount, debit, credit, "random")
    led.check_balanced("any")
    assert led.total_cash() == pytest.approx(total, rel=1e-12)
    for h in range(4):
        assets = led.total(h, ASSETS)
        assert assets == pytest.approx(led.total(h, LIABILITIES) + led.equity(h), rel=1e-9, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(transfers(), st.booleans())
def test_closing_any_period_keeps_books_balanced(moves, close_twice):
    """Closing the period after any transfers keeps every balance sheet balanced and empties income accounts."""
    led = _ledger(4, cash=1000.0)
    for payer, payee, amount, debit, credit in moves:
        led.transfer(payer, payee, amount, debit, credit, "random")
    led.close_period()
    if close_twice:
        led.close_period()
    led.check_balanced("closed")
    for h in range(4):
        assert led.balance(h, Account.REVENUE) == 0.0


@given(amounts)
def test_move_within_one_holder_is_balanced(amount):
    """A move between two accounts of one holder never changes its cash or breaks its balance."""
    led = _ledger(1)
    led.move(0, Account.STAKES, Account.REVALUATION, amount, "mark")
    led.check_balanced("q")
    assert led.balance(0, Account.CASH) == 100.0


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_a_transfer_of_a_non_finite_amount_is_refused(bad):
    """A NaN or infinite transfer stops at once, naming the memo and both parties, and leaves the books as they were."""
    led = _ledger(2)
    with pytest.raises(AccountingError, match=r"'fee' from h0 to h1: the amount is not a finite number"):
        led.transfer(0, 1, bad, Account.OPEX, Account.REVENUE, "fee")
    assert led.balance(0, Account.CASH) == 100.0 and led.balance(1, Account.CASH) == 100.0


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_a_posting_with_a_non_finite_entry_is_refused(bad):
    """``post`` refuses entries that are not finite numbers (NaN would otherwise pass the balance test), naming the account."""
    led = _ledger(1)
    with pytest.raises(AccountingError, match=r"'revaluation': the amount for stakes of h0 is not a finite number"):
        led.post(((0, Account.STAKES, bad), (0, Account.REVALUATION, -bad)), "revaluation")


def test_nan_injected_into_a_balance_is_caught_by_the_period_check():
    """A NaN that reaches a balance by any route fails the quarter's check with the holder, the account and the quarter."""
    led = _ledger(3)
    led._bal[2][Account.HARDWARE] = float("nan")  # a leak that bypassed the posting primitive
    with pytest.raises(AccountingError, match=r"2027Q2: hardware of h2 is not a finite number \(nan\)"):
        led.check_balanced("2027Q2")


def test_infinity_in_a_balance_is_caught_even_when_it_balances():
    """Inf on both sides balances formally (inf - inf is NaN, not a gap), so finiteness is checked on its own."""
    led = _ledger(1)
    led._bal[0][Account.CASH] = float("inf")
    led._bal[0][Account.PAID_IN_CAPITAL] = float("inf")
    with pytest.raises(AccountingError, match="cash of h0 is not a finite number"):
        led.check_balanced("2026Q1")


def test_a_posting_whose_finite_amounts_overflow_their_sum_is_refused_clearly():
    """Two entries of 1e308 are each finite, but together they cannot be checked: an AccountingError says so."""
    led = _ledger(1)
    with pytest.raises(AccountingError, match="too large to add up"):
        led.post(((0, Account.STAKES, 1e308), (0, Account.HARDWARE, 1e308), (0, Account.REVALUATION, -1e308),
                  (0, Account.PAID_IN_CAPITAL, -1e308)), "huge")
