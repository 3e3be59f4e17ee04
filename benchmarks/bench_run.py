"""Benchmark: ``run.py run`` end to end, each ``--figures`` setting, against another commit.

Runs the command line as a user does (a fresh interpreter, the baseline config, the
figures and the HTML report, into a temporary folder) for this checkout and for a git
ref, interleaved (the order flips every round, so a machine busy with other work slows
both alike), and prints for each setting the median wall time and the median CPU time
(user + system of the run and of its figure workers) and the ratios ref / now. Wall time
is what a user waits; CPU time is the better measure on a shared machine.

A ref older than ``--figures`` (before 098cd8c) has one setting, its default, which
draws the standard figures: every setting of this checkout is compared with that run.

Usage: ``python benchmarks/bench_run.py [--ref 098cd8c^] [--rounds 5] [--figures none standard all]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from refs import ROOT, checkout_of, rusage_children  # noqa: E402

SETTINGS = ("none", "standard", "all")


def has_figures_option(tree: Path) -> bool:
    """Whether the ``run.py`` of ``tree`` takes ``--figures``."""
    return "--figures" in (tree / "run.py").read_text(encoding="utf-8")


def time_run(tree: Path, figures: str | None, out: Path) -> tuple[float, float]:
    """Run ``run.py run`` of ``tree`` once; return (wall seconds, CPU seconds of it and its children)."""
    cmd = [sys.executable, "run.py", "run", "--out", str(out), "--force"]
    if figures is not None:
        cmd += ["--figures", figures]
    cpu, wall = rusage_children(), time.perf_counter()
    subprocess.run(cmd, cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - wall, rusage_children() - cpu


def main() -> None:
    """Time the runs and print the table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ref", default="098cd8c^", help="the git ref to compare with (default: 098cd8c^, before the "
                                                    "figure sets and workers)")
    p.add_argument("--rounds", type=int, default=5, help="runs of each job (default: 5)")
    p.add_argument("--figures", nargs="+", choices=SETTINGS, default=list(SETTINGS), help="settings to time")
    args = p.parse_args()
    with checkout_of(args.ref) as ref_tree, tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        ref_settings = args.figures if has_figures_option(ref_tree) else [None]
        jobs = [("now", ROOT, s) for s in args.figures] + [("ref", ref_tree, s) for s in ref_settings]
        times: dict[tuple[str, str | None], list[tuple[float, float]]] = {(who, s): [] for who, _, s in jobs}
        for i in range(args.rounds):
            for who, tree, setting in jobs if i % 2 == 0 else reversed(jobs):
                times[(who, setting)].append(time_run(tree, setting, Path(tmp) / f"{who}-{setting}"))
            print(f"round {i + 1}/{args.rounds} done", file=sys.stderr)

    def medians(key: tuple[str, str | None]) -> tuple[float, float]:
        return statistics.median(w for w, _ in times[key]), statistics.median(c for _, c in times[key])

    print(f"run.py run configs/baseline.yaml, {args.rounds} interleaved rounds, medians; ref = {args.ref}"
          + ("" if ref_settings != [None] else " (no --figures there: its default run, the standard figures)"))
    print(f"{'--figures':10s} {'now wall':>9s} {'now CPU':>8s} {'ref wall':>9s} {'ref CPU':>8s} "
          f"{'wall ref/now':>13s} {'CPU ref/now':>12s}")
    for setting in args.figures:
        now_wall, now_cpu = medians(("now", setting))
        ref_wall, ref_cpu = medians(("ref", setting if ref_settings != [None] else None))
        print(f"{setting:10s} {now_wall:8.2f}s {now_cpu:7.2f}s {ref_wall:8.2f}s {ref_cpu:7.2f}s "
              f"{ref_wall / now_wall:12.2f}x {ref_cpu / now_cpu:11.2f}x")


if __name__ == "__main__":
    main()
