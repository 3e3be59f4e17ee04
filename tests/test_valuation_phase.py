"""The valuation phase: equity = enterprise value + stakes - net debt, floored at 0, over cross-holdings and warrants.

Hand-computed cases on the solver (:func:`economy.valuation.solve_equity`) and on tiny economies of
:mod:`tests.economies` (no Mesa): the opening calibration, a firm whose debt exceeds its business, the
multiple's moves with growth and losses, the pay-out policy and a warrant's dilution. Properties: the
solve is exact and independent of the firms' order; values never rise with debt nor fall with revenue.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from economy.closing import pay_out, payout_due
from economy.config import ConfigError, load_config
from economy.contracts import EquityStake, Warrant
from economy.invariants import check_invariants
from economy.ledger import Account
from economy.opening import open_economy
from economy.revaluation import (
    business_value,
    exercise_warrant,
    forward_growth,
    fundamental_revenue,
    holdings_matrix,
    market_growth,
    multiple_factor,
    net_debt,
    operating_assets,
    shares_of,
    trend_growth,
    value_firms,
    valued_on_revenue,
)
from economy.state import Economy, Status
from economy.valuation import WarrantClaim, forward_growth_premium, growth_multiple, solve_equity
from model import BASELINE
from tests.economies import at_quarter, bank, builder, chipmaker, economy, lab


def balance(e: Economy, entity: str, account: Account) -> float:
    """One ledger balance of a firm."""
    return e.ledger.balance(e.index[entity], account)


def sell(e: Economy, entity: str, revenue: float, cost: float = 0.0) -> None:
    """The firm sells ``revenue`` to outside buyers and pays ``cost`` of operating costs this quarter (both in cash)."""
    e.ledger.transfer(e.external, e.index[entity], revenue, Account.OPEX, Account.REVENUE, "sales")
    if cost:
        e.ledger.transfer(e.index[entity], e.external, cost, Account.OPEX, Account.REVENUE, "costs")


# ------------------------------------------------------------------------------------------------ the solver
def test_two_firms_holding_each_other_are_solved_at_once():
    """``a`` = 75 + b/2 and b = 48 + a/5 (no floor binds): det 0.9, a = (75 + 24) / 0.9 = 110, b = (15 + 48) / 0.9 = 70."""
    S = np.array([[0.0, 0.5], [0.2, 0.0]])
    v = solve_equity(np.array([75.0, 48.0]), S)
    assert v.equity == pytest.approx([110.0, 70.0])
    assert v.residual == pytest.approx([110.0, 70.0])


def test_a_firm_whose_debt_exceeds_its_business_is_worth_nothing_and_so_is_its_holders_stake():
    """``b`` owes 15 on a business of 10: worth 0, not -5; a (4 of its own, half of b) keeps 4, c apart keeps 7."""
    S = np.array([[0.0, 0.5, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    v = solve_equity(np.array([4.0, -5.0, 7.0]), S)
    assert list(v.equity) == [4.0, 0.0, 7.0]


def test_a_floored_firm_does_not_drag_its_holder_below_its_own_business():
    """The unfloored system gives b = -10 and a = 3 - 5 = -2; the answer floors b only: b = 0, a = 3.

    Flooring every negative firm of the linear solve at once would wrongly leave a at 0 as well.
    """
    S = np.array([[0.0, 0.5], [0.0, 0.0]])
    assert list(solve_equity(np.array([3.0, -10.0]), S).equity) == [3.0, 0.0]


def test_a_cycle_where_one_firm_falls_below_its_floor():
    """``a`` and b hold half of each other; a's own business less debt is -8, b's 10.

    Unfloored: a = (-8 + 5) / 0.75 = -4. Floored: a = 0, so b = 10 + 0 = 10, and a's value before the
    floor is -8 + 10 / 2 = -3 < 0: the floor holds.
    """
    S = np.array([[0.0, 0.5], [0.5, 0.0]])
    assert list(solve_equity(np.array([-8.0, 10.0]), S).equity) == [0.0, 10.0]


def test_a_failed_firm_counts_at_its_given_value():
    """``b`` is given (failed, marked at 0): a = 75 + 0.5 x 0 = 75, whatever b's own figures say."""
    S = np.array([[0.0, 0.5], [0.2, 0.0]])
    v = solve_equity(np.array([75.0, 48.0]), S, fixed=np.array([np.nan, 0.0]))
    assert list(v.equity) == [75.0, 0.0]


