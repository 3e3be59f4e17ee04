"""Tutorial 2: a small parameter study, and the effect of one parameter.

Covers:
    Writing a sweep spec, running it with ``run.py sweep`` (stored run by run, resumable),
    reading it back with ``analysis.study.load_sweep``, and turning the runs into the
    effect of one parameter: medians per value, and the share of runs with a default.

Scenario:
    How fast AI spending grows is the baseline's largest uncertainty: its steady regime
    assumes 90% a year, fading as the market matures. This study runs the baseline at
    five growth rates from 15% to 95% and asks what that does to OpenAI's cash burn in
    2026-29 and to the debt its partners take on to build for it. Each growth rate is run
    with the same few seeds (``seeds: common``): every design point sees the same random
    draws, so a difference between two rows is the parameter's doing, not luck.

Run it from the project's root folder, or from any other with the script's full path
(well under a minute; ``--workers 2`` shares the runs out)::

    .venv/bin/python docs/tutorials/02_sensitivity.py
    .venv/bin/python docs/tutorials/02_sensitivity.py --quarters 16 --replications 2 --workdir /tmp/study

It writes the spec and the study into ``--workdir`` (default:
``results/tutorial_02_sensitivity`` under the current folder; git ignores ``results/``).
Running it again with the same options resumes the stored study and runs nothing twice;
``.venv/bin/python run.py analyze WORKDIR/study`` then writes the full report (tables,
fan charts, heatmaps). The lines starting ``CONCLUSION:`` are
what the tutorial found; ``tests/test_tutorials.py`` runs it small and checks them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # so that the project imports from any folder

from analysis.study import load_sweep  # noqa: E402

BASELINE = ROOT / "configs" / "baseline.yaml"
PARAMETER = "demand_growth"
PATH = "world.demand.regimes.steady.growth_annual"
VALUES = (0.15, 0.35, 0.55, 0.75, 0.95)
BURN = "openai_cumulative_burn_2026_2029"

SPEC = """\
# Written by docs/tutorials/02_sensitivity.py: what does the growth of AI demand change?
name: tutorial_sensitivity
description: The baseline at five growth rates of steady AI demand, on common seeds.
base: {base}
quarters: {quarters}
seed: 2026
seeds: common                # replication r gets the same seed at every growth rate
replications: {replications}
sampler: {{kind: grid}}
parameters:
  {parameter}:
    path: {path}
    values: [{values}]
outputs:
  timeseries: true           # keep the system table of every run, for the last step
"""


def section(title: str) -> None:
    """Print a heading, so the output reads as a short report."""
    print(f"\n== {title} " + "=" * max(0, 74 - len(title)))


def write_spec(workdir: Path, quarters: int, replications: int) -> Path:
    """Write the study's spec into the work folder (the same text for the same options, so a rerun resumes)."""
    workdir.mkdir(parents=True, exist_ok=True)
    spec = workdir / "spec.yaml"
    spec.write_text(SPEC.format(base=BASELINE, quarters=quarters, replications=replications, parameter=PARAMETER,
                                path=PATH, values=", ".join(str(v) for v in VALUES)), encoding="utf-8")
    return spec


def run_study(spec: Path, out: Path, workers: int) -> None:
    """Run the study with the command line, as a user would; stop the tutorial if it fails."""
    executor = ["--executor", "serial"] if workers <= 1 else ["--executor", "processes", "--workers", str(workers)]
    command = [sys.executable, str(ROOT / "run.py"), "sweep", str(spec), "--out", str(out), "--no-progress", *executor]
    print("$", " ".join(command[1:]))
    done = subprocess.run(command, capture_output=True, text=True)
    print(done.stdout.strip())
    if done.returncode != 0:
        sys.exit(f"the sweep failed (exit {done.returncode}):\n{done.stderr}")


