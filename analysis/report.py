"""A shareable report of a parameter study: Markdown with its figures and tables, in the sweep's folder.

``run.py analyze DIR [--out REPORT]`` calls :func:`write_report`, which writes ``DIR/report/``
(or ``REPORT``)::

    report.md          what was run, outcomes per scenario, heatmap, fan charts, sensitivity, failures
    outcomes.csv       median, 5-95% and mean of each metric per scenario
    sobol_<metric>.csv / morris_<metric>.csv / tornado_<metric>.csv   when the design allows them
    figures/*.png
    .report.json       the marker: this folder is a report, and the files it wrote

The folder is written beside and swapped in at the end, so a report is whole or absent.
Only an empty folder or an earlier report (its marker lists every file in it) is ever
replaced; a folder of the same name holding anything else is left alone and refused.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.sensitivity import noise_advice, noise_warnings, sweep_morris, sweep_sobol, tornado_data
from analysis.study import load_sweep, parameter_names, sweep_manifest
from analysis.study_figures import fan_chart, morris_chart, probability_heatmap, sobol_chart, tornado_chart
from analysis.study_tables import (
    KEY_SERIES,
    comparison_table,
    describe_metrics,
    group_columns,
    key_metrics,
    metric_info,
    numeric,
)

#: Metrics whose sensitivity the report shows when the spec's ``report.metrics`` does not say.
SENSITIVITY_METRICS = ("systemic_event", "total_losses", "fiscal_cost", "defaults")
DPI = 110
#: The file that marks a folder as a report this program wrote, listing the files it wrote.
REPORT_MARKER = ".report.json"
REPORT_FORMAT = "ai-financing-web/report/1"
#: Most entries looked at in an existing folder before deciding it is not a report (reports hold a few dozen).
_MOST_ENTRIES = 10_000


class ReportError(ValueError):
    """A report that cannot be made as asked (e.g. an unknown metric); ``str()`` is for the user."""


def write_report(folder: str | Path, metrics: list[str] | None = None, out: str | Path | None = None) -> Path:
    """Analyse a sweep folder and write its report into ``folder/report`` (or ``out``).

    Args:
        folder: A folder written by ``run.py sweep`` or ``run.py compare``.
        metrics: Metric columns to focus on (default: the spec's ``report.metrics``, else the key metrics).
        out: The report folder (default ``folder/report``); new, empty, or an earlier report.

    Returns:
        The path of ``report.md``.

    Raises:
        economy.sweep.storage.StorageError: If the folder is not a sweep folder, or a file
            of it is damaged (:class:`~economy.sweep.storage.DamagedSweepError`).
        FileNotFoundError: If the folder holds no runs yet.
        ReportError: If a metric asked for is not a column of the runs, or the report
            folder cannot be written or holds something other than an earlier report.
    """
    folder = Path(folder)
    manifest = sweep_manifest(folder)
    target = Path(out) if out is not None else folder / "report"
    check_report_folder(target, default=out is None)
    runs = load_sweep(folder)
    absent = [p for p in parameter_names(manifest) if p not in runs.columns]
    if absent:
        raise ReportError(f"{folder}: the manifest names parameter(s) {', '.join(absent)} that the stored runs lack; "
                          "the folder was changed by hand or mixes two sweeps. Run the sweep again into a new folder")
    spec = manifest["spec"]
    lab = manifest.get("lab", "openai")
    wanted = list(metrics or spec.get("report", {}).get("metrics") or [])
    unknown = [m for m in wanted if m not in runs.columns]
    if unknown:
        cols = [c for c in runs.columns if c not in manifest.get("id_columns", []) and c not in ("status", "error")]
        raise ReportError(f"unknown metric(s) {', '.join(unknown)}; metrics of this sweep: {', '.join(cols)}")
    focus = key_metrics(runs, lab, wanted)

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".report-", dir=target.parent))
    except OSError as err:
        raise ReportError(_unwritable(target, err.strerror or str(err), default=out is None)) from None
    try:
        (tmp / "figures").mkdir()
        lines = _report_lines(folder, tmp, manifest, runs, focus, wanted)
        (tmp / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
        _write_marker(tmp, folder)
        _swap_in(tmp, target, default=out is None)
    finally:
        if tmp.exists():  # made above by this call: only ever our own staging folder
            shutil.rmtree(tmp, ignore_errors=True)
    return target / "report.md"


def check_report_folder(target: Path, default: bool = True) -> None:
    """Refuse, before any analysis, a report folder that cannot be written or is not an earlier report.

    Args:
        target: The report folder.
        default: Whether it is the default ``DIR/report`` (the message then suggests ``--out``).

    Raises:
        ReportError: Saying what is there and how to proceed.
    """
    from economy.sweep.storage import StorageError, can_write, check_output_folder, data_folder_of

    data = data_folder_of(target)  # runs/, timeseries/, ...: a dataset reader would take the report for part of it
    if data is not None:
        raise ReportError(f"{target}: is inside a sweep's {data.name}/ folder, where it would be taken for part of its "
                          "data; give another folder with --out")
    if target.is_symlink():
        raise ReportError(f"{target}: is a link; a report replaces only a folder it wrote. Give another folder with --out")
    if not target.exists():
        try:
            check_output_folder(target, "--out")
        except StorageError as err:
            raise ReportError(_unwritable(target, "permission denied or a read-only file system", True) if default
                              else str(err)) from None
        return
    if not target.is_dir():
        raise ReportError(f"{target}: exists and is not a folder; it is left as it is. Give a folder for the report with --out")
    strangers = foreign_entries(target)
    if strangers:
        shown = ", ".join(strangers[:5]) + (", ..." if len(strangers) > 5 else "")
        why = (f"it holds files run.py analyze did not write ({shown})" if (target / REPORT_MARKER).is_file()
               else f"it was not written by run.py analyze (no {REPORT_MARKER} marker; it holds {shown})")
        raise ReportError(f"{target}: {why}; it is left as it is. Give another folder for the report with --out, "
                          "or move that folder away")
    if not can_write(target.parent):
        raise ReportError(_unwritable(target, "permission denied or a read-only file system", default))


def foreign_entries(folder: Path) -> list[str]:
    """Entries of ``folder`` (relative paths) that are not files of the report its marker describes.

    An empty folder has none; a folder without a valid marker has all of its entries;
    a folder too large to be a report is all foreign.
    """
    entries: list[str] = []
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            entries.append(str((Path(root) / name).relative_to(folder)))
            if len(entries) > _MOST_ENTRIES:
                return entries
    written = _marked_files(folder)
    if written is None:
        return sorted(entries)
    allowed = written | {REPORT_MARKER} | {str(Path(f).parent) for f in written if Path(f).parent != Path(".")}
    return sorted(e for e in entries if e not in allowed or (Path(folder / e).is_symlink()))


def _marked_files(folder: Path) -> set[str] | None:
    """The files the marker in ``folder`` lists, or None if there is no valid marker."""
    marker = folder / REPORT_MARKER
    try:
        if not marker.is_file() or marker.is_symlink() or marker.stat().st_size > 1_000_000:
            return None
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not (isinstance(data, dict) and data.get("format") == REPORT_FORMAT and isinstance(data.get("files"), list)):
        return None
    return {f for f in data["files"] if isinstance(f, str)}


def _write_marker(folder: Path, sweep: Path) -> None:
    """List every file of the finished report in its marker, written last."""
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    written = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    about = {"format": REPORT_FORMAT, "sweep": str(sweep.resolve()), "written": written, "files": files}
    (folder / REPORT_MARKER).write_text(json.dumps(about, indent=2) + "\n", encoding="utf-8")


def _swap_in(tmp: Path, target: Path, default: bool) -> None:
    """Put the finished report at ``target``, replacing only an empty folder or an earlier report."""
    old = None
    try:
        if target.is_dir() and not target.is_symlink():
            if not any(target.iterdir()):
                os.rmdir(target)  # removes an empty folder and nothing else
            else:
                old = target.with_name(f".report-old-{uuid.uuid4().hex[:8]}")
                os.rename(target, old)
                if foreign_entries(old):  # changed since the check: put it back, untouched
                    os.rename(old, target)
                    old = None
                    raise ReportError(f"{target}: files were added to it while the report was made; it is left as it "
                                      "is. Run the command again, or give another folder with --out")
        try:
            os.rename(tmp, target)
        except OSError:
            if old is not None:
                os.rename(old, target)
                old = None
            raise
    except OSError as err:
        raise ReportError(_unwritable(target, err.strerror or str(err), default)) from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)  # an earlier report, checked twice to hold only its own files


def _unwritable(target: Path, why: str, default: bool) -> str:
    hint = (f"Write the report into another folder with --out, e.g. --out {Path.home() / (target.parent.name + '_report')}"
            if default else "Give a folder you can write to with --out")
    return f"{target}: the report cannot be written there ({why}); nothing was written. {hint}"


def _report_lines(folder: Path, out: Path, manifest: dict, runs: pd.DataFrame, focus: list[str], wanted: list[str]) -> list[str]:
    spec = manifest["spec"]
    params = parameter_names(manifest)
    sampler = spec["sampler"]["kind"]
    ok = int((runs.status == "ok").sum())
    failed = int((runs.status == "failed").sum())
    scenarios = manifest.get("scenarios", {})
    lines = [f"# Parameter study: {manifest['name']}", ""]
    if manifest.get("description"):
        lines += [manifest["description"].strip(), ""]
    facts = [
        ("spec", f"`{manifest.get('spec_file')}`"),
        ("base config" + ("s" if len(scenarios) > 1 else ""),
         ", ".join(f"{k if k != 'base' else ''} `{v['file']}`".strip() for k, v in scenarios.items())),
        ("sampler", sampler + (f" ({_sampler_text(spec['sampler'])})" if _sampler_text(spec["sampler"]) else "")),
        ("parameters", ", ".join(f"`{p}` ({', '.join(manifest['parameters'][p]['path'])})" for p in params)
         or "none (Monte Carlo)"),
        ("runs", f"{manifest['total_runs']} planned = {len(scenarios)} scenario(s) x {manifest['points']} point(s) x "
                 f"{manifest['replications']} replication(s); {ok} stored ok, {failed} failed, "
                 f"{manifest['total_runs'] - ok - failed} not yet run"),
        ("seeds", f"sweep seed {spec['seed']}, rule `{spec['seeds']}`"),
        ("code", f"`{manifest.get('code_version')}`, started {manifest.get('created')}"),
    ]
    lines += ["| | |", "|---|---|", *[f"| {k} | {v} |" for k, v in facts], ""]
    lines += ["A systemic event is two or more defaults, or more than $100B written off by others "
              "(`analysis/summary.py`). Money in USD billions.", ""]
    noise_at = len(lines)  # where a warning about noisy Sobol indices goes, once they are computed

    # Outcomes per scenario
    by = group_columns(runs, manifest)
    described = describe_metrics(runs, focus, by)
    described.to_csv(out / "outcomes.csv", index=False, float_format="%.6g")
    lines += ["## Outcomes", "", "Median [5th, 95th percentile] over successful runs; probabilities as %."
              + (f" One column per {' / '.join(by)}." if by else ""), ""]
    table = comparison_table(described, by)
    table.insert(0, "unit", [metric_info(m).unit or "-" for m in table.index])
    lines += _md_table(table, index_name="metric") + [""]

    # Heatmap over a two-parameter grid
    axes = _heatmap_axes(runs, manifest)
    if axes and "systemic_event" in runs.columns:
        x, y = axes
        fig = probability_heatmap(runs, x, y)
        _save(fig, out, "heatmap_systemic_event")
        lines += ["## Probability of a systemic event", "",
                  f"Share of runs with a systemic event in each cell of `{x}` x `{y}`"
                  + (" (pooled over the other parameters, scenarios and replications)."
                     if len(params) > 2 or "scenario" in runs.columns else " (over the replications)."),
                  "", "![heatmap](figures/heatmap_systemic_event.png)", ""]

    # Fan charts
    from economy.sweep.storage import SweepStore

    if SweepStore(folder).has_table("timeseries"):
        ts = load_sweep(folder, "timeseries")
        series = [c for c in (spec.get("report", {}).get("timeseries") or KEY_SERIES) if c in ts.columns]
        if series:
            fig = fan_chart(ts, series, by)
            _save(fig, out, "fan_charts")
            lines += ["## Trajectories", "", "Median (line) and 5-95% band (shade) per quarter"
                      + (f", one colour per {' / '.join(by)}." if by else " over all runs."), "",
                      "![fan charts](figures/fan_charts.png)", ""]

    # Sensitivity
    sens = [m for m in (wanted or SENSITIVITY_METRICS) if m in runs.columns and _varies(runs, m)]
    numeric_params = [p for p in params if manifest["parameters"][p]["type"] in ("double", "int64")]
    if sampler in ("sobol", "morris") and params:
        section, noisy = _design_sensitivity(out, runs, manifest, sens, folder)
        lines += section
        if noisy:
            tail = int(0.2 * ok)
            lines[noise_at:noise_at] = [
                f"> **Warning: the Sobol indices of {', '.join(noisy)} are not distinguishable from run-to-run noise**; "
                "do not read them as the parameters' effects (see *Sobol indices* below for why and what to change in "
                "the spec)." + (f" The tornado compares mean outcomes over the runs in each fifth of a parameter's values "
                                f"(about {tail:,} runs each), which the noise sways less." if numeric_params and sens else ""),
                ""]
    if numeric_params and sens:
        lines += ["## Tornado", "", "Mean outcome among the runs in the lowest and the highest fifth of each parameter's values "
                  "(the other parameters varying as sampled). Red: the outcome rises with the parameter.", ""]
        for m in sens[:3]:
            data = tornado_data(runs, numeric_params, m)
            if data.empty:
                continue
            data.to_csv(out / f"tornado_{m}.csv", index=False, float_format="%.6g")
            _save(tornado_chart(data, m), out, f"tornado_{m}")
            lines += [f"![tornado {m}](figures/tornado_{m}.png)", ""]

    # Failures
    if failed:
        errors = runs.loc[runs.status == "failed", "error"].astype(str).str.split("\n").str[0]
        counts = errors.value_counts().head(10)
        lines += ["## Failed runs", "", f"{failed} run(s) raised; their parameters, seeds and errors are in the runs table "
                  "(`status == 'failed'`). Most frequent errors:", ""]
        lines += [f"- {n} x `{text[:300]}`" for text, n in counts.items()] + [""]
    return lines


def _design_sensitivity(out: Path, runs: pd.DataFrame, manifest: dict, metrics: list[str],
                        folder: Path) -> tuple[list[str], list[str]]:
    """The Sobol or Morris section, and the metrics whose Sobol indices are not distinguishable from noise."""
    spec = manifest["spec"]
    sampler = spec["sampler"]["kind"]
    design = load_sweep(folder, "design") if sampler == "morris" else None
    scenarios = list(runs["scenario"].unique()) if "scenario" in runs.columns else [None]
    lines = ["## Sobol indices" if sampler == "sobol" else "## Morris screening", ""]
    lines += (["First-order (S1: the share of the outcome's variance due to the parameter alone) and total (ST: including its "
               "interactions) indices, with 95% bootstrap confidence intervals (SALib). Each design point's outcome is the mean "
               "over its replications.", ""] if sampler == "sobol" else
              ["mu*: mean absolute elementary effect of moving a parameter across its range; sigma: their spread "
               "(interactions or non-linearity), both in the outcome's unit. 95% bootstrap interval on mu* (SALib).", ""])
    advice_at = len(lines)
    noisy: list[str] = []
    for scenario in scenarios:
        for m in metrics:
            tag = m + (f"_{scenario}" if scenario else "")
            title = m + (f" ({scenario})" if scenario else "")
            shown = metric_info(m).label + (f" ({scenario})" if scenario else "")
            try:
                if sampler == "sobol":
                    table = sweep_sobol(runs, manifest, m, scenario)
                    fig = sobol_chart(table, f"Sobol indices: {shown}", metric=m)
                else:
                    table = sweep_morris(runs, design, manifest, m, scenario)
                    fig = morris_chart(table, f"Morris screening: {shown}", metric=m)
            except ValueError as err:
                lines += [f"*{title}: not computed: {err}*", ""]
                continue
            table.to_csv(out / f"{sampler}_{tag}.csv", index=False, float_format="%.6g")
            _save(fig, out, f"{sampler}_{tag}")
            lines += [f"### {title}", ""]
            found = noise_warnings(table, advice=False) if sampler == "sobol" else []
            if found:
                noisy.append(f"`{title}`")
                lines += ["> **Not distinguishable from run-to-run noise:**", ">", *[f"> - {w}" for w in found], ""]
            lines += [*_md_table(table.set_index("parameter"), index_name="parameter"), "",
                      f"![{sampler} {title}](figures/{sampler}_{tag}.png)", ""]
    if noisy:
        lines[advice_at:advice_at] = [
            f"> **Warning:** the indices of {', '.join(noisy)} are dominated by run-to-run noise: the model's own "
            "randomness (each run's seed) adds variance that the estimators cannot tell apart from the parameters' "
            "effects at this number of runs, so the intervals cover 0 or the values break the bounds of a share of "
            "variance. "
            + noise_advice(spec.get("seeds"), manifest.get("replications")), ""]
    return lines, noisy


def _sampler_text(sampler: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sampler.items() if k != "kind")


def _heatmap_axes(runs: pd.DataFrame, manifest: dict) -> tuple[str, str] | None:
    """The spec's ``report.heatmap``, else the first two grid parameters with several values each."""
    chosen = manifest["spec"].get("report", {}).get("heatmap")
    if chosen:
        return tuple(chosen)
    if manifest["spec"]["sampler"]["kind"] != "grid":
        return None
    multi = [p for p in parameter_names(manifest) if runs[p].nunique() > 1]
    return (multi[0], multi[1]) if len(multi) >= 2 else None


def _varies(runs: pd.DataFrame, metric: str) -> bool:
    values = numeric(runs.loc[runs.status == "ok", metric]).dropna()
    return values.size > 1 and float(values.std()) > 0


def _save(fig, out: Path, name: str) -> None:
    fig.savefig(out / "figures" / f"{name}.png", dpi=DPI)


def _md_table(df: pd.DataFrame, index_name: str = "") -> list[str]:
    """A DataFrame as Markdown table lines (numbers to 4 significant digits)."""
    def fmt(v: object) -> str:
        if isinstance(v, (float, np.floating)):
            return "-" if np.isnan(v) else f"{v:.4g}"
        return str(v)

    header = [index_name, *map(str, df.columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for idx, row in df.iterrows():
        lines.append("| " + " | ".join([fmt(idx), *(fmt(v) for v in row)]) + " |")
    return lines
