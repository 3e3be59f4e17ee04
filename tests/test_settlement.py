"""Settlement pays what can be paid; with the payment channel off the outside sector takes unpaid claims over."""

from __future__ import annotations

import pytest

from economy.contracts import Obligation
from economy.ledger import Account, Ledger
from economy.settlement import settle


def _three_holders() -> tuple[Ledger, int, int, int]:
    led = Ledger()
    debtor, creditor, backer = led.add_holder("debtor"), led.add_holder("creditor"), led.add_holder("outside")
    led.open(debtor, {Account.CASH: 3.0, Account.HARDWARE: 20.0, Account.DEBT: 10.0})
    led.open(creditor, {Account.LOANS_HELD: 10.0})
    led.open(backer, {Account.CASH: 100.0})
    return led, debtor, creditor, backer


def _principal(debtor: int, creditor: int) -> Obligation:
    return Obligation(None, debtor, creditor, 10.0, Account.DEBT, Account.LOANS_HELD, "principal")


def test_shortfall_reaches_the_creditor_when_the_channel_is_on():
    """A debtor with 3 of cash owing 10 pays 3; the creditor still holds 7 of loan and the debtor 7 of debt."""
    led, debtor, creditor, backer = _three_holders()
    ob = _principal(debtor, creditor)
    result = settle(led, [ob], 3, contagion=True, backer=backer)
    assert ob.paid == pytest.approx(3.0)
    assert result.shortfall == {debtor: pytest.approx(7.0)}
    assert result.assumed == ()
    assert led.balance(creditor, Account.LOANS_HELD) == pytest.approx(7.0)
    assert led.balance(debtor, Account.DEBT) == pytest.approx(7.0)


def test_payment_channel_off_the_outside_pays_and_takes_the_claim_over():
    """Hand-computed: the creditor is paid 10 as if in full; the debtor owes the missing 7 to the outside instead."""
    led, debtor, creditor, backer = _three_holders()
    ob = _principal(debtor, creditor)
    result = settle(led, [ob], 3, contagion=False, backer=backer)
    assert ob.paid == pytest.approx(10.0)
    assert result.shortfall == {debtor: pytest.approx(7.0)}  # the debtor is still short: its own default stays
    # creditor: paid in full, its loan gone on the books as in the contract
    assert led.balance(creditor, Account.CASH) == pytest.approx(10.0)
    assert led.balance(creditor, Account.LOANS_HELD) == pytest.approx(0.0)
    # debtor: the loan is repaid, 7 of it now owed to the outside; not enriched (equity unchanged)
    assert led.balance(debtor, Account.CASH) == pytest.approx(0.0)
    assert led.balance(debtor, Account.DEBT) == pytest.approx(0.0)
    assert led.balance(debtor, Account.PAYABLES) == pytest.approx(7.0)
    assert led.equity(debtor) == pytest.approx(13.0)
    # outside: 7 of cash became a claim on the debtor
    assert led.balance(backer, Account.CASH) == pytest.approx(93.0)
    assert led.balance(backer, Account.RECEIVABLES) == pytest.approx(7.0)
    (claim,) = result.assumed
    assert (claim.payer, claim.payee, claim.amount, claim.paid) == (debtor, backer, pytest.approx(7.0), 0.0)
    assert (claim.payer_debit, claim.payee_credit) == (Account.PAYABLES, Account.RECEIVABLES)
    led.check_balanced("test")
    assert led.total_cash() == pytest.approx(103.0)


def test_payment_channel_off_the_outside_absorbs_what_it_is_owed_itself():
    """A shortfall on a debt to the outside sector is not bought by it: nobody else is there to make whole."""
    led, debtor, _creditor, backer = _three_holders()
    ob = Obligation(None, debtor, backer, 5.0, Account.OPEX, Account.REVENUE, "operating costs")
    result = settle(led, [ob], 3, contagion=False, backer=backer)
    assert ob.paid == pytest.approx(3.0)
    assert result.assumed == ()
    assert led.balance(backer, Account.RECEIVABLES) == 0.0
