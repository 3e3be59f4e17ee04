"""The world section of a config: demand, rates, GPU prices, the economy, sentiment; and the contagion channels."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from economy.config.schema_base import Money, PositiveMoney, QuarterLabel, Rate, Regime, Share, Strict


class RegimeSpec(Strict):
    """Growth of end-user AI spending while a demand regime lasts."""

    growth_annual: Rate
    volatility_annual: Annotated[float, Field(ge=0, le=2)] = 0.0


class RegimeChange(Strict):
    """A scenario lever: from this quarter on, demand follows this regime."""

    from_quarter: QuarterLabel = Field(alias="from")
    regime: Regime


class Demand(Strict):
    """End-user spending on AI (consumers, enterprises, API), from the external sector."""

    initial_annual: PositiveMoney
    regimes: dict[Regime, RegimeSpec]
    regime: Regime = "steady"
    switch_prob_quarterly: Share = 0.0
    regime_path: tuple[RegimeChange, ...] = ()
    others_share: Share = 0.0
    growth_halflife_years: Annotated[float, Field(gt=0, le=100)] | None = None
    share_inertia: Share = 0.9
    capability_growth_quarterly: Annotated[float, Field(ge=0, le=1)] = 0.03
    capability_exponent: Annotated[float, Field(ge=0, le=10)] = 1.0
    price_elasticity: Annotated[float, Field(ge=0, le=10)] = 1.0
    capability_noise: Annotated[float, Field(ge=0, le=5)] = 0.0


class RateStep(Strict):
    """The policy rate from a quarter on (annual, e.g. 0.036 for 3.6%)."""

    from_quarter: QuarterLabel = Field(alias="from")
    rate_annual: Annotated[float, Field(ge=-0.05, le=0.5)]


class GpuMarket(Strict):
    """Rental price of compute and the resale market for hardware."""

    rent_per_gw_quarter: PositiveMoney
    contract_premium: Annotated[float, Field(gt=0, le=5)] = 1.25
    spot_demand_gw: Money = 0.0
    decline_annual: Annotated[float, Field(ge=0, lt=1)] = 0.0
    utilisation_elasticity: Annotated[float, Field(ge=0, le=10)] = 0.0
    price_memory: Share = 0.8
    fire_sale_depth: PositiveMoney = 50.0


class Macro(Strict):
    """The economy the AI build-out sits in."""

    gdp_annual: PositiveMoney
    gdp_growth_annual: Rate = 0.0


class Sentiment(Strict):
    """Market-wide mood: 0 neutral, positive exuberant, negative fearful."""

    initial: Annotated[float, Field(ge=-1, le=1)] = 0.0
    memory: Share = 0.8


class Build(Strict):
    """Capacity that a builder has under construction at the start."""

    gw: PositiveMoney
    complete: QuarterLabel
    spent: Money = 0.0
    hardware: bool = True


class Bankruptcy(Strict):
    """Rogers-Veraart bankruptcy costs: a defaulter realises ``alpha`` of its cash and ``beta`` of what it is paid."""

    alpha: Annotated[float, Field(gt=0, le=1)] = 1.0
    beta: Annotated[float, Field(gt=0, le=1)] = 1.0


class Distress(Strict):
    """The distress ladder and court-style default (MODEL.md 6a): prices of sales in distress, recoveries from an estate.

    A firm short of cash first sells holdings (at ``holding_sale_discount`` below their
    value), then new shares to outside investors: a round sold in distress clears at
    ``equity_discount`` below the firm's value, deeper by ``equity_discount_per_size``
    times the round's size against that value and by ``fear_discount`` times the market's
    fear (negative sentiment), and raises at most ``max_issue_share`` of the value. What
    a failed firm's estate fetches: shells and construction at ``shell_recovery`` of book,
    receivables, other assets and non-AI businesses at ``other_asset_recovery``, a failed
    lender's loans at ``loan_sale_price`` of par; the hardware is fire-sold (``gpu``).

    A firm still short after selling holdings sells up to ``hardware_sale_share`` of its fleet
    over any four quarters into the secondary market (0: it does not), which lowers the resale
    price for everyone.
    A seller of compute to a buyer still short after that gives way on the buyer's dues
    (``renegotiation``, on by default) when it costs it less than the buyer's failure: a
    ``renegotiation_haircut_share`` of what it concedes is forgiven, the rest added to the
    contract's remaining instalments at a cost to it of ``renegotiation_delay_cost`` of the
    deferred amount; a failure would cost it the backlog and the dues less
    ``renegotiation_recovery`` of them (``agents/renegotiation.py``).

    A failed operating firm is reorganised instead of liquidated (``reorganisation``, on by
    default) when its creditors recover more that way (``agents/restructuring.py``): the
    going concern, worth its enterprise value less ``reorganisation_cost_share`` of it (the
    direct and indirect costs of a court-supervised reorganisation), against what the estate
    sale would fetch net of bankruptcy costs. The emerged firm keeps debt of at most
    ``reorganisation_leverage`` of its reorganised value; the rest of the creditors' claims is
    exchanged for its shares (``economy/reorganisation.py``); a loan it keeps runs at least
    ``reorganisation_tenor_quarters`` more (ASSUMPTION: exit facilities of three to five years,
    not a measured figure).
    Sources: direct costs of Chapter 11 are about 3% of the firm's value (Weiss 1990, "Bankruptcy
    resolution: direct costs and violation of priority of claims", J. Financial Economics 27); direct
    and indirect costs of distress together 10-20% of value (Andrade and Kaplan 1998, "How costly is
    financial (not economic) distress?", J. Finance 53): the default, 0.10, is the low end of the
    latter. Firms leave Chapter 11 still highly levered (Gilson 1997, "Transactions costs and capital
    structure choice: evidence from financially distressed firms", J. Finance 52); the leverage of
    0.4 of value is an ASSUMPTION in that range, not a measured figure.
    """

    holding_sale_discount: Share = 0.10
    equity_discount: Share = 0.20
    equity_discount_per_size: Annotated[float, Field(ge=0, le=10)] = 0.5
    fear_discount: Annotated[float, Field(ge=0, le=10)] = 0.3
    max_issue_share: Share = 0.5
    shell_recovery: Share = 0.5
    other_asset_recovery: Share = 0.7
    loan_sale_price: Share = 0.9
    hardware_sale_share: Share = 0.25
    renegotiation: bool = True
    renegotiation_haircut_share: Share = 0.5
    renegotiation_delay_cost: Share = 0.2
    renegotiation_recovery: Share = 0.3
    reorganisation: bool = True
    reorganisation_cost_share: Share = 0.10
    reorganisation_leverage: Annotated[float, Field(ge=0, lt=1)] = 0.4
    reorganisation_tenor_quarters: Annotated[int, Field(ge=1, le=40)] = 12
    reorganisation_runway_quarters: Annotated[float, Field(ge=0, le=40)] = 4.0


class World(Strict):
    """Everything outside the companies that moves them."""

    demand: Demand
    policy_rate: tuple[RateStep, ...] = Field(min_length=1)
    gpu: GpuMarket
    macro: Macro
    sentiment: Sentiment = Sentiment()
    capex_per_gw: PositiveMoney
    hardware_share: Annotated[float, Field(gt=0, lt=1)]
    hardware_life_quarters: Annotated[int, Field(ge=4, le=60)]
    shell_life_quarters: Annotated[int, Field(ge=8, le=120)]
    build_lead_quarters: Annotated[int, Field(ge=1, le=16)]
    hosting_cost_per_gw_quarter: Money = 0.0
    bankruptcy: Bankruptcy = Bankruptcy()
    distress: Distress = Distress()


class Channels(Strict):
    """Contagion channels of MODEL.md section 8, each switchable."""

    payment: bool = True
    equity: bool = True
    collateral: bool = True
    credit: bool = True
    confidence: bool = True
    demand: bool = True
