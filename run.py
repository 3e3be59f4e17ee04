"""Command line: run a scenario and write its tables, figures and event log.

    python run.py                      # the baseline, into results/baseline/
    python run.py run [CONFIG] [--seed N] [--quarters Q] [--out DIR] [--force] [--figures none|standard|all] [-q|-v]
    python run.py report RUN_OR_STUDY [--out FILE]   # the self-contained HTML report of a run or a study folder
    python run.py sweep SPEC | analyze DIR | compare SCENARIO... --seeds N   # parameter studies (README)
    python run.py export SCENARIO... --out handout.html   # a self-contained HTML handout (classroom extras)
    python run.py circularity [CONFIG...] [--seeds N]   # round-tripped revenue and outside funding across seeds

This is the composition root: it may import every layer, and hands the parameter
studies what they need from above ``economy`` in a :func:`study_kit`.

Exit status 0 on success, 2 for a mistake in the input (the message names the file,
the field and what would be valid), 1 if the model itself stops on a broken invariant.
Nothing is written to the output folder unless the run completes, and nothing a run did
not write itself is ever overwritten or deleted (see :mod:`economy.run_folder`).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
import time
from pathlib import Path

from analysis.figure_workers import FIGURE_SETS, FigurePlan
from economy.provenance import code_version, whole_number
from economy.sweep.cli import COMMANDS as STUDY_COMMANDS
from economy.sweep.cli import add_study_commands, dispatch
from economy.sweep.kit import StudyKit

ROOT = Path(__file__).resolve().parent
DEFAULT_CONFIG = ROOT / "configs" / "baseline.yaml"
# In a checkout (pyproject.toml beside run.py; an editable install too) results go into the project's results/,
# as always; from an installed wheel, into results/ of the folder the command runs in, never site-packages.
DEFAULT_OUT = ROOT / "results" if (ROOT / "pyproject.toml").is_file() else Path.cwd() / "results"
log = logging.getLogger("run")


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
    r.add_argument("--figures", choices=FIGURE_SETS, default="standard",
                   help="figures to draw: none, standard (the set the README lists; the default) or all (also every "
                        "role's balance sheets and the contract web at every year's end)")
    add_verbosity(r)
    rp = sub.add_parser("report", help="write the self-contained HTML report of a run folder or a study folder")
    rp.add_argument("folder", help="a run folder (written by run.py run) or a study folder (run.py sweep or compare)")
    rp.add_argument("--out", default=None, help="the HTML file to write: new, or a report written earlier (default: "
                                                "the run's own report.html, else FOLDER-report.html beside the folder)")
    add_verbosity(rp)
    e = sub.add_parser("export", help="write a self-contained HTML handout that plays scenarios back (classroom extras)")
    e.add_argument("configs", nargs="+", help="config YAMLs, one scenario each")
    e.add_argument("--out", required=True, help="the HTML file to write (new, or a handout written earlier)")
    e.add_argument("--lang", default="en,ja", help="languages, comma-separated, the first shown first (default: en,ja)")
    e.add_argument("--seed", type=whole_number(0), default=None, help="seed for every scenario (default: each config's)")
    e.add_argument("--quarters", type=whole_number(1, 200), default=None, help="quarters (default: each config's)")
    e.add_argument("--embed-font", action="store_true", help="inline the Japanese font (adds ~8 MB)")
    d = sub.add_parser("distress", help="distress, default and rescue across seeds of the baseline and every scenario")
    from analysis.distress_report import add_arguments

    add_arguments(d)
    c = sub.add_parser("circularity", help="round-tripped revenue and the loop's outside funding need across seeds")
    from analysis.circularity_report import add_arguments as add_circularity_arguments

    add_circularity_arguments(c)
    add_study_commands(sub)
    return p


def add_verbosity(p: argparse.ArgumentParser) -> None:
    """``-q`` and ``-v`` on a command: how much it says on stderr while it works."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("-q", "--quiet", action="store_true", help="print nothing but warnings and errors")
    g.add_argument("-v", "--verbose", action="store_true", help="also say what each step does and how long it takes")


