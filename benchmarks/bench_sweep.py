"""Benchmark: parameter studies of the baseline on this machine.

Covers:
    * runs per second of the baseline with 1 and with 2 worker processes (target: 2 >= 1.7 x 1);
    * what two processes get from this machine at all (pure-Python work, one vs two at once);
    * our sweep against ``mesa.batch_run`` on the same model, seeds and number of processes
      (target: at least as fast);
    * the Dask executor (LocalCluster on 127.0.0.1) against local processes (target: <= 20% slower);
    * a 10,000-run Monte Carlo of the baseline keeping summary metrics (target: <= 10 minutes,
      peak memory of the whole process tree <= 1 GB).

Every sweep writes into a temporary folder that is removed at the end. Usage::

    python benchmarks/bench_sweep.py                          # everything (the Monte Carlo takes a while)
    python benchmarks/bench_sweep.py --sections scaling,batch,dask --runs 120
    python benchmarks/bench_sweep.py --sections mc --mc-runs 10000

Rates are given two ways: over the whole invocation (worker start-up included) and in
steady state (between the first and the last stored chunk, from the chunks' times).
The machine may be shared: the short comparisons alternate their contenders and keep
the best of ``--repeat`` tries, and the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mesa  # noqa: E402
import psutil  # noqa: E402

from economy.sweep.runner import run_sweep  # noqa: E402
from economy.sweep.spec import study_from_dict  # noqa: E402
from economy.sweep.storage import SweepStore  # noqa: E402
from model import BASELINE, AIFinanceModel  # noqa: E402
from run import study_kit  # noqa: E402

SECTIONS = ("calibrate", "scaling", "batch", "dask", "mc")


class SummarizingModel(AIFinanceModel):
    """The model with a DataCollector that also works out the run's summary metrics at its last quarter.

    ``mesa.batch_run`` then does the same work per run as our sweep (which keeps those
    metrics), for a like-for-like timing.
    """

    def __init__(self, config=None, seed=None, quarters=None, overrides=None) -> None:
        """Build the model; collect the metrics when the last quarter closes."""
        super().__init__(config=config, seed=seed, quarters=quarters, overrides=overrides)
        self.datacollector = mesa.DataCollector(model_reporters={"metrics": final_metrics})
        self.datacollector.collect(self)


def final_metrics(model: AIFinanceModel) -> dict | None:
    """The run's summary metrics once its last quarter has closed (None before)."""
    from analysis.summary import run_metrics, summarize
    from economy.records import frames

    if model.quarter < model.config.run.quarters:
        return None
    return run_metrics(summarize(frames(model), ["openai"]))


def monte_carlo(runs: int, seeds: str = "per_run") -> dict:
    """A spec replicating the baseline ``runs`` times (no parameters)."""
    return {"name": f"bench_{runs}", "base": str(BASELINE), "seed": 1, "seeds": seeds, "replications": runs,
            "sampler": {"kind": "grid"}}


class PeakRss:
    """Samples the resident memory of this process and all its descendants; keeps the peak."""

    def __init__(self, every: float = 0.25) -> None:
        """Start sampling in a background thread."""
        self.peak = 0
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def stop(self) -> int:
        """Stop sampling; the peak in bytes."""
        self._stop.set()
        self._thread.join()
        return self.peak


class Timing:
    """One sweep's figures: wall seconds, steady-state runs per second, runs made and failed, CPU seconds of the tree."""

    def __init__(self, wall: float, steady: float, made: int, failed: int, cpu: float) -> None:
        """Keep the figures."""
        self.wall, self.steady, self.made, self.failed, self.cpu = wall, steady, made, failed, cpu

    @property
    def rate(self) -> float:
        """Runs per second over the whole invocation."""
        return self.made / self.wall


