"""Screenshots of every tab of the classroom in both languages, for docs/classroom.md.

Runs the AI winter to 2027Q3 (the quarter OpenAI fails), then photographs each tab in
English and in Japanese. Usage: ``.venv/bin/python -m classroom.screenshots [folder]``
(default ``docs/classroom``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from classroom import probe
from classroom.i18n import LANGUAGE_NAMES, scenario_name, t

TABS = ("web", "plots", "story", "info", "lessons")
SCENARIO, QUARTERS = "ai_winter", 7


def _shrink(path: Path) -> None:
    """A 256-colour palette: a screenshot of flat colours and text loses nothing visible at a third of the size."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256)
    small.save(path, optimize=True)


def capture(folder: Path) -> list[Path]:
    """Write ``<tab>-<lang>.png`` for every tab and language; return the files."""
    folder.mkdir(parents=True, exist_ok=True)
    shots = []
    with tempfile.TemporaryDirectory() as tmp, probe.classroom_server(Path(tmp)) as server, sync_playwright() as p:
        browser = probe.launch(p)
        watch = probe.Watch()
        page, _ = probe.open_page(browser, server.url, watch, width=1400, height=1000)
        page.get_by_text(scenario_name("en", "baseline"), exact=True).first.click()
        page.get_by_role("option", name=scenario_name("en", SCENARIO), exact=True).click()
        probe.click_and_wait_quarter(page, t("en", "reset"), 0)
        page.get_by_test_id("in-model").filter(has_text=scenario_name("en", SCENARIO)).wait_for()
        for q in range(1, QUARTERS + 1):
            probe.click_and_wait_quarter(page, t("en", "step"), q)
        for lang in ("en", "ja"):
            page.get_by_role("button", name=LANGUAGE_NAMES[lang]).click()
            page.get_by_role("button", name=t(lang, "step"), exact=True).wait_for()
            for tab in TABS:
                page.get_by_role("tab", name=t(lang, "tab." + tab)).click()
                page.wait_for_timeout(1200)  # charts draw and animate
                path = folder / f"{tab}-{lang}.png"
                page.screenshot(path=str(path))
                _shrink(path)
                shots.append(path)
        browser.close()
    if watch.problems():
        raise RuntimeError("the page was not clean: " + "; ".join(watch.problems()))
    return shots


if __name__ == "__main__":
    for shot in capture(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/classroom")):
        print(shot)
