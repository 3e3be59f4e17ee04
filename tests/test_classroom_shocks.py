"""The instructor shocks (economy/shocks.py, AIFinanceModel.apply_shock).

Each moves the next quarter's world in the way its name says, the rules then decide,
and the books stay intact.
"""

from __future__ import annotations

import mesa
import pytest

from agents.lender import CreditConditions, lending_decision
from economy import shocks
from economy.config import ConfigError
from economy.records import frames
from economy.shocks import Shock, ShockError
from model import AIFinanceModel

QUARTERS = 12
AT = 2  # shocks are applied after this many quarters


def _run(shock: Shock | None = None, times: int = 1, steps: int = QUARTERS, config: str = "configs/baseline.yaml"):
    """A baseline run with ``shock`` applied ``times`` after quarter AT (the twin run when None)."""
    m = AIFinanceModel(config, quarters=QUARTERS)
    changes = []
    for q in range(steps):
        if shock is not None and q == AT:
            for _ in range(times):
                changes.extend(m.apply_shock(shock))
        m.step()
        m.check_invariants()  # step() checks too; asserting here keeps the promise visible in the test
    mesa.Agent._ids.pop(m, None)
    return m, changes


@pytest.fixture(scope="module")
def twin():
    """The unshocked run every shocked run is compared with (same seed, same draws)."""
    return _run()[0]


def _system(m: AIFinanceModel, quarter: int):
    return frames(m)["system"].iloc[quarter]


def test_demand_bust_switches_the_regime_next_quarter(twin):
    m, changes = _run(Shock.DEMAND_BUST)
    assert changes[0].lever == "demand_regime" and changes[0].after == "bust"
    before, after = _system(twin, AT + 1), _system(m, AT + 1)
    assert _system(m, AT)["demand_regime"] == "steady"  # nothing moves before the shock
    assert after["demand_regime"] == "bust" and before["demand_regime"] == "steady"
    assert after["ai_demand"] < before["ai_demand"]
    assert frames(m)["system"]["demand_regime"].iloc[AT + 1:].eq("bust").all()  # and it lasts


def test_rates_rise_200bp_from_next_quarter_for_the_rest_of_the_path(twin):
    m, changes = _run(Shock.RATES_UP)
    a, b = frames(twin)["system"]["policy_rate_annual"], frames(m)["system"]["policy_rate_annual"]
    assert (b.iloc[: AT + 1] == a.iloc[: AT + 1]).all()
    assert (b.iloc[AT + 1:] - a.iloc[AT + 1:]).round(10).eq(shocks.RATE_RISE).all()
    assert changes[0].after == pytest.approx(changes[0].before + shocks.RATE_RISE)


def test_rates_shock_keeps_a_scenario_s_later_steps_shifted():
    m = AIFinanceModel("configs/scenarios/rate_shock.yaml", quarters=QUARTERS)  # the scenario's step is at 2026Q2 = quarter 2
    m.apply_shock(Shock.RATES_UP)  # from quarter 1, before the scenario's own step
    rates = [s.rate_annual for s in m.config.world.policy_rate]
    assert rates == pytest.approx([0.03625, 0.05625, 0.07625])
    mesa.Agent._ids.pop(m, None)


def test_gpu_resale_price_falls_30_percent_and_stays(twin):
    m, changes = _run(Shock.GPU_RESALE_FALLS)
    a, b = frames(twin)["system"]["resale_factor"], frames(m)["system"]["resale_factor"]
    # the shocked run's own fire sales move its price from then on, so it is not 70% of the other run's
    # quarter by quarter; it stays at most the shocked level and below the unshocked run
    assert (b.iloc[AT + 1:] <= shocks.RESALE_FACTOR + 1e-12).all()
    assert (b.iloc[AT + 1:] <= a.iloc[AT + 1:] + 1e-12).all()
    assert b.iloc[AT] == a.iloc[AT]
    twice = _run(Shock.GPU_RESALE_FALLS, times=2, steps=AT + 1)[0]
    assert twice.market.resale_factor == pytest.approx(shocks.RESALE_FACTOR ** 2)
    assert changes[0].after == pytest.approx(shocks.RESALE_FACTOR)


def test_fire_sale_in_a_shocked_market_fetches_less():
    m = AIFinanceModel(quarters=QUARTERS)
    plain = m.world.fire_sale(10.0)
    m.apply_shock(Shock.GPU_RESALE_FALLS)
    m.world.market.fire_sold_value = 0.0
    assert m.world.fire_sale(10.0) == pytest.approx(plain * shocks.RESALE_FACTOR)
    mesa.Agent._ids.pop(m, None)


