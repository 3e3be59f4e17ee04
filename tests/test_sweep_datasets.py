"""A sweep folder's tables are Parquet datasets: runs/, timeseries/ and entities/ each read whole with one call (issue 12).

Covers what a reader of the folder relies on: every table read with one
``pd.read_parquet`` holds exactly the study's rows, whatever order chunks finished in
and however their column types differed; a chunk cut short at any step is finished or
made again by the next sweep, never seen in part by :func:`analysis.study.load_sweep`;
and a folder of the earlier layout (``chunks/<first>-<last>/``) is still read but
refused, unchanged, when a sweep would add to it.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import run
from analysis.study import load_sweep
from economy.sweep.runner import run_sweep
from economy.sweep.spec import load_study
from economy.sweep.storage import FORMAT, LEGACY_FORMAT, SweepStore
from tests.sweep_support import FailingModel, chunk_files, chunk_names, hidden_files, kit, tiny_spec

QUIET = {"executor": "serial", "progress": False, "log": lambda _m: None}
TABLES = ("runs", "timeseries", "entities")


def _spec(folder: Path) -> Path:
    """The tiny 12-run grid, keeping the system series and two companies' balance-sheet rows."""
    return tiny_spec(folder, outputs={"timeseries": True, "entities": ["lab", "bank"]})


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry under ``folder`` with its size and modification time, to show nothing changed."""
    return {str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.rglob("*")}


def _dataset(folder: Path, table: str):
    """The table as a dataset reader sees it (one call on its folder), in run-id order."""
    data = pq.read_table(folder / table)
    return data.take(pc.sort_indices(data, sort_keys=[("run_id", "ascending")]))


def _assert_datasets_hold_the_study(folder: Path, tables: tuple[str, ...] = TABLES) -> None:
    """Each table read whole from its folder has exactly the stored rows, and every part the same schema."""
    store = SweepStore(folder)
    for table in tables:
        assert _dataset(folder, table).equals(store.read(table)), table
        frame = pd.read_parquet(folder / table)
        assert len(frame) == len(load_sweep(folder, table)) and list(frame.columns) == list(load_sweep(folder, table).columns)
        schemas = {str(pq.read_schema(p)) for p in (folder / table).glob("part-*.parquet")}
        assert len(schemas) == 1, f"{table}: parts differ in schema"


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One finished 12-run sweep in chunks of 3 with a failing growth value, made once for the module."""
    base = tmp_path_factory.mktemp("datasets")
    run_sweep(load_study(_spec(base)), base / "sweep", kit(model_factory=FailingModel), chunk_size=3, **QUIET)
    return base


@pytest.fixture
def sweep(finished: Path, tmp_path: Path) -> Path:
    """A private copy of the finished sweep (its spec beside it), free to change."""
    shutil.copy(finished / "tiny_grid.yaml", tmp_path / "tiny_grid.yaml")
    shutil.copytree(finished / "sweep", tmp_path / "sweep")
    return tmp_path / "sweep"


def _resume(sweep: Path, **kwargs):
    return run_sweep(load_study(sweep.parent / "tiny_grid.yaml"), sweep, kit(model_factory=FailingModel), chunk_size=3,
                     **QUIET, **kwargs)


# ---------------------------------------------------------------------------- one dataset per table
def test_each_table_read_in_one_call_holds_exactly_the_studys_rows(sweep: Path) -> None:
    """pd.read_parquet(sweep / table) gives every run once (failed ones too), each with its quarters and companies."""
    assert json.loads((sweep / "manifest.json").read_text())["format"] == FORMAT
    assert not (sweep / "chunks").exists() and len(chunk_names(sweep)) == 4
    runs = pd.read_parquet(sweep / "runs")
    assert sorted(runs.run_id) == list(range(12)) and (runs.status == "failed").sum() == 4
    ts = pd.read_parquet(sweep / "timeseries")
    assert ts.groupby("run_id").size().eq(5).all() and set(ts.run_id) == set(runs.run_id[runs.status == "ok"])
    ent = pd.read_parquet(sweep / "entities")
    assert set(ent.entity) == {"lab", "bank"} and ent.groupby("run_id").size().eq(10).all()
    _assert_datasets_hold_the_study(sweep)


_RUN = itertools.count()


def _summarize(tables: dict, labs: list[str]) -> dict:
    """A summary that is the run's place in a serial sweep (0, 1, ...): the test's metrics follow from it."""
    return {"k": next(_RUN)}


def _shifting_metrics(summary: dict, lab: str = "lab") -> dict:
    """Metrics whose column types change between chunks: empty then text, whole then fractional, absent then present."""
    k = summary["k"]
    out = {"even": k % 2 == 0, "amount": k if k < 6 else k + 0.5, "quarter": None if k < 4 else "2027Q1"}
    if k >= 8:
        out["extra"] = k
    return out


