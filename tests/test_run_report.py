"""The HTML reports (``report.html`` of a run, ``run.py report`` of a run or a study), figure sets and the run's verbosity.

Runs use the tiny config for a few quarters; everything is written under pytest's ``tmp_path``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

import run
from analysis.figure_workers import FIGURE_SETS, STANDARD_FIGURE_NAMES, FigurePlan, start_figures
from analysis.run_report import GENERATOR, is_report
from economy.run_folder import MARKER, check_target
from tests.sweep_support import tiny_spec

TINY = Path(__file__).parent / "configs" / "tiny.yaml"
OUTSIDE = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def _tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a hash of its content."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _assert_self_contained(text: str) -> None:
    """No address outside the file, no script, no external style sheet or font."""
    assert not OUTSIDE.findall(text)
    assert "<script" not in text.lower() and "<link" not in text.lower() and "@import" not in text
    assert "url(" not in text


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    """One run of the tiny world (4 quarters, standard figures), shared by the tests that only read it."""
    out = tmp_path_factory.mktemp("run") / "tiny"
    assert run.main(["run", str(TINY), "--quarters", "4", "--out", str(out), "-q"]) == 0
    return out


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """A small stored sweep of the tiny world (6 runs of 4 quarters)."""
    base = tmp_path_factory.mktemp("study")
    out = base / "sweep"
    spec = tiny_spec(base, replications=1)
    assert run.main(["sweep", str(spec), "--out", str(out), "--executor", "serial", "--no-progress"]) == 0
    return out


def test_a_run_writes_report_html_listed_in_run_json(tiny_run: Path) -> None:
    """report.html is in the run folder and in its marker's file list, with the summary's figures and the metadata."""
    marker = json.loads((tiny_run / MARKER).read_text())
    assert "report.html" in marker["files"] and marker["figures"] == "standard"
    text = (tiny_run / "report.html").read_text(encoding="utf-8")
    assert GENERATOR in text[:600] and is_report(tiny_run / "report.html")
    summary = json.loads((tiny_run / "summary.json").read_text())
    for fact in (f"seed {marker['seed']}", marker["code_version"], str(TINY.resolve()), "Headline figures",
                 "The story, quarter by quarter", "Defaults", "Rescues", "Losses", "Resolved config"):
        assert fact in text, fact
    assert f">{summary['defaults']}<" in text
    pngs = sorted((tiny_run / "figures").glob("*.png"))
    assert pngs and text.count('src="data:image/png;base64,') == len(pngs)
    assert check_target(tiny_run).kind == "run"  # the folder is still an earlier run a new run may replace


def test_the_report_is_self_contained(tiny_run: Path) -> None:
    """No src or href leads out of the file: every figure is inline and nothing is fetched."""
    _assert_self_contained((tiny_run / "report.html").read_text(encoding="utf-8"))


def test_the_story_and_tables_come_from_the_run_s_files(tmp_path: Path) -> None:
    """A run with defaults shows each default's row and every event's text, escaped."""
    out = tmp_path / "winter"
    bust = tmp_path / "bust.yaml"
    bust.write_text(f"base: {TINY}\nworld: {{demand: {{regime_path: [{{from: 2026Q1, regime: bust}}]}}}}\n")
    assert run.main(["run", str(bust), "--quarters", "8", "--out", str(out), "--figures", "none", "-q"]) == 0
    text = (out / "report.html").read_text(encoding="utf-8")
    import html

    import pandas as pd

    events = pd.read_csv(out / "events.csv")
    assert len(events) and all(html.escape(t.partition(": ")[2]) in text for t in events["text"])
    cascade = pd.read_csv(out / "cascade.csv")
    if len(cascade):
        assert "No company defaulted" not in text
    else:
        assert "No company defaulted" in text


def test_figures_none_draws_nothing_and_the_report_says_so(tmp_path: Path) -> None:
    """--figures none: no figures folder, the marker says none, the report says the figures were skipped."""
    out = tmp_path / "bare"
    assert run.main(["run", str(TINY), "--quarters", "2", "--out", str(out), "--figures", "none", "-q"]) == 0
    assert not (out / "figures").exists()
    marker = json.loads((out / MARKER).read_text())
    assert marker["figures"] == "none" and not [f for f in marker["files"] if f.startswith("figures/")]
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "Figures were skipped" in text and "data:image/png" not in text


def test_figures_all_holds_the_standard_set_and_more(tmp_path: Path) -> None:
    """--figures all draws every standard figure the run has data for, each role's balance sheets and year-end webs."""
    out = tmp_path / "all"
    assert run.main(["run", str(TINY), "--quarters", "6", "--out", str(out), "--figures", "all", "-q"]) == 0
    names = {p.stem for p in (out / "figures").glob("*.png")}
    standard = tmp_path / "standard"
    assert run.main(["run", str(TINY), "--quarters", "6", "--out", str(standard), "-q"]) == 0
    assert {p.stem for p in (standard / "figures").glob("*.png")} < names
    assert {"balance_sheets_lab", "balance_sheets_hyperscaler", "contract_web_2026Q4"} <= names
    text = (out / "report.html").read_text(encoding="utf-8")
    assert text.count('src="data:image/png;base64,') == len(names)


