"""The double-entry ledger: every amount of money in the model lives here.

Each ledger holder (a company, a lender, the government, the external sector) has
one balance per :class:`Account`. Balances change only through :meth:`Ledger.post`,
which takes a list of entries and refuses it unless, for every holder it touches,
debits equal credits. A payment between two holders is one posting that touches
both, so cash leaves one balance sheet exactly as it arrives on the other.

This module imports neither Mesa nor any decision code.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from operator import itemgetter

from economy.units import MONEY_ABS_TOL, MONEY_REL_TOL, money_tol


class Side(IntEnum):
    """Which side of the balance sheet an account sits on; its normal balance."""

    ASSET = 1
    LIABILITY = 2
    EQUITY = 3
    INCOME = 4
    EXPENSE = 5


class Account(IntEnum):
    """The accounts of MODEL.md section 3, plus this quarter's income and expenses."""

    # assets
    CASH = 0
    RECEIVABLES = 1
    DC_SHELLS = 2
    HARDWARE = 3
    CONSTRUCTION_IN_PROGRESS = 4
    STAKES = 5
    WARRANTS = 6
    LOANS_HELD = 7
    CREDITS_RECEIVABLE = 8
    NON_AI_BUSINESS = 9
    DEPOSITS = 10
    OTHER_ASSETS = 11
    # liabilities
    DEBT = 12
    DEFERRED_REVENUE = 13
    PAYABLES = 14
    FUNDING = 15
    # equity
    PAID_IN_CAPITAL = 16
    RETAINED_EARNINGS = 17
    REVALUATION = 18
    # this quarter's income statement, closed into retained earnings each quarter
    REVENUE = 19
    OTHER_INCOME = 20
    COMPUTE_COST = 21
    OPEX = 22
    INTEREST_EXPENSE = 23
    DEPRECIATION = 24
    LOSSES = 25


SIDE: dict[Account, Side] = {
    **{a: Side.ASSET for a in Account if a <= Account.OTHER_ASSETS},
    Account.DEBT: Side.LIABILITY,
    Account.DEFERRED_REVENUE: Side.LIABILITY,
    Account.PAYABLES: Side.LIABILITY,
    Account.FUNDING: Side.LIABILITY,
    Account.PAID_IN_CAPITAL: Side.EQUITY,
    Account.RETAINED_EARNINGS: Side.EQUITY,
    Account.REVALUATION: Side.EQUITY,
    Account.REVENUE: Side.INCOME,
    Account.OTHER_INCOME: Side.INCOME,
    Account.COMPUTE_COST: Side.EXPENSE,
    Account.OPEX: Side.EXPENSE,
    Account.INTEREST_EXPENSE: Side.EXPENSE,
    Account.DEPRECIATION: Side.EXPENSE,
    Account.LOSSES: Side.EXPENSE,
}

ASSETS = tuple(a for a in Account if SIDE[a] is Side.ASSET)
LIABILITIES = tuple(a for a in Account if SIDE[a] is Side.LIABILITY)
EQUITY = tuple(a for a in Account if SIDE[a] is Side.EQUITY)
INCOME = tuple(a for a in Account if SIDE[a] is Side.INCOME)
EXPENSES = tuple(a for a in Account if SIDE[a] is Side.EXPENSE)
_N = len(Account)
_GETTERS: dict[tuple[Account, ...], itemgetter] = {}


def _getter(accounts: tuple[Account, ...]) -> itemgetter:
    """A C-level picker of these accounts from a row of balances (sums run five times faster than a generator)."""
    got = _GETTERS.get(accounts)
    if got is None:
        got = _GETTERS[accounts] = itemgetter(*accounts)
    return got


_EQUITY_OF, _INCOME_OF, _EXPENSES_OF = _getter(EQUITY), _getter(INCOME), _getter(EXPENSES)
# +1 where a debit raises the balance (assets, expenses), -1 where it lowers it.
_DEBIT_SIGN = tuple(1.0 if SIDE[a] in (Side.ASSET, Side.EXPENSE) else -1.0 for a in Account)

