"""With no shock, the baseline's median over seeds 0-19 lands near the seeds' figures (MODEL.md section 10).

Bands are for the median, not for every seed. Sources: OpenAI 2026 loss ~$14B (FACTS 0, 1.1; the figure
excludes stock pay, FACTS 0 "Projected loss"); cumulative burn 2026-2029 ~$115B (FACTS 0); no profit before
2030 (FACTS 0, HSBC); 2030 revenue ~$200B plan (FACTS 1.1); 2026 capex guides of the five (FACTS 3.1).
"""

from __future__ import annotations

import statistics

import pandas as pd
import pytest

BIG_FIVE = ["microsoft", "alphabet", "amazon", "meta", "oracle"]


@pytest.fixture(scope="module")
def runs(baseline_runs) -> list[pd.DataFrame]:
    """Balance-sheet tables of the baseline for seeds 0-19."""
    out = []
    for model in baseline_runs:
        rows = pd.DataFrame(model.recorder.balance_rows)
        rows = rows[rows.quarter != "2025Q4"].copy()
        rows["year"] = rows.quarter.str[:4].astype(int)
        out.append(rows)
    return out


def _openai_by_year(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows.entity == "openai"].groupby("year")[["net_income", "stock_pay", "revenue", "free_cash_flow"]].sum()


def test_openai_2026_loss_about_14bn(runs):
    """OpenAI's 2026 net loss before stock pay has a median in $10-20B."""
    losses = [-(y.loc[2026, "net_income"] + y.loc[2026, "stock_pay"]) for y in map(_openai_by_year, runs)]
    assert 10 <= statistics.median(losses) <= 20


def test_openai_burn_2026_2029_about_115bn(runs):
    """OpenAI's cumulative cash burn over 2026-2029 has a median in $80-150B."""
    burns = [-y.loc[2026:2029, "free_cash_flow"].sum() for y in map(_openai_by_year, runs)]
    assert 80 <= statistics.median(burns) <= 150


def test_openai_not_profitable_before_2030(runs):
    """In the median run OpenAI makes no profit in any year before 2030."""
    first = []
    for y in map(_openai_by_year, runs):
        profitable = [year for year, ni in y.net_income.items() if ni > 0]
        first.append(profitable[0] if profitable else 9999)
    assert statistics.median(first) >= 2030


def test_openai_2030_revenue_in_100_250bn(runs):
    """OpenAI's 2030 revenue has a median in $100-250B."""
    revenue = [y.loc[2030, "revenue"] if 2030 in y.index else 0.0 for y in map(_openai_by_year, runs)]
    assert 100 <= statistics.median(revenue) <= 250


def test_big_five_capex_2026_about_650_750bn(runs):
    """Microsoft, Alphabet, Amazon, Meta and Oracle together spend $650-750B on capex in 2026 (median)."""
    capex = [rows[(rows.entity.isin(BIG_FIVE)) & (rows.year == 2026)].capex.sum() for rows in runs]
    assert 650 <= statistics.median(capex) <= 750
