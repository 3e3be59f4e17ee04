"""Tests for the sweep runner, executors and storage: same rows everywhere, failures recorded, re-runs exact."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from analysis.study import load_sweep
from economy.sweep.kit import StudyKit
from economy.sweep.runner import rerun, run_sweep
from economy.sweep.spec import load_study
from economy.sweep.storage import StorageError, SweepStore
from tests.sweep_support import FAIL_AT, FailingModel, chunk_files, chunk_names, hidden_files, kit, tiny_spec


def _sweep(tmp_path: Path, out: str, study_kit: StudyKit | None = None, **kwargs) -> tuple[pd.DataFrame, pd.DataFrame]:
    study = load_study(tiny_spec(tmp_path), kit().metric_names)
    run_sweep(study, tmp_path / out, study_kit or kit(), progress=False, log=lambda _m: None, **kwargs)
    return load_sweep(tmp_path / out), load_sweep(tmp_path / out, "timeseries")


def test_results_identical_across_serial_processes_and_dask(tmp_path: Path) -> None:
    """Serial, 2 local processes and a 2-worker Dask LocalCluster (in-process transport, no network) store the same rows."""
    runs, ts = _sweep(tmp_path, "serial", executor="serial", workers=1, chunk_size=5)
    assert len(runs) == 12 and (runs.status == "ok").all()
    assert runs.run_id.tolist() == list(range(12))
    for name, kwargs in (("processes", {"executor": "processes", "workers": 2, "chunk_size": 3}),
                         ("dask", {"executor": "dask", "workers": 2, "chunk_size": 2, "dask_processes": False})):
        other_runs, other_ts = _sweep(tmp_path, name, **kwargs)
        pd.testing.assert_frame_equal(runs, other_runs)
        pd.testing.assert_frame_equal(ts, other_ts)
    assert not (tmp_path / "dask" / ".dask-scratch").exists()  # the local cluster's working folder is gone


def test_rows_carry_run_id_seed_and_parameters(tmp_path: Path) -> None:
    """Every stored row (runs and time series) has run_id, seed and the run's parameter values."""
    runs, ts = _sweep(tmp_path, "out", executor="serial")
    for frame in (runs, ts):
        assert {"run_id", "seed", "growth", "rate_shift"} <= set(frame.columns)
    assert set(runs.growth) == {0.1, FAIL_AT, 0.6} and set(runs.rate_shift) == {0.0, 0.02}
    merged = ts.merge(runs[["run_id", "seed", "growth"]], on="run_id", suffixes=("", "_run"))
    assert (merged.seed == merged.seed_run).all() and (merged.growth == merged.growth_run).all()
    assert ts.groupby("run_id").size().eq(5).all()  # the opening quarter and 4 more


def test_a_run_that_raises_is_recorded_and_the_sweep_goes_on(tmp_path: Path) -> None:
    """Runs that raise are stored as failed with parameters, seed and error; the others complete."""
    runs, _ = _sweep(tmp_path, "out", executor="processes", workers=2, chunk_size=4,
                       study_kit=kit(model_factory=FailingModel))
    failed = runs[runs.status == "failed"]
    assert len(failed) == 4 and (failed.growth == FAIL_AT).all()
    assert failed.error.str.startswith("RuntimeError: deliberate failure for the test").all()
    assert failed.seed.notna().all() and failed.systemic_event.isna().all()
    assert (runs.loc[runs.status == "ok", "error"].isna()).all() and len(runs) == 12
    assert runs.systemic_event.dtype == "boolean"  # a gap does not turn it into objects


def test_a_combination_the_config_refuses_is_recorded(tmp_path: Path) -> None:
    """A parameter combination that fails the config's cross-checks is a failed run, not a stopped sweep."""
    spec = tiny_spec(tmp_path, parameters={
        "ramp": {"path": "contracts[id=rent].ramp_quarters", "values": [1, 4]},
        "length": {"path": "contracts[id=rent].quarters", "values": [2, 8]},
    }, replications=1)
    run_sweep(load_study(spec), tmp_path / "out", kit(), executor="serial", progress=False, log=lambda _m: None)
    runs = load_sweep(tmp_path / "out")
    bad = runs[(runs.ramp == 4) & (runs.length == 2)]
    assert bad.status.tolist() == ["failed"] and "ramp_quarters" in bad.error.iloc[0]
    assert (runs.status == "ok").sum() == 3


