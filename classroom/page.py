"""The classroom page: controls on the left; monitors and five tabs (web, plots, story, info, lessons).

Every tab of the browser gets its own :class:`Session` (made inside the component), so
students working alone do not disturb each other; the model is released when the tab
closes or Reset replaces it. A tab that joins the class run (team mode,
``classroom.team``) shows the class run's model instead, as its instructor (who steps,
resets and shocks it) or as the student steering one company.
"""

from __future__ import annotations

import html
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
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
from classroom.team import CLASS_RUN, ChoiceError, message_text
from classroom.team_page import InstructorPanel, JoinPanel, StudentPanel
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


_SHARED: OrderedDict[tuple, tuple[View, Any]] = OrderedDict()
_SHARED_LOCK = threading.RLock()


def _shared(view: View, what: Callable[..., Any], *args: Any) -> Any:
    """``what(view, *args)``, computed once for all the tabs that show the same view (the class run's tabs).

    Tabs of one run get the same memoised :class:`View` (``Session.view``); the cache holds
    the view itself, so its id is not reused while the entry lives.
    """
    key = (id(view), what, *args)
    with _SHARED_LOCK:  # held while computing: tabs rendering at once wait for the first instead of each computing
        hit = _SHARED.get(key)
        if hit is not None and hit[0] is view:
            return hit[1]
        value = what(view, *args)
        _SHARED[key] = (view, value)
        while len(_SHARED) > 32:
            _SHARED.popitem(last=False)
        return value


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
        for i, (label, value) in enumerate(_shared(view, kpis, lang)):
            solara.HTML(tag="div", classes=["kpi"], attributes={"data-testid": f"kpi-{i}"},
                        unsafe_innerHTML=f"<div class='k'>{html.escape(label)}</div><div class='v'>{html.escape(value)}</div>")


@solara.component
def WebTab(view: View, lang: str) -> None:
    """The deal web, with a legend of the status colours."""
    EChart(option=_shared(view, web_option, lang), attributes={"style": "height: 640px; width: 100%;"})
    legend = " ".join(f"<span style='color:{c}'>&#9679;</span> {html.escape(t(lang, 'status.' + s))}"
                      for s, c in STATUS_COLOURS.items())
    solara.HTML(tag="div", unsafe_innerHTML=legend)


@solara.component
def PlotsTab(view: View, lang: str) -> None:
    """System series, and one chosen firm's balance sheet."""
    firm, set_firm = solara.use_state("openai" if "openai" in view.names else next(iter(view.names)))
    for option in _shared(view, system_options, lang):
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
def LessonsTab(lang: str, on_preset: Any | None) -> None:
    """Pick a lesson, load its preset, read its steps, questions and what to look for."""
    all_lessons = lessons()
    chosen, set_chosen = solara.use_state(all_lessons[0].id)
    lesson = next(x for x in all_lessons if x.id == chosen)
    titles = {x.title[lang]: x.id for x in all_lessons}
    solara.Select(t(lang, "lessons.choose"), values=list(titles), value=lesson.title[lang],
                  on_value=lambda title: set_chosen(titles[title]))
    if on_preset is not None:  # a student of the class run cannot reset it
        solara.Button(t(lang, "lessons.load"), on_click=lambda: on_preset(lesson), color="primary")
    solara.HTML(tag="h2", unsafe_innerHTML=html.escape(lesson.title[lang]))
    solara.HTML(tag="div", classes=["lesson"], unsafe_innerHTML=lesson.html[lang])


