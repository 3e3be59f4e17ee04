"""Tests for economy.contracts: every contract kind's schedule, computed by hand."""

from __future__ import annotations

import pytest

from economy.contracts import (
    Backstop,
    ComputeContract,
    DueContext,
    InvestmentCommitment,
    Loan,
    RevenueShare,
    State,
    Warrant,
)
from economy.ledger import Account

CTX = DueContext(policy_rate_annual=0.04, rent_price_index=1.0)


def _rental(**kw) -> ComputeContract:
    args = dict(id="c", kind="compute", from_party=0, to_party=1, amount=48.0, start=1, end=8, gw=2.0, ramp=1)
    args.update(kw)
    return ComputeContract(**args)


def test_rental_ramps_then_holds_and_prices_per_gw_quarter():
    """A rental ramps linearly to its GW and is priced at value / scheduled GW-quarters."""
    c = _rental()
    # ramp 1: quarter 1 at half (1 GW), quarters 2..8 at 2 GW -> 1 + 7*2 = 15 GW-quarters; 48 / 15 = 3.2
    assert [c.scheduled_gw(q) for q in (0, 1, 2, 8, 9)] == [0.0, 1.0, 2.0, 2.0, 0.0]
    assert c.price == pytest.approx(3.2)
    assert c.remaining_value(1) == pytest.approx(48.0)
    assert c.remaining_value(5) == pytest.approx(3.2 * 8)


def test_rental_bills_only_what_the_seller_delivered():
    """Take-or-pay bills the capacity made available; a seller that built less is paid less."""
    c = _rental()
    c.allocated_gw = 1.5
    (ob,) = c.obligations(2, CTX)
    assert (ob.payer, ob.payee) == (0, 1)
    assert ob.amount == pytest.approx(1.5 * 3.2)
    assert ob.payer_debit is Account.COMPUTE_COST and ob.payee_credit is Account.REVENUE
    ob.paid = ob.amount
    c.settled(2, [ob])
    assert c.delivered_value == pytest.approx(4.8)


def test_rental_already_partly_delivered_prices_the_rest():
    """Value delivered before the run is taken off before pricing the remaining schedule."""
    c = _rental(start=-3, end=4, ramp=0, delivered_value=16.0)
    # remaining quarters 1..4 at 2 GW = 8 GW-quarters for 48 - 16 = 32 -> 4.0
    assert c.price == pytest.approx(4.0)


def test_purchase_delivers_equal_parts_and_splits_binding_share():
    """A purchase delivers GW evenly; only the binding share must be taken."""
    c = ComputeContract(id="p", kind="compute", from_party=0, to_party=1, amount=60.0, start=1, end=4, payment="purchase",
                        gw=2.0, binding_share=0.25)
    assert c.price == pytest.approx(30.0)  # $B per GW
    assert c.scheduled_gw(1) == pytest.approx(0.5)
    assert c.binding_gw(1) == pytest.approx(0.5)  # binding 0.5 GW of the 2 GW, all in quarter 1
    c.delivered_gw = 0.5
    assert c.binding_gw(2) == 0.0
    c.allocated_gw = 0.5
    (ob,) = c.obligations(2, CTX)
    assert ob.amount == pytest.approx(15.0)
    assert ob.payer_debit is Account.HARDWARE
    ob.paid = 7.5
    c.settled(2, [ob])
    assert c.delivered_gw == pytest.approx(0.75)  # half paid -> half delivered


def test_bullet_loan_pays_interest_then_principal_at_maturity():
    """A fixed-rate bullet loan owes rate/4 of principal each quarter and the principal at maturity."""
    loan = Loan(id="l", kind="loan", from_party=5, to_party=1, amount=100.0, start=0, end=3, principal=100.0,
                fixed_rate_annual=0.06)
    obs = loan.obligations(1, CTX)
    assert len(obs) == 1 and obs[0].amount == pytest.approx(1.5)
    assert (obs[0].payer, obs[0].payee) == (1, 5)
    interest, principal = loan.obligations(3, CTX)
    assert interest.amount == pytest.approx(1.5)
    assert principal.amount == pytest.approx(100.0)
    assert principal.payer_debit is Account.DEBT and principal.payee_credit is Account.LOANS_HELD
    interest.paid, principal.paid = interest.amount, principal.amount
    loan.settled(3, [interest, principal])
    assert loan.principal == 0.0 and loan.state is State.MATURED


