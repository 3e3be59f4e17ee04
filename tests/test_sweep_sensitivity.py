"""Tests for analysis.sensitivity and analysis.study_figures on functions with known answers, and the report's noise warning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from analysis import report
from analysis.report import write_report
from analysis.sensitivity import morris_indices, sobol_indices, tornado_data
from analysis.study_figures import fan_chart, morris_chart, probability_heatmap, sobol_chart, tornado_chart
from analysis.study_tables import comparison_table, describe_metrics, fan_bands, probability_grid
from economy.sweep.runner import run_sweep
from economy.sweep.sampling import make_design
from economy.sweep.spec import SweepSpec, load_study
from tests.sweep_support import GROWTH, kit, tiny_spec

NAMES = ["x1", "x2", "x3"]


def _unit(sampler: dict) -> np.ndarray:
    spec = SweepSpec.model_validate({"name": "i", "base": "x.yaml", "seed": 2024, "sampler": sampler,
                                     "parameters": {n: {"path": f"p.{n}", "range": [0.0, 1.0]} for n in NAMES}})
    return make_design(spec).unit


def ishigami(u: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """The Ishigami function on [-pi, pi]^3, from unit-cube positions."""
    x = -np.pi + 2 * np.pi * u
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_indices_of_ishigami_match_the_analytic_values() -> None:
    """On Ishigami (a=7, b=0.1), S1 ~ (0.314, 0.442, 0) and ST ~ (0.558, 0.442, 0.244), inside the confidence bands."""
    unit = _unit({"kind": "sobol", "samples": 2048})
    table = sobol_indices(ishigami(unit), NAMES, seed=1)
    s1 = np.array([0.3139, 0.4424, 0.0])
    st = np.array([0.5576, 0.4424, 0.2437])
    assert table["S1"].to_numpy() == pytest.approx(s1, abs=0.04)
    assert table["ST"].to_numpy() == pytest.approx(st, abs=0.04)
    assert (table["S1_conf"] > 0).all() and (table["S1_conf"] < 0.1).all()


def test_sobol_indices_of_a_constant_are_nan() -> None:
    """An outcome that never varies has no variance to apportion: NaN, not an error."""
    table = sobol_indices(np.ones(16 * 5), NAMES)
    assert table[["S1", "ST"]].isna().all().all()


def test_morris_ranks_a_linear_function_by_its_slopes() -> None:
    """Morris mu* of y = 5 x1 + 1 x2 + 0 x3 is 5, 1, 0 per unit range, with no spread."""
    unit = _unit({"kind": "morris", "trajectories": 10})
    y = 5 * unit[:, 0] + 1 * unit[:, 1]
    table = morris_indices(unit, y, NAMES).set_index("parameter")
    assert table.loc["x1", "mu_star"] == pytest.approx(5.0)
    assert table.loc["x2", "mu_star"] == pytest.approx(1.0)
    assert table.loc["x3", "mu_star"] == pytest.approx(0.0)
    assert table["sigma"].to_numpy() == pytest.approx(0.0, abs=1e-9)


def _runs() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 400
    a, b = rng.random(n), rng.random(n)
    return pd.DataFrame({"run_id": range(n), "status": "ok", "a": a, "b": b, "policy": rng.choice(["x", "y"], n),
                         "total_losses": 10 * a - 2 * b, "systemic_event": a > 0.7})


def test_tornado_orders_parameters_by_swing() -> None:
    """The parameter that moves the outcome most comes first, with its direction."""
    data = tornado_data(_runs(), ["a", "b", "policy"], "total_losses")
    assert list(data.parameter) == ["a", "b"]
    assert data.loc[0, "high"] > data.loc[0, "low"] and data.loc[1, "high"] < data.loc[1, "low"]


def test_probability_grid_and_comparison_tables() -> None:
    """The grid holds the share of systemic events per cell; the comparison prints it as a percentage."""
    runs = pd.DataFrame({"status": "ok", "x": [1, 1, 2, 2], "y": [0, 0, 0, 0], "systemic_event": [True, False, True, True],
                         "g": ["u", "u", "v", "v"], "defaults": [0, 2, 4, 6]})
    grid = probability_grid(runs, "x", "y")
    assert grid.loc[0, 1] == 0.5 and grid.loc[0, 2] == 1.0
    described = describe_metrics(runs, ["systemic_event", "defaults"], ["g"])
    table = comparison_table(described, ["g"])
    assert table.loc["systemic_event", "u"] == "50%"
    assert table.loc["defaults", "v"].startswith("5 [")


def test_failed_runs_are_left_out_of_the_statistics() -> None:
    """Runs with status failed do not count, even with a nullable metric column."""
    runs = pd.DataFrame({"status": ["ok", "failed", "ok"], "systemic_event": pd.array([True, None, False], dtype="boolean")})
    described = describe_metrics(runs, ["systemic_event"])
    assert described.loc[0, "n"] == 2 and described.loc[0, "mean"] == 0.5


def test_fan_bands_are_ordered_quantiles() -> None:
    """Per quarter and group, p5 <= median <= p95."""
    rng = np.random.default_rng(1)
    ts = pd.DataFrame({"run_id": np.repeat(range(50), 3), "quarter": ["2025Q4", "2026Q1", "2026Q2"] * 50,
                       "scenario": np.repeat(["a", "b"], 75), "partner_debt": rng.random(150)})
    bands = fan_bands(ts, "partner_debt", ["scenario"])
    assert len(bands) == 6
    assert (bands.p5 <= bands["median"]).all() and (bands["median"] <= bands.p95).all()


def test_every_study_figure_is_a_figure() -> None:
    """Heatmap, fan chart, Sobol bars, Morris plot and tornado each return a Figure."""
    runs = _runs()
    runs["x"] = (runs.a * 3).round()
    runs["y"] = (runs.b * 2).round()
    ts = pd.DataFrame({"run_id": np.repeat(range(10), 2), "quarter": ["2025Q4", "2026Q1"] * 10,
                       "scenario": np.repeat(["a", "b"], 10), "ai_demand": np.arange(20.0)})
    sobol = pd.DataFrame({"parameter": NAMES, "S1": [0.3, 0.4, 0.0], "S1_conf": 0.05, "ST": [0.5, 0.4, 0.2], "ST_conf": 0.05})
    morris = pd.DataFrame({"parameter": NAMES, "mu": [1, 2, 0], "mu_star": [1, 2, 0], "mu_star_conf": 0.1, "sigma": [0.5, 0, 0]})
    figures = [probability_heatmap(runs, "x", "y"), fan_chart(ts, ["ai_demand"], ["scenario"]), sobol_chart(sobol),
               morris_chart(morris), tornado_chart(tornado_data(runs, ["a", "b"], "total_losses"), "total_losses")]
    assert all(isinstance(f, Figure) for f in figures)


# ----------------------------------------------------------------------------- the report's noise warning

NOISY = pd.DataFrame({"parameter": ["growth", "rate_shift"], "S1": [0.04, -0.03], "S1_conf": [0.2, 0.2],
                      "ST": [1.15, 0.97], "ST_conf": [0.25, 0.25]})
CLEAN = pd.DataFrame({"parameter": ["growth", "rate_shift"], "S1": [0.7, 0.2], "S1_conf": [0.04, 0.03],
                      "ST": [0.78, 0.26], "ST_conf": [0.04, 0.03]})


@pytest.fixture(scope="module")
def sobol_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Sobol study of 32 short runs of the tiny config (8 base samples, 2 parameters, one seed per run)."""
    folder = tmp_path_factory.mktemp("sobol")
    spec = tiny_spec(folder, name="tiny_sobol", sampler={"kind": "sobol", "samples": 8}, replications=1,
                     parameters={"growth": {"path": GROWTH, "range": [0.1, 0.6]},
                                 "rate_shift": {"path": "world.policy_rate[0].rate_annual", "mode": "shift",
                                                "range": [0.0, 0.02]}})
    run_sweep(load_study(spec), folder / "out", kit(), executor="serial", progress=False, log=lambda _m: None)
    return folder / "out"


