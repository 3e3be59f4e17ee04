"""The valuation phase's solver: equity = enterprise value + stakes - net debt, floored at 0, over cross-holdings and warrants.

Hand-computed cases on :func:`economy.valuation.solve_equity`: a cross-holding, a firm whose debt exceeds its
business, a floored firm inside a cycle, a warrant's dilution. Properties: the solve is exact and independent
of the firms' order; values never rise with debt nor fall with revenue.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from economy.valuation import WarrantClaim, solve_equity


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