Entry = tuple[int, Account, float]
"""``(holder, account, debit)``: a positive amount debits the account, a negative credits it."""


Payment = tuple[int, int, int, float, Account, Account, str, bool]
"""``(quarter, payer, payee, amount, payer_account, payee_account, memo, cash)``: one payment between two holders.

``payer_account`` is what the payer debits (an expense, an asset bought, a liability repaid),
``payee_account`` what the payee credits (income, an asset sold, a liability taken on or
capital issued); ``cash`` is False for compute credits issued or redeemed (value moves, cash
does not). ``amount`` is positive.
"""

_VALUE_ACCOUNTS = (Account.CREDITS_RECEIVABLE, Account.DEFERRED_REVENUE)
"""Compute credits: the holder's asset and the issuer's liability; a debit to either is value received."""


class AccountingError(RuntimeError):
    """A posting or a balance sheet that breaks double entry."""


@dataclass(frozen=True)
class Posting:
    """One journal line: what moved, when and why."""

    quarter: int
    memo: str
    entries: tuple[Entry, ...]


class Ledger:
    """Balances of every holder, changed only by balanced postings.

    Example:
        >>> led = Ledger()
        >>> a, b = led.add_holder("a"), led.add_holder("b")
        >>> led.open(a, {Account.CASH: 10.0})
        >>> led.transfer(a, b, 4.0, Account.OPEX, Account.REVENUE, "fee")
        >>> led.balance(a, Account.CASH), led.balance(b, Account.CASH)
        (6.0, 4.0)
    """

    def __init__(self, keep_journal: bool = True, keep_payments: bool = True) -> None:
        """Create an empty ledger.

        Args:
            keep_journal: Keep every posting in :attr:`journal` (tests and audits).
            keep_payments: Note every payment between two holders in :attr:`payments` (on in every run:
                a tuple appended per transfer).
        """
        self.names: list[str] = []
        self._bal: list[list[float]] = []
        self.quarter = 0
        self.keep_journal = keep_journal
        self.journal: list[Posting] = []
        self.keep_payments = keep_payments
        self.payments: list[Payment] = []

    def __deepcopy__(self, memo: dict) -> Ledger:
        """A copy whose balances are its own; the rows of the journal and of the payments are shared (immutable).

        The what-if runs of the cascade copy the whole economy; copying every row of the run's
        record would cost more than the rest of the copy.
        """
        twin = self.__class__.__new__(self.__class__)
        memo[id(self)] = twin
        for name, value in self.__dict__.items():
            setattr(twin, name, list(value) if name in ("journal", "payments") else copy.deepcopy(value, memo))
        return twin

    # -- holders -----------------------------------------------------------------
    def add_holder(self, name: str) -> int:
        """Register a holder with all balances zero; return its index."""
        if name in self.names:
            raise AccountingError(f"holder {name!r} is already in the ledger")
        self.names.append(name)
        self._bal.append([0.0] * _N)
        return len(self.names) - 1

    def open(self, holder: int, balances: dict[Account, float]) -> None:
        """Post an opening balance sheet; the difference goes to paid-in capital.

        Opening is the one posting that creates wealth: it states what the holder owns
        and owes at the start. Cash opened here is counted in the conserved total.
        """
        entries: list[Entry] = []
        for acct, amount in balances.items():
            if amount:
                entries.append((holder, acct, _DEBIT_SIGN[acct] * amount))
        residual = -sum(e[2] for e in entries)
        if residual:
            entries.append((holder, Account.PAID_IN_CAPITAL, residual))
        self.post(entries, "opening balance")

    # -- the one posting primitive ---------------------------------------------------
    def post(self, entries: Sequence[Entry], memo: str) -> None:
        """Apply a set of entries that balances for every holder it touches.

        Raises:
            AccountingError: If debits and credits differ for any holder.
        """
        sums: dict[int, list[float]] = {}
        for holder, _acct, debit in entries:
            acc = sums.get(holder)
            if acc is None:
                sums[holder] = [debit, abs(debit)]
            else:
                acc[0] += debit
                acc[1] += abs(debit)
        for holder, (s, scale) in sums.items():
            if not math.isfinite(scale):
                raise AccountingError(f"posting {memo!r}: {_non_finite(self, entries)}")
            if abs(s) > MONEY_ABS_TOL and abs(s) > MONEY_REL_TOL * scale:
                raise AccountingError(
                    f"unbalanced posting {memo!r} for {self.names[holder]}: debits exceed credits by {s:.12g}"
                )
        self._apply(entries, memo)
        if self.keep_payments and len(sums) > 1:  # a posting inside one holder's books pays nobody
            self._note_payments(entries, memo)

    def _note_payments(self, entries: Sequence[Entry], memo: str) -> None:
        """Note the payments a posting between holders makes: who gave cash (or credits) to whom.

        The holders whose cash falls pay those whose cash rises, matched in the order of the
        entries (most postings have one of each); the same for compute credits. Each side's
        account is its largest other entry: what the payer debits, what the payee credits.
        """
        for value_accounts, cash in (((Account.CASH,), True), (_VALUE_ACCOUNTS, False)):
            moves: dict[int, float] = {}
            for holder, acct, debit in entries:
                if acct in value_accounts:
                    moves[holder] = moves.get(holder, 0.0) + debit
            if not moves:
                continue
            outs = [[h, -v] for h, v in moves.items() if v < 0]
            ins = [[h, v] for h, v in moves.items() if v > 0]
            i = j = 0
            while i < len(outs) and j < len(ins):
                amount = min(outs[i][1], ins[j][1])
                payer, payee = outs[i][0], ins[j][0]
                if payer != payee and amount > 0:
                    self.payments.append((self.quarter, payer, payee, amount, _side(entries, payer, value_accounts, 1),
                                          _side(entries, payee, value_accounts, -1), memo, cash))
                outs[i][1] -= amount
                ins[j][1] -= amount
                if outs[i][1] <= 0:
                    i += 1
                if ins[j][1] <= 0:
                    j += 1

    def _apply(self, entries: Sequence[Entry], memo: str) -> None:
        """The only place a balance changes; callers guarantee the entries balance per holder."""
        bal = self._bal
        for holder, acct, debit in entries:
            bal[holder][acct] += _DEBIT_SIGN[acct] * debit
        if self.keep_journal:
            self.journal.append(Posting(self.quarter, memo, tuple(entries)))

    def transfer(
        self, payer: int, payee: int, amount: float, payer_debit: Account, payee_credit: Account, memo: str
    ) -> None:
        """Pay cash from ``payer`` to ``payee``.

        The payer debits ``payer_debit`` (an expense, an asset bought or a liability
        repaid) and credits cash; the payee debits cash and credits ``payee_credit``.
        """
        if payer == payee:
            raise AccountingError(f"transfer {memo!r}: payer and payee are both {self.names[payer]}")
        if not math.isfinite(amount):
            raise AccountingError(f"transfer {memo!r} from {self.names[payer]} to {self.names[payee]}: "
                                  f"the amount is not a finite number ({amount})")
        # two entries per holder, equal and opposite: balanced by construction, so no check is needed
        self._apply(
            (
                (payer, payer_debit, amount),
                (payer, Account.CASH, -amount),
                (payee, Account.CASH, amount),
                (payee, payee_credit, -amount),
            ),
            memo,
        )
        if self.keep_payments:
            self.payments.append((self.quarter, payer, payee, amount, payer_debit, payee_credit, memo, True))

    def move(self, holder: int, debit: Account, credit: Account, amount: float, memo: str) -> None:
        """A posting inside one holder's books: debit one account, credit another."""
        self.post(((holder, debit, amount), (holder, credit, -amount)), memo)

    # -- reading -------------------------------------------------------------------
    def balance(self, holder: int, account: Account) -> float:
        """The balance of one account, in its normal sign."""
        return self._bal[holder][account]

    def balances(self, holder: int) -> list[float]:
        """A copy of all balances of a holder, indexed by :class:`Account`."""
        return list(self._bal[holder])

    def total(self, holder: int, accounts: Iterable[Account]) -> float:
        """The sum of several accounts of one holder (added in the order given)."""
        row = self._bal[holder]
        if isinstance(accounts, tuple) and len(accounts) > 1:
            return sum(_getter(accounts)(row))
        return sum(row[a] for a in accounts)

    def equity(self, holder: int) -> float:
        """Book equity including this quarter's not yet closed income."""
        row = self._bal[holder]
        return sum(_EQUITY_OF(row)) + sum(_INCOME_OF(row)) - sum(_EXPENSES_OF(row))

    def total_cash(self) -> float:
        """Cash summed over every holder."""
        return sum(row[Account.CASH] for row in self._bal)

    # -- checks and period close --------------------------------------------------------
    def check_balanced(self, quarter_label: str) -> None:
        """Verify assets = liabilities + equity for every holder (relative error <= 1e-9).

        Raises:
            AccountingError: Naming the holder, the quarter and the gap.
        """
        self.check_finite(quarter_label)
        for holder, row in enumerate(self._bal):
            assets = sum(row[a] for a in ASSETS)
            claims = sum(row[a] for a in LIABILITIES) + self.equity(holder)
            if not abs(assets - claims) <= money_tol(max(abs(assets), abs(claims), 1.0)):
                raise AccountingError(
                    f"{quarter_label}: the balance sheet of {self.names[holder]} does not balance: "
                    f"assets {assets:.12g} vs liabilities+equity {claims:.12g} (gap {assets - claims:.6g} $B)"
                )

    def check_finite(self, quarter_label: str) -> None:
        """Verify every balance of every holder is a finite number.

        Raises:
            AccountingError: Naming the holder, the account, the quarter and the value.
        """
        for holder, row in enumerate(self._bal):
            if not all(map(math.isfinite, row)):
                acct = next(a for a in Account if not math.isfinite(row[a]))
                raise AccountingError(f"{quarter_label}: {acct.name.lower()} of {self.names[holder]} is not a finite number "
                                      f"({row[acct]})")

    def close_period(self) -> list[list[float]]:
        """Close income and expense accounts into retained earnings.

        Returns:
            Per holder, the closed quarter's balances of every account (income
            statement accounts hold the quarter's flows).
        """
        statements = []
        for holder, row in enumerate(self._bal):
            statements.append(list(row))
            net = sum(row[a] for a in INCOME) - sum(row[a] for a in EXPENSES)
            entries: list[Entry] = [(holder, a, row[a]) for a in INCOME if row[a]]
            entries += [(holder, a, -row[a]) for a in EXPENSES if row[a]]
            if entries:
                entries.append((holder, Account.RETAINED_EARNINGS, -net))
                self.post(entries, "close period")
        return statements


def _side(entries: Sequence[Entry], holder: int, skip: tuple[Account, ...], sign: int) -> Account:
    """The account of ``holder`` with its largest debit (``sign`` 1) or credit (``sign`` -1), other than ``skip``.

    The other side of a payment: what the payer bought or the payee gave up. Falls back to
    the first of ``skip`` when the holder has no other entry.
    """
    best, size = skip[0], 0.0
    for h, acct, debit in entries:
        if h == holder and acct not in skip and sign * debit > size:
            best, size = acct, sign * debit
    return best


def _non_finite(ledger: Ledger, entries: Sequence[Entry]) -> str:
    """Describe the first entry whose amount is not a finite number, or say the amounts are too large to add up."""
    bad = next((e for e in entries if not math.isfinite(e[2])), None)
    if bad is None:
        return "its amounts are each finite but too large to add up (their sum overflows)"
    holder, acct, debit = bad
    return f"the amount for {acct.name.lower()} of {ledger.names[holder]} is not a finite number ({debit})"
