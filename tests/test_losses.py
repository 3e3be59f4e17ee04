"""One definition of loss (issue 11): write-offs, lost backlog and rescue cost apart, the same in every output.

The AI winter (seeds 0 and 1) has defaults, write-offs of loans and stakes, fire-sale discounts and lost
backlog, so every kind of row of ``losses.csv`` is exercised.
"""

from __future__ import annotations

import math

import pytest

from analysis.figures.losses import losses_by_channel
from analysis.figures.style import _money
from analysis.summary import summarize
from economy.config import load_config
from economy.records import frames
from economy.state import BACKLOG_KINDS
from model import BASELINE, AIFinanceModel
from tests.worlds import DOOMED_LAB, build, status

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
    written_off = losses[~losses.kind.isin(BACKLOG_KINDS)]
    assert summary["total_losses"] > 0
    assert summary["total_losses"] == pytest.approx(written_off.amount.sum(), abs=1e-3)
    assert math.fsum(summary["losses_by_holder"].values()) == pytest.approx(summary["total_losses"], abs=0.01)
    assert math.fsum(summary["losses_by_channel"].values()) == pytest.approx(summary["total_losses"], abs=0.01)
    assert "demand" not in summary["losses_by_channel"]
    assert math.fsum(summary["lost_backlog_by_holder"].values()) == pytest.approx(summary["lost_backlog"], abs=0.01)
    assert summary["lost_backlog"] == pytest.approx(losses[losses.kind.isin(BACKLOG_KINDS)].amount.sum(), abs=1e-3)


@pytest.fixture(scope="module")
def no_rescue() -> tuple[dict, dict]:
    """The tables and summary of the no-rescue scenario, seed 0: OpenAI fails with its chip deals still open."""
    model = AIFinanceModel(config=load_config(BASELINE.parent / "scenarios" / "no_rescue.yaml"), seed=0).run()
    tables = frames(model)
    return tables, summarize(tables, [co.entity for co in model.companies if co.role == "lab"])


def test_lost_backlog_splits_into_binding_and_nonbinding_the_same_everywhere(winter, no_rescue):
    """Binding (kind backlog) and non-binding (backlog_nonbinding) add up to the lost backlog, by holder too.

    Without rescues (seed 0) OpenAI fails while its letter of intent with Nvidia and the optional part of its
    AMD and Broadcom deals are open, so both parts are exercised; the AI winter checks the same sums.
    """
    for tables, summary in (winter, no_rescue):
        _check_backlog_split(tables, summary)
    tables, summary = no_rescue
    assert summary["lost_backlog_nonbinding"] > 0 and summary["lost_backlog_binding"] > 0
    assert summary["lost_backlog_nonbinding_by_holder"].get("nvidia", 0.0) > 0
    assert "nvidia" not in summary["lost_backlog_binding_by_holder"]  # a letter of intent binds to nothing


def _check_backlog_split(tables: dict, summary: dict) -> None:
    losses = tables["losses"]
    binding, nonbinding = (losses[losses.kind == kind] for kind in BACKLOG_KINDS)
    assert summary["lost_backlog_binding"] == pytest.approx(binding.amount.sum(), abs=1e-3)
    assert summary["lost_backlog_nonbinding"] == pytest.approx(nonbinding.amount.sum(), abs=1e-3)
    assert summary["lost_backlog_binding"] + summary["lost_backlog_nonbinding"] == pytest.approx(
        summary["lost_backlog"], abs=0.01)
    for key, rows in (("lost_backlog_binding_by_holder", binding), ("lost_backlog_nonbinding_by_holder", nonbinding)):
        assert summary[key] == pytest.approx(rows.groupby("holder").amount.sum().to_dict(), abs=1e-3)
    together = {h: summary["lost_backlog_binding_by_holder"].get(h, 0.0)
                + summary["lost_backlog_nonbinding_by_holder"].get(h, 0.0) for h in summary["lost_backlog_by_holder"]}
    assert together == pytest.approx(summary["lost_backlog_by_holder"], abs=0.01)
    assert (losses.loc[losses.kind.isin(BACKLOG_KINDS), "channel"] == "demand").all()


def test_the_losses_figure_draws_the_write_offs_only(winter, no_rescue):
    """The channel totals of the figure add up to total_losses; its footnote names the lost backlog and its two parts."""
    for tables, summary in (winter, no_rescue):
        _check_figure(tables, summary)


def _check_figure(tables: dict, summary: dict) -> None:
    fig = losses_by_channel(tables["losses"])
    totals = [p.get_width() for ax in fig.axes for p in ax.patches if p.get_gid() == "total"]
    assert math.fsum(totals) == pytest.approx(summary["total_losses"], abs=0.01)
    assert any("lost backlog" in t.get_text() for t in fig.texts) == (summary["lost_backlog"] > 0)
    if summary["lost_backlog"] > 0:
        footnote = " ".join(t.get_text() for t in fig.texts)
        for key in ("lost_backlog", "lost_backlog_binding", "lost_backlog_nonbinding"):
            assert _money(summary[key]) in footnote