def test_a_warrant_dilutes_its_issuer_by_its_fair_value():
    """``j`` is worth 100 to 9 shares and a warrant for 1 share at 10; its holder h has nothing else.

    Exercised, the price would be (100 + 1 x 10) / (9 + 1) = 11: the warrant is worth 1 x (11 - 10) = 1,
    j's shareholders keep 9 x 11 = 99, and k, holding 30% of j, 29.7.
    """
    S = np.zeros((3, 3))
    S[2, 0] = 0.3
    claim = WarrantClaim(issuer=0, holder=1, shares=1.0, strike=10.0)
    v = solve_equity(np.array([100.0, 0.0, 0.0]), S, shares=np.array([9.0, 1.0, 1.0]), claims=[claim])
    assert v.equity == pytest.approx([99.0, 1.0, 29.7])
    assert v.residual[0] == pytest.approx(100.0)
    assert v.warrants == pytest.approx([1.0])


def test_a_warrant_below_its_strike_is_worth_nothing():
    """``j`` worth 50 over 10 shares is 5 a share, below the strike of 10: the warrant is not exercised."""
    claim = WarrantClaim(issuer=0, holder=1, shares=1.0, strike=10.0)
    v = solve_equity(np.array([50.0, 0.0]), np.zeros((2, 2)), shares=np.array([10.0, 1.0]), claims=[claim])
    assert list(v.equity) == [50.0, 0.0] and list(v.warrants) == [0.0]


def test_a_warrant_on_its_own_holder_loop():
    """``h`` holds a warrant on j and j holds 40% of h: the warrant's value reaches j back through its stake.

    j: V_j = 100 + 0.4 E_h, 9 shares, 1 share at strike 10 held by h. h: V_h = 20 + W.
    On the exercised piece W = (V_j + 10) / 10 - 10 = V_j / 10 - 9 and E_j = 9 (V_j + 10) / 10.
    V_j = 100 + 0.4 (20 + V_j / 10 - 9) = 104.4 + 0.04 V_j, so V_j = 108.75, W = 1.875, E_h = 21.875.
    """
    S = np.zeros((2, 2))
    S[0, 1] = 0.4
    claim = WarrantClaim(issuer=0, holder=1, shares=1.0, strike=10.0)
    v = solve_equity(np.array([100.0, 20.0]), S, shares=np.array([9.0, 1.0]), claims=[claim])
    assert v.residual[0] == pytest.approx(108.75)
    assert v.warrants == pytest.approx([1.875])
    assert v.equity == pytest.approx([9 * (108.75 + 10) / 10, 21.875])


@st.composite
def systems(draw, max_firms: int = 7):
    """A random web: own values less debt (some negative), cross-holdings (column sums < 0.9), a few warrants."""
    n = draw(st.integers(2, max_firms))
    own = np.array(draw(st.lists(st.floats(-50.0, 100.0), min_size=n, max_size=n)))
    S = np.zeros((n, n))
    for i, j, f in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(0.01, 0.4)),
                                 max_size=3 * n)):
        if i != j and S[:, j].sum() + f < 0.9:
            S[i, j] = f
    shares = np.array(draw(st.lists(st.floats(0.5, 5.0), min_size=n, max_size=n)))
    claims = [WarrantClaim(j, h, draw(st.floats(0.05, 1.0)), draw(st.floats(0.0, 30.0)))
              for j, h in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3)) if j != h]
    return own, S, shares, claims


