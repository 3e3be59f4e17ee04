"""Tests for ``run.py sweep``, ``analyze`` and ``compare``: resume after a hard kill, Ctrl-C, progress, reports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

import run
from analysis.study import load_sweep
from economy.sweep.runner import run_sweep
from economy.sweep.spec import load_study
from tests.sweep_support import ROOT, TINY, chunk_names, hidden_files, kit, tiny_spec

RUN = [sys.executable, str(ROOT / "run.py")]


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*RUN, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def _long_spec(tmp_path: Path) -> Path:
    """36 short runs: long enough to be stopped part-way."""
    growth = {"path": "world.demand.regimes.steady.growth_annual", "values": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}
    return tiny_spec(tmp_path, name="long", replications=6, parameters={"growth": growth})


def _start_and_stop_after_chunks(spec: Path, out: Path, sig: int, chunks: int = 3) -> subprocess.Popen:
    """Start a sweep in its own process group; send ``sig`` to the whole group once ``chunks`` chunks are stored."""
    log = open(out.parent / f"{out.name}.stderr", "w")  # noqa: SIM115 - closed with the process below
    proc = subprocess.Popen([*RUN, "sweep", str(spec), "--out", str(out), "--workers", "2", "--chunk-size", "3"],
                            stdout=subprocess.DEVNULL, stderr=log, cwd=out.parent, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if len(chunk_names(out)) >= chunks:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the sweep ended before it could be stopped"
    os.killpg(proc.pid, sig)  # the whole group, as a killed machine or a terminal's Ctrl-C would
    proc.wait(timeout=120)
    log.close()
    return proc


def test_resume_after_hard_kill_gives_the_uninterrupted_table(tmp_path: Path) -> None:
    """SIGKILL mid-sweep, then the same command: the same rows as an uninterrupted sweep, none twice."""
    spec = _long_spec(tmp_path)
    out = tmp_path / "killed"
    proc = _start_and_stop_after_chunks(spec, out, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    partial = load_sweep(out)
    assert 0 < len(partial) < 36

    done = _cli("sweep", str(spec), "--out", str(out), "--workers", "2", "--chunk-size", "3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"({len(partial)} stored, {36 - len(partial)} to run)" in done.stderr

    reference = tmp_path / "reference"
    run_sweep(load_study(spec), reference, kit(), executor="serial", progress=False, log=lambda _m: None)
    resumed = load_sweep(out)
    assert resumed.run_id.is_unique and len(resumed) == 36
    pd.testing.assert_frame_equal(resumed, load_sweep(reference))
    pd.testing.assert_frame_equal(load_sweep(out, "timeseries"), load_sweep(reference, "timeseries"))
    for table in ("runs", "timeseries"):  # and the datasets, read whole, hold each run once
        assert len(pd.read_parquet(out / table)) == len(pd.read_parquet(reference / table))


def test_ctrl_c_keeps_completed_chunks_and_says_how_to_resume(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the process group) exits 130, keeps whole chunks only, and tells the user to run again."""
    out = tmp_path / "stopped"
    proc = _start_and_stop_after_chunks(_long_spec(tmp_path), out, signal.SIGINT, chunks=2)
    stderr = (tmp_path / "stopped.stderr").read_text()
    assert proc.returncode == 130, stderr
    assert "interrupted:" in stderr and "run the same command again to resume" in stderr
    assert "Traceback" not in stderr
    runs = load_sweep(out)
    assert runs.run_id.is_unique and 0 < len(runs) < 36
    assert len(runs) % 3 == 0  # whole chunks of 3 only
    assert not hidden_files(out)  # a chunk is stored whole or not at all, even when stopped between its files


def test_smoke_sweep_with_progress_then_analyze_and_rerun(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The smoke spec runs on 2 workers with a progress bar, analyze writes a report, and --run-id matches the stored row."""
    out = tmp_path / "smoke"
    spec = str(ROOT / "configs" / "sweeps" / "smoke.yaml")
    done = _cli("sweep", spec, "--out", str(out), "--workers", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "smoke: 100%" in done.stderr and "36/36" in done.stderr and "run/s" in done.stderr  # tqdm bar with rate and ETA
    assert "36 of 36 runs stored" in done.stdout

    assert run.main(["analyze", str(out)]) == 0
    text = (out / "report" / "report.md").read_text()
    assert "## Outcomes" in text and "## Probability of a systemic event" in text and "## Trajectories" in text
    assert (out / "report" / "figures" / "heatmap_systemic_event.png").stat().st_size > 0
    assert (out / "report" / "figures" / "fan_charts.png").stat().st_size > 0
    assert (out / "report" / "outcomes.csv").is_file()

    capsys.readouterr()
    assert run.main(["sweep", spec, "--out", str(out), "--run-id", "17"]) == 0
    printed = capsys.readouterr().out
    assert "stored row in" in printed and "identical" in printed
    assert "AIFinanceModel(config=" in printed


def test_analyze_refuses_a_folder_that_is_not_a_sweep(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """``run.py analyze`` on a plain folder exits 2 with a message and writes nothing."""
    assert run.main(["analyze", str(tmp_path)]) == 2
    assert "not a sweep folder" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_sweep_into_a_folder_of_another_sweep_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Pointing a different spec at an existing sweep folder is a user error (exit 2), not a mix of results."""
    out = str(tmp_path / "out")
    assert run.main(["sweep", str(tiny_spec(tmp_path)), "--out", out, "--executor", "serial", "--no-progress"]) == 0
    capsys.readouterr()
    assert run.main(["sweep", str(tiny_spec(tmp_path, name="other", seed=3)), "--out", out, "--executor", "serial"]) == 2
    assert "different spec" in capsys.readouterr().err


def test_compare_puts_scenarios_side_by_side(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """``run.py compare`` runs each scenario for seeds 0..N-1, prints a table, writes compare.csv and a fan chart."""
    variant = tmp_path / "slow_demand.yaml"
    variant.write_text(yaml.safe_dump({"base": str(TINY), "world": {"demand": {"regimes": {"steady": {"growth_annual": 0.0}}}}}))
    out = tmp_path / "cmp"
    status = run.main(["compare", str(TINY), str(variant), "--seeds", "3", "--quarters", "4", "--out", str(out),
                       "--executor", "serial", "--no-progress"])
    printed = capsys.readouterr().out
    assert status == 0
    assert "tiny" in printed and "slow_demand" in printed and "systemic_event" in printed
    table = pd.read_csv(out / "compare.csv")
    assert set(table.scenario) == {"tiny", "slow_demand"} and {"median", "p5", "p95"} <= set(table.columns)
    assert (out / "fan_charts.png").stat().st_size > 0
    runs = load_sweep(out)
    assert sorted(runs.seed.unique().tolist()) == [0, 1, 2]


def test_compare_with_a_missing_scenario_exits_2_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A scenario file that does not exist is named, exit 2, no output folder."""
    out = tmp_path / "cmp"
    assert run.main(["compare", str(TINY), str(tmp_path / "nope.yaml"), "--seeds", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "nope.yaml" in err and "not found" in err
    assert not out.exists()
