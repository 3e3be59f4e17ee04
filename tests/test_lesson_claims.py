"""The guided lessons' concrete claims, checked against runs made the way the page makes them.

Each lesson's texts (``classroom/lessons/<id>.{en,ja}.md``) tell a teacher what happens
under its preset: who fails, in which year, what comes first, roughly how much. Those
claims go stale whenever the model changes, so every one left in the texts is checked
here. A run is built as the page builds it: ``classroom.state.Session.reset`` with the
lesson's preset from ``lessons.yaml`` (or the lever values a step names), stepped
quarter by quarter, with a shock pressed through ``Session.shock`` after the quarter a
step names. Each test's docstring quotes the sentence it checks and names its file;
when a test fails, change the text (both languages) to what the model does now.

The runs are cached for the module (each is made once, about 2-3 s).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pandas as pd
import pytest

pytest.importorskip("solara")  # the classroom extras, as in test_classroom_units

from classroom import levers  # noqa: E402
from classroom.lessons import _CJK_BREAK, HERE, lessons  # noqa: E402
from classroom.state import Session, circular_share  # noqa: E402
from economy.records import frames  # noqa: E402

REFUSALS = ("loan_refused", "refinancing_refused")
WARNINGS = (*REFUSALS, "tranche_declined", "round_failed")
"""Events the Info tab calls the signs that come before a default."""


@dataclass(frozen=True)
class Run:
    """A finished run's tables, the circular-share monitor per quarter (if asked) and its shocks."""

    tables: dict[str, pd.DataFrame]
    circular: dict[str, float | None]
    effective: tuple[str, ...]
    config: object

    @property
    def events(self) -> pd.DataFrame:
        """The events table."""
        return self.tables["events"]

    def kind(self, *kinds: str) -> pd.DataFrame:
        """Events of these kinds."""
        ev = self.events
        return ev[ev["kind"].isin(kinds)]

    @property
    def defaults(self) -> list[tuple[str, str]]:
        """(quarter, firm) of every default, in order."""
        d = self.kind("default")
        return list(zip(d["quarter"], d["entity"], strict=True))

    def first_default(self, entity: str) -> str | None:
        """The quarter ``entity`` first defaults in (None if it never does)."""
        return next((q for q, e in self.defaults if e == entity), None)

    @property
    def system(self) -> pd.DataFrame:
        """The system table by quarter."""
        return self.tables["system"].set_index("quarter")

    def sheet(self, entity: str, column: str) -> pd.Series:
        """A balance-sheet column of one firm by quarter."""
        bs = self.tables["balance_sheets"]
        return bs[bs["entity"] == entity].set_index("quarter")[column]


def preset(lesson_id: str) -> tuple[str, dict]:
    """The lesson's scenario and lever values, as lessons.yaml gives them to the page."""
    lesson = next(x for x in lessons() if x.id == lesson_id)
    return lesson.scenario, dict(lesson.values)


@cache
def run(scenario: str, values: tuple = (), shock: str | None = None, after: str | None = None,
        circular: bool = False) -> Run:
    """Reset a page session to ``scenario`` and ``values``; step to the end, pressing ``shock`` after quarter ``after``."""
    session = Session()
    assert session.reset(scenario, dict(values)), session.error
    shares: dict[str, float | None] = {}
    while session.step():
        if circular:
            view = session.view()
            shares[view.label] = circular_share(view)
        if shock and session.model.label == after:
            session.shock(shock)
    model = session.model
    out = Run(frames(model), shares, tuple(r.effective for r in session.shocks), model.config)
    session.release()
    return out


def lesson_run(lesson_id: str, circular: bool = False, **values) -> Run:
    """The lesson's preset with some levers moved (as a step's Reset does)."""
    scenario, chosen = preset(lesson_id)
    return run(scenario, tuple(sorted({**chosen, **values}.items())), circular=circular)


def year(label: str | None) -> int | None:
    return None if label is None else int(label[:4])