def _is_fixed_point(own, S, shares, claims, v) -> bool:
    """``V = max(0, own + S E + warrants held)``, ``E = V - warrants on the firm``, each warrant at its diluted value."""
    pre = own + S @ v.equity
    for c, w in zip(claims, v.warrants, strict=True):
        pre[c.holder] += w
    on = np.zeros(len(own))
    for c, w in zip(claims, v.warrants, strict=True):
        on[c.issuer] += w
    scale = 1e-9 * (1.0 + np.abs(own).sum())
    return (np.all(np.abs(np.maximum(pre, 0.0) - v.residual) <= scale)
            and np.all(np.abs(v.residual - on - v.equity) <= scale) and np.all(v.equity >= -scale))


@settings(max_examples=150, deadline=None)
@given(systems(), st.randoms(use_true_random=False))
def test_the_solve_is_exact_and_does_not_depend_on_the_firms_order(system, rnd):
    """Whatever the web, the values are the fixed point of the floored system, and the same for the firms in any order."""
    own, S, shares, claims = system
    v = solve_equity(own, S, shares=shares, claims=claims)
    assert _is_fixed_point(own, S, shares, claims, v)
    order = list(range(len(own)))
    rnd.shuffle(order)
    where = {old: new for new, old in enumerate(order)}
    moved = [WarrantClaim(where[c.issuer], where[c.holder], c.shares, c.strike) for c in claims]
    w = solve_equity(own[order], S[np.ix_(order, order)], shares=shares[order], claims=moved)
    np.testing.assert_allclose(w.equity, v.equity[order], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(w.warrants, v.warrants, rtol=1e-9, atol=1e-9)


@settings(max_examples=150, deadline=None)
@given(systems(), st.integers(0, 6), st.floats(0.0, 80.0))
def test_values_never_rise_with_debt_nor_fall_with_revenue(system, firm, change):
    """More debt for one firm (its own value less debt lower) lowers no value; more revenue (higher) raises none."""
    own, S, shares, claims = system
    i = firm % len(own)
    base = solve_equity(own, S, shares=shares, claims=claims).equity
    more_debt, more_revenue = own.copy(), own.copy()
    more_debt[i] -= change
    more_revenue[i] += change
    tol = 1e-9 * (1.0 + np.abs(own).sum() + change)
    assert np.all(solve_equity(more_debt, S, shares=shares, claims=claims).equity <= base + tol)
    assert np.all(solve_equity(more_revenue, S, shares=shares, claims=claims).equity >= base - tol)


# ------------------------------------------------------------------------------------------------ the opening
def levered_pair() -> Economy:
    """``a`` ($100B, no revenue) holds half of ``b``: $10B of equity on $20B of debt, $1B of cash, $3B of revenue a quarter."""
    companies = [bank(), chipmaker("a", 0.0, 0.5, market_value=100.0),
                 chipmaker("b", 0.0, 0.5, market_value=10.0, cash=1.0, revenue_quarterly=3.0)]
    contracts = [{"id": "a-in-b", "kind": "equity_stake", "holder": "a", "issuer": "b", "fraction": 0.5, "cost": 5.0},
                 {"id": "b-loan", "kind": "loan", "lender": "bank", "borrower": "b", "principal": 20.0,
                  "fixed_rate_annual": 0.05, "start": "2025Q1", "maturity": "2030Q4"}]
    return economy(companies, contracts)


def test_calibration_sets_the_multiple_on_enterprise_value():
    """``b``'s enterprise value at the opening is 10 + 20 - 1 = 29 on 12 of revenue: 29/12; a's, 100 - 0.5 x 10 = 95, is fixed."""
    e = levered_pair()
    a, b = e.firm("a"), e.firm("b")
    assert (b.own_multiple, b.own_fixed) == (pytest.approx(29.0 / 12.0), 0.0)
    assert (a.own_multiple, a.own_fixed) == (0.0, pytest.approx(95.0))
    assert net_debt(e, e.firm("bank")) == 0.0 and e.firm("bank").own_fixed == 0.0


def _opening_values(e: Economy) -> np.ndarray:
    """Values from the calibrated multiples at the opening revenue (or assets), net of debt, solved jointly."""
    own = []
    for co in e.firms:
        base = fundamental_revenue(e, co, opening=True) if valued_on_revenue(e, co) else operating_assets(e, co)
        own.append(co.own_multiple * base + co.own_fixed - net_debt(e, co))
    shares = np.array([shares_of(e, co) for co in e.firms])
    return solve_equity(np.array(own), holdings_matrix(e), shares=shares).equity


def test_calibration_reproduces_the_opening_values_of_a_levered_pair():
    """Solved back at the opening, b is 29 - 19 = 10 and a is 95 + 0.5 x 10 = 100: the config's values."""
    assert _opening_values(levered_pair()) == pytest.approx([0.0, 100.0, 10.0])


def test_calibration_reproduces_the_baseline_opening_values():
    """Every firm of the baseline, solved at its opening figures, is worth its configured market value."""
    e = open_economy(load_config(BASELINE))
    expected = [co.spec.market_value for co in e.firms]
    assert _opening_values(e) == pytest.approx(expected, rel=1e-12, abs=1e-9)


# ------------------------------------------------------------------------------------------------ the phase
def test_debt_above_the_business_writes_the_firm_and_its_holders_stake_to_zero():
    """``b``'s revenue falls to 1 a quarter: business 29/12 x 4 = 9.67 < net debt 20 - 2 = 18, so b is worth 0.

    a marks its half of b from 5 to 0 against revaluation and is worth its own 95.
    """
    e = at_quarter(levered_pair(), 1)
    sell(e, "b", 1.0)
    value_firms(e)
    check_invariants(e)
    assert e.firm("b").market_value == 0.0
    assert e.firm("a").market_value == pytest.approx(95.0)
    assert balance(e, "a", Account.STAKES) == 0.0
    assert balance(e, "a", Account.REVALUATION) == pytest.approx(-5.0)


def test_cash_counts_and_debt_does_not_vanish():
    """``b`` sells 4 this quarter: business 29/12 x 16 = 38.67, net debt 20 - 5 = 15, so b = 23.67 and a = 95 + 11.83."""
    e = at_quarter(levered_pair(), 1)
    sell(e, "b", 4.0)
    value_firms(e)
    assert e.firm("b").market_value == pytest.approx(29.0 / 12.0 * 16.0 - 15.0)
    assert e.firm("a").market_value == pytest.approx(95.0 + 0.5 * (29.0 / 12.0 * 16.0 - 15.0))


def grower(**valuation) -> Economy:
    """A chipmaker worth $40B on $10B of revenue a quarter, growing 100% a year at the opening, with no debt."""
    c = chipmaker("c", 0.0, 0.5, market_value=40.0, revenue_quarterly=10.0)
    c["valuation"] = {"opening_growth_annual": 1.0, **valuation}
    return economy([bank(), c])


def test_the_multiple_compresses_as_growth_fades():
    """Revenue flat for five quarters: growth 0 against the 100% priced, so the multiple is (1 + 0) / (1 + 1) = half of it."""
    e = at_quarter(grower(), 5)
    c = e.firm("c")
    c.revenue_hist.extend([10.0] * 4)
    sell(e, "c", 10.0)
    assert multiple_factor(e, c) == pytest.approx(0.5)
    assert business_value(e, c) == pytest.approx(40.0 * 0.5)  # multiple 40 / 40 = 1 on a trailing year of 40, halved


def test_the_multiple_follows_growth_both_ways_within_its_bounds():
    """Growing 200% a year against 100% priced: x 1.5 (sensitivity 1), x 2.25 (sensitivity 2), capped at the max of 2."""
    points = [10.0 * 3.0 ** (k / 4) for k in range(5)]
    for sensitivity, expected in ((1.0, 1.5), (2.0, 2.0)):
        e = at_quarter(grower(growth_sensitivity=sensitivity), 5)
        c = e.firm("c")
        c.revenue_hist.extend(points[:4])
        sell(e, "c", points[4])
        assert multiple_factor(e, c) == pytest.approx(expected)


def test_sustained_losses_compress_the_multiple():
    """A trailing year of 40 of revenue and 20 of losses, none at the opening: the multiple is 1 / (1 + 0.5) of its level."""
    e = at_quarter(economy([bank(), chipmaker("c", 0.0, 0.5, market_value=60.0, cash=20.0, revenue_quarterly=10.0)]), 4)
    c = e.firm("c")
    c.revenue_hist.extend([10.0] * 3)
    c.net_income_hist.extend([-5.0] * 3)
    sell(e, "c", 10.0, cost=15.0)
    assert multiple_factor(e, c) == pytest.approx(1.0 / 1.5)


def test_losses_the_opening_priced_are_forgiven_while_growth_holds_up():
    """A lab that lost half of its revenue at the opening and still grows at the opening's pace is not marked down.

    Once listed in the run, the same losses count in full: 1 / (1 + 0.5).
    """
    spec = lab("l", cash=20.0, market_value=60.0, market_share=0.5)
    spec["reported"] = {"revenue_quarterly": 10.0, "net_income_quarterly": -5.0}
    spec["valuation"] = {"opening_growth_annual": 0.0}
    e = at_quarter(economy([bank(), spec]), 4)
    co = e.firm("l")
    co.ai_revenue_hist.extend([0.5] * 4)  # flat: the 0% growth priced at the opening
    co.revenue_hist.extend([10.0] * 3)
    co.net_income_hist.extend([-5.0] * 3)
    sell(e, "l", 10.0, cost=15.0)
    assert multiple_factor(e, co) == pytest.approx(1.0)
    co.listed = True
    assert multiple_factor(e, co) == pytest.approx(1.0 / 1.5)


def test_a_mature_firm_is_valued_at_its_earnings_multiple_once_growth_has_faded():
    """Grower at 100% priced, mature at 18% on EV/earnings 20: flat revenue of 10 a quarter earning 2 is 20 x 0.2 = 4x.

    The opening multiple is 40 / 40 = 1 on a trailing year, so the mature multiple 4 is 4 of it; growth 0 is below
    the mature 18%, so the multiple is 4 x (1 / m0) ** x with m0 the opening's mature multiple (20 x 0 margin: the
    floor 0.2) and ``x = P(0) / P(1.0)``, P the forward growth premium.
    """
    e = at_quarter(grower(mature_growth_annual=0.18, mature_earnings_multiple=20.0, max_factor=10.0), 5)
    c = e.firm("c")
    c.revenue_hist.extend([10.0] * 4)
    c.net_income_hist.extend([2.0] * 3)
    sell(e, "c", 10.0, cost=8.0)
    x = forward_growth_premium(0.0, 0.18, 0.6) / forward_growth_premium(1.0, 0.18, 0.6)
    assert x < 0
    assert multiple_factor(e, c) == pytest.approx(4.0 * (1.0 / 0.2) ** x)


def test_growth_multiple_meets_both_anchors():
    """At the opening's growth the opening's multiple, at the mature growth the mature firm's."""
    args = dict(opening_growth=0.9, opening_multiple=23.0, mature_multiple=3.0, opening_mature_multiple=4.6,
                mature_growth=0.18, fade=0.6)
    assert growth_multiple(0.9, **args) == pytest.approx(23.0 * 3.0 / 4.6)
    assert growth_multiple(0.18, **args) == pytest.approx(3.0)
    assert growth_multiple(0.1, **{**args, "opening_growth": 0.1}) is None  # the opening priced no growth premium


@settings(max_examples=200, deadline=None)
@given(st.floats(-0.9, 3.0), st.floats(-0.9, 3.0), st.floats(0.0, 0.3), st.floats(0.05, 0.85))
def test_the_forward_growth_premium_rises_with_growth_and_is_zero_at_the_mature_rate(g1, g2, mature, fade):
    """More growth now, a larger premium; the mature rate, none; below it, negative; more fade, a larger premium above it."""
    low, high = sorted((g1, g2))
    assert forward_growth_premium(low, mature, fade) <= forward_growth_premium(high, mature, fade) + 1e-12
    assert forward_growth_premium(mature, mature, fade) == 0.0
    if high > mature + 1e-6:
        assert forward_growth_premium(high, mature, fade) > 0
        assert forward_growth_premium(high, mature, fade) <= forward_growth_premium(high, mature, min(0.85, fade + 0.1)) + 1e-12
    if low < mature:
        assert forward_growth_premium(low, mature, fade) <= 0.0


@settings(max_examples=200, deadline=None)
@given(st.floats(-0.9, 3.0), st.floats(-0.9, 3.0), st.floats(0.3, 3.0), st.floats(1.0, 60.0),
       st.floats(0.5, 10.0), st.floats(0.5, 10.0), st.floats(0.0, 0.25), st.floats(0.05, 0.85))
def test_the_multiple_rises_with_growth_and_with_the_mature_firms_earnings(g1, g2, g0, m0, mature1, mature2, g_mature, fade):
    """More growth (the opening's anchor held), a higher multiple; a higher mature multiple (better margins), a higher one."""
    if g0 <= g_mature + 0.05:
        return
    low, high = sorted((g1, g2))
    small, large = sorted((mature1, mature2))
    args = dict(opening_growth=g0, opening_multiple=m0, opening_mature_multiple=min(m0, 4.0),
                mature_growth=g_mature, fade=fade)
    for m in (small, large):
        assert growth_multiple(low, mature_multiple=m, **args) <= growth_multiple(high, mature_multiple=m, **args) * (1 + 1e-9)
    for g in (low, high):
        assert growth_multiple(g, mature_multiple=small, **args) <= growth_multiple(g, mature_multiple=large, **args) * (1 + 1e-9)
        assert growth_multiple(g, mature_multiple=small, **args) > 0


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(0.1, 1000.0), min_size=2, max_size=5))
def test_forward_growth_never_reads_more_than_the_trend(points):
    """The market's forward read is the trend or the latest half-year's pace, whichever is lower."""
    assert forward_growth(points) <= trend_growth(points) + 1e-12


