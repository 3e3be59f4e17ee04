"""AI labs: plan compute, raise funding rounds, cut costs, take or defer optional deliveries."""

from __future__ import annotations

from dataclasses import dataclass

from agents.base import Company, View
from economy.config import LabParams
from economy.views import contracted_compute, not_started, purchase_dues


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


SHARE_TREND_SENSITIVITY = 10.0
"""How the share term of :func:`health_score` moves with the lab's market-share trend (per unit of yearly pace).

ASSUMPTION: a lab losing a twentieth of its share a year scores 0 on the term and
one gaining a twentieth scores 1. ChatGPT's share of generative-AI web traffic fell
from 87.2% to 68.0% in 2025, a fifth in a year (FACTS 1.1 "Traffic share"): well past
the point where the term is 0, as Nvidia's CEO pointed to threats from competitors
(seed 001) when the $100B deal was put on hold (FACTS D4).
"""


def health_score(view: View, params: LabParams, expected_growth_yoy: float,
                 share_sensitivity: float = SHARE_TREND_SENSITIVITY) -> float:
    """A lab's health in [0, 1]: a quarter cash runway, a quarter growth against plan, half its market-share trend.

    Investors with discretion over tranches compare this with their threshold
    (MODEL.md section 6: revenue growth against plan, market-share trend, cash
    runway), so a lab burning through its cash, growing slower than planned or losing
    share to its rivals gets less money. Runway scores its ratio to the target
    (capped at 1); growth scores 0.5 plus its gap to the expected growth; the share
    trend scores 0.5 plus ``share_sensitivity`` times the yearly pace at which the
    lab's share of end-user spending has moved (``view.market_share_trend_annual``);
    each is clipped to [0, 1]. ASSUMPTION: the share trend weighs as much as runway
    and growth together, since a tranche is a bet that the lab keeps its users: a lab
    with cash and growth on plan that is losing share fast (term 0) scores 0.375, below
    Nvidia's threshold of 0.5 (seed 001: Nvidia froze its deal as Gemini and Claude
    took share from a ChatGPT still growing).

    Example:
        >>> from agents.base import Status, View
        >>> v = View(quarter=8, cash=100.0, debt=0.0, total_assets=100.0, revenue_q=10.0, ai_revenue_q=10.0,
        ...          ai_revenue_growth_yoy=0.5, burn_q=0.0, runway_q=float("inf"), capacity_gw=0.0, compute_gw=2.0,
        ...          market_value=500.0, status=Status.HEALTHY, market_share=0.45, market_share_trend_annual=-0.025)
        >>> health_score(v, LabParams(market_share=0.5, opex_quarterly=1.0, revenue_per_gw_quarter_max=6.0), 0.5)
        0.5
    """
    runway = 1.0 if view.runway_q == float("inf") else min(1.0, max(0.0, view.runway_q / params.target_runway_quarters))
    growth_gap = view.ai_revenue_growth_yoy - expected_growth_yoy
    growth = min(1.0, max(0.0, 0.5 + growth_gap))
    share = min(1.0, max(0.0, 0.5 + share_sensitivity * view.market_share_trend_annual))
    return 0.25 * runway + 0.25 * growth + 0.5 * share


@dataclass(frozen=True)
class TakeDeliveries:
    """Which purchase contracts' non-binding deliveries the lab takes this quarter."""

    entity: str
    contracts: frozenset[str]


def funding_round(view: View, params: LabParams, sentiment: float, entity: str, due_q: float) -> RaiseFunding | None:
    """Raise money when cash after this quarter's binding dues would cover less than the minimum runway.

    Enough is raised to cover the dues and reach the target runway. The round is
    priced at the valuation multiple on the revenue run-rate, scaled by market
    sentiment (MODEL.md section 6: price follows growth and sentiment).
    """
    burn = max(view.burn_q, 0.0)
    if view.cash - due_q >= params.min_runway_quarters * burn and view.cash >= due_q:
        return None
    amount = params.target_runway_quarters * burn + due_q - view.cash
    if amount <= 0:
        return None
    pre_money = params.valuation_multiple * view.ai_revenue_q * 4.0 * max(0.1, 1.0 + sentiment)
    if pre_money <= 0:
        return None  # nothing to price a round on
    return RaiseFunding(entity, amount, pre_money)


def cost_cut(view: View, params: LabParams, current_factor: float, entity: str) -> CutCosts | None:
    """Cut cash costs by a fifth when runway falls below half the minimum; never below 40%."""
    if view.runway_q < params.min_runway_quarters / 2 and current_factor > 0.4:
        return CutCosts(entity, max(0.4, current_factor * 0.8))
    return None


