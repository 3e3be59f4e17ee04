"""The tutorials in docs/tutorials run, small, in an empty folder, and print the conclusions they promise."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "docs" / "tutorials"
CHANNELS = {"payment", "equity", "collateral", "credit", "confidence", "demand"}
QUARTER = r"\d{4}Q[1-4]"


def _run(script: str, cwd: Path, *args: str) -> str:
    """Run one tutorial with the project's Python in ``cwd``; return what it printed."""
    done = subprocess.run([sys.executable, str(TUTORIALS / script), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _conclusions(output: str) -> list[str]:
    return [line.removeprefix("CONCLUSION: ") for line in output.splitlines() if line.startswith("CONCLUSION: ")]


def test_baseline_to_scenario_says_who_lost_and_why(tmp_path):
    """Eight quarters of the baseline and the AI winter: the conclusions agree with each other, and the winter hurts."""
    output = _run("01_baseline_to_scenario.py", tmp_path, "--quarters", "8")
    for heading in ("Headline figures", "The cascade in ai_winter", "Who lost, through which channel", "Because of whom"):
        assert f"== {heading}" in output
    defaults, rescued, only, first, loser, value, written = _conclusions(output)

    m = re.fullmatch(r"defaults: baseline (\d+) \[(.*)\], ai_winter (\d+) \[(.*)\]", defaults)
    assert m, defaults
    in_base, in_winter = (re.findall(r"'([a-z_]+)'", m.group(i)) for i in (2, 4))
    assert (int(m.group(1)), int(m.group(3))) == (len(in_base), len(in_winter))
    assert re.fullmatch(r"rescued: baseline \[.*\], ai_winter \[.*\]", rescued), rescued
    assert only == f"fail only in ai_winter: {', '.join(sorted(set(in_winter) - set(in_base))) or 'none'}"

    m = re.fullmatch(rf"first default in ai_winter: ([a-z_]+) in ({QUARTER}), pushed most by ([a-z]+)( \(.+\))?", first)
    if in_winter:
        assert m and m.group(1) in in_winter and m.group(3) in CHANNELS | {"fundamental"}, first
    else:
        assert first == "first default in ai_winter: none"

    m = re.fullmatch(r"largest loser in ai_winter: ([a-z_]+), \$([\d.]+)B, mostly through ([a-z]+)", loser)
    assert loser == "largest loser in ai_winter: none" or (m and float(m.group(2)) > 0 and m.group(3) in CHANNELS), loser

    # a bust in AI demand costs the AI firms more of their value than steady demand does
    m = re.fullmatch(r"AI firms' market value falls (\d+)% from its peak in ai_winter, (\d+)% in the baseline", value)
    assert m and int(m.group(1)) > int(m.group(2)), value

    m = re.fullmatch(r"written off in ai_winter: \$([\d.]+)B of loans and stakes, plus \$([\d.]+)B of lost orders "
                     r"\(baseline: \$([\d.]+)B and \$([\d.]+)B\)", written)
    assert m, written
    assert list(tmp_path.iterdir()) == []  # it writes nothing


def test_sensitivity_study_shows_the_effect_of_demand_growth(tmp_path):
    """A 5 x 2 study of 8-quarter runs: stored in the work folder, loaded, summarised; a second run resumes it."""
    args = ("--quarters", "8", "--replications", "2")
    output = _run("02_sensitivity.py", tmp_path, *args)
    workdir = tmp_path / "results" / "tutorial_02_sensitivity"
    assert (workdir / "spec.yaml").is_file() and (workdir / "study" / "manifest.json").is_file()
    assert "10 of 10 runs stored" in output and "(10 made now" in output
    counts, burn, debt, defaults = _conclusions(output)
    assert counts == "10 runs, 10 ok, 5 values of demand_growth, 8 quarters each"
    # what two years of the baseline show: more demand, less cash burned by OpenAI, more debt for its partners
    m = re.fullmatch(r"faster demand growth (raises|lowers|leaves unchanged) OpenAI's 2026-29 burn: "
                     r"median \$([\d.]+)B at 15% a year, \$([\d.]+)B at 95%", burn)
    assert m and m.group(1) == "lowers" and float(m.group(2)) > float(m.group(3)), burn
    m = re.fullmatch(r"faster demand growth (raises|lowers|leaves unchanged) peak partner debt: "
                     r"median \$(\d+)B at 15%, \$(\d+)B at 95%", debt)
    assert m and m.group(1) == "raises" and int(m.group(2)) < int(m.group(3)), debt
    assert re.fullmatch(r"runs with a default: \d+% at 15%, \d+% at 95%", defaults), defaults

    again = _run("02_sensitivity.py", tmp_path, *args)  # the same command resumes: nothing is run twice
    assert "10 of 10 runs stored" in again and "(0 made now" in again
    assert _conclusions(again) == _conclusions(output)