def effect(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per value of the parameter: medians of the outcomes, and the share of runs with a default."""
    ok = runs[runs.status == "ok"]
    grouped = ok.groupby(PARAMETER)
    return pd.DataFrame({
        "runs": grouped.size(),
        "openai_burn_median": grouped[BURN].median(),
        "peak_partner_debt_median": grouped["peak_partner_debt"].median(),
        "share_with_a_default": grouped["defaults"].apply(lambda d: float((d > 0).mean())),
        "share_systemic": grouped["systemic_event"].apply(lambda s: float(s.astype(bool).mean())),
    }).round(3)


def direction(low: float, high: float) -> str:
    """How a median moves from the lowest to the highest value of the parameter, in a word."""
    if abs(high - low) <= 1e-9 * max(1.0, abs(low)):
        return "leaves unchanged"
    return "raises" if high > low else "lowers"


def main(argv: list[str] | None = None) -> int:
    """Write the spec, run the study, load it and show the effect of demand growth."""
    env = os.environ
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quarters", type=int, default=int(env.get("TUTORIAL_QUARTERS", 16)),
                   help="quarters per run (default 16: 2026-2029, the burn window)")
    p.add_argument("--replications", type=int, default=int(env.get("TUTORIAL_REPLICATIONS", 4)),
                   help="seeds per growth rate (default 4)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1: runs one after another)")
    p.add_argument("--workdir", type=Path, default=Path("results") / "tutorial_02_sensitivity",
                   help="where the spec and the study go (default: results/tutorial_02_sensitivity/ here)")
    args = p.parse_args(argv)

    # Step 1. The spec: one parameter on a grid of five values, a few common seeds. A spec is
    # validated like a config, so a misspelt path stops here with the field named.
    section("The spec")
    spec = write_spec(args.workdir, args.quarters, args.replications)
    print(spec.read_text(encoding="utf-8").strip())

    # Step 2. Run it. Each run is stored as it finishes; stop it (Ctrl-C) and start it again
    # and it goes on where it stopped. Results are the same with any executor or worker count.
    section("Running the study")
    out = args.workdir / "study"
    run_study(spec, out, args.workers)

    # Step 3. Load the runs: one row per run, with its seed, the parameter and every metric.
    section("The runs")
    runs = load_sweep(out)
    print(runs[["run_id", "seed", PARAMETER, "status", "defaults", BURN, "peak_partner_debt"]].to_string(index=False))
    failed = runs[runs.status != "ok"]
    if len(failed):  # a run that raises is stored with its error, and the study goes on
        print(f"{len(failed)} runs failed, e.g.: {failed.error.iloc[0]}")

    # Step 4. The effect of the parameter. Read down each column: a median that moves steadily
    # is the parameter at work; one that jumps about is the seeds (add replications). Read the
    # columns together, too: a lab that defaults stops burning cash, so at the slowest growth
    # the burn can look smaller than at the next value only because the lab failed early.
    section(f"Effect of {PARAMETER} (medians over seeds; shares of runs)")
    table = effect(runs)
    print(table.to_string())

    # Step 5. The time series tell how: partner debt per quarter, median over seeds.
    section("Partner debt over time ($B, median over seeds)")
    series = load_sweep(out, "timeseries")
    debt = series.groupby(["quarter", PARAMETER]).partner_debt.median().unstack(PARAMETER)
    print(debt.iloc[:: max(1, len(debt) // 6)].round(0).to_string())

    # Step 6. The conclusions, from the table above.
    section("Conclusions")
    low, high = table.index.min(), table.index.max()
    burn_low, burn_high = table.loc[low, "openai_burn_median"], table.loc[high, "openai_burn_median"]
    debt_low, debt_high = table.loc[low, "peak_partner_debt_median"], table.loc[high, "peak_partner_debt_median"]
    print(f"CONCLUSION: {len(runs)} runs, {int((runs.status == 'ok').sum())} ok, {runs[PARAMETER].nunique()} values of "
          f"{PARAMETER}, {args.quarters} quarters each")
    print(f"CONCLUSION: faster demand growth {direction(burn_low, burn_high)} OpenAI's 2026-29 burn: median "
          f"${burn_low:.1f}B at {low:.0%} a year, ${burn_high:.1f}B at {high:.0%}")
    print(f"CONCLUSION: faster demand growth {direction(debt_low, debt_high)} peak partner debt: median "
          f"${debt_low:.0f}B at {low:.0%}, ${debt_high:.0f}B at {high:.0%}")
    print(f"CONCLUSION: runs with a default: {table.loc[low, 'share_with_a_default']:.0%} at {low:.0%}, "
          f"{table.loc[high, 'share_with_a_default']:.0%} at {high:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
