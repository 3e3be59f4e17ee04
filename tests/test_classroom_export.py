"""The handout exporter (classroom/export.py): a self-contained HTML file of scenarios, quarter by quarter."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("solara")

from classroom.export import export_html  # noqa: E402
from economy.config import ConfigError  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
QUARTERS = 6


@pytest.fixture(scope="module")
def handout(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("handout") / "handout.html"
    return export_html([ROOT / "configs" / "baseline.yaml", ROOT / "configs" / "scenarios" / "ai_winter.yaml"], out,
                       quarters=QUARTERS)


def _data(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    blob = re.search(r'<script id="data" type="application/json">(.*?)</script>', text, re.S).group(1)
    return json.loads(blob.replace("<\\/", "</"))


def test_handout_holds_every_quarter_of_every_scenario_in_both_languages(handout):
    data = _data(handout)
    assert [s["id"] for s in data["scenarios"]] == ["baseline", "ai_winter"]
    for s in data["scenarios"]:
        assert [f["label"] for f in s["frames"]][:2] == ["2025Q4", "2026Q1"] and len(s["frames"]) == QUARTERS + 1
        for frame in s["frames"]:
            assert set(frame) == {"label", "en", "ja"}
            assert frame["ja"]["web"]["series"][0]["data"] and "期" in frame["ja"]["quarter"]
    # the worlds differ: the AI winter's demand falls behind the baseline's by the end
    last = [s["frames"][-1]["en"]["kpis"][1][1] for s in data["scenarios"]]
    assert last == ["steady", "bust"]


def test_handout_needs_nothing_outside_the_file(handout):
    text = handout.read_text(encoding="utf-8")
    assert "echarts" in text and len(text) > 1_000_000  # the library is inline
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)  # no script, style or link from elsewhere


def test_a_broken_config_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("base: %s\nworld: {gpu: {decline_anual: 0.3}}\n" % (ROOT / "configs" / "baseline.yaml"))
    with pytest.raises(ConfigError):
        export_html([bad], tmp_path / "out.html", quarters=2)
    assert not (tmp_path / "out.html").exists()
