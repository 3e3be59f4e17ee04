"""Benchmark: median wall time of one 32-quarter run for the baseline and each scenario, in-process.

Usage: ``python benchmarks/bench_scenarios.py [--runs N]``. The clearing benchmark
(1,000 firms, 10,000 obligations) is ``benchmarks/bench_clearing.py``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from economy.config import load_config  # noqa: E402
from model import BASELINE, AIFinanceModel  # noqa: E402


def main() -> None:
    """Time each config and print a table."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=int, default=10)
    args = p.parse_args()
    paths = [BASELINE, *sorted((ROOT / "configs" / "scenarios").glob("*.yaml"))]
    print(f"{'config':<22}{'median ms':>10}{'min ms':>9}{'max ms':>9}  defaults (seed 0)")
    for path in paths:
        cfg = load_config(path)
        times = []
        for seed in range(args.runs):
            t0 = time.perf_counter()
            m = AIFinanceModel(config=cfg, seed=seed).run()
            times.append(time.perf_counter() - t0)
            if seed == 0:
                defaults = m.defaults
        ms = [statistics.median(times) * 1e3, min(times) * 1e3, max(times) * 1e3]
        print(f"{path.stem:<22}{ms[0]:>10.1f}{ms[1]:>9.1f}{ms[2]:>9.1f}  {defaults}")


if __name__ == "__main__":
    main()
