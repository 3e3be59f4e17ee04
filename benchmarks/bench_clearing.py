"""Benchmark of economy.clearing on a random network of 1,000 nodes and 10,000 obligations.

Builds one seeded network in which many nodes are short of cash, reports how many
default, and prints the median wall time of ``clear_obligations`` over repeated runs,
without and with Rogers–Veraart bankruptcy costs.

Run from the repository root: ``.venv/bin/python benchmarks/bench_clearing.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

# Run as a plain script, so the repository root is not on sys.path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from economy.clearing import clear_obligations  # noqa: E402

N_NODES = 1_000
N_OBLIGATIONS = 10_000
REPETITIONS = 30
SEED = 12345


def build_network(
    rng: np.random.Generator, n: int, m: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A random obligation list with heavy-tailed amounts and cash near each node's net position.

    Args:
        rng: Seeded random generator.
        n: Number of nodes.
        m: Number of obligations.

    Returns:
        ``(payer, payee, amount, cash)``.
    """
    payer = rng.integers(0, n, m)
    payee = rng.integers(0, n - 1, m)
    payee[payee >= payer] += 1  # nobody owes itself
    amount = rng.lognormal(mean=0.0, sigma=1.0, size=m)
    owes = np.bincount(payer, weights=amount, minlength=n)
    owed = np.bincount(payee, weights=amount, minlength=n)
    # Cash covers the net position give or take 30% of gross obligations, so a sizeable
    # minority starts short and others are dragged down by contagion.
    cash = np.maximum(0.0, owes - owed + rng.uniform(-0.3, 0.3, n) * owes)
    return payer, payee, amount, cash


def time_clearing(
    args: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], alpha: float, beta: float
) -> tuple[float, int, int]:
    """Median milliseconds of clear_obligations, and the defaults and rounds of one run.

    Args:
        args: ``(payer, payee, amount, cash)``.
        alpha: Fraction of outside assets a defaulting node realises.
        beta: Fraction of incoming payments a defaulting node passes on.

    Returns:
        ``(median_ms, n_defaulted, rounds)``.
    """
    payer, payee, amount, cash = args
    _, result = clear_obligations(N_NODES, payer, payee, amount, cash, alpha=alpha, beta=beta)  # warm-up
    times = []
    for _ in range(REPETITIONS):
        start = time.perf_counter()
        clear_obligations(N_NODES, payer, payee, amount, cash, alpha=alpha, beta=beta)
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times), int(result.defaulted.sum()), result.rounds


def main() -> None:
    """Build the network, time clearing under three cost settings and print the results."""
    args = build_network(np.random.default_rng(SEED), N_NODES, N_OBLIGATIONS)
    print(f"network: {N_NODES} nodes, {N_OBLIGATIONS} obligations, seed {SEED}, {REPETITIONS} repetitions")
    for alpha, beta in [(1.0, 1.0), (0.9, 0.95), (0.5, 0.5)]:
        median_ms, n_defaulted, rounds = time_clearing(args, alpha, beta)
        print(
            f"alpha={alpha:<4} beta={beta:<4}  defaulted {n_defaulted:4d}/{N_NODES}  "
            f"rounds {rounds:3d}  median {median_ms:6.2f} ms"
        )


if __name__ == "__main__":
    main()
