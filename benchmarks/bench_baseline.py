"""Benchmark: wall time of one baseline run, in-process, after imports.

Prints the median over repeated 32-quarter runs of configs/baseline.yaml and the
time per holder-quarter. Usage: ``python benchmarks/bench_baseline.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from economy.config import load_config  # noqa: E402
from model import BASELINE, AIFinanceModel  # noqa: E402


def main() -> None:
    """Time baseline runs and print the figures."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--config", default=str(BASELINE))
    args = p.parse_args()
    cfg = load_config(args.config)
    AIFinanceModel(config=cfg, seed=0).run()  # warm-up
    times = []
    for seed in range(args.runs):
        t0 = time.perf_counter()
        m = AIFinanceModel(config=cfg, seed=seed).run()
        times.append(time.perf_counter() - t0)
    holders = len(m.ledger.names)
    quarters = cfg.run.quarters
    med = statistics.median(times)
    print(f"config: {args.config}")
    print(f"runs: {args.runs}, quarters: {quarters}, ledger holders: {holders}")
    print(f"median wall time per run: {med * 1e3:.1f} ms (min {min(times) * 1e3:.1f}, max {max(times) * 1e3:.1f})")
    print(f"per holder-quarter: {med / (holders * quarters) * 1e6:.1f} us")


if __name__ == "__main__":
    main()
