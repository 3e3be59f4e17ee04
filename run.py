"""Command line: run a scenario and write its tables, figures and event log.

    python run.py                      # the baseline, into results/baseline/
    python run.py run [CONFIG] [--seed N] [--quarters Q] [--out DIR] [--force]
    python run.py sweep SPEC | analyze DIR | compare SCENARIO... --seeds N   # parameter studies (README)
    python run.py export SCENARIO... --out handout.html   # a self-contained HTML handout (classroom extras)

This is the composition root: it may import every layer, and hands the parameter
studies what they need from above ``economy`` in a :func:`study_kit`.

Exit status 0 on success, 2 for a mistake in the input (the message names the file,
the field and what would be valid), 1 if the model itself stops on a broken invariant.
Nothing is written to the output folder unless the run completes, and nothing a run did
not write itself is ever overwritten or deleted (see :mod:`economy.run_folder`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd
import yaml

from economy.provenance import code_version, whole_number
from economy.sweep.cli import COMMANDS as STUDY_COMMANDS
from economy.sweep.cli import add_study_commands, dispatch
from economy.sweep.kit import StudyKit

ROOT = Path(__file__).resolve().parent
DEFAULT_CONFIG = ROOT / "configs" / "baseline.yaml"
# In a checkout (pyproject.toml beside run.py; an editable install too) results go into the project's results/,
# as always; from an installed wheel, into results/ of the folder the command runs in, never site-packages.
DEFAULT_OUT = ROOT / "results" if (ROOT / "pyproject.toml").is_file() else Path.cwd() / "results"


def parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(prog="run.py", description="Simulate the AI financing web quarter by quarter.")
    sub = p.add_subparsers(dest="command")
    r = sub.add_parser("run", help="run one scenario and write its results")
    r.add_argument("config", nargs="?", default=str(DEFAULT_CONFIG), help="config YAML (default: configs/baseline.yaml)")
    r.add_argument("--seed", type=whole_number(0), default=None, help="seed (default: the config's run.seed)")
    r.add_argument("--quarters", type=whole_number(1, 200), default=None, help="quarters to simulate (default: the config's)")
    r.add_argument("--out", default=None, help="output folder (default: results/<run.name>); must be new, empty or an "
                                                "earlier run of this program (README: where results go)")
    r.add_argument("--force", action="store_true", help="add the results to a folder holding other files too "
                                                        "(never overwrites or deletes a file this program did not write)")
    e = sub.add_parser("export", help="write a self-contained HTML handout that plays scenarios back (classroom extras)")
    e.add_argument("configs", nargs="+", help="config YAMLs, one scenario each")
    e.add_argument("--out", required=True, help="the HTML file to write (new, or a handout written earlier)")
    e.add_argument("--lang", default="en,ja", help="languages, comma-separated, the first shown first (default: en,ja)")
    e.add_argument("--seed", type=whole_number(0), default=None, help="seed for every scenario (default: each config's)")
    e.add_argument("--quarters", type=whole_number(1, 200), default=None, help="quarters (default: each config's)")
    e.add_argument("--embed-font", action="store_true", help="inline the Japanese font (adds ~8 MB)")
    add_study_commands(sub)
    return p


def release_model(model) -> None:
    """Let a model whose run is over (finished or failed) be freed.

    Mesa 3.3.1 keeps every model alive in a class-level table of agent-id counters
    (``mesa.Agent._ids``; mesa/mesa#3179, fixed upstream in #3180): a worker making
    thousands of runs would otherwise grow by about 2 MB a run. ``AIFinanceModel.run``
    lets a finished run go itself; this also covers a run that raised part-way.
    """
    import mesa

    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)


def study_kit() -> StudyKit:
    """What the parameter studies need from the model and the analysis (``economy`` imports neither).

    Workers receive it pickled: the model class and the analysis functions travel by
    name, and each worker process imports the ``preload`` modules when it starts.
    """
    from analysis.report import ReportError, write_report
    from analysis.study import load_sweep, sweep_manifest
    from analysis.study_figures import fan_chart
    from analysis.study_tables import KEY_SERIES, comparison_table, describe_metrics, key_metrics
    from analysis.summary import run_metrics, summarize
    from economy.sweep.kit import StudyReports, metric_names_of
    from model import AIFinanceModel

    reports = StudyReports(write_report=write_report, report_error=ReportError, load_sweep=load_sweep,
                           sweep_manifest=sweep_manifest, fan_chart=fan_chart, key_series=tuple(KEY_SERIES),
                           key_metrics=key_metrics, describe_metrics=describe_metrics, comparison_table=comparison_table)
    return StudyKit(model_factory=AIFinanceModel, summarize=summarize, run_metrics=run_metrics,
                    metric_names=metric_names_of(run_metrics), release=release_model,
                    preload=("model", "analysis.summary"), reports=reports)


def export_command(args: argparse.Namespace) -> int:
    """Write a handout atomically; refuse to replace any file but an earlier handout. Return the exit status."""
    try:
        from classroom.export import GENERATOR, export_html
        from classroom.i18n import LANGUAGE_NAMES
    except ImportError as err:
        print(f"error: the handout needs the classroom extras ({err.name} is missing): run `make classroom` once, "
              "or install requirements-classroom.txt", file=sys.stderr)
        return 2
    from economy.config import ConfigError

    out = Path(args.out)
    languages = tuple(x.strip() for x in args.lang.split(",") if x.strip())
    unknown = [x for x in languages if x not in LANGUAGE_NAMES]
    if not languages or unknown:
        print(f"error: --lang {args.lang!r}: choose from {', '.join(LANGUAGE_NAMES)}", file=sys.stderr)
        return 2
    if out.exists() and not (out.is_file() and GENERATOR in out.read_text(encoding="utf-8", errors="replace")[:400]):
        print(f"error: --out {out}: exists and is not a handout this program wrote; nothing was written. "
              "Give a new file name", file=sys.stderr)
        return 2
    if not out.parent.is_dir():
        print(f"error: --out {out}: the folder {out.parent} does not exist", file=sys.stderr)
        return 2
    tmp = out.with_name(f".{out.name}.partial")
    try:
        export_html(args.configs, tmp, languages, args.seed, args.quarters, args.embed_font)
        os.replace(tmp, out)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: --out {out}: cannot write the handout: {err.strerror or err}", file=sys.stderr)
        return 2
    finally:
        if tmp.exists():
            tmp.unlink()
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB): open it in any browser")
    return 0


def write_results(model, out: Path) -> dict:
    """Write every table, the summary, the resolved config and the figures into ``out``."""
    from analysis.figures import save_standard_figures
    from analysis.results import load_results
    from analysis.summary import summarize
    from economy.records import frames

    fmt = "%.10g"
    tables = frames(model)
    for name, df in tables.items():
        df.to_csv(out / f"{name}.csv", index=False, float_format=fmt, lineterminator="\n")
    labs = [co.entity for co in model.companies if co.role == "lab"]
    summary = summarize(tables, labs)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    resolved = {"code_version": code_version(), **model.config.model_dump(mode="json", by_alias=True)}
    (out / "config.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False), encoding="utf-8")
    figures = out / "figures"
    figures.mkdir()
    save_standard_figures(load_results(out), figures)
    return summary


def print_summary(model, summary: dict) -> None:
    """A table a person can read in the terminal."""
    from economy.records import BALANCE_SHEET_COLUMNS

    df = pd.DataFrame(model.recorder.balance_rows, columns=BALANCE_SHEET_COLUMNS)
    last = df[df.quarter == df.quarter.iloc[-1]]
    last = last[last.role != "external"]
    cols = ["entity", "role", "status", "cash", "debt", "equity", "market_value", "revenue", "net_income", "capacity_gw",
            "backlog"]
    print(f"\n{model.config.run.name}: {model.config.run.quarters} quarters from {model.origin}, seed {model.config.run.seed}")
    print(f"state after {df.quarter.iloc[-1]} ($B; revenue and net income for the quarter):")
    print(last[cols].to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
    print("\nsummary:")
    for key in ("defaults", "defaulted", "rescued", "systemic_event", "total_losses", "fiscal_cost", "peak_partner_debt",
                "ai_capex_share_gdp_peak"):
        print(f"  {key}: {summary.get(key)}")
    for lab, figs in summary.get("labs", {}).items():
        print(f"  {lab}: burn 2026-29 ${figs.get('cumulative_burn_2026_2029')}B, first profitable year "
              f"{figs.get('first_profitable_year')}, status {figs.get('final_status')}")


def run_command(config: str, seed: int | None, quarters: int | None, out: str | None, force: bool = False) -> int:
    """Validate, simulate, write atomically; return the exit status."""
    from economy.config import ConfigError, load_config
    from economy.ledger import AccountingError
    from economy.run_folder import OutputFolderError, check_target, write_run
    from model import AIFinanceModel

    try:
        cfg = load_config(config)
        cfg = cfg.with_run(seed=seed, quarters=quarters)
        target = check_target(Path(out) if out else default_out(cfg.run.name), force)
    except (ConfigError, OutputFolderError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        model = AIFinanceModel(config=cfg).run()
    except AccountingError as err:
        print(f"error: the model stopped on a broken accounting invariant: {err}", file=sys.stderr)
        return 1
    summary: dict = {}

    def write(folder: Path) -> None:
        summary.update(write_results(model, folder))

    about = {"config": str(Path(config).resolve()), "name": cfg.run.name, "seed": cfg.run.seed, "code_version": code_version()}
    try:
        write_run(target, write, about)
    except OutputFolderError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print_summary(model, summary)
    print(f"\nwrote {target.path}/ (balance_sheets.csv, contracts.csv, contract_flows.csv, system.csv, events.csv, "
          f"cascade.csv, losses.csv, summary.json, config.yaml, figures/, run.json)")
    return 0


def default_out(name: str) -> Path:
    """``results/<run.name>``; the config's schema keeps names to one plain folder name, checked here again."""
    out = DEFAULT_OUT / name
    if not name or out.parent != DEFAULT_OUT or name in (".", "..") or Path(name).is_absolute():
        from economy.run_folder import OutputFolderError

        raise OutputFolderError(f"run.name {name!r} cannot be a folder name under {DEFAULT_OUT}; "
                                "use letters, digits, '-' and '_'")
    return out


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parser().parse_args(argv)
    if args.command is None:
        return run_command(str(DEFAULT_CONFIG), None, None, None)
    if args.command in STUDY_COMMANDS:
        return dispatch(args, study_kit())
    if args.command == "export":
        return export_command(args)
    return run_command(args.config, args.seed, args.quarters, args.out, args.force)


if __name__ == "__main__":
    sys.exit(main())
