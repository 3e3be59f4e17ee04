"""Properties of the distress ladder's rules (MODEL.md 6a): each responds in the direction its docstring says.

The rules are pure functions in ``agents/`` (the mechanics in ``economy/`` perform them), so they are
tested here on their own over generated inputs: a distressed share issue (:func:`agents.distress.distressed_issue`),
a revolver draw (:func:`agents.distress.honours_draw`) and the lender's capacity at a capital ratio
(:func:`agents.lender.capital_factor`), the sizing of hardware sales (:func:`agents.distress.hardware_sale_room`,
:func:`agents.distress.hardware_sale_share`), a seller's concession (:mod:`agents.renegotiation`), an
investor's margin rules (:mod:`agents.investor`) and the government's rescue (:func:`agents.government.rescue_decision`).
Hand-computed cases are in the rules' doctests and in ``tests/test_distress.py``; regressions for the bugs these
properties found are at the end.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.distress import distressed_issue, hardware_sale_room, hardware_sale_share, honours_draw
from agents.government import rescue_decision
from agents.investor import margin_call, margin_draw, sale_needed
from agents.lender import capital_factor
from agents.renegotiation import accept_concession, concession_cost, loss_if_buyer_fails
from agents.rounds import RULES
from economy.config import Distress
from economy.contracts import EquityStake
from economy.defaults import DefaultResolver
from economy.invariants import check_invariants
from economy.ledger import Account
from tests.worlds import build, neocloud

PROPERTY = settings(max_examples=150, deadline=None)

money = st.floats(0.0, 1e4, allow_nan=False, allow_infinity=False)
positive = st.floats(1e-3, 1e4, allow_nan=False, allow_infinity=False)
shares = st.floats(0.0, 1.0, allow_nan=False)
sentiments = st.floats(-1.0, 1.0, allow_nan=False)
ratios = st.floats(-0.5, 1.0, allow_nan=False)
depths = st.one_of(st.floats(1.0, 1e4, allow_nan=False), st.just(math.inf))


@st.composite
def distress_params(draw) -> Distress:
    """Distress parameters anywhere in their documented ranges."""
    return Distress(
        equity_discount=draw(shares),
        equity_discount_per_size=draw(st.floats(0.0, 10.0, allow_nan=False)),
        fear_discount=draw(st.floats(0.0, 10.0, allow_nan=False)),
        max_issue_share=draw(shares),
        renegotiation_haircut_share=draw(shares),
        renegotiation_delay_cost=draw(shares),
        renegotiation_recovery=draw(shares),
    )


def tol(*xs: float) -> float:
    """A float tolerance for sums of the given magnitudes."""
    return 1e-9 * (1.0 + sum(abs(x) for x in xs))


# ------------------------------------------------------------------------------------------------ share issue
@PROPERTY
@given(money, money, positive, sentiments, sentiments, distress_params())
def test_a_bigger_issue_or_more_fear_sells_at_a_deeper_discount_never_below_nothing(need1, need2, value, s1, s2, params):
    """More need (so a bigger round) or more fear: a discount not smaller; the price stays in (0, value]; at most the cap."""
    small, large = sorted((need1, need2))
    calm, fearful = sorted((s1, s2), reverse=True)
    results = {(n, s): distressed_issue(n, value, s, params) for n in (small, large) for s in (calm, fearful)}
    for (n, _s), r in results.items():
        if r is None:
            assert n <= 0 or params.max_issue_share * value <= 0
            continue
        amount, discount = r
        assert 0 < amount <= min(n, params.max_issue_share * value) + tol(n, value)
        assert 0.0 <= discount <= 0.9
        assert value * (1.0 - discount) > 0  # the new shares are priced above nothing
    for s in (calm, fearful):
        a, b = results[(small, s)], results[(large, s)]
        if a is not None and b is not None:
            assert b[1] >= a[1] - 1e-12
            assert b[0] >= a[0] - tol(a[0])
    for n in (small, large):
        a, b = results[(n, calm)], results[(n, fearful)]
        if a is not None and b is not None:
            assert b[1] >= a[1] - 1e-12
            assert b[0] == a[0]  # fear moves the price, not the amount


@PROPERTY
@given(st.floats(1e-3, 1.0), positive, positive, sentiments, distress_params())
def test_the_same_round_in_a_larger_firm_is_a_smaller_discount(size, value1, value2, sentiment, params):
    """A round of the same size is a smaller share of a firm worth more: a discount not deeper."""
    small, large = sorted((value1, value2))
    need = size * params.max_issue_share * small  # within the cap of both, so the same amount is raised
    a, b = distressed_issue(need, small, sentiment, params), distressed_issue(need, large, sentiment, params)
    if need <= 0:
        assert a is None and b is None
        return
    assert a is not None and b is not None
    assert a[0] == pytest.approx(b[0])
    assert b[1] <= a[1] + 1e-12


@PROPERTY
@given(money, st.floats(-1e4, 0.0), sentiments, distress_params())
def test_a_firm_worth_nothing_or_not_short_sells_no_shares(need, worthless, sentiment, params):
    """Nothing is sold by a firm worth nothing, nor by one that needs nothing."""
    assert distressed_issue(need, worthless, sentiment, params) is None
    assert distressed_issue(-need, 100.0, sentiment, params) is None
    assert distressed_issue(0.0, 100.0, sentiment, params) is None


# ------------------------------------------------------------------------------------------------ lenders
@PROPERTY
@given(ratios, ratios, st.floats(0.0, 0.5), st.floats(0.0, 0.5))
def test_a_lender_with_less_capital_lends_no_more_within_zero_and_one(r1, r2, floor, target):
    """Lower capital ratio: a capacity factor not higher; in [0, 1]; 0 below the floor; 1 from the target (and floor) up.

    The floor and the target are drawn in either order: a target left below the floor must not lend below the floor.
    """
    low, high = sorted((r1, r2))
    f_low, f_high = capital_factor(low, floor, target), capital_factor(high, floor, target)
    assert 0.0 <= f_low <= f_high <= 1.0
    for r, f in ((low, f_low), (high, f_high)):
        if r < floor:
            assert f == 0.0
            assert not honours_draw(True, r, floor)  # a lender that may lend nothing new refuses a draw too
        elif r >= max(floor, target):
            assert f == 1.0
        if r == floor < target:
            assert f == 0.0


@PROPERTY
@given(ratios, ratios, st.floats(0.0, 0.5), st.booleans())
def test_a_lender_below_its_floor_or_failed_refuses_a_draw_and_a_sound_one_honours_it(r1, r2, floor, alive):
    """Below its minimum capital, or failed, a lender refuses; at or above it, alive, it honours.

    More capital never turns an honoured draw into a refusal.
    """
    low, high = sorted((r1, r2))
    for r in (low, high):
        assert honours_draw(alive, r, floor) == (alive and r >= floor)
    assert honours_draw(alive, low, floor) <= honours_draw(alive, high, floor)
    assert not honours_draw(False, high, floor)


# ------------------------------------------------------------------------------------------------ hardware sales
@PROPERTY
@given(positive, money, money, shares)
def test_hardware_sale_room_shrinks_with_what_was_sold_and_keeps_within_the_years_cap(fleet, sold1, sold2, cap):
    """More already sold this year: room not larger; room in [0, 1]; what is sold this year stays within the cap."""
    less, more = sorted((sold1, sold2))
    r_less, r_more = hardware_sale_room(fleet, less, cap), hardware_sale_room(fleet, more, cap)
    assert 0.0 <= r_more <= r_less + 1e-12
    assert r_less <= 1.0 + 1e-12
    for sold, room in ((less, r_less), (more, r_more)):
        if room > 0:  # selling what is left of the allowance brings the year's sales to the cap, not past it
            assert sold + room * fleet <= cap * (fleet + sold) + tol(fleet, sold)
        if sold >= cap * (fleet + sold):
            assert room == 0.0
    assert hardware_sale_room(0.0, less, cap) == 0.0


@PROPERTY
@given(money, money, positive, money, st.floats(0.05, 1.0), depths, shares)
def test_a_hardware_sale_is_within_the_cap_and_grows_with_the_need(need1, need2, value, liens, resale, depth, cap):
    """The share sold is in [0, cap]; a larger need sells no less; it never sells past the point where more raises less."""
    small, large = sorted((need1, need2))
    x_small = hardware_sale_share(small, value, liens, resale, depth, cap)
    x_large = hardware_sale_share(large, value, liens, resale, depth, cap)
    assert 0.0 <= x_small <= x_large + 1e-9
    assert x_large <= cap + 1e-12

    def net(x: float) -> float:
        sold = x * value
        fetched = depth * math.log1p(sold * resale / depth) if math.isfinite(depth) else sold * resale
        return fetched - sold * liens / value

    for need, x in ((small, x_small), (large, x_large)):
        if x > 0:
            assert net(x) > 0  # a sale that raises nothing net is not made
            assert net(x) <= max(need, 0.0) + tol(need, value) or x == pytest.approx(cap)  # no more than the need
            assert net(x) >= net(x * (1 - 1e-6)) - tol(value)  # still on the rising side of the proceeds


@PROPERTY
@given(positive, positive, st.floats(0.05, 1.0), depths, shares)
def test_a_fleet_pledged_beyond_its_price_is_not_sold(need, value, resale, depth, cap):
    """Liens at or above the fleet's resale value: no sale releases more than it repays, so none is made."""
    assert hardware_sale_share(need, value, value * resale, resale, depth, cap) == 0.0
    assert hardware_sale_share(need, value, value * resale * 1.5, resale, depth, cap) == 0.0


