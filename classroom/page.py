"""The classroom page: controls on the left; monitors and five tabs (web, plots, story, info, lessons).

Every tab of the browser gets its own :class:`Session` (made inside the component), so
students working alone do not disturb each other; the model is released when the tab
closes or Reset replaces it.
"""

from __future__ import annotations

import html
import threading
import time
from typing import Any

import solara
import solara.lab

from classroom import levers
from classroom.charts import firm_option, kpis, system_options
from classroom.controls import Levers, RunButtons, ScenarioPicker, Shocks
from classroom.echart import EChart
from classroom.i18n import LANGUAGE_NAMES, LANGUAGES, company_name, scenario_name, t
from classroom.lessons import info_html, lessons
from classroom.state import Session, View
from classroom.story import story_html
from classroom.web import FONT, STATUS_COLOURS, web_option
from economy.shocks import ShockError

FONT_CSS = f"""
@font-face {{
  font-family: 'IPAexGothic';
  src: url('/static/assets/fonts/ipaexg.ttf') format('truetype');
  unicode-range: U+3000-30FF, U+3400-4DBF, U+4E00-9FFF, U+F900-FAFF, U+FF00-FFEF;
  font-display: swap;
}}
.classroom, .classroom .v-btn, .classroom .v-label, .classroom .v-select__selection, .v-list-item__title {{
  font-family: {FONT} !important;
}}
.classroom .kpi {{ min-width: 8.5em; padding: 4px 10px; border-left: 3px solid #3465a4; background: #f5f7fa; }}
.classroom .kpi .v {{ font-size: 1.15em; font-weight: bold; }}
.classroom .kpi .k {{ font-size: 0.8em; color: #555; }}
.classroom .lesson h2, .classroom .lesson h3 {{ margin-top: 0.6em; }}
"""
"""The Japanese font is served by the app from matplotlib_fontja (SOLARA_ASSETS_EXTRA_LOCATIONS), limited to
Japanese code points so Latin text keeps the default face."""


def _new_session() -> Session:
    session = Session()
    session.reset("baseline")
    return session


def _div(text: str, testid: str, style: str = "", **data: str) -> None:
    """A block of escaped text with a test id and ``data-*`` attributes (the browser tests read the page by these)."""
    solara.HTML(tag="div", unsafe_innerHTML=html.escape(text), style=style,
                attributes={"data-testid": testid, **{f"data-{k}": v for k, v in data.items()}})


def _quarter_line(view: View, lang: str) -> str:
    return t(lang, "quarter_of", label=view.label, q=view.quarter, n=view.quarters)


def _model_line(view: View, lang: str) -> str:
    v = view.lever_values
    return t(lang, "in_model.line", scenario=scenario_name(lang, view.scenario), seed=v["seed"],
             growth=f"{v['demand_growth']:.2%}", rate=f"{v['policy_rate']:.2%}", decline=f"{v['gpu_decline']:.2%}",
             appetite=f"{v['credit_appetite']:.2%}" if "credit_appetite" in v else "—",
             policy=t(lang, "policy." + v["rescue_policy"]) if "rescue_policy" in v else "—")


@solara.component
def Monitors(view: View, lang: str) -> None:
    """The KPI row."""
    with solara.Row(gap="8px", style={"flex-wrap": "wrap"}):
        for i, (label, value) in enumerate(kpis(view, lang)):
            solara.HTML(tag="div", classes=["kpi"], attributes={"data-testid": f"kpi-{i}"},
                        unsafe_innerHTML=f"<div class='k'>{html.escape(label)}</div><div class='v'>{html.escape(value)}</div>")


@solara.component
def WebTab(view: View, lang: str) -> None:
    """The deal web, with a legend of the status colours."""
    EChart(option=web_option(view, lang), attributes={"style": "height: 640px; width: 100%;"})
    legend = " ".join(f"<span style='color:{c}'>&#9679;</span> {html.escape(t(lang, 'status.' + s))}"
                      for s, c in STATUS_COLOURS.items())
    solara.HTML(tag="div", unsafe_innerHTML=legend)


