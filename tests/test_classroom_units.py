"""The classroom's parts without a browser.

Translations, levers, the per-tab session, the web, the story, the lessons.
"""

from __future__ import annotations

import re
from pathlib import Path

import mesa
import pytest

pytest.importorskip("solara")  # the classroom extras (requirements-classroom.txt); make test installs them

from classroom import i18n, levers  # noqa: E402
from classroom.lessons import info_html, lessons  # noqa: E402
from classroom.state import Session, circular_share, money_moves  # noqa: E402
from classroom.story import TEMPLATES, render  # noqa: E402
from classroom.web import STATUS_COLOURS, layout, web_option  # noqa: E402
from economy.shocks import Shock  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def test_every_label_exists_in_both_languages_with_the_same_fields():
    en, ja = i18n.TEXT["en"], i18n.TEXT["ja"]
    assert set(en) == set(ja)
    for key in en:
        assert set(re.findall(r"{(\w+)", en[key])) <= set(re.findall(r"{(\w+)", ja[key])) | {"value", "oku"}, key
        assert ja[key].strip(), key
    assert set(i18n.SCENARIO_NAMES["en"]) == set(i18n.SCENARIO_NAMES["ja"])
    assert set(TEMPLATES["en"]) == set(TEMPLATES["ja"])


def test_every_label_the_code_asks_for_exists():
    """Keys looked up in the classroom's code, literal or built from a known set, are all in the tables."""
    source = "\n".join(p.read_text() for p in (ROOT / "classroom").glob("*.py"))
    found = set(re.findall(r"""\bt\(lang, ["']([a-z_.]+)["']""", source))
    literal = {k for k in found if not k.endswith(".")}  # "lever." + id: covered by the built set below
    built = {f"shock.{s.value}" for s in Shock} | {f"policy.{p}" for p in levers.POLICIES}
    built |= {f"status.{s}" for s in STATUS_COLOURS} | {f"lever.{lv.id}" for lv in levers.LEVERS}
    built |= {f"lever.short.{lv.id}" for lv in levers.LEVERS} | {f"regime.{r}" for r in ("boom", "steady", "stall", "bust")}
    built |= {f"change.{c}" for c in ("demand_regime", "policy_rate", "health_threshold", "max_exposure_share", "resale_level")}
    built |= {f"channel.{c}" for c in ("payment", "equity", "collateral", "credit", "confidence", "demand")}
    built |= {f"role.{r}" for r in ("lab", "hyperscaler", "neocloud", "chipmaker", "investor", "lender", "government")}
    built |= {f"team.{k}" for k in ("status.decided", "status.waiting", "status.nothing", "relief.renegotiate",
                                    "relief.cancel")}
    built |= {f"team.do.{k}" for k in ("hold", "release", "refuse_roll", "refuse_loan", "raise", "no_round", "cut",
                                       "no_cut", "cancel")}
    # team mode keeps its messages as (key, fields) until a page shows them in its language
    literal |= {k for k in re.findall(r"""["'](team\.[a-z_.]+)["']""", source) if not k.endswith(".")}
    assert literal, "the pattern found no lookups: the test would prove nothing"
    for lang in i18n.LANGUAGES:
        missing = sorted(k for k in literal | built if k not in i18n.TEXT[lang])
        assert not missing, (lang, missing)


def test_every_event_kind_the_model_emits_has_a_template():
    files = [ROOT / "model.py", *(ROOT / "economy").glob("*.py"), *(ROOT / "agents").glob("*.py")]
    source = "\n".join(p.read_text() for p in files)
    kinds = set(re.findall(r"""\bevent\(\s*["']([a-z_]+)["']""", source))
    assert len(kinds) > 10
    assert kinds <= set(TEMPLATES["en"]), sorted(kinds - set(TEMPLATES["en"]))