@settings(max_examples=60, deadline=None)
@given(st.floats(0.01, 0.9), st.one_of(st.just(0.0), st.floats(0.01, 30.0)), st.floats(0.0, 60.0), st.floats(0.0, 0.9))
def test_a_holding_sale_never_sells_more_than_is_held_nor_raises_more_than_asked(fraction, other, up_to, discount):
    """A holding sale in distress (``DistressLadder.sell_assets``) stays within what is held and what is asked.

    Proceeds in [0, up_to] and at most ``1 - discount`` of what is held; no stake sold below nothing; the seller's
    cash rises by the proceeds; the books still balance.
    """
    issuer = {"id": "other", "name": "Other", "role": "lab", "market_value": 50.0, "opening": {"cash": 10.0},
              "lab": {"market_share": 0.0, "opex_quarterly": 0.0, "revenue_per_gw_quarter_max": 10.0}}
    seller = neocloud("neo", gw=1.0)
    seller["opening"]["other_assets"] = other
    stake = {"id": "stake", "kind": "equity_stake", "holder": "neo", "issuer": "other", "fraction": fraction}
    m = build([seller, issuer], [stake], quarters=1)
    e = m.economy
    co, target = e.firm("neo"), e.firm("other")
    held = fraction * e.value_for_holders(target) + e.ledger.balance(co.holder, Account.OTHER_ASSETS)
    cash = co.cash()
    proceeds = DefaultResolver(e, RULES).sell_assets(co, up_to, discount)
    assert 0.0 <= proceeds <= up_to + tol(up_to)
    assert proceeds <= held * (1.0 - discount) + tol(held)
    assert co.cash() == pytest.approx(cash + proceeds, abs=tol(cash, proceeds))
    left = [x.fraction for x in e.book.of_kind_from(EquityStake, co.holder)]
    assert all(0.0 <= f <= fraction for f in left)
    assert e.ledger.balance(co.holder, Account.OTHER_ASSETS) >= -tol(other)
    check_invariants(e)


