"""The distress report (``run.py distress``): its figures come from a run's tables and say what the tables say."""

from __future__ import annotations

import pytest

import run
from analysis.distress_report import calibration, report
from model import BASELINE

WINTER = BASELINE.parent / "scenarios" / "ai_winter.yaml"


@pytest.fixture(scope="module")
def winter() -> dict:
    """The AI winter, seed 1: labs fail in a fearful market and CoreWeave with them."""
    return run.distress_run((str(WINTER), 1))


def test_a_runs_figures_agree_with_its_tables(winter):
    """Defaults counted by channel add up to the defaults; failed firms hold nothing; ratios are ratios."""
    assert winter["defaults"] == sum(winter["by_channel"].values()) > 0
    assert winter["caused_by_default"] <= winter["defaults"]
    assert winter["defaulted_equity"] < 1e-6
    assert 0.0 <= winter["lender_min_ratio"] <= 1.0
    assert winter["openai_peak"] > 0 and winter["nvidia_cash"] > 0


def test_the_report_counts_runs_and_reads_the_calibration(winter):
    """Two copies of one run: every count doubles, the bands are that run's own figures."""
    lines = report("ai_winter", [winter, winter])
    assert lines[0] == "ai_winter (2 seeds)"
    assert f"systemic event: {2 * winter['systemic']}/2" in lines[1]
    assert f"defaults: {2 * winter['defaults']} in all" in lines[2]
    assert f"{winter['openai_2030_revenue']:.1f} $B (100-250)" in "\n".join(calibration([winter]))


def test_the_command_refuses_a_seed_count_of_zero(capsys):
    """Bad input gets a clear message and exit status 2, before any run."""
    with pytest.raises(SystemExit) as stop:
        run.main(["distress", "--seeds", "0"])
    assert stop.value.code == 2
    assert "--seeds" in capsys.readouterr().err
