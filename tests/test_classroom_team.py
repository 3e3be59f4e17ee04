"""Team mode without a browser (classroom/team.py): students join the class run, decide, the instructor steps.

The students' choices reach the model through ``AIFinanceModel.steer``; a student who has
not decided leaves the company to its rules; a choice the round does not offer is refused
with a message, before the model (the page's checks) or by it (``DecisionError``), and
the class run carries on. Figures are the model's and change with it: the tests assert
what the decisions do, not amounts.
"""

from __future__ import annotations

import pickle
from dataclasses import replace

import mesa
import pandas as pd
import pytest

pytest.importorskip("solara")  # the classroom extras (requirements-classroom.txt); make test installs them

from classroom.i18n import LANGUAGES, t  # noqa: E402
from classroom.team import (  # noqa: E402
    CUT,
    NONE,
    RAISE,
    Choice,
    ChoiceError,
    ClassRun,
    StudentReviewer,
    as_rules,
    copy_model,
    validate,
)
from economy.records import frames  # noqa: E402
from economy.shocks import Shock  # noqa: E402
from model import AIFinanceModel  # noqa: E402

HORIZON = 16  # quarters searched for something a test needs the baseline to offer


@pytest.fixture
def run():
    """A class run of its own (not the server's), released afterwards."""
    r = ClassRun()
    yield r
    r.release()


def _events(m: AIFinanceModel, kind: str, entity: str) -> list[dict]:
    return [e for e in m.events if e["quarter"] == m.label and e["kind"] == kind and e["entity"] == entity]


def _step_until(run: ClassRun, wanted, what: str):
    """Step the class run (the rules deciding) until ``wanted(run)`` holds; fail saying what the baseline lacked."""
    for _ in range(HORIZON):
        found = wanted(run)
        if found:
            return found
        assert run.step().stepped
    pytest.fail(f"the baseline offers no {what} within {HORIZON} quarters")


def _discretionary_tranche(run: ClassRun, entity: str = "nvidia"):
    offer = run.offer(entity)
    return offer if offer and any(not x.binding and x.rules_release for x in offer.tranches) else None


def test_two_students_decide_and_the_instructor_s_step_carries_out_their_decisions(run):
    """Nvidia's student holds back a tranche and OpenAI's cuts costs: the step shows both, by those companies."""
    run.join("t", "Teacher")
    run.join("a", "Aiko", "nvidia")
    run.join("b", "Ben", "openai")
    offer = _step_until(run, _discretionary_tranche, "discretionary Nvidia tranche the rules release")
    before = run.session.model.quarter
    held = {x.contract_id: x.binding for x in offer.tranches}  # hold back all it may (a binding one is paid)
    run.decide("a", replace(as_rules(offer), tranches=held))
    run.decide("b", Choice(cut=CUT, cut_share=0.9))
    assert [run.status(m) for m in run.students()] == ["decided", "decided"] and run.all_decided()

    result = run.step()

    m = run.session.model
    assert result.stepped and m.quarter == before + 1
    declined = _events(m, "tranche_declined", "nvidia")
    assert {e["counterparty"] for e in declined} == {x.investee for x in offer.tranches if not x.binding}
    assert len(_events(m, "tranche_released", "nvidia")) == sum(x.binding for x in offer.tranches)
    assert _events(m, "cost_cut", "openai") and m.company_named("openai").cost_factor == pytest.approx(0.9)
    notes = {n.entity: n for n in run.session.notes if n.label == m.label}
    assert notes["nvidia"].decided and [k for k, _ in notes["nvidia"].changes] == ["hold"] * len(declined)
    assert notes["openai"].changes == (("cut", {"share": 0.9}),)
    assert all(a.reviewer is None for a in m.companies)  # the class model at rest follows its rules
    # every tab of the class run reads the same session, so the same quarter and story
    assert run.session.view().quarter == m.quarter
    assert [m_.choice for m_ in run.students()] == [None, None]  # choices are for one quarter


def test_a_student_who_did_not_decide_leaves_the_company_to_its_rules(run):
    """A class run whose student never decides gives the rules' run, table for table; the story says the rules decided."""
    run.join("t", "Teacher")
    run.join("c", "Chie", "banks")
    plain = AIFinanceModel(seed=0)
    for _ in range(3):
        assert run.status(run.member("c")) in ("waiting", "nothing")
        ruled = run._ruled
        assert run.step().stepped
        assert run.session.model is ruled  # nobody departed from the rules: the preview's copy is the step
        plain.step()
    for name, table in frames(plain).items():
        pd.testing.assert_frame_equal(table, frames(run.session.model)[name], check_exact=True, obj=name)
    waiting = [n for n in run.session.notes if not n.decided]
    assert waiting and all(n.entity == "banks" for n in waiting)
    assert "its rules decided" in waiting[0].text("en", {})
    assert "ルールどおり" in waiting[0].text("ja", {})
    mesa.Agent._ids.pop(plain, None)


