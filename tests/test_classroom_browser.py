"""The classroom page in a real headless browser (Debian's chromium driven by playwright).

The server is started by the tests on a free port of 127.0.0.1; every request the page
makes is checked to stay on 127.0.0.1, and any console error or HTTP status >= 400
fails the test. CI runs the suite inside a network namespace with only loopback
(``.ci/run``), where ``CLASSROOM_NETNS=1`` makes the tests check that too. Screenshots
go to pytest's temporary folder (printed at the end of each test).

Skipped only when chromium is missing and ``CLASSROOM_BROWSER_REQUIRED`` is unset (CI sets it).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

pytest.importorskip("solara")
sync_api = pytest.importorskip("playwright.sync_api")

from classroom import levers, probe  # noqa: E402
from model import AIFinanceModel  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

if not Path(probe.CHROMIUM).exists():
    if os.environ.get("CLASSROOM_BROWSER_REQUIRED"):
        raise RuntimeError(f"CLASSROOM_BROWSER_REQUIRED is set but {probe.CHROMIUM} is missing (apt-get install chromium)")
    pytest.skip(f"{probe.CHROMIUM} is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory) -> Path:
    """Where screenshots and the server log go."""
    return tmp_path_factory.mktemp("classroom-browser")


@pytest.fixture(scope="module")
def server(artefacts):
    """One server for the module, with a broken scenario added to the picker."""
    broken = artefacts / "broken_scenario.yaml"
    broken.write_text(f"base: {ROOT / 'configs' / 'baseline.yaml'}\nworld: {{gpu: {{decline_anual: 0.3}}}}\n")
    with probe.classroom_server(artefacts, {levers.EXTRA_ENV: str(broken)}) as running:
        yield running
    print(f"\nclassroom screenshots and server log: {artefacts}")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = probe.launch(p)
        yield b
        b.close()


@pytest.fixture
def page(server, browser, artefacts, request):
    """A fresh tab on the classroom (its own run); after the test, a screenshot and the clean-page check."""
    watch = probe.Watch()
    tab, _seconds = probe.open_page(browser, server.url, watch)
    yield tab
    tab.screenshot(path=str(artefacts / f"{request.node.name}.png"))
    tab.close()
    assert watch.problems() == []


def _kpi(page, label: str):
    """The value under a monitor's label (a locator: widgets update one by one, so assert with ``expect``)."""
    return page.locator("[data-testid^=kpi-]").filter(has_text=label).first.locator(".v")


def test_only_loopback_exists_when_ci_says_so():
    if not os.environ.get("CLASSROOM_NETNS"):
        pytest.skip("not inside CI's loopback-only network namespace")
    # /proc/net/dev lists the interfaces of this process's network namespace (/sys may still show the host's)
    lines = Path("/proc/net/dev").read_text().splitlines()[2:]
    assert [line.split(":")[0].strip() for line in lines] == ["lo"]


def test_page_loads_and_four_steps_advance_the_quarter(page):
    assert probe.quarter_shown(page) == 0
    demand = _kpi(page, "AI demand").inner_text()
    for q in range(1, 5):
        assert probe.click_and_wait_quarter(page, "Step", q) < 5.0
    assert "2026Q4" in page.get_by_test_id("quarter").inner_text()
    sync_api.expect(_kpi(page, "AI demand")).not_to_have_text(demand)
    page.get_by_role("tab", name="Story").click()
    sync_api.expect(page.get_by_test_id("story")).to_contain_text(re.compile(r"\$\d"))


def test_a_slider_moved_then_reset_rebuilds_the_model_with_it(page):
    probe.click_and_wait_quarter(page, "Step", 1)
    slider = page.get_by_role("slider", name="GPU")
    assert float(slider.get_attribute("aria-valuenow")) == pytest.approx(0.15)
    slider.focus()
    slider.press("ArrowRight")
    slider.press("ArrowRight")
    assert float(slider.get_attribute("aria-valuenow")) == pytest.approx(0.25)
    # the label above the slider is rendered by the server: once it reads 25%, the server has the value
    page.get_by_text("GPU price decline (per year, by age): 25.00%").wait_for()
    assert "GPU decline 15.00%" in page.get_by_test_id("in-model").inner_text()  # not before Reset
    probe.click_and_wait_quarter(page, "Reset", 0)
    page.wait_for_function("() => document.querySelector('[data-testid=in-model]').innerText.includes('GPU decline 25.00%')")
    assert probe.quarter_shown(page) == 0


