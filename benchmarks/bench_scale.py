"""Benchmark: how a run's cost grows with the size of the web.

Builds worlds of N copies of the baseline's firms and contracts (ids suffixed, each
copy's market shares and chip shares divided by N so that the world stays a valid
config; the government is shared), runs each for the baseline's 32 quarters and
prints the wall time, the time per holder-quarter and the growth exponent between
sizes. Usage: ``python benchmarks/bench_scale.py [--copies 1 4 16] [--quarters 32]``.

Compare two commits on one machine: run this script in each (e.g. from a
``git worktree``) one after the other and compare the times; machines differ.
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from economy.config import config_from_dict, read_yaml  # noqa: E402
from model import BASELINE, AIFinanceModel  # noqa: E402

# Fields whose strings are free text or names of kinds, never ids of companies or contracts.
NOT_REFERENCES = {"name", "role", "kind", "source", "instrument", "payment", "collateral", "seniority", "form",
                  "amortisation", "policy", "regime", "from", "complete", "start", "end", "maturity", "description"}


def _renamed(node, ids: set[str], suffix: str, key: str = ""):
    """A copy of config data with every reference to one of ``ids`` suffixed."""
    if isinstance(node, dict):
        return {k: _renamed(v, ids, suffix, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_renamed(v, ids, suffix, key) for v in node]
    if isinstance(node, str) and key not in NOT_REFERENCES and node in ids:
        return node + suffix
    return node


def _scale(company: dict, copies: int) -> dict:
    """Shares that must sum to at most one across firms are split between the copies."""
    for section, field in (("lab", "market_share"), ("chips", "hardware_share"), ("builder", "spot_share")):
        if company.get(section) and field in company[section]:
            company[section][field] /= copies
    return company


def world(copies: int, quarters: int) -> dict:
    """The baseline's web ``copies`` times over, as plain config data."""
    raw = read_yaml(Path(BASELINE))[0]
    shared = {c["id"] for c in raw["companies"] if c["role"] == "government"}
    ids = {c["id"] for c in raw["companies"] if c["id"] not in shared} | {k["id"] for k in raw.get("contracts", [])}
    out = copy.deepcopy(raw)
    out["run"] = {**raw.get("run", {}), "quarters": quarters}
    out["companies"] = [c for c in raw["companies"] if c["id"] in shared]
    out["contracts"] = []
    for k in range(copies):
        suffix = f"_{k}" if copies > 1 else ""
        out["companies"] += [_scale(_renamed(c, ids, suffix), copies) for c in raw["companies"] if c["id"] not in shared]
        out["contracts"] += [_renamed(c, ids, suffix) for c in raw.get("contracts", [])]
    return out


def main() -> None:
    """Time runs of growing worlds and print the figures."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--copies", type=int, nargs="+", default=[1, 4, 16])
    p.add_argument("--quarters", type=int, default=32)
    args = p.parse_args()
    print(f"{'copies':>6} {'holders':>8} {'contracts':>10} {'seconds':>9} {'us/holder-quarter':>18} {'exponent':>9}")
    last = None
    for copies in args.copies:
        cfg = config_from_dict(world(copies, args.quarters), f"baseline x{copies}")
        start = time.perf_counter()
        m = AIFinanceModel(config=cfg, seed=0).run()
        seconds = time.perf_counter() - start
        holders = len(m.ledger.names)
        exponent = f"{math.log(seconds / last[1]) / math.log(holders / last[0]):9.2f}" if last else f"{'':9}"
        print(f"{copies:>6} {holders:>8} {len(m.book.contracts):>10} {seconds:>9.2f} "
              f"{seconds / (holders * args.quarters) * 1e6:>18.1f} {exponent}")
        last = (holders, seconds)


if __name__ == "__main__":
    main()
