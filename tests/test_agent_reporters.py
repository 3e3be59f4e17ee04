"""The Mesa agent panel: ``model.datacollector.get_agent_vars_dataframe()`` is the firms' rows of balance_sheets."""

from __future__ import annotations

import pickle
from pathlib import Path

import mesa
import pandas as pd
import pytest

from economy.records import frames
from model import PANEL_COLUMNS, AIFinanceModel
from tests.sweep_support import TINY
from tests.worlds import DOOMED_LAB, build

ROOT = Path(__file__).resolve().parents[1]
WINTER = ROOT / "configs" / "scenarios" / "ai_winter.yaml"
QUARTERS = 8  # the AI winter's bust brings distress and a rescue by then (seed 1)


@pytest.fixture(scope="module")
def winter() -> AIFinanceModel:
    """Eight quarters of the AI winter, seed 1."""
    return AIFinanceModel(config=WINTER, seed=1, quarters=QUARTERS).run()


def _panel(model: AIFinanceModel) -> pd.DataFrame:
    return model.datacollector.get_agent_vars_dataframe()


def _sheets_of_firms(model: AIFinanceModel) -> pd.DataFrame:
    """The firms' rows of balance_sheets (the external sector has no agent), with the step each quarter is."""
    tables = frames(model)
    step_of = {label: step for step, label in enumerate(tables["system"].quarter)}
    sheets = tables["balance_sheets"]
    sheets = sheets[sheets.role != "external"].copy()
    sheets["Step"] = sheets.quarter.map(step_of)
    return sheets


def test_panel_has_one_row_per_firm_per_step_opening_included(winter):
    """Steps 0..Q, as the model reporters have them, each with one row per company agent, indexed (Step, AgentID)."""
    panel = _panel(winter)
    assert panel.index.names == ["Step", "AgentID"]
    assert list(panel.columns) == list(PANEL_COLUMNS)
    steps = panel.index.get_level_values("Step")
    assert sorted(set(steps)) == list(range(QUARTERS + 1))
    assert len(winter.datacollector.get_model_vars_dataframe()) == QUARTERS + 1
    firms = [a.entity for a in winter.companies]
    for _, rows in panel.groupby(level="Step"):
        assert rows.entity.tolist() == firms
        assert rows.index.get_level_values("AgentID").tolist() == [a.unique_id for a in winter.companies]


def test_panel_equals_the_balance_sheet_table(winter):
    """Every panel value is the balance_sheets value of the same firm and quarter (numbers to 1e-9 $B, text exactly)."""
    panel = _panel(winter).reset_index()
    sheets = _sheets_of_firms(winter)
    joined = panel.merge(sheets, on=["Step", "entity"], how="outer", suffixes=("", "_table"), indicator=True)
    assert (joined["_merge"] == "both").all(), joined[joined["_merge"] != "both"][["Step", "entity"]]
    assert len(joined) == len(panel) == len(sheets)
    for column in PANEL_COLUMNS[1:]:
        mine, table = joined[column], joined[f"{column}_table"]
        if pd.api.types.is_numeric_dtype(table):
            assert (mine - table).abs().max() <= 1e-9, column
        else:
            assert mine.tolist() == table.tolist(), column


def test_panel_statuses_are_the_status_values(winter):
    """Status is the string value of the firm's Status, and the winter's panel shows firms leaving healthy."""
    panel = _panel(winter)
    assert set(panel.status) <= {"healthy", "distressed", "defaulted", "rescued"}
    last = panel.xs(QUARTERS, level="Step").set_index("entity").status
    assert last.to_dict() == {a.entity: a.status.value for a in winter.companies}
    assert {"distressed", "rescued"} <= set(last)
    assert set(panel.xs(0, level="Step").status) == {"healthy"}


def test_panel_status_changes_when_a_firm_defaults():
    """A lab with no cash and costs is healthy at the opening, defaulted from its first quarter, and stays in the panel."""
    model = build([DOOMED_LAB], [], quarters=3).run()
    doomed = _panel(model).reset_index().query("entity == 'doomed'").set_index("Step")
    assert doomed.status.tolist() == ["healthy", "defaulted", "defaulted", "defaulted"]
    assert doomed.index.tolist() == [0, 1, 2, 3]


def test_panel_is_reproducible_and_survives_pickling(winter):
    """The same seed gives the same panel, and a pickled model (the classroom copies models so) keeps and extends it."""
    again = AIFinanceModel(config=WINTER, seed=1, quarters=QUARTERS).run()
    pd.testing.assert_frame_equal(_panel(again), _panel(winter))
    copy = pickle.loads(pickle.dumps(AIFinanceModel(config=WINTER, seed=1, quarters=QUARTERS)))
    copy.run()
    pd.testing.assert_frame_equal(_panel(copy), _panel(winter))


def test_batch_run_gives_a_row_per_firm(tmp_path):
    """``mesa.batch_run`` gives, as Mesa does with agent reporters, one row per agent at each step it reports."""
    rows = mesa.batch_run(AIFinanceModel, parameters={"config": str(TINY), "seed": [0], "quarters": 3}, iterations=1,
                          number_processes=1, data_collection_period=-1, display_progress=False)
    model = AIFinanceModel(config=TINY, seed=0, quarters=3).run()
    assert [r["entity"] for r in rows] == [a.entity for a in model.companies]
    step = rows[0]["Step"]
    panel = _panel(model).xs(step, level="Step")
    for row in rows:
        assert row["Step"] == step
        assert row["cash"] == panel.loc[row["AgentID"], "cash"]
        assert row["defaults"] == model.datacollector.get_model_vars_dataframe()["defaults"].iloc[step]
