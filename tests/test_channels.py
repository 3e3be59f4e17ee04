"""Each contagion channel alone causes a default in a small world, and switching it off prevents it."""

from __future__ import annotations

import pytest

from economy.ledger import Account
from tests.worlds import DOOMED_LAB, build, causes, loan, neocloud, status


def _payment_world(channels=None, policy="none", journal=False):
    # the doomed lab owes the neocloud 10 a quarter of rent; the neocloud owes the bank 2.5 of interest.
    # The demand channel is off throughout, so the lost contract itself does no harm: only the unpaid rent can.
    channels = {"demand": False, **(channels or {})}
    rent = {"id": "rent", "kind": "compute", "buyer": "doomed", "seller": "neo", "total_value": 40.0, "gw": 1.0,
            "start": "2026Q1", "quarters": 4}
    m = build([DOOMED_LAB, neocloud("neo", gw=1.0)], [rent, loan("neo-loan", "neo", 100.0)], channels, policy=policy)
    m.ledger.keep_journal = journal
    return m.run()


def test_payment_channel_carries_a_debtors_shortfall():
    """The neocloud cannot pay its interest because the lab did not pay its rent; the default is blamed on the lab."""
    m = _payment_world()
    assert status(m, "doomed") == "defaulted"
    assert status(m, "neo") == "defaulted"
    neo = [row for row in m.cascade if row["entity"] == "neo"]
    assert {row["channel"] for row in neo} == {"payment"}
    assert neo[0]["caused_by"] == "doomed" and neo[0]["quarter"] == "2026Q1"


def test_payment_channel_off_creditors_are_made_whole():
    """With the payment channel off the neocloud is paid from outside and survives; the lab still fails."""
    m = _payment_world({"payment": False}, journal=True)
    assert status(m, "doomed") == "defaulted"
    assert status(m, "neo") in ("healthy", "distressed")
    # the outside sector took the unpaid rent over as a claim on the lab, and wrote it off when the lab failed
    led = m.ledger
    doomed, outside = led.names.index("doomed"), m.external
    assert led.balance(doomed, Account.PAYABLES) == pytest.approx(0.0, abs=1e-9)
    assert led.balance(outside, Account.RECEIVABLES) == pytest.approx(0.0, abs=1e-9)
    assert any("dues taken over from outside" in p.memo and "written off" in p.memo for p in led.journal)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("channel", ["payment", "equity", "collateral", "credit", "confidence", "demand"])
def test_baseline_with_one_channel_off_keeps_its_books(channel, seed):
    """Switching any one channel off is a valid experiment: the baseline runs its 32 quarters with its books intact."""
    from economy.config import load_config, with_overrides
    from model import AIFinanceModel

    cfg = with_overrides(load_config("configs/baseline.yaml"), {f"channels.{channel}": False, "run.seed": seed})
    m = AIFinanceModel(config=cfg).run()  # the model checks every invariant each quarter and raises on a breach
    assert m.steps == cfg.run.quarters == 32
    m.check_invariants()


def _equity_world(channels=None):
    # the investor's only asset is half of the doomed lab; its loan is 45
    investor = {"id": "inv", "name": "Investor", "role": "investor", "opening": {"cash": 1.0},
                "investor": {"lender": "bank", "max_loan_to_value": 0.99}}
    stake = {"id": "stake", "kind": "equity_stake", "holder": "inv", "issuer": "doomed", "fraction": 0.5}
    return build([DOOMED_LAB, investor], [stake, loan("inv-loan", "inv", 45.0, rate=0.0)], channels).run()


def test_equity_channel_wipes_out_a_holder():
    """The lab's failure makes its stake worthless; the investor's equity turns negative and it fails."""
    m = _equity_world()
    assert status(m, "inv") == "defaulted"
    assert "equity" in causes(m, "inv")


def test_equity_channel_off_holders_keep_their_marks():
    """With the equity channel off the stake keeps its last value and the investor stays solvent."""
    m = _equity_world({"equity": False})
    assert status(m, "doomed") == "defaulted"
    assert status(m, "inv") != "defaulted"


def _collateral_world(channels=None):
    # big fails on its interest; its 5 GW are fire-sold into a thin market; small's loan sits at 75% of its
    # collateral against an 85% covenant, with no cash to cure (depreciation alone would take 8 quarters to breach it)
    big = neocloud("big", gw=5.0)
    small = neocloud("small", gw=1.0)
    value = 1.0 * 50.0 * 0.68  # fresh hardware at full price
    return build([big, small], [
        loan("big-loan", "big", 150.0, collateral="hardware", seniority="senior_secured"),
        loan("small-loan", "small", 0.75 * value, rate=0.0, collateral="hardware", seniority="senior_secured",
             covenants={"max_ltv": 0.85}),
    ], channels).run()


