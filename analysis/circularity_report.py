"""How much money goes round, across seeds: round-tripped revenue and the loop's outside funding need.

    .venv/bin/python run.py circularity                      # the baseline and the AI winter, seeds 0-9
    .venv/bin/python run.py circularity configs/scenarios/credit_crunch.yaml --seeds 5 --workers 2

For each config it prints, as the median over the seeds (and the 5-95% range), the share
of Nvidia's, Oracle's, CoreWeave's, AMD's, Amazon's and Microsoft's revenue over the run
that came back from firms they funded (directly, one step removed, both) and that was
paid out of the loop's own funding (``summary.json``'s ``circularity.firms``); then the
loop's outside funding need and net outside funding by year and the share of its spending
financed inside the loop (``circularity.*_by_year``); and the cycles that are largest most
often. Every definition is in :mod:`economy.circularity` and docs/outputs.md.

Runs are independent, so they go to worker processes; the figures do not depend on how
many. The runs themselves are made by a function run.py passes in (this package does not
import the model).
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = (ROOT / "configs" / "baseline.yaml", ROOT / "configs" / "scenarios" / "ai_winter.yaml")
"""The configs reported when none is named: the baseline and the AI winter."""
FIRMS = ("nvidia", "oracle", "coreweave", "amd", "amazon", "microsoft")
"""The firms reported, where a config has them."""
SHARES = ("direct_share", "one_step_share", "round_trip_share", "loop_financed_share")
BY_YEAR = ("outside_funding_need_by_year", "outside_funding_net_by_year", "financed_inside_share_by_year")


def figures_of_run(tables: dict) -> dict:
    """One run's circularity figures from its tables (``summary.json``'s ``circularity`` block, a plain dict).

    Args:
        tables: The run's tables (:func:`economy.records.frames`).
    """
    from analysis.summary import circularity_figures

    return circularity_figures(tables["circularity"], tables["loop"], tables["cycles"])


def _band(values: Sequence[float], fmt: str) -> str:
    """Median and 5-95% of the values, formatted."""
    lo, mid, hi = np.percentile(values, [5, 50, 95])
    return f"{mid:{fmt}} ({lo:{fmt}} to {hi:{fmt}})"


def report(name: str, runs: list[dict]) -> list[str]:
    """The lines for one config's runs (each a :func:`figures_of_run` dict)."""
    n = len(runs)
    lines = [f"{name} ({n} seed{'s' if n != 1 else ''}): median (5-95%) over the seeds",
             "  share of revenue over the run, %"
             + "".join(f"{s.removesuffix('_share').replace('_', ' '):>26}" for s in SHARES)]
    for firm in FIRMS:
        have = [r["firms"][firm] for r in runs if firm in r["firms"]]
        if have:
            lines.append(f"    {firm:<29}" + "".join(f"{_band([100 * h[s] for h in have], '.2f'):>26}" for s in SHARES))
    lines.append("  the loop by year" + "".join(f"{h:>26}" for h in ("outside need $B", "outside net $B",
                                                                       "financed inside %")))
    years = sorted({int(y) for r in runs for y in r[BY_YEAR[0]]})
    for year in years:
        cells = []
        for key in BY_YEAR:
            values = [float(r[key].get(year, r[key].get(str(year), 0.0))) for r in runs]  # int keys, or str from JSON
            cells.append(_band([100 * v for v in values], ".2f") if key.endswith("share_by_year") else _band(values, ",.0f"))
        lines.append(f"    {year:<13}" + "".join(f"{c:>26}" for c in cells))
    tops = Counter(next(iter(r["top_cycles"]), "none") for r in runs)
    lines.append("  largest cycle over the run (volume summed over the quarters), in how many seeds: "
                 + "; ".join(f"{c} ({k})" for c, k in tops.most_common(3)))
    return lines


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options: the configs, how many seeds of each, and how many worker processes."""
    from economy.provenance import whole_number

    p.add_argument("configs", nargs="*", default=[str(c) for c in CONFIGS],
                   help="config YAMLs (default: the baseline and the AI winter)")
    p.add_argument("--seeds", type=whole_number(1, 1000), default=10, help="seeds 0..N-1 of each config (default 10)")
    p.add_argument("--quarters", type=whole_number(1, 200), default=None, help="quarters to simulate (default: each config's)")
    p.add_argument("--workers", type=whole_number(1, 64), default=2, help="worker processes (default 2)")


def main(args: argparse.Namespace, run_seed: Callable[[tuple[str, int, int | None]], dict]) -> int:
    """Run the seeds with ``run_seed`` (config path, seed, quarters or None) -> :func:`figures_of_run`'s dict; print."""
    jobs = [(str(path), seed, args.quarters) for path in args.configs for seed in range(args.seeds)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(run_seed, jobs, chunksize=1))
    lines: list[str] = []
    for i, path in enumerate(args.configs):
        lines += report(Path(path).stem, results[i * args.seeds:(i + 1) * args.seeds])
    print("\n".join(lines))
    return 0