@settings(max_examples=100, deadline=None)
@given(st.floats(-0.5, 0.6), st.floats(-0.5, 0.6), st.floats(0.0, 12.0))
def test_a_firm_with_better_margins_or_more_debt_is_valued_in_the_documented_direction(margin1, margin2, debt):
    """Same growth, a higher trailing margin: a multiple not lower; more net debt: equity not higher (floored at 0)."""
    low, high = sorted((margin1, margin2))
    factors = []
    for margin in (low, high):
        e = at_quarter(grower(mature_growth_annual=0.18, mature_earnings_multiple=20.0, max_factor=10.0), 5)
        c = e.firm("c")
        c.revenue_hist.extend([10.0 * 1.5 ** (k / 4) for k in range(4)])
        c.net_income_hist.extend([10.0 * margin] * 3)
        sell(e, "c", 10.0 * 1.5, cost=10.0 * 1.5 * (1.0 - margin))
        factors.append(multiple_factor(e, c))
    assert factors[0] <= factors[1] * (1 + 1e-9)
    assert all(f > 0 for f in factors)
    values = [solve_equity(np.array([25.0 - d]), np.zeros((1, 1))).equity[0] for d in (debt, debt + 5.0)]
    assert values[1] <= values[0] and values[1] >= 0.0


def test_a_labs_growth_is_read_from_its_share_of_demand_not_from_a_quarter_short_of_compute():
    """Demand flat at 10 a quarter, revenue capped to 5 by compute and recovering 5, 7, 9, 10: growth read 0, not a rebound."""
    spec = lab("l", cash=20.0, market_value=60.0, market_share=0.5)
    spec["valuation"] = {"opening_growth_annual": 0.5}
    e = at_quarter(economy([bank(), spec]), 5)
    co = e.firm("l")
    co.ai_revenue_hist.extend([10.0, 5.0, 7.0, 9.0, 10.0])
    co.demand_hist.extend([10.0] * 5)
    assert market_growth(e, co) == pytest.approx(0.0)
    co.demand_hist.extend([10.0 * 1.5 ** (k / 4) for k in range(5)])  # demand growing 50% a year: read as such
    assert market_growth(e, co) == pytest.approx(0.5)


