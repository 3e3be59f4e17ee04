"""Court-supervised reorganisation (MODEL.md 6a, rung 4): a failed firm may emerge, owned by its creditors, with less debt.

Each case is a small hand-made world (``tests.worlds``) with reorganisation switched on.
The neocloud of these worlds has no revenue at the opening, so its business is valued at a
multiple of its operating assets fixed at the opening: its opening value (0, none given) plus
its net debt, over its book assets of 50. After one quarter its hardware (34) and shells (16)
have depreciated by 1/60 and 1/120: operating assets of 33.4333 + 15.8667 = 49.3.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.decisions import Liquidate, Reorganise, RollLoan
from agents.lender import decide_roll, lending_decision
from agents.restructuring import recoveries, restructure
from economy.config import Distress
from economy.contracts import LIVE, EquityStake, Loan, State
from economy.invariants import check_invariants
from economy.ledger import Account
from economy.reorganisation import EstateView
from economy.views import credit_conditions, leverage, plan_debt_room
from tests.worlds import BANK, DOOMED_LAB, QUIET_WORLD, build, loan, neocloud, status

REORGANISING = {"distress": {**QUIET_WORLD["distress"], "reorganisation": True}}
HARDWARE, SHELLS = 34.0 * 59 / 60, 16.0 * 119 / 120
OPERATING = HARDWARE + SHELLS
FIRE_SOLD = 50 * math.log1p(HARDWARE / 50)
"""What the hardware would fetch in the quiet world's thin market (50 deep)."""


def _lender(entity: str) -> dict:
    return {**BANK, "id": entity, "name": entity.capitalize()}


def _three_lenders(order: int = 1) -> object:
    """A neocloud owing 30 senior secured on its hardware, 20 senior unsecured and 10 subordinated, at 20% (3.0 due, no cash)."""
    contracts = [loan("secured", "neo", 30.0, rate=0.2, collateral="hardware", seniority="senior_secured"),
                 {**loan("senior", "neo", 20.0, rate=0.2), "lender": "bank2"},
                 {**loan("junior", "neo", 10.0, rate=0.2), "lender": "bank3", "seniority": "subordinated"}]
    firms = [neocloud("neo", gw=1.0), _lender("bank2"), _lender("bank3")]
    return build(firms[::order], contracts[::order], world=REORGANISING, quarters=1).run()


def _stakes(m, issuer: str) -> dict[str, float]:
    return {m.ledger.names[s.from_party]: s.fraction for s in m.book.of_kind_to(EquityStake, m.index[issuer])
            if s.state in LIVE}


# ---------------------------------------------------------------- the mechanic, by hand
def test_a_firm_worth_more_running_is_reorganised_and_its_creditors_are_paid_by_seniority():
    """Hand-computed, claims of 60 against a going concern of 1.2 x 49.3 and an estate sale of 25.60 + 7.93.

    The multiple is (0 + 60) / 50 = 1.2: the going concern is 59.16, less 10% for reorganising it 53.244,
    against 33.54 from a sale. The secured lender's 30 is covered by its hardware (33.43 at full resale
    price), the senior unsecured 20 next, the subordinated lender gets the 3.244 left. The emerged firm keeps
    debt of 40% of 53.244 = 21.2976, all of it the secured lender's, the most senior recovery; the rest is
    paid in shares worth 53.244 - 21.2976 = 31.9464 in all: 30 - 21.2976 = 8.7024 to the secured lender,
    20 to the senior and 3.244 to the subordinated one.
    """
    m = _three_lenders()
    assert status(m, "neo") == "reorganised"
    value = 0.9 * 1.2 * OPERATING
    assert value > FIRE_SOLD + 0.5 * SHELLS
    kept = 0.4 * value
    equity = value - kept
    recovered = {"bank": 30.0, "bank2": 20.0, "bank3": value - 50.0}
    principal = {m.ledger.names[x.from_party]: x.principal for x in m.book.of_kind_to(Loan, m.index["neo"])
                 if x.state in LIVE}
    assert principal == pytest.approx({"bank": kept})
    assert m.book.by_id["senior"].state is State.DEFAULTED and m.book.by_id["junior"].state is State.DEFAULTED
    assert _stakes(m, "neo") == pytest.approx({"bank": (30.0 - kept) / equity, "bank2": 20.0 / equity,
                                               "bank3": recovered["bank3"] / equity})
    assert sum(_stakes(m, "neo").values()) == pytest.approx(1.0)
    losses = {r["holder"]: r["amount"] for r in m.losses if r["source"] == "neo" and r["kind"] == "loan"}
    assert losses == pytest.approx({"bank3": 10.0 - recovered["bank3"]})
    h = m.index["neo"]
    assert m.ledger.balance(h, Account.DEBT) == pytest.approx(kept)
    # the default is recorded as one, with its outcome; the reorganisation is an event of its own
    assert [r["outcome"] for r in m.cascade] == ["reorganised"]
    assert any(e["kind"] == "default" and e["text"].endswith("; reorganised") for e in m.events)
    assert [e["entity"] for e in m.events if e["kind"] == "reorganised"] == ["neo"]