def test_rerun_of_one_run_reproduces_its_stored_row(tmp_path: Path) -> None:
    """Re-running a single run by its index gives exactly the row the sweep stored."""
    study = load_study(tiny_spec(tmp_path))
    run_sweep(study, tmp_path / "out", kit(), executor="processes", workers=2, progress=False, log=lambda _m: None)
    stored = SweepStore(tmp_path / "out").read().to_pylist()
    for run_id in (0, 7, 11):
        assert rerun(study, run_id, kit()) == stored[run_id]


def test_resume_makes_only_missing_runs(tmp_path: Path) -> None:
    """After removing two chunks (and with a killed sweep's hidden file left), a second invocation makes exactly those runs."""
    study = load_study(tiny_spec(tmp_path))
    out = tmp_path / "out"
    run_sweep(study, out, kit(), executor="serial", chunk_size=3, progress=False, log=lambda _m: None)
    full = load_sweep(out)
    for name in chunk_names(out)[1:3]:
        for f in chunk_files(out, name):
            f.unlink()
        (out / "commits" / f"{name}.json").unlink()
    (out / "runs" / ".tmp-0000000000-0000000002-deadbeef.parquet").write_bytes(b"half")  # a killed process's chunk
    outcome = run_sweep(study, out, kit(), executor="serial", chunk_size=3, progress=False, log=lambda _m: None)
    assert (outcome.stored_before, outcome.made) == (6, 6)
    pd.testing.assert_frame_equal(full, load_sweep(out))
    assert not hidden_files(out)
    again = run_sweep(study, out, kit(), executor="serial", progress=False, log=lambda _m: None)
    assert again.made == 0 and again.complete


def test_manifest_is_written_first_with_spec_and_code_version(tmp_path: Path) -> None:
    """The folder says what made it: spec, base config fingerprint, code version, the design."""
    _sweep(tmp_path, "out", executor="serial")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["spec"]["name"] == "tiny_grid" and manifest["total_runs"] == 12
    assert manifest["code_version"] and manifest["scenarios"]["base"]["config_sha256"]
    assert list(manifest["parameters"]) == ["growth", "rate_shift"]
    design = pq.read_table(tmp_path / "out" / "design.parquet").to_pandas()
    assert len(design) == 6 and {"unit:growth", "unit:rate_shift"} <= set(design.columns)


def test_a_folder_of_another_sweep_is_refused(tmp_path: Path) -> None:
    """Resuming into a folder made by a different spec is refused rather than mixing results."""
    _sweep(tmp_path, "out", executor="serial")
    other = load_study(tiny_spec(tmp_path, name="other", seed=12))
    with pytest.raises(StorageError, match="different spec"):
        run_sweep(other, tmp_path / "out", kit(), executor="serial", progress=False, log=lambda _m: None)


def test_a_second_writer_is_refused(tmp_path: Path) -> None:
    """While one sweep holds a folder, another cannot write into it."""
    study = load_study(tiny_spec(tmp_path))
    run_sweep(study, tmp_path / "out", kit(), executor="serial", progress=False, log=lambda _m: None)
    holder = SweepStore(tmp_path / "out")
    holder._acquire_lock()
    try:
        with pytest.raises(StorageError, match="another sweep is writing"):
            run_sweep(study, tmp_path / "out", kit(), executor="serial", progress=False, log=lambda _m: None)
    finally:
        holder.close()


def test_monte_carlo_without_parameters(tmp_path: Path) -> None:
    """A spec with no parameters replicates the base config with a different seed per run."""
    study = load_study(tiny_spec(tmp_path, parameters={}, replications=5))
    run_sweep(study, tmp_path / "out", kit(), executor="serial", progress=False, log=lambda _m: None)
    runs = load_sweep(tmp_path / "out")
    assert len(runs) == 5 and runs.seed.nunique() == 5 and (runs.point_id == 0).all()


def test_finished_models_are_freed(tmp_path: Path) -> None:
    """After a chunk, none of its models stays alive (Mesa 3.3.1 would keep them all: mesa/mesa#3179)."""
    import gc

    from economy.sweep.plan import Plan
    from economy.sweep.task import SweepContext, run_chunk
    from model import AIFinanceModel

    study = load_study(tiny_spec(tmp_path))
    gc.collect()
    before = sum(isinstance(o, AIFinanceModel) for o in gc.get_objects())
    run_chunk(SweepContext(study, kit()), Plan(study).runs(range(4)))
    gc.collect()
    assert sum(isinstance(o, AIFinanceModel) for o in gc.get_objects()) == before
