"""Benchmark: one baseline run, in-process, after imports: wall and CPU time, and against another commit.

Prints the median over repeated 32-quarter runs of configs/baseline.yaml (wall time and
CPU time of the process, which a machine busy with other work disturbs less) and the time
per holder-quarter. With ``--ref`` (a git ref, e.g. ``HEAD~5``), runs the same loop for that
commit too, in child processes taking turns with this checkout's, and prints the ratios
ref / now. Usage: ``python benchmarks/bench_baseline.py [--runs N] [--ref REF]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from refs import ROOT, checkout_of  # noqa: E402

# The timing loop, as a child process runs it in a tree (of this checkout or of the ref): the API it uses
# (load_config, AIFinanceModel(config=, seed=).run()) is the same in every commit since the config schema.
LOOP = """
import json, sys, time
from economy.config import load_config
from model import AIFinanceModel
cfg = load_config(sys.argv[1])
AIFinanceModel(config=cfg, seed=0).run()  # warm-up
times = []
for seed in range(int(sys.argv[2])):
    wall, cpu = time.perf_counter(), time.process_time()
    m = AIFinanceModel(config=cfg, seed=seed).run()
    times.append((time.perf_counter() - wall, time.process_time() - cpu))
print(json.dumps({"times": times, "holders": len(m.ledger.names), "quarters": cfg.run.quarters}))
"""


def timed_runs(tree: Path, config: str, runs: int) -> dict:
    """Run the timing loop in a fresh interpreter on the code of ``tree``; its result."""
    done = subprocess.run([sys.executable, "-c", LOOP, config, str(runs)], cwd=tree, check=True, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(tree)})
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Time baseline runs and print the figures."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--config", default="configs/baseline.yaml", help="config, relative to each tree's top")
    p.add_argument("--ref", default=None, help="a git ref to compare with (its runs take turns with these)")
    args = p.parse_args()
    batches = max(1, min(5, args.runs // 5)) if args.ref else 1  # turns each tree takes
    per_batch = -(-args.runs // batches)
    now: list[tuple[float, float]] = []
    ref: list[tuple[float, float]] = []
    started = time.perf_counter()
    with checkout_of(args.ref) if args.ref else contextlib.nullcontext() as ref_tree:
        for i in range(batches):
            order = [(ROOT, now), (ref_tree, ref)] if i % 2 == 0 else [(ref_tree, ref), (ROOT, now)]
            for tree, into in order:
                if tree is not None:
                    result = timed_runs(tree, args.config, per_batch)
                    into += [tuple(t) for t in result["times"]]
                    if tree == ROOT:
                        holders, quarters = result["holders"], result["quarters"]
    wall, cpu = statistics.median(w for w, _ in now), statistics.median(c for _, c in now)
    print(f"config: {args.config}")
    print(f"runs: {len(now)}, quarters: {quarters}, ledger holders: {holders} ({time.perf_counter() - started:.0f} s)")
    print(f"median per run: wall {wall * 1e3:.1f} ms (min {min(w for w, _ in now) * 1e3:.1f}, "
          f"max {max(w for w, _ in now) * 1e3:.1f}), CPU {cpu * 1e3:.1f} ms")
    print(f"per holder-quarter: {wall / (holders * quarters) * 1e6:.1f} us wall, {cpu / (holders * quarters) * 1e6:.1f} us CPU")
    if ref:
        ref_wall, ref_cpu = statistics.median(w for w, _ in ref), statistics.median(c for _, c in ref)
        print(f"ref {args.ref}: wall {ref_wall * 1e3:.1f} ms, CPU {ref_cpu * 1e3:.1f} ms per run "
              f"(runs taking turns with these); ref / now: wall {ref_wall / wall:.2f}x, CPU {ref_cpu / cpu:.2f}x")



if __name__ == "__main__":
    main()
