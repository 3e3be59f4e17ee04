"""Tests for the flow table: the ledger's payment rows (economy.ledger) and payments.csv (economy.flows).

Covers: every transfer and every posting that moves cash or credits between holders is
noted; a posting inside one holder's books is not; the kinds of the module's table; and,
on whole runs, that the table reconciles with every balance sheet every quarter.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from economy.config import load_config, with_overrides
from economy.contracts import ContractBook, InvestmentCommitment, Loan
from economy.flows import PAYMENT_COLUMNS, PAYMENT_KINDS, payment_kind, payment_rows
from economy.ledger import Account, Ledger

ROOT = Path(__file__).resolve().parents[1]
A = Account


def _ledger(n: int = 3, cash: float = 100.0) -> Ledger:
    led = Ledger(keep_journal=False)
    for i in range(n):
        led.open(led.add_holder(f"h{i}"), {A.CASH: cash})
    return led


# ---------------------------------------------------------------------------------------------- the ledger's rows
def test_a_transfer_is_noted_with_both_accounts_and_the_memo():
    """A transfer becomes one payment row: quarter, payer, payee, amount, the two accounts, the memo, cash."""
    led = _ledger(2)
    led.quarter = 3
    led.transfer(0, 1, 30.0, A.OPEX, A.REVENUE, "fee")
    assert led.payments == [(3, 0, 1, 30.0, A.OPEX, A.REVENUE, "fee", True)]


def test_openings_and_moves_inside_one_holder_pay_nobody():
    """Opening balances, a depreciation and a write-off are postings, but not payments."""
    led = _ledger(2)
    led.open(led.add_holder("h2"), {A.HARDWARE: 5.0})
    led.move(2, A.DEPRECIATION, A.HARDWARE, 1.0, "depreciation")
    led.close_period()
    assert led.payments == []


def test_a_sale_to_an_outside_buyer_is_noted_from_its_posting():
    """A multi-leg posting (a fire sale: the buyer's asset, the seller's loss) is a payment from buyer to seller."""
    led = _ledger(2)
    led.open(led.add_holder("h2"), {A.HARDWARE: 10.0})
    led.post(((0, A.OTHER_ASSETS, 6.0), (0, A.CASH, -6.0), (2, A.CASH, 6.0), (2, A.LOSSES, 4.0), (2, A.HARDWARE, -10.0)),
             "h2: hardware fire-sold")
    assert led.payments == [(0, 0, 2, 6.0, A.OTHER_ASSETS, A.HARDWARE, "h2: hardware fire-sold", True)]


def test_compute_credits_are_noted_as_value_without_cash():
    """Credits issued (the issuer's deferred revenue) and redeemed (its revenue) are payments with cash False."""
    led = _ledger(2)
    led.post(((1, A.CREDITS_RECEIVABLE, 4.0), (1, A.PAID_IN_CAPITAL, -4.0), (0, A.STAKES, 4.0),
              (0, A.DEFERRED_REVENUE, -4.0)), "c: tranche in compute credits")
    led.post(((1, A.COMPUTE_COST, 3.0), (1, A.CREDITS_RECEIVABLE, -3.0), (0, A.DEFERRED_REVENUE, 3.0),
              (0, A.REVENUE, -3.0)), "c-credits-1: credits redeemed")
    assert led.payments == [(0, 0, 1, 4.0, A.STAKES, A.PAID_IN_CAPITAL, "c: tranche in compute credits", False),
                            (0, 1, 0, 3.0, A.COMPUTE_COST, A.REVENUE, "c-credits-1: credits redeemed", False)]


def test_a_posting_with_two_payees_is_split_between_them():
    """One payer and two payees in one posting: two rows, each with its own amount."""
    led = _ledger(3)
    led.post(((0, A.OPEX, 5.0), (0, A.CASH, -5.0), (1, A.CASH, 2.0), (1, A.REVENUE, -2.0), (2, A.CASH, 3.0),
              (2, A.REVENUE, -3.0)), "split")
    assert [(p[1], p[2], p[3]) for p in led.payments] == [(0, 1, 2.0), (0, 2, 3.0)]


def test_the_rows_can_be_switched_off_and_a_copy_keeps_its_own():
    """keep_payments=False notes nothing; a deep copy (a what-if twin) adds rows to its own list only."""
    quiet = Ledger(keep_payments=False)
    a, b = quiet.add_holder("a"), quiet.add_holder("b")
    quiet.open(a, {A.CASH: 1.0})
    quiet.transfer(a, b, 1.0, A.OPEX, A.REVENUE, "fee")
    assert quiet.payments == []
    led = _ledger(2)
    led.transfer(0, 1, 1.0, A.OPEX, A.REVENUE, "fee")
    twin = copy.deepcopy(led)
    twin.transfer(0, 1, 2.0, A.OPEX, A.REVENUE, "what if")
    assert len(led.payments) == 1 and len(twin.payments) == 2
    assert led.balance(0, A.CASH) == pytest.approx(99.0) and twin.balance(0, A.CASH) == pytest.approx(97.0)


# ---------------------------------------------------------------------------------------------- kinds and contracts
@pytest.mark.parametrize(("payer_account", "payee_account", "payer_role", "payee_role", "contract_kind", "kind"), [
    (A.INTEREST_EXPENSE, A.OTHER_INCOME, "neocloud", "lender", "loan", "interest"),
    (A.LOANS_HELD, A.DEBT, "lender", "neocloud", "loan", "loan_drawn"),
    (A.DEBT, A.LOANS_HELD, "neocloud", "lender", "loan", "loan_repaid"),
    (A.CONSTRUCTION_IN_PROGRESS, A.REVENUE, "hyperscaler", "chipmaker", "", "chip_sale"),
    (A.HARDWARE, A.REVENUE, "lab", "chipmaker", "compute", "chip_sale"),
    (A.CONSTRUCTION_IN_PROGRESS, A.REVENUE, "hyperscaler", "external", "", "construction"),
    (A.COMPUTE_COST, A.REVENUE, "lab", "hyperscaler", "compute", "compute"),
    (A.COMPUTE_COST, A.REVENUE, "lab", "hyperscaler", "revenue_share", "revenue_share"),
    (A.STAKES, A.PAID_IN_CAPITAL, "chipmaker", "lab", "investment_commitment", "tranche"),
    (A.STAKES, A.PAID_IN_CAPITAL, "government", "neocloud", "", "rescue"),
    (A.OTHER_ASSETS, A.PAID_IN_CAPITAL, "external", "lab", "", "equity"),
    (A.RETAINED_EARNINGS, A.OTHER_INCOME, "hyperscaler", "external", "", "dividend"),
    (A.OTHER_ASSETS, A.HARDWARE, "external", "neocloud", "", "fire_sale"),
    (A.OPEX, A.REVENUE, "external", "lab", "", "sales"),
    (A.OPEX, A.REVENUE, "lab", "external", "", "operating_cost"),
    (A.OPEX, A.OTHER_INCOME, "lab", "hyperscaler", "compute", "penalty"),
    (A.LOSSES, A.LOSSES, "lab", "lender", "", "recovery"),  # a late recovery cuts the creditor's loss
])
def test_the_kind_comes_from_the_accounts(payer_account, payee_account, payer_role, payee_role, contract_kind, kind):
    """Each pair of accounts of the module's table gives its kind."""
    assert payment_kind(payer_account, payee_account, payer_role, payee_role, contract_kind) == kind


def test_rows_name_the_contract_of_the_memo_and_its_lab():
    """The memo's prefix names the contract; the lab is its tied_to, else its party that is a lab."""
    book = ContractBook()
    book.add(Loan(id="L1", kind="loan", from_party=0, to_party=1, amount=5.0, start=0, end=8, tied_to=2, principal=5.0))
    book.add(InvestmentCommitment(id="C1", kind="investment_commitment", from_party=3, to_party=2, amount=10.0, start=0,
                                  end=None))
    names, roles = ["bank", "oracle", "openai", "nvidia", "external"], ["lender", "hyperscaler", "lab", "chipmaker",
                                                                        "external"]
    payments = [(1, 1, 0, 0.5, A.INTEREST_EXPENSE, A.OTHER_INCOME, "L1: interest", True),
                (1, 3, 2, 2.0, A.STAKES, A.PAID_IN_CAPITAL, "C1: tranche", True),
                (1, 2, 4, 1.0, A.OPEX, A.REVENUE, "staff, research and marketing", True),
                (2, 2, 4, 0.0, A.OPEX, A.REVENUE, "nothing", True)]
    rows = [dict(zip(PAYMENT_COLUMNS, r, strict=True)) for r in payment_rows(payments, names, roles, book, "2025Q4")]
    assert [(r["quarter"], r["kind"], r["contract_id"], r["lab"]) for r in rows] == [
        ("2026Q1", "interest", "L1", "openai"), ("2026Q1", "tranche", "C1", "openai"), ("2026Q1", "operating_cost", "", "")]


# ---------------------------------------------------------------------------------------------- whole runs
RUNS = {
    "baseline": (ROOT / "configs" / "baseline.yaml", {}),
    "ai_winter": (ROOT / "configs" / "scenarios" / "ai_winter.yaml", {}),
    "ai_winter_payment_off": (ROOT / "configs" / "scenarios" / "ai_winter.yaml", {"channels.payment": False}),
}


@pytest.fixture(scope="module", params=sorted(RUNS))
def run_tables(request) -> dict[str, pd.DataFrame]:
    """The tables of a 32-quarter run of the baseline, the AI winter, and the AI winter without the payment channel."""
    from economy.records import frames
    from model import AIFinanceModel

    path, overrides = RUNS[request.param]
    cfg = with_overrides(load_config(path), overrides) if overrides else load_config(path)
    return frames(AIFinanceModel(config=cfg, seed=0).run())


def _per_holder(table: pd.DataFrame, who: str, quarters: list[str], holders: list[str]) -> pd.DataFrame:
    return (table.groupby(["quarter", who], observed=True).amount.sum().unstack(fill_value=0.0)
            .reindex(index=quarters, columns=holders, fill_value=0.0).fillna(0.0))


def test_payments_reconcile_with_every_balance_sheet_every_quarter(run_tables):
    """Per holder and quarter, cash received less cash paid in payments.csv is the change in its cash, to the rounding."""
    bs, pay = run_tables["balance_sheets"], run_tables["payments"]
    quarters = list(dict.fromkeys(bs.quarter))
    holders = list(dict.fromkeys(bs.entity))
    assert not (pay.quarter == quarters[0]).any()  # nothing is paid at the opening
    cash = pay[pay.cash]
    net = _per_holder(cash, "payee", quarters[1:], holders) - _per_holder(cash, "payer", quarters[1:], holders)
    wide = bs.pivot(index="quarter", columns="entity", values="cash").loc[quarters, holders]
    change = wide.diff().iloc[1:]
    # each number written is rounded to 1e-9 $B: the gap may be a rounding step per row and per balance
    rows = _per_holder(cash.assign(amount=1.0), "payee", quarters[1:], holders) + _per_holder(
        cash.assign(amount=1.0), "payer", quarters[1:], holders)
    gap = (net - change).abs()
    assert (gap <= 1e-9 * (rows + 2) + 1e-15 * wide.abs().max()).all().all(), gap.max().sort_values().tail()


def test_revenue_in_payments_is_the_revenue_on_the_balance_sheets(run_tables):
    """Every dollar of revenue comes from a counterparty: payments credited to revenue sum to each holder's revenue."""
    bs, pay = run_tables["balance_sheets"], run_tables["payments"]
    quarters = list(dict.fromkeys(bs.quarter))
    holders = list(dict.fromkeys(bs.entity))
    received = _per_holder(pay[pay.payee_account == "revenue"], "payee", quarters[1:], holders)
    booked = bs.pivot(index="quarter", columns="entity", values="revenue").loc[quarters[1:], holders]
    np.testing.assert_allclose(received.to_numpy(), booked.to_numpy(), atol=1e-7, rtol=1e-12)


def test_every_payment_has_a_kind_and_its_parties(run_tables):
    """No payment is of kind other; amounts are positive; every paid contract flow is a payment with its contract."""
    pay, flows = run_tables["payments"], run_tables["contract_flows"]
    assert set(pay.kind) <= set(PAYMENT_KINDS) - {"other"}, pay[pay.kind == "other"].memo.unique()
    assert (pay.amount > 0).all() and (pay.payer != pay.payee).all()
    assert list(pay.columns) == PAYMENT_COLUMNS
    paid = flows[flows.paid > 0]
    keys = set(zip(pay.quarter, pay.contract_id, pay.payer, pay.payee, strict=True))
    missing = [r for r in paid.itertuples() if (r.quarter, r.contract_id, r.payer, r.payee) not in keys]
    assert not missing, missing[:3]


def test_chip_sales_and_tranches_have_payer_and_payee(run_tables):
    """The circular deals show: builders pay Nvidia for chips, tied to a lab when under a supply agreement."""
    pay = run_tables["payments"]
    chips = pay[(pay.kind == "chip_sale") & (pay.payee == "nvidia")]
    assert len(chips) and chips.amount.sum() > 0
    assert (chips.lab == "openai").any()
    assert set(pay.loc[pay.kind == "chip_sale", "payer"]) - {"external"}  # companies of the model buy chips
