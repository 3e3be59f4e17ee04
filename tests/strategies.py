"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from hypothesis import strategies as st

from economy.ledger import Account

amounts = st.floats(min_value=0.0, max_value=1e4, allow_nan=False, allow_infinity=False)
debit_accounts = st.sampled_from([Account.OPEX, Account.HARDWARE, Account.STAKES, Account.DEBT, Account.COMPUTE_COST,
                                  Account.LOANS_HELD, Account.INTEREST_EXPENSE])
credit_accounts = st.sampled_from([Account.REVENUE, Account.PAID_IN_CAPITAL, Account.DEBT, Account.LOANS_HELD,
                                   Account.OTHER_INCOME, Account.DEFERRED_REVENUE])


@st.composite
def transfers(draw, holders: int = 4, max_size: int = 40):
    """A list of (payer, payee, amount, payer_debit, payee_credit) between distinct holders."""
    n = draw(st.integers(min_value=0, max_value=max_size))
    out = []
    for _ in range(n):
        payer = draw(st.integers(0, holders - 1))
        payee = draw(st.integers(0, holders - 2))
        payee = payee + 1 if payee >= payer else payee
        out.append((payer, payee, draw(amounts), draw(debit_accounts), draw(credit_accounts)))
    return out