def test_deciding_as_the_rules_would_changes_nothing(run):
    """Students who keep every decision of the rules leave the run as the rules make it."""
    run.join("a", "Aiko", "openai")
    run.join("c", "Chie", "banks")
    plain = AIFinanceModel(seed=0)
    for _ in range(3):
        for token, entity in (("a", "openai"), ("c", "banks")):
            if run.offer(entity) and run.offer(entity).choices:
                run.decide(token, as_rules(run.offer(entity)))
        run.step()
        plain.step()
    for name, table in frames(plain).items():
        pd.testing.assert_frame_equal(table, frames(run.session.model)[name], check_exact=True, obj=name)
    assert any(n.decided and not n.changes for n in run.session.notes)
    mesa.Agent._ids.pop(plain, None)


def test_a_lender_s_student_refuses_a_loan_the_rules_would_grant(run):
    """The banks' student says no to a request: the step records the refusal by the banks."""
    run.join("c", "Chie", "banks")
    offer = _step_until(run, lambda r: r.offer("banks") if any(x.rules_approve for x in r.offer("banks").requests) else None,
                        "loan request the banks' rules approve")
    borrower = next(x.borrower for x in offer.requests if x.rules_approve)
    run.decide("c", Choice(requests={borrower: False}))
    run.step()
    m = run.session.model
    refused = _events(m, "loan_refused", "banks")
    assert borrower in {e["counterparty"] for e in refused} or m.economy.firm(borrower).refused_in == m.quarter
    assert not [e for e in _events(m, "loan", "banks") if e["counterparty"] == borrower]


def test_a_lab_s_student_raises_a_round_of_its_own(run):
    """OpenAI's student asks for a round the rules did not: the model runs it (filled or failed by the market)."""
    run.join("b", "Ben", "openai")
    offer = run.offer("openai")
    assert offer.lab and offer.rules_funding is None
    run.decide("b", Choice(funding=RAISE, amount=20.0, pre_money=offer.market_value))
    run.step()
    m = run.session.model
    assert _events(m, "funding_round", "openai") or _events(m, "round_failed", "openai")


@pytest.mark.parametrize("choice, key", [
    (Choice(cut=CUT, cut_share=1.5), "team.error.cut"),
    (Choice(cut=CUT, cut_share=0.0), "team.error.cut"),
    (Choice(funding=RAISE, amount=-1.0, pre_money=100.0), "team.error.amount"),
    (Choice(funding=RAISE, amount=float("nan"), pre_money=100.0), "team.error.amount"),
    (Choice(funding=RAISE, amount=10.0, pre_money=0.0), "team.error.valuation"),
    (Choice(cancel=("no_such_contract",)), "team.error.cancel"),
    (Choice(tranches={"no_such_contract": False}), "team.error.not_offered"),
    (Choice(funding="steal"), "team.error.not_offered"),
])
def test_an_invalid_choice_is_refused_with_a_message_before_the_model(run, choice, key):
    """The page's checks refuse what the round does not offer, in both languages; the student is still waiting."""
    run.join("b", "Ben", "openai")
    with pytest.raises(ChoiceError) as refused:
        run.decide("b", choice)
    assert refused.value.key == key
    member = run.member("b")
    assert member.choice is None and member.message == (key, refused.value.fields)
    for lang in LANGUAGES:
        assert refused.value.text(lang)
    assert run.step().stepped  # the class run goes on


def test_a_binding_tranche_cannot_be_held_back(run):
    """Microsoft's commitment to OpenAI is binding: the form offers no Hold back and a crafted choice is refused."""
    run.join("m", "Mio", "microsoft")
    offer = _step_until(run, lambda r: r.offer("microsoft") if any(x.binding for x in r.offer("microsoft").tranches) else None,
                        "binding Microsoft tranche")
    binding = next(x for x in offer.tranches if x.binding)
    with pytest.raises(ChoiceError) as refused:
        run.decide("m", Choice(tranches={binding.contract_id: False}))
    assert refused.value.key == "team.error.binding"
    assert "binding" in refused.value.text("en", {"openai": "OpenAI"})


def test_a_lender_cannot_grant_what_its_rules_refused():
    """A person may refuse what the rules grant, not grant a loan the rules refused (the terms would be missing)."""
    from classroom.team import Offer, RequestItem

    offer = Offer("banks", 1, "2026Q1", 100.0, 0.0, 0.0, 100.0, 0.0, float("inf"),
                  requests=(RequestItem("crusoe", 5.0, False),))
    with pytest.raises(ChoiceError, match="cannot_grant"):
        validate(offer, Choice(requests={"crusoe": True}))
    assert validate(offer, Choice(requests={"crusoe": False}))
    with pytest.raises(ChoiceError, match="not_a_lab"):
        validate(offer, Choice(cut=CUT, cut_share=0.5))