def test_the_reorganised_firm_keeps_its_assets_balances_its_books_and_owes_less_than_it_owns():
    """It keeps its hardware and shells, its book equity is 49.3 - 21.2976 >= 0, and the quarter's invariants hold."""
    m = _three_lenders()
    h = m.index["neo"]
    co = m.by_holder[h]
    assert co.alive and co.fleet.hardware_gw == pytest.approx(1.0)
    assert m.ledger.balance(h, Account.HARDWARE) == pytest.approx(HARDWARE)
    assert m.ledger.balance(h, Account.DC_SHELLS) == pytest.approx(SHELLS)
    assert m.ledger.equity(h) == pytest.approx(OPERATING - 0.4 * 0.9 * 1.2 * OPERATING)
    assert m.ledger.equity(h) >= 0
    check_invariants(m.economy)
    # the loan it keeps runs on past the reorganisation, with no undrawn commitment
    for x in m.book.of_kind_to(Loan, h):
        if x.state is State.DEFAULTED:  # exchanged for shares in full
            assert x.principal == 0.0
            continue
        assert x.state in LIVE and x.end >= 1 + Distress().reorganisation_tenor_quarters and x.limit is None


def test_the_exit_plan_caps_new_debt_at_what_the_firm_left_court_with_while_its_loans_run():
    """An exit facility's debt covenant: a new loan is refused, a roll of a kept loan is not, the cap ends with the plan.

    The firm leaves court owing 21.2976 (40% of its reorganised value): its plan forbids more debt for
    ``reorganisation_tenor_quarters`` (12) quarters; the same loan asked of a lender with room is granted
    once the plan is over. Without the plan the request would pass (leverage 22.2976 / 50.3 is under the cap).
    """
    m = _three_lenders()
    e = m.economy
    co = e.by_holder[m.index["neo"]]
    bank = e.by_holder[m.index["bank"]]
    kept = 0.4 * 0.9 * 1.2 * OPERATING
    assert co.plan_debt == pytest.approx(kept)
    assert co.plan_until == 1 + Distress().reorganisation_tenor_quarters
    assert plan_debt_room(e, co) == pytest.approx(0.0)
    params, conditions = bank.spec.lender, credit_conditions(e, bank, co)
    ok, _spread = lending_decision(params, leverage(e, co, bank, 1.0), 1.0, 1_000.0, conditions)
    assert not ok
    assert isinstance(decide_roll(params, "secured", kept, leverage(e, co, bank, 0.0), 1_000.0, conditions), RollLoan)
    ok, _spread = lending_decision(params, leverage(e, co, bank, 1.0), 1.0, 1_000.0,
                                   replace(conditions, debt_room=float("inf")))
    assert ok  # the plan's cap, not the lender's other limits, is what refused it
    co.plan_until = e.quarter - 1  # the plan has run its course
    assert plan_debt_room(e, co) == float("inf")


def test_the_outcome_does_not_depend_on_the_order_of_the_lists():
    """The same case with the firms and the contracts listed the other way round gives the same stakes and losses."""
    forward, backward = _three_lenders(1), _three_lenders(-1)
    assert _stakes(forward, "neo") == pytest.approx(_stakes(backward, "neo"))
    def lost(m) -> dict[str, float]:
        return {r["holder"]: r["amount"] for r in m.losses}

    def debt(m) -> dict[str, float]:
        return {m.ledger.names[x.from_party]: x.principal for x in m.book.of_kind_to(Loan, m.index["neo"]) if x.live(1)}

    assert lost(forward) == pytest.approx(lost(backward)) and debt(forward) == pytest.approx(debt(backward))


def test_a_reorganised_sellers_customers_keep_their_contract_with_it_and_it_operates_again():
    """A neocloud renting 1 GW to a lab for 10 a quarter fails on 25 of interest; reorganised, it keeps the lab's contract.

    Claims 200 (the multiple 200 / 50 = 4), the rent of 10 paid out as interest: 40% of its reorganised value
    0.9 x 4 x 49.3 would be 71.0 of debt, more than its book assets of 49.3, so it keeps 49.3 (book equity
    zero), whose interest at 50% is 6.2 a quarter, which its rent of 10 covers: it does not fail again.
    """
    lab = {"id": "lab", "name": "Lab", "role": "lab", "market_value": 100.0, "opening": {"cash": 100.0},
           "lab": {"market_share": 0.0, "opex_quarterly": 0.0, "revenue_per_gw_quarter_max": 10.0}}
    rent = {"id": "rent", "kind": "compute", "buyer": "lab", "seller": "neo", "total_value": 40.0, "gw": 1.0,
            "start": "2026Q1", "quarters": 4}
    m = build([lab, neocloud("neo", gw=1.0)], [rent, loan("neo-loan", "neo", 200.0, rate=0.5)],
              world=REORGANISING, quarters=3).run()
    assert status(m, "neo") in ("reorganised", "distressed")  # it operates, thin on cash
    c = m.book.by_id["rent"]
    assert c.to_party == m.index["neo"] and c.state in LIVE
    assert [r["entity"] for r in m.cascade] == ["neo"]  # one default, in the first quarter
    assert 0.4 * 0.9 * 4.0 * OPERATING > OPERATING
    assert m.book.by_id["neo-loan"].principal == pytest.approx(OPERATING)
    assert not [r for r in m.losses if r["kind"] == "backlog"]