@solara.component
def Page() -> None:
    """The whole classroom page for one browser tab."""
    session: Session = solara.use_memo(_new_session, [])
    solara.use_effect(lambda: session.release, [])  # the tab closed: let its model go
    token: str = solara.use_memo(lambda: uuid.uuid4().hex, [])
    solara.use_effect(lambda: lambda: CLASS_RUN.leave(token), [])  # the tab closed: it leaves the class run
    member = CLASS_RUN.member(token)
    instructor = member is not None and not member.student
    active = CLASS_RUN.session if member is not None else session  # the run this tab shows and acts on
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
            active.error = str(err)
            refresh()

    def reset(stem: str | None = None, chosen: dict | None = None) -> None:
        set_playing(False)
        chosen = chosen if chosen is not None else values
        if (CLASS_RUN.reset if instructor else session.reset)(stem or scenario, chosen):
            set_values(dict(active.values))
            set_notice("")
        refresh()

    def step_once() -> bool:
        """One quarter of this tab's run (the class run's, with its students' choices, for its instructor)."""
        if not instructor:
            return session.step()
        result = CLASS_RUN.step()
        if result.error:
            set_notice(message_text(lang, result.error, active.view().names))
        return result.stepped

    def step() -> None:
        if step_once() and instructor:
            return  # every tab of the class run, this one too, renders the new quarter from its watcher (once)
        refresh()

    def shock(shock_id: str) -> None:
        try:
            changes = (CLASS_RUN.shock if instructor else session.shock)(shock_id)
            set_notice("; ".join(_change_text(lang, c, active.view()) for c in changes))
        except ShockError as err:
            set_notice(t(lang, "shock_error", message=str(err)))
        refresh()

    def join(name: str, role: str) -> str | None:
        set_playing(False)
        try:
            CLASS_RUN.join(token, name, role)
        except ChoiceError as err:
            return err.text(lang, CLASS_RUN.candidates())
        set_scenario(CLASS_RUN.session.scenario)
        set_values(dict(CLASS_RUN.session.values))
        set_notice("")
        refresh()
        return None

    def leave() -> None:
        set_playing(False)
        CLASS_RUN.leave(token)
        set_scenario(session.scenario)
        set_values(dict(session.values))
        set_notice("")
        refresh()

    def watch_class_run(cancel: threading.Event) -> None:
        # every tab of the class run re-renders when the class run changes (a step, a decision, a join)
        seen = CLASS_RUN.version
        while member is not None and not cancel.is_set():
            now = CLASS_RUN.wait(seen, 0.5)
            if now != seen and not cancel.is_set():
                seen = now
                refresh()

    solara.use_thread(watch_class_run, dependencies=[member is not None], intrusive_cancel=False)

    def preset(lesson) -> None:
        set_scenario(lesson.scenario)
        reset(lesson.scenario, lesson.values)
        set_notice(t(lang, "lessons.loaded", name=lesson.title[lang]))

    def play_loop(cancel: threading.Event) -> None:
        # steps at the chosen rate; a slow quarter shortens the wait rather than the display
        while playing and not cancel.is_set():
            started = time.perf_counter()
            if cancel.wait(0) or not step_once():  # Pause may have come while this thread slept
                set_playing(False)
                break
            if not instructor:
                refresh()
            cancel.wait(max(0.0, 1.0 / speed - (time.perf_counter() - started)))

    solara.use_thread(play_loop, dependencies=[playing, speed], intrusive_cancel=False)

    view = active.view()
    solara.Style(FONT_CSS)
    solara.Title(t(lang, "title"))
    with solara.Column(classes=["classroom"], style={"padding": "8px 16px"}):
        with solara.Row(justify="space-between", style={"align-items": "center"}):
            solara.HTML(tag="h2", unsafe_innerHTML=html.escape(t(lang, "title")), style="margin: 0")
            with solara.ToggleButtonsSingle(value=lang, on_value=set_lang):
                for x in LANGUAGES:
                    solara.Button(LANGUAGE_NAMES[x], value=x)
        with solara.Columns([4, 9], gutters_dense=True):
            with solara.Column():
                if member is not None:
                    with solara.Card(t(lang, "team.title")):
                        # the class run's version is an argument so that the panel renders again when it changes
                        # (reacton skips a child whose arguments are equal, and the member object stays the same)
                        (StudentPanel if member.student else InstructorPanel)(lang, member, view.names, leave,
                                                                              CLASS_RUN.version)
                if member is None or instructor:
                    with solara.Card(t(lang, "controls")):
                        ScenarioPicker(lang, scenario, pick_scenario)
                        Levers(lang, values, set_values)
                        RunButtons(lang, view.running, playing, speed, lambda: reset(), step, set_playing, set_speed)
                        if active.error:
                            solara.Error(t(lang, "config_error"))
                            solara.HTML(tag="pre", unsafe_innerHTML=html.escape(active.error),
                                        attributes={"data-testid": "config-error"},
                                        style="white-space: pre-wrap; font-size: 0.8em")
                        Shocks(lang, view.running, shock)
                        if notice:
                            _div(notice, "notice", "font-size: 0.85em; color: #a40000")
                if member is None:
                    with solara.Card(t(lang, "team.title")):
                        JoinPanel(lang, join)
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
                        LessonsTab(lang, None if member is not None and not instructor else preset)


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
