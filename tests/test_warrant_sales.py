"""Vested warrants sold in distress (MODEL.md 6a, rung 1): a firm short of cash sells the claim, the dilution stays.

A hand-made world (``tests.worlds``): a lab with 1 in cash and costs of 1 a quarter holds a
fully vested warrant on a tenth of another lab at strike 0; in its second quarter it is 1
short, and nobody buys its own shares.
"""

from __future__ import annotations

import pytest

from economy.contracts import Warrant
from tests.worlds import DOOMED_LAB, build, status

ISSUER = {"id": "issuer", "name": "Issuer", "role": "lab", "market_value": 100.0, "shares_outstanding": 1.0,
          "opening": {"cash": 10.0}, "lab": {"market_share": 0.0, "opex_quarterly": 0.0, "revenue_per_gw_quarter_max": 10.0}}
WARRANT = {"id": "w", "kind": "warrant", "issuer": "issuer", "holder": "doomed", "shares": 0.1, "strike": 0.0,
           "vesting": [{"gw": 0.0, "share_fraction": 1.0}], "start": "2025Q4"}


def _run(quarters: int):
    holder = {**DOOMED_LAB, "opening": {"cash": 1.0}}
    return build([holder, ISSUER], [WARRANT], quarters=quarters)


def test_a_firm_short_of_cash_sells_its_vested_warrant_at_the_holding_discount():
    """Hand-computed: 1.0 short, it sells 1.0 / 0.9 of its warrant's mark for 1.0; the outside buyers hold that claim."""
    m = _run(1).run()
    w = m.book.by_id["w"]
    mark, open_before = w.amount, w.open_shares()
    assert mark > 10 * 1.0 / 0.9 * 0.1  # worth far more than the need: only part is sold
    m.step()
    assert status(m, "doomed") != "defaulted"
    sold = [e for e in m.events if e["kind"] == "warrant_sold"]
    assert len(sold) == 1 and sold[0]["amount"] == pytest.approx(1.0, abs=1e-6)
    take = 1.0 / (0.9 * mark)
    outside = [c for c in m.book.of_kind(Warrant) if c.to_party == m.external]
    assert len(outside) == 1 and outside[0].shares == pytest.approx(take * open_before, rel=1e-9)
    # the claim on the issuer is the same: part the holder's, part the outside buyers'
    assert w.open_shares() + outside[0].open_shares() == pytest.approx(open_before, rel=1e-12)
    rows = [r for r in m.losses if r["kind"] == "sale_discount" and r["holder"] == "doomed"]
    assert rows and rows[0]["source"] == "issuer" and rows[0]["amount"] == pytest.approx(take * mark * 0.1, rel=1e-6)
    m.check_invariants()
