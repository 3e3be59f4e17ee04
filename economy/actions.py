"""Money moves on loans outside settlement: each posts to the ledger and updates the loan in one place.

A loan's principal is kept twice, on the ledger (the borrower's debt, the lender's
loans held) and on the contract. Changing one without the other is the leak the
quarter's invariant check looks for, so every change of principal outside settlement
(which pays instalments under :meth:`Loan.settled`) goes through a function here, and
a test makes sure nothing else assigns ``principal``.
"""

from __future__ import annotations

from economy.contracts import ContractBook, Loan, State
from economy.ledger import Account, Ledger


def open_loan(ledger: Ledger, book: ContractBook, loan: Loan, why: str = "drawn") -> Loan:
    """Register a new loan and pay its principal from the lender to the borrower."""
    book.add(loan)
    if loan.principal > 0:
        ledger.transfer(loan.from_party, loan.to_party, loan.principal, Account.LOANS_HELD, Account.DEBT, f"{loan.id}: {why}")
    return loan


def draw(ledger: Ledger, loan: Loan, amount: float) -> None:
    """Lend ``amount`` more under an existing facility."""
    ledger.transfer(loan.from_party, loan.to_party, amount, Account.LOANS_HELD, Account.DEBT, f"{loan.id}: drawn")
    loan.principal += amount
    loan.amount += amount


def repay(ledger: Ledger, loan: Loan, amount: float, why: str) -> None:
    """The borrower pays ``amount`` of principal back to the lender (a cure, a margin call, collateral proceeds, a recovery)."""
    ledger.transfer(loan.to_party, loan.from_party, amount, Account.DEBT, Account.LOANS_HELD, f"{loan.id}: {why}")
    loan.principal -= amount


def pay_for_borrower(ledger: Ledger, loan: Loan, payer: int, amount: float, memo: str) -> None:
    """A third party (a guarantor) pays the lender ``amount``; the borrower's debt is extinguished by as much."""
    ledger.transfer(payer, loan.from_party, amount, Account.LOSSES, Account.LOANS_HELD, memo)
    ledger.move(loan.to_party, Account.DEBT, Account.OTHER_INCOME, amount, f"{loan.id}: debt assumed by guarantor")
    loan.principal -= amount


def extinguish_in_default(ledger: Ledger, loan: Loan, quarter: int, made_good_by: int | None = None) -> float:
    """End a defaulted borrower's loan: its debt is gone, the lender loses what is left (or an outsider makes it good).

    Args:
        ledger: The ledger.
        loan: The loan, with what was not recovered as its principal.
        quarter: The quarter the loan ends in.
        made_good_by: The holder that pays the lender instead (payment channel off), or None.

    Returns:
        The principal extinguished.
    """
    left = loan.principal
    if left > 0:
        ledger.move(loan.to_party, Account.DEBT, Account.OTHER_INCOME, left, f"{loan.id}: extinguished in default")
        if made_good_by is None:
            ledger.move(loan.from_party, Account.LOSSES, Account.LOANS_HELD, left, f"{loan.id}: written off")
        else:
            ledger.transfer(made_good_by, loan.from_party, left, Account.OPEX, Account.LOANS_HELD,
                            f"{loan.id}: made good from outside")
    loan.principal = 0.0
    loan.close(State.DEFAULTED, quarter)
    return left


def forgive(ledger: Ledger, loan: Loan, amount: float, why: str) -> None:
    """The lender writes ``amount`` of principal off (a haircut): the borrower owes that much less, the lender loses it."""
    ledger.move(loan.to_party, Account.DEBT, Account.OTHER_INCOME, amount, f"{loan.id}: {why}")
    ledger.move(loan.from_party, Account.LOSSES, Account.LOANS_HELD, amount, f"{loan.id}: {why}")
    loan.principal -= amount


def exchange_for_shares(ledger: Ledger, loan: Loan, cut: float, shares: float, lender_asset: Account,
                        made_good_by: int | None = None) -> float:
    """In a reorganisation the lender gives up ``cut`` of principal for new shares of the borrower worth ``shares``.

    The borrower's debt falls by ``cut``: ``shares`` of it becomes paid-in capital, the rest a
    gain on the debt extinguished. The lender books the shares (``lender_asset``: stakes, or
    other assets for the outside sector) and loses the rest, unless an outsider makes it good
    (payment channel off).

    Returns:
        The lender's loss, ``cut - shares``.
    """
    loss = cut - shares
    legs = [(loan.to_party, Account.DEBT, cut), (loan.to_party, Account.PAID_IN_CAPITAL, -shares),
            (loan.to_party, Account.OTHER_INCOME, -loss),
            (loan.from_party, Account.LOANS_HELD, -cut), (loan.from_party, lender_asset, shares)]
    if made_good_by is None:
        legs.append((loan.from_party, Account.LOSSES, loss))
    else:
        legs += [(loan.from_party, Account.CASH, loss), (made_good_by, Account.OPEX, loss),
                 (made_good_by, Account.CASH, -loss)]
    ledger.post(tuple(legs), f"{loan.id}: exchanged for shares in a reorganisation")
    loan.principal -= cut
    return loss
