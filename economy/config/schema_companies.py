"""The companies of a config: each holder's role, opening balance sheet and decision parameters; the external sector."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from economy.config.schema_base import MAX_AMOUNT, EntityId, Money, Policy, PositiveMoney, QuarterLabel, Rate, Role, Share, Strict
from economy.config.schema_world import Build


class Opening(Strict):
    """A holder's opening balance sheet apart from contracts (loans, stakes) and capacity."""

    cash: Money
    receivables: Money = 0.0
    other_assets: Money = 0.0
    non_ai_business: Money = 0.0
    payables: Money = 0.0
    deferred_revenue: Money = 0.0
    funding: Money = 0.0
    """A lender's own funding from outside the model: deposits, bonds, investors' capital it must pay back."""


class Capacity(Strict):
    """Data-centre capacity owned at the start: ``gw`` of shells, with as much hardware unless ``hardware_gw`` says otherwise."""

    gw: Money = 0.0
    hardware_gw: Money | None = None
    hardware_book: Money = 0.0
    shell_book: Money = 0.0
    hardware_age_quarters: Annotated[int, Field(ge=0, le=60)] = 0
    under_construction: tuple[Build, ...] = ()


class Reported(Strict):
    """Last reported quarter before the run (shown as the opening row)."""

    revenue_quarterly: Money = 0.0
    net_income_quarterly: Annotated[float, Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT)] = 0.0


class NonAi(Strict):
    """A business outside AI with its own cash flow (Windows, ads, retail, gaming chips)."""

    revenue_quarterly: Money
    operating_margin: Annotated[float, Field(ge=-1, le=1)]
    growth_annual: Rate = 0.0


class ReachChange(Strict):
    """A scenario lever: from this quarter on, a lab's distribution reach is multiplied."""

    from_quarter: QuarterLabel = Field(alias="from")
    multiplier: Annotated[float, Field(gt=0, le=100)]


class LabParams(Strict):
    """An AI lab business (a lab, or a hyperscaler's own model business)."""

    market_share: Share
    reach_path: tuple[ReachChange, ...] = ()
    price: PositiveMoney = 1.0
    opex_quarterly: Money
    opex_growth_annual: Rate = 0.0
    opex_revenue_share: Share = 0.0
    sbc_quarterly: Money = 0.0
    revenue_per_gw_quarter_max: PositiveMoney
    min_runway_quarters: Annotated[float, Field(gt=0, le=100)] = 4.0
    target_runway_quarters: Annotated[float, Field(gt=0, le=100)] = 8.0
    valuation_multiple: Annotated[float, Field(gt=0, le=1000)] = 25.0
    plan_horizon_quarters: Annotated[int, Field(ge=1, le=40)] = 8
    compute_headroom: Annotated[float, Field(ge=0, le=5)] = 0.2
    min_utilisation: Share = 0.6
    new_contract_quarters: Annotated[int, Field(ge=1, le=80)] = 20
    inference_diversification: Share = 0.0
    ipo_min_valuation: Money | None = None
    ipo_min_sentiment: Annotated[float, Field(ge=-1, le=1)] = 0.2
    ipo_raise_share: Share = 0.05

    @model_validator(mode="before")
    @classmethod
    def _moved_to_valuation(cls, data: object) -> object:
        # the lab's multiple now moves like every firm's, so its sensitivity sits in the company's valuation
        if isinstance(data, dict) and "multiple_growth_sensitivity" in data:
            raise ValueError("'multiple_growth_sensitivity' has moved to the company's 'valuation' section as "
                             "'growth_sensitivity' (it now applies to every firm valued on its revenue)")
        return data


class ChipParams(Strict):
    """A chipmaker's sales."""

    gross_margin: Annotated[float, Field(gt=0, lt=1)]
    hardware_share: Share
    external_sales_quarterly: Money = 0.0
    external_growth_annual: Rate = 0.0


class BuilderParams(Strict):
    """A company that builds data-centre capacity (hyperscaler, neocloud)."""

    lender: EntityId
    min_cash: Money = 0.0
    max_debt_to_assets: Annotated[float, Field(gt=0, lt=1)] = 0.6
    own_use_gw: Money = 0.0
    own_use_growth_annual: Rate = 0.0
    min_buyer_health: Share = 0.3
    spot_share: Share = 0.0
    sells_spot: bool = True
    spot_utilisation: Share = 0.8


