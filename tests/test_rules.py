"""Each role's decision rule responds in its documented direction (property tests on the pure rules)."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.base import Status, View
from agents.builder import build_budget, capacity_gap, spot_appetite
from agents.chipmaker import TrancheDue, choose_tranches, release_tranche
from agents.decisions import HoldBackTranche, RefuseRoll, ReleaseTranche, RollLoan
from agents.government import rescue_decision
from agents.investor import margin_call
from agents.lab import (
    Cancel,
    Renegotiate,
    choose_optional_deliveries,
    compute_gap,
    funding_round,
    health_score,
    relief,
    round_take_up,
)
from agents.lender import CreditConditions, credit_leverage, decide_roll, lending_decision
from economy.config import LabParams, LenderParams

LAB = LabParams(market_share=0.5, opex_quarterly=2.0, revenue_per_gw_quarter_max=6.0, min_runway_quarters=4,
                target_runway_quarters=8)
LENDER = LenderParams(base_spread_bp=200, leverage_spread_bp=300, max_borrower_debt_to_assets=0.7)
share = st.floats(0, 1)
money = st.floats(0, 1000)


def view(cash=40.0, burn=5.0, revenue=5.0, growth=0.5, compute=2.0, value=500.0) -> View:
    return View(quarter=4, cash=cash, debt=0.0, total_assets=cash, revenue_q=revenue, ai_revenue_q=revenue,
                ai_revenue_growth_yoy=growth, burn_q=burn, runway_q=cash / burn if burn > 0 else math.inf,
                capacity_gw=0.0, compute_gw=compute, market_value=value, status=Status.HEALTHY)


@given(st.floats(0, 100), st.floats(0, 100), st.floats(-1, 3))
def test_health_never_falls_with_more_runway(cash_a, cash_b, growth):
    """A lab with more cash (the same burn and growth) is never judged less healthy."""
    lo, hi = sorted((cash_a, cash_b))
    assert health_score(view(cash=lo, growth=growth), LAB, 0.5) <= health_score(view(cash=hi, growth=growth), LAB, 0.5)


@given(share, share, money, money)
def test_lower_investee_health_never_releases_more(h1, h2, cash, amount):
    """Nvidia's tranche rule: if a healthier investee is refused, a less healthy one is refused too."""
    lo, hi = sorted((h1, h2))
    if not release_tranche(hi, 0.5, cash, amount, 0.0):
        assert not release_tranche(lo, 0.5, cash, amount, 0.0)


def test_tranche_needs_threshold_and_cash():
    """A tranche is released only when health clears the threshold and the investor keeps its cash floor."""
    assert release_tranche(0.6, 0.5, 100.0, 10.0, 50.0)
    assert not release_tranche(0.4, 0.5, 100.0, 10.0, 50.0)
    assert not release_tranche(0.6, 0.5, 55.0, 10.0, 50.0)


def test_an_investor_short_of_means_funds_the_binding_tranche_then_the_healthiest():
    """Hand case: 25 of means, a binding 10 and two discretionary 10s -> the binding one and the healthier investee."""
    due = [TrancheDue("weak", 10.0, False, 0.6, 0.5), TrancheDue("strong", 10.0, False, 0.9, 0.5),
           TrancheDue("owed", 10.0, True, 0.1, 0.5)]
    assert choose_tranches(due, 25.0, 0.0) == [ReleaseTranche("owed", 10.0), ReleaseTranche("strong", 10.0),
                                               HoldBackTranche("weak", 10.0, 0.6, 0.5)]


tranches = st.lists(st.tuples(st.floats(0.1, 50.0), st.booleans(), st.floats(0.0, 1.0), st.floats(0.0, 1.0)),
                    min_size=1, max_size=6)


@settings(max_examples=100, deadline=None)
@given(tranches, st.floats(0.0, 200.0), st.randoms(use_true_random=False))
def test_which_tranches_are_released_does_not_depend_on_their_order(spec, means, rnd):
    """Any permutation of the tranches due gives the same decisions, and discretionary releases never exceed the means."""
    due = [TrancheDue(f"c{i}", amount, binding, health, threshold) for i, (amount, binding, health, threshold) in enumerate(spec)]
    shuffled = list(due)
    rnd.shuffle(shuffled)
    decisions = choose_tranches(due, means, 0.0)
    assert decisions == choose_tranches(shuffled, means, 0.0)
    is_binding = {t.contract_id: t.binding for t in due}
    optional = sum(d.amount for d in decisions if isinstance(d, ReleaseTranche) and not is_binding[d.contract_id])
    binding = sum(t.amount for t in due if t.binding)
    assert optional <= max(0.0, means - binding) + 1e-9