# ------------------------------------------------------------------------------------------------ renegotiation
@PROPERTY
@given(money, money, money, money, money, distress_params())
def test_a_seller_facing_a_larger_loss_from_the_buyers_failure_concedes_at_least_as_much(ask, extra, backlog1, backlog2,
                                                                                        deferrable, params):
    """More backlog or more dues at stake: the loss if the buyer fails is larger, and a concession once granted stays granted."""
    dues = ask + extra
    small, large = sorted((backlog1, backlog2))
    assert loss_if_buyer_fails(dues, large, params) >= loss_if_buyer_fails(dues, small, params)
    assert loss_if_buyer_fails(dues + extra, small, params) >= loss_if_buyer_fails(dues, small, params)
    granted = accept_concession(ask, dues, small, min(deferrable, ask), params)
    if granted is not None:
        assert accept_concession(ask, dues, large, min(deferrable, ask), params) == granted
        assert accept_concession(ask, dues + extra, small, min(deferrable, ask), params) is not None


@PROPERTY
@given(money, money, money, money, distress_params())
def test_a_concession_costs_more_the_more_is_asked_and_less_the_more_can_be_deferred(a1, a2, d1, d2, params):
    """Haircut and delay are >= 0 and sum to the ask; cost rises with the ask, falls with what can be deferred."""
    small, large = sorted((a1, a2))
    less, more = sorted((d1, d2))
    for ask in (small, large):
        for deferrable in (less, more):
            c, cost = concession_cost(ask, deferrable, params)
            assert c.haircut >= -tol(ask) and c.delay >= 0.0
            assert c.total == pytest.approx(ask, abs=tol(ask))
            assert c.haircut - tol(ask) <= cost <= ask + tol(ask)  # never more than forgiving it all
    for deferrable in (less, more):
        assert concession_cost(small, deferrable, params)[1] <= concession_cost(large, deferrable, params)[1] + tol(large)
    for ask in (small, large):
        assert concession_cost(ask, more, params)[1] <= concession_cost(ask, less, params)[1] + tol(ask)