def q_index(label: str) -> int:
    return int(label[:4]) * 4 + int(label[-1]) - 1


def baseline() -> Run:
    return lesson_run("circular_deal", circular=True)


# ---------------------------------------------------------------------------------------------------------------
# circular_deal: the baseline, seed 0


def test_circular_deal_one_nvidia_tranche_by_2027q4():
    """Nvidia releases one $10B tranche to OpenAI by 2027Q4.

    circular_deal.en.md: "By 2027Q4 Nvidia has released one tranche to OpenAI, $10B in 2027Q3."
    """
    r = baseline()
    t = r.kind("tranche_released")
    t = t[(t["entity"] == "nvidia") & (t["counterparty"] == "openai") & (t["quarter"] <= "2027Q4")]
    assert [(q, round(a)) for q, a in zip(t["quarter"], t["amount"], strict=True)] == [("2027Q3", 10)]


def test_circular_deal_openai_pays_the_clouds_that_buy_from_nvidia():
    """OpenAI pays the clouds, which buy from Nvidia; it pays Nvidia nothing.

    circular_deal.en.md: "OpenAI pays Nvidia nothing directly: its compute money goes to Microsoft, Oracle and
    CoreWeave, which buy their GPUs from Nvidia." (checked in the tranche's quarter, 2027Q3)
    """
    r = baseline()
    pay = r.tables["payments"]
    assert pay[(pay["payer"] == "openai") & (pay["payee"] == "nvidia")].empty
    q = pay[pay["quarter"] == "2027Q3"]
    paid_by_openai = set(q[q["payer"] == "openai"]["payee"])
    sold_by_nvidia = set(q[(q["payee"] == "nvidia") & (q["kind"] == "chip_sale")]["payer"])
    for cloud in ("microsoft", "oracle", "coreweave"):
        assert cloud in paid_by_openai and cloud in sold_by_nvidia, cloud


def test_circular_deal_circular_share_about_half_then_about_two_thirds():
    """The circular share is about half in 2026-28 and about 60-70% from 2032.

    circular_deal.en.md: "The circular share reads about half (between 35% and 75%) every quarter of 2026-28, and
    about 60% to 70% from 2032, when Microsoft, an investor in OpenAI, takes almost all of what OpenAI pays;
    Anthropic then pays Microsoft too, which has promised it money but paid none, so that does not count."
    """
    r = baseline()
    shown = {q: round(100 * x) for q, x in r.circular.items() if x is not None}  # the monitor shows whole percents
    early = {q: v for q, v in shown.items() if "2026Q1" <= q <= "2028Q4"}
    assert len(early) == 12 and all(35 <= v <= 75 for v in early.values()), early
    late = {q: v for q, v in shown.items() if q >= "2032Q1"}
    assert late and all(60 <= v <= 70 for v in late.values()), late
    payments = r.tables["payments"]
    paid = payments[(payments["quarter"] >= "2032Q1") & (payments["payee_account"] == "revenue")]
    openai = paid[(paid["payer"] == "openai") & (paid["payee"] != "external")]
    assert openai[openai["payee"] == "microsoft"]["amount"].sum() > 0.9 * openai["amount"].sum()
    anthropic = paid[(paid["payer"] == "anthropic") & (paid["payee"] == "microsoft")]
    assert anthropic["amount"].sum() > 0
    promised = payments[(payments["payer"] == "microsoft") & (payments["payee"] == "anthropic")]
    assert promised.empty  # Microsoft's commitment to Anthropic is never paid: it funds nobody
    stakes = r.tables["contracts"]
    assert not stakes[(stakes["from_party"] == "microsoft") & (stakes["to_party"] == "openai")
                      & (stakes["kind"] == "equity_stake")].empty
    assert not stakes[(stakes["from_party"] == "microsoft") & (stakes["to_party"] == "anthropic")
                      & (stakes["kind"] == "investment_commitment")].empty


