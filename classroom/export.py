"""Handouts: one self-contained HTML file that plays scenarios back quarter by quarter, with no Python.

Each scenario is run to its end; every quarter's deal web (the page's own ECharts
option), monitors and story are stored in the file as JSON, in each language asked
for, with ECharts inlined from solara-assets. The file opens in any browser, offline;
its Japanese text uses the reader's system font, or with ``embed_font=True`` the
IPAexGothic font of matplotlib_fontja inlined unmodified with its licence (about 8 MB
more), for machines without a Japanese font.

Suggested command line (run.py is not this module's to edit):
``run.py export SCENARIO.yaml [...] --out handout.html [--lang en,ja] [--seed N] [--quarters N] [--embed-font]``
calling :func:`export_html`.
"""

from __future__ import annotations

import base64
import html
import json
import sys
from pathlib import Path

import matplotlib_fontja
import mesa

from classroom.charts import kpis, system_options
from classroom.i18n import LANGUAGE_NAMES, scenario_name, t
from classroom.state import make_view
from classroom.story import story_html
from classroom.web import web_option
from economy.config import load_config
from model import AIFinanceModel

ECHARTS = Path(sys.prefix) / "share" / "solara" / "cdn" / "echarts@5.4.0" / "dist" / "echarts.min.js"
"""ECharts as solara-assets installs it into the environment."""
FONTS = Path(matplotlib_fontja.__file__).resolve().parent / "fonts"


def scenario_frames(path: Path, languages: tuple[str, ...], seed: int | None = None,
                    quarters: int | None = None) -> dict:
    """Run one scenario and keep what the handout shows of every quarter, in each language."""
    model = AIFinanceModel(load_config(path), seed=seed, quarters=quarters)
    stem = Path(path).stem
    frames: list[dict] = []
    while True:
        view = make_view(model, stem)
        frames.append({"label": view.label, **{lang: {
            "web": web_option(view, lang),
            "kpis": kpis(view, lang),
            "story": story_html(view, lang, view.label),
            "quarter": t(lang, "quarter_of", label=view.label, q=view.quarter, n=view.quarters),
        } for lang in languages}})
        if not model.running:
            break
        model.step()
    final = make_view(model, stem)
    mesa.Agent._ids.pop(model, None)  # Mesa 3.3.1 keeps every model alive otherwise
    return {"id": stem, "names": {lang: scenario_name(lang, stem) for lang in languages},
            "series": {lang: system_options(final, lang) for lang in languages}, "frames": frames}


def _font_css() -> str:
    """The IPAexGothic face as a data URI, preceded by its licence (which must travel with the font)."""
    licence = (FONTS / "IPA_Font_License_Agreement_v1.0.txt").read_text(encoding="utf-8", errors="replace")
    font = base64.b64encode((FONTS / "ipaexg.ttf").read_bytes()).decode("ascii")
    return (f"/* IPAexGothic, unmodified, distributed under its licence:\n{licence.replace('*/', '* /')}\n*/\n"
            f"@font-face {{ font-family: 'IPAexGothic'; src: url(data:font/ttf;base64,{font}) format('truetype'); }}")


def export_html(paths: list[Path | str], out: Path | str, languages: tuple[str, ...] = ("en", "ja"),
                seed: int | None = None, quarters: int | None = None, embed_font: bool = False) -> Path:
    """Write the handout of ``paths`` (config files) to ``out``; return its path.

    Args:
        paths: Config files, one scenario each, in the order of the handout's menu.
        out: The HTML file to write.
        languages: Languages the handout can switch between (the first is shown first).
        seed: Overrides every config's seed.
        quarters: Overrides every config's run length.
        embed_font: Inline the Japanese font (for readers without one).

    Raises:
        economy.config.ConfigError: If a config is broken (nothing is written).
        FileNotFoundError: If ECharts is not installed (requirements-classroom.txt).
    """
    library = ECHARTS.read_text(encoding="utf-8")
    data = {"languages": list(languages), "languageNames": {x: LANGUAGE_NAMES[x] for x in languages},
            "labels": {x: {k: t(x, k) for k in ("play", "pause", "scenario", "quarter", "language", "title")}
                       for x in languages},
            "scenarios": [scenario_frames(Path(p), languages, seed, quarters) for p in paths]}
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    page = _TEMPLATE.replace("@TITLE@", html.escape(t(languages[0], "title")))
    page = page.replace("@FONT@", _font_css() if embed_font else "")
    page = page.replace("@ECHARTS@", library.replace("</script", "<\\/script")).replace("@DATA@", payload)
    out = Path(out)
    out.write_text(page, encoding="utf-8")
    return out


