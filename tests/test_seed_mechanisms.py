"""The seeds' mechanisms: OpenAI's inference off Nvidia, Amazon's investment in AWS credits, investors reading share loss."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import agents.rounds as rounds
from agents.base import Status, View
from agents.lab import health_score
from economy.config import LabParams, load_config
from economy.contracts import ComputeCredit, EquityStake
from economy.ledger import Account
from economy.procurement import chip_shares
from economy.views import view_of
from model import BASELINE, AIFinanceModel

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "configs" / "scenarios"
LAB = LabParams(market_share=0.5, opex_quarterly=2.0, revenue_per_gw_quarter_max=6.0, target_runway_quarters=8)


def view(trend: float = 0.0, growth: float = 0.5, runway: float = math.inf) -> View:
    return View(quarter=8, cash=100.0, debt=0.0, total_assets=100.0, revenue_q=10.0, ai_revenue_q=10.0,
                ai_revenue_growth_yoy=growth, burn_q=0.0, runway_q=runway, capacity_gw=0.0, compute_gw=2.0,
                market_value=500.0, status=Status.HEALTHY, market_share=0.5, market_share_trend_annual=trend)


# ------------------------------------------------------------------------------------------------ inference off Nvidia
def test_the_baseline_moves_a_tenth_of_openais_nvidia_slice_to_other_chips():
    """OpenAI's inference_diversification is the seeds' ~10% (FACTS 0); only capacity built for OpenAI is affected.

    Hand computation from the baseline's hardware shares (Nvidia 0.55, AMD 0.04, Broadcom 0.12, Cerebras 0.005,
    Groq 0.002): Nvidia gives 0.055 to the others pro rata to their 0.167, so AMD 0.04 + 0.055 x 0.04 / 0.167.
    """
    cfg = load_config(BASELINE)
    assert next(c for c in cfg.companies if c.id == "openai").lab.inference_diversification == pytest.approx(0.1)
    e = AIFinanceModel(seed=0, quarters=1).economy
    generic = {c.entity: s for c, s in chip_shares(e, None)}
    for_openai = {c.entity: s for c, s in chip_shares(e, e.index["openai"])}
    assert for_openai["nvidia"] == pytest.approx(0.9 * generic["nvidia"])
    others = sum(s for k, s in generic.items() if k != "nvidia")
    assert for_openai["amd"] == pytest.approx(generic["amd"] + 0.1 * generic["nvidia"] * generic["amd"] / others)
    assert sum(for_openai.values()) == pytest.approx(sum(generic.values()))
    assert {c.entity: s for c, s in chip_shares(e, e.index["anthropic"])} == pytest.approx(generic)


# ------------------------------------------------------------------------------------------------ share trend and health
def test_health_halves_its_weight_on_the_market_share_trend():
    """Hand-computed: cash and growth on plan, share flat -> 0.25 + 0.125 + 0.25 = 0.625; losing 5% a year -> 0.375."""
    assert health_score(view(trend=0.0), LAB, 0.5) == pytest.approx(0.625)
    assert health_score(view(trend=-0.05), LAB, 0.5) == pytest.approx(0.375)
    assert health_score(view(trend=0.05), LAB, 0.5) == pytest.approx(0.875)


@given(st.floats(-1, 1), st.floats(-1, 1), st.floats(-1, 3))
def test_health_never_rises_when_the_lab_loses_share_faster(t1, t2, growth):
    """The same lab losing share faster (or gaining it slower) is never judged healthier."""
    lo, hi = sorted((t1, t2))
    assert health_score(view(trend=lo, growth=growth), LAB, 0.5) <= health_score(view(trend=hi, growth=growth), LAB, 0.5)


def test_a_labs_view_carries_its_share_and_its_yearly_pace_since_the_start():
    """Hand-computed: OpenAI's share 0.5 -> 0.405 after 8 quarters is (0.81)^(1/2) - 1 = -10% a year.

    Over fewer than four quarters the pace is counted over four: 0.5 -> 0.45 in two quarters is -10%.
    A firm that is not a lab has neither share nor trend.
    """
    m = AIFinanceModel(seed=0, quarters=1)
    e = m.economy
    openai = e.index["openai"]
    e.competition.shares[openai] = 0.405
    e.quarter = 8
    v = view_of(e, e.firm("openai"))
    assert (v.market_share, v.market_share_trend_annual) == (pytest.approx(0.405), pytest.approx(-0.1))
    e.competition.shares[openai], e.quarter = 0.45, 2
    assert view_of(e, e.firm("openai")).market_share_trend_annual == pytest.approx(-0.1)
    assert (view_of(e, e.firm("oracle")).market_share, view_of(e, e.firm("oracle")).market_share_trend_annual) == (0.0, 0.0)


def _nvidia_decisions(monkeypatch, config) -> tuple[list[dict], dict[str, tuple[View, float, float]]]:
    """Nvidia's tranche events for OpenAI, and by quarter the (view, health, expected growth) investors saw of OpenAI."""
    seen: dict[str, tuple[View, float, float]] = {}
    original = rounds.investee_health

    def spy(e, co, v):
        health = original(e, co, v)
        if co.entity == "openai":
            seen[e.label] = (v, health, e.world.expected_growth_annual(e.quarter))
        return health

    monkeypatch.setattr(rounds, "investee_health", spy)
    m = AIFinanceModel(config=config, seed=0).run()
    events = [ev for ev in m.events if ev["entity"] == "nvidia" and ev["counterparty"] == "openai"
              and ev["kind"] in ("tranche_released", "tranche_declined")]
    return events, seen