def test_story_renders_from_fields_not_the_english_text():
    names = {"nvidia": "Nvidia", "openai": "OpenAI"}
    row = {"quarter": "2027Q2", "kind": "tranche_declined", "entity": "nvidia", "counterparty": "openai",
           "amount": 10.0, "channel": "", "text": "an English sentence the page must not show"}
    en, ja = render("en", row, names), render("ja", row, names)
    assert en.text == "Nvidia holds back a $10.0B tranche for OpenAI"
    assert ja.text == "エヌビディアがOpenAIへの100億ドルの出資（トランシェ）を見送る"
    assert "English" not in en.text + ja.text
    refused = render("ja", {**row, "kind": "loan_refused", "channel": "credit"}, names)
    assert refused.channel == "信用"


def test_money_is_written_as_each_language_writes_it():
    assert i18n.money("en", 12.345) == "$12.3B"
    assert i18n.money("ja", 12.345) == "123億ドル"


def test_levers_write_only_what_moved_and_shift_the_whole_rate_path():
    cfg = levers.load_scenario("rate_shock")
    now = levers.lever_values(cfg)
    assert levers.overrides(cfg, now) == {}
    moved = levers.overrides(cfg, {**now, "policy_rate": now["policy_rate"] + 0.01, "rescue_policy": "backstop"})
    assert moved["world.policy_rate[0].rate_annual"] == pytest.approx(0.04625)
    assert moved["world.policy_rate[1].rate_annual"] == pytest.approx(0.06625)  # the scenario's shock is kept
    assert moved["companies[id=us_government].government.policy"] == "backstop"


def test_a_slider_snapping_an_off_grid_value_does_not_move_the_lever():
    cfg = levers.load_scenario("credit_crunch")
    now = levers.lever_values(cfg)
    lever = next(lv for lv in levers.LEVERS if lv.id == "credit_appetite")
    assert levers.overrides(cfg, {**now, "credit_appetite": now["credit_appetite"] + lever.step * 0.4}) == {}
    moved = levers.overrides(cfg, {**now, "credit_appetite": now["credit_appetite"] + lever.step})
    assert moved == {"companies[id=private_credit].lender.max_exposure_share": pytest.approx(now["credit_appetite"] + lever.step)}


def test_every_scenario_value_is_inside_the_slider_ranges():
    for stem in levers.scenario_files():
        values = levers.lever_values(levers.load_scenario(stem))
        for lever in levers.LEVERS:
            if lever.id in values:
                assert lever.low <= values[lever.id] <= lever.high, (stem, lever.id)


def test_session_reset_rebuilds_with_the_lever_and_releases_the_old_model():
    s = Session()
    assert s.reset("baseline")
    first = s.model
    assert s.step() and s.model.quarter == 1
    assert s.reset("baseline", {**s.values, "gpu_decline": 0.3, "seed": 7})
    assert first not in mesa.Agent._ids  # the old run is let go
    assert s.model.config.world.gpu.decline_annual == pytest.approx(0.3)
    assert s.model.config.run.seed == 7 and s.model.quarter == 0
    assert s.view().lever_values["gpu_decline"] == pytest.approx(0.3)
    s.release()


def test_a_broken_scenario_shows_the_command_line_message_and_keeps_the_run(tmp_path, monkeypatch):
    bad = tmp_path / "broken.yaml"
    bad.write_text("base: %s\nworld: {gpu: {decline_anual: 0.3}}\n" % (ROOT / "configs" / "baseline.yaml"))
    monkeypatch.setenv(levers.EXTRA_ENV, str(bad))
    assert "broken" in levers.scenario_files()
    s = Session()
    s.reset("baseline")
    kept = s.model
    assert not s.reset("broken")
    assert "decline_anual" in s.error and "decline_annual" in s.error  # the field and the nearest valid name
    assert s.model is kept and s.scenario == "baseline"
    s.release()