def _report(sweep: Path, out: Path, monkeypatch: pytest.MonkeyPatch, table: pd.DataFrame) -> str:
    """The report of ``sweep`` with every metric's Sobol indices replaced by ``table``."""
    monkeypatch.setattr(report, "sweep_sobol", lambda *_a, **_k: table.copy())
    return write_report(sweep, metrics=["lab_cumulative_burn_2026_2029"], out=out).read_text(encoding="utf-8")


def test_report_warns_when_sobol_indices_are_noise(sobol_sweep: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Noisy indices get a warning at the top and in the section, with the signs and the spec settings to change."""
    text = _report(sobol_sweep, tmp_path / "noisy", monkeypatch, NOISY)
    top = text.index("## Outcomes")
    assert "**Warning: the Sobol indices of `lab_cumulative_burn_2026_2029` are not distinguishable" in text[:top]
    section = text[text.index("## Sobol indices"):text.index("## Tornado")]
    assert "No first-order index is distinguishable from 0" in section
    assert "Total index above 1, more than all of the variance: growth (1.15)" in section
    assert "set `seeds: common` in the spec" in section and "raise `replications:` (now 1) to 4 or more" in section
    assert "| metric | unit | all runs |" in text and r"| lab_cumulative_burn_2026_2029 | $B |" in text


def test_report_is_silent_on_clean_sobol_indices(sobol_sweep: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Clear, bounded indices are reported without any warning."""
    text = _report(sobol_sweep, tmp_path / "clean", monkeypatch, CLEAN)
    assert "## Sobol indices" in text and "Warning" not in text and "noise" not in text
