"""Configuration: YAML files parsed into typed, validated, immutable parameter objects.

A config names the starting state (companies with their balance sheets, contracts
between them), the world they live in (demand, rates, GPU prices) and the run
(start quarter, length, seed). Every mistake is reported with the file, the field
path and what would be valid, as a :class:`ConfigError`; nothing is half-loaded.

A config may start with ``base: other.yaml``: it is then an override of that file.
Mappings merge key by key; lists of companies or contracts merge by ``id`` (an entry
with ``remove: true`` drops that id); any other list, and an empty list, replaces the
base's list (``contracts: []`` leaves no contracts).

Files are read by the bounded reader of :mod:`economy.yaml_input` (regular UTF-8 files,
size, depth and alias limits, duplicate keys refused). Numbers are finite and never
booleans, in every number field (:class:`Strict`); :func:`cross_check` then checks what
spans fields: parties, shares that split one whole, amounts bounded by others, dates.
"""

from __future__ import annotations

import copy
import difflib
import functools
import re
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.fields import FieldInfo

from economy import yaml_input
from economy.names import check_folder_name
from economy.units import MONEY_ABS_TOL, quarter_index, quarter_label

MAX_AMOUNT = 1e9
"""Largest amount ($B) or capacity (GW) a config may give: a million times world GDP.

Bounded so that sums and products of configured amounts (balance sheets, valuations at a
multiple, a run's cumulative flows) stay far inside the range of floating point."""

MIN_MAGNITUDE = MONEY_ABS_TOL
"""Smallest size of a number other than 0 (1e-9: one dollar in $B, the money tolerance).

A positive number far below it (a subnormal like 1e-312) means nothing in any unit here,
and dividing by it overflows: a lab whose revenue is 1e-312 would be valued at an infinite
multiple. So a number is 0 or at least this in size."""

FIRST_START, LAST_START = "1900Q1", "2200Q4"
"""The range of ``run.start``. Quarter labels have four-digit years (``2026Q1``) in every
table and file the program writes and reads; from a start in this range, every quarter
a run can label (its 200 quarters at most, plus contracts signed in it that end up to
~25 years later) keeps four digits."""

QuarterLabel = Annotated[str, Field(pattern=r"^\d{4}Q[1-4]$", description="a quarter label like 2026Q1")]
Money = Annotated[float, Field(ge=0, le=MAX_AMOUNT)]
PositiveMoney = Annotated[float, Field(gt=0, le=MAX_AMOUNT)]
Share = Annotated[float, Field(ge=0, le=1)]
Rate = Annotated[float, Field(gt=-1, lt=10)]
EntityId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", description="lower-case id: letters, digits, _")]

Role = Literal["lab", "chipmaker", "hyperscaler", "neocloud", "investor", "lender", "government"]
Regime = Literal["boom", "steady", "stall", "bust"]
Policy = Literal["none", "discretionary", "backstop", "ex_ante"]


class ConfigError(Exception):
    """A config that cannot be used; ``str()`` is the message for the user."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        """Collect problems as ``(field path, what is wrong and what would be valid)``."""
        self.source = source
        self.problems = problems
        lines = [f"{source}: {len(problems)} problem(s) in the config:"]
        lines += [f"  - {path}: {msg}" if path else f"  - {msg}" for path, msg in problems]
        super().__init__("\n".join(lines))


def _start_in_range(label: str) -> str:
    if not quarter_index(FIRST_START, label) <= 0 <= quarter_index(LAST_START, label):
        raise ValueError(f"the run must start between {FIRST_START} and {LAST_START} (quarter labels keep four-digit years)")
    return label


StartQuarter = Annotated[QuarterLabel, AfterValidator(_start_in_range)]

FolderName = Annotated[str, AfterValidator(check_folder_name)]


class Strict(BaseModel):
    """Base of all parameter objects: unknown keys rejected, values immutable, numbers finite and never booleans."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_boolean_numbers(cls, data: Any) -> Any:
        # pydantic takes true as 1 in a number field; in a config that is always a slip. A field
        # validator cannot do this (pydantic forbids one on the contracts' `kind`), so a boolean is
        # swapped for a marker that number validation refuses at the field's own path.
        if not isinstance(data, dict):
            return data
        fields = _number_fields(cls)
        slips = {key for key, value in data.items() if isinstance(value, bool) and key in fields}
        return {k: _BooleanGiven(v) if k in slips else v for k, v in data.items()} if slips else data


class _BooleanGiven:
    """A boolean written where a number is expected; refused by number validation, shown as what was written."""

    def __init__(self, value: bool) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"{str(self.value).lower()} (a boolean; write a number)"