class InvestorParams(Strict):
    """An investor funding commitments from holdings and margin loans."""

    lender: EntityId
    max_loan_to_value: Annotated[float, Field(gt=0, lt=1)] = 0.35
    min_cash: Money = 0.0


class LenderParams(Strict):
    """A lender (banks and bond market, private credit)."""

    base_spread_bp: Annotated[float, Field(ge=0, le=5000)]
    leverage_spread_bp: Annotated[float, Field(ge=0, le=20000)] = 300.0
    max_borrower_debt_to_assets: Annotated[float, Field(gt=0, le=1)] = 0.7
    max_exposure_share: Share = 0.25
    tenor_quarters: Annotated[int, Field(ge=1, le=160)] = 20
    backlog_advance_rate: Share = 0.5
    tightening_bp: Annotated[float, Field(ge=0, le=20000)] = 500.0
    tightening_capacity: Annotated[float, Field(ge=0, le=100)] = 2.0
    tbtf_discount_bp: Annotated[float, Field(ge=0, le=2000)] = 100.0
    cover_spread_bp: Annotated[float, Field(ge=0, le=5000)] = 150.0
    secured_discount_bp: Annotated[float, Field(ge=0, le=2000)] = 50.0
    funding_spread_bp: Annotated[float, Field(ge=0, le=5000)] = 0.0
    """What the lender pays on its own funding over the policy rate."""
    facility_amortisation: Literal["bullet", "linear"] = "bullet"
    """How the loans it makes in the run are repaid: at maturity, or in equal parts after the interest-only period."""
    facility_interest_only_quarters: Annotated[int, Field(ge=0, le=160)] = 0
    """Quarters after a draw before a linear facility starts to amortise (the construction period)."""
    facility_max_ltv: Annotated[float, Field(gt=0, le=5)] | None = None
    """Loan-to-value covenant on its hardware-secured facilities, tested at each quarter's resale prices."""
    facility_min_dscr: Annotated[float, Field(gt=0, le=20)] | None = None
    """Debt-service cover covenant on its facilities once they amortise: last quarter's operating cash over debt service."""
    min_capital_ratio: Share = 0.0
    """Equity over assets below which the lender lends nothing new (its regulator's or its investors' floor)."""
    target_capital_ratio: Share = 0.0
    """Equity over assets from which it lends fully; between the floor and the target its capacity shrinks in proportion."""


class GovernmentParams(Strict):
    """The government's rescue policy."""

    policy: Policy = "none"
    systemic_threshold: Money = 100.0
    ex_ante_max_leverage: Annotated[float, Field(gt=0, le=1)] = 0.5
    old_equity: Literal["diluted", "wiped"] = "diluted"
    """What a rescue leaves the old shareholders: diluted at the firm's value, or wiped out (GM and Chrysler, 2009)."""
    creditor_haircut: Share = 0.0
    """The share of unsecured lenders' claims on a rescued firm written off before the government puts money in."""


