"""AI labs: plan compute, raise funding rounds, cut costs, take or defer optional deliveries."""

from __future__ import annotations

from dataclasses import dataclass

from agents.base import Company, View
from economy.config import LabParams


@dataclass(frozen=True)
class RaiseFunding:
    """Ask investors for ``amount`` at a pre-money valuation."""

    entity: str
    amount: float
    pre_money: float


@dataclass(frozen=True)
class CutCosts:
    """Scale cash operating costs by ``factor`` from now on."""

    entity: str
    factor: float


def health_score(view: View, params: LabParams, expected_growth_yoy: float) -> float:
    """A lab's health in [0, 1]: half cash runway against target, half growth against plan.

    Investors with discretion over tranches compare this with their threshold, so
    a lab burning through its cash or growing slower than planned gets less money.
    """
    runway = 1.0 if view.runway_q == float("inf") else min(1.0, max(0.0, view.runway_q / params.target_runway_quarters))
    growth_gap = view.ai_revenue_growth_yoy - expected_growth_yoy
    growth = min(1.0, max(0.0, 0.5 + growth_gap))
    return 0.5 * runway + 0.5 * growth


def funding_round(view: View, params: LabParams, sentiment: float, entity: str) -> RaiseFunding | None:
    """Raise money when the cash runway falls below the minimum, enough to reach the target.

    The round is priced at the valuation multiple on the revenue run-rate, scaled by
    market sentiment (MODEL.md section 6: price follows growth and sentiment).
    """
    if view.runway_q >= params.min_runway_quarters or view.burn_q <= 0:
        return None
    amount = params.target_runway_quarters * view.burn_q - view.cash
    if amount <= 0:
        return None
    pre_money = params.valuation_multiple * view.ai_revenue_q * 4.0 * max(0.1, 1.0 + sentiment)
    return RaiseFunding(entity, amount, pre_money)


def cost_cut(view: View, params: LabParams, current_factor: float, entity: str) -> CutCosts | None:
    """Cut cash costs by a fifth when runway falls below half the minimum; never below 40%."""
    if view.runway_q < params.min_runway_quarters / 2 and current_factor > 0.4:
        return CutCosts(entity, max(0.4, current_factor * 0.8))
    return None


def take_optional_delivery(view: View, params: LabParams, payment: float) -> bool:
    """Take the non-binding part of a purchase only if the runway after paying stays above the minimum."""
    if view.burn_q <= 0:
        return view.cash - payment >= 0
    return (view.cash - payment) / view.burn_q >= params.min_runway_quarters


class AILab(Company):
    """An AI lab (OpenAI, Anthropic): earns from end users, spends on compute and people."""

    role = "lab"

    def decide(self, view: View) -> list:
        """Funding round and cost cuts from the lab's rules."""
        params = self.spec.lab
        out: list = []
        round_ = funding_round(view, params, self.model.market.sentiment, self.entity)
        if round_:
            out.append(round_)
        cut = cost_cut(view, params, self.cost_factor, self.entity)
        if cut:
            out.append(cut)
        return out