class _Stderr(logging.Handler):
    """Log records as lines on whatever ``sys.stderr`` is when they come (tests swap it per test)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(self.format(record), file=sys.stderr, flush=True)
        except Exception:  # noqa: BLE001 - logging must never break the run
            self.handleError(record)


def configure_logging(quiet: bool = False, verbose: bool = False) -> None:
    """Progress on stderr: a line per simulated year by default, warnings only with ``quiet``, timings with ``verbose``.

    Only this program's loggers (``run`` and the modules of ``analysis`` and ``economy``, named after
    them) are set; other libraries keep logging warnings only.
    """
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    handler = _Stderr()
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s" if verbose else "%(message)s"))
    for name in ("run", "analysis", "economy"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        for old in [h for h in logger.handlers if isinstance(h, _Stderr)]:
            logger.removeHandler(old)
        logger.addHandler(handler)


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
                    preload=("model", "analysis.summary"), reports=reports, results=DEFAULT_OUT)


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


def report_command(folder: str, out: str | None, quiet: bool = False) -> int:
    """Write the HTML report of a run folder or a study folder atomically; return the exit status.

    The default file is the run's own ``report.html`` when its ``run.json`` lists one (it is
    rendered again from the same files), else ``FOLDER-report.html`` beside the folder: a run
    or study folder never gets a file it did not list. A file is only ever replaced if it is a
    report this program wrote (:func:`analysis.run_report.is_report`).
    """
    from analysis.run_report import REPORT_FILE, is_report, write_html
    from economy.run_folder import FORMAT, MARKER
    from economy.sweep.folders import MANIFEST, enclosing_sweep, is_sweep_folder

    source = Path(folder)
    valid = (f"give a run folder (it holds {MARKER}, written by run.py run) or a study folder (it holds {MANIFEST}, "
             "written by run.py sweep or run.py compare); nothing was written")
    if not source.exists():
        return _refuse(f"report {source}: no such folder; {valid}")
    if not source.is_dir():
        return _refuse(f"report {source}: is a file, not a folder; {valid}")
    marker = _run_marker(source / MARKER, FORMAT)
    study = marker is None and is_sweep_folder(source)
    if marker is None and not study:
        return _refuse(f"report {source}: is neither a run folder nor a study folder; {valid}")
    if marker is not None and not (source / "summary.json").is_file():
        return _refuse(f"report {source}: this run folder has no summary.json (the run's files are incomplete); "
                       "run the scenario again with run.py run; nothing was written")
    if out is not None:
        target = Path(out)
    elif marker is not None and REPORT_FILE in marker.get("files", []):
        target = source / REPORT_FILE
    else:
        target = source.resolve().parent / f"{source.resolve().name}-report.html"
    where = "--out " if out is not None else ""
    if target.is_dir():
        return _refuse(f"{where}{target}: is a folder; give the name of the HTML file to write; nothing was written")
    if (target.exists() or target.is_symlink()) and not is_report(target):
        return _refuse(f"{where}{target}: exists and is not a report this program wrote; it is left as it is and "
                       "nothing was written. Give a new file name with --out")
    if not target.parent.is_dir():
        return _refuse(f"{where}{target}: the folder {target.parent} does not exist; nothing was written")
    inside = target.parent if is_sweep_folder(target.parent) else enclosing_sweep(target.parent)
    if inside is not None:
        return _refuse(f"{where}{target}: is inside the study folder {inside}, where only the study writes; "
                       "give a file outside it with --out; nothing was written")
    started = time.perf_counter()
    try:
        text = _study_html(source) if study else _run_html(source, marker)
    except (OSError, ValueError) as err:  # a damaged file of the folder, or a study that cannot be reported
        return _refuse(f"report {source}: {err}; nothing was written")
    try:
        write_html(text, target)
    except OSError as err:
        return _refuse(f"{where}{target}: cannot write the report: {err.strerror or err}; nothing was written")
    log.debug("report of %s in %.2f s", source, time.perf_counter() - started)
    if not quiet:
        print(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB): open it in any browser")
    return 0


def _refuse(message: str) -> int:
    """Say what is wrong on stderr; the exit status of a mistake in the input."""
    print(f"error: {message}", file=sys.stderr)
    return 2


def _run_marker(path: Path, fmt: str) -> dict | None:
    """A run folder's ``run.json`` if it is one this program wrote, else None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == fmt else None


