"""Tutorial 1: from the baseline to a scenario, and who lost and why.

Covers:
    ``model.AIFinanceModel`` (one run of a config), ``economy.records.frames`` (its
    tables as DataFrames), ``analysis.summary.summarize`` (the headline figures), and
    reading the ``losses`` and ``cascade`` tables to say who lost, through which
    contagion channel, and because of whom.

Scenario:
    The baseline is the financing web around OpenAI at the end of 2025, played
    forward with steady AI demand. The AI winter (``configs/scenarios/ai_winter.yaml``)
    changes one thing about the world: end-user spending on AI busts from 2026Q3 and
    stalls from 2028Q3. Nothing in it says who fails; the firms' rules decide. The
    same seed is used for both runs, so they see the same random draws and every
    difference comes from the scenario.

Run it from the project's root folder, or from any other with the script's full path
(a few seconds)::

    .venv/bin/python docs/tutorials/01_baseline_to_scenario.py
    .venv/bin/python docs/tutorials/01_baseline_to_scenario.py --quarters 12 --seed 3
    .venv/bin/python docs/tutorials/01_baseline_to_scenario.py --scenario configs/scenarios/credit_crunch.yaml

It writes no files. The lines starting ``CONCLUSION:`` are what the tutorial found;
``tests/test_tutorials.py`` runs it with few quarters and checks them. What each column
means is in ``docs/outputs.md``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # so that the project imports from any folder

from analysis.summary import summarize  # noqa: E402
from economy.records import frames  # noqa: E402
from model import AIFinanceModel  # noqa: E402

BASELINE = ROOT / "configs" / "baseline.yaml"
WINTER = ROOT / "configs" / "scenarios" / "ai_winter.yaml"

# The headline figures compared side by side, with how to read each.
HEADLINES = {
    "defaults": "firms in default at the end",
    "first_default_quarter": "when the first one failed",
    "systemic_event": "a systemic event (the rule of analysis/summary.py)",
    "total_losses": "$B of loans and stakes written off by others",
    "lost_backlog": "$B of orders lost to buyers' defaults",
    "fiscal_cost": "$B the government spent on rescues",
    "peak_partner_debt": "$B, the most debt partners owed for the labs' build-out",
    "ai_market_value_peak_to_trough": "share of AI firms' market value lost from its peak",
}


def section(title: str) -> None:
    """Print a heading, so the output reads as a short report."""
    print(f"\n== {title} " + "=" * max(0, 74 - len(title)))


def simulate(config: Path, seed: int, quarters: int | None) -> tuple[dict[str, pd.DataFrame], dict]:
    """Run one config to its end; return its tables and its summary."""
    model = AIFinanceModel(config=config, seed=seed, quarters=quarters).run()
    tables = frames(model)
    labs = [agent.entity for agent in model.companies if agent.role == "lab"]
    return tables, summarize(tables, labs)


def compare(base: dict, scen: dict, name: str) -> pd.DataFrame:
    """The headline figures of both runs in one table, one row per figure."""
    rows = []
    for key, meaning in HEADLINES.items():
        rows.append({"figure": key, "baseline": base[key], name: scen[key], "meaning": meaning})
    for summary, column in ((base, "baseline"), (scen, name)):
        for lab, figures in summary["labs"].items():
            key = f"{lab}: burn 2026-29 ($B)"
            row = next((r for r in rows if r["figure"] == key), None)
            if row is None:
                row = {"figure": key, "meaning": "cash the lab burned (negative: it made cash)"}
                rows.append(row)
            row[column] = figures["cumulative_burn_2026_2029"]
    return pd.DataFrame(rows, columns=["figure", "baseline", name, "meaning"])


def losses_by_holder_and_channel(losses: pd.DataFrame) -> pd.DataFrame:
    """Who lost how much through which channel ($B), biggest losers first."""
    if losses.empty:
        return pd.DataFrame()
    table = losses.pivot_table(index="holder", columns="channel", values="amount", aggfunc="sum", fill_value=0.0)
    table["total"] = table.sum(axis=1)
    return table.sort_values("total", ascending=False).round(1)


def main(argv: list[str] | None = None) -> int:
    """Run the baseline and the scenario, compare them, and say who lost and why."""
    default_quarters = os.environ.get("TUTORIAL_QUARTERS")  # the tests set this, or pass --quarters
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", type=Path, default=WINTER, help="the scenario config (default: the AI winter)")
    p.add_argument("--seed", type=int, default=0, help="one seed for both runs (default 0)")
    p.add_argument("--quarters", type=int, default=int(default_quarters) if default_quarters else None,
                   help="quarters to simulate (default: the configs' own, 32)")
    args = p.parse_args(argv)
    name = args.scenario.stem

    # Step 1. Two runs that differ only in the scenario: same seed, same length.
    base_tables, base = simulate(BASELINE, args.seed, args.quarters)
    tables, scen = simulate(args.scenario, args.seed, args.quarters)
    system = tables["system"]
    print(f"baseline and {name}: seed {args.seed}, {scen['quarters']} quarters, "
          f"{system.quarter.iloc[0]} (opening) to {system.quarter.iloc[-1]}")

    # Step 2. The headline figures side by side. Look first at `defaults` and `systemic_event`,
    # then at the losses: `total_losses` is money written off (loans and shares), while
    # `lost_backlog` is revenue that suppliers had contracted and will never see.
    section("Headline figures")
    print(compare(base, scen, name).to_string(index=False))

    # Step 3. The scenario's story in its own words: the default events of events.csv.
    section(f"What happened in {name}")
    events = tables["events"]
    story = events[events.kind.isin(["default", "rescue", "fire_sale"])]
    print("\n".join(story.text) if len(story) else "no default, rescue or fire sale")

    # Step 4. Why each firm failed: cascade.csv has one row per default and channel that
    # pushed it, largest first. `round` > 1 means the firm fell in the same quarter because
    # of an earlier default; `confidence` with `market sentiment` means investors stopped
    # funding it; `fundamental` means its own business failed with no push from outside.
    section(f"The cascade in {name}")
    cascade = tables["cascade"]
    print(cascade.to_string(index=False) if len(cascade) else "no default")

    # Step 5. Who lost and how: losses.csv summed by holder and channel. `demand` is lost
    # orders (suppliers of a failed buyer), `equity` shares in a failed firm, `payment` and
    # `collateral` loans not recovered (collateral: the part fire-sale prices took).
    section(f"Who lost, through which channel, in {name} ($B)")
    by_holder = losses_by_holder_and_channel(tables["losses"])
    print(by_holder.head(10).to_string() if len(by_holder) else "nobody lost anything")
    section(f"Because of whom ({name}, $B)")
    losses = tables["losses"]
    if len(losses):
        print(losses.groupby(["source", "kind"]).amount.sum().round(1).unstack(fill_value=0.0).to_string())
    else:
        print("nobody lost anything")

    # Step 6. The conclusions, computed from the tables above.
    section("Conclusions")
    print(f"CONCLUSION: defaults: baseline {base['defaults']} {base['defaulted']}, {name} {scen['defaults']} "
          f"{scen['defaulted']}")
    print(f"CONCLUSION: rescued: baseline {base['rescued']}, {name} {scen['rescued']}")
    only = sorted(set(scen["defaulted"]) - set(base["defaulted"]))
    print(f"CONCLUSION: fail only in {name}: {', '.join(only) if only else 'none'}")
    if len(cascade):
        first = cascade.iloc[0]
        cause = f"{first.channel} ({first.caused_by})" if first.caused_by else first.channel
        print(f"CONCLUSION: first default in {name}: {first.entity} in {first.quarter}, pushed most by {cause}")
    else:
        print(f"CONCLUSION: first default in {name}: none")
    if len(by_holder):
        top = by_holder.index[0]
        channel = by_holder.drop(columns="total").loc[top].idxmax()
        print(f"CONCLUSION: largest loser in {name}: {top}, ${by_holder.loc[top, 'total']:.1f}B, mostly through {channel}")
    else:
        print(f"CONCLUSION: largest loser in {name}: none")
    print(f"CONCLUSION: AI firms' market value falls {scen['ai_market_value_peak_to_trough']:.0%} from its peak in "
          f"{name}, {base['ai_market_value_peak_to_trough']:.0%} in the baseline")
    print(f"CONCLUSION: written off in {name}: ${scen['total_losses']:.1f}B of loans and stakes, "
          f"plus ${scen['lost_backlog']:.1f}B of lost orders (baseline: ${base['total_losses']:.1f}B and "
          f"${base['lost_backlog']:.1f}B)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