def test_trend_growth_reads_a_year_from_five_quarters():
    """A series growing 10% a quarter grows 46.41% a year; one point is no trend."""
    assert trend_growth([1.0, 1.1, 1.21, 1.331, 1.4641]) == pytest.approx(1.1 ** 4 - 1)
    assert trend_growth([5.0]) is None


# ------------------------------------------------------------------------------------------------ pay-out
def paying(cash: float = 50.0, **policy) -> Economy:
    """A listed chipmaker with ``cash`` and $10B of revenue a quarter, paying out under ``policy``."""
    c = chipmaker("c", 0.0, 0.5, market_value=100.0, cash=cash, revenue_quarterly=10.0)
    c.update({"listed": True, "shares_outstanding": 1.0, "payout": policy})
    return economy([bank(), c])


def test_payout_is_a_share_of_profit_plus_a_share_of_the_excess_cash():
    """Profit 10, cash 60, target 2 quarters of 10 = 20: 0.5 x 10 = 5, plus 0.5 x (60 - 5 - 20) = 17.5: 22.5 to outsiders."""
    e = at_quarter(paying(profit_share=0.5, excess_cash_share=0.5, target_cash_quarters=2.0), 1)
    sell(e, "c", 10.0)
    external = e.ledger.balance(e.external, Account.CASH)
    assert payout_due(e, e.firm("c")) == pytest.approx(22.5)
    pay_out(e)
    check_invariants(e)
    assert e.firm("c").cash() == pytest.approx(37.5)
    assert e.ledger.balance(e.external, Account.CASH) == pytest.approx(external + 22.5)