def test_circular_deal_partner_debt_doubles_ahead_of_demand():
    """Partner debt doubles in 2026-27 and runs ahead of demand.

    circular_deal.en.md: "Partner debt (loans taken to build for a lab) roughly doubles in 2026-27, from about $100B
    to about $190B, and stays above a year of AI demand until 2028"
    """
    s = baseline().system
    start, end = s.loc["2025Q4", "partner_debt"], s.loc["2027Q4", "partner_debt"]
    assert 85 <= start <= 115 and 170 <= end <= 210 and 1.6 <= end / start <= 2.4, (start, end)
    through_2027 = s[s.index <= "2027Q4"]
    assert (through_2027["partner_debt"] > through_2027["ai_demand"]).all()
    in_2028 = s[s.index.str.startswith("2028")]
    assert (in_2028["ai_demand"] > in_2028["partner_debt"]).any()


def test_circular_deal_market_values_move_together():
    """OpenAI's and its partners' market values rise and fall together.

    circular_deal.en.md: "from 2025Q4 to 2027Q4 OpenAI's roughly triples (about $500B to $1.6T) while Nvidia's,
    Microsoft's and Oracle's rise with it, and in the quarter OpenAI's value falls hardest (by half, in 2032Q1) theirs
    fall too"
    """
    r = baseline()
    openai = r.sheet("openai", "market_value")
    assert 425 <= openai["2025Q4"] <= 575 and 1400 <= openai["2027Q4"] <= 1800, openai
    assert 2.5 <= openai["2027Q4"] / openai["2025Q4"] <= 3.5
    partners = ("nvidia", "microsoft", "oracle")
    for firm in partners:
        mv = r.sheet(firm, "market_value")
        assert mv["2027Q4"] > mv["2025Q4"], firm
    change = openai / openai.shift(1)
    worst = change.idxmin()
    assert worst == "2032Q1" and 0.4 <= change[worst] <= 0.6, (worst, change[worst])
    for firm in partners:
        mv = r.sheet(firm, "market_value")
        assert mv[worst] < mv.shift(1)[worst], firm


# ---------------------------------------------------------------------------------------------------------------
# too_big_to_fail: the AI winter, discretionary (and, by the steps, none and backstop), seed 0


def winter(policy: str | None = None) -> Run:
    return lesson_run("too_big_to_fail", **({"rescue_policy": policy} if policy else {}))


def rescues(r: Run) -> list[tuple[str, str, float]]:
    x = r.kind("rescue")
    return list(zip(x["quarter"], x["counterparty"], x["amount"], strict=True))


def test_too_big_to_fail_preset():
    """The preset is the AI winter (bust from 2026Q3) with discretionary rescues.

    too_big_to_fail.en.md: "**Preset:** the AI winter (demand busts from 2026Q3) with a *discretionary* rescue
    policy, seed 0."
    """
    scenario, values = preset("too_big_to_fail")
    cfg = levers.load_scenario(scenario)
    assert scenario == "ai_winter" and values == {"rescue_policy": "discretionary", "seed": 0}
    first_bust = next(step for step in cfg.world.demand.regime_path if step.regime == "bust")
    assert first_bust.from_quarter == "2026Q3"


def test_too_big_to_fail_none_openai_then_coreweave_and_cerebras():
    """Without rescues OpenAI fails in 2028, CoreWeave and Cerebras in the quarter after.

    too_big_to_fail.en.md: "Under *none*, OpenAI fails in 2028 through the confidence channel (its rounds fail as
    sentiment falls); CoreWeave and Cerebras fail in the quarter after, through the demand channel. Anthropic
    survives, shrinking by selling hardware."
    """
    r = winter("none")
    d = r.kind("default").set_index("entity")
    assert year(r.first_default("openai")) == 2028 and d.loc["openai", "channel"] == "confidence"
    assert not r.kind("round_failed").query("entity == 'openai' and quarter <= @r.first_default('openai')").empty
    for firm in ("coreweave", "cerebras"):
        assert q_index(r.first_default(firm)) == q_index(r.first_default("openai")) + 1, firm
        assert d.loc[firm, "channel"] == "demand", firm
    assert r.first_default("anthropic") is None and r.sheet("anthropic", "status").iloc[-1] != "defaulted"
    assert not r.kind("hardware_sold").query("entity == 'anthropic'").empty


