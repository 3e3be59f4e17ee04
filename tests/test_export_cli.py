"""`run.py export` writes a handout atomically and never replaces a file that is not an earlier handout."""

from __future__ import annotations

from pathlib import Path

import pytest

import run

TINY = Path(__file__).parent / "configs" / "tiny.yaml"
pytest.importorskip("matplotlib_fontja")  # the classroom extras, which `make test` installs


def _export(out: Path, *extra: str) -> int:
    return run.main(["export", str(TINY), "--out", str(out), "--quarters", "3", "--lang", "en", *extra])


def test_a_handout_is_written_and_an_earlier_one_replaced(tmp_path):
    """A new file is written whole; exporting again over it replaces it; no partial file stays behind."""
    out = tmp_path / "handout.html"
    assert _export(out) == 0
    first = out.read_text(encoding="utf-8")
    assert first.startswith("<!DOCTYPE html>") and "ai-financing-web handout" in first
    assert _export(out, "--seed", "5") == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["handout.html"]


def test_a_file_of_ones_own_is_never_replaced(tmp_path, capsys):
    """An existing file that is not a handout: exit 2, its content untouched."""
    out = tmp_path / "notes.html"
    out.write_text("<html>my notes</html>")
    assert _export(out) == 2
    assert "not a handout this program wrote" in capsys.readouterr().err
    assert out.read_text() == "<html>my notes</html>"


@pytest.mark.parametrize(("args", "message"), [(["--lang", "fr"], "choose from"),
                                               (["--out", "/nonexistent/dir/h.html"], "does not exist")])
def test_bad_arguments_are_refused_with_exit_2(tmp_path, capsys, args, message):
    """An unknown language or a missing folder: exit 2 with the reason, nothing written."""
    argv = ["export", str(TINY), "--out", str(tmp_path / "h.html"), "--quarters", "2", *args]
    assert run.main(argv) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_broken_scenario_is_refused_with_the_config_message(tmp_path, capsys):
    """A config error stops the export with the same message as `run`, and nothing is written."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("run: {quarters: true}\n")
    assert run.main(["export", str(bad), "--out", str(tmp_path / "h.html")]) == 2
    assert "bad.yaml" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]
