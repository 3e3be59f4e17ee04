"""Committed revolvers drawn in distress (MODEL.md 6a, rung 1): the first money a firm short of cash finds.

Hand-made worlds (``tests.worlds``): a neocloud owing 1 of interest a quarter (20 at 20%)
with too little cash, and an undrawn (or part-drawn) revolver; nobody buys new shares in
the quiet world, so without the revolver it defaults.
"""

from __future__ import annotations

import copy

import pytest

from agents.distress import honours_draw
from economy.config import ConfigError, config_from_dict
from tests.config_data import tiny
from tests.worlds import BANK, build, loan, neocloud, status


def _revolver(borrower: str, drawn: float = 0.0, commitment: float = 10.0, **terms) -> dict:
    return loan(f"rev-{borrower}", borrower, drawn, rate=0.0, commitment=commitment, maturity="2030Q4", **terms)


def _drawn(m) -> dict[str, float]:
    return {e["entity"]: e["amount"] for e in m.events if e["kind"] == "revolver_drawn"}


def test_the_rule_honours_a_draw_unless_the_lender_is_failing():
    """Hand-computed: a lender at 10% capital over an 8% floor honours; at 5%, or failed, it refuses (MAC)."""
    assert honours_draw(True, 0.10, 0.08)
    assert not honours_draw(True, 0.05, 0.08)
    assert not honours_draw(False, 0.10, 0.08)


def test_a_firm_short_of_cash_draws_its_revolver_and_survives():
    """Hand-computed: 1.0 of interest due, 0.4 in cash: the neocloud draws 0.6 of its 10 and pays in full."""
    m = build([neocloud("neo", cash=0.4, gw=1.0)], [loan("neo-loan", "neo", 20.0, rate=0.2), _revolver("neo")],
              quarters=1).run()
    assert status(m, "neo") != "defaulted"
    assert _drawn(m) == {"neo": pytest.approx(0.6)}
    rev = m.book.by_id["rev-neo"]
    assert rev.principal == pytest.approx(0.6) and rev.undrawn == pytest.approx(9.4)
    m.check_invariants()


def test_draws_on_one_lender_are_cut_pro_rata_in_either_order():
    """Hand-computed: two neoclouds each 1.0 short draw on a bank with 1.5 of cash: 0.75 each, listed either way."""
    bank = {**copy.deepcopy(BANK), "opening": {"cash": 1.5}}
    results = []
    for order in (["a", "b"], ["b", "a"]):
        companies = [neocloud(x, gw=1.0) for x in order]
        contracts = [c for x in order for c in (loan(f"{x}-loan", x, 20.0, rate=0.2), _revolver(x))]
        m = build(companies, contracts, quarters=1, bank=bank).run()
        results.append(_drawn(m))
    assert results[0] == results[1] == {"a": pytest.approx(0.75), "b": pytest.approx(0.75)}


def test_a_lender_below_its_capital_floor_refuses_the_draw():
    """A bank at 5% capital with an 8% floor refuses (credit channel); the neocloud then defaults."""
    bank = copy.deepcopy(BANK)
    bank["opening"] = {"cash": 100.0, "funding": 115.0}  # assets 121 (cash and 21 of loans), equity 6: 5%
    bank["lender"] = {**bank["lender"], "min_capital_ratio": 0.08, "target_capital_ratio": 0.10}
    m = build([neocloud("neo", cash=0.4, gw=1.0)], [loan("neo-loan", "neo", 20.0, rate=0.2), _revolver("neo", 1.0)],
              quarters=1, bank=bank).run()
    assert status(m, "neo") == "defaulted" and not _drawn(m)
    refused = [e for e in m.events if e["kind"] == "revolver_refused"]
    assert refused and refused[0]["entity"] == "bank" and refused[0]["channel"] == "credit"


def test_a_failed_lenders_revolver_cannot_be_drawn():
    """The fund fails in the first quarter; its part-drawn revolver, sold to outside investors, lends no more.

    The good neocloud pays its first quarter's interest from cash and is 0.5 short in the second: with its
    lender gone it defaults, where a revolver from the healthy bank would have carried it.
    """
    funded = {"id": "fund", "name": "Fund", "role": "lender", "opening": {"cash": 1.0}, "lender": {"base_spread_bp": 300}}
    base = [{**loan("to-fund", "fund", 55.0, rate=0.1), "lender": "bank"},
            {**loan("fund-loan", "neo", 60.0, rate=0.5), "lender": "fund"}, loan("gl", "good", 20.0, rate=0.2)]
    companies = [neocloud("neo", gw=1.0), neocloud("good", cash=1.5, gw=1.0), funded]
    m = build(companies, [*base, {**_revolver("good", 1.0), "lender": "fund"}], quarters=2).run()
    assert status(m, "fund") == "defaulted" and status(m, "good") == "defaulted"
    rev = m.book.by_id["rev-good"]
    assert rev.from_party == m.external and rev.undrawn == 0.0 and not _drawn(m)
    healthy = build(companies, [*base, _revolver("good", 1.0)], quarters=2).run()
    assert status(healthy, "good") != "defaulted" and _drawn(healthy) == {"good": pytest.approx(0.5)}


def test_a_revolver_is_drawn_within_its_commitment():
    """A loan drawn above its commitment, or a loan of nothing without one, is refused with the field's name."""
    raw = tiny()
    for terms, message in (({"principal": 5.0, "commitment": 2.0}, "'principal' must be <= 'commitment'"),
                           ({"principal": 0.0}, "'principal' must be > 0")):
        bad = copy.deepcopy(raw)
        bad["contracts"].append({"id": "r", "kind": "loan", "lender": "bank", "borrower": "cloud", "start": "2025Q4",
                                 "maturity": "2027Q4", "fixed_rate_annual": 0.05, **terms})
        with pytest.raises(ConfigError, match=message):
            config_from_dict(bad, "test")