@given(st.floats(0, 50), st.floats(0, 50), st.floats(0, 20), st.floats(0, 20))
def test_capacity_gap_grows_with_need_and_shrinks_with_pipeline(need_a, need_b, installed, pipeline):
    """Builders build more for more contracted need, and less when more is already installed or under way."""
    lo, hi = sorted((need_a, need_b))
    assert capacity_gap(lo, installed, pipeline, 0.0) <= capacity_gap(hi, installed, pipeline, 0.0)
    assert capacity_gap(hi, installed, pipeline + 1.0, 0.0) <= capacity_gap(hi, installed, pipeline, 0.0)
    assert capacity_gap(hi, installed, pipeline, 1.0) >= capacity_gap(hi, installed, pipeline, 0.0)


@given(st.floats(0.1, 10), st.floats(0.1, 10), st.floats(0.01, 0.3))
def test_spot_appetite_rises_with_rent_and_falls_with_funding_cost(rent_a, rent_b, rate):
    """A builder builds more for the spot market when rent is higher and less when its money costs more."""
    lo, hi = sorted((rent_a, rent_b))
    args = dict(utilisation=0.8, hosting_per_gw_quarter=0.3, capex_per_gw=50.0, depreciation_per_gw_year=6.0)
    assert spot_appetite(lo, funding_rate_annual=rate, **args) <= spot_appetite(hi, funding_rate_annual=rate, **args)
    assert spot_appetite(hi, funding_rate_annual=rate * 2, **args) <= spot_appetite(hi, funding_rate_annual=rate, **args)
    assert 0.0 <= spot_appetite(hi, funding_rate_annual=rate, **args) <= 1.0


def test_build_budget_is_cash_above_floor_plus_borrowing_room():
    """What a builder can spend is its cash above its floor plus what lenders would add."""
    assert build_budget(view(cash=30.0), 10.0, 5.0) == 25.0
    assert build_budget(view(cash=5.0), 10.0, 0.0) == 0.0


@given(st.floats(0, 2), st.floats(0, 2), st.floats(-1, 1), st.floats(0, 1), share)
def test_lender_prices_leverage_losses_and_rescue_belief(lev_a, lev_b, sentiment, stress, belief):
    """Spreads rise with leverage and with the lender's losses, fall with the believed chance of rescue."""
    lo, hi = sorted((lev_a, lev_b))
    calm = CreditConditions(sentiment, 0.0, 0.0)
    assert lending_decision(LENDER, lo, 1.0, 100.0, calm)[1] <= lending_decision(LENDER, hi, 1.0, 100.0, calm)[1]
    hurt = CreditConditions(sentiment, stress, 0.0)
    assert lending_decision(LENDER, lo, 1.0, 100.0, calm)[1] <= lending_decision(LENDER, lo, 1.0, 100.0, hurt)[1]
    believed = CreditConditions(sentiment, 0.0, belief)
    assert lending_decision(LENDER, lo, 1.0, 100.0, believed)[1] <= lending_decision(LENDER, lo, 1.0, 100.0, calm)[1]


@given(st.floats(0, 1), st.floats(0, 1))
def test_lender_refuses_above_its_limit_and_lends_less_after_losses(stress_a, stress_b):
    """Above the leverage limit a loan is refused; a lender with more losses never lends more."""
    lo, hi = sorted((stress_a, stress_b))
    assert not lending_decision(LENDER, 0.71, 1.0, 100.0, CreditConditions(0.0, 0.0, 0.0))[0]
    amount = 20.0
    if lending_decision(LENDER, 0.5, amount, 100.0, CreditConditions(0.0, hi, 0.0))[0]:
        assert lending_decision(LENDER, 0.5, amount, 100.0, CreditConditions(0.0, lo, 0.0))[0]


def test_ex_ante_cap_binds_below_the_lenders_own_limit():
    """An ex-ante leverage rule refuses a loan the lender alone would make."""
    assert lending_decision(LENDER, 0.6, 1.0, 100.0, CreditConditions(0.0, 0.0, 0.0))[0]
    assert not lending_decision(LENDER, 0.6, 1.0, 100.0, CreditConditions(0.0, 0.0, 0.0, leverage_cap=0.5))[0]


def test_credit_leverage_counts_contracted_backlog():
    """Project lenders count part of contracted revenue: backlog lowers measured leverage."""
    assert credit_leverage(50.0, 50.0, 100.0, 0.5) == 0.5
    assert credit_leverage(50.0, 50.0, 0.0, 0.5) == 1.0


@given(st.floats(-1, 1), st.floats(-1, 1), st.floats(-1, 1))
def test_round_take_up_rises_with_sentiment(s_a, s_b, gap):
    """Outside investors take more of a round in a warmer market."""
    lo, hi = sorted((s_a, s_b))
    assert round_take_up(gap, lo) <= round_take_up(gap, hi)