class Valuation(Strict):
    """How the market values a firm's own business: a multiple that compresses as growth fades and after losses.

    The multiple on revenue (fixed at the opening so that the config's ``market_value`` is matched)
    moves by ``((1 + growth) / (1 + opening_growth_annual)) ** growth_sensitivity``, kept within
    ``[min_factor, max_factor]``, where growth is the firm's own trend over the last five quarters (a
    lab's AI revenue run-rate). Sustained losses (a trailing year's loss as a share of its revenue)
    divide it by ``1 + loss_sensitivity * loss margin``, beyond the losses the opening value already
    priced, which the market forgives in proportion to growth still at the opening pace; a firm that
    lists during the run loses that allowance (judged on losses, not on hopes). A firm without
    revenue at the opening is valued on its operating assets instead, at a fixed ratio.

    With ``mature_earnings_multiple`` and ``mature_growth_annual`` given, the multiple follows expected
    forward growth instead (:func:`economy.valuation.growth_multiple`): the growth above a mature firm's is
    expected to fade by ``growth_fade`` a year, and as that forward premium shrinks the multiple moves from
    the opening's toward a mature firm's, ``mature_earnings_multiple`` times the firm's trailing-year net
    margin (never below ``min_factor`` of the opening multiple). ``growth_sensitivity`` is then unused.
    """

    opening_growth_annual: Rate | None = None
    """Growth (y/y) that the opening value priced; a lab's default is the steady path's growth of the first
    quarter. Without it (and not a lab) the multiple does not move with growth."""
    growth_sensitivity: Annotated[float, Field(ge=0, le=5)] = 1.0
    min_factor: Annotated[float, Field(gt=0, le=1)] = 0.2
    max_factor: Annotated[float, Field(ge=1, le=100)] = 2.0
    loss_sensitivity: Annotated[float, Field(ge=0, le=100)] = 1.0
    mature_growth_annual: Rate | None = None
    """Annual growth of a mature firm, toward which the market expects the firm's growth to fade."""
    mature_earnings_multiple: Annotated[float, Field(gt=0, le=1000)] | None = None
    """Enterprise value over a trailing year's net income of a mature firm (growing at ``mature_growth_annual``)."""
    growth_fade: Annotated[float, Field(ge=0, lt=0.9)] = 0.6
    """Share of a year's growth above the mature rate that the market expects to persist into the next year."""

    @model_validator(mode="after")
    def _mature_pair(self) -> Valuation:
        if (self.mature_growth_annual is None) != (self.mature_earnings_multiple is None):
            raise ValueError("'mature_growth_annual' and 'mature_earnings_multiple' are given together or not at all")
        return self


class Payout(Strict):
    """What a listed firm returns to its shareholders each quarter, as dividends and buybacks.

    ``profit_share`` of the quarter's net income (when positive), plus ``excess_cash_share`` of the cash
    left above a target of ``target_cash_quarters`` quarters of revenue (a trailing year's average); never
    below the firm's cash floor, and nothing while the firm is distressed, rescued or failed.
    """

    profit_share: Share = 0.0
    excess_cash_share: Share = 0.0
    target_cash_quarters: Annotated[float, Field(ge=0, le=400)] = 1.0


class Company(Strict):
    """One ledger holder with decision rules: its role, opening state and parameters."""

    id: EntityId
    name: str = Field(min_length=1)
    role: Role
    listed: bool = False
    shares_outstanding: PositiveMoney | None = None
    market_value: Money = 0.0
    payout_ratio: Share = 0.0
    """Shorthand for ``payout: {profit_share: ...}``; give one or the other."""
    payout: Payout | None = None
    valuation: Valuation = Valuation()
    opening: Opening
    reported: Reported = Reported()
    capacity: Capacity = Capacity()
    non_ai: NonAi | None = None
    lab: LabParams | None = None
    chips: ChipParams | None = None
    builder: BuilderParams | None = None
    investor: InvestorParams | None = None
    lender: LenderParams | None = None
    government: GovernmentParams | None = None
    source: str = ""

    @model_validator(mode="after")
    def _one_payout_policy(self) -> Company:
        if self.payout is not None and self.payout_ratio:
            raise ValueError(f"give either 'payout_ratio' ({self.payout_ratio}) or a 'payout' section, not both: "
                             "payout_ratio is shorthand for payout.profit_share")
        return self

    @property
    def payout_policy(self) -> Payout | None:
        """The firm's pay-out policy: its ``payout`` section, or ``payout_ratio`` as a profit share (None: pays nothing)."""
        if self.payout is not None:
            return self.payout
        return Payout(profit_share=self.payout_ratio) if self.payout_ratio else None


ROLE_SECTION: dict[str, str] = {
    "lab": "lab",
    "chipmaker": "chips",
    "hyperscaler": "builder",
    "neocloud": "builder",
    "investor": "investor",
    "lender": "lender",
    "government": "government",
}


MIN_EXTERNAL_CASH = 1e5
"""Least cash of the external sector ($100T, the order of world GDP).

The external sector stands for the rest of the world economy and is meant to pay without
limit; the model still checks that it never holds negative cash, so a small figure (a
typo, or a sweep scaling it down) would stop a run on the books instead of at load."""


class External(Strict):
    """The rest of the economy: households, enterprises, outside investors, suppliers."""

    cash: Annotated[float, Field(ge=MIN_EXTERNAL_CASH, le=MAX_AMOUNT)]