def test_too_big_to_fail_discretionary_rescues_openai_again_and_again():
    """Discretionary rescues save OpenAI every quarter; CoreWeave, Cerebras and Anthropic get smaller rescues.

    too_big_to_fail.en.md: "Under *discretionary*, OpenAI is the firm rescued: first in the quarter it would have
    failed under *none*, then every quarter after, at least twelve times by the end of 2031, mostly $15B-$30B each,
    and the fiscal cost passes $250B. CoreWeave and Cerebras get small rescues (under $1B each), Anthropic a few of
    about $3B; CoreWeave fails all the same in 2032." (and step 2: who is rescued first, who else in the year after)
    """
    r = winter()
    all_rescues = rescues(r)
    assert all_rescues and all_rescues[0][1] == "openai"
    first = all_rescues[0][0]
    assert first == winter("none").first_default("openai")
    openai = [(q, a) for q, who, a in all_rescues if who == "openai" and q <= "2031Q4"]
    assert len(openai) >= 12, openai
    assert [q_index(q) for q, _ in openai] == list(range(q_index(first), q_index(first) + len(openai)))  # every quarter
    mostly = [a for _, a in openai if 15 <= round(a) <= 30]
    assert len(mostly) > 0.75 * len(openai), openai
    fiscal = r.system["fiscal_cost"].iloc[-1]
    assert fiscal > 250, fiscal
    for firm in ("coreweave", "cerebras"):
        small = [a for _, who, a in all_rescues if who == firm]
        assert small and max(small) < 1, (firm, small)
    anthropic = [a for _, who, a in all_rescues if who == "anthropic"]
    assert 2 <= len(anthropic) <= 4 and all(2.5 <= a <= 3.5 for a in anthropic), anthropic
    assert year(r.first_default("coreweave")) == 2032


def test_too_big_to_fail_openai_fails_anyway():
    """OpenAI defaults in 2031 despite the rescues.

    too_big_to_fail.en.md: "OpenAI defaults in 2031 all the same: the rescues kept it alive for three and a half
    years but did not fix its business."
    """
    r = winter()
    assert year(r.first_default("openai")) == 2031
    assert 13 <= q_index(r.first_default("openai")) - q_index(rescues(r)[0][0]) <= 15  # about three and a half years


def test_too_big_to_fail_backstop_same_rescues_same_cost():
    """A backstop rescues the same firms at the same cost.

    too_big_to_fail.en.md: "Under *backstop* the same firms are rescued in the same quarters and the fiscal cost
    ends within $1B of the discretionary run's."
    """
    a, b = winter(), winter("backstop")
    assert [(q, who) for q, who, _ in rescues(a)] == [(q, who) for q, who, _ in rescues(b)]
    assert abs(a.system["fiscal_cost"].iloc[-1] - b.system["fiscal_cost"].iloc[-1]) < 1


# ---------------------------------------------------------------------------------------------------------------
# rate_shock: the baseline, seed 0, with "Rates +200bp" pressed after 2026Q1


def shocked() -> Run:
    scenario, values = preset("rate_shock")
    return run(scenario, tuple(sorted(values.items())), shock="rates_up_200bp", after="2026Q1")


def unshocked() -> Run:
    scenario, values = preset("rate_shock")
    return run(scenario, tuple(sorted(values.items())))


