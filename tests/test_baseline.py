"""The baseline starts where the sources say (FACTS.md) and keeps its books through every seed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from economy.config import load_config
from economy.contracts import LIVE, ComputeContract, EquityStake, Loan
from economy.ledger import Account
from model import BASELINE, AIFinanceModel

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def opening() -> AIFinanceModel:
    """The baseline at quarter 0, before any step."""
    return AIFinanceModel(config=load_config(BASELINE))


def _remaining_openai_commitments(m: AIFinanceModel) -> tuple[float, float, int]:
    openai = m.index["openai"]
    deals = [c for c in m.book.of_kind(ComputeContract) if c.from_party == openai and c.state in LIVE]
    value = sum(c.amount - c.delivered_value for c in deals)
    gw = sum(c.gw for c in deals)
    last = max(c.end for c in deals)
    return value, gw, last


def test_openai_compute_commitments_about_1_4_trillion_over_8_years(opening):
    """OpenAI's remaining compute commitments are about $1.4T for about 30 GW over about 8 years (FACTS 0)."""
    value, gw, last = _remaining_openai_commitments(opening)
    assert 1250 <= value <= 1550
    assert 24 <= gw <= 40
    assert 24 <= last <= 40  # the last delivery 6-10 years out


def test_partner_debt_tied_to_openai_about_96_to_100_billion(opening):
    """Partners' borrowing tied to OpenAI starts near the FT's $96-100B (FACTS D34), not the seed's $960B."""
    openai = opening.index["openai"]
    tied = sum(loan.principal for loan in opening.book.of_kind(Loan) if loan.tied_to == openai)
    assert 90 <= tied <= 105


def test_microsoft_and_softbank_stakes_in_openai(opening):
    """Microsoft holds about 27% and SoftBank about 11% of OpenAI (FACTS 1.1)."""
    m = opening
    stakes = {m.ledger.names[s.from_party]: s.fraction for s in m.book.of_kind(EquityStake) if s.to_party == m.index["openai"]}
    assert stakes["microsoft"] == pytest.approx(0.27, abs=0.01)
    assert stakes["softbank"] == pytest.approx(0.11, abs=0.015)


def test_openai_run_rate_about_20_billion(opening):
    """OpenAI's revenue run-rate at the start is about $20B a year (FACTS 1.1)."""
    cfg = opening.config
    run_rate = cfg.world.demand.initial_annual * cfg.company("openai").lab.market_share
    assert 18 <= run_rate <= 22


def test_nvidia_revenue_and_cash(opening):
    """Nvidia's last quarterly revenue is $57-65B and its cash about $60B (FACTS 1.2)."""
    nvda = opening.config.company("nvidia")
    assert 57 <= nvda.reported.revenue_quarterly <= 65
    assert opening.ledger.balance(opening.index["nvidia"], Account.CASH) == pytest.approx(60.6, abs=3)


def test_oracle_debt_and_backlog(opening):
    """Oracle owes about $100-105B and its contracted backlog is about $523B (FACTS 1.4)."""
    m = opening
    oracle = m.index["oracle"]
    assert 95 <= m.ledger.balance(oracle, Account.DEBT) <= 110
    backlog = sum(c.remaining_value(1) for c in m.book.of_kind(ComputeContract) if c.to_party == oracle)
    assert 480 <= backlog <= 560


def test_opening_rows_report_the_starting_state(opening):
    """The 2025Q4 rows carry the opening balance sheets and every ledger holder, the external sector included."""
    rows = pd.DataFrame(opening.recorder.balance_rows)
    assert set(rows.quarter) == {"2025Q4"}
    assert set(rows.entity) == set(opening.ledger.names)
    assert (rows.total_assets - rows.total_liabilities - rows.equity).abs().max() < 1e-6


def test_baseline_keeps_its_books_for_every_seed(baseline_runs):
    """For seeds 0-19 the full baseline runs 32 quarters with every invariant checked each quarter."""
    assert [m.config.run.seed for m in baseline_runs] == list(range(20))
    for m in baseline_runs:
        assert m.quarter == 32
        system = pd.DataFrame(m.recorder.system_rows)
        money = system.firms_cash + system.external_cash  # conserved: the outside world's cash included
        assert money.max() - money.min() <= 1e-6 * money.iloc[0]
        rows = pd.DataFrame(m.recorder.balance_rows)
        assert (rows.total_assets - rows.total_liabilities - rows.equity).abs().max() <= 1e-6 * rows.total_assets.abs().max()


def test_different_seeds_give_different_histories(baseline_runs):
    """The baseline has randomness (demand shocks), so two seeds give different paths."""
    a, b = (pd.DataFrame(baseline_runs[i].recorder.system_rows) for i in (0, 1))
    assert not a.ai_demand.equals(b.ai_demand)
