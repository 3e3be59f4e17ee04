"""Hardware sold into the secondary market in distress (MODEL.md 6a, rung 1), before the firm defaults.

Hand-made worlds (``tests.worlds``, with hardware sales switched on): a neocloud with 1 GW of fresh hardware (34 at book,
33.43 after a quarter's depreciation over 60 quarters), owing 1.0 of interest a quarter and
holding no cash, in a secondary market 50 deep; nobody buys new shares in the quiet world.
"""

from __future__ import annotations

import math

import pytest

from agents.distress import hardware_sale_share
from tests.worlds import build as build_quiet
from tests.worlds import loan, neocloud, status

FLEET = 34.0 * 59 / 60
"""The neocloud's hardware at full resale price in its first quarter (no price decline in the quiet world)."""


def build(companies: list[dict], contracts: list[dict], quarters: int):
    """The quiet world, where firms in distress sell up to a quarter of their fleets (nobody buys their shares)."""
    return build_quiet(companies, contracts, quarters=quarters,
                       world={"distress": {"max_issue_share": 0.0, "hardware_sale_share": 0.25, "reorganisation": False}})


def _sold(m) -> dict[str, float]:
    return {e["entity"]: e["amount"] for e in m.events if e["kind"] == "hardware_sold"}


def test_the_rule_sells_what_covers_the_need_in_a_thin_market_net_of_liens():
    """Hand-computed: 1 short with no liens sells x with 50 ln(1 + x/50) = 1; a cap and an underwater fleet stop it."""
    x = 50 * math.expm1(1 / 50)
    assert hardware_sale_share(1.0, FLEET, 0.0, 1.0, 50.0, 0.25) == pytest.approx(x / FLEET, rel=1e-9)
    assert hardware_sale_share(100.0, FLEET, 0.0, 1.0, 50.0, 0.25) == pytest.approx(0.25)
    assert hardware_sale_share(1.0, FLEET, FLEET, 1.0, 50.0, 0.25) == 0.0  # every dollar goes to the lenders
    assert hardware_sale_share(1.0, FLEET, 0.0, 1.0, math.inf, 0.25) == pytest.approx(1.0 / FLEET)  # no price impact
    assert hardware_sale_share(1.0, FLEET, 0.0, 1.0, 50.0, 0.0) == 0.0  # switched off


def test_a_neocloud_short_of_cash_sells_part_of_its_fleet_and_survives():
    """Hand-computed: it sells 50 (e^0.02 - 1) = 1.0101 of hardware for exactly 1.0; the resale price falls to 1/(1 + x/50)."""
    m = build([neocloud("neo", gw=1.0)], [loan("neo-loan", "neo", 20.0, rate=0.2)], quarters=1).run()
    assert status(m, "neo") != "defaulted"
    x = 50 * math.expm1(1 / 50)
    assert _sold(m) == {"neo": pytest.approx(1.0, rel=1e-9)}
    co = m.company_named("neo")
    assert co.fleet.hardware_gw == pytest.approx(1.0 - x / FLEET, rel=1e-9)
    assert m.market.resale_factor == pytest.approx(1 / (1 + x / 50), rel=1e-9)
    # what the thin market took off today's value is the seller's loss
    rows = [r for r in m.losses if r["kind"] == "sale_discount" and r["holder"] == "neo"]
    assert rows and rows[0]["source"] == "hardware" and rows[0]["amount"] == pytest.approx(x - 1.0, rel=1e-6)
    m.check_invariants()


def test_lenders_secured_on_the_hardware_are_repaid_the_share_sold():
    """Hand-computed: with 20 lent on the hardware it nets 50 ln(1 + x/50) - 20 x / 33.43 = 1; the lender gets its share."""
    m = build([neocloud("neo", gw=1.0)], [loan("neo-loan", "neo", 20.0, rate=0.2, collateral="hardware",
                                                seniority="senior_secured")], quarters=1).run()
    assert status(m, "neo") != "defaulted"
    share = hardware_sale_share(1.0, FLEET, 20.0, 1.0, 50.0, 0.25)
    x = share * FLEET
    assert 50 * math.log1p(x / 50) - 20.0 * share == pytest.approx(1.0, rel=1e-9)
    assert m.book.by_id["neo-loan"].principal == pytest.approx(20.0 * (1 - share), rel=1e-9)


def test_sales_on_the_same_day_are_one_block_shared_pro_rata_in_either_order():
    """Two neoclouds short by 1.0 and 2.0 sell in one block: each gets the block's proceeds by the value it sold."""
    results = []
    for order in (["a", "b"], ["b", "a"]):
        contracts = {"a": loan("a-loan", "a", 20.0, rate=0.2), "b": loan("b-loan", "b", 40.0, rate=0.2)}
        m = build([neocloud(x, gw=1.0) for x in order], [contracts[x] for x in order], quarters=1).run()
        results.append((_sold(m), m.market.resale_factor))
    assert results[0][0] == pytest.approx(results[1][0]) and results[0][1] == pytest.approx(results[1][1], rel=1e-12)
    sold = results[0][0]
    xa, xb = 50 * math.expm1(1 / 50), 50 * math.expm1(2 / 50)
    block = 50 * math.log1p((xa + xb) / 50)
    assert sold["a"] == pytest.approx(block * xa / (xa + xb), abs=1e-6)  # events are rounded to 6 decimals
    assert sold["b"] == pytest.approx(block * xb / (xa + xb), abs=1e-6)


def test_a_firm_short_two_quarters_running_sells_once_then_issues_shares():
    """The cap runs over four quarters: short 10 a quarter, it sells a quarter of its fleet once, then only new shares.

    Hand-computed: a quarter of the fleet (8.36 at full price) fetches 50 ln(1 + 8.36/50) = 7.73 in the first quarter,
    and new shares the other 2.27; in the next three quarters the year's allowance is used, so it sells 10 of new shares
    each; in the fifth the first sale has left the window and it may sell hardware again.
    """
    neo = {**neocloud("neo", gw=1.0), "market_value": 100.0}
    m = build_quiet([neo], [loan("neo-loan", "neo", 40.0, rate=1.0)], quarters=5,
                    world={"distress": {"max_issue_share": 0.5, "hardware_sale_share": 0.25, "reorganisation": False}}).run()
    assert status(m, "neo") != "defaulted"
    sales = [(e["quarter"], e["amount"]) for e in m.events if e["kind"] == "hardware_sold"]
    issues = {e["quarter"]: e["amount"] for e in m.events if e["kind"] == "distressed_issue"}
    first = 50 * math.log1p(0.25 * FLEET / 50)
    assert sales[0] == ("2026Q1", pytest.approx(first, abs=1e-6))
    assert [q for q, _amount in sales] == ["2026Q1", "2027Q1"]
    assert issues["2026Q1"] == pytest.approx(10.0 - first, abs=1e-6)
    assert [issues[q] for q in ("2026Q2", "2026Q3", "2026Q4")] == pytest.approx([10.0] * 3)
    # the second sale is a quarter of what is left, a year after the first
    assert m.company_named("neo").fleet.hardware_gw == pytest.approx(0.75 * 0.75, rel=1e-9)
    m.check_invariants()