def test_a_shock_changes_the_next_quarter_s_world(page):
    twin = AIFinanceModel(quarters=2)
    twin.step()
    expected = twin.market.policy_rate_annual + 0.02
    page.get_by_role("button", name="Rates +200bp").click()
    page.get_by_test_id("notice").wait_for()
    assert "policy rate" in page.get_by_test_id("notice").inner_text()
    probe.click_and_wait_quarter(page, "Step", 1)
    sync_api.expect(_kpi(page, "Policy rate")).to_have_text(f"{expected:.2%}")
    page.get_by_role("tab", name="Story").click()
    sync_api.expect(page.get_by_test_id("story")).to_contain_text("Rates +200bp")


def test_language_switch_relabels_the_page_with_the_served_font(page):
    font_responses = []
    page.on("response", lambda r: font_responses.append(r.status) if r.url.endswith("/fonts/ipaexg.ttf") else None)
    page.get_by_role("button", name="日本語").click()
    page.get_by_role("button", name="1期進む").wait_for()
    for label in ("取引ネットワーク", "グラフ", "出来事", "解説", "授業"):
        sync_api.expect(page.get_by_role("tab", name=label)).to_be_visible()
    assert page.get_by_role("button", name="Step", exact=True).count() == 0
    assert "期中" in page.get_by_test_id("quarter").inner_text()
    page.wait_for_function("() => document.fonts.check('16px IPAexGothic', '日本')", timeout=15_000)
    assert font_responses and all(s == 200 for s in font_responses)
    probe.click_and_wait_quarter(page, "1期進む", 1)
    page.get_by_role("tab", name="出来事").click()
    sync_api.expect(page.get_by_test_id("story")).to_contain_text("億ドル")
    assert "lends" not in page.get_by_test_id("story").inner_text()
    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="Step", exact=True).wait_for()


def test_play_runs_about_two_quarters_a_second_and_pauses(page):
    page.get_by_role("button", name="Play").click()
    page.wait_for_timeout(3000)
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for()
    page.wait_for_timeout(300)  # a quarter being computed when Pause came is still shown
    shown = probe.quarter_shown(page)
    assert 4 <= shown <= 8  # 2 quarters a second for 3 s, with the clicks' latency either side
    page.wait_for_timeout(1000)
    assert probe.quarter_shown(page) == shown  # paused means paused


def test_a_lesson_loads_its_preset(page):
    page.get_by_role("tab", name="Lessons").click()
    page.get_by_text("The circular deal", exact=True).first.click()
    page.get_by_role("option", name="Who is too big to fail?").click()
    page.get_by_role("button", name="Load this lesson's preset").click()
    model_line = page.get_by_test_id("in-model")
    sync_api.expect(model_line).to_contain_text("AI winter, seed 0")
    sync_api.expect(model_line).to_contain_text("discretionary")


def test_a_broken_scenario_shows_the_message_and_the_server_lives(page):
    page.get_by_text("Baseline", exact=True).first.click()
    page.get_by_role("option", name="broken_scenario").click()
    page.get_by_role("button", name="Reset").click()
    error = page.get_by_test_id("config-error")
    error.wait_for()
    assert "decline_anual" in error.inner_text()
    probe.click_and_wait_quarter(page, "Step", 1)  # the previous run goes on


def test_the_handout_plays_back_in_the_browser_with_no_server(browser, artefacts):
    from classroom.export import export_html

    out = export_html([ROOT / "configs" / "scenarios" / "ai_winter.yaml"], artefacts / "handout.html", quarters=4,
                      embed_font=True)  # this machine has no Japanese font of its own
    watch = probe.Watch()
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    watch.attach(tab)
    tab.goto(out.as_uri())
    sync_api.expect(tab.locator("#quarter")).to_contain_text("2025Q4")
    tab.locator("#next").click()
    sync_api.expect(tab.locator("#quarter")).to_contain_text("2026Q1")
    tab.locator("#lang").select_option("ja")
    sync_api.expect(tab.locator("#quarter")).to_contain_text("全4期中 第1期")
    sync_api.expect(tab.locator("#story")).to_contain_text("億ドル")
    tab.wait_for_function("() => document.fonts.check('16px IPAexGothic', '日本')")
    tab.wait_for_timeout(600)  # the web's update animation
    tab.screenshot(path=str(artefacts / "handout.png"))
    tab.close()
    assert watch.problems() == []


