"""Parameter studies never destroy data, never crash with a traceback on a user's mistake, never hang (issue 7).

Each test reproduces one found case: a damaged sweep folder, a read-only one, a bad or
unreachable scheduler, an absurdly large study, an output path that cannot be written,
workers outliving a killed main process, deletions of what a sweep did not create, and
telling a sweep folder from outside.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
import yaml

import run
from analysis.report import REPORT_MARKER
from analysis.study import load_sweep
from economy.names import check_folder_name
from economy.sweep import cli, executors, plan, storage
from economy.sweep.executors import ExecutorError, check_scheduler_address
from economy.sweep.plan import MAX_RUNS, Plan, check_size
from economy.sweep.runner import run_sweep
from economy.sweep.sampling import count_points, make_design
from economy.sweep.spec import SpecError, load_study
from economy.sweep.storage import FORMAT, SweepStore, is_sweep_folder, sweep_in_progress
from tests.sweep_support import ROOT, TINY, chunk_names, kit, tiny_spec

RUN = [sys.executable, str(ROOT / "run.py")]
QUIET = {"executor": "serial", "progress": False, "log": lambda _m: None}


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry under ``folder`` with its size and modification time, to show nothing changed."""
    return {str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One finished 12-run sweep (serial, 4 quarters, time series kept), made once for the module."""
    base = tmp_path_factory.mktemp("finished")
    run_sweep(load_study(tiny_spec(base)), base / "sweep", kit(), chunk_size=2, **QUIET)
    return base


@pytest.fixture
def sweep(finished: Path, tmp_path: Path) -> Path:
    """A private copy of the finished sweep (and its spec beside it), free to damage."""
    shutil.copy(finished / "tiny_grid.yaml", tmp_path / "tiny_grid.yaml")
    shutil.copytree(finished / "sweep", tmp_path / "sweep")
    return tmp_path / "sweep"


def _cut(path: Path, keep: int = 300) -> None:
    path.write_bytes(path.read_bytes()[:keep])


def _no_traceback(err: str) -> None:
    assert "Traceback" not in err, err


# ---------------------------------------------------------------------------- 1. damaged files
@pytest.mark.parametrize("table", ["runs", "timeseries"])
def test_analyze_on_a_truncated_chunk_exits_2_naming_the_file(sweep: Path, table: str, capsys: pytest.CaptureFixture) -> None:
    """A cut-short chunk table gives exit 2 naming the file and what to do, and changes nothing."""
    damaged = sorted((sweep / table).glob("part-*.parquet"))[1]
    _cut(damaged)
    before = snapshot(sweep)
    assert run.main(["analyze", str(sweep)]) == 2
    err = capsys.readouterr().err
    _no_traceback(err)
    assert str(damaged) in err and "damaged" in err and "Run the same sweep (or compare) command again" in err
    assert snapshot(sweep) == before


def test_a_resumed_sweep_moves_a_damaged_chunk_aside_and_remakes_its_runs(sweep: Path, capsys: pytest.CaptureFixture) -> None:
    """The sweep command named in the message repairs the folder: the chunk goes to damaged/, its runs are made again."""
    full = load_sweep(sweep)
    chunk = chunk_names(sweep)[2]
    _cut(sweep / "runs" / f"part-{chunk}.parquet")
    spec = str(sweep.parent / "tiny_grid.yaml")
    assert run.main(["sweep", spec, "--out", str(sweep), "--executor", "serial", "--no-progress"]) == 0
    assert "moved to" in capsys.readouterr().err
    assert (sweep / "damaged" / chunk / "runs.parquet").is_file()  # kept, never deleted, with its record
    assert (sweep / "damaged" / chunk / "commit.json").is_file() and chunk not in chunk_names(sweep)
    pd.testing.assert_frame_equal(load_sweep(sweep), full)
    assert len(pd.read_parquet(sweep / "runs")) == len(full)


@pytest.mark.parametrize("content", [
    b"__CUT__",                            # the real manifest cut short
    b"[1, 2]",                             # JSON, not an object
    b'{"format": "ai-financing-web/sweep/1"}',  # fields missing
    b"[" * 100_000,                        # nesting deep enough to overflow a recursive parser
    b"\xff\xfe\x00garbage",                # not text
], ids=["truncated", "list", "fields-missing", "deep", "binary"])
def test_analyze_on_a_damaged_manifest_exits_2(sweep: Path, content: bytes, capsys: pytest.CaptureFixture) -> None:
    """A truncated or garbled manifest.json gives exit 2 naming it, and nothing is written."""
    manifest = sweep / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:200] if content == b"__CUT__" else content)
    before = snapshot(sweep)
    assert run.main(["analyze", str(sweep)]) == 2
    err = capsys.readouterr().err
    _no_traceback(err)
    assert str(manifest) in err and "damaged" in err
    assert snapshot(sweep) == before


def test_a_damaged_manifest_stops_a_resumed_sweep_with_exit_2(sweep: Path, capsys: pytest.CaptureFixture) -> None:
    """Resuming into a folder whose manifest is garbled is refused, not overwritten."""
    _cut(sweep / "manifest.json", 100)
    before = snapshot(sweep)
    spec = str(sweep.parent / "tiny_grid.yaml")
    assert run.main(["sweep", spec, "--out", str(sweep), "--executor", "serial", "--no-progress"]) == 2
    _no_traceback(capsys.readouterr().err)
    assert snapshot(sweep) == before


# ---------------------------------------------------------------------------- 2. read-only folders, the report folder
def _read_only(monkeypatch: pytest.MonkeyPatch, *folders: Path) -> None:
    """Make ``can_write`` say no for these folders (chmod does not stop root, who runs some test machines)."""
    frozen = {f.resolve() for f in folders}
    real = storage.can_write
    monkeypatch.setattr(storage, "can_write", lambda folder: Path(folder).resolve() not in frozen and real(folder))


def test_analyze_on_a_read_only_sweep_exits_2_and_offers_out(sweep: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture) -> None:
    """On a sweep folder that cannot be written, analyze exits 2 pointing at --out; with --out it writes there."""
    _read_only(monkeypatch, sweep)
    before = snapshot(sweep)
    assert run.main(["analyze", str(sweep)]) == 2
    err = capsys.readouterr().err
    _no_traceback(err)
    assert "--out" in err and "nothing was written" in err
    assert snapshot(sweep) == before
    assert run.main(["analyze", str(sweep), "--out", str(tmp_path / "elsewhere")]) == 0
    assert (tmp_path / "elsewhere" / "report.md").is_file()
    assert snapshot(sweep) == before


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes into read-only folders")
def test_analyze_on_a_really_read_only_sweep_exits_2(sweep: Path, capsys: pytest.CaptureFixture) -> None:
    """A sweep folder made read-only (chmod -R a-w) gives exit 2 from analyze, without a traceback."""
    for p in [sweep, *sweep.rglob("*")]:
        p.chmod(p.stat().st_mode & ~0o222)
    try:
        assert run.main(["analyze", str(sweep)]) == 2
        _no_traceback(capsys.readouterr().err)
    finally:
        for p in [sweep, *sweep.rglob("*")]:
            p.chmod(p.stat().st_mode | 0o200)


def test_a_users_folder_named_report_is_never_replaced(sweep: Path, capsys: pytest.CaptureFixture) -> None:
    """A report/ folder analyze did not write is refused with exit 2 and left exactly as it was."""
    (sweep / "report").mkdir()
    (sweep / "report" / "notes.md").write_text("my notes")
    assert run.main(["analyze", str(sweep)]) == 2
    assert "not written by run.py analyze" in capsys.readouterr().err
    assert [p.name for p in (sweep / "report").iterdir()] == ["notes.md"]
    assert (sweep / "report" / "notes.md").read_text() == "my notes"


def test_an_earlier_report_is_replaced_but_not_one_with_added_files(sweep: Path, capsys: pytest.CaptureFixture) -> None:
    """Analyze replaces its own earlier report (recognised by its marker), but refuses once a user's file is added."""
    assert run.main(["analyze", str(sweep)]) == 0
    marker = json.loads((sweep / "report" / REPORT_MARKER).read_text())
    assert "report.md" in marker["files"]
    assert run.main(["analyze", str(sweep)]) == 0  # an earlier report: replaced
    (sweep / "report" / "figures" / "mine.png").write_bytes(b"user's")
    capsys.readouterr()
    assert run.main(["analyze", str(sweep)]) == 2
    assert "mine.png" in capsys.readouterr().err
    assert (sweep / "report" / "figures" / "mine.png").read_bytes() == b"user's"
    assert not [p for p in sweep.iterdir() if p.name.startswith(".report")]  # no staging or old folder left behind


def test_an_empty_report_folder_is_used(sweep: Path) -> None:
    """An empty folder given with --out receives the report."""
    (sweep / "empty").mkdir()
    assert run.main(["analyze", str(sweep), "--out", str(sweep / "empty")]) == 0
    assert (sweep / "empty" / "report.md").is_file()


# ---------------------------------------------------------------------------- 3. the scheduler
@pytest.mark.parametrize("address", ["notanaddress", "tcp://256.1.1.1:99999", "tcp://256.1.1.1:8786", "http://host:8786",
                                     "tcp://:8786", "tcp://host:port", "tcp://a b:1"])
def test_a_malformed_scheduler_address_exits_2_and_writes_nothing(tmp_path: Path, address: str,
                                                                  capsys: pytest.CaptureFixture) -> None:
    """An invalid --scheduler is refused before anything is read or written, with the form it should have."""
    spec = str(tiny_spec(tmp_path))
    before = snapshot(tmp_path)
    assert run.main(["sweep", spec, "--out", str(tmp_path / "out"), "--scheduler", address, "--no-progress"]) == 2
    err = capsys.readouterr().err
    _no_traceback(err)
    assert "--scheduler" in err and "HOST:PORT" in err
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:8786", "10.0.0.5:8786", "tls://sched.example.org:8786", "tcp://[::1]:8786"])
def test_well_formed_scheduler_addresses_pass(address: str) -> None:
    """Addresses Dask accepts pass the check unchanged."""
    assert check_scheduler_address(address) == address


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_scheduler_exits_2_quickly_and_keeps_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture) -> None:
    """No scheduler at the address: exit 2 within the timeout, and the user's empty --out folder is left, still empty."""
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 1)
    out = tmp_path / "mine"
    out.mkdir()  # the old code created a skeleton here and then deleted the whole folder
    spec = str(tiny_spec(tmp_path))
    started = time.monotonic()
    status = run.main(["sweep", spec, "--out", str(out), "--scheduler", f"tcp://127.0.0.1:{_free_port()}", "--no-progress"])
    assert status == 2 and time.monotonic() - started < 15
    err = capsys.readouterr().err
    _no_traceback(err)
    assert "cannot reach the Dask scheduler" in err
    assert out.is_dir() and list(out.iterdir()) == []


