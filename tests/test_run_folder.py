"""A run writes only into a new, empty or earlier-run folder, whole or not at all, and never over a user's files."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from pathlib import Path

import pytest

import run
from economy.run_folder import MARKER, OutputFolderError, check_target

TINY = Path(__file__).parent / "configs" / "tiny.yaml"


def _fake_results(model, folder: Path, configured_quarters: int | None = None) -> dict:
    """Stands in for the tables and figures (the folder rules do not depend on them; figures take seconds)."""
    (folder / "balance_sheets.csv").write_text(f"quarters,{model.steps}\n")
    (folder / "figures").mkdir()
    (folder / "figures" / "web.png").write_bytes(b"png")
    return {}


@pytest.fixture
def fast(monkeypatch):
    """Runs of the tiny world with stand-in result files."""
    monkeypatch.setattr(run, "write_results", _fake_results)


def _tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a hash of its content: what must stay untouched."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _go(*args: str) -> int:
    return run.main(["run", str(TINY), "--quarters", "2", *args])


def test_a_new_folder_gets_the_results_and_a_marker_listing_them(fast, tmp_path):
    """The run's files and a run.json naming each of them appear together."""
    out = tmp_path / "a" / "b"
    assert _go("--out", str(out)) == 0
    marker = json.loads((out / MARKER).read_text())
    assert marker["files"] == ["balance_sheets.csv", "figures/web.png"]
    assert marker["format"] == "ai-financing-web/run/1" and marker["seed"] == 1
    assert not [p for p in tmp_path.rglob(".*")]  # no working folder left behind