def test_rate_shock_moves_from_2026q2_like_the_scenario():
    """The shock pressed after 2026Q1 raises the rate from 2026Q2, as the scenario does.

    rate_shock.en.md: "Press *Rates +200bp*. The rate rises from the next quarter for the rest of the run." and
    "the *Rate shock* scenario, in which the rise was known from the start (2026Q2)"
    """
    r = shocked()
    assert r.effective == ("2026Q2",)
    rates = r.system["policy_rate_annual"]
    base = unshocked().system["policy_rate_annual"]
    assert (rates[rates.index >= "2026Q2"] - base[base.index >= "2026Q2"]).round(6).eq(0.02).all()
    cfg = levers.load_scenario("rate_shock")
    path = {step.from_quarter: step.rate_annual for step in cfg.world.policy_rate}
    assert round(path["2026Q2"] - path["2025Q4"], 6) == 0.02


def test_rate_shock_floating_loans_reprice_next_quarter():
    """Floating-rate interest bills rise by about a third in the next quarter.

    rate_shock.en.md: "Floating-rate loans reprice in the next quarter: the interest bills of the small builders
    Vantage and Project Jupiter rise by about a third in 2026Q2."
    """
    for firm in ("vantage", "project_jupiter"):
        before = unshocked().sheet(firm, "interest_expense")
        after = shocked().sheet(firm, "interest_expense")
        assert before["2026Q1"] == pytest.approx(after["2026Q1"])
        assert 1.25 <= after["2026Q2"] / before["2026Q2"] <= 1.42, firm


def test_rate_shock_three_defaults_instead_of_one():
    """The shock makes three defaults out of the baseline's one.

    rate_shock.en.md: "In the baseline (seed 0) only CoreWeave defaults, in 2030: the court reorganises it (its
    creditors take most of its shares for part of their claims), and it defaults again in 2033, when it is
    liquidated. With the shock pressed in 2026Q1, three firms default, all in the same quarter of 2031: Vantage
    and Project Jupiter, which survive the baseline, are refused a roll of their debt by the banks and fail, and
    so does CoreWeave; all three are reorganised."
    """
    base, r = unshocked(), shocked()
    assert [(year(q), e) for q, e in base.defaults] == [(2030, "coreweave"), (2033, "coreweave")]
    reorganised = base.kind("reorganised")
    assert list(reorganised["entity"]) == ["coreweave"] and year(reorganised["quarter"].iloc[0]) == 2030
    assert base.kind("default")["text"].iloc[-1].endswith("; liquidated")
    assert {e for _, e in r.defaults} == {"coreweave", "vantage", "project_jupiter"}
    assert set(r.kind("reorganised")["entity"]) == {"coreweave", "vantage", "project_jupiter"}
    quarters = {q for q, _ in r.defaults}
    assert len(quarters) == 1 and year(quarters.pop()) == 2031
    rolls = r.kind("refinancing_refused")
    for firm in ("vantage", "project_jupiter"):
        refused = rolls[(rolls["counterparty"] == firm) & (rolls["entity"] == "banks")]
        assert not refused.empty and refused["quarter"].min() <= r.first_default(firm), firm


def test_rate_shock_coreweave_later_and_smaller_crusoe_survives():
    """With the shock CoreWeave borrows less and fails later; Crusoe survives.

    rate_shock.en.md: "CoreWeave fails later with the shock than without it: at the dearer rate it borrowed and
    built less (its debt at 2027Q4 is about $52B against $62B in the baseline). Crusoe survives both runs."
    """
    base, r = unshocked(), shocked()
    assert q_index(r.first_default("coreweave")) > q_index(base.first_default("coreweave"))
    d_shock, d_base = r.sheet("coreweave", "debt")["2027Q4"], base.sheet("coreweave", "debt")["2027Q4"]
    assert 47 <= d_shock <= 57 and 57 <= d_base <= 67 and d_shock < d_base, (d_shock, d_base)
    assert r.first_default("crusoe") is None and base.first_default("crusoe") is None


