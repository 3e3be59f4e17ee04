"""Market shares among AI labs: an attraction rule with inertia (MODEL.md section 5).

A lab's pull on end users is its distribution reach times its capability (raised by
the compute it trains on, with diminishing returns) times a price factor; shares move
toward the pull shares with inertia. At the start every capability is 1 and reach is
set so the pull shares equal the opening shares, so nothing moves until compute,
reach or prices differ. Labs outside the model ("others") grow capability at the
base rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OTHERS = -1


@dataclass(frozen=True)
class CompetitionParams:
    """How shares respond: inertia per quarter, capability growth and its exponents."""

    inertia: float
    capability_growth_quarterly: float
    capability_exponent: float
    price_elasticity: float
    noise: float


class Competition:
    """Shares of end-user AI spending among lab businesses, quarter by quarter."""

    def __init__(self, opening_shares: dict[int, float], params: CompetitionParams, rng: np.random.Generator) -> None:
        """Start from the opening shares (keys: holder indices, and ``OTHERS``)."""
        self.params = params
        self.rng = rng
        self.shares = dict(opening_shares)
        self.base_reach = dict(opening_shares)
        self.capability = dict.fromkeys(opening_shares, 1.0)

    def advance(
        self, compute_gw: dict[int, float], reach_multiplier: dict[int, float], price: dict[int, float]
    ) -> dict[int, float]:
        """Move capability and shares one quarter.

        Args:
            compute_gw: Compute each modelled lab used this quarter.
            reach_multiplier: The scenario's change to each lab's distribution reach (1 = none).
            price: Each lab's relative price (1 = market).

        Returns:
            The new shares (they sum to 1).
        """
        p = self.params
        labs = [k for k in self.shares if k != OTHERS]
        total_compute = sum(compute_gw.get(k, 0.0) for k in labs)
        modelled_share = sum(self.shares[k] for k in labs)
        shocks = self.rng.standard_normal(len(self.shares))  # one draw per business, every quarter
        for (k, share), eps in zip(sorted(self.shares.items()), shocks, strict=True):
            if k == OTHERS or total_compute <= 0 or share <= 0:
                intensity = 1.0
            else:
                # compute per unit of share, against the modelled labs' average
                intensity = (compute_gw.get(k, 0.0) / total_compute) / (share / modelled_share)
            growth = p.capability_growth_quarterly * np.sqrt(max(intensity, 0.0)) * max(0.0, 1.0 + p.noise * eps)
            self.capability[k] *= 1.0 + float(growth)
        pull = {
            k: self.base_reach[k] * reach_multiplier.get(k, 1.0) * self.capability[k] ** p.capability_exponent
            * price.get(k, 1.0) ** (-p.price_elasticity)
            for k in self.shares
        }
        total = sum(pull.values())
        self.shares = {k: float(p.inertia * self.shares[k] + (1 - p.inertia) * pull[k] / total) for k in self.shares}
        return self.shares