def test_a_folder_of_user_files_is_refused_and_left_untouched(fast, tmp_path, capsys):
    """A folder holding a user's file: exit 2, the message says what is there and how to proceed, nothing changes."""
    (tmp_path / "notes.txt").write_text("my notes")
    before = _tree(tmp_path)
    assert _go("--out", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert "notes.txt" in err and "--force" in err and "nothing was written" in err
    assert _tree(tmp_path) == before and sorted(os.listdir(tmp_path)) == ["notes.txt"]


def test_force_adds_the_results_beside_user_files_without_touching_them(fast, tmp_path):
    """With --force the run's files go in beside the user's, which keep their content."""
    (tmp_path / "notes.txt").write_text("my notes")
    assert _go("--out", str(tmp_path), "--force") == 0
    assert (tmp_path / "notes.txt").read_text() == "my notes"
    assert (tmp_path / "balance_sheets.csv").is_file() and (tmp_path / MARKER).is_file()
    assert _go("--out", str(tmp_path)) == 2  # still a folder with other files: --force again or elsewhere
    assert _go("--out", str(tmp_path), "--force") == 0
    assert (tmp_path / "notes.txt").read_text() == "my notes"


def test_force_never_overwrites_a_file_the_program_did_not_write(fast, tmp_path, capsys):
    """A user's file with the name of a result file stops the run even with --force; the file keeps its content."""
    (tmp_path / "balance_sheets.csv").write_text("the user's own table")
    assert _go("--out", str(tmp_path), "--force") == 2
    assert "balance_sheets.csv" in capsys.readouterr().err
    assert (tmp_path / "balance_sheets.csv").read_text() == "the user's own table"
    assert sorted(os.listdir(tmp_path)) == ["balance_sheets.csv"]


def test_an_earlier_run_is_replaced_whole_stale_files_included(fast, tmp_path):
    """Re-running into an earlier run's folder replaces it; a file only the earlier run wrote goes too."""
    out = tmp_path / "r"
    assert _go("--out", str(out)) == 0
    marker = json.loads((out / MARKER).read_text())
    (out / "figures" / "old_figure.png").write_bytes(b"old")  # as if an earlier version drew one more figure
    marker["files"].append("figures/old_figure.png")
    (out / MARKER).write_text(json.dumps(marker))
    assert run.main(["run", str(TINY), "--quarters", "3", "--out", str(out)]) == 0
    assert (out / "balance_sheets.csv").read_text() == "quarters,3\n"
    assert not (out / "figures" / "old_figure.png").exists()
    assert not [p for p in tmp_path.rglob(".*")]


def test_an_earlier_run_with_a_file_added_is_refused(fast, tmp_path, capsys):
    """A file put into an earlier run's folder makes the folder the user's too: exit 2 and the file is named."""
    out = tmp_path / "r"
    assert _go("--out", str(out)) == 0
    (out / "figures" / "my_edit.png").write_bytes(b"mine")
    before = _tree(out)
    assert _go("--out", str(out)) == 2
    assert "figures/my_edit.png" in capsys.readouterr().err
    assert _tree(out) == before


def test_a_marker_cannot_make_the_run_delete_files_outside_its_folder(fast, tmp_path):
    """A doctored run.json that lists ../precious.txt does not make that file the run's to delete."""
    (tmp_path / "precious.txt").write_text("keep")
    out = tmp_path / "r"
    assert _go("--out", str(out)) == 0
    marker = json.loads((out / MARKER).read_text())
    marker["files"].append("../precious.txt")
    (out / MARKER).write_text(json.dumps(marker))
    assert _go("--out", str(out)) == 0
    assert (tmp_path / "precious.txt").read_text() == "keep"


@pytest.mark.parametrize("force", [False, True])
def test_a_git_work_tree_is_refused_even_with_force(fast, tmp_path, force):
    """``--out .`` in a project (a folder with .git) is refused with or without --force; nothing is written."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "code.py").write_text("print()")
    before = _tree(tmp_path)
    assert _go("--out", str(tmp_path), *(["--force"] if force else [])) == 2
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("state", ["finished", "being_written", "inside"])
def test_a_sweep_folder_is_never_touched(fast, tmp_path, state):
    """A finished sweep, one being written (its lock held, no manifest yet) and a path inside one: refused, even with --force."""
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    lock = None
    if state == "being_written":  # a sweep holds its lock a moment before it writes its manifest
        lock = open(sweep / ".lock", "a+")  # held until the run has been refused
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:
        (sweep / "manifest.json").write_text(json.dumps({"format": "ai-financing-web/sweep/1", "fingerprint": "x"}))
        (sweep / "chunks" / "0-9").mkdir(parents=True)
        (sweep / "chunks" / "0-9" / "runs.parquet").write_bytes(b"PAR1")
    before = _tree(sweep)
    out = sweep / "figures" if state == "inside" else sweep
    try:
        assert _go("--out", str(out), "--force") == 2
    finally:
        if lock is not None:
            lock.close()
    assert _tree(sweep) == before and not (sweep / "figures").exists()


def test_the_demo_after_a_sweep_leaves_the_sweep_and_other_runs_intact(fast, tmp_path, monkeypatch):
    """``python run.py`` writes into results/baseline, a folder of its own, not over results/ and what is in it."""
    results = tmp_path / "results"
    sweep = results / "sweeps" / "grid"
    (sweep / "chunks" / "0-9").mkdir(parents=True)
    (sweep / "manifest.json").write_text(json.dumps({"format": "ai-financing-web/sweep/1"}))
    (sweep / "chunks" / "0-9" / "runs.parquet").write_bytes(b"PAR1")
    (results / "ai_winter").mkdir()
    (results / "ai_winter" / "notes.txt").write_text("an analyst's notes")
    before = _tree(results)
    monkeypatch.setattr(run, "DEFAULT_OUT", results)
    monkeypatch.setattr(run, "DEFAULT_CONFIG", TINY)
    assert run.main([]) == 0
    after = _tree(results)
    assert {k: v for k, v in after.items() if not k.startswith("tiny/")} == before
    assert (results / "tiny" / MARKER).is_file()


@pytest.mark.parametrize("name", ["..", "", "../../x", "/abs/x", "a/b"])
def test_a_run_name_is_never_a_path(fast, tmp_path, monkeypatch, name):
    """Without --out the run name becomes results/<name>; a name that would leave results/ is refused (exit 2)."""
    monkeypatch.setattr(run, "DEFAULT_OUT", tmp_path / "results")
    with pytest.raises(OutputFolderError, match="run.name"):
        run.default_out(name)
    config = tmp_path / "c.yaml"
    config.write_text(f"base: {TINY}\nrun: {{name: {json.dumps(name)}}}\n")
    assert run.main(["run", str(config), "--quarters", "1"]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


def test_a_path_under_a_file_is_refused_before_the_run(fast, tmp_path, capsys):
    """``--out file/x``: exit 2 naming the file, nothing simulated or written."""
    (tmp_path / "f").write_text("")
    assert _go("--out", str(tmp_path / "f" / "x")) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_a_folder_without_write_permission_is_refused_before_the_run(fast, tmp_path, monkeypatch, capsys):
    """A folder the user cannot write in is named before anything runs (simulated: tests may run as root)."""
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != tmp_path)
    assert _go("--out", str(tmp_path / "new")) == 2
    assert "permission denied" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_a_failure_while_writing_leaves_the_earlier_run_as_it_was(fast, tmp_path, monkeypatch, capsys):
    """A disk that fills up while the results are written: exit 2, the earlier run intact, no working folder left."""
    out = tmp_path / "r"
    assert _go("--out", str(out)) == 0
    before = _tree(out)

    def full_disk(model, folder, configured_quarters=None):
        (folder / "balance_sheets.csv").write_text("partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run, "write_results", full_disk)
    assert _go("--out", str(out)) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert _tree(out) == before
    assert sorted(os.listdir(tmp_path)) == ["r"]


def test_check_target_names_what_it_found(tmp_path):
    """The decision itself: new, empty, an earlier run, or refused."""
    assert check_target(tmp_path / "nothing").kind == "new"
    assert check_target(tmp_path).kind == "empty"
    with pytest.raises(OutputFolderError, match="NUL"):
        check_target(Path("a\0b"))


def test_the_real_results_are_listed_in_the_marker(tmp_path):
    """A real run (tables and figures) lists every file it wrote, figures included, and nothing else is there."""
    out = tmp_path / "real"
    assert _go("--out", str(out)) == 0
    marker = json.loads((out / MARKER).read_text())
    on_disk = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != MARKER)
    assert marker["files"] == on_disk
    assert "summary.json" in on_disk and any(f.startswith("figures/") for f in on_disk)


def test_a_link_to_an_earlier_run_replaces_the_run_it_points_to(fast, tmp_path):
    """``--out link`` where the link points at an earlier run: the run there is replaced and the link still points to it."""
    real = tmp_path / "real"
    assert _go("--out", str(real)) == 0
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    assert run.main(["run", str(TINY), "--quarters", "3", "--out", str(link)]) == 0
    assert link.is_symlink() and (link / "balance_sheets.csv").read_text() == "quarters,3\n"
    assert sorted(os.listdir(tmp_path)) == ["link", "real"]


def test_a_large_folder_is_refused_after_a_look_at_a_few_files(fast, tmp_path, capsys):
    """A folder with many files of one's own (a home folder, say) is refused naming five of them and 'more'."""
    for i in range(50):
        (tmp_path / f"file{i:02d}.txt").write_text("mine")
    assert _go("--out", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert err.count("file") >= 5 and "and more" in err
    assert len(os.listdir(tmp_path)) == 50


def test_a_runs_config_yaml_runs_again_as_it_is(tmp_path):
    """config.yaml is the resolved config, the code version only in a comment: running it again gives the same tables."""
    import subprocess
    import sys

    from economy.config import load_config

    root = Path(__file__).resolve().parents[1]
    first, second = tmp_path / "first", tmp_path / "second"
    for out, config in ((first, root / "configs" / "baseline.yaml"), (second, first / "config.yaml")):
        done = subprocess.run([sys.executable, str(root / "run.py"), "run", str(config), "-q", "--quarters", "2",
                               "--out", str(out), "--figures", "none"], capture_output=True, text=True, cwd=root)
        assert done.returncode == 0, done.stderr
    text = (first / "config.yaml").read_text(encoding="utf-8")
    assert text.startswith("# the config of this run") and "run it again with --quarters 2" in text
    load_config(first / "config.yaml")
    for name in ("balance_sheets.csv", "system.csv", "events.csv"):
        assert (first / name).read_text(encoding="utf-8") == (second / name).read_text(encoding="utf-8"), name