# The player: pick a scenario and a language, move through the quarters (slider, buttons, play).
GENERATOR = '<meta name="generator" content="ai-financing-web handout">'
"""Marks a file as a handout this program wrote, so that ``run.py export`` may replace it (and nothing else)."""

_TEMPLATE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">""" + GENERATOR + """<title>@TITLE@</title>
<style>
@FONT@
body { font-family: 'Helvetica Neue', Arial, 'Hiragino Sans', 'Yu Gothic', 'Noto Sans CJK JP', 'IPAexGothic', sans-serif;
       margin: 12px 20px; }
select, button { font-family: inherit; }
#bar { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
#kpis { display: flex; gap: 8px; flex-wrap: wrap; margin: 8px 0; }
.kpi { min-width: 8.5em; padding: 4px 10px; border-left: 3px solid #3465a4; background: #f5f7fa; }
.kpi .k { font-size: 0.8em; color: #555; } .kpi .v { font-weight: bold; }
#main { display: flex; gap: 16px; } #web { flex: 3; height: 620px; } #story { flex: 1; font-size: 0.9em; }
#series { height: 300px; } #quarter { font-size: 1.3em; font-weight: bold; }
</style>
<script>@ECHARTS@</script>
<script id="data" type="application/json">@DATA@</script>
</head><body>
<h2 id="title"></h2>
<div id="bar"><select id="scenario"></select><select id="lang"></select>
<button id="prev">&#9664;</button><input id="slider" type="range" min="0" value="0"><button id="next">&#9654;</button>
<button id="play"></button><span id="quarter"></span></div>
<div id="kpis"></div><div id="main"><div id="web"></div><div id="story"></div></div><div id="series"></div>
<script>
(function () {
  const data = JSON.parse(document.getElementById("data").textContent);
  const $ = (id) => document.getElementById(id);
  const web = echarts.init($("web")), series = echarts.init($("series"));
  let lang = data.languages[0], scenario = 0, timer = null;
  const esc = (s) => String(s).replace(/[&<>]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;"}[c]));
  function labels() {
    $("title").textContent = data.labels[lang].title;
    $("play").textContent = timer ? data.labels[lang].pause : data.labels[lang].play;
    $("scenario").innerHTML = data.scenarios.map((s, i) =>
      `<option value="${i}" ${i === scenario ? "selected" : ""}>${esc(s.names[lang])}</option>`).join("");
  }
  function show() {
    const s = data.scenarios[scenario], q = Number($("slider").value), f = s.frames[q][lang];
    $("quarter").textContent = f.quarter;
    $("kpis").innerHTML = f.kpis.map(([k, v]) =>
      `<div class="kpi"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div></div>`).join("");
    $("story").innerHTML = f.story;
    web.setOption(f.web, true);
    const opt = JSON.parse(JSON.stringify(s.series[lang][0]));
    opt.series[0].markLine = {symbol: "none", data: [{xAxis: s.frames[q].label}], label: {show: false}};
    series.setOption(opt, true);
  }
  function pick(i) {
    scenario = i;
    $("slider").max = data.scenarios[i].frames.length - 1;
    $("slider").value = Math.min(Number($("slider").value), Number($("slider").max));
    labels(); show();
  }
  function stop() { clearInterval(timer); timer = null; labels(); }
  $("lang").innerHTML = data.languages.map((x) => `<option value="${x}">${esc(data.languageNames[x])}</option>`).join("");
  $("lang").onchange = (e) => { lang = e.target.value; labels(); show(); };
  $("scenario").onchange = (e) => pick(Number(e.target.value));
  $("slider").oninput = show;
  $("prev").onclick = () => { $("slider").value = Number($("slider").value) - 1; show(); };
  $("next").onclick = () => { $("slider").value = Number($("slider").value) + 1; show(); };
  $("play").onclick = () => {
    if (timer) { stop(); return; }
    timer = setInterval(() => {
      if (Number($("slider").value) >= Number($("slider").max)) { stop(); return; }
      $("slider").value = Number($("slider").value) + 1; show();
    }, 500);
    labels();
  };
  pick(0);
})();
</script></body></html>
"""