# Where a firm's node of the deal web is on the screen, asked of the chart itself (the web is drawn on a canvas).
_NODE_ON_SCREEN = """async (entity) => {
  const root = (window.solara && window.solara.cdn) || "/_solara/cdn";
  const echarts = await new Promise((resolve) => window.requirejs([`${root}/echarts@5.4.0/dist/echarts.js`], resolve));
  for (const el of document.querySelectorAll("[_echarts_instance_]")) {
    const chart = echarts.getInstanceByDom(el);
    const option = chart && chart.getOption();
    const web = option && option.series.length && option.series[0].type === "graph" ? option.series[0] : null;
    const node = web && web.data.find((d) => d.id === entity);
    if (!node) continue;
    const [x, y] = chart.convertToPixel({seriesIndex: 0}, node.value);
    const box = el.getBoundingClientRect();
    return {x: box.left + x, y: box.top + y, title: option.title[0].text};
  }
  return null;
}"""


def _hover_card(page, entity: str, label: str, marker: str):
    """Move the mouse onto ``entity``'s node once the web shows quarter ``label``; the tooltip holding ``marker``."""
    spot = None
    for _ in range(100):  # the web's option arrives a moment after the quarter line
        spot = page.evaluate(_NODE_ON_SCREEN, entity)
        if spot and label in spot["title"]:
            break
        page.wait_for_timeout(100)
    assert spot and label in spot["title"], spot
    page.mouse.move(spot["x"] - 30, spot["y"] - 30)
    page.mouse.move(spot["x"], spot["y"], steps=3)
    card = page.locator("[_echarts_instance_] > div").filter(has_text=marker).first
    card.wait_for(state="visible")
    return card


def test_hovering_a_firm_in_the_deal_web_shows_its_balance_sheet(page):
    """The hover card of OpenAI's node holds its cash, debt and equity this quarter, as the model has them, in both languages."""
    from classroom.i18n import company_name, money, t
    from classroom.state import Session

    probe.click_and_wait_quarter(page, "Step", 1)
    twin = Session()
    twin.reset("baseline")
    twin.step()
    view = twin.view()
    row = view.sheets().set_index("entity").loc["openai"]
    twin.release()
    for lang, step in (("en", None), ("ja", "日本語")):
        if step:
            page.get_by_role("button", name=step).click()
            page.get_by_role("button", name="1期進む").wait_for()
        name = company_name(lang, "openai", view.names.get("openai", ""))
        card = _hover_card(page, "openai", view.label, t(lang, "sheet.cash"))
        text = card.inner_text()
        assert name in text
        for key in ("cash", "debt", "equity"):
            assert f"{t(lang, 'sheet.' + key)}: {money(lang, float(row[key]))}" in text, (key, text)
        page.mouse.move(5, 5)  # off the node, so the next card is drawn afresh


def _join(browser, server, name: str, role: str | None, watch: probe.Watch):
    """A new tab that joins the class run as the instructor (``role`` None) or the student of the company named ``role``."""
    tab, _seconds = probe.open_page(browser, server.url, watch)
    tab.get_by_label("Your name").fill(name)
    if role is not None:
        tab.get_by_text("Instructor", exact=True).first.click()
        tab.get_by_role("option", name=f"Student: {role}").click()
    tab.get_by_role("button", name="Join the class run").click()
    tab.get_by_test_id("team-role").wait_for()
    return tab


_SHOWN_AT = """q => { const el = document.querySelector('[data-testid=quarter]');
  return el && el.dataset.quarter === q ? performance.timeOrigin + performance.now() : false; }"""


def _step_all(tabs, quarter: int) -> tuple[float, float]:
    """Click the instructor's Step (tabs[0]) and wait until every tab shows ``quarter``.

    Returns:
        Seconds from the browser's click event to the last tab showing the quarter (the
        tabs share one clock, ``performance.timeOrigin``), and from the test's click call
        (which adds playwright's checks that the button is visible and still).
    """
    tabs[0].evaluate("() => document.addEventListener('click', () => { window.__clicked = performance.timeOrigin + "
                     "performance.now(); }, {capture: true, once: true})")
    started = time.perf_counter()
    tabs[0].get_by_role("button", name="Step", exact=True).click()
    shown = [tab.wait_for_function(_SHOWN_AT, arg=str(quarter), timeout=10_000).json_value() for tab in tabs]
    return (max(shown) - tabs[0].evaluate("() => window.__clicked")) / 1000, time.perf_counter() - started


