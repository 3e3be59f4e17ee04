"""How distress, default and rescue come out across seeds: the figures a credit analyst checks first.

    .venv/bin/python run.py distress                       # baseline seeds 0-19, every scenario seeds 0-9
    .venv/bin/python run.py distress --seeds 5 --baseline-seeds 5 --workers 2

For the baseline and each shipped scenario it prints the share of runs with a systemic event
(MODEL.md 6a: contagion, lender losses or a rescue) beside the old count rule; defaults, how
many were reorganised and how many liquidated, by the channel that brought them (and how many
another firm's default caused); the largest book equity (in absolute value) left to a defaulted
firm and the lowest of a reorganised one; Nvidia's cash at the end and OpenAI's peak value
(median and 5-95%); the lowest capital ratio any lender reached; and whether two scenarios gave
identical results. Then the calibration figures of the baseline (tests/test_calibration.py's
bands). Runs are independent, so they go to worker processes; the figures do not depend on how many.
The runs themselves are made by a function run.py passes in (this package does not import the model).
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "configs" / "baseline.yaml"
SCENARIOS = sorted((ROOT / "configs" / "scenarios").glob("*.yaml"))
CONTAGION = {"payment", "equity", "collateral", "credit"}
"""Channels through which one firm's default reaches another (confidence and demand are market-wide)."""
BIG_FIVE = ("microsoft", "alphabet", "amazon", "meta", "oracle")


def figures_of_run(tables: dict, labs: list[str]) -> dict:
    """One run's figures from its tables (a plain dict, so it crosses processes)."""
    from analysis.summary import summarize

    sheets, cascade = tables["balance_sheets"], tables["cascade"]
    summary = summarize(tables, labs)
    failed = sheets[sheets.status == "defaulted"]
    emerged = sheets[sheets.status == "reorganised"]
    lenders = sheets[(sheets.role == "lender") & (sheets.total_assets > 0)]
    # brought down by a default: a contagion channel from a firm that itself defaulted (a lender merely refusing is not)
    failed_firms = set(cascade.entity)
    caused = cascade[cascade.channel.isin(CONTAGION) & cascade.caused_by.isin(failed_firms)
                     & (cascade.caused_by != cascade.entity)].entity.nunique()
    openai = sheets[sheets.entity == "openai"].copy()
    openai["year"] = openai.quarter.str[:4]
    by_year = openai[openai.year != "2025"].groupby("year")[["net_income", "stock_pay", "revenue", "free_cash_flow"]].sum()
    years = sheets.assign(year=sheets.quarter.str[:4])
    digest = hashlib.sha256(b"".join(tables[t].to_csv(index=False).encode() for t in sorted(tables))).hexdigest()
    return {
        "systemic": bool(summary["systemic_event"]), "systemic_by_count": bool(summary["systemic_event_by_count"]),
        "causes": list(summary.get("systemic_event_causes", [])),
        "defaults": int(summary["defaults"]), "by_channel": dict(summary["defaults_by_channel"]),
        "caused_by_default": int(caused), "rescues": len(summary["rescued"]),
        "reorganised": int(summary["defaults_reorganised"]), "liquidated": int(summary["defaults_liquidated"]),
        "defaulted_equity": float(failed.equity.abs().max()) if len(failed) else 0.0,
        "reorganised_equity": float(emerged.equity.min()) if len(emerged) else float("nan"),
        "nvidia_cash": float(sheets[sheets.entity == "nvidia"].cash.iloc[-1]),
        "openai_peak": float(sheets[sheets.entity == "openai"].market_value.max()),
        "lender_min_ratio": float((lenders.equity / lenders.total_assets).min()) if len(lenders) else float("nan"),
        "openai_2026_loss": float(-(by_year.loc["2026", "net_income"] + by_year.loc["2026", "stock_pay"])),
        "openai_burn_2026_29": float(-by_year.loc["2026":"2029", "free_cash_flow"].sum()),
        "openai_first_profit": min((int(y) for y, ni in by_year.net_income.items() if ni > 0), default=9999),
        "openai_2030_revenue": float(by_year.loc["2030", "revenue"]) if "2030" in by_year.index else 0.0,
        "big_five_capex_2026": float(years[years.entity.isin(BIG_FIVE) & (years.year == "2026")].capex.sum()),
        "digest": digest,
    }