def test_rate_shock_scenario_gives_the_same_defaults():
    """The Rate shock scenario has the hand shock's defaults.

    rate_shock.en.md: "The *Rate shock* scenario gives the same three defaults in the same quarter as the shock
    pressed by hand."
    """
    _, values = preset("rate_shock")
    scenario = run("rate_shock", tuple(sorted(values.items())))
    assert sorted(scenario.defaults) == sorted(shocked().defaults)


# ---------------------------------------------------------------------------------------------------------------
# freeze_spreads: the credit crunch, seed 0 (and the baseline to compare)


def crunch() -> Run:
    return lesson_run("freeze_spreads")


def refusals(r: Run) -> pd.DataFrame:
    return r.kind(*REFUSALS)


def test_freeze_spreads_preset():
    """The credit crunch's private credit terms are as the preset line says.

    freeze_spreads.en.md: "the credit crunch (private credit lends a sixth as much, at most 5% of its cash to one
    borrower against 30%, only to borrowers with debt under 60% of their assets, at 750bp more)"
    """
    scenario, _ = preset("freeze_spreads")
    tight = levers.load_scenario(scenario).company("private_credit").lender
    loose = levers.load_scenario("baseline").company("private_credit").lender
    assert (tight.max_exposure_share, loose.max_exposure_share) == (0.05, 0.3)
    assert tight.max_borrower_debt_to_assets == 0.6
    assert tight.base_spread_bp - loose.base_spread_bp == 750


def test_freeze_spreads_refusals_come_years_before_the_default():
    """Private credit refuses CoreWeave years before CoreWeave defaults.

    freeze_spreads.en.md: "Refusals come years before the default, on the *credit* channel: private credit first
    refuses to lend to CoreWeave in 2029Q1, again and again after that, and CoreWeave, owing private credit, is the
    first to default, in 2032." (and step 1: refusals are there by 2029Q4)
    """
    r = crunch()
    ref = refusals(r)
    assert (ref["channel"] == "credit").all()
    first = ref.iloc[0]
    assert (first["quarter"], first["kind"], first["entity"], first["counterparty"]) == (
        "2029Q1", "loan_refused", "private_credit", "coreweave")
    pc = ref[(ref["entity"] == "private_credit") & (ref["counterparty"] == "coreweave")]
    assert len(pc) >= 3
    when, who = r.defaults[0]
    assert who == "coreweave" and year(when) == 2032
    assert r.kind("default").iloc[0]["counterparty"] == "private_credit"
    assert q_index(when) - q_index(first["quarter"]) >= 8


def test_freeze_spreads_neoclouds_are_hit():
    """The neoclouds are refused first and are the only firms to default.

    freeze_spreads.en.md (question): "Why are the neoclouds (CoreWeave, Crusoe) hit first, and not Microsoft or
    Amazon?" -- the first firm refused is a neocloud, both are refused, and only neoclouds default.
    """
    r = crunch()
    roles = r.tables["balance_sheets"].drop_duplicates("entity").set_index("entity")["role"]
    ref = refusals(r)
    assert roles[ref.iloc[0]["counterparty"]] == "neocloud"
    assert {"coreweave", "crusoe"} <= set(ref["counterparty"])
    assert {roles[e] for _, e in r.defaults} == {"neocloud"}
    assert not {"microsoft", "amazon"} & {e for _, e in r.defaults}


def test_freeze_spreads_fire_sale_drops_resale_price():
    """The default's fire sale drops the resale price to about 80%.

    freeze_spreads.en.md: "The default seizes hardware: a *fire sale*, and the resale price monitor drops below
    100% (to about 80%)"
    """
    r = crunch()
    when = r.defaults[0][0]
    assert not r.kind("fire_sale").query("quarter == @when and entity == 'coreweave'").empty
    assert 0.7 <= r.system.loc[when, "resale_factor"] <= 0.9