@PROPERTY
@given(money, money, money, money, money, distress_params())
def test_a_seller_refused_a_smaller_ask_refuses_a_larger_one(a1, a2, extra, backlog, deferrable, params):
    """Asking more of the same dues costs the seller more for the same failure loss: refused at less, refused at more."""
    small, large = sorted((a1, a2))
    dues = large + extra
    if small > 0 and accept_concession(small, dues, backlog, 0.0, params) is None:  # refused for its cost, not for asking nothing
        assert accept_concession(large, dues, backlog, 0.0, params) is None
    assert accept_concession(dues * 1.01 + 1.0, dues, backlog, deferrable, params) is None  # more than is due
    assert accept_concession(small, dues, backlog, deferrable, params.model_copy(update={"renegotiation": False})) is None


# ------------------------------------------------------------------------------------------------ investors, government
@PROPERTY
@given(money, money, money, money, st.floats(0.01, 1.0))
def test_a_margin_call_rises_with_the_loan_and_falls_with_the_collateral(b1, b2, p1, p2, ltv):
    """More borrowed or less pledged: a call not smaller; never negative; none within the loan-to-value limit."""
    lo_b, hi_b = sorted((b1, b2))
    lo_p, hi_p = sorted((p1, p2))
    assert 0.0 <= margin_call(lo_b, hi_p, ltv) <= margin_call(hi_b, hi_p, ltv) <= margin_call(hi_b, lo_p, ltv)
    assert margin_call(ltv * hi_p, hi_p, ltv) == 0.0


@PROPERTY
@given(money, money, money, money)
def test_a_margin_draw_is_within_the_room_and_covers_the_gap(released, cash, min_cash, room):
    """The draw is in [0, room] and covers what cash above the minimum does not, up to the room."""
    draw = margin_draw(released, cash, min_cash, room)
    gap = released - (cash - min_cash)
    assert 0.0 <= draw <= room
    assert draw == pytest.approx(min(room, max(0.0, gap)))