def test_private_credit_halves_its_largest_loan_and_the_rule_sees_it():
    m, changes = _run(Shock.PRIVATE_CREDIT_HALVES, steps=AT + 1)
    lender = m.company_named(shocks.PRIVATE_CREDIT)
    assert changes[0].after == pytest.approx(changes[0].before * shocks.CREDIT_FACTOR)
    assert lender.spec.lender.max_exposure_share == pytest.approx(changes[0].after)
    calm = CreditConditions(sentiment=0.0, stress=0.0, rescue_belief=0.0)
    cash = lender.cash()
    between = cash * changes[0].before * 0.75  # a loan the old appetite allowed and the new one does not
    assert lending_decision(m.config.company(shocks.PRIVATE_CREDIT).lender.model_copy(
        update={"max_exposure_share": changes[0].before}), 0.1, between, cash, calm)[0]
    assert not lending_decision(lender.spec.lender, 0.1, between, cash, calm)[0]


def test_nvidia_discipline_raises_its_thresholds_and_its_rule_then_holds_back(twin):
    m, changes = _run(Shock.NVIDIA_DISCIPLINE, times=3)
    loi = m.book.by_id["nvidia_openai_loi"]
    assert loi.health_threshold == pytest.approx(1.0)  # 0.5 + 0.2 + 0.2, capped at 1
    assert m.config.contracts[[c.id for c in m.config.contracts].index("nvidia_openai_loi")].health_threshold == 1.0
    assert m.book.by_id["msft_openai_remaining"].health_threshold == 0.0  # others' commitments untouched
    assert {c.subject for c in changes} == {"nvidia_openai_loi", "nvidia_anthropic"}
    # the world moved, the rule decided: tranches the twin released are now held back
    assert twin.book.by_id["nvidia_openai_loi"].released > 0
    assert loi.released < twin.book.by_id["nvidia_openai_loi"].released
    assert any(e["kind"] == "tranche_declined" and e["entity"] == "nvidia" for e in m.events)


@pytest.mark.parametrize("shock", list(Shock))
def test_every_shock_keeps_the_books_and_the_agents_specs_in_step(shock):
    m, _ = _run(shock, steps=AT + 4)  # invariants are checked every quarter
    assert all(co.spec is m.config.company(co.entity) for co in m.companies)
    assert m.market is m.world.market


def test_shock_after_the_last_quarter_is_refused():
    m = AIFinanceModel(quarters=2)
    m.step()
    m.step()
    with pytest.raises(ShockError, match="over"):
        m.apply_shock(Shock.RATES_UP)
    with pytest.raises(ValueError):
        m.apply_shock("no_such_shock")
    mesa.Agent._ids.pop(m, None)


def test_a_config_without_the_company_is_refused_and_nothing_changes():
    m = AIFinanceModel("tests/configs/tiny.yaml")
    before = m.config
    for shock in (Shock.PRIVATE_CREDIT_HALVES, Shock.NVIDIA_DISCIPLINE):  # tiny has neither company
        with pytest.raises(ShockError, match="no company"):
            m.apply_shock(shock)
    assert m.config is before
    mesa.Agent._ids.pop(m, None)


@pytest.mark.parametrize("quarters", [1, 2, 6])
@pytest.mark.parametrize("shock", list(Shock))
def test_every_shock_works_in_a_run_shorter_than_the_dates_in_its_file(shock, quarters):
    """A baseline cut to a few quarters keeps contracts and rate steps dated after its end; a shock still applies.

    The shocked config keeps the run's own length, and the shock moves what it says.
    """
    m = AIFinanceModel(quarters=quarters)
    changes = m.apply_shock(shock)
    assert changes and m.config.run.quarters == quarters
    assert all(co.spec is m.config.company(co.entity) for co in m.companies)
    m.run()  # invariants are checked every quarter
    assert m.quarter == quarters


def test_a_short_run_s_shock_still_validates_what_it_moves():
    """Widening the horizon for the check loosens only the horizon: a value out of range is still refused."""
    m = AIFinanceModel(quarters=2)
    cfg = m.config
    mesa.Agent._ids.pop(m, None)
    with pytest.raises(ConfigError, match="rate_annual"):
        shocks._validated(cfg, {"world.policy_rate": [{"from": cfg.run.start, "rate_annual": 0.9}]}, "shock test")
    assert shocks._validated(cfg, {}, "shock test").run.quarters == 2