def test_freeze_spreads_baseline_refuses_later_but_fails_earlier_and_bigger():
    """The baseline refuses later but CoreWeave fails earlier and bigger.

    freeze_spreads.en.md: "In the baseline the first refusal comes later (banks refuse Microsoft a loan in 2029Q3),
    but CoreWeave defaults earlier, in 2030. The court reorganises it; its exit plan lets it owe no more than it left
    court with, private credit still lends it again once it has paid some down (2031Q4), and it defaults again in
    2033, liquidated with a far bigger fire sale (about $26B against $6B) that drives resale prices down to about
    42%."
    """
    tight, base = crunch(), baseline()
    first = refusals(base).iloc[0]
    assert (first["quarter"], first["kind"], first["entity"], first["counterparty"]) == (
        "2029Q3", "loan_refused", "banks", "microsoft")
    assert first["quarter"] > refusals(tight).iloc[0]["quarter"]
    assert year(base.first_default("coreweave")) == 2030
    assert q_index(base.first_default("coreweave")) < q_index(tight.first_default("coreweave"))
    big = base.kind("fire_sale").query("entity == 'coreweave'")["amount"].sum()
    small = tight.kind("fire_sale").query("entity == 'coreweave'")["amount"].sum()
    assert 24 <= big <= 28 and 5 <= small <= 7.5, (big, small)
    assert 0.40 <= base.system["resale_factor"].min() < 0.45
    assert year(base.kind("reorganised").query("entity == 'coreweave'")["quarter"].iloc[0]) == 2030
    lent = base.kind("loan").query("entity == 'private_credit' and counterparty == 'coreweave'")
    assert list(lent.loc[lent["quarter"] > base.first_default("coreweave"), "quarter"]) == ["2031Q4"]
    assert [year(q) for q, e in base.defaults if e == "coreweave"] == [2030, 2033]


def test_freeze_spreads_private_credit_halves_does_not_spare_coreweaves_second_default():
    """Private credit halves leaves the baseline unchanged until CoreWeave is reorganised, and its second default too.

    freeze_spreads.en.md: "The shock *Private credit halves* (pressed in 2026Q2) leaves the baseline as it is until
    CoreWeave's reorganisation; then private credit, at its halved limit, refuses to lend the emerged CoreWeave more
    (2031Q1), yet CoreWeave defaults a second time all the same, in the same quarter as in the baseline (2033Q1)"
    """
    scenario, values = preset("circular_deal")
    halved = run(scenario, tuple(sorted(values.items())), shock="private_credit_halves", after="2026Q2")
    base = baseline()
    cols = ["quarter", "kind", "entity", "counterparty", "amount"]
    reorganised = base.kind("reorganised")["quarter"].iloc[0]
    pd.testing.assert_frame_equal(halved.events[halved.events.quarter <= reorganised][cols].reset_index(drop=True),
                                  base.events[base.events.quarter <= reorganised][cols].reset_index(drop=True))
    refused = halved.kind("loan_refused").query("entity == 'private_credit' and counterparty == 'coreweave'")
    assert refused["quarter"].min() == "2031Q1"
    assert halved.defaults == base.defaults == [("2030Q4", "coreweave"), ("2033Q1", "coreweave")]


# ---------------------------------------------------------------------------------------------------------------
# info: the Info tab


def test_info_labs_pay_their_funders():
    """The labs pay firms that financed them.

    info.en.md: "many arrows out of the labs point back at firms that financed them (OpenAI pays Microsoft,
    Anthropic pays Amazon and Alphabet)" (the baseline's first quarter, as a student first sees it)
    """
    r = baseline()
    flows = r.tables["contract_flows"]
    q = flows[(flows["quarter"] == "2026Q1") & (flows["paid"] > 0)]
    ct = r.tables["contracts"]
    funding = ct[ct["kind"].isin(["equity_stake", "investment_commitment"])]
    for lab, funders in (("openai", {"microsoft"}), ("anthropic", {"amazon", "alphabet"})):
        assert funders <= set(q[q["payer"] == lab]["payee"]), lab
        assert funders <= set(funding[funding["to_party"] == lab]["from_party"]), lab