@functools.cache
def _number_fields(model: type[BaseModel]) -> frozenset[str]:
    """The keys (names and aliases) of a model's fields that hold only numbers (int or float, maybe optional)."""
    numbers = [(name, field) for name, field in model.model_fields.items() if _is_number_type(field.annotation)]
    return frozenset([name for name, _f in numbers] + [f.alias for _n, f in numbers if f.alias])


def _is_number_type(annotation: Any) -> bool:
    leaves = _leaf_types(annotation)
    return bool(leaves & {int, float}) and leaves <= {int, float, type(None)}


def _leaf_types(annotation: Any) -> set[Any]:
    if typing.get_origin(annotation) is typing.Annotated:
        return _leaf_types(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return set().union(*(_leaf_types(a) for a in typing.get_args(annotation)))
    return {annotation}


# ---------------------------------------------------------------------------- the world
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


class Channels(Strict):
    """Contagion channels of MODEL.md section 8, each switchable."""

    payment: bool = True
    equity: bool = True
    collateral: bool = True
    credit: bool = True
    confidence: bool = True
    demand: bool = True


# ---------------------------------------------------------------------------- companies
class Opening(Strict):
    """A holder's opening balance sheet apart from contracts (loans, stakes) and capacity."""

    cash: Money
    receivables: Money = 0.0
    other_assets: Money = 0.0
    non_ai_business: Money = 0.0
    payables: Money = 0.0
    deferred_revenue: Money = 0.0


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
    multiple_growth_sensitivity: Annotated[float, Field(ge=0, le=5)] = 1.0
    inference_diversification: Share = 0.0
    ipo_min_valuation: Money | None = None
    ipo_min_sentiment: Annotated[float, Field(ge=-1, le=1)] = 0.2
    ipo_raise_share: Share = 0.05


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


class GovernmentParams(Strict):
    """The government's rescue policy."""

    policy: Policy = "none"
    systemic_threshold: Money = 100.0
    ex_ante_max_leverage: Annotated[float, Field(gt=0, le=1)] = 0.5


class Company(Strict):
    """One ledger holder with decision rules: its role, opening state and parameters."""

    id: EntityId
    name: str = Field(min_length=1)
    role: Role
    listed: bool = False
    shares_outstanding: PositiveMoney | None = None
    market_value: Money = 0.0
    payout_ratio: Share = 0.0
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


# ---------------------------------------------------------------------------- contracts
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
    principal: PositiveMoney
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


class Run(Strict):
    """The run: where it starts, how long, which seed."""

    name: FolderName = "baseline"
    start: StartQuarter = "2025Q4"
    quarters: Annotated[int, Field(ge=1, le=200)] = 32
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0


class Config(Strict):
    """A whole scenario: the run, the world, the companies and their contracts."""

    run: Run = Run()
    world: World
    channels: Channels = Channels()
    external: External
    companies: tuple[Company, ...] = Field(min_length=1)
    contracts: tuple[ContractSpec, ...] = ()

    def company(self, entity_id: str) -> Company:
        """The company with this id."""
        for c in self.companies:
            if c.id == entity_id:
                return c
        raise KeyError(entity_id)

    def with_run(self, seed: int | None = None, quarters: int | None = None) -> Config:
        """A copy with another seed or run length (validated like the file)."""
        update = {k: v for k, v in (("seed", seed), ("quarters", quarters)) if v is not None}
        try:
            run = Run.model_validate({**self.run.model_dump(), **update})
        except ValidationError as err:
            problems = [(f"--{e['loc'][0]}", f"{e['msg']}; got {e['input']!r}") for e in err.errors()]
            raise ConfigError("command line", problems) from None
        return self.model_copy(update={"run": run})


# ---------------------------------------------------------------------------- overrides by path
_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[id=([^\]]+)\]")


def parse_path(path: str) -> list[str | int | tuple[str, str]]:
    """Split a config path into steps: keys, list indices, and ``("id", value)`` selectors.

    Example:
        >>> parse_path("companies[id=openai].lab.market_share")
        ['companies', ('id', 'openai'), 'lab', 'market_share']
    """
    steps: list[str | int | tuple[str, str]] = []
    for part in path.split("."):
        for m in _STEP.finditer(part):
            key, index, ident = m.groups()
            steps.append(key if key else int(index) if index else ("id", ident))
        if not part or "".join(m.group(0) for m in _STEP.finditer(part)) != part:
            raise ValueError(f"{path!r} is not a config path "
                             "(e.g. world.demand.initial_annual or companies[id=openai].lab.market_share)")
    return steps