def test_parallel_figures_are_the_serial_ones_byte_for_byte(tiny_run: Path, tmp_path: Path) -> None:
    """Figures drawn by two worker processes are identical to those drawn in this process."""
    serial = start_figures(tiny_run, tmp_path / "serial", "standard", FigurePlan("standard", processes=0)).wait()
    with FigurePlan("standard", processes=2) as plan:
        parallel = start_figures(tiny_run, tmp_path / "parallel").wait()
        assert plan.processes == 2
    assert [p.name for p in serial] == [p.name for p in parallel]
    assert _tree(tmp_path / "serial") == _tree(tmp_path / "parallel") == _tree(tiny_run / "figures")


def test_the_figure_sets_agree_with_the_figures_package() -> None:
    """The light module's names (run.py imports it without matplotlib) are the figures package's."""
    from analysis import figures

    assert figures.FIGURE_SETS == FIGURE_SETS == ("none", "standard", "all")
    assert figures.STANDARD_FIGURE_NAMES == STANDARD_FIGURE_NAMES


def test_report_command_renders_the_run_s_own_report_again(tiny_run: Path, tmp_path: Path, capsys) -> None:
    """`run.py report RUN` rewrites the run's report.html (the file its marker lists), the same but for the time."""
    before = (tiny_run / "report.html").read_text(encoding="utf-8")
    assert run.main(["report", str(tiny_run)]) == 0
    assert str(tiny_run / "report.html") in capsys.readouterr().out
    after = (tiny_run / "report.html").read_text(encoding="utf-8")
    strip = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00")
    assert strip.sub("T", before) == strip.sub("T", after)
    assert check_target(tiny_run).kind == "run"
    assert not [p for p in tiny_run.parent.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_report_command_with_out_writes_there(tiny_run: Path, tmp_path: Path) -> None:
    """--out FILE writes the report there, and may replace a report written earlier."""
    out = tmp_path / "mine.html"
    assert run.main(["report", str(tiny_run), "--out", str(out), "-q"]) == 0
    assert is_report(out)
    assert run.main(["report", str(tiny_run), "--out", str(out), "-q"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.html"]


def test_an_older_run_without_a_report_gets_one_beside_its_folder(tmp_path: Path) -> None:
    """A run folder whose marker lists no report.html is not added to: the report goes beside it."""
    out = tmp_path / "old"
    assert run.main(["run", str(TINY), "--quarters", "2", "--out", str(out), "--figures", "none", "-q"]) == 0
    (out / "report.html").unlink()
    marker = json.loads((out / MARKER).read_text())
    marker["files"].remove("report.html")
    (out / MARKER).write_text(json.dumps(marker))
    before = _tree(out)
    assert run.main(["report", str(out), "-q"]) == 0
    assert _tree(out) == before
    assert is_report(tmp_path / "old-report.html")


def test_a_study_report_holds_the_markdown_report_and_its_figures(study: Path, tmp_path: Path) -> None:
    """`run.py report STUDY` writes one page with the study's report content and its figures inline; the study is only read."""
    before = _tree(study)
    out = tmp_path / "study.html"
    assert run.main(["report", str(study), "--out", str(out), "-q"]) == 0
    assert _tree(study) == before
    text = out.read_text(encoding="utf-8")
    assert GENERATOR in text[:600]
    for fact in ("Parameter study: tiny_grid", "<h2>Outcomes</h2>", "growth", "rate_shift", "6 of 6 planned (6 ok, 0 failed)"):
        assert fact in text, fact
    assert "<table>" in text and 'src="data:image/png;base64,' in text
    assert "![" not in text and "](figures/" not in text  # every image converted and inlined
    _assert_self_contained(text)


def test_a_study_report_defaults_to_a_file_beside_the_study(study: Path) -> None:
    """Without --out, the study's report is STUDY-report.html beside the folder, never inside it."""
    assert run.main(["report", str(study), "-q"]) == 0
    beside = study.parent / f"{study.name}-report.html"
    assert is_report(beside) and not (study / "report.html").exists()
    beside.unlink()


@pytest.mark.parametrize("case", ["missing", "file", "neither", "out_foreign", "out_folder", "out_no_parent",
                                  "out_in_study", "run_without_summary"])
def test_bad_input_exits_2_names_the_path_and_writes_nothing(case: str, tiny_run: Path, study: Path, tmp_path: Path,
                                                             capsys) -> None:
    """Each mistake: exit 2, one message on stderr naming the path and what would be valid, nothing written."""
    source, args, named = tiny_run, [], None
    if case == "missing":
        source = named = tmp_path / "nope"
    elif case == "file":
        source = named = tmp_path / "notes.txt"
        source.write_text("mine")
    elif case == "neither":
        source = named = tmp_path / "mine"
        source.mkdir()
        (source / "data.csv").write_text("a,b\n")
    elif case == "out_foreign":
        named = tmp_path / "index.html"
        named.write_text("<html>my own page</html>")
        args = ["--out", str(named)]
    elif case == "out_folder":
        named = tmp_path / "folder.html"
        named.mkdir()
        args = ["--out", str(named)]
    elif case == "out_no_parent":
        named = tmp_path / "no" / "such" / "r.html"
        args = ["--out", str(named)]
    elif case == "out_in_study":
        named = study / "r.html"
        args = ["--out", str(named)]
    elif case == "run_without_summary":
        source = named = tmp_path / "broken"
        source.mkdir()
        (source / MARKER).write_text(json.dumps({"format": "ai-financing-web/run/1", "files": []}))
    watched = {"tmp": _tree(tmp_path), "run": _tree(tiny_run), "study": _tree(study)}
    assert run.main(["report", str(source), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and str(named) in err
    if case in ("missing", "file", "neither"):
        assert "run folder" in err and "study folder" in err and "run.json" in err and "manifest.json" in err
    assert "nothing was written" in err
    assert {"tmp": _tree(tmp_path), "run": _tree(tiny_run), "study": _tree(study)} == watched


def test_progress_goes_to_stderr_and_quiet_says_nothing(tmp_path: Path, capsys) -> None:
    """By default a line per simulated year on stderr and the paths on stdout; -q prints nothing; -v adds timings."""
    assert run.main(["run", str(TINY), "--quarters", "5", "--out", str(tmp_path / "a"), "--figures", "none"]) == 0
    out, err = capsys.readouterr()
    assert re.search(r"^2026Q4  quarter 4/5", err, re.M) and re.search(r"^2027Q1  quarter 5/5", err, re.M)
    assert f"report: {tmp_path / 'a' / 'report.html'}" in out
    assert run.main(["run", str(TINY), "--quarters", "5", "--out", str(tmp_path / "b"), "--figures", "none", "-q"]) == 0
    assert capsys.readouterr() == ("", "")
    assert run.main(["run", str(TINY), "--quarters", "2", "--out", str(tmp_path / "c"), "-v"]) == 0
    err = capsys.readouterr().err
    assert "run: results written in" in err and "analysis.figure_workers: drew" in err  # the workers' own lines go to fd 2


def test_quiet_and_verbose_together_is_a_usage_error(tmp_path: Path, capsys) -> None:
    """-q and -v exclude each other: argparse's exit 2, nothing written."""
    with pytest.raises(SystemExit) as stop:
        run.main(["run", str(TINY), "--out", str(tmp_path / "x"), "-q", "-v"])
    assert stop.value.code == 2 and "not allowed with" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