def test_info_gpu_decline_brings_first_default_before_2030():
    """A 30% GPU price decline brings the first default before 2030.

    info.en.md: "Raise the GPU price decline at Reset and find the value at which the first default comes before
    2030 (at 30% a year it does)."
    """
    assert year(baseline().defaults[0][0]) >= 2030  # the baseline's own first default is not before 2030
    r = lesson_run("circular_deal", gpu_decline=0.3)
    assert r.defaults and year(r.defaults[0][0]) < 2030


def test_info_warnings_come_before_the_first_default():
    """Warning signs come before the first default.

    info.en.md: "A default is rarely the first sign. Look for refused loans, tranches held back and failed rounds
    in the story a few quarters earlier." (in every lesson's run that has a default)
    """
    for r in (baseline(), shocked(), crunch(), winter(), winter("none")):
        first = r.defaults[0][0]
        assert not r.kind(*WARNINGS).query("quarter < @first").empty, first


# ---------------------------------------------------------------------------------------------------------------
# the two languages state the same facts

_QUARTER_EN = re.compile(r"\b(20\d\d)Q([1-4])\b")
_QUARTER_JA = re.compile(r"(20\d\d)年第([1-4])四半期")
_YEARS_EN = re.compile(r"\b(20\d\d)(?:-(\d\d))?\b")
_YEARS_JA = re.compile(r"(20\d\d)(?:〜(\d\d))?年")
_MONEY_EN = re.compile(r"\$(\d[\d,]*(?:\.\d+)?)([BT])")
_MONEY_JA = re.compile(r"(\d[\d,]*(?:\.\d+)?)(兆|億)")


def facts(text: str, lang: str) -> dict[str, set]:
    """The quarters, years, money amounts ($B), percentages and basis points a text states."""
    text = _CJK_BREAK.sub("", text)  # as the page renders it: a Japanese line break joins
    quarter = _QUARTER_EN if lang == "en" else _QUARTER_JA
    quarters = {f"{y}Q{q}" for y, q in quarter.findall(text)}
    rest = quarter.sub(" ", text)
    years = set()
    for start, end in (_YEARS_EN if lang == "en" else _YEARS_JA).findall(rest):
        years.add(int(start))
        if end:
            years.add(int(start[:2] + end))
    if lang == "en":
        money = {float(n.replace(",", "")) * (1000 if unit == "T" else 1) for n, unit in _MONEY_EN.findall(text)}
    else:
        money = {float(n.replace(",", "")) * (1000 if unit == "兆" else 0.1) for n, unit in _MONEY_JA.findall(text)}
    return {
        "quarters": quarters,
        "years": years,
        "money": {round(x, 3) for x in money},
        "percent": set(re.findall(r"(\d+)%", text)),
        "bp": {x.replace(",", "") for x in re.findall(r"(\d[\d,]*)bp", text)},
    }


@pytest.mark.parametrize("name", ["info", *(x.id for x in lessons())])
def test_english_and_japanese_state_the_same_numbers(name):
    """The English and Japanese texts name the same numbers.

    Each lesson's (and the Info tab's) English and Japanese texts name the same quarters, years, dollar amounts
    ($10B = 100億ドル, $1.6T = 1.6兆ドル), percentages and basis points.
    """
    en = facts((HERE / f"{name}.en.md").read_text(encoding="utf-8"), "en")
    ja = facts((HERE / f"{name}.ja.md").read_text(encoding="utf-8"), "ja")
    assert en == ja


def test_the_number_extraction_reads_both_forms():
    text_en = "In 2027Q2, $10B and $1.6T; in 2026-28 about 40%, 750bp."
    text_ja = "2027年第2四半期に100億ドルと1.6兆ドル。2026〜28年に約40%、750bp。"
    assert facts(text_en, "en") == facts(text_ja, "ja") == {
        "quarters": {"2027Q2"}, "years": {2026, 2028}, "money": {10.0, 1600.0}, "percent": {"40"}, "bp": {"750"}}
