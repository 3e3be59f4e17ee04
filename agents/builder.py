"""Hyperscalers and neoclouds: build capacity ahead of contracted delivery, financed by cash then debt."""

from __future__ import annotations

from dataclasses import dataclass

from agents.base import Company, View


@dataclass(frozen=True)
class StartBuild:
    """Start building ``gw`` of capacity, due after the lead time."""

    entity: str
    gw: float
    tied_to: int | None


def capacity_gap(needed_gw: float, installed_gw: float, pipeline_gw: float, retiring_gw: float) -> float:
    """GW to start now: what will be needed at the end of the lead time less what will be there.

    Oracle building data centres for OpenAI on debt is this rule meeting its backlog.
    """
    return max(0.0, needed_gw - (installed_gw - retiring_gw + pipeline_gw))


def build_budget(view: View, min_cash: float, borrow_room: float, quarterly_capex_per_gw: float) -> float:
    """How many GW a builder can start: cash above its floor plus the debt lenders may allow."""
    if quarterly_capex_per_gw <= 0:
        return float("inf")
    return max(0.0, (view.cash - min_cash + borrow_room) / quarterly_capex_per_gw)


class Builder(Company):
    """A company that builds and rents out data-centre capacity."""

    def decide(self, view: View) -> list:
        """Start builds for the capacity gap the lead time from now, within the financing budget."""
        m = self.model
        spec = self.spec.builder
        lead = m.config.world.build_lead_quarters
        horizon = view.quarter + lead
        contracted, tied = m.contracted_gw(self.holder, horizon)
        spot = spec.spot_share * m.market.spot_demand_gw * (1 + max(0.0, m.market.demand_growth_q)) ** lead
        needed = contracted + spec.own_use_gw + spot
        fleet = self.fleet
        gap = capacity_gap(needed, fleet.hardware_gw, fleet.pipeline_gw(), fleet.retiring_gw(view.quarter, horizon))
        if gap <= 1e-6:
            return []
        room = m.borrowing_room(self.holder, spec)
        total_per_gw = m.config.world.capex_per_gw
        budget = build_budget(view, spec.min_cash, room, total_per_gw)
        gw = min(gap, budget)
        return [StartBuild(self.entity, gw, tied)] if gw > 1e-6 else []


class Hyperscaler(Builder):
    """A hyperscaler (Microsoft, Amazon, Alphabet, Oracle, Meta) with a large non-AI business."""

    role = "hyperscaler"


class Neocloud(Builder):
    """A neocloud or data-centre developer (CoreWeave, Crusoe, G42, Vantage), GPU-backed borrower."""

    role = "neocloud"