def choose_optional_deliveries(view: View, params: LabParams, due_q: float, options: list[tuple[str, float]]) -> frozenset[str]:
    """Take non-binding deliveries, earliest first, while the cash left still covers the minimum runway.

    The cash left is after paying for them and for this quarter's binding dues.

    A lab short of money defers optional hardware first (MODEL.md section 6: when money
    is short it asks suppliers to renegotiate); deferral costs nothing under a
    non-binding letter of intent.
    """
    floor = params.min_runway_quarters * max(view.burn_q, 0.0)
    spare = view.cash - due_q - floor
    chosen = []
    for contract_id, payment in options:
        if payment <= spare:
            chosen.append(contract_id)
            spare -= payment
    return frozenset(chosen)


@dataclass(frozen=True)
class SignCompute:
    """Contract ``gw`` more compute from the quarter ``start`` for ``quarters`` quarters."""

    entity: str
    gw: float
    start: int
    quarters: int


@dataclass(frozen=True)
class Renegotiate:
    """Ask the seller to push a contract that has not started back by ``delay`` quarters."""

    entity: str
    contract_id: str
    delay: int


@dataclass(frozen=True)
class Cancel:
    """Cancel a contract, paying its termination penalty."""

    entity: str
    contract_id: str


@dataclass(frozen=True)
class ListShares:
    """Go public, selling ``share`` of the company to outside investors."""

    entity: str
    share: float


def compute_gap(view: View, params: LabParams, contracted_gw: float, expected_growth_annual: float) -> float:
    """GW to contract now: what expected revenue will need at the plan horizon, plus headroom, less what is contracted.

    Only a lab that is well funded (runway at or above its target) and already uses
    most of what it has (revenue at least ``min_utilisation`` of what its compute
    could serve) signs more; revenue is projected at the growth the market expects,
    and one GW serves at most ``revenue_per_gw_quarter_max`` a quarter.
    """
    if view.runway_q < params.target_runway_quarters or view.compute_gw <= 0:
        return 0.0
    if view.ai_revenue_q < params.min_utilisation * view.compute_gw * params.revenue_per_gw_quarter_max:
        return 0.0
    projected = view.ai_revenue_q * (1.0 + max(expected_growth_annual, 0.0)) ** (params.plan_horizon_quarters / 4.0)
    need = projected / params.revenue_per_gw_quarter_max * (1.0 + params.compute_headroom)
    return max(0.0, need - contracted_gw)


def relief(view: View, params: LabParams, not_started: list[tuple[str, float, bool]], entity: str) -> Renegotiate | Cancel | None:
    """When runway falls below half the minimum, ask for relief on the largest contract not yet started.

    The first time a contract is pushed back a year; a contract already pushed back
    is cancelled, paying its termination penalty. ``not_started`` lists
    ``(contract_id, remaining value, already renegotiated)``.
    """
    if view.runway_q >= params.min_runway_quarters / 2 or not not_started:
        return None
    contract_id, _value, renegotiated = max(not_started, key=lambda t: (t[1], t[0]))
    return Cancel(entity, contract_id) if renegotiated else Renegotiate(entity, contract_id, 4)


def go_public(view: View, params: LabParams, listed: bool, sentiment: float, entity: str) -> ListShares | None:
    """List when the valuation and the market's mood allow (MODEL.md section 6)."""
    if listed or params.ipo_min_valuation is None:
        return None
    if view.market_value >= params.ipo_min_valuation and sentiment >= params.ipo_min_sentiment:
        return ListShares(entity, params.ipo_raise_share)
    return None


def round_take_up(growth_gap: float, sentiment: float) -> float:
    """Share of a round outside investors take: growth ahead of expectations and a warm market fill it.

    Venture investors buy growth: a lab growing as expected in a neutral market fills
    three quarters of its round; each point of sentiment or of growth above (below)
    expectations moves that up (down).
    """
    return min(1.0, max(0.0, 0.75 + 1.5 * sentiment + growth_gap))


class AILab(Company):
    """An AI lab (OpenAI, Anthropic): earns from end users, spends on compute and people."""

    role = "lab"

    def decide(self, view: View) -> list:
        """Funding round, optional deliveries and cost cuts from the lab's rules."""
        params = self.spec.lab
        m = self.economy
        due, options = purchase_dues(m, self.holder, view.quarter)
        out: list = [TakeDeliveries(self.entity, choose_optional_deliveries(view, params, due, options))]
        round_ = funding_round(view, params, m.market.sentiment, self.entity, due)
        if round_:
            out.append(round_)
        cut = cost_cut(view, params, self.cost_factor, self.entity)
        if cut:
            out.append(cut)
        horizon = view.quarter + params.plan_horizon_quarters
        gap = compute_gap(view, params, contracted_compute(m, self.holder, horizon), m.world.expected_growth_annual(view.quarter))
        if gap > 1e-3:
            out.append(SignCompute(self.entity, gap, view.quarter + m.config.world.build_lead_quarters,
                                   params.new_contract_quarters))
        for decision in (relief(view, params, not_started(m, self.holder, view.quarter), self.entity),
                         go_public(view, params, self.listed, m.market.sentiment, self.entity)):
            if decision:
                out.append(decision)
        return out
