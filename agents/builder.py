"""Hyperscalers and neoclouds: build capacity ahead of contracted delivery, financed by cash then debt."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from agents.base import Company, View
from agents.lender import funding_rate
from economy.views import borrowing_room, capacity_commitments, own_use

K = TypeVar("K")


@dataclass(frozen=True)
class StartBuild:
    """Start building ``gw`` of hardware and ``shell_gw`` of shells, due after the lead time.

    ``tied`` and ``tied_shells`` name the labs the build serves, each with the GW of
    hardware or shells built for its contracts, as ``(lab id, GW)`` pairs in the order
    of the ids; what they leave of ``gw`` and ``shell_gw`` serves no lab (own use,
    spot, customers that are not labs).
    """

    entity: str
    gw: float
    shell_gw: float
    tied: tuple[tuple[str, float], ...] = ()
    tied_shells: tuple[tuple[str, float], ...] = ()


def capacity_gap(needed_gw: float, installed_gw: float, pipeline_gw: float, retiring_gw: float) -> float:
    """GW to start now: what will be needed at the end of the lead time less what will be there.

    Oracle building data centres for OpenAI on debt is this rule meeting its backlog.
    """
    return max(0.0, needed_gw - (installed_gw - retiring_gw + pipeline_gw))


def split_by_purpose(gap_gw: float, needed_gw: Mapping[K, float], serving_gw: Mapping[K, float],
                     building_gw: Mapping[K, float]) -> dict[K, float]:
    """GW of a new build tied to each lab: what the lab's contracts need that nothing serves or builds for it yet.

    A lab's part is the GW its contracts with the builder take at the end of the lead
    time, less what the builder's capacity serves it now and what is already being
    built for it; what is left of the gap (own use, spot, other customers) is untied.
    When the labs' parts add up to more than the gap (the builder has idle capacity,
    or builds less than it needs), each is cut in the same proportion.

    Example:
        >>> split_by_purpose(3.0, {"a": 2.0, "b": 1.0}, {"a": 0.5}, {"b": 0.5})
        {'a': 1.5, 'b': 0.5}
        >>> split_by_purpose(1.0, {"a": 2.0, "b": 1.0}, {}, {})
        {'a': 0.6666666666666666, 'b': 0.3333333333333333}
    """
    parts = {lab: max(0.0, gw - serving_gw.get(lab, 0.0) - building_gw.get(lab, 0.0)) for lab, gw in needed_gw.items()}
    parts = {lab: gw for lab, gw in parts.items() if gw > 1e-12}
    total = math.fsum(parts.values())
    if total <= gap_gw:
        return parts
    return {lab: gap_gw * gw / total for lab, gw in parts.items()}


def spot_appetite(rent_per_gw_quarter: float, utilisation: float, hosting_per_gw_quarter: float, capex_per_gw: float,
                  depreciation_per_gw_year: float, funding_rate_annual: float) -> float:
    """How much of the expected spot demand a builder is willing to build for, in [0, 1].

    A GW built for the spot market earns its rent less running costs and
    depreciation; the builder builds the full share only when that return covers
    its cost of funds, and scales down in proportion when it does not.
    """
    earnings = (rent_per_gw_quarter * utilisation - hosting_per_gw_quarter) * 4.0 - depreciation_per_gw_year
    if earnings <= 0:
        return 0.0
    if funding_rate_annual <= 0:
        return 1.0
    return min(1.0, earnings / capex_per_gw / funding_rate_annual)


def build_budget(view: View, min_cash: float, borrow_room: float) -> float:
    """What a builder can spend on new builds: cash above its floor plus the debt lenders may allow."""
    return max(0.0, view.cash - min_cash + borrow_room)


class Builder(Company):
    """A company that builds and rents out data-centre capacity."""

    def decide(self, view: View) -> list:
        """Start builds for the hardware and shell gaps a lead time from now, within the financing budget."""
        m = self.economy
        spec = self.spec.builder
        w = m.config.world
        lead = w.build_lead_quarters
        horizon = view.quarter + lead
        need = capacity_commitments(m, self.holder, horizon)
        spot = 0.0
        if spec.sells_spot:
            gpu = w.gpu
            appetite = spot_appetite(gpu.rent_per_gw_quarter * m.market.price_index, spec.spot_utilisation,
                                     w.hosting_cost_per_gw_quarter, w.capex_per_gw,
                                     w.capex_per_gw * (w.hardware_share / (w.hardware_life_quarters / 4)
                                                       + (1 - w.hardware_share) / (w.shell_life_quarters / 4)),
                                     funding_rate(m, self.firm))
            spot = appetite * spec.spot_share * m.market.spot_demand_gw * (1 + max(0.0, m.market.demand_growth_q)) ** lead
        compute = max(0.0, need.rent_out + own_use(m, self.firm, horizon) + spot - need.rent_in)
        fleet = self.fleet
        hw_gap = capacity_gap(compute, fleet.hardware_gw, fleet.pipeline_gw(), fleet.retiring_gw(view.quarter, horizon))
        shell_gap = capacity_gap(compute + need.lease_out - need.lease_in, fleet.shell_gw, fleet.pipeline_shell_gw(), 0.0)
        cost = w.capex_per_gw * (hw_gap * w.hardware_share + shell_gap * (1 - w.hardware_share))
        if cost <= 1e-6:
            return []
        budget = build_budget(view, spec.min_cash, borrowing_room(m, self.holder, spec))
        scale = min(1.0, budget / cost)
        if scale * cost <= 1e-6:
            return []
        # split by purpose: the GW each lab's contracts need is built for that lab, the rest for own use and spot
        now = capacity_commitments(m, self.holder, view.quarter, served=True)
        building_hw, building_shells = fleet.pipeline_tied(after=view.quarter)
        tied = split_by_purpose(hw_gap, need.hardware_by_lab(), now.hardware_by_lab(), building_hw)
        tied_shells = split_by_purpose(shell_gap, need.shells_by_lab(), now.shells_by_lab(), building_shells)
        return [StartBuild(self.entity, hw_gap * scale, shell_gap * scale, self._named(tied, scale),
                           self._named(tied_shells, scale))]

    def _named(self, gw_by_lab: Mapping[int, float], scale: float) -> tuple[tuple[str, float], ...]:
        names = self.economy.ledger.names
        return tuple(sorted((names[lab], gw * scale) for lab, gw in gw_by_lab.items()))


class Hyperscaler(Builder):
    """A hyperscaler (Microsoft, Amazon, Alphabet, Oracle, Meta) with a large non-AI business."""

    role = "hyperscaler"


class Neocloud(Builder):
    """A neocloud or data-centre developer (CoreWeave, Crusoe, G42, Vantage), GPU-backed borrower."""

    role = "neocloud"