def test_floating_linear_loan_amortises_in_equal_parts():
    """A floating loan pays policy + spread; linear amortisation repays equal parts to maturity."""
    loan = Loan(id="l", kind="loan", from_party=5, to_party=1, amount=40.0, start=0, end=4, principal=40.0,
                spread_bp=250.0, amortisation="linear")
    assert loan.rate_annual(0.04) == pytest.approx(0.065)
    paid = []
    for q in range(1, 5):
        obs = loan.obligations(q, CTX)
        for ob in obs:
            ob.paid = ob.amount
        paid.append([round(ob.amount, 6) for ob in obs])
        loan.settled(q, obs)
    # principal 40 over 4 quarters = 10 each; interest 6.5%/4 on 40, 30, 20, 10
    assert paid == [[0.65, 10.0], [0.4875, 10.0], [0.325, 10.0], [0.1625, 10.0]]
    assert loan.state is State.MATURED


def test_interest_only_period_defers_amortisation():
    """With an interest-only period, principal is repaid in equal parts only after it."""
    loan = Loan(id="l", kind="loan", from_party=5, to_party=1, amount=20.0, start=0, end=4, principal=20.0,
                fixed_rate_annual=0.0, amortisation="linear", interest_only_until=2)
    assert [loan.principal_due(q) for q in (1, 2)] == [0.0, 0.0]
    assert loan.principal_due(3) == pytest.approx(10.0)


def test_revenue_share_is_a_share_of_the_quarter():
    """A revenue share owes its share of the payer's revenue this quarter."""
    c = RevenueShare(id="r", kind="revenue_share", from_party=0, to_party=1, amount=0.0, start=1, end=None, share=0.2)
    c.base = 12.5
    (ob,) = c.obligations(3, CTX)
    assert ob.amount == pytest.approx(2.5)


def test_commitment_tranches_follow_delivered_gw():
    """A GW-triggered commitment offers one tranche per GW delivered, never more than the maximum."""
    c = InvestmentCommitment(id="i", kind="investment_commitment", from_party=2, to_party=0, amount=25.0, start=0,
                             end=None, tranche=10.0, trigger="gw_delivered", gw_per_tranche=1.0)
    assert c.due_tranche(0.9, 1, False) == 0.0
    assert c.due_tranche(1.0, 1, False) == 10.0
    c.released = 10.0
    assert c.due_tranche(1.5, 2, False) == 0.0
    c.released = 20.0
    assert c.due_tranche(3.0, 3, False) == 5.0  # only 5 left of 25


def test_declined_tranche_is_not_offered_again_for_the_same_trigger():
    """Once an investor declines a tranche, the next one needs the next trigger."""
    c = InvestmentCommitment(id="i", kind="investment_commitment", from_party=2, to_party=0, amount=100.0, start=0,
                             end=None, tranche=10.0, trigger="gw_delivered", gw_per_tranche=1.0)
    c.declined = 1
    assert c.due_tranche(1.0, 1, False) == 0.0
    assert c.due_tranche(2.0, 2, False) == 10.0


def test_scheduled_commitment_offers_tranches_on_dates():
    """A scheduled commitment offers a tranche on each listed quarter."""
    c = InvestmentCommitment(id="i", kind="investment_commitment", from_party=2, to_party=0, amount=1.4, start=0,
                             end=None, tranche=0.35, trigger="scheduled", trigger_quarters=(1, 2, 3, 4))
    assert c.due_tranche(0.0, 2, False) == pytest.approx(0.35)
    c.released = 0.7
    assert c.due_tranche(0.0, 2, False) == 0.0


def test_warrant_vests_by_gw_and_price_and_never_unvests():
    """A step vests when its GW and price hurdle are both met; a later price fall keeps it vested."""
    w = Warrant(id="w", kind="warrant", from_party=1, to_party=0, amount=0.0, start=0, end=None, shares=0.16, strike=0.01,
                steps=((1.0, 0.5, 0.0), (2.0, 0.5, 300.0)))
    assert w.vest(1.0, 200.0) == pytest.approx(0.5)
    assert w.vest(2.0, 250.0) == pytest.approx(0.5)  # price hurdle not met
    assert w.vest(2.0, 310.0) == pytest.approx(1.0)
    assert w.vest(2.0, 100.0) == pytest.approx(1.0)
    # 0.16B shares x (100 - 0.01) = 15.9984 $B
    assert w.fair_value(100.0) == pytest.approx(15.9984)


def test_backstop_pays_for_idle_capacity_up_to_its_maximum():
    """A capacity backstop pays the value of idle capacity until its maximum is used."""
    b = Backstop(id="b", kind="backstop", from_party=2, to_party=1, amount=6.3, start=0, end=20)
    b.idle_value = 4.0
    (ob,) = b.obligations(1, CTX)
    ob.paid = ob.amount
    b.settled(1, [ob])
    (ob2,) = b.obligations(2, CTX)
    assert ob2.amount == pytest.approx(2.3)


def test_closed_contract_owes_nothing():
    """A terminated contract has no obligations."""
    c = _rental()
    c.allocated_gw = 2.0
    c.close(State.TERMINATED, 2)
    assert c.obligations(3, CTX) == [] and c.ended == 2