# ---------------------------------------------------------------------------- 4. absurd sizes
def _huge(tmp_path: Path, **changes: object) -> Path:
    growth = {"path": "world.demand.regimes.steady.growth_annual", "range": [0.1, 0.5], "steps": 100_000}
    rate = {"path": "world.policy_rate[0].rate_annual", "range": [0.0, 0.05], "steps": 100_000}
    fields = {"parameters": {"growth": growth, "rate": rate}, "replications": 100, **changes}
    return tiny_spec(tmp_path, name="huge", **fields)


@pytest.mark.parametrize("changes", [
    {},                                                          # a grid of 10^10 points x 100
    {"parameters": {"growth": {"path": "world.demand.regimes.steady.growth_annual", "values": [i / 40 for i in range(20)]}},
     "replications": 10_000_000},                               # 20 points x 10^7 replications
    {"sampler": {"kind": "sobol", "samples": 2**22, "second_order": True}, "replications": 10_000},
], ids=["grid", "replications", "sobol"])
def test_an_absurd_study_is_refused_with_its_count_and_the_limit(tmp_path: Path, changes: dict,
                                                                 capsys: pytest.CaptureFixture) -> None:
    """10^12-run studies exit 2 at once with the count and the limit, nothing written (no MemoryError)."""
    if changes.get("sampler", {}).get("kind") == "sobol":
        changes["parameters"] = {"growth": {"path": "world.demand.regimes.steady.growth_annual", "range": [0.1, 0.5]}}
    spec = str(_huge(tmp_path, **changes))
    before = snapshot(tmp_path)
    started = time.monotonic()
    for extra in ([], ["--allow-large"], ["--run-id", "5"]):
        assert run.main(["sweep", spec, "--out", str(tmp_path / "out"), "--no-progress", *extra]) == 2
        err = capsys.readouterr().err
        _no_traceback(err)
        assert "runs" in err and "more than the limit" in err and (f"{MAX_RUNS:,}" in err or "100,000,000" in err)
    assert time.monotonic() - started < 10
    assert snapshot(tmp_path) == before