def _band(values: list[float]) -> str:
    """Median and 5-95% of a list, in $B."""
    lo, mid, hi = np.percentile(values, [5, 50, 95])
    return f"{mid:,.0f} ({lo:,.0f}-{hi:,.0f})"


def _lowest(values: list[float]) -> str:
    """The lowest of the figures that exist, in $B ("none" if none does)."""
    known = [v for v in values if v == v]
    return f"{min(known):.2g} $B" if known else "none"


def report(name: str, runs: list[dict]) -> list[str]:
    """Lines for one config's runs."""
    n = len(runs)
    channels: dict[str, int] = {}
    for r in runs:
        for channel, count in r["by_channel"].items():
            channels[channel] = channels.get(channel, 0) + count
    causes: dict[str, int] = {}
    for r in runs:
        for cause in r["causes"]:
            key = cause.split(":")[0] if isinstance(cause, str) else str(cause)
            causes[key] = causes.get(key, 0) + 1
    return [
        f"{name} ({n} seeds)",
        f"  systemic event: {sum(r['systemic'] for r in runs)}/{n} (old count rule: "
        f"{sum(r['systemic_by_count'] for r in runs)}/{n}); causes: {causes or 'none'}",
        f"  defaults: {sum(channels.values())} in all ({sum(r['reorganised'] for r in runs)} reorganised, "
        f"{sum(r['liquidated'] for r in runs)} liquidated), by channel {channels or 'none'}; "
        f"caused by another firm's default: {sum(r['caused_by_default'] for r in runs)}; "
        f"rescues: {sum(r['rescues'] for r in runs)}",
        f"  largest |book equity| of a defaulted firm: {max(r['defaulted_equity'] for r in runs):.2g} $B; "
        f"lowest of a reorganised firm: {_lowest([r['reorganised_equity'] for r in runs])}",
        f"  Nvidia cash at the end: {_band([r['nvidia_cash'] for r in runs])} $B; "
        f"OpenAI peak value: {_band([r['openai_peak'] for r in runs])} $B",
        f"  lowest lender capital ratio: {min(r['lender_min_ratio'] for r in runs):.3f}",
    ]


def calibration(runs: list[dict]) -> list[str]:
    """The baseline's calibration figures against tests/test_calibration.py's bands (medians)."""
    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)
    return [
        "calibration (baseline medians; bands of tests/test_calibration.py)",
        f"  OpenAI 2026 loss before stock pay: {med('openai_2026_loss'):.1f} $B (10-20)",
        f"  OpenAI burn 2026-2029: {med('openai_burn_2026_29'):.1f} $B (80-150)",
        f"  OpenAI first profitable year: {med('openai_first_profit'):.0f} (2030 or later)",
        f"  OpenAI 2030 revenue: {med('openai_2030_revenue'):.1f} $B (100-250)",
        f"  big five 2026 capex: {med('big_five_capex_2026'):.1f} $B (650-750)",
    ]


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options: how many seeds of the baseline and of each scenario, and how many worker processes."""
    from economy.provenance import whole_number

    p.add_argument("--baseline-seeds", type=whole_number(1, 1000), default=20,
                   help="seeds 0..N-1 of the baseline (default 20)")
    p.add_argument("--seeds", type=whole_number(1, 1000), default=10, help="seeds 0..N-1 of each scenario (default 10)")
    p.add_argument("--workers", type=whole_number(1, 64), default=2, help="worker processes (default 2)")


def main(args: argparse.Namespace, run_seed: Callable[[tuple[str, int]], dict]) -> int:
    """Run the seeds with ``run_seed`` (config path, seed) -> :func:`figures_of_run`'s dict, and print the report."""
    configs = [("baseline", BASELINE, args.baseline_seeds)] + [(s.stem, s, args.seeds) for s in SCENARIOS]
    jobs = [(str(path), seed) for _name, path, n in configs for seed in range(n)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(run_seed, jobs, chunksize=2))
    at = 0
    digests: dict[str, str] = {}
    lines: list[str] = []
    for name, _path, n in configs:
        runs, at = results[at:at + n], at + n
        lines += report(name, runs)
        digests[name] = "".join(r["digest"] for r in runs)
        if name == "baseline":
            lines += calibration(runs)
    twins = [(a, b) for a in digests for b in digests if a < b and digests[a] == digests[b]]
    lines.append(f"scenarios with identical results to another: {twins or 'none'}")
    print("\n".join(lines))
    return 0