def test_a_later_chunk_with_wider_types_widens_the_earlier_parts(tmp_path: Path) -> None:
    """Empty-then-text, int-then-float and late columns all read through one call: earlier parts are widened."""
    global _RUN
    _RUN = itertools.count()
    varying = dataclasses.replace(kit(), summarize=_summarize, run_metrics=_shifting_metrics)
    out = tmp_path / "out"
    run_sweep(load_study(tiny_spec(tmp_path)), out, varying, chunk_size=2, **QUIET)
    _assert_datasets_hold_the_study(out, ("runs", "timeseries"))
    first = pq.read_schema(sorted((out / "runs").glob("part-*.parquet"))[0])
    assert [first.field(c).type for c in ("quarter", "amount", "extra")] == ["string", "double", "int64"]
    assert first.names[-1] == "error"
    runs = load_sweep(out)
    assert runs.quarter.isna().tolist() == [True] * 4 + [False] * 8 and (runs.quarter[4:] == "2027Q1").all()
    assert runs.amount.tolist() == [0, 1, 2, 3, 4, 5, 6.5, 7.5, 8.5, 9.5, 10.5, 11.5]
    assert runs.extra.dtype == "Int64" and runs.extra.tolist()[8:] == [8, 9, 10, 11] and runs.extra.isna().sum() == 8
    assert runs.even.tolist() == [k % 2 == 0 for k in range(12)]


def test_a_part_left_narrower_by_a_killed_rewrite_is_widened_on_resume(tmp_path: Path) -> None:
    """A rewrite cut short leaves the first file widest (still readable); the next sweep widens the rest, drops its leftovers."""
    global _RUN
    _RUN = itertools.count()
    varying = dataclasses.replace(kit(), summarize=_summarize, run_metrics=_shifting_metrics)
    spec = tiny_spec(tmp_path)
    out = tmp_path / "out"
    run_sweep(load_study(spec), out, varying, chunk_size=2, **QUIET)
    whole = SweepStore(out).read()
    second = sorted((out / "runs").glob("part-*.parquet"))[1]  # runs 2-3: no extra, no quarter, whole amounts
    narrow = pq.read_table(second).drop(["extra"])
    pq.write_table(narrow.set_column(narrow.schema.get_field_index("amount"), "amount", pc.cast(narrow["amount"], "int64")),
                   second)
    leftover = second.with_name(f".widen-{second.stem.removeprefix('part-')}-0badf00d.parquet")
    leftover.write_bytes(b"cut short")
    assert _dataset(out, "runs").equals(whole)  # the first file is the widest: the dataset reads as before
    outcome = run_sweep(load_study(spec), out, varying, chunk_size=2, **QUIET)
    assert outcome.made == 0 and not leftover.exists()
    _assert_datasets_hold_the_study(out, ("runs", "timeseries"))
    assert SweepStore(out).read().equals(whole)


# ---------------------------------------------------------------------------- interrupted chunks
def _hide(sweep: Path, name: str, tables: tuple[str, ...] = TABLES) -> None:
    """Put a chunk's files back under their hidden names, as a sweep killed before renaming them leaves them."""
    for path in chunk_files(sweep, name):
        if path.parent.name in tables:
            path.rename(path.with_name(f".tmp-{name}.parquet"))


@pytest.mark.parametrize("hidden", [TABLES, ("timeseries", "entities")], ids=["before-any-rename", "between-renames"])
def test_a_chunk_killed_after_its_commit_is_read_whole_and_finished(sweep: Path, hidden: tuple[str, ...]) -> None:
    """Killed after the commit record, before all renames: load_sweep has it all; the next sweep renames, makes nothing."""
    full = {t: load_sweep(sweep, t) for t in TABLES}
    name = chunk_names(sweep)[1]
    _hide(sweep, name, hidden)
    for table in TABLES:
        pd.testing.assert_frame_equal(load_sweep(sweep, table), full[table])
    outcome = _resume(sweep)
    assert (outcome.stored_before, outcome.made) == (12, 0)
    assert not hidden_files(sweep) and len(chunk_files(sweep, name)) == 3
    for table in TABLES:
        pd.testing.assert_frame_equal(load_sweep(sweep, table), full[table])
    _assert_datasets_hold_the_study(sweep)


def test_a_chunk_killed_before_its_commit_was_never_stored_and_is_made_again(sweep: Path) -> None:
    """Hidden files without a commit record: invisible to every reader; the next sweep removes them and makes the runs."""
    full = {t: load_sweep(sweep, t) for t in TABLES}
    name = chunk_names(sweep)[2]
    _hide(sweep, name)
    (sweep / "commits" / f"{name}.json").unlink()
    assert len(load_sweep(sweep)) == len(pd.read_parquet(sweep / "runs")) == 9
    outcome = _resume(sweep)
    assert (outcome.stored_before, outcome.made) == (9, 3)
    assert not hidden_files(sweep) and name not in chunk_names(sweep)
    for table in TABLES:
        pd.testing.assert_frame_equal(load_sweep(sweep, table), full[table])
    _assert_datasets_hold_the_study(sweep)


