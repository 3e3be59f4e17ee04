"""A person can take one company's decisions (classroom team mode) through the model's public hook, within the rules' offer."""

from __future__ import annotations

import pandas as pd
import pytest

from agents.decisions import HoldBackTranche, RefuseLoan, RefuseRoll, ReleaseTranche, RollLoan
from agents.lab import CutCosts, RaiseFunding
from agents.rounds import DecisionError
from economy.records import frames
from model import AIFinanceModel

QUARTERS = 8


def _run(steer: dict | None = None, quarters: int = QUARTERS) -> AIFinanceModel:
    m = AIFinanceModel(seed=0, quarters=quarters)
    for entity, reviewer in (steer or {}).items():
        m.steer(entity, reviewer)
    return m.run()


def test_a_reviewer_that_keeps_every_decision_changes_nothing():
    """Steering that agrees with the rules gives the same run, table for table."""
    seen = []

    def agree(agent, decisions):
        seen.append(agent.entity)
        return decisions

    plain, steered = _run(), _run({"nvidia": agree, "openai": agree, "banks": agree})
    assert {"nvidia", "openai", "banks"} <= set(seen)
    for name, table in frames(plain).items():
        pd.testing.assert_frame_equal(table, frames(steered)[name], check_exact=True, obj=name)


def test_nvidia_holding_back_every_tranche_releases_nothing_to_openai():
    """A student at Nvidia who holds back every tranche it may release: no Nvidia tranche is paid, and the run differs."""
    def hold_back(agent, decisions):
        return [HoldBackTranche(d.contract_id, d.amount, 0.0, 1.0) if isinstance(d, ReleaseTranche) else d
                for d in decisions]

    plain, steered = _run(), _run({"nvidia": hold_back})
    released = [e for e in plain.events if e["kind"] == "tranche_released" and e["entity"] == "nvidia"]
    assert released, "the baseline has Nvidia tranches to hold back"
    assert not [e for e in steered.events if e["kind"] == "tranche_released" and e["entity"] == "nvidia"]
    assert [e for e in steered.events if e["kind"] == "tranche_declined" and e["entity"] == "nvidia"]
    steered.check_invariants()


def test_a_lender_refusing_everything_refuses_new_money_and_rolls():
    """A student at the banks who says no to every request: no new bank loan is drawn in the run."""
    def refuse(agent, decisions):
        out = []
        for d in decisions:
            if isinstance(d, RollLoan):
                out.append(RefuseRoll(d.loan_id, 0.0))
            elif type(d).__name__ == "ApproveLoan":
                out.append(RefuseLoan(d.borrower, d.request.amount, 0.0))
            else:
                out.append(d)
        return out

    plain, steered = _run(), _run({"banks": refuse})
    assert [e for e in plain.events if e["kind"] == "loan" and e["entity"] == "banks"]
    assert not [e for e in steered.events if e["kind"] == "loan" and e["entity"] == "banks"]
    assert [e for e in steered.events if e["kind"] == "loan_refused" and e["entity"] == "banks"]


def test_a_lab_student_can_cut_costs_and_raise_a_round():
    """OpenAI's student adds a cost cut and a funding round the rules did not take: both are carried out."""
    def act(agent, decisions):
        if agent.economy.quarter != 1:
            return decisions
        return [d for d in decisions if not isinstance(d, CutCosts | RaiseFunding)] + [
            CutCosts(agent.entity, 0.9), RaiseFunding(agent.entity, 10.0, agent.market_value)]

    m = _run({"openai": act}, quarters=1)
    kinds = {e["kind"] for e in m.events if e["entity"] == "openai"}
    assert "cost_cut" in kinds and kinds & {"funding_round", "round_failed"}
    assert m.company_named("openai").cost_factor == 0.9


@pytest.mark.parametrize("bad, message", [
    (lambda agent, ds: ds + [CutCosts("anthropic", 0.9)], "not a decision openai can take"),
    (lambda agent, ds: ds + [CutCosts("openai", 1.5)], r"share in \(0, 1\]"),
    (lambda agent, ds: ds + [RaiseFunding("openai", -1.0, 100.0)], "positive amount"),
])
def test_a_decision_outside_the_offer_stops_the_step_with_a_clear_error(bad, message):
    """Deciding for another company, or outside a rule's range, is refused naming the company."""
    m = AIFinanceModel(seed=0, quarters=2)
    m.steer("openai", bad)
    with pytest.raises(DecisionError, match=message):
        m.step()


def test_a_binding_tranche_cannot_be_held_back():
    """Microsoft's committed investment in OpenAI is binding: a student cannot hold it back."""
    def hold_back(agent, decisions):
        return [HoldBackTranche(d.contract_id, d.amount, 0.0, 1.0) if isinstance(d, ReleaseTranche) else d
                for d in decisions]

    m = AIFinanceModel(seed=0, quarters=2)
    m.steer("microsoft", hold_back)
    with pytest.raises(DecisionError, match="binding"):
        m.step()


def test_steering_an_unknown_company_names_the_companies():
    """A typo in the company id is a KeyError listing the ids."""
    with pytest.raises(KeyError, match="companies: .*openai"):
        AIFinanceModel(seed=0, quarters=1).steer("open-ai", lambda a, d: d)


def test_handing_back_to_the_rules():
    """steer(entity, None) lets the rules decide again."""
    m = AIFinanceModel(seed=0, quarters=1)
    m.steer("nvidia", lambda a, d: d)
    m.steer("nvidia", None)
    assert m.company_named("nvidia").reviewer is None