def test_funding_round_when_runway_is_short():
    """A lab raises money only when cash after this quarter's dues covers less than its minimum runway."""
    assert funding_round(view(cash=100.0, burn=5.0), LAB, 0.0, "lab", 0.0) is None
    r = funding_round(view(cash=10.0, burn=5.0), LAB, 0.0, "lab", 0.0)
    assert r is not None and r.amount == 8 * 5.0 - 10.0
    assert funding_round(view(cash=10.0, burn=5.0, revenue=0.0), LAB, 0.0, "lab", 0.0) is None


@settings(max_examples=50)
@given(st.floats(0, 200), st.floats(0, 200))
def test_optional_deliveries_never_more_with_less_cash(cash_a, cash_b):
    """A lab with less cash never takes more optional hardware."""
    lo, hi = sorted((cash_a, cash_b))
    options = [("a", 10.0), ("b", 20.0), ("c", 5.0)]
    assert len(choose_optional_deliveries(view(cash=lo), LAB, 0.0, options)) <= len(
        choose_optional_deliveries(view(cash=hi), LAB, 0.0, options))


def test_compute_gap_only_for_funded_busy_labs():
    """A lab contracts more compute only when well funded and already using most of what it has."""
    busy = view(cash=200.0, burn=5.0, revenue=5.0, compute=1.0)
    assert compute_gap(busy, LAB, contracted_gw=1.0, expected_growth_annual=0.5) > 0
    assert compute_gap(view(cash=20.0, burn=5.0, revenue=5.0, compute=1.0), LAB, 1.0, 0.5) == 0.0
    assert compute_gap(view(cash=200.0, burn=5.0, revenue=1.0, compute=1.0), LAB, 1.0, 0.5) == 0.0


def test_relief_pushes_back_then_cancels():
    """A lab in deep trouble first asks to push its largest unstarted contract back, then cancels it."""
    short = view(cash=5.0, burn=5.0)
    assert isinstance(relief(short, LAB, [("x", 100.0, False), ("y", 50.0, False)], "lab"), Renegotiate)
    assert relief(short, LAB, [("x", 100.0, False)], "lab").contract_id == "x"
    assert isinstance(relief(short, LAB, [("x", 100.0, True)], "lab"), Cancel)
    assert relief(view(cash=100.0, burn=5.0), LAB, [("x", 100.0, False)], "lab") is None


@given(money, money, st.floats(0.05, 0.95))
def test_margin_call_restores_loan_to_value(loan, pledged, limit):
    """A margin call asks exactly for the repayment that brings the loan back to the limit."""
    call = margin_call(loan, pledged, limit)
    assert call >= 0
    assert loan - call <= limit * pledged + 1e-9


@given(money, money)
def test_rescue_only_under_a_rescue_policy_and_above_threshold(importance, threshold):
    """The government rescues only under a discretionary or backstop policy, and only a firm above its threshold."""
    assert not rescue_decision("none", importance, threshold)
    assert not rescue_decision("ex_ante", importance, threshold)
    assert rescue_decision("backstop", importance, threshold) == (importance >= threshold)


@given(st.floats(0, 10), st.floats(0, 10))
def test_thin_interest_cover_raises_spreads_and_collateral_lowers_them(cover_a, cover_b):
    """A borrower covering its interest fewer times pays more; a secured loan pays less."""
    lo, hi = sorted((cover_a, cover_b))
    thin = CreditConditions(0.0, 0.0, 0.0, interest_cover=lo)
    thick = CreditConditions(0.0, 0.0, 0.0, interest_cover=hi)
    assert lending_decision(LENDER, 0.5, 1.0, 100.0, thick)[1] <= lending_decision(LENDER, 0.5, 1.0, 100.0, thin)[1]
    secured = CreditConditions(0.0, 0.0, 0.0, interest_cover=hi, secured=True)
    assert lending_decision(LENDER, 0.5, 1.0, 100.0, secured)[1] <= lending_decision(LENDER, 0.5, 1.0, 100.0, thick)[1]


def test_a_roll_is_the_lending_rule_applied_to_the_principal_again():
    """A roll is granted at the spread the lender would quote for new money, for its usual tenor; above its limit, refused."""
    calm = CreditConditions(0.0, 0.0, 0.0)
    ok, spread = lending_decision(LENDER, 0.5, 10.0, 100.0, calm)
    assert ok and decide_roll(LENDER, "l1", 10.0, 0.5, 100.0, calm) == RollLoan("l1", spread, LENDER.tenor_quarters)
    assert decide_roll(LENDER, "l1", 10.0, 0.9, 100.0, calm) == RefuseRoll("l1", 0.9)
    assert decide_roll(LENDER, "l1", 60.0, 0.5, 100.0, calm) == RefuseRoll("l1", 0.5)  # more than it puts in one loan
