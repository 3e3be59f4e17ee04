"""Tests for economy.sweep.sampling, seeds and plan: design shapes, value mapping, seeds per run."""

from __future__ import annotations

import numpy as np
import pytest

from economy.sweep.plan import Plan
from economy.sweep.sampling import make_design
from economy.sweep.seeds import run_seed
from economy.sweep.spec import SweepSpec, study_from_dict
from tests.sweep_support import ROOT, TINY

PARAMS = {
    "a": {"path": "world.gpu.decline_annual", "range": [0.05, 0.4]},
    "b": {"path": "world.hardware_life_quarters", "distribution": {"kind": "triangular", "low": 12, "mode": 20, "high": 32}},
    "c": {"path": "world.sentiment.memory", "values": [0.5, 0.8, 0.95]},
}


def _spec(sampler: dict, params: dict | None = None, seed: int = 5) -> SweepSpec:
    return SweepSpec.model_validate({"name": "s", "base": "x.yaml", "seed": seed, "sampler": sampler,
                                     "parameters": PARAMS if params is None else params})


@pytest.mark.parametrize(("sampler", "points"), [
    ({"kind": "random", "samples": 17}, 17),
    ({"kind": "latin", "samples": 17}, 17),
    ({"kind": "sobol", "samples": 16}, 16 * (3 + 2)),
    ({"kind": "sobol", "samples": 16, "second_order": True}, 16 * (2 * 3 + 2)),
    ({"kind": "morris", "trajectories": 6, "levels": 4}, 6 * (3 + 1)),
])
def test_sampler_shapes(sampler: dict, points: int) -> None:
    """Each sampler makes the number of points its scheme prescribes, one unit-cube column per parameter."""
    design = make_design(_spec(sampler), {"b": True})
    assert design.unit.shape == (points, 3)
    assert ((design.unit >= 0) & (design.unit <= 1)).all()
    assert all(len(v) == points for v in design.columns.values())


def test_values_stay_in_their_ranges_and_lists() -> None:
    """A range maps inside [low, high], a distribution inside its support (rounded when whole), a list to its values."""
    design = make_design(_spec({"kind": "latin", "samples": 200}), {"b": True})
    a, b, c = (np.array(design.columns[k]) for k in "abc")
    assert a.min() >= 0.05 and a.max() <= 0.4
    assert set(b.tolist()) <= set(range(12, 33)) and all(isinstance(v, int) for v in design.columns["b"])
    assert set(c.tolist()) == {0.5, 0.8, 0.95}


def test_latin_hypercube_fills_every_stratum() -> None:
    """A Latin hypercube puts exactly one point in each of the n equal slices of every parameter."""
    design = make_design(_spec({"kind": "latin", "samples": 40}))
    for j in range(3):
        assert sorted((design.unit[:, j] * 40).astype(int).tolist()) == list(range(40))


def test_grid_is_the_full_factorial_last_parameter_fastest() -> None:
    """A grid takes every combination; a range with steps gives evenly spaced, tidy values."""
    params = {"x": {"path": "p.x", "range": [0.15, 0.95], "steps": 9}, "y": {"path": "p.y", "values": ["u", "v"]}}
    design = make_design(_spec({"kind": "grid"}, params))
    assert design.n_points == 18
    assert design.columns["x"][:4] == [0.15, 0.15, 0.25, 0.25]
    assert design.columns["y"][:4] == ["u", "v", "u", "v"]
    assert 0.35 in design.columns["x"]  # not 0.35000000000000003


def test_grid_without_parameters_is_one_point() -> None:
    """A Monte Carlo study (no parameters) is a single point replicated."""
    assert make_design(_spec({"kind": "grid"}, {})).n_points == 1


def test_designs_are_deterministic_in_the_seed() -> None:
    """The same seed gives the same design; another seed another one."""
    one = make_design(_spec({"kind": "sobol", "samples": 8}, seed=1)).unit
    assert np.array_equal(one, make_design(_spec({"kind": "sobol", "samples": 8}, seed=1)).unit)
    assert not np.array_equal(one, make_design(_spec({"kind": "sobol", "samples": 8}, seed=2)).unit)


def test_run_seed_is_the_spawned_child_of_the_sweep_seed() -> None:
    """Run i's seed is the i-th spawned child of the sweep seed's runs stream, as a Python int below 2**63."""
    runs_stream = np.random.SeedSequence(123).spawn(2)[0]
    children = runs_stream.spawn(5)
    for i, child in enumerate(children):
        seed = run_seed(123, i)
        assert type(seed) is int and 0 <= seed < 2**63
        assert seed == int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    assert len({run_seed(123, i) for i in range(1000)}) == 1000


def _study(seeds: str, tmp_path):
    raw = {"name": "p", "base": str(TINY), "seed": 9, "replications": 3, "seeds": seeds, "sampler": {"kind": "grid"},
           "parameters": {"g": {"path": "world.demand.regimes.steady.growth_annual", "values": [0.1, 0.2]}}}
    return study_from_dict(raw, "spec.yaml", tmp_path)


def test_run_ids_count_points_then_replications(tmp_path) -> None:
    """run_id = point x replications + replication, and each run carries its point's parameters."""
    plan = Plan(_study("per_run", tmp_path))
    assert plan.total == 6
    run = plan.run(4)
    assert (run.point_id, run.replication, run.params) == (1, 1, {"g": 0.2})
    assert run.seed == run_seed(9, 4)
    with pytest.raises(IndexError):
        plan.run(6)


def test_seed_rules(tmp_path) -> None:
    """``common`` gives every point the same seed per replication; ``replication`` uses 0..N-1."""
    common = Plan(_study("common", tmp_path))
    assert [common.run(i).seed for i in range(3)] == [common.run(3 + i).seed for i in range(3)]
    assert common.run(0).seed == run_seed(9, 0)
    plain = Plan(_study("replication", tmp_path))
    assert [plain.run(i).seed for i in range(6)] == [0, 1, 2, 0, 1, 2]


def test_sobol_main_design_has_whole_quarters_for_hardware_life() -> None:
    """The Sobol study's hardware life is rounded to whole quarters, since the config field is an integer."""
    from economy.sweep.spec import load_study

    plan = Plan(load_study(ROOT / "configs" / "sweeps" / "sobol_main.yaml"))
    assert all(isinstance(v, int) and 12 <= v <= 32 for v in plan.design.columns["hardware_life"])
