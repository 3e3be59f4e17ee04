"""Renegotiation of running take-or-pay contracts (MODEL.md 6a, rung 3): sellers give way when a buyer's failure costs more.

Hand-made worlds (``tests.worlds``): a lab with 5 in cash and no revenue rents 1 GW from
each of two neoclouds for four quarters (6 and 4 a quarter). Its first quarter's rent of
10 finds it 5 short; nobody buys its shares in the quiet world, so only its sellers can
save it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.renegotiation import Concession, accept_concession, concession_cost, loss_if_buyer_fails
from economy.concessions import concede_dues
from economy.config import Distress, load_config, with_overrides
from economy.contracts import ComputeContract, Obligation, State
from economy.ledger import Account
from model import AIFinanceModel
from tests.worlds import build, neocloud, status

ROOT = Path(__file__).resolve().parents[1]
WINTER = ROOT / "configs" / "scenarios" / "ai_winter.yaml"


def _lab(cash: float = 5.0) -> dict:
    return {"id": "lab", "name": "Lab", "role": "lab", "market_value": 100.0, "opening": {"cash": cash},
            "lab": {"market_share": 0.0, "opex_quarterly": 0.0, "revenue_per_gw_quarter_max": 10.0}}


def _rent(cid: str, seller: str, value: float, quarters: int = 4) -> dict:
    return {"id": cid, "kind": "compute", "buyer": "lab", "seller": seller, "total_value": value, "gw": 1.0,
            "start": "2026Q1", "quarters": quarters}


def _two_sellers(reverse: bool = False, world: dict | None = None):
    companies = [_lab(), neocloud("a", cash=10.0, gw=1.0), neocloud("b", cash=10.0, gw=1.0)]
    contracts = [_rent("ra", "a", 24.0), _rent("rb", "b", 16.0)]
    if reverse:
        companies, contracts = companies[::-1], contracts[::-1]
    return build(companies, contracts, quarters=1, world=world).run()


def _conceded(m) -> dict[str, float]:
    return {e["entity"]: e["amount"] for e in m.events if e["kind"] == "contract_renegotiated"}


# ---------------------------------------------------------------- the rule
def test_a_seller_accepts_when_its_concession_costs_less_than_the_buyers_failure():
    """Hand-computed: 3 asked of 3 due with 18 of backlog costs 1.5 + 0.2 x 1.5 = 1.8 against 18 + 0.7 x 3 = 20.1."""
    p = Distress()
    assert concession_cost(3.0, 3.0, p) == (Concession(1.5, 1.5), pytest.approx(1.8))
    assert loss_if_buyer_fails(3.0, 18.0, p) == pytest.approx(20.1)
    assert accept_concession(3.0, 3.0, 18.0, 3.0, p) == Concession(1.5, 1.5)


def test_a_seller_refuses_when_its_concession_costs_more_than_the_buyers_failure():
    """Hand-computed: 5 asked of 5 due in a contract's last quarter is all haircut, 5, against 0.7 x 5 = 3.5 lost."""
    p = Distress()
    assert accept_concession(5.0, 5.0, 0.0, 0.0, p) is None
    # asked for less than it would lose anyway it gives way even without backlog: 3 forgiven < 0.7 x 5
    assert accept_concession(3.0, 5.0, 0.0, 0.0, p) == Concession(3.0, 0.0)
    assert accept_concession(6.0, 5.0, 100.0, 6.0, p) is None  # more than is due cannot be conceded
    assert accept_concession(3.0, 3.0, 18.0, 3.0, Distress(renegotiation=False)) is None  # switched off


def test_a_concession_lowers_the_due_and_moves_the_delay_onto_the_remaining_instalments():
    """Hand-computed: 1.5 deferred over the 3 quarters left of a 6-a-quarter rental raises its price to 6.5."""
    c = ComputeContract("ra", "compute", 0, 1, 24.0, 1, 4, gw=1.0)
    ob = Obligation(c, 0, 1, 6.0, Account.COMPUTE_COST, Account.REVENUE, "compute rental", paid=3.0)
    concede_dues(ob, 1.5, 1.5, 1)
    assert (ob.amount, c.amount, c.price, c.remaining_value(2)) == (3.0, 22.5, 6.5, 19.5)
    assert c.state is State.RENEGOTIATED
    with pytest.raises(ValueError, match="cannot concede"):
        concede_dues(ob, 1.0, 0.0, 1)  # nothing is left unpaid