def test_a_firm_worth_more_sold_is_liquidated_as_before():
    """A neocloud owing 10 (at 40%: 1.0 due, no cash) is liquidated: the sale repays it all, reorganising would not.

    The multiple is 10 / 50 = 0.2: the going concern 0.9 x 0.2 x 49.3 = 8.87 is less than the 10 a sale of
    33.54 recovers, so it is liquidated, and its shareholders get the 23.54 left after the lender.
    """
    m = build([neocloud("neo", gw=1.0)], [loan("neo-loan", "neo", 10.0, rate=0.4)], world=REORGANISING, quarters=1).run()
    assert status(m, "neo") == "defaulted"
    assert [r["outcome"] for r in m.cascade] == ["liquidated"]
    assert m.book.by_id["neo-loan"].state is State.DEFAULTED
    assert not [r for r in m.losses if r["kind"] == "loan"]
    surplus = [e["amount"] for e in m.events if e["kind"] == "liquidation_proceeds"]
    assert surplus == pytest.approx([FIRE_SOLD + 0.5 * SHELLS - 10.0])


def test_a_business_that_does_not_pay_its_way_is_liquidated_however_it_is_valued():
    """The doomed lab (worth 100, no revenue, costs of 1 a quarter, no cash) fails the feasibility test and is liquidated."""
    m = build([DOOMED_LAB], [], world=REORGANISING, quarters=1).run()
    assert status(m, "doomed") == "defaulted"
    assert [r["outcome"] for r in m.cascade] == ["liquidated"]


def test_switched_off_every_default_is_a_liquidation():
    """With ``reorganisation: false`` the first case is liquidated."""
    world = {"distress": {**QUIET_WORLD["distress"], "reorganisation": False}}
    contracts = [loan("secured", "neo", 30.0, rate=0.2, collateral="hardware", seniority="senior_secured")]
    m = build([neocloud("neo", gw=1.0)], contracts, world=world, quarters=1).run()
    assert status(m, "neo") == "defaulted"


# ---------------------------------------------------------------- the rule
def test_the_rule_reorganises_when_creditors_recover_more_and_liquidates_otherwise():
    """Hand-computed: claims 100, going concern 80 (72 net) against a sale of 40 -> reorganise with 28.8 of debt."""
    view = EstateView("x", 100.0, 100.0, 80.0, 40.0, 60.0, True)
    assert restructure(view, Distress()) == Reorganise("x", 72.0, pytest.approx(28.8), 72.0, 40.0)
    assert restructure(EstateView("x", 100.0, 100.0, 40.0, 50.0, 60.0, True), Distress()) == Liquidate("x", 50.0, 36.0)
    # a lender's or investor's portfolio is sold, however the court values it
    assert isinstance(restructure(EstateView("x", 100.0, 100.0, 80.0, 40.0, 60.0, False), Distress()), Liquidate)
    # the debt it keeps is no more than leaves its book equity at zero
    assert restructure(EstateView("x", 100.0, 100.0, 80.0, 40.0, 10.0, True), Distress()).new_debt == 10.0
    # a higher cost of reorganising tips the balance: 80 x (1 - 0.5) = 40 is no more than the sale's 40
    assert isinstance(restructure(view, Distress(reorganisation_cost_share=0.5)), Liquidate)


money = st.floats(min_value=0.0, max_value=1e4, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(claims=money, going=money, sale=money, room=money, cost=st.floats(0.0, 1.0), leverage=st.floats(0.0, 0.99),
       surplus=st.floats(-100.0, 100.0), cash=money)
def test_the_creditors_never_recover_less_under_the_chosen_outcome(claims, going, sale, room, cost, leverage, surplus,
                                                                 cash):
    """Whatever the figures, the chosen outcome recovers at least the other for the creditors (when both are open)."""
    params = Distress(reorganisation_cost_share=cost, reorganisation_leverage=leverage)
    view = EstateView("x", claims, claims, going, sale, room, True, cash=cash, operating_surplus=surplus)
    decision = restructure(view, params)
    reorganised, liquidated = recoveries(view, params)
    if isinstance(decision, Reorganise):
        assert decision.recovery >= liquidated and decision.recovery == reorganised
        assert 0.0 <= decision.new_debt <= min(decision.value, room, claims) + 1e-9
    elif cash + 4.0 * min(0.0, surplus) >= 0:  # feasible: liquidating was the creditors' better choice
        assert decision.recovery >= reorganised - 1e-6 * max(1.0, claims)