def test_allow_large_lifts_the_limit_up_to_the_hard_ceiling(tmp_path: Path) -> None:
    """2 million runs need --allow-large (allow_large=True), and then pass the size check."""
    study = load_study(tiny_spec(tmp_path, parameters={}, replications=2_000_000))
    with pytest.raises(SpecError, match="--allow-large"):
        check_size(study)
    assert check_size(study, allow_large=True).runs == 2_000_000


def test_compare_with_too_many_seeds_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A comparison with absurd --seeds is refused with exit 2 before anything runs."""
    for seeds in ("2000000", "10000000000"):
        assert run.main(["compare", str(TINY), str(TINY), "--seeds", seeds, "--out", str(tmp_path / "c")]) == 2
        _no_traceback(capsys.readouterr().err)
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("sampler", [{"kind": "grid"}, {"kind": "random", "samples": 7}, {"kind": "latin", "samples": 5},
                                     {"kind": "sobol", "samples": 8}, {"kind": "sobol", "samples": 8, "second_order": True},
                                     {"kind": "morris", "trajectories": 3, "levels": 4}])
def test_counted_points_match_the_design(tmp_path: Path, sampler: dict) -> None:
    """The count the size check uses is the number of points the design really has."""
    growth = {"path": "world.demand.regimes.steady.growth_annual", "range": [0.1, 0.5]}
    rate = {"path": "world.policy_rate[0].rate_annual", "range": [0.0, 0.05]}
    if sampler["kind"] == "grid":
        growth["steps"], rate = 3, {**rate, "steps": 4}
    spec = load_study(tiny_spec(tmp_path, sampler=sampler, parameters={"growth": growth, "rate": rate})).spec
    assert count_points(spec) == make_design(spec).n_points


def test_the_cli_states_the_limits_of_the_plan() -> None:
    """The numbers in --help are the limits the plan and the executors enforce."""
    assert (cli.MAX_RUNS, cli.MAX_RUNS_ALLOWED) == (plan.MAX_RUNS, plan.MAX_RUNS_ALLOWED)
    assert cli.CONNECT_TIMEOUT_S == executors.CONNECT_TIMEOUT_S


# ---------------------------------------------------------------------------- 5. --out that cannot be written
def test_out_under_a_regular_file_exits_2_before_the_sweep(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """--out beneath a file is refused before any run, saying which path is a file."""
    (tmp_path / "a_file").write_text("not a folder")
    spec = str(tiny_spec(tmp_path))
    before = snapshot(tmp_path)
    for out in ("a_file/sweep", "a_file"):
        assert run.main(["sweep", spec, "--out", str(tmp_path / out), "--executor", "serial", "--no-progress"]) == 2
        err = capsys.readouterr().err
        _no_traceback(err)
        assert "a_file" in err and "not a folder" in err
    assert snapshot(tmp_path) == before


def test_out_in_a_read_only_folder_exits_2_before_the_sweep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture) -> None:
    """--out inside a folder that cannot be written is refused before any run (simulated: tests may run as root)."""
    (tmp_path / "locked").mkdir()
    _read_only(monkeypatch, tmp_path / "locked")
    spec = str(tiny_spec(tmp_path))
    before = snapshot(tmp_path)
    assert run.main(["sweep", spec, "--out", str(tmp_path / "locked" / "a" / "b"), "--executor", "serial", "--no-progress"]) == 2
    err = capsys.readouterr().err
    _no_traceback(err)
    assert "cannot write into" in err and "locked" in err
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------------------- 6. workers die with the main process
def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_workers_end_when_the_main_process_is_killed(tmp_path: Path) -> None:
    """SIGKILL of only the main process of a processes sweep: its workers are gone within a few seconds."""
    spec = tiny_spec(tmp_path, name="slow", quarters=20, replications=100, parameters={})
    out = tmp_path / "out"
    main = subprocess.Popen([*RUN, "sweep", str(spec), "--out", str(out), "--workers", "2", "--chunk-size", "1", "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    workers: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and main.poll() is None:
            workers = [c for c in psutil.Process(main.pid).children() if "resource_tracker" not in " ".join(c.cmdline())]
            if len(workers) == 2 and len(chunk_names(out)) >= 2:  # both workers started and working
                break
            time.sleep(0.05)
        assert main.poll() is None and len(workers) == 2, "the sweep did not get going"
        main.send_signal(signal.SIGKILL)  # the main process only, not its group
        main.wait(timeout=30)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.05)
        assert not any(_alive(w) for w in workers), "worker processes outlived the main process"
    finally:
        for proc in [*workers]:
            if _alive(proc):
                proc.kill()
        if main.poll() is None:
            main.kill()


def test_a_worker_whose_parent_is_already_gone_exits(tmp_path: Path) -> None:
    """die_with_parent given a parent id that is not its parent's ends the process at once."""
    code = ("import os; from economy.sweep.executors import die_with_parent; "
            "die_with_parent(1 if os.getppid() != 1 else 2); print('alive')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 1 and "alive" not in done.stdout


# ---------------------------------------------------------------------------- 7. deleting only what it made
def test_an_executor_that_cannot_start_deletes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the executor fails to start, the user's (empty) folder and its parents stay, and no skeleton is written."""
    import economy.sweep.runner as runner

    def refuse(*_a: object, **_k: object) -> None:
        raise ExecutorError("no executor today")

    monkeypatch.setattr(runner, "make_executor", refuse)
    out = tmp_path / "given"
    out.mkdir()
    with pytest.raises(ExecutorError):
        run_sweep(load_study(tiny_spec(tmp_path)), out, kit(), executor="processes", progress=False, log=lambda _m: None)
    assert out.is_dir() and list(out.iterdir()) == []
    with pytest.raises(ExecutorError):
        run_sweep(load_study(tiny_spec(tmp_path)), tmp_path / "new" / "deeper", kit(), executor="processes",
                  progress=False, log=lambda _m: None)
    assert not (tmp_path / "new").exists()


def test_only_recognisable_partial_chunks_are_removed(sweep: Path) -> None:
    """On resume a half-written (uncommitted) chunk's files are removed, but look-alikes holding someone's files are left."""
    runs = sweep / "runs"
    partial = runs / ".tmp-0000000000-0000000001-0123abcd.parquet"
    partial.write_bytes(b"half")
    lookalike = runs / ".tmp-0000000002-0000000003-89abcdef.parquet"
    lookalike.mkdir()
    (lookalike / "thesis.tex").write_text("mine")
    odd_name = runs / ".tmp-my-notes.parquet"
    odd_name.write_text("mine")
    run_sweep(load_study(sweep.parent / "tiny_grid.yaml"), sweep, kit(), **QUIET)
    assert not partial.exists()
    assert (lookalike / "thesis.tex").read_text() == "mine" and odd_name.read_text() == "mine"


def test_the_dask_scratch_folder_removed_is_only_its_own(tmp_path: Path) -> None:
    """A local Dask cluster's working folder is a new one; closing removes it and nothing beside it."""
    from economy.sweep.task import SweepContext

    parent = tmp_path / "scratch_parent"
    parent.mkdir()
    (parent / "keep.txt").write_text("mine")
    ex = executors.DaskExecutor(SweepContext(load_study(tiny_spec(tmp_path)), kit()), 1, processes=False, scratch_parent=parent)
    made = ex.scratch
    assert made is not None and made.parent == parent
    ex.close()
    ex.close()  # twice is harmless
    assert not made.exists() and (parent / "keep.txt").read_text() == "mine"


# ---------------------------------------------------------------------------- 8. a sweep folder from outside
def test_a_sweep_folder_is_recognised_and_others_are_not(sweep: Path, tmp_path: Path) -> None:
    """is_sweep_folder: a sweep (even with a garbled manifest) yes; empty folders, a web app's manifest.json no."""
    assert is_sweep_folder(sweep) and json.loads((sweep / "manifest.json").read_text())["format"] == FORMAT
    webapp = tmp_path / "webapp"
    webapp.mkdir()
    (webapp / "manifest.json").write_text('{"name": "app", "icons": []}')
    assert not is_sweep_folder(webapp) and not is_sweep_folder(tmp_path / "nothing") and not is_sweep_folder(tmp_path / "webapp")
    _cut(sweep / "manifest.json", 50)
    assert is_sweep_folder(sweep)  # damaged, but most likely a study: left alone


def test_another_process_can_tell_a_sweep_is_writing(sweep: Path, tmp_path: Path) -> None:
    """sweep_in_progress is True in another process while a sweep holds the lock, False once it is released."""
    probe = [sys.executable, "-c", f"from economy.sweep.storage import sweep_in_progress as p; print(p({str(sweep)!r}))"]
    assert not sweep_in_progress(sweep)
    writer = SweepStore(sweep)
    writer._acquire_lock()
    try:
        assert subprocess.run(probe, capture_output=True, text=True, cwd=ROOT, timeout=60).stdout.strip() == "True"
        assert is_sweep_folder(sweep) and sweep_in_progress(sweep)
        fresh = tmp_path / "starting"  # a new sweep holds the lock a moment before its manifest exists
        fresh.mkdir()
        starter = SweepStore(fresh)
        starter._acquire_lock()
        assert is_sweep_folder(fresh)
        starter.close()
        assert not is_sweep_folder(fresh)
    finally:
        writer.close()
    assert subprocess.run(probe, capture_output=True, text=True, cwd=ROOT, timeout=60).stdout.strip() == "False"


# ---------------------------------------------------------------------------- 9. names
@pytest.mark.parametrize("name", ["", ".", "..", "../../x", "/abs", "a/b", "a\\b", "x\x00y", " lead", "a b", "a" * 121,
                                  "_hidden", "-dash", "con", "NUL.txt", "ends.", "naïve", 5, None])
def test_bad_folder_names_are_refused(name: object) -> None:
    """A name that is not one plain folder name raises ValueError saying what would be valid."""
    with pytest.raises(ValueError, match="letters, digits|choose another name"):
        check_folder_name(name)


@pytest.mark.parametrize("name", ["smoke", "demand_rates_grid", "v1.2-test", "a" * 120, "console"])
def test_good_folder_names_pass(name: str) -> None:
    """Plain folder names pass unchanged."""
    assert check_folder_name(name) == name


def test_a_spec_named_dot_dot_exits_2_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A spec whose name would be a path is refused at load, naming the field."""
    spec = tiny_spec(tmp_path)
    raw = yaml.safe_load(spec.read_text())
    raw["name"] = ".."
    spec.write_text(yaml.safe_dump(raw))
    before = snapshot(tmp_path)
    assert run.main(["sweep", str(spec), "--executor", "serial", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "name" in err and "letters, digits" in err
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------------------- reading through the one reader
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_as_spec_or_compare_scenario_exits_2_without_hanging(tmp_path: Path) -> None:
    """A FIFO given as a spec or a scenario is refused by the bounded reader, not read forever."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    for args in (["sweep", str(fifo)], ["compare", str(fifo), "--seeds", "2", "--out", str(tmp_path / "c")]):
        done = subprocess.run([*RUN, *args], capture_output=True, text=True, cwd=tmp_path, timeout=60)
        assert done.returncode == 2 and "Traceback" not in done.stderr and "pipe" in done.stderr
    assert not (tmp_path / "c").exists()


def test_plan_refuses_beyond_the_hard_ceiling_even_when_called_directly(tmp_path: Path) -> None:
    """Plan() itself will not make a design past the ceiling, so no caller can exhaust memory."""
    study = load_study(_huge(tmp_path))
    with pytest.raises(SpecError, match="more than the limit"):
        Plan(study)


def test_a_sweep_is_never_written_inside_another(sweep: Path, capsys: pytest.CaptureFixture) -> None:
    """--out inside a sweep folder (its runs/ or beside it) exits 2 and leaves the sweep as it was; no report in its data."""
    spec = str(sweep.parent / "tiny_grid.yaml")
    before = snapshot(sweep)
    for out in (sweep / "runs" / "inner", sweep / "sub" / ".." / "sub2"):
        assert run.main(["sweep", spec, "--out", str(out), "--executor", "serial", "--no-progress"]) == 2
        assert "inside the sweep folder" in capsys.readouterr().err
    for data in ("runs", "timeseries", "commits"):
        assert run.main(["analyze", str(sweep), "--out", str(sweep / data / "report")]) == 2
        assert f"inside a sweep's {data}/ folder" in capsys.readouterr().err
    assert snapshot(sweep) == before


def test_a_chunk_without_its_status_column_is_reported_as_damaged(sweep: Path, capsys: pytest.CaptureFixture) -> None:
    """A runs table rewritten without required columns gives exit 2 naming it, not a KeyError."""
    import pyarrow.parquet as pq

    table = sorted((sweep / "runs").glob("part-*.parquet"))[0]
    pq.write_table(pq.read_table(table).drop(["status"]), table)
    assert run.main(["analyze", str(sweep)]) == 2
    err = capsys.readouterr().err
    _no_traceback(err)
    assert str(table) in err and "status" in err


def test_telling_a_sweep_folder_imports_nothing_heavy() -> None:
    """economy.sweep.folders loads without pyarrow or numpy, so run.py run can ask cheaply."""
    code = "import sys, economy.sweep.folders; print(any(m in sys.modules for m in ('pyarrow', 'numpy', 'pandas')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.stdout.strip() == "False", done.stderr