def test_team_mode_a_student_s_decision_reaches_the_class_run(server, browser, artefacts):
    """Three tabs join the class run; the banks' student refuses a loan, OpenAI's cuts costs; the instructor steps.

    Every tab shows the new quarter, and the story (the model's events) tells both decisions;
    the steps are timed from the click to the last of the three tabs showing the quarter.
    """
    watch = probe.Watch()
    teacher = _join(browser, server, "Teacher", None, watch)
    banks = _join(browser, server, "Aiko", "Banks and bonds", watch)
    lab = _join(browser, server, "Ben", "OpenAI", watch)
    tabs = [teacher, banks, lab]
    members = teacher.get_by_test_id("team-member")
    sync_api.expect(members).to_have_count(2)
    assert "Aiko — Banks and bonds" in members.first.inner_text()
    quarter = probe.quarter_shown(teacher)
    timings = []
    request = banks.locator(".team-item").filter(has=banks.get_by_test_id("team-requests"))
    for _ in range(8):  # a quarter in which the banks' rules grant a loan the student can refuse
        if request.count():
            break
        quarter += 1
        timings.append(_step_all(tabs, quarter))
    assert request.count(), "the baseline asks the banks for no loan in 8 quarters"
    asked = request.first.get_by_test_id("team-requests").inner_text()  # "Crusoe asks for $0.1B"
    borrower = asked.split(" asks for ")[0]
    request.first.get_by_role("button", name="Refuse").click()
    banks.get_by_role("button", name="Decide", exact=True).click()
    sync_api.expect(banks.get_by_test_id("team-decision")).to_contain_text(f"refuses {borrower}")
    lab.get_by_role("button", name="cut", exact=True).click()
    lab.get_by_text("Costs as a share of plan: 90%").wait_for()
    lab.get_by_role("button", name="Decide", exact=True).click()
    sync_api.expect(lab.get_by_test_id("team-decision")).to_contain_text("cuts costs to 90% of plan")
    waiting = teacher.get_by_test_id("team-waiting")
    sync_api.expect(waiting).to_have_attribute("data-waiting", "0")
    sync_api.expect(members.nth(1)).to_contain_text("decided")
    teacher.screenshot(path=str(artefacts / "team-instructor-before-step.png"))

    quarter += 1
    timings.append(_step_all(tabs, quarter))

    for tab in (teacher, lab):
        tab.get_by_role("tab", name="Story").click()
        story = tab.get_by_test_id("story")
        sync_api.expect(story).to_contain_text("Banks and bonds refuses to lend")
        sync_api.expect(story).to_contain_text(borrower)
        sync_api.expect(story).to_contain_text("OpenAI cuts its cash costs")
        sync_api.expect(story).to_contain_text("Banks and bonds was steered by Aiko")
    sync_api.expect(banks.get_by_test_id("team-status")).not_to_have_attribute("data-status", "decided")  # a new quarter
    for _ in range(6):  # nobody decides: the rules decide, and the story says so
        quarter += 1
        timings.append(_step_all(tabs, quarter))
    sync_api.expect(teacher.get_by_test_id("story")).to_contain_text("had not decided, so its rules decided")
    lab.get_by_role("button", name="日本語").click()
    lab.get_by_role("button", name="決定する").wait_for()
    for name, tab in zip(("instructor", "banks", "openai"), tabs, strict=True):
        tab.screenshot(path=str(artefacts / f"team-{name}.png"))
    clicked, called = sorted(x for x, _ in timings), sorted(y for _, y in timings)
    print(f"\nteam mode, 3 tabs: from the click to every tab showing the quarter {', '.join(f'{x:.2f}' for x in clicked)} s; "
          f"from the test's click call {', '.join(f'{y:.2f}' for y in called)} s")
    assert clicked[len(clicked) // 2] < 1.0  # the target is 0.5 s; a loaded CI machine gets slack
    for tab in tabs:
        tab.close()
    assert watch.problems() == []