def test_growth_stall_makes_nvidia_hold_back_because_openai_loses_share(monkeypatch):
    """In the baseline Nvidia releases every tranche OpenAI earns; when Gemini and Claude take share it holds back.

    For the right reason: at each tranche held back, OpenAI's health is below Nvidia's threshold, and the same
    view with a flat share (trend 0) would have cleared it.
    """
    base, _ = _nvidia_decisions(monkeypatch, load_config(BASELINE))
    assert base and all(ev["kind"] == "tranche_released" for ev in base)
    cfg = load_config(SCENARIOS / "growth_stall.yaml")
    stall, seen = _nvidia_decisions(monkeypatch, cfg)
    held = [ev for ev in stall if ev["kind"] == "tranche_declined"]
    assert held
    threshold = next(c for c in cfg.contracts if c.id == "nvidia_openai_loi").health_threshold
    openai = next(c for c in cfg.companies if c.id == "openai").lab
    for ev in held:
        v, health, expected = seen[ev["quarter"]]
        assert health < threshold
        assert v.market_share_trend_annual < 0
        assert health_score(v, openai, expected) == pytest.approx(health)
        assert health_score(dataclasses.replace(v, market_share_trend_annual=0.0), openai, expected) >= threshold


# ------------------------------------------------------------------------------------------------ Amazon's credits
def test_the_amazon_credits_scenario_pays_most_of_its_investment_in_credits_spent_on_aws():
    """Amazon's tranches as credits become ComputeCredit balances that OpenAI spends only on its AWS bills.

    What was redeemed (the credits' amount less their balance) is positive, OpenAI's credits receivable equal
    the balances left, and Amazon holds a stake in OpenAI for what it put in.
    """
    m = AIFinanceModel(config=load_config(SCENARIOS / "amazon_credits.yaml"), seed=0).run()
    e = m.economy
    credits = [c for c in e.book.of_kind(ComputeCredit) if c.id.startswith("amazon_openai_credits")]
    assert credits and all((c.from_party, c.to_party) == (e.index["amazon"], e.index["openai"]) for c in credits)
    redeemed = sum(c.amount - c.balance for c in credits)
    assert redeemed > 0
    assert e.ledger.balance(e.index["openai"], Account.CREDITS_RECEIVABLE) == pytest.approx(sum(c.balance for c in credits))
    released = [ev for ev in m.events if ev["kind"] == "tranche_released" and ev["entity"] == "amazon"]
    assert any("(credits)" in ev["text"] for ev in released) and any("(cash)" in ev["text"] for ev in released)
    commitments = {c.id: c for c in load_config(SCENARIOS / "amazon_credits.yaml").contracts}
    assert commitments["amazon_openai_credits"].maximum > commitments["amazon_openai_upfront"].maximum  # largely credits
    assert any(s.from_party == e.index["amazon"] for s in e.book.of_kind_to(EquityStake, e.index["openai"]))


def test_the_amazon_credits_scenario_is_listed():
    """configs/README.md lists the scenario among the shipped ones."""
    assert "`amazon_credits.yaml`" in (ROOT / "configs" / "README.md").read_text(encoding="utf-8")