@PROPERTY
@given(money, money, money, money)
def test_a_sale_covers_what_falls_due_and_keeps_the_minimum(due, extra_due, cash, min_cash):
    """What is sold is >= 0, leaves at least the minimum once paid, and grows with what falls due."""
    sale = sale_needed(due, cash, min_cash)
    assert sale >= 0.0
    assert cash + sale - due >= min_cash - tol(cash, due, min_cash)
    assert sale_needed(due + extra_due, cash, min_cash) >= sale


@PROPERTY
@given(st.sampled_from(["none", "discretionary", "backstop", "ex_ante"]), money, money, money)
def test_a_rescue_is_never_given_without_a_policy_for_it_and_more_importance_never_loses_it(policy, i1, i2, threshold):
    """No rescue under ``none`` or ``ex_ante``; otherwise rescued from the threshold up, and more importance never less."""
    low, high = sorted((i1, i2))
    if policy in ("none", "ex_ante"):
        assert not rescue_decision(policy, high, threshold)
    else:
        assert rescue_decision(policy, low, threshold) <= rescue_decision(policy, high, threshold)
        assert rescue_decision(policy, threshold, threshold)


# ------------------------------------------------------------------------------------------------ regressions
def test_a_target_left_below_the_floor_does_not_let_a_lender_below_its_floor_lend():
    """Regression (found by the capital property): a target left below the floor no longer lends below the floor.

    With ``min_capital_ratio`` 0.05 and the target left at its default 0, a lender at 3% capital put out its full
    capacity (the target test came first). Below the floor it now lends nothing; at or above it, everything (there
    is no band between floor and target to scale in).
    """
    assert capital_factor(0.03, 0.05, 0.0) == 0.0
    assert capital_factor(0.05, 0.05, 0.0) == 1.0
    assert capital_factor(0.06, 0.05, 0.10) == pytest.approx(0.2)  # (0.06 - 0.05) / (0.10 - 0.05), unchanged


def test_a_fleet_whose_liens_equal_its_resale_value_is_not_sold_for_float_dust():
    """Regression (found by the hardware property): a sale that raises only float dust net is not made.

    2,730.9 of fleet at 0.75 with liens of exactly 0.75 x 2,730.9, deep market: each unit sold repays its lien in
    full and raises 0 net, but float dust (~1e-13) counted as proceeds and the firm sold 75% of its fleet for them.
    Proceeds within the money tolerance are nothing now: no sale.
    """
    value = 2730.900788152113
    assert hardware_sale_share(1.0, value, value * 0.75, 0.75, math.inf, 0.75) == 0.0
    # a fleet with some equity above its liens still sells: 40 at full price, liens 20, deep market, 1 short:
    # x (1 - 0.5) = 1, x = 2 of 40, 5%
    assert hardware_sale_share(1.0, 40.0, 20.0, 1.0, math.inf, 0.25) == pytest.approx(0.05)


def test_the_hardware_sale_room_of_a_small_fleet_after_large_sales_is_not_above_the_fleet():
    """Regression (found by the sale-room property): the room is never above the whole fleet.

    0.333 GW held after 8,192 GW sold this year, a cap of 100%: the allowance is the whole fleet, 1.0, but
    ``(1 x (0.333 + 8192) - 8192) / 0.333`` read 1.0000000000x in floats, more than the fleet and more than after
    a smaller sale. Now exactly 1; at a cap of 25% after selling a quarter of what it had, 0.
    """
    assert hardware_sale_room(1 / 3, 8192.0, 1.0) == 1.0
    assert hardware_sale_room(1 / 3, 0.0, 1.0) == 1.0
    assert hardware_sale_room(0.75, 0.25, 0.25) == 0.0
    assert hardware_sale_room(0.9, 0.1, 0.25) == pytest.approx(0.25 - 0.75 * 0.1 / 0.9)
