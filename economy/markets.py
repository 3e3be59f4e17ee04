"""The world around the agents: AI demand, policy rate, compute prices, sentiment.

The scenario sets the levers (regimes, rate path); random draws come from the
world's own stream so that scenarios differing in a lever see the same shocks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from economy.config import World
from economy.units import quarter_index, quarterly_growth

REGIMES = ("boom", "steady", "stall", "bust")


@dataclass
class Market:
    """The state of the world in the current quarter."""

    demand_annual: float
    regime: str
    policy_rate_annual: float
    price_index: float = 1.0
    resale_factor: float = 1.0
    sentiment: float = 0.0
    spot_demand_gw: float = 0.0
    fire_sold_value: float = 0.0
    demand_growth_q: float = 0.0


class WorldProcess:
    """Moves the market one quarter at a time from the scenario's levers and shocks."""

    def __init__(self, world: World, origin: str, rng: np.random.Generator) -> None:
        """Start from the configured opening state."""
        self.cfg = world
        self.origin = origin
        self.rng = rng
        self._rate_path = sorted((quarter_index(s.from_quarter, origin), s.rate_annual) for s in world.policy_rate)
        self._regime_path = sorted((quarter_index(r.from_quarter, origin), r.regime) for r in world.demand.regime_path)
        self.market = Market(
            demand_annual=world.demand.initial_annual,
            regime=world.demand.regime,
            policy_rate_annual=self.policy_rate(0),
            sentiment=world.sentiment.initial,
            spot_demand_gw=world.gpu.spot_demand_gw,
        )

    def policy_rate(self, q: int) -> float:
        """The scenario's policy rate in quarter ``q`` (the last step at or before it)."""
        rate = self._rate_path[0][1]
        for start, r in self._rate_path:
            if start <= q:
                rate = r
        return rate

    def regime(self, q: int, current: str) -> str:
        """The demand regime in quarter ``q``: the scenario's path, else random switching."""
        chosen = None
        for start, r in self._regime_path:
            if start <= q:
                chosen = r
        if chosen is not None:
            return chosen
        p = self.cfg.demand.switch_prob_quarterly
        if p > 0 and self.rng.random() < p:
            return str(self.rng.choice([r for r in REGIMES if r != current and r in self.cfg.demand.regimes]))
        return current

    def advance(self, q: int, utilisation: float) -> Market:
        """Move demand, rates and the compute price into quarter ``q``.

        Args:
            q: The quarter starting.
            utilisation: Last quarter's share of builders' capacity that was rented.
        """
        m = self.market
        shock = self.rng.standard_normal()  # drawn every quarter so the stream never shifts
        m.regime = self.regime(q, m.regime)
        spec = self.cfg.demand.regimes.get(m.regime) or self.cfg.demand.regimes["steady"]
        growth = spec.growth_annual
        halflife = self.cfg.demand.growth_halflife_years
        if halflife and growth > 0:
            growth *= 0.5 ** ((q - 1) / 4.0 / halflife)  # a maturing market: growth fades
        g = quarterly_growth(growth) + spec.volatility_annual / 2.0 * shock
        m.demand_growth_q = g
        m.demand_annual *= max(0.05, 1.0 + g)
        m.spot_demand_gw *= max(0.05, 1.0 + g)
        m.policy_rate_annual = self.policy_rate(q)
        gpu = self.cfg.gpu
        slack = min(0.99, max(0.0, 1.0 - utilisation))
        # the price of current-generation compute: pushed down by idle capacity, drifting back when it is used;
        # older hardware earns less on top of this (obsolescence, see Fleet.obsolescence)
        m.price_index = m.price_index ** gpu.price_memory * (1.0 - slack) ** gpu.utilisation_elasticity
        m.fire_sold_value = 0.0
        m.resale_factor = 1.0
        return m

    def fire_sale(self, value: float) -> float:
        """Sell hardware worth ``value`` at market into a thin market; return proceeds.

        The resale price falls with the volume sold this quarter: the k-th dollar sold
        fetches ``1 / (1 + sold_so_far / depth)``; every GPU-backed loan is then
        marked at the quarter's resale factor.
        """
        proceeds = self.fire_sale_proceeds(value)
        after = self.market.fire_sold_value + value
        self.market.fire_sold_value = after
        self.market.resale_factor = 1.0 / (1.0 + after / self.cfg.gpu.fire_sale_depth)
        return proceeds

    def fire_sale_proceeds(self, value: float) -> float:
        """What a fire sale of hardware worth ``value`` would fetch now, after this quarter's sales so far (nothing is sold)."""
        depth = self.cfg.gpu.fire_sale_depth
        before = self.market.fire_sold_value
        # integral of 1/(1+x/depth) from before to before + value
        return float(depth * (np.log1p((before + value) / depth) - np.log1p(before / depth)))

    def expected_growth_annual(self, q: int) -> float:
        """The growth the market expects in quarter ``q``: the steady regime's, fading as the market matures."""
        steady = self.cfg.demand.regimes.get("steady")
        growth = steady.growth_annual if steady else 0.0
        halflife = self.cfg.demand.growth_halflife_years
        if halflife and growth > 0:
            growth *= 0.5 ** ((q - 1) / 4.0 / halflife)
        return growth

    def update_sentiment(self, ai_revenue_growth_q: float, new_defaults: int, q: int) -> float:
        """Sentiment with memory: up when AI revenue beats the expected path, down on defaults."""
        s = self.cfg.sentiment
        expected = quarterly_growth(self.expected_growth_annual(q))
        surprise = float(np.clip((ai_revenue_growth_q - expected) * 10.0, -1.0, 1.0))
        signal = float(np.clip(surprise - 0.5 * new_defaults, -1.0, 1.0))
        m = self.market
        m.sentiment = s.memory * m.sentiment + (1 - s.memory) * signal
        return m.sentiment