CHIPS = {"id": "chips", "name": "Chips", "role": "chipmaker", "market_value": 100.0, "opening": {"cash": 50.0},
         "chips": {"gross_margin": 0.5, "hardware_share": 0.0}}


@pytest.mark.parametrize(("terms", "binding", "nonbinding"), [
    # 6 GW for $60B: $10B a GW; a quarter of the GW (1.5) binding, none delivered: 15 binding, 45 not
    ({"payment": "supply", "total_value": 60.0, "gw": 6.0, "binding_share": 0.25}, 15.0, 45.0),
    # a letter of intent: nothing binding
    ({"payment": "supply", "total_value": 60.0, "gw": 6.0, "binding_share": 0.0, "take_or_pay": 0.0}, 0.0, 60.0),
    # a rental binding in full: $40B over 4 quarters from 2026Q2, all of it binding
    ({"payment": "rental", "total_value": 40.0, "gw": 1.0, "quarters": 4}, 40.0, 0.0),
])
def test_a_failed_buyers_backlog_is_split_by_its_binding_share(terms, binding, nonbinding):
    """A buyer failing in 2026Q1 before its contract starts (2026Q2): its seller loses the contract's whole value, in two rows.

    The binding row is the binding share of the GW not yet delivered at the price per GW; the rest is non-binding.
    A part that is zero has no row.
    """
    contract = {"id": "deal", "kind": "compute", "buyer": "doomed", "seller": "chips", "start": "2026Q2",
                "quarters": 6, **terms}
    m = build([DOOMED_LAB, CHIPS], [contract], quarters=2).run()
    assert status(m, "doomed") == "defaulted"
    rows = {r["kind"]: r["amount"] for r in m.losses if r["source"] == "doomed" and r["holder"] == "chips"}
    expected = {kind: amount for kind, amount in zip(BACKLOG_KINDS, (binding, nonbinding), strict=True) if amount > 0}
    assert rows == pytest.approx(expected, rel=1e-12)



@pytest.fixture(scope="module", params=[0, 1])
def rate_shock(request) -> tuple[int, dict]:
    """The seed and tables of a rate-shock run: seed 1 has the banks fail (their loan book sold from the estate)."""
    model = AIFinanceModel(config=load_config(BASELINE.parent / "scenarios" / "rate_shock.yaml"), seed=request.param).run()
    return request.param, frames(model)


def _lenders_books_agree_with_their_loss_rows(tables: dict) -> list[str]:
    """Each lender's balance_sheets.losses summed over the run equals its rows of losses.csv (every kind)."""
    bs, losses = tables["balance_sheets"], tables["losses"]
    run = bs[bs.quarter.astype(str) != str(bs.quarter.iloc[0])]
    lenders = sorted(set(run.loc[run.role == "lender", "entity"]))
    assert lenders
    for lender in lenders:
        books = math.fsum(run.loc[run.entity == lender, "losses"])
        rows = math.fsum(losses.loc[losses.holder == lender, "amount"])
        assert books == pytest.approx(rows, abs=1e-3), (lender, books, rows)
    return [str(s) for s in run.loc[run.role == "lender"].groupby("entity").status.last()]


@pytest.fixture(scope="module")
def winter_with_late_recoveries() -> dict:
    """The tables of the AI winter's seed 2, where failed estates pass money received late to the lenders."""
    return frames(AIFinanceModel(config=load_config(WINTER), seed=2).run())


def test_a_late_recovery_cuts_the_lenders_losses_on_its_books_as_in_its_rows(winter_with_late_recoveries):
    """Money a failed estate receives late reduces the lender's LOSSES account and its loss row alike."""
    tables = winter_with_late_recoveries
    late = tables["payments"][tables["payments"].memo.str.endswith("late recovery")]
    assert {"banks", "private_credit"} <= set(late.payee)
    assert set(late.kind) == {"recovery"}
    _lenders_books_agree_with_their_loss_rows(tables)


def test_a_lenders_losses_on_its_books_are_its_loss_rows(winter, rate_shock):
    """A lender's loss rows and its books agree in the AI winter, and when the rate shock makes the banks fail.

    The rate shock's seed 1 has the banks fail: their loan book sold from the estate is a row.
    """
    tables, _summary = winter
    _lenders_books_agree_with_their_loss_rows(tables)
    seed, tables = rate_shock
    statuses = _lenders_books_agree_with_their_loss_rows(tables)
    if seed == 1:
        assert "defaulted" in statuses
        losses = tables["losses"]
        assert ((losses.kind == "sale_discount") & (losses.source == "loans_held")).any()