@solara.component
def PlotsTab(view: View, lang: str) -> None:
    """System series, and one chosen firm's balance sheet."""
    firm, set_firm = solara.use_state("openai" if "openai" in view.names else next(iter(view.names)))
    for option in system_options(view, lang):
        EChart(option=option, attributes={"style": "height: 300px; width: 100%;"})
    names = {company_name(lang, e, n): e for e, n in view.names.items()}
    solara.Select(t(lang, "plots.choose_firm"), values=list(names),
                  value=company_name(lang, firm, view.names.get(firm, "")), on_value=lambda n: set_firm(names[n]))
    EChart(option=firm_option(view, lang, firm, company_name(lang, firm, view.names.get(firm, ""))),
                         attributes={"style": "height: 320px; width: 100%;"})


@solara.component
def StoryTab(view: View, lang: str) -> None:
    """This quarter's events newest first, then the three quarters before."""
    if view.quarter == 0:
        _div(t(lang, "story.opening"), "story-opening")
    solara.HTML(tag="h3", unsafe_innerHTML=html.escape(t(lang, "story.title", label=view.label)))
    solara.HTML(tag="div", unsafe_innerHTML=story_html(view, lang, view.label), attributes={"data-testid": "story"})
    quarters = view.tables["system"]["quarter"].tolist()[-4:-1][::-1]
    if quarters:
        solara.HTML(tag="h4", unsafe_innerHTML=html.escape(t(lang, "story.earlier")))
        for label in quarters:
            solara.HTML(tag="div", unsafe_innerHTML=f"<b>{html.escape(label)}</b>" + story_html(view, lang, label))


@solara.component
def LessonsTab(lang: str, on_preset: Any) -> None:
    """Pick a lesson, load its preset, read its steps, questions and what to look for."""
    all_lessons = lessons()
    chosen, set_chosen = solara.use_state(all_lessons[0].id)
    lesson = next(x for x in all_lessons if x.id == chosen)
    titles = {x.title[lang]: x.id for x in all_lessons}
    solara.Select(t(lang, "lessons.choose"), values=list(titles), value=lesson.title[lang],
                  on_value=lambda title: set_chosen(titles[title]))
    solara.Button(t(lang, "lessons.load"), on_click=lambda: on_preset(lesson), color="primary")
    solara.HTML(tag="h2", unsafe_innerHTML=html.escape(lesson.title[lang]))
    solara.HTML(tag="div", classes=["lesson"], unsafe_innerHTML=lesson.html[lang])