def test_collateral_channel_fire_sale_breaks_another_borrowers_covenant():
    """Seized hardware sold into a thin market marks down the other loan's collateral below its covenant."""
    m = _collateral_world()
    assert status(m, "big") == "defaulted"
    assert status(m, "small") == "defaulted"
    assert "collateral" in causes(m, "small")


def test_collateral_channel_off_no_fire_sale_discount():
    """With the collateral channel off the hardware sells at full value and the covenant holds."""
    m = _collateral_world({"collateral": False})
    assert status(m, "big") == "defaulted"
    assert status(m, "small") == "healthy"


def _credit_world(channels=None):
    # the bank loses ~86 on big (120 lent, its hardware fire-sold and its shells sold from the estate);
    # small must roll 20 a quarter later, which the bank can do only if not tightening
    return build([neocloud("big", gw=1.0), neocloud("small", cash=3.0, gw=1.0)], [
        loan("big-loan", "big", 120.0),
        loan("small-loan", "small", 20.0, rate=0.0, maturity="2026Q2"),
    ], channels).run()


def test_credit_channel_lender_tightens_after_losses():
    """After its loss the bank will not roll the other borrower's maturing loan, which then defaults."""
    m = _credit_world()
    assert status(m, "big") == "defaulted"
    assert status(m, "small") == "defaulted"
    assert "credit" in causes(m, "small")
    assert any(e["kind"] == "refinancing_refused" for e in m.events)


def test_credit_channel_off_loan_is_rolled():
    """With the credit channel off the bank's losses do not make it tighten, so it rolls the loan."""
    m = _credit_world({"credit": False})
    assert status(m, "small") == "healthy"
    assert any(e["kind"] == "refinanced" for e in m.events)


def _confidence_world(channels=None):
    # one default sinks sentiment; a lab that must raise money next quarter then cannot
    lab = {"id": "lab", "name": "Lab", "role": "lab", "market_value": 50.0, "opening": {"cash": 3.0},
           "capacity": {"gw": 0.1, "hardware_book": 3.0},
           "lab": {"market_share": 0.1, "opex_quarterly": 2.0, "revenue_per_gw_quarter_max": 10.0}}
    return build([DOOMED_LAB, lab], [], channels).run()


def test_confidence_channel_a_default_closes_the_funding_window():
    """After the first default sentiment falls so far that the other lab's round fails and it defaults."""
    m = _confidence_world()
    assert status(m, "doomed") == "defaulted"
    assert status(m, "lab") == "defaulted"
    assert "confidence" in causes(m, "lab")


def test_confidence_channel_off_the_round_succeeds():
    """With the confidence channel off defaults do not move sentiment and the round fills."""
    m = _confidence_world({"confidence": False})
    assert status(m, "lab") == "healthy"
    assert any(e["kind"] == "funding_round" and e["entity"] == "lab" for e in m.events)


def _demand_world(channels=None):
    # the lab fails before its rent starts; the seller has cash for one quarter's interest, then only that contract
    rent = {"id": "rent", "kind": "compute", "buyer": "doomed", "seller": "neo", "total_value": 40.0, "gw": 1.0,
            "start": "2026Q2", "quarters": 4}
    return build([DOOMED_LAB, neocloud("neo", cash=3.0, gw=1.0)], [rent, loan("neo-loan", "neo", 100.0)], channels).run()


def test_demand_channel_a_failed_buyer_takes_its_orders_with_it():
    """The seller loses the failed lab's contract and then cannot pay its interest."""
    m = _demand_world()
    assert status(m, "neo") == "defaulted"
    assert "demand" in causes(m, "neo")


def test_demand_channel_off_another_buyer_takes_the_contract():
    """With the demand channel off outside buyers take over the contract and the seller survives."""
    m = _demand_world({"demand": False})
    assert status(m, "doomed") == "defaulted"
    assert status(m, "neo") in ("healthy", "distressed")


@pytest.mark.parametrize("policy, rescued", [("backstop", True), ("discretionary", True), ("none", False)])
def test_rescue_follows_policy(policy, rescued):
    """Under a backstop or discretionary policy a systemically important firm is rescued at a fiscal cost; under none it fails."""
    m = _payment_world(policy=policy)
    if rescued:
        assert status(m, "doomed") == "rescued"
        assert m.fiscal_cost > 0
        assert status(m, "neo") in ("healthy", "distressed")
        assert any(e["kind"] == "rescue" for e in m.events)
    else:
        assert status(m, "doomed") == "defaulted"
        assert m.fiscal_cost == 0
