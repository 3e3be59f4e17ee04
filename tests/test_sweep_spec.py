"""Tests for economy.sweep.spec: sweep specs are validated like configs, with clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from economy.config import ConfigError
from economy.sweep.plan import Plan
from economy.sweep.spec import SpecError, load_study, study_from_dict
from tests.sweep_support import ROOT, TINY, kit, tiny_spec

SWEEPS = sorted((ROOT / "configs" / "sweeps").glob("*.yaml"))


def _problems(raw: dict, tmp_path: Path) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as info:
        study_from_dict(raw, "spec.yaml", tmp_path, metric_names=kit().metric_names)
    return info.value.problems


def _base(**changes) -> dict:
    raw = {"name": "t", "base": str(TINY), "sampler": {"kind": "grid"},
           "parameters": {"g": {"path": "world.demand.regimes.steady.growth_annual", "values": [0.1, 0.2]}}}
    raw.update(changes)
    return raw


@pytest.mark.parametrize("path", SWEEPS, ids=[p.name for p in SWEEPS])
def test_shipped_specs_load_and_plan(path: Path) -> None:
    """Every spec in configs/sweeps loads, says what question it answers, and plans its runs."""
    study = load_study(path)
    assert study.spec.description
    assert path.read_text(encoding="utf-8").lstrip().startswith("#")
    plan = Plan(study)
    assert plan.total == len(study.scenarios) * plan.design.n_points * study.spec.replications
    plan.run(plan.total - 1)


def test_smoke_spec_is_a_few_dozen_short_runs() -> None:
    """The smoke spec stays small enough for the tests: a few dozen runs of at most 8 quarters."""
    study = load_study(ROOT / "configs" / "sweeps" / "smoke.yaml")
    assert 12 <= Plan(study).total <= 60
    assert study.spec.quarters <= 8


def test_spec_error_is_a_config_error_naming_file_and_fields(tmp_path: Path) -> None:
    """Misspelt fields are reported with the file, the field path, a did-you-mean and the allowed fields."""
    raw = _base(replicatons=3, sampler={"kind": "sobol", "samples": 10, "secnd_order": True})
    with pytest.raises(ConfigError) as info:
        study_from_dict(raw, "my_spec.yaml", tmp_path)
    text = str(info.value)
    assert text.startswith("my_spec.yaml: ")
    assert "replicatons: unknown field; did you mean 'replications'?" in text
    assert "sampler.secnd_order: unknown field; did you mean 'second_order'? Allowed here: kind, samples, second_order" in text
    assert "sampler.samples: must be a power of 2" in text


def test_paths_and_values_are_checked_against_the_base_config(tmp_path: Path) -> None:
    """A path missing from the config and a value the config refuses are reported before anything runs."""
    raw = _base(parameters={
        "g": {"path": "world.demand.regimes.steady.growth_anual", "values": [0.1]},
        "life": {"path": "world.hardware_life_quarters", "values": [2, 30]},
        "who": {"path": "companies[id=labb].lab.market_share", "values": [0.1]},
    })
    problems = dict(_problems(raw, tmp_path))
    assert "did you mean 'growth_annual'" in problems["parameters.g.path"]
    assert "value 2 is not valid" in problems["parameters.life"] and "greater than or equal to 4" in problems["parameters.life"]
    assert "no entry with id 'labb'; did you mean 'lab'?" in problems["parameters.who.path"]


@pytest.mark.parametrize(("change", "where", "words"), [
    ({"g": {"path": "world.gpu.decline_annual", "distribution": {"kind": "uniform", "low": 0.1, "high": 0.2}}},
     "parameters.g.distribution", "a grid needs values"),
    ({"g": {"path": "world.gpu.decline_annual", "range": [0.1, 0.2]}}, "parameters.g.steps", "steps"),
    ({"g": {"path": "world.gpu.decline_annual", "values": [0.1], "range": [0.1, 0.2]}}, "parameters.g",
     "exactly one of values, range or distribution"),
    ({"g": {"path": "world.gpu.decline_annual", "values": [[0.1]]}}, "parameters.g", "mapping label: value"),
    ({"defaults": {"path": "world.gpu.decline_annual", "values": [0.1]}}, "parameters.defaults", "result column"),
    ({"g": {"path": "run.seed", "values": [1]}}, "run.seed", "set by the sweep"),
])
def test_structural_mistakes_are_reported(tmp_path: Path, change: dict, where: str, words: str) -> None:
    """Each structural mistake names its field and what would be valid."""
    problems = dict(_problems(_base(parameters=change), tmp_path))
    assert where in problems, problems
    assert words in problems[where]


def test_missing_base_file_is_reported(tmp_path: Path) -> None:
    """A base config that does not exist is named with where it was looked for."""
    problems = dict(_problems(_base(base="nope.yaml"), tmp_path))
    assert "'nope.yaml' not found" in problems["base"]


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    """A YAML syntax error gives the line and column."""
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nparameters: [a\n", encoding="utf-8")
    with pytest.raises(SpecError, match=r"bad.yaml: (.|\n)*YAML syntax error at line 3"):
        load_study(path)


def test_cli_refuses_bad_spec_with_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    """``run.py sweep`` on a spec with errors exits 2 with the message on stderr, no traceback, and no folder."""
    spec = tiny_spec(tmp_path, replications=0, sampler={"kind": "grid", "extra": 1})
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, str(ROOT / "run.py"), "sweep", str(spec), "--out", str(out)],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert "problem(s) in the sweep spec" in proc.stderr
    assert "replications: Input should be greater than or equal to 1" in proc.stderr
    assert "sampler.extra: unknown field" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_labelled_values_map_labels_to_values(tmp_path: Path) -> None:
    """Labelled values store the label and give the config the value (here a regime path)."""
    raw = _base(parameters={"demand": {"path": "world.demand.regime_path",
                                       "values": {"steady": [], "bust": [{"from": "2026Q2", "regime": "bust"}]}}})
    study = study_from_dict(raw, "spec.yaml", tmp_path)
    assert study.overrides("base", {"demand": "bust"}) == {"world.demand.regime_path": [{"from": "2026Q2", "regime": "bust"}]}


def test_scale_and_shift_read_the_base_value(tmp_path: Path) -> None:
    """``scale`` multiplies and ``shift`` adds to the base config's value; whole-number fields are rounded."""
    raw = _base(parameters={
        "spread": {"path": "companies[id=bank].lender.base_spread_bp", "mode": "scale", "values": [2.0]},
        "rate": {"path": "world.policy_rate[0].rate_annual", "mode": "shift", "values": [0.01]},
        "life": {"path": "world.hardware_life_quarters", "mode": "scale", "values": [1.13]},
    })
    study = study_from_dict(raw, "spec.yaml", tmp_path)
    ov = study.overrides("base", {"spread": 2.0, "rate": 0.01, "life": 1.13})
    assert ov["companies[id=bank].lender.base_spread_bp"] == pytest.approx(300.0)
    assert ov["world.policy_rate[0].rate_annual"] == pytest.approx(0.05)
    assert ov["world.hardware_life_quarters"] == 23 and isinstance(ov["world.hardware_life_quarters"], int)


def test_spec_file_round_trips_through_yaml(tmp_path: Path) -> None:
    """A spec written by the test helper loads from disk with its base given as an absolute path."""
    study = load_study(tiny_spec(tmp_path))
    assert yaml.safe_load(study.text)["name"] == "tiny_grid"
    assert study.lab == "lab"