def test_payout_keeps_the_cash_floor_and_stops_in_distress():
    """A builder with a $8B cash floor and $10B of cash pays at most 2; distressed, or not listed, it pays nothing."""
    b = builder("n", cash=10.0, min_cash=8.0)
    b.update({"listed": True, "shares_outstanding": 1.0, "market_value": 5.0,
              "payout": {"profit_share": 1.0, "excess_cash_share": 1.0, "target_cash_quarters": 0.0}})
    e = at_quarter(economy([bank(), b]), 1)
    n = e.firm("n")
    assert payout_due(e, n) == pytest.approx(2.0)
    n.status = Status.DISTRESSED
    assert payout_due(e, n) == 0.0
    n.status, n.listed = Status.HEALTHY, False
    assert payout_due(e, n) == 0.0


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 400).map(lambda k: k / 4), st.integers(-80, 160).map(lambda k: k / 4),
       *[st.integers(0, 20).map(lambda k: k / 20)] * 2, st.integers(0, 20).map(lambda k: k / 4))
def test_payout_is_bounded_by_the_policy(cash, profit, profit_share, excess_share, target_quarters):
    """Never negative, never more than the cash, the profit share plus the excess-cash share, whatever the figures."""
    e = at_quarter(paying(cash=cash, profit_share=profit_share, excess_cash_share=excess_share,
                          target_cash_quarters=target_quarters), 1)
    if profit > 0:
        sell(e, "c", profit)
    elif profit < 0 and cash > 0:
        e.ledger.transfer(e.index["c"], e.external, min(-profit, cash), Account.OPEX, Account.REVENUE, "costs")
    c = e.firm("c")
    income = e.ledger.balance(c.holder, Account.REVENUE) - e.ledger.balance(c.holder, Account.OPEX)
    due = payout_due(e, c)
    target = target_quarters * e.ledger.balance(c.holder, Account.REVENUE)
    assert 0.0 <= due <= c.cash() + 1e-12
    assert due <= profit_share * max(0.0, income) + excess_share * max(0.0, c.cash() - target) + 1e-9