def _run_html(folder: Path, marker: dict) -> str:
    from analysis.run_report import run_report_html

    return run_report_html(folder, marker)


def _study_html(folder: Path) -> str:
    """A study's report; the study modules' errors become ValueError, with their message."""
    from analysis.html_study_report import study_report_html
    from analysis.report import ReportError
    from economy.sweep.storage import StorageError

    try:
        return study_report_html(folder)
    except (StorageError, ReportError) as err:
        raise ValueError(str(err)) from None


def write_results(model, out: Path, configured_quarters: int | None = None) -> dict:
    """Write every table, the summary, the resolved config and the figures into ``out``.

    The figures are the active :class:`~analysis.figure_workers.FigurePlan`'s set, drawn by its worker
    processes (:func:`run_command` starts them before the model runs); without a plan, the standard set
    is drawn here.
    """
    import yaml

    from analysis.figure_workers import start_figures
    from analysis.summary import summarize
    from economy.records import frames

    fmt = "%.10g"
    tables = frames(model)
    for name, df in tables.items():
        df.to_csv(out / f"{name}.csv", index=False, float_format=fmt, lineterminator="\n")
    labs = [co.entity for co in model.companies if co.role == "lab"]
    summary = summarize(tables, labs)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    pending = start_figures(out, out / "figures")  # the workers draw from the tables while the config is written
    resolved = model.config.model_dump(mode="json", by_alias=True)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml writes the same text, several times faster
    # the code version as a comment, so the file is a config that runs again as it is
    header = f"# the config of this run, resolved; code version {code_version()}\n"
    ran = model.config.run.quarters
    if configured_quarters is not None and configured_quarters != ran:
        # a shortened run keeps the config's horizon, against which its contracts and paths were checked
        resolved["run"]["quarters"] = configured_quarters
        header += f"# this run was cut to {ran} quarters: run it again with --quarters {ran}\n"
    (out / "config.yaml").write_text(header + yaml.dump(resolved, Dumper=dumper, sort_keys=False), encoding="utf-8")
    figures = pending.wait()
    log.debug("%d figures in %s", len(figures), out / "figures")
    return summary


def write_report(folder: Path, about: dict) -> Path:
    """Write ``report.html``, the run's self-contained HTML report, from the results in ``folder``."""
    from analysis.run_report import REPORT_FILE, run_report_html, write_html

    started = time.perf_counter()
    path = write_html(run_report_html(folder, about), folder / REPORT_FILE)
    log.debug("report.html (%.1f MB) in %.2f s", path.stat().st_size / 1e6, time.perf_counter() - started)
    return path


def print_summary(model, summary: dict) -> None:
    """A table a person can read in the terminal."""
    import pandas as pd

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