@solara.component
def Page() -> None:
    """The whole classroom page for one browser tab."""
    session: Session = solara.use_memo(_new_session, [])
    solara.use_effect(lambda: session.release, [])  # the tab closed: let its model go
    lang, set_lang = solara.use_state("en")
    _version, set_version = solara.use_state(0)
    scenario, set_scenario = solara.use_state(session.scenario)
    values, set_values = solara.use_state(dict(session.values))
    playing, set_playing = solara.use_state(False)
    speed, set_speed = solara.use_state(2.0)
    notice, set_notice = solara.use_state("")
    tab, set_tab = solara.use_state(0)

    def refresh() -> None:
        set_version(lambda v: v + 1)

    def pick_scenario(stem: str) -> None:
        set_scenario(stem)
        try:  # the sliders start from what the new scenario says
            set_values(levers.lever_values(levers.load_scenario(stem)))
        except Exception as err:  # a broken file: Reset shows the message, the sliders stay
            session.error = str(err)
            refresh()

    def reset(stem: str | None = None, chosen: dict | None = None) -> None:
        set_playing(False)
        if session.reset(stem or scenario, chosen if chosen is not None else values):
            set_values(dict(session.values))
            set_notice("")
        refresh()

    def step() -> None:
        session.step()
        refresh()

    def shock(shock_id: str) -> None:
        try:
            changes = session.shock(shock_id)
            set_notice("; ".join(_change_text(lang, c, session.view()) for c in changes))
        except ShockError as err:
            set_notice(t(lang, "shock_error", message=str(err)))
        refresh()

    def preset(lesson) -> None:
        set_scenario(lesson.scenario)
        reset(lesson.scenario, lesson.values)
        set_notice(t(lang, "lessons.loaded", name=lesson.title[lang]))

    def play_loop(cancel: threading.Event) -> None:
        # steps at the chosen rate; a slow quarter shortens the wait rather than the display
        while playing and not cancel.is_set():
            started = time.perf_counter()
            if cancel.wait(0) or not session.step():  # Pause may have come while this thread slept
                set_playing(False)
                break
            refresh()
            cancel.wait(max(0.0, 1.0 / speed - (time.perf_counter() - started)))

    solara.use_thread(play_loop, dependencies=[playing, speed], intrusive_cancel=False)

    view = session.view()
    solara.Style(FONT_CSS)
    solara.Title(t(lang, "title"))
    with solara.Column(classes=["classroom"], style={"padding": "8px 16px"}):
        with solara.Row(justify="space-between", style={"align-items": "center"}):
            solara.HTML(tag="h2", unsafe_innerHTML=html.escape(t(lang, "title")), style="margin: 0")
            with solara.ToggleButtonsSingle(value=lang, on_value=set_lang):
                for x in LANGUAGES:
                    solara.Button(LANGUAGE_NAMES[x], value=x)
        with solara.Columns([4, 9], gutters_dense=True):
            with solara.Card(t(lang, "controls")):
                ScenarioPicker(lang, scenario, pick_scenario)
                Levers(lang, values, set_values)
                RunButtons(lang, view.running, playing, speed, lambda: reset(), step, set_playing, set_speed)
                if session.error:
                    solara.Error(t(lang, "config_error"))
                    solara.HTML(tag="pre", unsafe_innerHTML=html.escape(session.error),
                                attributes={"data-testid": "config-error"}, style="white-space: pre-wrap; font-size: 0.8em")
                Shocks(lang, view.running, shock)
                if notice:
                    _div(notice, "notice", "font-size: 0.85em; color: #a40000")
            with solara.Column():
                _div(_quarter_line(view, lang), "quarter", "font-size: 1.4em; font-weight: bold", quarter=str(view.quarter))
                if not view.running:
                    _div(t(lang, "run_over"), "run-over")
                _div(f"{t(lang, 'in_model')}: {_model_line(view, lang)}", "in-model", "font-size: 0.85em; color: #444")
                Monitors(view, lang)
                with solara.lab.Tabs(value=tab, on_value=set_tab, lazy=True):
                    with solara.lab.Tab(t(lang, "tab.web")):
                        WebTab(view, lang)
                    with solara.lab.Tab(t(lang, "tab.plots")):
                        PlotsTab(view, lang)
                    with solara.lab.Tab(t(lang, "tab.story")):
                        StoryTab(view, lang)
                    with solara.lab.Tab(t(lang, "tab.info")):
                        solara.HTML(tag="div", classes=["lesson"], unsafe_innerHTML=info_html(lang))
                    with solara.lab.Tab(t(lang, "tab.lessons")):
                        LessonsTab(lang, preset)


def _change_text(lang: str, change, view: View) -> str:
    """A lever a shock moved, in words (a contract named by its parties: "Nvidia → OpenAI")."""
    def fmt(x: Any) -> str:
        if isinstance(x, str):
            return t(lang, "regime." + x) if f"regime.{x}" in _REGIME_KEYS else x
        return f"{x:.2%}" if change.lever in ("policy_rate", "max_exposure_share", "resale_level") else f"{x:.2f}"
    contracts = view.tables["contracts"].set_index("contract_id")
    if change.subject in contracts.index:
        row = contracts.loc[change.subject]
        subject = " → ".join(company_name(lang, e, view.names.get(e, "")) for e in (row["from_party"], row["to_party"]))
    else:
        subject = company_name(lang, change.subject, view.names.get(change.subject, "")) if change.subject else ""
    return t(lang, "change." + change.lever, subject=subject, before=fmt(change.before), after=fmt(change.after))


_REGIME_KEYS = {f"regime.{r}" for r in ("boom", "steady", "stall", "bust")}