# ---------------------------------------------------------------- in the default phase
def test_two_sellers_share_the_gap_pro_rata_and_the_buyer_survives():
    """Hand-computed: the lab pays 5 of 10 pro rata (3 to a, 2 to b); a concedes 3 and b 2, half forgiven, half deferred."""
    m = _two_sellers()
    assert status(m, "lab") != "defaulted"
    assert _conceded(m) == {"a": pytest.approx(3.0), "b": pytest.approx(2.0)}
    assert m.book.by_id["ra"].price == pytest.approx(6.0 + 1.5 / 3)
    assert m.book.by_id["rb"].price == pytest.approx(4.0 + 1.0 / 3)
    assert m.book.by_id["ra"].amount == pytest.approx(24.0 - 1.5)
    # no money moved: the forgiven part is revenue the sellers never booked, not a write-off
    assert not [r for r in m.losses if r["source"] == "lab"]
    m.check_invariants()


def test_the_sellers_share_does_not_depend_on_the_order_of_the_lists():
    """Companies and contracts listed the other way round give the same concessions and prices."""
    one, other = _two_sellers(), _two_sellers(reverse=True)
    assert _conceded(one) == pytest.approx(_conceded(other))
    for cid in ("ra", "rb"):
        assert one.book.by_id[cid].price == pytest.approx(other.book.by_id[cid].price, rel=1e-12)


def test_a_seller_with_nothing_to_save_refuses_and_the_buyer_defaults():
    """A rental in its last quarter has no backlog and nothing to defer to: its seller lets the buyer fail."""
    m = build([_lab(), neocloud("a", cash=10.0, gw=1.0)], [_rent("ra", "a", 10.0, quarters=1)], quarters=1).run()
    assert status(m, "lab") == "defaulted"
    assert not _conceded(m)


def test_a_contract_is_renegotiated_once():
    """Short again the next quarter, the lab fails: its sellers have given way once already."""
    companies = [_lab(), neocloud("a", cash=10.0, gw=1.0), neocloud("b", cash=10.0, gw=1.0)]
    m = build(companies, [_rent("ra", "a", 24.0), _rent("rb", "b", 16.0)], quarters=2).run()
    assert status(m, "lab") == "defaulted"
    assert len(_conceded(m)) == 2 and {e["quarter"] for e in m.events if e["kind"] == "contract_renegotiated"} == {"2026Q1"}


def test_switched_off_no_seller_gives_way():
    """With ``distress.renegotiation: false`` the same lab defaults in its first quarter."""
    m = _two_sellers(world={"distress": {"max_issue_share": 0.0, "renegotiation": False, "reorganisation": False}})
    assert status(m, "lab") == "defaulted" and not _conceded(m)


@pytest.mark.parametrize("seed", [0, 3])
def test_in_the_ai_winter_openais_clouds_give_way(seed):
    """In the AI winter the clouds renting to OpenAI concede on its dues; switched off, nobody does.

    Other labs' sellers may give way too (seed 0: Microsoft on Anthropic's, valued on its fading growth since the
    multiple follows forward growth), but only to labs, the buyers of compute.
    """
    cfg = load_config(WINTER)
    m = AIFinanceModel(config=cfg, seed=seed).run()
    events = [e for e in m.events if e["kind"] == "contract_renegotiated"]
    assert any(e["counterparty"] == "openai" for e in events)
    assert all(e["counterparty"] in ("openai", "anthropic") for e in events)
    off = AIFinanceModel(config=with_overrides(cfg, {"world.distress.renegotiation": False}), seed=seed).run()
    assert not [e for e in off.events if e["kind"] == "contract_renegotiated"]
