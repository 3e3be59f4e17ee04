"""The ``sweep``, ``analyze`` and ``compare`` subcommands of ``run.py``.

    python run.py sweep SPEC [--out DIR] [--executor serial|processes|dask] [--workers N]
                             [--scheduler ADDRESS] [--chunk-size N] [--no-progress] [--run-id N] [--allow-large]
    python run.py analyze DIR [--metric NAME ...] [--out REPORT_DIR]
    python run.py compare SCENARIO... --seeds N [--out DIR] [--quarters Q] [--executor ...] [--workers N]

Exit status 0 on success, 2 for a mistake in the input (the message says what and
where; nothing is written): a bad spec, a study above the size limit, an output folder
that cannot be written or holds something else, a malformed or unreachable scheduler,
a damaged sweep folder; 1 for an internal failure, 130 when stopped with Ctrl-C
(completed chunks stay stored; the same command resumes). Heavy modules are imported
by the handlers, so ``run.py run`` does not pay for them.

This module imports neither the model nor the analysis: :func:`dispatch` is given a
:class:`~economy.sweep.kit.StudyKit` (``run.study_kit()``) holding the model factory,
the metrics and the report functions, and passes it on to the runner and the workers.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

from economy.provenance import whole_number
from economy.sweep import EXECUTORS
from economy.sweep.kit import StudyKit, StudyReports

# The limits are plain numbers, repeated here so that building run.py's parser imports nothing
# heavy; tests/test_sweep_safety.py checks they match economy.sweep.plan.
MAX_RUNS = 1_000_000
MAX_RUNS_ALLOWED = 100_000_000
CONNECT_TIMEOUT_S = 10  # economy.sweep.executors.CONNECT_TIMEOUT_S

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "results"
COMMANDS = ("sweep", "analyze", "compare")
INTERRUPTED = 130


def _execution_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--executor", choices=EXECUTORS, default=None,
                   help="where runs execute (default: processes; dask when --scheduler is given)")
    p.add_argument("--workers", type=whole_number(1), default=None, help="worker processes (default: the number of CPUs)")
    p.add_argument("--scheduler", default=None,
                   help="address of a running Dask scheduler, [tcp://]HOST:PORT, e.g. tcp://10.0.0.5:8786 "
                        f"(given up, with nothing written, if it does not answer within {CONNECT_TIMEOUT_S} s)")
    p.add_argument("--chunk-size", type=whole_number(1), default=None,
                   help="runs per stored chunk (default: automatic, at most 25)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--allow-large", action="store_true",
                   help=f"run a study of more than {MAX_RUNS:,} runs (refused without it, as most likely a typo; "
                        f"at most {MAX_RUNS_ALLOWED:,} even with it)")


def add_study_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``sweep``, ``analyze`` and ``compare`` to ``run.py``'s subcommands."""
    s = sub.add_parser("sweep", help="run a parameter study from a sweep spec (resumable)",
                       description="Run every run of a sweep spec into a folder, resuming if it holds some already.")
    s.add_argument("spec", help="sweep spec YAML (see configs/sweeps/)")
    s.add_argument("--out", default=None, help="sweep folder (default: results/sweeps/<spec name>)")
    s.add_argument("--run-id", type=whole_number(0), default=None,
                   help="make only this run, print its row, and compare it with the stored one if --out holds it")
    _execution_options(s)

    a = sub.add_parser("analyze", help="tables, figures and a Markdown report of a sweep folder",
                       description="Write DIR/report/ (report.md, CSV tables, figures/).")
    a.add_argument("folder", help="a folder written by run.py sweep or run.py compare")
    a.add_argument("--metric", action="append", default=None, help="metric to focus on (repeatable; default: the key metrics)")
    a.add_argument("--out", default=None,
                   help="report folder (default: DIR/report); new, empty, or an earlier report, which is replaced. "
                        "Use it when DIR is read-only")

    c = sub.add_parser("compare", help="run scenarios for seeds 0..N-1 and put them side by side",
                       description="Run each scenario config for seeds 0..N-1, print median and 5-95%% of the key metrics, "
                                   "and write compare.csv and fan_charts.png.")
    c.add_argument("scenarios", nargs="+", help="scenario config files")
    c.add_argument("--seeds", type=whole_number(1), required=True, help="number of seeds (0..N-1) per scenario")
    c.add_argument("--quarters", type=whole_number(1), default=None, help="run length (default: each config's)")
    c.add_argument("--out", default=None, help="output folder (default: results/compare/<a>_vs_<b>_seeds<N>)")
    _execution_options(c)


def dispatch(args: argparse.Namespace, kit: StudyKit) -> int:
    """Run the subcommand in ``args`` with the model, metrics and reports of ``kit``; return the exit status."""
    handler = {"sweep": sweep_command, "analyze": analyze_command, "compare": compare_command}[args.command]
    return handler(args, kit)


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def _execution(args: argparse.Namespace) -> tuple[str, int] | str:
    """The executor and worker count, or what is wrong with the options (checked before anything is read or written)."""
    from economy.sweep.executors import ExecutorError, check_scheduler_address

    executor = args.executor or ("dask" if args.scheduler else "processes")
    if args.scheduler is not None and executor != "dask":
        return f"--scheduler goes with --executor dask (got --executor {executor})"
    if args.scheduler is not None:
        try:
            check_scheduler_address(args.scheduler)
        except ExecutorError as err:
            return str(err)
    workers = 1 if executor == "serial" else (args.workers or os.cpu_count() or 1)
    return executor, workers


