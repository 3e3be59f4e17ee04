"""The documentation stays true to the code.

* ``docs/outputs.md`` names every file, CSV column and ``summary.json`` key a run writes,
  and nothing that no longer exists (a short AI-winter run is the evidence);
* the examples in ``docs/api.md`` run and print what the page says (a doctest);
* ``docs/build_reference.py`` writes a page for every public module naming its public
  functions and classes, and every one of them has a docstring. The generated pages are
  not committed (the internals move too fast), so the script is run into ``tmp_path``.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import inspect
import json
import pkgutil
import re
import subprocess
import sys
import tempfile
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
    """Statuses, contract states, channels and payment kinds documented are exactly the code's."""
    from agents import Status
    from economy.channels import Channel
    from economy.contracts import State
    from economy.flows import PAYMENT_KINDS

    coded = _coded_values()
    assert coded["balance_sheets.status"] == {s.value for s in Status}
    assert coded["contracts.state"] == {s.value for s in State}
    assert coded["channel"] == {c.value for c in Channel}
    assert coded["payments.kind"] == set(PAYMENT_KINDS)


def test_study_metrics_are_documented(run_folder):
    """The per-run metrics of a parameter study (run_metrics) are the documented runs.parquet columns."""
    from analysis.summary import run_metrics

    summary = json.loads((run_folder / "summary.json").read_text(encoding="utf-8"))
    documented = _names(_file_section("runs.parquet"), "column")
    assert list(run_metrics(summary)) == documented


# ---------------------------------------------------------------------------------------------- api.md
def test_api_page_examples_run(tmp_path, monkeypatch):
    """Every ``>>>`` example of docs/api.md gives the output shown (ELLIPSIS, NORMALIZE_WHITESPACE), run from the root."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the page's temporary folders land in tmp_path
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    path = DOCS / "api.md"
    test = doctest.DocTestParser().get_doctest(path.read_text(encoding="utf-8"), {}, "api.md", str(path), 0)
    assert len(test.examples) > 20
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


# ---------------------------------------------------------------------------------------------- the reference
PACKAGES = ("agents", "economy", "analysis")


def _public_modules() -> list[str]:
    """``model`` and every module of the packages without a ``_`` part, found here independently of the script."""
    names = ["model"]
    for package in PACKAGES:
        names.append(package)
        names += [i.name for i in pkgutil.walk_packages(importlib.import_module(package).__path__, f"{package}.")
                  if not any(part.startswith("_") for part in i.name.split("."))]
    return names


def _defined(module) -> list[tuple[str, object]]:
    """Public functions and classes a module defines itself."""
    return [(n, o) for n, o in vars(module).items() if not n.startswith("_")
            and (inspect.isfunction(o) or inspect.isclass(o)) and getattr(o, "__module__", None) == module.__name__]


def _script():
    spec = importlib.util.spec_from_file_location("build_reference", DOCS / "build_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reference_documents_every_public_module_and_name(tmp_path):
    """The script, run into tmp_path, writes one page per public module naming each public function and class."""
    out = tmp_path / "reference"
    result = subprocess.run([sys.executable, str(DOCS / "build_reference.py"), "--out", str(out)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (out / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"  # never committed by accident
    index = (out / "index.md").read_text(encoding="utf-8")
    missing = []
    for name in _public_modules():
        page = out / f"{name}.md"
        if not page.is_file() or f"({name}.md)" not in index:
            missing.append(f"{name}: no page")
            continue
        text = page.read_text(encoding="utf-8")
        module = importlib.import_module(name)
        public = getattr(module, "__all__", None)  # a module's __all__ says what it offers; else its unprefixed names
        missing += [f"{name}.{n}" for n, _ in _defined(module) if (public is None or n in public) and f"## `{n}`" not in text]
    assert not missing, f"not in the reference: {missing}"
    # the names the API page relies on, wherever they are defined
    for module, names in {"model": ["AIFinanceModel", "BASELINE"], "economy.records": ["frames"],
                          "analysis.summary": ["summarize", "run_metrics"], "analysis.results": ["load_results", "Results"],
                          "analysis.study": ["load_sweep"], "economy.config": ["load_config", "with_overrides", "Config"],
                          "analysis.figures": ["save_standard_figures", "losses_by_channel", "contract_web"]}.items():
        text = (out / f"{module}.md").read_text(encoding="utf-8")
        assert all(f"`{n}`" in text for n in names), module


def test_every_public_function_and_class_has_a_docstring():
    """Public functions, classes, and their own public methods and properties in the documented modules have docstrings."""
    missing = []
    for name in _public_modules():
        module = importlib.import_module(name)
        if not (module.__doc__ or "").strip():
            missing.append(name)
        for n, obj in _defined(module):
            if not (obj.__doc__ or "").strip():
                missing.append(f"{name}.{n}")
            if inspect.isclass(obj):
                for m, member in vars(obj).items():
                    if m.startswith("_"):
                        continue
                    if isinstance(member, property):
                        doc = member.__doc__
                    elif inspect.isfunction(member) or isinstance(member, (classmethod, staticmethod)):
                        doc = getattr(member, "__func__", member).__doc__
                    else:
                        continue
                    if not (doc or "").strip():
                        missing.append(f"{name}.{n}.{m}")
    assert not missing, f"no docstring: {missing}"


def test_reference_never_overwrites_a_file_it_did_not_write(tmp_path, capsys):
    """A page name taken by someone's own file stops the script with status 2, and nothing is written."""
    out = tmp_path / "mine"
    out.mkdir()
    (out / "model.md").write_text("my notes\n", encoding="utf-8")
    assert _script().main(["--out", str(out)]) == 2
    assert sorted(p.name for p in out.iterdir()) == ["model.md"]
    assert (out / "model.md").read_text(encoding="utf-8") == "my notes\n"
    assert "did not write" in capsys.readouterr().err