def timed_sweep(raw: dict, folder: Path, **kwargs) -> Timing:
    """Run a sweep into a new folder and time it."""
    study = study_from_dict(raw, "bench", Path.cwd())
    cpu0 = _tree_cpu()
    t0 = time.perf_counter()
    outcome = run_sweep(study, folder, study_kit(), progress=False, log=lambda _m: None, **kwargs)
    wall = time.perf_counter() - t0
    cpu = _tree_cpu() - cpu0
    # a chunk is stored when its commit record is written: the records' times pace the sweep
    times = sorted((c.record.stat().st_mtime, c.runs) for c in SweepStore(folder).chunks())
    first, last = times[0][0], times[-1][0]
    later = sum(runs for _, runs in times[1:])
    steady = later / (last - first) if last > first else float("nan")
    if outcome.failed:
        print(f"  WARNING: {outcome.failed} of {outcome.made} runs failed (see {folder}); figures are not comparable")
    return Timing(wall, steady, outcome.made, outcome.failed, cpu)


def _tree_cpu() -> float:
    """CPU seconds used by this process and every child it has waited for (workers are joined at shutdown)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def best(timings: list[Timing]) -> Timing:
    """The fastest of repeated measurements: on a shared machine, the one least slowed by others."""
    return min(timings, key=lambda t: t.wall)


def _burn(n: int) -> float:
    """Pure-Python arithmetic for ``n`` steps; its own wall time."""
    t0 = time.perf_counter()
    total = 0
    for i in range(n):
        total += i * i
    return time.perf_counter() - t0


def calibrate(repeat: int) -> None:
    """What this machine gives two processes: the same pure-Python work, alone and two at once."""
    import concurrent.futures as cf
    import multiprocessing

    n = 15_000_000
    alone, together = [], []
    with cf.ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        pool.submit(_burn, 1000).result()
        for _ in range(repeat):
            alone.append(pool.submit(_burn, n).result())
            t0 = time.perf_counter()
            list(pool.map(_burn, [n, n]))
            together.append(time.perf_counter() - t0)
    print(f"\n== machine: two processes do {2 * min(alone) / min(together):.2f}x the pure-Python work of one "
          f"(the ceiling for any 2-worker speed-up here; best of {repeat})")


def scaling(runs: int, repeat: int, tmp: Path) -> None:
    """Runs per second with 1 and 2 worker processes (alternating, best of ``repeat``)."""
    print(f"\n== baseline, {runs} runs, processes executor, 1 vs 2 workers, best of {repeat}")
    seen: dict[int, list[Timing]] = {1: [], 2: []}
    for r in range(repeat):
        for workers in (1, 2):
            seen[workers].append(timed_sweep(monte_carlo(runs), tmp / f"scale{workers}_{r}", executor="processes",
                                             workers=workers))
    for workers in (1, 2):
        t = best(seen[workers])
        print(f"  {workers} worker(s): {t.wall:6.1f} s wall, {t.rate:5.2f} runs/s overall, {t.steady:5.2f} runs/s steady")
    one, two = best(seen[1]), best(seen[2])
    print(f"  speed-up 2 vs 1: {two.rate / one.rate:.2f}x overall, {two.steady / one.steady:.2f}x steady (target >= 1.7x)")


def versus_batch_run(runs: int, repeat: int, tmp: Path) -> None:
    """Our sweep against mesa.batch_run: same model, seeds 0..N-1, 32 quarters, 2 processes (best of ``repeat``)."""
    from economy.config import load_config

    print(f"\n== ours vs mesa.batch_run, baseline, seeds 0..{runs - 1}, 2 processes, best of {repeat}")
    ours: list[Timing] = []
    theirs: dict[str, list[float]] = {"config given as its path": [], "config given pre-loaded": [],
                                      "config pre-loaded, summary metrics worked out too (the same work as ours)": []}
    for r in range(repeat):
        ours.append(timed_sweep(monte_carlo(runs, seeds="replication"), tmp / f"ours{r}", executor="processes", workers=2))
        for label in theirs:
            cfg = str(BASELINE) if label.endswith("path") else [load_config(BASELINE)]
            model = SummarizingModel if "metrics" in label else AIFinanceModel
            t0 = time.perf_counter()
            rows = mesa.batch_run(model, parameters={"config": cfg, "seed": list(range(runs)), "quarters": 32},
                                  iterations=1, number_processes=2, data_collection_period=-1, display_progress=False)
            assert len(rows) == runs
            theirs[label].append(time.perf_counter() - t0)
    mine = best(ours)
    print(f"  our sweep (summary metrics kept):   {mine.wall:6.1f} s, {mine.rate:5.2f} runs/s")
    print("  mesa.batch_run (AIFinanceModel's own DataCollector, last step kept):")
    for label, walls in theirs.items():
        bw = min(walls)
        print(f"    {label}: {bw:6.1f} s, {runs / bw:5.2f} runs/s -> ours {bw / mine.wall:.2f}x as fast (target >= 1)")


def dask_overhead(runs: int, repeat: int, tmp: Path) -> None:
    """The Dask executor (LocalCluster, 2 worker processes) against 2 local processes (alternating, best of ``repeat``)."""
    print(f"\n== dask vs processes, baseline, {runs} runs, 2 workers, best of {repeat}")
    seen: dict[str, list[Timing]] = {"processes": [], "dask": []}
    for r in range(repeat):
        for kind in seen:
            seen[kind].append(timed_sweep(monte_carlo(runs), tmp / f"{kind}{r}", executor=kind, workers=2))
    p, d = best(seen["processes"]), best(seen["dask"])
    for kind, t in (("processes", p), ("dask", d)):
        print(f"  {kind:9s}: {t.wall:6.1f} s wall ({t.rate:5.2f} runs/s), steady {t.steady:5.2f} runs/s, "
              f"{t.cpu / t.made * 1e3:.0f} ms CPU per run (all processes)")
    print(f"  dask overhead: {d.wall / p.wall - 1:+.0%} wall (cluster start-up included), "
          f"{p.steady / d.steady - 1:+.0%} steady state, {d.cpu / p.cpu - 1:+.0%} CPU (target <= +20%)")


def big_monte_carlo(runs: int, tmp: Path) -> None:
    """A Monte Carlo of the baseline keeping summary metrics: wall time and peak memory of the process tree."""
    from analysis.study import load_sweep

    print(f"\n== Monte Carlo, baseline, {runs} runs, 2 worker processes, summary metrics kept")
    meter = PeakRss()
    t = timed_sweep(monte_carlo(runs), tmp / "mc", executor="processes", workers=2)
    peak = meter.stop()
    size = sum(f.stat().st_size for f in (tmp / "mc").rglob("*") if f.is_file())
    t0 = time.perf_counter()
    table = load_sweep(tmp / "mc")
    load = time.perf_counter() - t0
    ok = table[table.status == "ok"]
    print(f"  {t.made} runs ({t.failed} failed) in {t.wall / 60:.1f} min ({t.rate:.2f} runs/s overall, "
          f"{t.steady:.2f} steady); target <= 10 min")
    print(f"  peak RSS of the process tree: {peak / 2**20:.0f} MB (target <= 1024 MB)")
    share = f"{ok.systemic_event.astype(float).mean():.3f}" if "systemic_event" in ok.columns and len(ok) else "n/a"
    print(f"  stored: {size / 2**20:.1f} MB on disk; load_sweep: {len(table)} rows in {load:.1f} s; P(systemic event) = {share}")


def main() -> None:
    """Run the chosen sections and print their figures."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=120, help="runs for the scaling, batch_run and dask comparisons")
    p.add_argument("--mc-runs", type=int, default=10_000, help="runs of the Monte Carlo")
    p.add_argument("--repeat", type=int, default=2, help="repetitions of the short comparisons (best is kept)")
    p.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated: {', '.join(SECTIONS)}")
    args = p.parse_args()
    chosen = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        p.error(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    print(f"machine: {psutil.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.0f} GB; baseline {BASELINE}")
    load = " ".join(f"{x:.2f}" for x in psutil.getloadavg())
    print(f"load average before: {load} (other work on the machine slows every figure below)")
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        tmp = Path(tmp)
        if "calibrate" in chosen:
            calibrate(max(3, args.repeat))
        if "scaling" in chosen:
            scaling(args.runs, args.repeat, tmp)
        if "batch" in chosen:
            versus_batch_run(args.runs, args.repeat, tmp)
        if "dask" in chosen:
            dask_overhead(args.runs, args.repeat, tmp)
        if "mc" in chosen:
            big_monte_carlo(args.mc_runs, tmp)
    print("\nload average after: " + " ".join(f"{x:.2f}" for x in psutil.getloadavg()))


if __name__ == "__main__":
    main()