def test_a_payout_and_its_shorthand_cannot_both_be_given():
    """payout_ratio is shorthand for payout.profit_share: a company giving both is refused, naming the field."""
    c = chipmaker("c", 0.0, 0.5, market_value=100.0)
    c.update({"payout_ratio": 0.5, "payout": {"profit_share": 0.5}})
    with pytest.raises(ConfigError, match="either 'payout_ratio'"):
        economy([bank(), c])


def test_the_old_lab_sensitivity_points_to_its_new_place():
    """A lab's multiple_growth_sensitivity is refused with the field it moved to."""
    with pytest.raises(ConfigError, match="valuation.*growth_sensitivity"):
        economy([bank(), lab("l", multiple_growth_sensitivity=1.0)])


def test_valuation_fields_are_checked():
    """A negative loss sensitivity is refused at its path."""
    c = chipmaker("c", 0.0, 0.5, market_value=100.0)
    c["valuation"] = {"loss_sensitivity": -1.0}
    with pytest.raises(ConfigError, match=r"valuation\.loss_sensitivity"):
        economy([bank(), c])


# ------------------------------------------------------------------------------------------------ warrants
def warranted() -> Economy:
    """j: 9 shares worth $99B on $5B of revenue a quarter; h may buy 1 share at $10, vesting at once; k holds 30% of j."""
    j = chipmaker("j", 0.0, 0.5, market_value=99.0, revenue_quarterly=5.0)
    j.update({"listed": True, "shares_outstanding": 9.0})
    h = chipmaker("h", 0.0, 0.5, market_value=10.0, cash=10.0)
    k = chipmaker("k", 0.0, 0.5, market_value=29.7)
    contracts = [{"id": "k-in-j", "kind": "equity_stake", "holder": "k", "issuer": "j", "fraction": 0.3, "cost": 20.0},
                 {"id": "w", "kind": "warrant", "issuer": "j", "holder": "h", "shares": 1.0, "strike": 10.0,
                  "vesting": [{"gw": 0.0, "share_fraction": 1.0}], "start": "2025Q4"}]
    return economy([bank(), j, h, k], contracts)


