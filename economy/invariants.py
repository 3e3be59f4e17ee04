"""The checks every quarter ends with: balance sheets balance, cash is conserved, debt matches loans, cash is not negative."""

from __future__ import annotations

import math

from economy.contracts import LIVE, Loan
from economy.ledger import Account, AccountingError
from economy.state import Economy
from economy.units import money_tol, quarter_label


def check_invariants(e: Economy) -> None:
    """Stop the run if the books are broken.

    Raises:
        AccountingError: Naming the holder, the quarter and the amount.
    """
    label = quarter_label(e.quarter, e.origin)
    led = e.ledger
    led.check_balanced(label)
    total = led.total_cash()
    if not math.isfinite(total):
        raise AccountingError(f"{label}: total cash across all holders is not a finite number ({total}); "
                              "amounts that large cannot be added up")
    # written as `not <=` so that a NaN anywhere fails the check instead of passing it
    if not abs(total - e.initial_cash) <= money_tol(e.initial_cash):
        raise AccountingError(f"{label}: total cash changed by {total - e.initial_cash:.6g} $B (money created or destroyed)")
    debt = [0.0] * len(led.names)
    held = [0.0] * len(led.names)
    for loan in e.book.of_kind(Loan):
        if loan.state in LIVE:
            debt[loan.to_party] += loan.principal
            held[loan.from_party] += loan.principal
    for h, name in enumerate(led.names):
        cash = led.balance(h, Account.CASH)
        if cash < -money_tol(max(1.0, abs(cash))) * 1e3:
            hint = "; the world outside ran out of money: raise external.cash in the config" if h == e.external else ""
            raise AccountingError(f"{label}: {name} holds negative cash {cash:.6g} $B{hint}")
        scale = max(1.0, debt[h], held[h])
        if not abs(led.balance(h, Account.DEBT) - debt[h]) <= 1e-6 * scale:
            raise AccountingError(f"{label}: debt of {name} on the ledger ({led.balance(h, Account.DEBT):.6g}) differs from "
                                  f"its loans ({debt[h]:.6g})")
        if not abs(led.balance(h, Account.LOANS_HELD) - held[h]) <= 1e-6 * scale:
            raise AccountingError(f"{label}: loans held by {name} on the ledger ({led.balance(h, Account.LOANS_HELD):.6g}) "
                                  f"differ from its loans ({held[h]:.6g})")
