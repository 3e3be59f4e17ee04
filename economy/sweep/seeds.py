"""Seeds of a study: every run's seed is a pure function of the sweep's seed and the run's index.

The sweep seed's :class:`numpy.random.SeedSequence` is split into two children: child 0
is the parent of the run seeds (its child *i* seeds run *i*) and child 1 seeds the
sampler. Deriving child *i* directly from its spawn key gives the same stream as
spawning *i + 1* children and taking the last, without making them all, so a single
run can be re-run alone with the seed it had inside the sweep.
"""

from __future__ import annotations

import numpy as np

_RUNS = 0
_SAMPLER = 1


def run_seed(sweep_seed: int, index: int) -> int:
    """The seed of run ``index`` of a sweep, as a Python ``int`` in ``[0, 2**63)``.

    Mesa 3.3.1 rejects numpy integers as seeds, and configs cap seeds below 2**63,
    so the 64-bit state word is shifted right by one.

    Args:
        sweep_seed: The sweep's seed (``seed:`` in the spec).
        index: The run's index (or, for common random numbers, its replication).

    Example:
        >>> run_seed(0, 0) == run_seed(0, 0)
        True
    """
    child = np.random.SeedSequence(int(sweep_seed), spawn_key=(_RUNS, int(index)))
    return int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def sampler_rng(sweep_seed: int) -> np.random.Generator:
    """The random stream of the sampler (random and Latin-hypercube designs, Sobol scrambling, Morris)."""
    return np.random.default_rng(np.random.SeedSequence(int(sweep_seed), spawn_key=(_SAMPLER,)))