def test_a_vested_warrant_dilutes_its_issuers_shareholders():
    """``j`` sells 5 (cash 5): V_j = 99 + 5 = 104; the warrant vests; price (104 + 10) / 10 = 11.4.

    The warrant is worth 1.4 to h (10 + 1.4), j's shareholders keep 9 x 11.4 = 102.6, k's 30% is 30.78.
    """
    e = at_quarter(warranted(), 1)
    sell(e, "j", 5.0)
    value_firms(e)
    check_invariants(e)
    w = e.book.by_id["w"]
    assert w.vested_fraction == 1.0 and w.amount == pytest.approx(1.4)
    assert e.firm("j").market_value == pytest.approx(102.6)
    assert e.firm("h").market_value == pytest.approx(11.4)
    assert balance(e, "k", Account.STAKES) == pytest.approx(0.3 * 102.6)


def test_exercise_issues_shares_that_dilute_every_holder_and_leave_values_unchanged():
    """``h`` pays 10 for its share: it holds 1/10 of j, k's 30% becomes 27%; j, now with 15 of cash, is worth 114.

    k's 27% of 114 is 30.78 and h's 10% is 11.4, as before the exercise.
    """
    e = at_quarter(warranted(), 1)
    sell(e, "j", 5.0)
    value_firms(e)
    w = e.book.by_id["w"]
    assert exercise_warrant(e, w) == pytest.approx(1.0)
    check_invariants(e)
    stakes = {e.by_holder[s.from_party].entity: s.fraction for s in e.book.of_kind_to(EquityStake, e.index["j"])}
    assert stakes == {"k": pytest.approx(0.27), "h": pytest.approx(0.1)}
    assert shares_of(e, e.firm("j")) == pytest.approx(10.0) and w.open_shares() == 0.0
    value_firms(e)
    check_invariants(e)
    assert e.firm("j").market_value == pytest.approx(114.0)
    assert balance(e, "k", Account.STAKES) == pytest.approx(30.78)
    assert e.firm("h").market_value == pytest.approx(11.4)
    assert isinstance(w, Warrant) and w.amount == 0.0 and balance(e, "h", Account.WARRANTS) == pytest.approx(0.0)


def test_the_baseline_still_opens():
    """The shipped baseline loads with its valuation and pay-out sections and every listed firm states a policy."""
    cfg = load_config(BASELINE)
    listed = [c for c in cfg.companies if c.listed]
    assert listed and all(c.payout is not None for c in listed)
    assert all(c.payout_ratio == 0.0 for c in cfg.companies)