def test_parts_whose_record_was_removed_are_moved_aside_not_stored_twice(sweep: Path) -> None:
    """A visible chunk without its commit record is moved into damaged/, its runs made again: each run once in the dataset."""
    full = load_sweep(sweep)
    name = chunk_names(sweep)[0]
    (sweep / "commits" / f"{name}.json").unlink()
    outcome = _resume(sweep)
    assert outcome.made == 3
    assert sorted(p.name for p in (sweep / "damaged" / name).iterdir()) == ["entities.parquet", "runs.parquet",
                                                                            "timeseries.parquet"]
    pd.testing.assert_frame_equal(load_sweep(sweep), full)
    _assert_datasets_hold_the_study(sweep)


@pytest.mark.parametrize("where", ["after-the-record", "between-renames"])
def test_ctrl_c_while_a_chunk_is_stored_leaves_it_whole(sweep: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """An interrupt just after the commit record, or after a chunk's first rename, still leaves the whole chunk in place."""
    import economy.sweep.storage as storage

    name = chunk_names(sweep)[3]
    for path in chunk_files(sweep, name):
        path.unlink()
    (sweep / "commits" / f"{name}.json").unlink()
    real_write, real_rename = storage.atomic_write, storage.os.rename

    def write_then_interrupt(path: Path, data: bytes) -> None:
        real_write(path, data)
        if path.parent.name == "commits":
            raise KeyboardInterrupt

    def rename_then_interrupt(src: Path, dst: Path) -> None:
        real_rename(src, dst)
        if Path(dst).name.startswith("part-") and not getattr(rename_then_interrupt, "done", False):
            rename_then_interrupt.done = True
            raise KeyboardInterrupt

    if where == "after-the-record":
        monkeypatch.setattr(storage, "atomic_write", write_then_interrupt)
    else:
        monkeypatch.setattr(storage.os, "rename", rename_then_interrupt)
    outcome = _resume(sweep)
    monkeypatch.undo()
    assert outcome.interrupted and not hidden_files(sweep)
    assert len(chunk_files(sweep, chunk_names(sweep)[3])) == 3
    _assert_datasets_hold_the_study(sweep)
    assert _resume(sweep).made == 0


# ---------------------------------------------------------------------------- the earlier layout
def _to_earlier_layout(sweep: Path) -> None:
    """Rearrange a sweep folder as the earlier version wrote it: chunks/<first>-<last>/<table>.parquet, format .../1."""
    for name in chunk_names(sweep):
        chunk = sweep / "chunks" / name[:21]
        chunk.mkdir(parents=True)
        for path in chunk_files(sweep, name):
            path.rename(chunk / f"{path.parent.name}.parquet")
    for folder in (*TABLES, "commits"):
        shutil.rmtree(sweep / folder)
    manifest = json.loads((sweep / "manifest.json").read_text())
    (sweep / "manifest.json").write_text(json.dumps({**manifest, "format": LEGACY_FORMAT}, indent=2))


def test_a_folder_of_the_earlier_layout_is_read_and_analysed(sweep: Path, capsys: pytest.CaptureFixture) -> None:
    """load_sweep, analyze and --run-id read an earlier-layout folder as before."""
    full = {t: load_sweep(sweep, t) for t in TABLES}
    _to_earlier_layout(sweep)
    for table in TABLES:
        pd.testing.assert_frame_equal(load_sweep(sweep, table), full[table])
    assert run.main(["analyze", str(sweep)]) == 0
    assert "## Trajectories" in (sweep / "report" / "report.md").read_text()
    capsys.readouterr()
    assert run.main(["sweep", str(sweep.parent / "tiny_grid.yaml"), "--out", str(sweep), "--run-id", "1"]) == 0
    assert "identical" in capsys.readouterr().out


@pytest.mark.parametrize("partial", [False, True], ids=["finished", "partial"])
def test_resuming_a_folder_of_the_earlier_layout_exits_2_and_changes_nothing(sweep: Path, partial: bool,
                                                                           capsys: pytest.CaptureFixture) -> None:
    """A sweep into an earlier-layout folder is refused with exit 2, saying how to proceed; not a byte changes."""
    _to_earlier_layout(sweep)
    if partial:
        shutil.rmtree(sorted((sweep / "chunks").iterdir())[-1])
    before = snapshot(sweep)
    spec = str(sweep.parent / "tiny_grid.yaml")
    assert run.main(["sweep", spec, "--out", str(sweep), "--executor", "serial", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "earlier layout" in err and "--out" in err and "run.py analyze" in err
    assert snapshot(sweep) == before