def test_a_decision_the_model_refuses_is_shown_and_the_class_run_stays_as_it_was(run):
    """A choice that slipped past the page's checks stops only the copy: the quarter stays, the message names the company."""
    run.join("t", "Teacher")
    run.join("b", "Ben", "openai")
    model, quarter = run.session.model, run.session.model.quarter
    run.member("b").choice = Choice(cut=CUT, cut_share=1.5)  # as if the page's checks had let it through
    result = run.step()
    assert not result.stepped and result.error[0] == "team.error.model"
    assert result.error[1]["company"] == "openai" and "(0, 1]" in result.error[1]["message"]
    assert run.session.model is model and model.quarter == quarter  # untouched: the copy was stepped
    member = run.member("b")
    assert member.choice is None and member.message == result.error  # the student decides again
    assert run.error == result.error
    for lang in LANGUAGES:
        assert t(lang, "team.error.model", company="OpenAI", message="x")
    assert run.step().stepped and run.error is None  # the instructor steps again: the rules decide


def test_joining_checks_the_company_and_one_student_per_company(run):
    """An unknown company or one another student steers is refused by name; the instructor role is open to several tabs."""
    run.join("a", "Aiko", "nvidia")
    with pytest.raises(ChoiceError) as taken:
        run.join("b", "Ben", "nvidia")
    assert taken.value.key == "team.error.taken" and "Aiko" in taken.value.text("en")
    with pytest.raises(ChoiceError, match="unknown_company"):
        run.join("b", "Ben", "open-ai")
    run.decide("a", Choice())
    run.join("a2", " aiko ", "nvidia")  # Aiko again, from a reloaded tab: she takes Nvidia back, choice and all
    assert run.member("a") is None and run.member("a2").choice == Choice() and run.member("a2").role == "nvidia"
    run.join("t1", "Teacher")
    run.join("t2", "")
    assert [m.role for m in run.members.values()] == ["nvidia", "", ""]  # the order they (re)joined in
    assert run.member("t2").name == "instructor 2"
    assert {"openai", "nvidia", "banks", "private_credit"} <= set(run.candidates())


def test_the_last_tab_to_leave_releases_the_class_model(run):
    """Mesa 3.3.1 keeps models alive through mesa.Agent._ids: the class run lets its model go when nobody is left."""
    run.join("t", "Teacher")
    run.join("a", "Aiko", "openai")
    run.step()
    model = run.session.model
    assert model is not None
    run.leave("a")
    assert run.session.model is model
    run.leave("t")
    assert run.session.model is None and model not in mesa.Agent._ids
    run.join("t", "Teacher")  # a new class begins at the opening quarter
    assert run.session.model.quarter == 0


def test_step_when_all_have_decided(run):
    """With the instructor's switch on, the last student's decision steps the class run."""
    run.join("t", "Teacher")
    run.join("b", "Ben", "openai")
    run.join("c", "Chie", "private_credit")
    run.set_auto_step(True)
    quarter = run.session.model.quarter
    run.decide("b", Choice(cut=NONE))
    assert run.session.model.quarter == quarter  # Chie has not decided (or has nothing to: then it has stepped)
    if run.status(run.member("c")) == "waiting":
        run.decide("c", as_rules(run.offer("private_credit")))
    assert run.session.model.quarter == quarter + 1


def test_a_shock_on_the_class_run_finds_the_offers_again(run):
    """The instructor's shock moves the class run's world; the offers are those of the shocked world, and the step runs."""
    run.join("t", "Teacher")
    run.join("b", "Ben", "openai")
    before = run.offer("openai")
    changes = run.shock(Shock.RATES_UP.value)
    assert changes and run.offer("openai") is not before
    assert run.step().stepped
    assert run.session.model.market.policy_rate_annual == pytest.approx(changes[0].after)


def test_the_reviewer_is_picklable_and_the_copy_is_independent():
    """A StudentReviewer pickles with its choice; a copied model steps without moving the original."""
    reviewer = pickle.loads(pickle.dumps(StudentReviewer("openai", Choice(cut=CUT, cut_share=0.8))))
    assert reviewer.choice.cut_share == 0.8
    m = AIFinanceModel(seed=0, quarters=4)
    twin = copy_model(m)
    twin.steer("openai", reviewer)
    twin.step()
    assert m.quarter == 0 and twin.quarter == 1 and twin.company_named("openai").cost_factor == pytest.approx(0.8)
    assert m.company_named("openai").cost_factor == 1.0
    mesa.Agent._ids.pop(m, None)


def test_every_company_in_the_menu_has_an_offer_its_rules_accept(run):
    """The offer of each company the page lists validates as the rules' own answer."""
    run.join("t", "Teacher")
    for entity in run.candidates():
        offer = run.offer(entity)
        assert offer is not None and offer.label == "2026Q1"
        assert validate(offer, as_rules(offer))