def test_the_web_keeps_its_layout_and_shows_this_quarter_s_money():
    s = Session()
    s.reset("baseline")
    before = layout(s.view().roles)
    for _ in range(3):
        s.step()
    view = s.view()
    assert layout(view.roles) == before  # no node moves between quarters
    option = web_option(view, "ja")
    nodes = option["series"][0]["data"]
    assert {n["id"] for n in nodes} == set(view.roles)
    assert all(n["itemStyle"]["color"] in STATUS_COLOURS.values() for n in nodes)
    card = next(n for n in nodes if n["id"] == "openai")["tooltip"]["formatter"]  # the hover card: its balance sheet
    for label in ("現金", "総資産", "負債", "純資産", "時価"):
        assert label in card
    cash = view.sheets().set_index("entity").loc["openai", "cash"]
    assert f"{cash * 10:,.0f}億ドル" in card
    links = option["series"][0]["links"]
    moves = money_moves(view)
    assert len(links) == len(moves) > 0
    flows = view.tables["contract_flows"]
    assert moves.loc[moves["kind"] == "payment", "amount"].sum() == pytest.approx(
        flows.loc[flows["quarter"] == view.label, "paid"].sum())
    share = circular_share(view)
    assert share is not None and 0 < share < 1
    s.release()


def test_the_circular_share_is_the_circularity_table_s_and_the_summary_s():
    """The monitor shows what circularity.csv and summary.json say: the labs' paid_to_funders over paid_to_firms.

    Checked quarter by quarter against the tables of the run the page stepped, and over the run against each lab's
    paid_to_funders_share in the summary's circularity block (the labs' shares weighted by what each paid).
    """
    from analysis.summary import summarize
    from economy.records import frames

    s = Session()
    s.reset("baseline")
    shown: dict[str, float | None] = {}
    for _ in range(8):
        s.step()
        view = s.view()
        shown[view.label] = circular_share(view)
    tables = frames(s.model)
    labs = [c.entity for c in s.model.companies if c.role == "lab"]
    rows = tables["circularity"][tables["circularity"]["entity"].isin(labs)]
    by_quarter = rows.groupby("quarter")[["paid_to_funders", "paid_to_firms"]].sum()
    assert set(shown) == set(by_quarter.index)
    for label, share in shown.items():
        assert share == pytest.approx(by_quarter.loc[label, "paid_to_funders"] / by_quarter.loc[label, "paid_to_firms"])
        assert share == circular_share(view, label)  # an earlier quarter read from the latest view
    assert 0 < min(shown.values()) and max(shown.values()) < 1
    firms = summarize(tables, labs)["circularity"]["firms"]
    paid = rows.groupby("entity")["paid_to_firms"].sum()
    run_share = sum(firms[lab]["paid_to_funders_share"] * paid[lab] for lab in labs) / paid.sum()
    assert run_share == pytest.approx(by_quarter.paid_to_funders.sum() / by_quarter.paid_to_firms.sum(), abs=1e-4)
    s.release()


def test_a_default_pulses_in_the_web_in_its_quarter():
    s = Session()
    s.reset("ai_winter")
    while s.step():
        view = s.view()
        if (view.sheets()["status"] == "defaulted").any():
            break
    assert s.view().system["defaults"] > 0
    assert len(web_option(s.view(), "en")["series"][1]["data"]) >= 1
    s.release()


def test_lessons_have_both_languages_a_preset_and_the_four_parts():
    all_lessons = lessons()
    assert {x.id for x in all_lessons} >= {"circular_deal", "too_big_to_fail", "freeze_spreads", "rate_shock"}
    for lesson in all_lessons:
        assert lesson.scenario in levers.scenario_files()
        cfg = levers.load_scenario(lesson.scenario)
        assert set(lesson.values) <= set(levers.lever_values(cfg))
        for lang in i18n.LANGUAGES:
            assert lesson.title[lang] and lesson.html[lang].count("<h3>") == 3  # steps, questions, what to look for
            assert "<ol>" in lesson.html[lang]
    for lang in i18n.LANGUAGES:
        assert info_html(lang).count("<h2>") == 5  # WHAT IS IT ... EXTENDING THE MODEL


def test_resets_do_not_keep_old_models_alive():
    s = Session()
    s.reset("baseline")
    s.step()
    held = len(mesa.Agent._ids)
    for seed in range(5):
        assert s.reset("baseline", {**s.values, "seed": seed})
        s.step()
    assert len(mesa.Agent._ids) == held  # one live run per session, however often it is reset
    s.release()
    assert len(mesa.Agent._ids) == held - 1
