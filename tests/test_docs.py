"""The documentation stays true to the code.

* ``docs/outputs.md`` names every file, CSV column and ``summary.json`` key a run writes,
  and nothing that no longer exists (a short AI-winter run is the evidence).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
OUTPUTS = DOCS / "outputs.md"
SCENARIO = ROOT / "configs" / "scenarios" / "ai_winter.yaml"
QUARTERS = 8  # long enough for the AI winter to bring defaults, losses and a cascade

# ---------------------------------------------------------------------------------------------- reading outputs.md
_TICKED = re.compile(r"^`([^`]+)`$")


def _sections(text: str, level: str = "## ") -> dict[str, str]:
    """The page's sections at one heading level: heading text -> body (up to the next heading of that level)."""
    out: dict[str, str] = {}
    heading, body = None, []
    for line in text.splitlines():
        if line.startswith(level):
            if heading is not None:
                out[heading] = "\n".join(body)
            heading, body = line[len(level):].strip(), []
        elif heading is not None:
            body.append(line)
    if heading is not None:
        out[heading] = "\n".join(body)
    return out


def _tables(body: str) -> list[list[list[str]]]:
    """The Markdown tables in a body, each a list of rows of stripped cells (separator rows dropped)."""
    tables, rows = [], []
    for line in body.splitlines() + [""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(set(c) <= set("-: ") for c in cells):
                rows.append(cells)
        elif rows:
            tables.append(rows)
            rows = []
    return tables


def _names(body: str, header: str) -> list[str]:
    """The back-ticked first cells of the tables in ``body`` whose first header cell is ``header``."""
    names = []
    for table in _tables(body):
        if table[0][0] == header:
            names += [m.group(1) for row in table[1:] if (m := _TICKED.match(row[0]))]
    return names


def _file_section(name: str) -> str:
    """The body of the ``## `name` …`` section of outputs.md, before its first subsection."""
    for heading, body in _sections(OUTPUTS.read_text(encoding="utf-8")).items():
        if heading.startswith(f"`{name}`"):
            return body.split("\n### ")[0]
    raise AssertionError(f"docs/outputs.md has no section for {name}")


def _coded_values() -> dict[str, set[str]]:
    """``table.column`` (or ``channel``, for every table's channel column) -> the values documented."""
    coded = _sections(OUTPUTS.read_text(encoding="utf-8"))["Coded values"]
    out = {}
    for heading, body in _sections(coded, "### ").items():
        key = heading.split()[0].strip("`")
        out[key] = set(_names(body, "value"))
    return out


def _pattern(key: str) -> re.Pattern:
    """A documented summary key such as ``labs.<lab>.final_status`` as a pattern over dotted paths."""
    parts = [r"[^.]+" if re.fullmatch(r"<[a-z]+>", p) else re.escape(p) for p in key.split(".")]
    return re.compile(r"\.".join(parts) + "$")


# ---------------------------------------------------------------------------------------------- the evidence
@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """A short AI-winter run written by the command line, as a user would make it."""
    out = tmp_path_factory.mktemp("outputs") / "ai_winter"
    result = subprocess.run([sys.executable, "run.py", "run", str(SCENARIO), "--quarters", str(QUARTERS), "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def _csv_header(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()[0].split(",")


def test_every_csv_column_is_documented_and_nothing_more(run_folder):
    """For each CSV a run writes, the dictionary lists exactly its columns."""
    csvs = sorted(run_folder.glob("*.csv"))
    assert csvs
    problems = []
    for path in csvs:
        written = _csv_header(path)
        documented = _names(_file_section(path.name), "column")
        if missing := [c for c in written if c not in documented]:
            problems.append(f"{path.name}: not in docs/outputs.md: {missing}")
        if stale := [c for c in documented if c not in written]:
            problems.append(f"{path.name}: in docs/outputs.md but no longer written: {stale}")
        if len(set(documented)) != len(documented):
            problems.append(f"{path.name}: a column is documented twice")
    assert not problems, "\n".join(problems)


def test_every_documented_csv_is_written(run_folder):
    """A CSV section of the dictionary is a file the run still writes."""
    sections = [h.split("`")[1] for h in _sections(OUTPUTS.read_text(encoding="utf-8")) if h.startswith("`")]
    gone = [name for name in sections if name.endswith(".csv") and not (run_folder / name).is_file()]
    assert not gone, f"documented but not written: {gone}"


def test_every_summary_key_is_documented_and_nothing_more(run_folder):
    """Every path of summary.json matches a documented key, and every documented key matches a path."""
    summary = json.loads((run_folder / "summary.json").read_text(encoding="utf-8"))
    documented = _names(_file_section("summary.json"), "key")
    patterns = {key: _pattern(key) for key in documented}
    used: set[str] = set()
    undocumented: list[str] = []

    def walk(value, path: str) -> None:
        hits = [key for key, pat in patterns.items() if path and pat.match(path)]
        if hits:  # a documented leaf or map: not looked into further
            used.update(hits)
        elif isinstance(value, dict) and value:
            for k, v in value.items():
                walk(v, f"{path}.{k}" if path else str(k))
        else:
            undocumented.append(path)

    walk(summary, "")
    assert not undocumented, f"summary.json keys missing from docs/outputs.md: {undocumented}"
    assert set(documented) == used, f"documented but no longer in summary.json: {sorted(set(documented) - used)}"


def test_run_marker_and_config_keys_are_documented(run_folder):
    """The keys of run.json and the top-level keys of config.yaml are the documented ones."""
    marker = json.loads((run_folder / "run.json").read_text(encoding="utf-8"))
    assert set(marker) == set(_names(_file_section("run.json"), "key"))
    config = yaml.safe_load((run_folder / "config.yaml").read_text(encoding="utf-8"))
    assert set(config) == set(_names(_file_section("config.yaml"), "key"))


def test_every_file_written_is_named(run_folder):
    """Each file the run lists in run.json (figures included) is named in the dictionary."""
    text = OUTPUTS.read_text(encoding="utf-8")
    files = json.loads((run_folder / "run.json").read_text(encoding="utf-8"))["files"] + ["run.json"]
    unnamed = [f for f in files if f"`{Path(f).name}`" not in text]
    assert not unnamed, f"written but not in docs/outputs.md: {unnamed}"


def test_coded_values_written_are_documented(run_folder):
    """Every value of a coded column (status, kinds, states, channels, regimes, roles) in the run is documented."""
    import pandas as pd

    coded = _coded_values()
    problems = []
    for path in sorted(run_folder.glob("*.csv")):
        table = path.stem
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in df.columns:
            key = "channel" if column == "channel" else f"{table}.{column}"
            if key not in coded:
                continue
            extra = sorted(set(df[column]) - coded[key] - {""})
            if extra:
                problems.append(f"{table}.{column}: {extra}")
    assert not problems, "values written but not in docs/outputs.md, Coded values: " + "; ".join(problems)


def test_coded_values_match_the_enums():
    """Statuses, contract states and channels documented are exactly the code's enums."""
    from agents import Status
    from economy.channels import Channel
    from economy.contracts import State

    coded = _coded_values()
    assert coded["balance_sheets.status"] == {s.value for s in Status}
    assert coded["contracts.state"] == {s.value for s in State}
    assert coded["channel"] == {c.value for c in Channel}


def test_study_metrics_are_documented(run_folder):
    """The per-run metrics of a parameter study (run_metrics) are the documented runs.parquet columns."""
    from analysis.summary import run_metrics

    summary = json.loads((run_folder / "summary.json").read_text(encoding="utf-8"))
    documented = _names(_file_section("runs.parquet"), "column")
    assert list(run_metrics(summary)) == documented