def run_command(config: str, seed: int | None, quarters: int | None, out: str | None, force: bool = False,
                figures: str = "standard", quiet: bool = False) -> int:
    """Validate, simulate, write atomically; return the exit status.

    ``figures`` is the figure set (``none``, ``standard``, ``all``); ``quiet`` leaves out the summary
    table and the paths written (progress goes to the ``run`` logger: :func:`configure_logging`).
    """
    from economy.config import ConfigError, load_config
    from economy.ledger import AccountingError
    from economy.run_folder import OutputFolderError, check_target, write_run

    try:
        cfg = load_config(config)
        configured_quarters = cfg.run.quarters
        cfg = cfg.with_run(seed=seed, quarters=quarters)
        target = check_target(Path(out) if out else default_out(cfg.run.name), force)
    except (ConfigError, OutputFolderError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    import pandas  # noqa: F401 - before the figure workers fork, so that they have it (the figures need it) for free

    # the figure workers start now, so that they load matplotlib while the model is imported and runs
    with FigurePlan(figures):
        from model import AIFinanceModel

        try:
            model = simulate(AIFinanceModel(config=cfg))
        except AccountingError as err:
            print(f"error: the model stopped on a broken accounting invariant: {err}", file=sys.stderr)
            return 1
        summary: dict = {}
        about = {"config": str(Path(config).resolve()), "name": cfg.run.name, "seed": cfg.run.seed,
                 "code_version": code_version(), "figures": figures}

        def write(folder: Path) -> None:
            summary.update(write_results(model, folder, configured_quarters))
            if (folder / "summary.json").is_file():  # a report of complete results only (a test's stand-in writes less)
                write_report(folder, about)

        started = time.perf_counter()
        try:
            files = write_run(target, write, about)
        except OutputFolderError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        log.debug("results written in %.2f s", time.perf_counter() - started)
    if not quiet:
        print_summary(model, summary)
        shown = dict.fromkeys(f.split("/")[0] + "/" if "/" in f else f for f in files)
        print(f"\nwrote {target.path}/ ({', '.join(shown)})")
        if "report.html" in files:
            print(f"report: {target.path / 'report.html'}")
    return 0


def simulate(model):
    """Step ``model`` to the end of its horizon, logging a line at the end of each year and of the run."""
    started = time.perf_counter()
    total = model.config.run.quarters
    while model.running:
        model.step()
        if model.label.endswith("Q4") or not model.running:
            log.info("%s  quarter %d/%d  defaults %d  rescues %d  (%.1f s)", model.label, model.quarter, total,
                     model.defaults, model.rescues, time.perf_counter() - started)
    return model.run()  # nothing is left to step: run() lets Mesa free the finished model


def distress_run(job: tuple[str, int]) -> dict:
    """One run of ``run.py distress``: the config and seed simulated, its figures taken from its tables."""
    from analysis.distress_report import figures_of_run
    from economy.config import load_config
    from economy.records import frames
    from model import AIFinanceModel

    path, seed = job
    model = AIFinanceModel(config=load_config(path), seed=seed).run()
    return figures_of_run(frames(model), [co.entity for co in model.companies if co.role == "lab"])


def circularity_run(job: tuple[str, int, int | None]) -> dict:
    """One run of ``run.py circularity``: the config, seed and quarters simulated, its circularity figures."""
    from analysis.circularity_report import figures_of_run
    from economy.config import load_config
    from economy.records import frames
    from model import AIFinanceModel

    path, seed, quarters = job
    return figures_of_run(frames(AIFinanceModel(config=load_config(path), seed=seed, quarters=quarters).run()))


def default_out(name: str) -> Path:
    """``results/<run.name>``; the config's schema keeps names to one plain folder name, checked here again."""
    out = DEFAULT_OUT / name
    if not name or out.parent != DEFAULT_OUT or name in (".", "..") or Path(name).is_absolute():
        from economy.run_folder import OutputFolderError

        raise OutputFolderError(f"run.name {name!r} cannot be a folder name under {DEFAULT_OUT}; "
                                "use letters, digits, '-' and '_'")
    return out


#: Allocations between two collections of the youngest generation while a command runs (Python's default is 700).
#: A command imports pandas and Mesa (and matplotlib, in a figure worker): some 110,000 objects (150,000) that live
#: as long as the process, and at the default threshold the collector goes over them again and again while they
#: are made, about 0.2 s of CPU at the start of a run. Which objects are collected when never changes a result
#: (the goldens and tests/test_order.py check that).
GC_THRESHOLD = 20_000


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the command, collecting garbage less often meanwhile (:data:`GC_THRESHOLD`)."""
    before = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *before[1:])
    try:
        return _main(argv)
    finally:
        gc.set_threshold(*before)


def _main(argv: list[str] | None) -> int:
    args = parser().parse_args(argv)
    if args.command in (None, "run", "report"):
        configure_logging(getattr(args, "quiet", False), getattr(args, "verbose", False))
    if args.command is None:
        return run_command(str(DEFAULT_CONFIG), None, None, None)
    if args.command in STUDY_COMMANDS:
        return dispatch(args, study_kit())
    if args.command == "export":
        return export_command(args)
    if args.command == "distress":
        from analysis.distress_report import main as distress_report

        return distress_report(args, distress_run)
    if args.command == "circularity":
        from analysis.circularity_report import main as circularity_report

        return circularity_report(args, circularity_run)
    if args.command == "report":
        return report_command(args.folder, args.out, args.quiet)
    return run_command(args.config, args.seed, args.quarters, args.out, args.force, args.figures, args.quiet)


if __name__ == "__main__":
    sys.exit(main())
