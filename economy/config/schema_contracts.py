"""The contracts of a config, one model per kind, told apart by their ``kind`` field."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from economy.config.schema_base import EntityId, Money, PositiveMoney, QuarterLabel, Share, Strict


class _Contract(Strict):
    id: Annotated[str, Field(min_length=1)]
    source: str = ""


class ComputeSpec(_Contract):
    """Take-or-pay purchase of compute capacity; the seller must build before it delivers."""

    kind: Literal["compute"]
    buyer: EntityId
    seller: EntityId
    payment: Literal["rental", "purchase", "lease", "supply"] = "rental"
    total_value: PositiveMoney
    gw: PositiveMoney
    start: QuarterLabel
    quarters: Annotated[int, Field(ge=1, le=80)]
    ramp_quarters: Annotated[int, Field(ge=0, le=40)] = 0
    take_or_pay: Share = 1.0
    termination_penalty: Share = 0.1
    binding_share: Share = 1.0
    delivered_value: Money = 0.0
    tied_to: EntityId | None = None


class RevenueShareSpec(_Contract):
    """The payer hands a share of its AI revenue to the payee."""

    kind: Literal["revenue_share"]
    payer: EntityId
    payee: EntityId
    share: Share
    start: QuarterLabel
    end: QuarterLabel | None = None


class EquityStakeSpec(_Contract):
    """A fraction of the issuer held at fair value."""

    kind: Literal["equity_stake"]
    holder: EntityId
    issuer: EntityId
    fraction: Annotated[float, Field(gt=0, le=1)]
    cost: Money = 0.0


class TrancheTrigger(Strict):
    """When a tranche of an investment commitment becomes due for a decision."""

    kind: Literal["gw_delivered", "funding_round", "scheduled"]
    contracts: tuple[str, ...] = ()
    gw_per_tranche: PositiveMoney = 1.0
    quarters: tuple[QuarterLabel, ...] = ()


class InvestmentCommitmentSpec(_Contract):
    """Up to ``maximum`` invested tranche by tranche, each at the investor's discretion."""

    kind: Literal["investment_commitment"]
    investor: EntityId
    investee: EntityId
    maximum: PositiveMoney
    tranche: PositiveMoney
    trigger: TrancheTrigger
    form: Literal["cash", "credits"] = "cash"
    health_threshold: Share = 0.5
    binding: bool = False
    start: QuarterLabel
    expires: QuarterLabel | None = None


class ComputeCreditSpec(_Contract):
    """Credits the holder can spend only on the issuer's cloud."""

    kind: Literal["compute_credit"]
    issuer: EntityId
    holder: EntityId
    amount: PositiveMoney
    start: QuarterLabel
    expires: QuarterLabel | None = None


class VestingStep(Strict):
    """A warrant tranche: vests when enough GW are delivered and the price clears a hurdle."""

    gw: Money
    share_fraction: Annotated[float, Field(gt=0, le=1)]
    price_hurdle: Money = 0.0


class WarrantSpec(_Contract):
    """The holder may buy the issuer's shares at a strike once tranches vest."""

    kind: Literal["warrant"]
    issuer: EntityId
    holder: EntityId
    shares: PositiveMoney
    strike: Money
    vesting: tuple[VestingStep, ...] = Field(min_length=1)
    delivery_contracts: tuple[str, ...] = ()
    start: QuarterLabel


class Covenants(Strict):
    """Loan covenants tested each quarter."""

    max_ltv: Annotated[float, Field(gt=0, le=5)] | None = None
    min_dscr: Annotated[float, Field(gt=0, le=20)] | None = None


class LoanSpec(_Contract):
    """A loan, bond or asset-backed security."""

    kind: Literal["loan"]
    instrument: Literal["loan", "bond", "abs", "margin_loan"] = "loan"
    lender: EntityId
    borrower: EntityId
    principal: Money
    commitment: PositiveMoney | None = None
    """A revolver's committed limit: the borrower may draw up to it in distress (``principal`` is drawn at the start)."""
    fixed_rate_annual: Annotated[float, Field(ge=0, le=1)] | None = None
    spread_bp: Annotated[float, Field(ge=0, le=5000)] | None = None
    start: QuarterLabel
    maturity: QuarterLabel
    amortisation: Literal["bullet", "linear"] = "bullet"
    interest_only_until: QuarterLabel | None = None
    seniority: Literal["senior_secured", "senior_unsecured", "subordinated"] = "senior_unsecured"
    collateral: Literal["none", "hardware", "dc_shells", "all_assets", "shares"] = "none"
    collateral_issuer: EntityId | None = None
    covenants: Covenants = Covenants()
    tied_to: EntityId | None = None

    @model_validator(mode="after")
    def _drawn_within_the_commitment(self) -> LoanSpec:
        # an undrawn revolver is a loan of 0 with a commitment; any other loan lends something
        if self.commitment is None and self.principal <= 0:
            raise ValueError(f"'principal' must be > 0 for a loan without a commitment: {self.principal:g}")
        if self.commitment is not None and self.principal > self.commitment:
            raise ValueError(f"'principal' must be <= 'commitment': {self.principal:g} > {self.commitment:g}")
        return self


class BackstopSpec(_Contract):
    """The guarantor buys the beneficiary's unsold capacity, up to a maximum."""

    kind: Literal["backstop"]
    guarantor: EntityId
    beneficiary: EntityId
    maximum: PositiveMoney
    start: QuarterLabel
    end: QuarterLabel


class GuaranteeSpec(_Contract):
    """The guarantor pays a lender's loss on a loan if the borrower defaults."""

    kind: Literal["guarantee"]
    guarantor: EntityId
    loan: str
    maximum: PositiveMoney
    start: QuarterLabel


ContractSpec = Annotated[
    ComputeSpec | RevenueShareSpec | EquityStakeSpec | InvestmentCommitmentSpec | ComputeCreditSpec | WarrantSpec | LoanSpec
    | BackstopSpec | GuaranteeSpec,
    Field(discriminator="kind"),
]
CONTRACT_KINDS = (
    "compute",
    "revenue_share",
    "equity_stake",
    "investment_commitment",
    "compute_credit",
    "warrant",
    "loan",
    "backstop",
    "guarantee",
)
