"""The distress ladder and court-style default (MODEL.md 6a): default is the last step, and a failed firm is wound up.

Each case is a small hand-made world (``tests.worlds``): no growth, no noise, figures
that can be followed by hand.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from agents.distress import distressed_issue
from analysis.summary import systemic_causes
from economy.config import Distress, load_config
from economy.contracts import State
from economy.ledger import Account
from model import AIFinanceModel
from tests.worlds import BANK, DOOMED_LAB, build, loan, neocloud, status

ROOT = Path(__file__).resolve().parents[1]

SELLING = {"distress": {"max_issue_share": 0.5, "reorganisation": False}}
"""A world where investors buy new shares of a firm in distress (the quiet world's default says nobody does)."""


def _equity(m, entity: str) -> float:
    return m.ledger.equity(m.index[entity])


# ---------------------------------------------------------------- the rules
def test_a_round_in_distress_clears_at_a_discount_that_deepens_with_size_and_fear():
    """Hand-computed: 10 of a 100 firm in a neutral market at 20% + 0.5 x 10/100 = 25%; in fear -0.5 at 25% + 15%."""
    p = Distress()
    assert distressed_issue(10.0, 100.0, 0.0, p) == (10.0, pytest.approx(0.25))
    assert distressed_issue(10.0, 100.0, -0.5, p) == (10.0, pytest.approx(0.40))
    assert distressed_issue(80.0, 100.0, 0.0, p) == (50.0, pytest.approx(0.45))  # at most half the value
    assert distressed_issue(10.0, 0.0, 0.0, p) is None  # a firm worth nothing sells nothing
    assert distressed_issue(0.0, 100.0, 0.0, p) is None


# ---------------------------------------------------------------- the ladder
def test_a_lab_short_of_cash_sells_shares_instead_of_defaulting():
    """The doomed lab (worth 100, no cash, costs of 1 a quarter) sells new shares at a discount and keeps going."""
    m = build([DOOMED_LAB], [], world=SELLING, quarters=2).run()
    assert status(m, "doomed") != "defaulted"
    issues = [e for e in m.events if e["kind"] == "distressed_issue"]
    assert issues and issues[0]["entity"] == "doomed"
    # the first round: 1.0 short of a firm worth 100 -> 20% + 0.5 x 1/100 = 20.5% below its value (printed 20%)
    assert "$1.0B of new shares at 20% below its $100B value" in issues[0]["text"]


def test_holders_are_diluted_by_a_round_in_distress():
    """An investor holding half of the lab keeps less than half after the lab sells shares below its value."""
    investor = {"id": "inv", "name": "Investor", "role": "investor", "opening": {"cash": 5.0},
                "investor": {"lender": "bank", "max_loan_to_value": 0.5}}
    stake = {"id": "stake", "kind": "equity_stake", "holder": "inv", "issuer": "doomed", "fraction": 0.5}
    m = build([DOOMED_LAB, investor], [stake], world=SELLING, quarters=1).run()
    s = m.book.by_id["stake"]
    # pre-money at the discount: 100 x (1 - 0.205) = 79.5; 1.0 of new shares -> 0.5 x 79.5 / 80.5
    assert s.fraction == pytest.approx(0.5 * 79.5 / 80.5)


def test_holdings_are_sold_first_and_their_discount_is_a_loss_of_the_seller():
    """A neocloud that cannot pay its interest sells its stake at 10% below value; the 10% is in the losses table."""
    other = {"id": "other", "name": "Other", "role": "lab", "market_value": 50.0, "opening": {"cash": 10.0},
             "lab": {"market_share": 0.0, "opex_quarterly": 0.0, "revenue_per_gw_quarter_max": 10.0}}
    stake = {"id": "stake", "kind": "equity_stake", "holder": "neo", "issuer": "other", "fraction": 0.4}
    m = build([neocloud("neo", gw=1.0), other], [loan("neo-loan", "neo", 20.0, rate=0.2), stake], quarters=1).run()
    assert status(m, "neo") != "defaulted"
    rows = [r for r in m.losses if r["kind"] == "sale_discount" and r["holder"] == "neo"]
    assert rows and rows[0]["source"] == "other"
    # 1.0 of interest due (20 x 20% / 4), none in cash: sell 1.0 / 0.9 of the stake's 20 of value, 10% lost
    assert rows[0]["amount"] == pytest.approx(1.0 / 0.9 * 0.1, rel=1e-6)


# ---------------------------------------------------------------- court-style default
def test_a_defaulted_firm_is_wound_up_to_zero_book_equity():
    """After its default the neocloud holds nothing and owes nothing: book equity exactly zero, no hardware, no shells."""
    m = build([neocloud("neo", gw=1.0)], [loan("neo-loan", "neo", 60.0, rate=0.2, collateral="hardware",
                                                seniority="senior_secured")], quarters=1).run()
    assert status(m, "neo") == "defaulted"
    h = m.index["neo"]
    assert _equity(m, "neo") == pytest.approx(0.0, abs=1e-9)
    for account in (Account.HARDWARE, Account.DC_SHELLS, Account.CONSTRUCTION_IN_PROGRESS, Account.CASH, Account.DEBT):
        assert m.ledger.balance(h, account) == pytest.approx(0.0, abs=1e-9)
    assert m.book.by_id["neo-loan"].state is State.DEFAULTED


def test_recovery_goes_by_seniority():
    """Senior lenders are paid from the estate before subordinated ones (hand-computed from the sale proceeds).

    After a quarter's depreciation the neocloud's hardware is 34 x 59/60 at book, fire-sold into a market 50
    deep for 50 ln(1 + 33.43/50) = 25.60, and its shells 16 x 119/120, sold at half for 7.93: an estate of
    33.54; the senior lender's claim of 40 takes all of it, the subordinated lender's 20 gets nothing.
    """
    bank2 = {**BANK, "id": "bank2", "name": "Second bank"}
    contracts = [loan("senior", "neo", 40.0, rate=0.4), {**loan("junior", "neo", 20.0, rate=0.4), "lender": "bank2",
                                                         "seniority": "subordinated"}]
    m = build([neocloud("neo", gw=1.0), bank2], contracts, quarters=1).run()
    assert status(m, "neo") == "defaulted"
    lost = {r["holder"]: r["amount"] for r in m.losses if r["source"] == "neo" and r["kind"] == "loan"}
    assert lost["bank2"] == pytest.approx(20.0)
    hardware, shells = 34.0 * 59 / 60, 16.0 * 119 / 120
    assert lost["bank"] == pytest.approx(40.0 - (50 * math.log1p(hardware / 50) + shells * 0.5), rel=1e-9)


def test_a_failed_sellers_customers_keep_their_compute():
    """A lab renting from a neocloud that fails keeps its capacity, now served by the buyers of the data centres."""
    lab = {"id": "lab", "name": "Lab", "role": "lab", "market_value": 100.0, "opening": {"cash": 100.0},
           "lab": {"market_share": 0.0, "opex_quarterly": 0.0, "revenue_per_gw_quarter_max": 10.0}}
    rent = {"id": "rent", "kind": "compute", "buyer": "lab", "seller": "neo", "total_value": 40.0, "gw": 1.0,
            "start": "2026Q1", "quarters": 4}
    # the rent (10 a quarter) does not cover the interest (25 a quarter): the neocloud fails in its first quarter
    m = build([lab, neocloud("neo", gw=1.0)], [rent, loan("neo-loan", "neo", 200.0, rate=0.5)], quarters=3).run()
    assert status(m, "neo") == "defaulted"
    c = m.book.by_id["rent"]
    assert c.to_party == m.external and c.state in (State.ACTIVE, State.PENDING)
    assert m.company_named("lab").flows.rented_in_gw == pytest.approx(1.0)
    assert any(e["kind"] == "contract_assumed" for e in m.events)


def test_lenders_owing_each_other_fail_and_clear_without_an_accounting_error():
    """A lender funded by another lender fails on its borrower's default; its loan book passes to outside investors."""
    funded = {"id": "fund", "name": "Fund", "role": "lender", "opening": {"cash": 1.0},
              "lender": {"base_spread_bp": 300}}
    contracts = [{**loan("fund-loan", "neo", 60.0, rate=0.5), "lender": "fund"},
                 {**loan("to-fund", "fund", 55.0, rate=0.1), "lender": "bank"},
                 {**loan("other", "good", 10.0, rate=0.0), "lender": "fund"}]
    m = build([neocloud("neo", gw=1.0), neocloud("good", cash=20.0, gw=1.0), funded], contracts, quarters=4).run()
    assert status(m, "neo") == "defaulted" and status(m, "fund") == "defaulted"
    other = m.book.by_id["other"]
    assert other.from_party == m.external and other.sold_by == m.index["fund"]
    assert any(e["kind"] == "loan_sold" for e in m.events)
    assert _equity(m, "fund") == pytest.approx(0.0, abs=1e-9)
    m.check_invariants()


def test_a_failed_lenders_borrower_is_not_rolled_and_the_credit_channel_names_the_lender():
    """The good borrower's loan, bought from the failed fund, matures and is not rolled: credit channel from the fund."""
    funded = {"id": "fund", "name": "Fund", "role": "lender", "opening": {"cash": 1.0},
              "lender": {"base_spread_bp": 300}}
    contracts = [{**loan("fund-loan", "neo", 60.0, rate=0.5), "lender": "fund"},
                 {**loan("to-fund", "fund", 55.0, rate=0.1), "lender": "bank"},
                 {**loan("other", "good", 30.0, rate=0.0, maturity="2026Q3"), "lender": "fund"}]
    m = build([neocloud("neo", gw=1.0), neocloud("good", cash=2.0, gw=1.0), funded], contracts, quarters=4).run()
    refused = [e for e in m.events if e["kind"] == "refinancing_refused" and e["counterparty"] == "good"]
    assert refused and refused[0]["entity"] == "fund"
    assert any(r["entity"] == "good" and r["channel"] == "credit" and r["caused_by"] == "fund" for r in m.cascade)


# ---------------------------------------------------------------- rescues with terms
def _rescue_world(terms: dict):
    investor = {"id": "inv", "name": "Investor", "role": "investor", "opening": {"cash": 5.0},
                "investor": {"lender": "bank", "max_loan_to_value": 0.5}}
    stake = {"id": "stake", "kind": "equity_stake", "holder": "inv", "issuer": "neo", "fraction": 0.5}
    m = build([neocloud("neo", gw=1.0), investor], [loan("neo-loan", "neo", 120.0, rate=0.2), stake],
              policy="discretionary", quarters=1)
    m.economy.firm("gov").spec = m.economy.firm("gov").spec.model_copy(
        update={"government": m.economy.firm("gov").spec.government.model_copy(update=terms)})
    return m.run()


def test_a_rescue_that_wipes_the_old_shareholders_leaves_the_government_the_owner():
    """Under ``old_equity: wiped`` the investor's stake is written off and the government holds nearly all of the firm."""
    m = _rescue_world({"old_equity": "wiped"})
    assert status(m, "neo") == "rescued"
    assert m.book.by_id["stake"].fraction == pytest.approx(0.0, abs=1e-6)
    gov_stake = [s for s in m.book.contracts if s.kind == "equity_stake" and s.from_party == m.index["gov"]]
    assert gov_stake and gov_stake[0].fraction == pytest.approx(1.0, abs=1e-6)
    assert "old shareholders wiped out" in next(e["text"] for e in m.events if e["kind"] == "rescue")


def test_a_rescue_with_a_haircut_cuts_the_unsecured_lender_first():
    """Under a 25% haircut the bank writes off 30 of its 120 before the government pays the rest."""
    m = _rescue_world({"creditor_haircut": 0.25})
    assert status(m, "neo") == "rescued"
    cut = [r for r in m.losses if r["kind"] == "haircut"]
    assert cut and cut[0]["holder"] == "bank" and cut[0]["amount"] == pytest.approx(30.0)
    assert m.book.by_id["neo-loan"].principal == pytest.approx(90.0)


# ---------------------------------------------------------------- the systemic event
def _tables(cascade_rows, losses_rows=(), lender_equity=100.0):
    bs = pd.DataFrame([{"quarter": "2025Q4", "entity": "bank", "role": "lender", "equity": lender_equity}])
    cascade = pd.DataFrame(cascade_rows, columns=["quarter", "round", "entity", "caused_by", "channel", "amount"])
    losses = pd.DataFrame(list(losses_rows), columns=["quarter", "holder", "source", "kind", "channel", "amount"])
    return bs, cascade, losses


def test_two_unrelated_defaults_are_not_a_systemic_event():
    """Two firms failing years apart, each from its own lender's refusal, is coincidence, not contagion."""
    bs, cascade, losses = _tables([("2031Q1", 1, "a", "bank", "credit", 40.0), ("2033Q1", 1, "b", "bank", "credit", 30.0)])
    assert systemic_causes(bs, cascade, losses, [], "2025Q4") == []


def test_a_default_caused_by_another_default_is_a_systemic_event():
    """Firm b fails because a did not pay it: contagion, named with its channel."""
    bs, cascade, losses = _tables([("2031Q1", 1, "a", "bank", "credit", 40.0), ("2031Q1", 2, "b", "a", "payment", 5.0)])
    assert systemic_causes(bs, cascade, losses, [], "2025Q4") == [
        "contagion: b defaults in 2031Q1 after a's default (payment)"]


def test_lender_losses_above_a_tenth_of_their_capital_or_a_rescue_are_systemic():
    """Lenders losing 11 of 100 of capital is systemic; 9 is not; a rescue always is."""
    big = [("2031Q1", "bank", "a", "loan", "payment", 11.0)]
    small = [("2031Q1", "bank", "a", "loan", "payment", 9.0)]
    bs, cascade, losses = _tables([], big)
    assert systemic_causes(bs, cascade, losses, [], "2025Q4") == ["lenders lose $11.0B, 11% of their opening capital"]
    bs, cascade, losses = _tables([], small)
    assert systemic_causes(bs, cascade, losses, [], "2025Q4") == []
    assert systemic_causes(bs, cascade, losses, ["openai"], "2025Q4") == ["rescue of openai"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_firm_failed_in_the_winter_ends_every_later_quarter_holding_nothing(seed):
    """Seed 2 has OpenAI rescued after CoreWeave's default in the same quarter, paying arrears to the estate.

    That late money goes to CoreWeave's creditors, so no defaulted firm is left with assets or book equity.
    """
    m = AIFinanceModel(config=load_config(ROOT / "configs" / "scenarios" / "ai_winter.yaml"), seed=seed).run()
    rows = pd.DataFrame(m.recorder.balance_rows)
    failed = rows[rows.status == "defaulted"]
    assert len(failed), "the winter should bring at least one default"
    assert failed.total_assets.abs().max() < 1e-6 and failed.equity.abs().max() < 1e-6
