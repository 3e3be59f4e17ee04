"""One definition of loss (issue 11): write-offs, lost backlog and rescue cost apart, the same in every output.

The AI winter (seeds 0 and 1) has defaults, write-offs of loans and stakes, fire-sale discounts and lost
backlog, so every kind of row of ``losses.csv`` is exercised.
"""

from __future__ import annotations

import math

import pytest

from analysis.figures.losses import losses_by_channel
from analysis.summary import summarize
from economy.config import load_config
from economy.records import frames
from model import BASELINE, AIFinanceModel

WINTER = BASELINE.parent / "scenarios" / "ai_winter.yaml"


@pytest.fixture(scope="module", params=[0, 1])
def winter(request) -> tuple[dict, dict]:
    """The tables and summary of one AI winter run."""
    model = AIFinanceModel(config=load_config(WINTER), seed=request.param).run()
    tables = frames(model)
    return tables, summarize(tables, [co.entity for co in model.companies if co.role == "lab"])


def test_summary_totals_are_the_write_offs_and_backlog_is_apart(winter):
    """total_losses = sum by holder = sum by channel = losses.csv without backlog; lost backlog the backlog rows."""
    tables, summary = winter
    losses = tables["losses"]
    written_off = losses[losses.kind != "backlog"]
    assert summary["total_losses"] > 0
    assert summary["total_losses"] == pytest.approx(written_off.amount.sum(), abs=1e-3)
    assert math.fsum(summary["losses_by_holder"].values()) == pytest.approx(summary["total_losses"], abs=0.01)
    assert math.fsum(summary["losses_by_channel"].values()) == pytest.approx(summary["total_losses"], abs=0.01)
    assert "demand" not in summary["losses_by_channel"]
    assert math.fsum(summary["lost_backlog_by_holder"].values()) == pytest.approx(summary["lost_backlog"], abs=0.01)
    assert summary["lost_backlog"] == pytest.approx(losses[losses.kind == "backlog"].amount.sum(), abs=1e-3)


def test_the_losses_figure_draws_the_write_offs_only(winter):
    """The channel totals of the figure add up to total_losses, not to write-offs plus backlog."""
    tables, summary = winter
    fig = losses_by_channel(tables["losses"])
    totals = [p.get_width() for ax in fig.axes for p in ax.patches if p.get_gid() == "total"]
    assert math.fsum(totals) == pytest.approx(summary["total_losses"], abs=0.01)
    assert any("lost backlog" in t.get_text() for t in fig.texts) == (summary["lost_backlog"] > 0)

