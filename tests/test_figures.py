"""Tests for analysis.results (loading a results folder) and analysis.figures (plots).

All data are small synthetic tables written into pytest's ``tmp_path``; nothing
is written anywhere else and no model is run.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

from analysis.figures import (  # noqa: E402
    STANDARD_FIGURE_NAMES,
    active_contracts,
    balance_sheet_composition,
    contract_web,
    debt_buildup,
    lab_revenue_vs_compute,
    save_standard_figures,
    standard_figures,
)
from analysis.results import (  # noqa: E402
    BALANCE_SHEET_COLUMNS,
    CASCADE_COLUMNS,
    CHANNEL_COLUMNS,
    LOSS_COLUMNS,
    Results,
    load_results,
    quarter_key,
)

QUARTERS: list[str] = ["2025Q4", "2026Q1", "2026Q2"]

# Contracts active at each fixture quarter (see ``_contracts``).
EXPECTED_ACTIVE: dict[str, set[str]] = {
    "2025Q4": {"c_compute", "c_loan", "c_credit"},
    "2026Q1": {"c_compute", "c_stake", "c_credit"},
    "2026Q2": {"c_compute", "c_stake"},
}


def _balance_sheets() -> pd.DataFrame:
    """Three entities (a lab, a hyperscaler, a chipmaker) over three quarters."""
    specs = {
        "openai": ("OpenAI", "lab"),
        "oracle": ("Oracle", "hyperscaler"),
        "nvidia": ("NVIDIA", "chipmaker"),
    }
    rows: list[dict[str, object]] = []
    for t, quarter in enumerate(QUARTERS):
        for entity, (name, role) in specs.items():
            row: dict[str, object] = {column: 0.0 for column in BALANCE_SHEET_COLUMNS}
            row.update(quarter=quarter, entity=entity, name=name, role=role, status="healthy")
            if entity == "openai":
                row.update(cash=40.0 - 10 * t, stakes=5.0, deferred_revenue=2.0, funding=10.0 + 5 * t, debt=4.0 * t)
                row.update(revenue=3.0 + t, compute_cost=5.0 + 2 * t, opex=1.0, market_value=500.0)
                row["net_income"] = row["revenue"] - row["compute_cost"] - row["opex"]
            elif entity == "oracle":
                row.update(cash=20.0, hardware=30.0 + 20 * t, construction_in_progress=15.0, dc_shells=10.0)
                row.update(non_ai_business=100.0, debt=90.0 + 30 * t, payables=5.0, revenue=15.0, compute_cost=0.0)
                row.update(market_value=600.0, status="distressed" if t == 2 else "healthy")
            else:
                row.update(cash=60.0 + 10 * t, receivables=20.0, stakes=10.0 * t, payables=3.0, revenue=45.0)
                row.update(market_value=0.0)
            assets = sum(float(row[c]) for c in ("cash", "receivables", "dc_shells", "hardware",
                                                 "construction_in_progress", "stakes", "non_ai_business"))
            liabilities = sum(float(row[c]) for c in ("debt", "deferred_revenue", "payables", "funding"))
            row.update(total_assets=assets, total_liabilities=liabilities, equity=assets - liabilities)
            rows.append(row)
    return pd.DataFrame(rows, columns=list(BALANCE_SHEET_COLUMNS))


def _contracts() -> pd.DataFrame:
    """Five contracts covering the start/ended boundaries of ``active_contracts``."""
    columns = ["contract_id", "kind", "from_party", "to_party", "amount", "start", "end", "state", "ended",
               "tied_to", "source"]
    data = [
        ("c_compute", "compute", "openai", "oracle", 300.0, "2025Q4", "2030Q4", "active", "", "", "press"),
        ("c_stake", "equity_stake", "nvidia", "openai", 100.0, "2026Q1", "", "active", "", "", "press"),
        ("c_loan", "loan", "nvidia", "oracle", 38.0, "2025Q3", "2026Q1", "matured", "2026Q1", "", "filing"),
        ("c_credit", "compute_credit", "oracle", "openai", 10.0, "2025Q4", "", "delivered", "2026Q2", "openai", ""),
        ("c_future", "warrant", "openai", "nvidia", 5.0, "2026Q3", "", "pending", "", "", ""),
    ]
    return pd.DataFrame(data, columns=columns)


@pytest.fixture()
def results_dir(tmp_path: Path) -> Path:
    """Write a small synthetic results folder into ``tmp_path`` and return its path."""
    folder = tmp_path / "run"
    folder.mkdir()
    _balance_sheets().to_csv(folder / "balance_sheets.csv", index=False)
    _contracts().to_csv(folder / "contracts.csv", index=False)
    pd.DataFrame(
        {
            "quarter": ["2026Q1", "2026Q1", "2026Q2"],
            "contract_id": ["c_compute", "c_credit", "c_compute"],
            "kind": ["compute", "compute_credit", "compute"],
            "payer": ["openai", "oracle", "openai"],
            "payee": ["oracle", "openai", "oracle"],
            "due": [5.0, 5.0, 7.0],
            "paid": [5.0, 5.0, 6.0],
        }
    ).to_csv(folder / "contract_flows.csv", index=False)
    pd.DataFrame(
        {
            "quarter": QUARTERS,
            "ai_demand": [60.0, 70.0, 80.0],
            "gpu_price_index": [1.0, 0.95, 0.9],
            "policy_rate_annual": [0.04, 0.04, 0.0375],
            "sentiment": [0.8, 0.7, 0.5],
            "partner_debt": [90.0, 124.0, 158.0],
            "ai_capex": [100.0, 110.0, 90.0],
            "ai_capex_share_gdp": [0.013, 0.014, 0.012],
            "defaults": [0, 0, 1],
            "fiscal_cost": [0.0, 0.0, 0.0],
            "resale_factor": [1.0, 1.0, 0.9],
            "avg_credit_spread_bp": [150.0, 180.0, 260.0],
            "rescues": [0, 0, 0],
        }
    ).to_csv(folder / "system.csv", index=False)
    pd.DataFrame(
        {
            "quarter": ["2026Q2", "2026Q2"],
            "round": [1, 1],
            "entity": ["oracle", "oracle"],
            "caused_by": ["openai", "market sentiment"],
            "channel": ["payment", "confidence"],
            "amount": [6.0, 2.0],
        }
    ).to_csv(folder / "cascade.csv", index=False)
    pd.DataFrame(
        {
            "quarter": ["2026Q2", "2026Q2"],
            "holder": ["oracle", "oracle"],
            "channel": ["payment", "confidence"],
            "source": ["openai", "market sentiment"],
            "amount": [6.0, 2.0],
        }
    ).to_csv(folder / "channels.csv", index=False)
    pd.DataFrame(
        {
            "quarter": ["2026Q2", "2026Q2"],
            "holder": ["nvidia", "openai"],
            "source": ["oracle", "oracle"],
            "kind": ["loan", "backlog"],
            "channel": ["payment", "demand"],
            "amount": [12.0, 30.0],
        }
    ).to_csv(folder / "losses.csv", index=False)
    pd.DataFrame(
        {
            "quarter": ["2026Q2"],
            "kind": ["distress"],
            "entity": ["oracle"],
            "counterparty": [""],
            "amount": [158.0],
            "text": ["Oracle is distressed"],
        }
    ).to_csv(folder / "events.csv", index=False)
    pd.DataFrame(
        {
            "quarter": ["2026Q1", "2026Q1", "2026Q1", "2026Q2"],
            "payer": ["nvidia", "openai", "oracle", "external"],
            "payee": ["openai", "oracle", "nvidia", "oracle"],
            "kind": ["tranche", "compute", "chip_sale", "sales"],
            "contract_id": ["", "c_compute", "", ""],
            "lab": ["openai", "openai", "", ""],
            "amount": [10.0, 5.0, 4.0, 15.0],
            "cash": [True, True, True, True],
            "payer_account": ["stakes", "compute_cost", "construction_in_progress", "opex"],
            "payee_account": ["paid_in_capital", "revenue", "revenue", "revenue"],
            "memo": ["", "c_compute: rent", "", ""],
        }
    ).to_csv(folder / "payments.csv", index=False)
    (folder / "summary.json").write_text(json.dumps({"defaults": 0, "scenario": "test"}), encoding="utf-8")
    return folder


@pytest.fixture()
def results(results_dir: Path) -> Results:
    """Load the synthetic results folder."""
    return load_results(results_dir)


def test_load_results_reads_tables_and_orders_quarters(results: Results) -> None:
    """load_results returns all tables, the summary and ordered Categorical quarters."""
    assert len(results.balance_sheets) == 9
    assert len(results.contracts) == 5
    assert len(results.contract_flows) == 3
    assert len(results.events) == 1
    assert results.summary == {"defaults": 0, "scenario": "test"}
    dtype = results.balance_sheets["quarter"].dtype
    assert isinstance(dtype, pd.CategoricalDtype) and dtype.ordered
    assert list(dtype.categories) == QUARTERS
    assert results.quarters == QUARTERS
    assert results.entities == ["openai", "oracle", "nvidia"]
    assert results.contracts.loc[0, "ended"] == ""


def test_load_results_without_optional_files(results_dir: Path) -> None:
    """Missing summary.json and events.csv give an empty dict and an empty table."""
    (results_dir / "summary.json").unlink()
    (results_dir / "events.csv").unlink()
    loaded = load_results(results_dir)
    assert loaded.summary == {}
    assert loaded.events.empty and "text" in loaded.events.columns


def test_load_results_reads_contagion_tables(results: Results) -> None:
    """cascade.csv, channels.csv and losses.csv load with ordered quarters and NaN-free text."""
    assert len(results.cascade) == 2 and len(results.channels) == 2 and len(results.losses) == 2
    for table in (results.cascade, results.channels, results.losses):
        dtype = table["quarter"].dtype
        assert isinstance(dtype, pd.CategoricalDtype) and list(dtype.categories) == QUARTERS
    assert list(results.cascade["caused_by"]) == ["openai", "market sentiment"]


def test_load_results_old_folder_without_contagion_tables(results_dir: Path) -> None:
    """A folder written before cascade/channels/losses existed loads them as empty tables with their columns."""
    for name in ("cascade", "channels", "losses"):
        (results_dir / f"{name}.csv").unlink()
    loaded = load_results(results_dir)
    assert loaded.cascade.empty and list(loaded.cascade.columns) == list(CASCADE_COLUMNS)
    assert loaded.channels.empty and list(loaded.channels.columns) == list(CHANNEL_COLUMNS)
    assert loaded.losses.empty and list(loaded.losses.columns) == list(LOSS_COLUMNS)


def test_results_defaults_contagion_tables_to_empty(results: Results) -> None:
    """Results built without the contagion tables gets empty ones."""
    bare = Results(results.balance_sheets, results.contracts, results.contract_flows, results.system, results.events)
    assert bare.cascade.empty and bare.channels.empty and bare.losses.empty


def test_load_results_missing_folder(tmp_path: Path) -> None:
    """A folder without balance_sheets.csv is rejected."""
    with pytest.raises(FileNotFoundError):
        load_results(tmp_path)


def test_quarter_key_orders_labels() -> None:
    """quarter_key makes consecutive quarters consecutive integers and rejects junk."""
    assert quarter_key("2026Q1") - quarter_key("2025Q4") == 1
    assert quarter_key("2026-Q1") == quarter_key("2026Q1")
    with pytest.raises(ValueError):
        quarter_key("2026Q5")


@pytest.mark.parametrize("quarter", QUARTERS)
def test_active_contracts_fixture(results: Results, quarter: str) -> None:
    """active_contracts selects exactly the contracts started and not yet ended at each quarter."""
    assert set(active_contracts(results.contracts, quarter)["contract_id"]) == EXPECTED_ACTIVE[quarter]


def test_active_contracts_boundaries() -> None:
    """A contract is active from its start quarter and inactive from its ended quarter."""
    contracts = pd.DataFrame(
        {
            "contract_id": ["a", "b", "c"],
            "start": ["2026Q1", "2026Q1", ""],
            "ended": ["2026Q2", float("nan"), "2026Q1"],
        }
    )
    assert list(active_contracts(contracts, "2025Q4")["contract_id"]) == ["c"]
    assert list(active_contracts(contracts, "2026Q1")["contract_id"]) == ["a", "b"]
    assert list(active_contracts(contracts, "2026Q2")["contract_id"]) == ["b"]


def test_balance_sheet_composition(results: Results) -> None:
    """One panel per entity, each with stacked areas and an equity line."""
    fig = balance_sheet_composition(results.balance_sheets, ["openai", "oracle"])
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert len(ax.collections) >= 2
        assert "Equity" in [line.get_label() for line in ax.get_lines()]
        assert ax.get_xlabel() == "Quarter" and "USD" in ax.get_ylabel()
    assert len(fig.legends) == 1
    with pytest.raises(ValueError):
        balance_sheet_composition(results.balance_sheets, ["ghost"])


def test_lab_revenue_vs_compute(results: Results) -> None:
    """By default there is one panel per lab with revenue, compute-cost and net-income lines."""
    fig = lab_revenue_vs_compute(results.balance_sheets)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert {"Revenue", "Compute cost", "Net income"} <= set(labels)
    assert len(lab_revenue_vs_compute(results.balance_sheets, ["openai", "oracle"]).axes) == 2


def test_debt_buildup(results: Results) -> None:
    """Debt is stacked per borrower and the system partner-debt line is drawn."""
    fig = debt_buildup(results.balance_sheets, results.system)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    _, labels = fig.axes[0].get_legend_handles_labels()
    assert labels == ["Oracle", "OpenAI", "System partner debt"]
    assert len(fig.axes[0].collections) == 2


def test_debt_buildup_groups_others() -> None:
    """Only the top 8 borrowers are shown separately; lenders are left out and the rest summed."""
    rows = [
        {"quarter": q, "entity": f"e{i}", "name": f"E{i}", "role": "neocloud", "debt": float(i + 1)}
        for q in QUARTERS
        for i in range(10)
    ]
    rows += [{"quarter": q, "entity": "bank", "name": "Bank", "role": "lender", "debt": 999.0} for q in QUARTERS]
    system = pd.DataFrame({"quarter": QUARTERS, "partner_debt": [1.0, 2.0, 3.0]})
    fig = debt_buildup(pd.DataFrame(rows), system)
    _, labels = fig.axes[0].get_legend_handles_labels()
    assert labels[:8] == [f"E{i}" for i in range(9, 1, -1)]
    assert labels[8] == "Others (2)"
    assert "Bank" not in labels


@pytest.mark.parametrize("quarter", QUARTERS)
def test_contract_web_draws_active_contracts(results: Results, quarter: str) -> None:
    """The web has one node per entity and one arrow per link active at the quarter (here one contract each)."""
    fig = contract_web(results.contracts, results.balance_sheets, quarter)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == len(EXPECTED_ACTIVE[quarter])
    assert sum(len(c.get_offsets()) for c in ax.collections if c.get_gid() == "nodes") == 3
    assert quarter in fig.get_suptitle()


def test_contract_web_layout_is_reproducible(results: Results) -> None:
    """Two drawings of the same quarter place the nodes identically."""
    first = contract_web(results.contracts, results.balance_sheets, "2026Q1").axes[0]
    second = contract_web(results.contracts, results.balance_sheets, "2026Q1").axes[0]
    for a, b in zip(first.collections, second.collections, strict=True):
        assert (a.get_offsets() == b.get_offsets()).all()


def test_figures_are_not_registered_with_pyplot(results: Results) -> None:
    """Building the standard figures leaves no figure open in pyplot."""
    plt.close("all")
    figures = standard_figures(results)
    assert set(figures) == set(STANDARD_FIGURE_NAMES)
    assert plt.get_fignums() == []


def test_save_standard_figures(results: Results, tmp_path: Path) -> None:
    """All standard PNG files are written with their stable names and are non-empty."""
    out = tmp_path / "figures"
    paths = save_standard_figures(results, out)
    assert [p.name for p in paths] == [f"{name}.png" for name in STANDARD_FIGURE_NAMES]
    for path in paths:
        assert path.parent == out
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 1000


def test_save_standard_figures_is_deterministic(results: Results, tmp_path: Path) -> None:
    """Saving the same results twice gives byte-identical PNG files."""
    first = save_standard_figures(results, tmp_path / "a")
    second = save_standard_figures(results, tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()


def test_missing_focus_entities_are_skipped(results: Results, tmp_path: Path) -> None:
    """Focus entities absent from the data are skipped rather than raising."""
    figures = standard_figures(results, focus=("openai", "ghost", "coreweave"))
    assert len(figures["balance_sheets"].axes) == 1
    paths = save_standard_figures(results, tmp_path / "figs", focus=("ghost", "microsoft", "oracle", "nvidia"))
    assert (tmp_path / "figs" / "balance_sheets.png") in paths