def set_path(raw: dict, path: str, value: Any) -> None:
    """Set one value inside plain config data, addressing lists by index or by ``[id=...]``."""
    steps = parse_path(path)
    node: Any = raw
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        where = ".".join(str(s) for s in steps[: i + 1])
        if isinstance(step, tuple):
            if not isinstance(node, list):
                raise ValueError(f"{path}: {where} is not a list of entries with ids")
            matches = [k for k, item in enumerate(node) if isinstance(item, dict) and item.get("id") == step[1]]
            if not matches:
                ids = ", ".join(str(item.get("id")) for item in node if isinstance(item, dict))
                raise ValueError(f"{path}: no entry with id {step[1]!r}; ids there: {ids}")
            step = matches[0]
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                raise ValueError(f"{path}: index {step} is outside the list")
        elif not isinstance(node, dict):
            raise ValueError(f"{path}: {where} is not a mapping")
        if last:
            node[step] = value
        else:
            if isinstance(step, str) and step not in node:
                node[step] = {}
            node = node[step]


def with_overrides(cfg: Config, changes: dict[str, Any], source: str = "overrides") -> Config:
    """A copy of a config with values changed by path, validated like a file.

    Raises:
        ConfigError: If a path does not exist or a value is not valid there.
    """
    raw = cfg.model_dump(mode="json", by_alias=True, exclude_none=True)
    problems = []
    for path, value in changes.items():
        try:
            set_path(raw, path, value)
        except ValueError as err:
            problems.append((path, str(err).split(": ", 1)[-1]))
    if problems:
        raise ConfigError(source, problems)
    return config_from_dict(raw, source)


# ---------------------------------------------------------------------------- loading
def load_config(path: str | Path) -> Config:
    """Read, merge (``base:``), validate and cross-check a config file.

    Raises:
        ConfigError: With every problem found, each with its field path.
    """
    path = Path(path)
    raw = _read_merged(path, ())
    return config_from_dict(raw, str(path))


def config_from_dict(raw: Any, source: str = "<config>") -> Config:
    """Validate a config given as plain data (as parsed from YAML)."""
    if not isinstance(raw, dict):
        raise ConfigError(source, [("", f"the top level must be a mapping of sections, got {type(raw).__name__}")])
    try:
        cfg = Config.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(source, [_describe(e, raw) for e in _root_causes(err.errors())]) from None
    problems = cross_check(cfg)
    if problems:
        raise ConfigError(source, problems)
    return cfg