# ---------------------------------------------------------------------------- sweep
def sweep_command(args: argparse.Namespace, kit: StudyKit) -> int:
    """``run.py sweep``: run or resume a study, or re-run one of its runs."""
    from economy.config import ConfigError
    from economy.sweep.spec import load_study

    execution = _execution(args)
    if isinstance(execution, str):
        return _error(execution)
    try:
        study = load_study(args.spec, kit.metric_names)
    except ConfigError as err:
        return _error(str(err))
    out = Path(args.out) if args.out else (kit.results or RESULTS) / "sweeps" / study.spec.name
    if args.run_id is not None:
        return _rerun(study, args.run_id, out, kit, args.allow_large)
    return _run_study(study, out, args, kit, *execution)


def _run_study(study: Any, out: Path, args: argparse.Namespace, kit: StudyKit, executor: str, workers: int) -> int:
    from economy.config import ConfigError
    from economy.sweep.executors import ExecutorError
    from economy.sweep.runner import run_sweep
    from economy.sweep.storage import StorageError

    # A polite kill (SIGTERM) stops like Ctrl-C: completed chunks stay, the rest resumes later.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        outcome = run_sweep(study, out, kit, executor=executor, workers=workers, scheduler=args.scheduler,
                            chunk_size=args.chunk_size, progress=not args.no_progress, allow_large=args.allow_large)
    except (StorageError, ExecutorError, ConfigError) as err:  # all refused before anything was written
        return _error(str(err))
    except KeyboardInterrupt:
        print(f"\ninterrupted; completed chunks stay stored in {out}; run the same command again to resume", file=sys.stderr)
        return INTERRUPTED
    except Exception:  # noqa: BLE001 - not a run's failure (those are stored): the machinery's; show it all
        traceback.print_exc()
        print(f"error: the sweep stopped on an internal failure (above); chunks completed so far are stored in {out}; "
              "fix the cause and run the same command again to resume", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    stored = outcome.stored_before + outcome.made
    if outcome.interrupted:
        print(f"\ninterrupted: {stored} of {outcome.total} runs stored in {out}; run the same command again to resume",
              file=sys.stderr)
        return INTERRUPTED
    rate = outcome.made / outcome.seconds if outcome.seconds > 0 else 0.0
    print(f"{stored} of {outcome.total} runs stored in {out} ({outcome.made} made now, {rate:.1f} runs/s"
          + (f"; {outcome.failed} failed: see status and error in the runs table" if outcome.failed else "") + ")")
    print(f"next: python run.py analyze {out}")
    return 0


def _rerun(study: Any, run_id: int, out: Path, kit: StudyKit, allow_large: bool = False) -> int:
    from economy.config import ConfigError
    from economy.sweep.plan import Plan, check_size
    from economy.sweep.runner import rerun

    try:
        check_size(study, allow_large)
        plan = Plan(study)
    except ConfigError as err:
        return _error(str(err))
    if run_id >= plan.total:
        return _error(f"--run-id {run_id}: the study has runs 0..{plan.total - 1}")
    run = plan.run(run_id)
    row = rerun(study, run_id, kit)
    print(json.dumps(row, indent=2, default=str))
    overrides = study.overrides(run.scenario, run.params)
    factory = getattr(kit.model_factory, "__name__", "model")
    print(f"\nthe same run in Python:\n  {factory}(config={study.scenario_files[run.scenario]!r}, seed={run.seed}, "
          f"quarters={study.spec.quarters!r}, overrides={overrides!r}).run()")
    stored = _stored_row(out, run_id, study, plan)
    if stored is not None:
        same = _same_row(stored, row)
        print(f"\nstored row in {out}: " + ("identical" if same else "DIFFERS (code or config changed since the sweep?)"))
        return 0 if same else 1
    return 0


def _stored_row(out: Path, run_id: int, study: Any, plan: Any) -> dict | None:
    """The row stored for this run in ``out``, if ``out`` holds this very study and it can be read."""
    if not (out / "manifest.json").is_file():
        return None
    import pyarrow.compute as pc

    from economy.sweep.runner import manifest
    from economy.sweep.storage import StorageError, SweepStore

    store = SweepStore(out)
    try:
        if store.manifest().get("fingerprint") != manifest(study, plan)["fingerprint"]:
            print(f"\n{out} holds another study (or this spec's base config changed); not compared", file=sys.stderr)
            return None
        table = store.read("runs")
    except StorageError as err:
        print(f"\nthe stored row cannot be compared: {err}", file=sys.stderr)
        return None
    if table is None:
        return None
    hit = table.filter(pc.equal(table["run_id"], run_id)).to_pylist()
    return hit[0] if hit else None


def _same_row(a: dict, b: dict) -> bool:
    import math

    if set(a) != set(b):
        return False
    for k, v in a.items():
        w = b[k]
        if isinstance(v, float) and isinstance(w, float) and math.isnan(v) and math.isnan(w):
            continue
        if v != w:
            return False
    return True


# ---------------------------------------------------------------------------- analyze
def _reports(kit: StudyKit) -> StudyReports:
    if kit.reports is None:
        raise ValueError("this command writes reports: give dispatch a StudyKit with its reports (run.study_kit())")
    return kit.reports


def analyze_command(args: argparse.Namespace, kit: StudyKit) -> int:
    """``run.py analyze``: write the report of a sweep folder (never changing anything else in it)."""
    from economy.sweep.storage import StorageError

    reports = _reports(kit)
    folder = Path(args.folder)
    if not folder.is_dir() or not (folder / "manifest.json").is_file():
        return _error(f"{folder}: not a sweep folder (no manifest.json); give a folder written by run.py sweep or compare")
    try:
        path = reports.write_report(folder, args.metric, out=args.out)
    except (reports.report_error, StorageError, FileNotFoundError) as err:
        return _error(str(err))
    print(f"wrote {path} (tables as CSV and figures/ beside it)")
    return 0


# ---------------------------------------------------------------------------- compare
def compare_spec(scenarios: list[str], seeds: int, quarters: int | None) -> tuple[dict, str]:
    """The sweep spec of a comparison: each scenario for seeds 0..N-1, time series kept; and its name."""
    names: dict[str, str] = {}
    for path in scenarios:
        stem = re.sub(r"[^A-Za-z0-9_-]", "_", Path(path).stem) or "scenario"
        stem = stem if stem[0].isalnum() and stem != "base" else f"s{stem}"
        name, k = stem, 2
        while name in names:
            name, k = f"{stem}_{k}", k + 1
        names[name] = str(Path(path).resolve())
    title = "_vs_".join(names) + f"_seeds{seeds}" + (f"_q{quarters}" if quarters else "")
    raw = {"name": title[:120], "description": f"Comparison of {', '.join(names)} over seeds 0..{seeds - 1}.",
           "base": names, "replications": seeds, "seeds": "replication", "sampler": {"kind": "grid"},
           "outputs": {"timeseries": True}}
    if quarters:
        raw["quarters"] = quarters
    return raw, title


def compare_command(args: argparse.Namespace, kit: StudyKit) -> int:
    """``run.py compare``: run scenarios side by side and print, write and plot the comparison."""
    from economy.config import ConfigError
    from economy.sweep.spec import study_from_dict

    execution = _execution(args)
    if isinstance(execution, str):
        return _error(execution)
    from economy.sweep.spec import MAX_REPLICATIONS

    if args.seeds > MAX_REPLICATIONS:
        return _error(f"--seeds {args.seeds}: at most {MAX_REPLICATIONS:,} seeds per scenario")
    raw, title = compare_spec(args.scenarios, args.seeds, args.quarters)
    import yaml

    try:
        study = study_from_dict(raw, "compare", Path.cwd(), yaml.safe_dump(raw, sort_keys=False), kit.metric_names)
    except ConfigError as err:
        return _error(str(err))
    out = Path(args.out) if args.out else (kit.results or RESULTS) / "compare" / title
    status = _run_study(study, out, args, kit, *execution)
    if status != 0:
        return status
    from economy.sweep.storage import StorageError

    try:
        return write_comparison(out, _reports(kit))
    except (StorageError, FileNotFoundError, OSError) as err:
        return _error(f"the comparison's runs are stored in {out}, but its table could not be written: {err}")


def write_comparison(out: Path, reports: StudyReports) -> int:
    """Print the side-by-side table of a comparison folder; write ``compare.csv`` and ``fan_charts.png``."""
    from economy.sweep.storage import atomic_write

    manifest = reports.sweep_manifest(out)
    runs = reports.load_sweep(out)
    by = ["scenario"] if "scenario" in runs.columns else []
    described = reports.describe_metrics(runs, reports.key_metrics(runs, manifest.get("lab", "openai")), by)
    table = reports.comparison_table(described, by)
    print("\nmedian [5th, 95th percentile] over seeds; systemic_event as the share of seeds with one:")
    print(table.to_string())
    atomic_write(out / "compare.csv", described.to_csv(index=False, float_format="%.6g", lineterminator="\n").encode())
    ts = reports.load_sweep(out, "timeseries")
    fig = reports.fan_chart(ts, [c for c in reports.key_series if c in ts.columns], by,
                            title="Median and 5-95% band over seeds, per scenario")
    staged = out / f".fan_charts-{os.getpid()}.png"
    fig.savefig(staged, dpi=110)
    os.replace(staged, out / "fan_charts.png")  # whole or absent, like every file of a sweep folder
    failed = int((runs.status == "failed").sum())
    if failed:
        print(f"\n{failed} run(s) failed; see status and error in the runs table", file=sys.stderr)
    print(f"\nwrote {out}/compare.csv and {out}/fan_charts.png")
    return 0
