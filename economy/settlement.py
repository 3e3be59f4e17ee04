"""Settlement: all payments due in a quarter clear at once (Eisenberg-Noe, Rogers-Veraart).

Contracts say what is due; this step pays what can be paid, pro rata within each
debtor, and returns who fell short. Postings go through the ledger one obligation
at a time after the clearing vector is known, so order never matters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from economy.clearing import clear_obligations
from economy.contracts import Obligation
from economy.ledger import Account, AccountingError, Ledger


@dataclass(frozen=True)
class SettlementResult:
    """Who paid less than they owed, and by how much.

    ``assumed`` lists, when the payment channel is off, the dues the backer paid for a
    debtor and now claims from it: the debtor owes them to the backer, not to its creditor.
    """

    shortfall: dict[int, float]
    rounds: int
    assumed: tuple[Obligation, ...] = ()


def settle(
    ledger: Ledger,
    obligations: list[Obligation],
    n_holders: int,
    alpha: float = 1.0,
    beta: float = 1.0,
    contagion: bool = True,
    backer: int | None = None,
) -> SettlementResult:
    """Clear and post every obligation; record ``paid`` on each.

    Args:
        ledger: The ledger; cash available to each holder is its cash balance.
        obligations: Everything due this quarter.
        n_holders: Number of ledger holders.
        alpha: Share of its own cash a defaulting debtor can pay (Rogers-Veraart).
        beta: Share of its incoming payments a defaulting debtor can pass on.
        contagion: Whether a debtor's shortfall reaches its creditors (the payment
            channel). If not, each holder pays as if all its debtors had paid it, and
            ``backer`` pays every creditor other than itself what its debtor could not,
            taking over the claim (see :func:`_assume_shortfalls`).
        backer: The holder that makes creditors whole when ``contagion`` is off.
    """
    for ob in obligations:
        if not math.isfinite(ob.amount):  # `amount > 0` below would drop it silently
            where = f"{ob.contract.id}: {ob.label}" if ob.contract is not None else ob.label
            raise AccountingError(f"{where}: the amount due from {ledger.names[ob.payer]} to {ledger.names[ob.payee]} "
                                  f"is not a finite number ({ob.amount})")
    live = [ob for ob in obligations if ob.amount > 0]
    if not live:
        return SettlementResult({}, 0)
    owed: dict[int, float] = {}
    for ob in live:
        owed[ob.payer] = owed.get(ob.payer, 0.0) + ob.amount
    if all(ledger.balance(h, Account.CASH) >= total for h, total in owed.items()):
        # everyone can pay from their own cash: full payment is the greatest clearing vector
        paid_list, rounds = [ob.amount for ob in live], 0
    else:
        payer = np.fromiter((ob.payer for ob in live), dtype=np.int64, count=len(live))
        payee = np.fromiter((ob.payee for ob in live), dtype=np.int64, count=len(live))
        amount = np.fromiter((ob.amount for ob in live), dtype=float, count=len(live))
        cash = np.array([max(0.0, ledger.balance(h, Account.CASH)) for h in range(n_holders)])
        if not contagion:
            # everyone may count on its inflows in full, so only its own cash can make it short
            owed = np.bincount(payer, weights=amount, minlength=n_holders)
            available = cash + np.bincount(payee, weights=amount, minlength=n_holders)
            share = np.divide(np.minimum(owed, available), owed, out=np.ones(n_holders), where=owed > 0)
            paid_list, rounds = (amount * share[payer]).tolist(), 0
        else:
            paid, result = clear_obligations(n_holders, payer, payee, amount, cash, alpha, beta)
            paid_list, rounds = paid.tolist(), result.rounds
    shortfall: dict[int, float] = {}
    gaps: list[Obligation] = []
    for ob, p in zip(live, paid_list, strict=True):
        ob.paid = min(ob.amount, p)
        gap = ob.amount - ob.paid
        if gap > 1e-9 * max(1.0, ob.amount):
            shortfall[ob.payer] = shortfall.get(ob.payer, 0.0) + gap
            gaps.append(ob)
    # creditors made whole from outside are paid first, so that nobody passes on money before it arrives
    assumed = _assume_shortfalls(ledger, gaps, backer) if not contagion and backer is not None else []
    for ob in live:
        if ob.paid > 0:
            memo = f"{ob.contract.id}: {ob.label}" if ob.contract is not None else ob.label
            ledger.transfer(ob.payer, ob.payee, ob.paid, ob.payer_debit, ob.payee_credit, memo)
    for ob in assumed:
        ob.original.paid = ob.original.amount  # its creditor has been paid in full
    return SettlementResult(shortfall, rounds, tuple(ob.claim for ob in assumed))


@dataclass(frozen=True)
class _Assumed:
    original: Obligation
    claim: Obligation


def _assume_shortfalls(ledger: Ledger, gaps: list[Obligation], backer: int) -> list[_Assumed]:
    """The backer pays each creditor what its debtor could not, and takes the claim over.

    The creditor is booked exactly as if its debtor had paid (a loan's principal falls
    on both sides, so the contract and the ledger agree); the debtor books the expense
    or repayment it owed, with the unpaid part now a payable to the backer; the backer
    holds a receivable. The returned obligations are those new debts of the debtors to
    the backer, due now: paid late if money comes in, recovered from the estate or
    written off if the debtor defaults. Nothing is paid twice, and nobody is enriched.
    """
    assumed = []
    for ob in gaps:
        if ob.payee == backer:
            continue  # the outside sector absorbs what it is itself owed: nobody to make whole
        gap = ob.amount - ob.paid
        memo = f"{ob.contract.id}: {ob.label}" if ob.contract is not None else ob.label
        ledger.post(((backer, Account.RECEIVABLES, gap), (backer, Account.CASH, -gap),
                     (ob.payee, Account.CASH, gap), (ob.payee, ob.payee_credit, -gap),
                     (ob.payer, ob.payer_debit, gap), (ob.payer, Account.PAYABLES, -gap)),
                    f"{memo}: shortfall paid from outside, claim taken over")
        assumed.append(_Assumed(ob, Obligation(None, ob.payer, backer, gap, Account.PAYABLES, Account.RECEIVABLES,
                                               f"dues taken over from outside ({memo})")))
    return assumed