def read_yaml(path: Path, error: type[ConfigError] = ConfigError) -> tuple[Any, str]:
    """Read and parse a YAML file within the limits of :mod:`economy.yaml_input`.

    Returns:
        The data and the text.

    Raises:
        error: Naming the file, for a missing or unreadable file, a file that is not UTF-8
            text, too large, too deeply nested, with duplicate keys or a YAML syntax error (with its line).
    """
    try:
        text = yaml_input.read_text(path)
        return yaml_input.parse(text), text
    except FileNotFoundError:
        raise error(str(path), [("", "file not found")]) from None
    except yaml_input.YamlInputError as err:
        raise error(str(path), [("", str(err))]) from None
    except OSError as err:
        raise error(str(path), [("", f"cannot read the file: {err.strerror or err}")]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise error(str(path), [("", f"YAML syntax error at {where}{problem}")]) from None


MAX_BASE_CHAIN = 20
"""Most files in a chain of ``base:`` overrides (the shipped scenarios use at most 3)."""


def _read_merged(path: Path, chain: tuple[Path, ...] = ()) -> Any:
    """A config file merged onto its chain of ``base:`` files, read without recursion.

    Args:
        path: The file named by the user.
        chain: Files already on the chain above it (resolved), for loop detection.

    Raises:
        ConfigError: Naming the file whose ``base:`` is wrong, for a missing base, a
            loop, a chain longer than :data:`MAX_BASE_CHAIN` or a bad merge.
    """
    layers: list[tuple[Path, Any]] = []  # the named file first, its base next, ...
    seen = list(chain)
    while True:
        resolved = path.resolve()
        if resolved in seen:
            raise ConfigError(str(path), [("base", "configs include each other in a loop")])
        seen.append(resolved)
        raw, _text = read_yaml(path)
        if not isinstance(raw, dict) or "base" not in raw:
            layers.append((path, raw))
            break
        base_name = raw.pop("base")
        layers.append((path, raw))
        if not isinstance(base_name, str):
            raise ConfigError(str(path), [("base", "must be the path of another config file (relative to this one)")])
        base_path = path.parent / base_name
        if not base_path.exists():  # read_yaml explains a folder or a pipe
            raise ConfigError(str(path), [("base", f"{base_name!r} not found (looked for {base_path}); "
                                                   "give the path of another config file, relative to this one")])
        if len(seen) >= MAX_BASE_CHAIN:
            raise ConfigError(str(layers[0][0]), [("base", f"the chain of base: files is longer than {MAX_BASE_CHAIN} files, "
                                                           f"the most allowed (it goes on at {path}); merge some of them")])
        path = base_path
    merged = layers[-1][1]
    for file, raw in reversed(layers[:-1]):
        try:
            merged = merge(merged, raw)
        except _MergeError as err:
            raise ConfigError(str(file), [(err.path, err.message)]) from None
    return merged


class _MergeError(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path, self.message = path, message


def merge(base: Any, override: Any, where: str = "") -> Any:
    """Merge an override into a base config (see the module docstring)."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = copy.deepcopy(base)
        for key, value in override.items():
            path = f"{where}.{key}" if where else str(key)
            out[key] = merge(out[key], value, path) if key in out else copy.deepcopy(value)
        return out
    if isinstance(override, list) and not override:
        return []  # an empty list replaces the base's list, even an id list: `contracts: []` leaves none
    if _is_id_list(base) and _is_id_list(override):
        out = [copy.deepcopy(item) for item in base]
        index = {item["id"]: i for i, item in enumerate(out)}
        for i, item in enumerate(override):
            if item.get("remove") is True:
                if item["id"] not in index:
                    raise _MergeError(f"{where}[{i}](id={item['id']})",
                                      f"remove: true but the base has no entry with id {item['id']!r}; "
                                      f"ids there: {', '.join(sorted(map(str, index)))}")
                out = [o for o in out if o["id"] != item["id"]]
                index = {o["id"]: i for i, o in enumerate(out)}
            elif item["id"] in index:
                out[index[item["id"]]] = merge(out[index[item["id"]]], item, f"{where}[{i}](id={item['id']})")
            else:
                index[item["id"]] = len(out)
                out.append(copy.deepcopy(item))
        return out
    return copy.deepcopy(override)


def _is_id_list(value: Any) -> bool:
    """A list whose items all have an ``id`` (companies, contracts); an empty base list counts as one."""
    return isinstance(value, list) and all(isinstance(v, dict) and "id" in v for v in value)


def _root_causes(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop a list's "too short" error when it is only the echo of its own items failing."""
    def inside(outer: tuple, inner: tuple) -> bool:
        return len(inner) > len(outer) and inner[: len(outer)] == outer
    return [e for e in errors
            if not (e["type"] == "too_short" and any(inside(e["loc"], o["loc"]) for o in errors))]


def _describe(error: dict[str, Any], raw: Any) -> tuple[str, str]:
    """Turn one pydantic error into ``(path, message)`` with a readable path."""
    parts: list[str] = []
    node = raw
    for i, loc in enumerate(error["loc"]):
        prev = error["loc"][i - 1] if i else None
        if isinstance(loc, int):
            parts.append(f"[{loc}]")
            item = node[loc] if isinstance(node, list) and loc < len(node) else None
            if isinstance(item, dict) and "id" in item:
                parts.append(f"(id={item['id']})")
            node = item
            continue
        if isinstance(prev, int) and loc in CONTRACT_KINDS:
            continue  # pydantic's union tag; the kind is already in the data
        parts.append(("." if parts else "") + str(loc))
        node = node.get(loc) if isinstance(node, dict) else None
    path = "".join(parts)
    msg = error["msg"]
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_fields(error["loc"][:-1], raw)
        hint = difflib.get_close_matches(str(error["loc"][-1]), allowed, n=1)
        msg = "unknown field" + (f"; did you mean {hint[0]!r}?" if hint else "") + (
            f" Allowed here: {', '.join(allowed)}" if allowed else "")
    elif kind == "union_tag_invalid":
        msg = f"unknown contract kind {error['input'].get('kind')!r}; valid kinds: {', '.join(CONTRACT_KINDS)}"
    elif kind == "union_tag_not_found":
        msg = f"missing 'kind'; valid kinds: {', '.join(CONTRACT_KINDS)}"
    elif kind == "missing":
        msg = "required field is missing"
    elif "input" in error and kind != "missing":
        if kind == "value_error":
            msg = msg.removeprefix("Value error, ")  # our own validators' messages are whole sentences
        shown = repr(error["input"])
        msg = f"{msg}; got {shown[:80]}"
    return path, msg


def _allowed_fields(loc: tuple, raw: Any) -> list[str]:
    """The field names a model accepts at a location of the config (empty if unknown)."""
    model: Any = Config
    for part in loc:
        if isinstance(part, int):
            continue
        if part in CONTRACT_KINDS and model is None:
            model = next(m for m in typing.get_args(typing.get_args(ContractSpec)[0])
                         if typing.get_args(m.model_fields["kind"].annotation) == (part,))
            continue
        field = model.model_fields.get(part) if model is not None and hasattr(model, "model_fields") else None
        if field is None:
            return []
        model = _inner_model(field.annotation)
    if model is None or not hasattr(model, "model_fields"):
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _inner_model(annotation: Any) -> Any:
    """The pydantic model inside Optional[...] / tuple[...] / dict[..., ...]; None for a contract union."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = [a for a in typing.get_args(annotation) if a is not type(None) and a is not Ellipsis]
    if typing.get_origin(annotation) is typing.Annotated:
        return None if annotation is ContractSpec else _inner_model(args[0])
    for a in args:
        if a is ContractSpec:
            return None
        inner = _inner_model(a)
        if inner is not None:
            return inner
    return None


# ---------------------------------------------------------------------------- cross checks
def cross_check(cfg: Config) -> list[tuple[str, str]]:
    """Checks that span fields: parties exist, roles fit, schedules in the horizon, stakes <= 100%.

    Returns:
        The problems found as ``(path, message)``; empty when the config is sound.
    """
    problems: list[tuple[str, str]] = []
    ids = {c.id: c for c in cfg.companies}
    roles = {c.id: c.role for c in cfg.companies}
    known = ", ".join(sorted(ids))
    start = cfg.run.start
    horizon_end = cfg.run.quarters

    def q(label: str) -> int:
        return quarter_index(label, start)

    first_seen: dict[str, int] = {}
    for i, c in enumerate(cfg.companies):
        where = f"companies[{i}](id={c.id})"
        if c.id in first_seen:
            problems.append((f"{where}.id",
                             f"company id {c.id!r} appears twice (also companies[{first_seen[c.id]}]); ids must be unique"))
        first_seen.setdefault(c.id, i)
        section = ROLE_SECTION[c.role]
        if getattr(c, section) is None:
            problems.append((f"{where}.{section}", f"a company with role {c.role!r} needs a '{section}' section"))
        for other in ("lender", "government", "investor", "chips"):
            if other != section and getattr(c, other) is not None:
                problems.append((f"{where}.{other}", f"only a company with that role may have a '{other}' section"))
        if c.listed and c.shares_outstanding is None:
            problems.append((f"{where}.shares_outstanding", "a listed company needs shares_outstanding (billions)"))
        lenders = (("builder.lender", c.builder and c.builder.lender), ("investor.lender", c.investor and c.investor.lender))
        for key, ref in lenders:
            if ref and roles.get(ref) != "lender":
                problems.append((f"{where}.{key}",
                                 f"{ref!r} is not a company with role 'lender'; lenders: {_ids_with(cfg, 'lender')}"))
        for j, b in enumerate(c.capacity.under_construction):
            if not 0 < q(b.complete) <= horizon_end + 40:
                problems.append((f"{where}.capacity.under_construction[{j}].complete",
                                 f"{b.complete} is outside the horizon (after {start}, within 10 years of the run's end)"))
    if sum(1 for c in cfg.companies if c.role == "government") > 1:
        problems.append(("companies", "at most one company may have role 'government'"))

    contract_ids: set[str] = set()
    loans = {c.id for c in cfg.contracts if c.kind == "loan"}
    computes = {c.id for c in cfg.contracts if c.kind == "compute"}
    stakes: dict[str, float] = {}
    for i, k in enumerate(cfg.contracts):
        where = f"contracts[{i}](id={k.id})"
        if k.id in contract_ids:
            problems.append((f"{where}.id", f"contract id {k.id!r} appears twice; ids must be unique"))
        contract_ids.add(k.id)
        parties = _parties(k)
        for field, ref in parties:
            if ref not in ids:
                problems.append((f"{where}.{field}", f"unknown company {ref!r}; known ids: {known}"))
        named = [ref for _f, ref in parties[:2]]
        if len(named) == 2 and named[0] == named[1]:
            problems.append((where, f"a contract needs two different parties; both are {named[0]!r}"))
        # schedules
        begin = getattr(k, "start", None)
        if begin is not None and q(begin) > horizon_end:
            problems.append((f"{where}.start", f"{begin} is after the run's last quarter ({_last(cfg)}); it would never start"))
        end_field, end = _end(k)
        if end is not None and begin is not None and q(end) < q(begin):
            problems.append((f"{where}.{end_field}", f"{end_field} {end} is before the start ({begin})"))
        elif end is not None and q(end) <= 0:
            problems.append((f"{where}.{end_field}",
                             f"{end_field} {end} is before the run starts ({start}); "
                             f"remove the contract or move its {end_field}"))
        if k.kind == "compute" and k.ramp_quarters > k.quarters:
            problems.append((f"{where}.ramp_quarters", f"must be <= quarters ({k.quarters}); got {k.ramp_quarters}"))
        if k.kind == "loan":
            if (k.fixed_rate_annual is None) == (k.spread_bp is None):
                problems.append((where, "give exactly one of fixed_rate_annual or spread_bp"))
            if k.collateral == "shares" and k.collateral_issuer is None:
                problems.append((f"{where}.collateral_issuer", "collateral 'shares' needs the issuer whose shares are pledged"))
            if k.collateral_issuer is not None and k.collateral_issuer not in ids:
                problems.append((f"{where}.collateral_issuer", f"unknown company {k.collateral_issuer!r}; known ids: {known}"))
            if k.lender in roles and roles[k.lender] not in ("lender", "investor", "chipmaker", "hyperscaler"):
                problems.append((f"{where}.lender", f"{k.lender!r} (role {roles[k.lender]}) cannot lend"))
        if k.kind == "equity_stake":
            stakes[k.issuer] = stakes.get(k.issuer, 0.0) + k.fraction
        if k.kind == "guarantee" and k.loan not in loans:
            problems.append((f"{where}.loan", f"unknown loan {k.loan!r}; loans: {', '.join(sorted(loans)) or 'none'}"))
        refs = ()
        if k.kind == "investment_commitment":
            refs = k.trigger.contracts
            if k.tranche > k.maximum:
                problems.append((f"{where}.tranche", f"must be <= maximum ({k.maximum}); got {k.tranche}"))
            if k.trigger.kind == "scheduled" and not k.trigger.quarters:
                problems.append((f"{where}.trigger.quarters", "a scheduled trigger needs the quarters of its tranches"))
        if k.kind == "warrant":
            refs = k.delivery_contracts
            if sum(v.share_fraction for v in k.vesting) > 1 + 1e-9:
                problems.append((f"{where}.vesting", "the share fractions of the vesting steps add up to more than 1"))
        for ref in refs:
            if ref not in computes:
                problems.append((where, f"refers to {ref!r}, which is not a compute contract in this config"))
    for issuer, total in stakes.items():
        if total > 1 + 1e-9:
            problems.append(("contracts", f"stakes in {issuer!r} add up to {total:.1%}; they cannot exceed 100%"))
    problems += _check_resolution(cfg)
    problems += _check_paths(cfg)
    problems += _check_shares(cfg)
    problems += _check_capacity(cfg)
    problems += _check_runways(cfg)
    problems += _check_contract_bounds(cfg)
    return problems


SHARE_TOL = 1e-9
"""Slack on shares that must add up to at most 1 (written shares are rounded decimals)."""


def _check_resolution(node: Any, where: str = "", non_negative: bool = False) -> list[tuple[str, str]]:
    """Numbers of fields that cannot be negative are 0 or at least :data:`MIN_MAGNITUDE`, found by walking the config.

    Only those fields: they are the amounts, prices and shares the model divides by, while a
    signed field (a growth rate, a margin) may sit at a float residue like 1e-17 of a sweep's
    arithmetic near 0 harmlessly.
    """
    if isinstance(node, tuple):
        return [p for i, item in enumerate(node) for p in _check_resolution(item, f"{where}[{i}]" + _id_tag(item), non_negative)]
    if isinstance(node, dict):
        return [p for key, item in node.items() for p in _check_resolution(item, f"{where}.{key}", non_negative)]
    if not isinstance(node, BaseModel):
        if non_negative and isinstance(node, float) and 0 < node < MIN_MAGNITUDE:
            return [(where, f"{node!r} is closer to 0 than {MIN_MAGNITUDE:g}, the smallest size a number may have "
                            f"(one dollar in $B); give at least {MIN_MAGNITUDE:g}, or 0 where 0 is allowed")]
        return []
    problems = []
    for name, field in type(node).model_fields.items():
        key = field.alias or name
        problems += _check_resolution(getattr(node, name), f"{where}.{key}" if where else key, _bounded_below_by_0(field))
    return problems


def _bounded_below_by_0(field: Any) -> bool:
    """Whether a field's declared lower bound (``ge`` or ``gt``) is 0 or more."""
    bounds = list(field.metadata)
    stack = [field.annotation]
    while stack:  # bounds of an optional field sit inside Annotated[...] within the union
        ann = stack.pop()
        if typing.get_origin(ann) is typing.Annotated:
            bounds += typing.get_args(ann)[1:]
        stack += [a for a in typing.get_args(ann) if not isinstance(a, FieldInfo)]
    for b in bounds:
        for bound in [b, *getattr(b, "metadata", [])]:
            low = getattr(bound, "ge", None)
            low = getattr(bound, "gt", None) if low is None else low
            if low is not None:
                return low >= 0
    return False


def _id_tag(item: Any) -> str:
    """``(id=...)`` after a list index for entries with an id, as the field paths of other messages show them."""
    ident = getattr(item, "id", None)
    return f"(id={ident})" if isinstance(ident, str) else ""


def _check_paths(cfg: Config) -> list[tuple[str, str]]:
    """Scenario step paths: dated in order, inside the run, and the rate path giving the rate at the start."""
    start = cfg.run.start
    rates = cfg.world.policy_rate
    problems = _steps_in_order("world.policy_rate", [s.from_quarter for s in rates], cfg)
    if quarter_index(rates[0].from_quarter, start) > 0:
        problems.append(("world.policy_rate[0].from",
                         f"the first step is from {rates[0].from_quarter}, after the run starts ({start}), so the rate "
                         f"until then would be unknown; the path must give the rate at the start: date the first step "
                         f"{start} or earlier (add {{from: {start}, rate_annual: ...}})"))
    problems += _steps_in_order("world.demand.regime_path", [s.from_quarter for s in cfg.world.demand.regime_path], cfg)
    for i, c in enumerate(cfg.companies):
        if c.lab is not None:
            problems += _steps_in_order(f"companies[{i}](id={c.id}).lab.reach_path",
                                        [s.from_quarter for s in c.lab.reach_path], cfg)
    return problems


def _steps_in_order(where: str, dates: list[str], cfg: Config) -> list[tuple[str, str]]:
    """Each step of a path dated after the one before it and no later than the run's last quarter."""
    problems = []
    for j, label in enumerate(dates):
        if j and quarter_index(label, dates[j - 1]) <= 0:
            problems.append((f"{where}[{j}].from", f"{label} is not after the step before it ({dates[j - 1]}); "
                                                   "give the steps in date order, one per quarter at most"))
        if quarter_index(label, cfg.run.start) > cfg.run.quarters:
            problems.append((f"{where}[{j}].from", f"{label} is after the run's last quarter ({_last(cfg)}); "
                                                   "it would never apply: move it inside the run or drop it"))
    return problems


def _check_shares(cfg: Config) -> list[tuple[str, str]]:
    """Shares of one whole that several companies or contracts split between them add up to at most 1."""
    problems = []

    def at_most_one(where: str, what: str, parts: dict[str, float], rest: str) -> None:
        total = sum(parts.values())
        if total > 1 + SHARE_TOL:
            listed = ", ".join(f"{k} {v:g}" for k, v in parts.items() if v)
            problems.append((where, f"{what} add up to {total:.6g} ({listed}); they cannot exceed 1{rest}"))

    at_most_one("companies", "chipmakers' chips.hardware_share",
                {c.id: c.chips.hardware_share for c in cfg.companies if c.chips},
                " (each is a slice of builders' hardware spend; the rest goes to outside suppliers)")
    at_most_one("companies", "builders' builder.spot_share",
                {c.id: c.builder.spot_share for c in cfg.companies if c.builder},
                " (each is a slice of world.gpu.spot_demand_gw)")
    at_most_one("companies", "labs' lab.market_share with world.demand.others_share",
                {**{c.id: c.lab.market_share for c in cfg.companies if c.lab}, "others_share": cfg.world.demand.others_share},
                " (each is a slice of world.demand.initial_annual)")
    paid: dict[str, dict[str, float]] = {}
    for k in cfg.contracts:
        if k.kind == "revenue_share":
            paid.setdefault(k.payer, {})[k.id] = k.share
    for payer, parts in paid.items():
        at_most_one("contracts", f"revenue shares paid by {payer!r}", parts, " (of its AI revenue)")
    return problems


def _check_capacity(cfg: Config) -> list[tuple[str, str]]:
    """Opening capacity the model can take as given: hardware with a book and GW, builds not overpaid."""
    world = cfg.world
    problems = []
    for i, c in enumerate(cfg.companies):
        where = f"companies[{i}](id={c.id}).capacity"
        cap = c.capacity
        hardware_gw = cap.gw if cap.hardware_gw is None else cap.hardware_gw
        if cap.hardware_book > 0 and hardware_gw <= 0:
            problems.append((f"{where}.hardware_book", f"{cap.hardware_book:g} of hardware but no hardware GW (gw / hardware_gw "
                                                       "is 0): give the GW it is, or a hardware_book of 0"))
        if hardware_gw > 0 and cap.hardware_age_quarters >= world.hardware_life_quarters:
            problems.append((f"{where}.hardware_age_quarters",
                             f"{cap.hardware_age_quarters} quarters old, but hardware is retired at "
                             f"world.hardware_life_quarters ({world.hardware_life_quarters}); give a younger average age"))
        for j, b in enumerate(cap.under_construction):
            shell_cost = b.gw * world.capex_per_gw * (1 - world.hardware_share)
            if b.spent > shell_cost * (1 + 1e-9):
                problems.append((f"{where}.under_construction[{j}].spent",
                                 f"{b.spent:g} spent, more than the build's shell cost ({shell_cost:.6g} = gw {b.gw:g} x "
                                 f"capex_per_gw {world.capex_per_gw:g} x (1 - hardware_share {world.hardware_share:g})); "
                                 f"spent is shell cost already paid: give at most {shell_cost:.6g}"))
    return problems


def _check_runways(cfg: Config) -> list[tuple[str, str]]:
    """A lab's minimum runway is at most its target (it raises below the minimum, up to the target)."""
    return [(f"companies[{i}](id={c.id}).lab.min_runway_quarters",
             f"{c.lab.min_runway_quarters:g} is above target_runway_quarters ({c.lab.target_runway_quarters:g}); "
             "a lab raises when runway falls below the minimum, up to the target: give min <= target")
            for i, c in enumerate(cfg.companies)
            if c.lab is not None and c.lab.min_runway_quarters > c.lab.target_runway_quarters]


def _check_contract_bounds(cfg: Config) -> list[tuple[str, str]]:
    """A contract's amounts, dates and references bounded by others in the same entry or by its parties."""
    problems = []
    ids = {c.id: c for c in cfg.companies}
    for i, k in enumerate(cfg.contracts):
        where = f"contracts[{i}](id={k.id})"
        if k.kind == "compute" and k.delivered_value > k.total_value * (1 + 1e-9):
            problems.append((f"{where}.delivered_value",
                             f"{k.delivered_value:g} delivered of a total_value of {k.total_value:g}; "
                             "give at most the total (backlog = total_value - delivered_value)"))
        if k.kind == "investment_commitment" and k.trigger.kind == "gw_delivered" and not k.trigger.contracts:
            problems.append((f"{where}.trigger.contracts", "a gw_delivered trigger needs the compute contracts whose GW "
                                                           "it counts; with none its tranches would never come due"))
        if k.kind == "warrant" and k.issuer in ids and ids[k.issuer].shares_outstanding is not None \
                and k.shares > ids[k.issuer].shares_outstanding:
            problems.append((f"{where}.shares", f"{k.shares:g} billion shares, more than {k.issuer!r} has outstanding "
                                                f"({ids[k.issuer].shares_outstanding:g}); give at most that"))
        tied_to = getattr(k, "tied_to", None)
        if tied_to is not None and tied_to in ids and ids[tied_to].lab is None:
            problems.append((f"{where}.tied_to", f"{tied_to!r} has no 'lab' block; tied_to names the lab the contract "
                                                 f"serves: {', '.join(c.id for c in cfg.companies if c.lab) or 'none'}"))
        if k.kind == "loan" and k.interest_only_until is not None and quarter_index(k.interest_only_until, k.maturity) > 0:
            problems.append((f"{where}.interest_only_until", f"{k.interest_only_until} is after the maturity ({k.maturity}); "
                                                             "give a quarter at or before the maturity"))
    return problems


def _ids_with(cfg: Config, role: str) -> str:
    return ", ".join(c.id for c in cfg.companies if c.role == role) or "none"


def _last(cfg: Config) -> str:
    return quarter_label(cfg.run.quarters, cfg.run.start)


def _parties(k: Any) -> list[tuple[str, str]]:
    fields = {
        "compute": ("buyer", "seller"),
        "revenue_share": ("payer", "payee"),
        "equity_stake": ("holder", "issuer"),
        "investment_commitment": ("investor", "investee"),
        "compute_credit": ("issuer", "holder"),
        "warrant": ("issuer", "holder"),
        "loan": ("lender", "borrower"),
        "backstop": ("guarantor", "beneficiary"),
        "guarantee": ("guarantor",),
    }[k.kind]
    out = [(f, getattr(k, f)) for f in fields]
    if k.kind == "compute" and k.tied_to:
        out.append(("tied_to", k.tied_to))
    if k.kind == "loan" and k.tied_to:
        out.append(("tied_to", k.tied_to))
    return out


def _end(k: Any) -> tuple[str, str | None]:
    """The field that ends a contract and the quarter it names (None if open-ended)."""
    if k.kind == "compute":
        return "quarters", _shift(k.start, k.quarters - 1)  # the last quarter of delivery
    for field in ("end", "maturity", "expires"):
        if getattr(k, field, None) is not None:
            return field, getattr(k, field)
    return "end", None


def _shift(label: str, n: int) -> str:
    return quarter_label(n, label)
