"""The state the mechanics work on: firms, ledger, contracts, market and the run's record, as plain objects.

The Mesa model owns one :class:`Economy` and steps it; the mechanics in ``economy/``
receive the Economy, never the model, so they can be tested without building one and
a what-if run of the cascade copies this state only (:meth:`Economy.twin`).
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, field
from enum import Enum

from economy.capacity import Fleet
from economy.channels import Channel, ChannelLog
from economy.competition import Competition
from economy.config import Company as CompanySpec
from economy.config import Config
from economy.contracts import LIVE, ContractBook, Obligation
from economy.ledger import ASSETS, LIABILITIES, Account, Ledger
from economy.markets import Market, WorldProcess

EXTERNAL = "external"


class Status(str, Enum):
    """A company's condition, as reported in every row."""

    HEALTHY = "healthy"
    DISTRESSED = "distressed"
    DEFAULTED = "defaulted"
    RESCUED = "rescued"
    REORGANISED = "reorganised"
    """Emerged from a court-supervised reorganisation, owned by its former creditors; it operates again."""


@dataclass
class Flows:
    """Flows of the current quarter that are not income-statement accounts."""

    capex: float = 0.0
    ai_revenue: float = 0.0
    compute_gw: float = 0.0
    rented_in_gw: float = 0.0
    equity_raised: float = 0.0
    stock_pay: float = 0.0


def annual_growth(history: deque[float]) -> float:
    """Year-on-year growth from up to five quarterly figures, annualised when fewer are known (0 if unknown)."""
    if len(history) < 2 or history[0] <= 0:
        return 0.0
    return (history[-1] / history[0]) ** (4.0 / (len(history) - 1)) - 1.0


@dataclass(eq=False)
class Firm:
    """A company's state besides its ledger accounts: status, capacity, flows, value and short histories.

    The Mesa agent of the company (``agents``) reads this state to decide; the
    mechanics change it when they perform.
    """

    spec: CompanySpec
    holder: int
    ledger: Ledger
    fleet: Fleet
    market_value: float
    listed: bool
    status: Status = Status.HEALTHY
    flows: Flows = field(default_factory=Flows)
    own_multiple: float = 0.0
    own_fixed: float = 0.0
    """Value of a business without revenue to scale it by (held at its opening value)."""
    frozen_value: float | None = None
    """What holders keep marking a failed firm at when the equity channel is off."""
    cash_changes: deque[float] = field(default_factory=lambda: deque(maxlen=4))
    cash_before: float = 0.0
    ai_revenue_hist: deque[float] = field(default_factory=lambda: deque(maxlen=5))
    demand_hist: deque[float] = field(default_factory=lambda: deque(maxlen=5))
    """A lab's share of demand ($B a quarter) before its compute caps what it serves, the last five quarters: the
    growth the market reads (a quarter short of compute is not a fall in what its users will pay)."""
    revenue_hist: deque[float] = field(default_factory=lambda: deque(maxlen=4))
    net_income_hist: deque[float] = field(default_factory=lambda: deque(maxlen=4))
    cost_factor: float = 1.0
    opening_equity: float = 0.0
    recent_losses: deque[float] = field(default_factory=lambda: deque(maxlen=4))
    loss_stress: float = 0.0
    refused_in: int = -1
    plan_debt: float | None = None
    """The debt a firm reorganised in court left with ($B): its exit plan forbids more while ``plan_until``."""
    plan_until: int = -1
    """The last quarter of the exit plan's debt covenant (the kept loans' tenor after emergence)."""
    hardware_sold: dict[int, float] = field(default_factory=dict)
    """GW of its fleet sold in distress, by quarter, over the last year: the cap on such sales runs over four quarters."""

    @property
    def entity(self) -> str:
        """The company's id in the config."""
        return self.spec.id

    @property
    def role(self) -> str:
        """The company's role (lab, chipmaker, hyperscaler, neocloud, investor, lender, government)."""
        return self.spec.role

    @property
    def alive(self) -> bool:
        """Whether the company still operates (not defaulted)."""
        return self.status is not Status.DEFAULTED

    def cash(self) -> float:
        """Cash on the ledger now."""
        return self.ledger.balance(self.holder, Account.CASH)


BACKLOG_KINDS = ("backlog", "backlog_nonbinding")
"""The kinds of ``losses`` rows that are lost backlog, not write-offs: the binding part, then the non-binding part."""

# what a what-if copy leaves out: the run's record, which the cascade in the copy does not need
RECORD = ("events", "cascade", "losses", "flow_rows")


@dataclass(eq=False)
class Economy:
    """Everything the mechanics read and change, and the record of the run so far."""

    config: Config
    ledger: Ledger
    book: ContractBook
    world: WorldProcess
    competition: Competition
    firms: list[Firm]
    index: dict[str, int]
    external: int
    origin: str
    market: Market
    quarter: int = 0
    label: str = ""
    # the run's record
    events: list[dict] = field(default_factory=list)
    cascade: list[dict] = field(default_factory=list)
    losses: list[dict] = field(default_factory=list)
    flow_rows: list[tuple] = field(default_factory=list)
    """Rows of contract_flows.csv (economy.records.CONTRACT_FLOW_COLUMNS)."""
    channels: ChannelLog = field(default_factory=ChannelLog)
    fiscal_cost: float = 0.0
    initial_cash: float = 0.0
    # this quarter's working state
    obligations: list[Obligation] = field(default_factory=list)
    operating_costs: list[Obligation] = field(default_factory=list)
    extra_obligations: list[Obligation] = field(default_factory=list)
    shortfall: dict[int, float] = field(default_factory=dict)
    fire_sellers: list[str] = field(default_factory=list)
    new_defaults: int = 0
    what_if: bool = False
    """True in a what-if copy: no rescue is considered there."""
    statements: list[list[float]] = field(default_factory=list)
    """Each holder's income statement of the last closed quarter."""
    rented_share: float = 1.0
    """Share of builders' capacity in use last quarter."""
    own_use_memo: dict[tuple[int, int], float] = field(default_factory=dict)
    backlog_memo: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Index the firms by ledger holder."""
        self.by_holder: dict[int, Firm] = {f.holder: f for f in self.firms}

    # ---------------------------------------------------------------- lookups
    def firm(self, entity: str) -> Firm:
        """The firm with this id (which must exist)."""
        return self.by_holder[self.index[entity]]

    def company_named(self, entity: str) -> Firm | None:
        """The firm with this id, if any."""
        h = self.index.get(entity)
        return self.by_holder.get(h) if h is not None else None

    def name_of(self, entity: str) -> str:
        """A holder's display name from its id."""
        co = self.company_named(entity)
        return co.spec.name if co else ("the external sector" if entity == EXTERNAL else entity)

    @property
    def government(self) -> Firm | None:
        """The government, if the config has one."""
        return next((co for co in self.firms if co.role == "government"), None)

    def total_assets(self, holder: int) -> float:
        """Total assets of a holder now."""
        return self.ledger.total(holder, ASSETS)

    def total_liabilities(self, holder: int) -> float:
        """Total liabilities of a holder now."""
        return self.ledger.total(holder, LIABILITIES)

    def last_statement(self, holder: int, account: Account, current: bool = False) -> float:
        """An income-statement account for the last closed quarter (or the current one)."""
        if current:
            return self.ledger.balance(holder, account)
        if not self.statements:
            return 0.0
        return self.statements[holder][account]

    def backlog(self, seller: int) -> float:
        """Value still to be delivered under a seller's compute contracts, from next quarter on (memoised per phase)."""
        memo = self.backlog_memo
        if seller not in memo:
            memo[seller] = sum(c.remaining_value(self.quarter + 1) for c in self.book.sold_by(seller) if c.state in LIVE)
        return memo[seller]

    def value_for_holders(self, issuer: Firm) -> float:
        """What a stake holder marks a firm at: its value; zero after a default (its last value if the equity channel is off)."""
        if issuer.alive:
            return issuer.market_value
        return issuer.frozen_value if issuer.frozen_value is not None else 0.0

    # ---------------------------------------------------------------- the record
    def event(self, kind: str, entity: Firm | None, counterparty: Firm | None, amount: float, text: str,
              channel: str = "") -> None:
        """Add a line to the plain-language event log (with the contagion channel it belongs to, if any)."""
        self.events.append({"quarter": self.label, "kind": kind,
                            "entity": entity.entity if entity else "",
                            "counterparty": counterparty.entity if counterparty else "",
                            "amount": round(amount, 6), "channel": channel, "text": f"{self.label}: {text}"})

    def note_channel(self, holder: int, channel: Channel | str, amount: float, source: str) -> None:
        """Record that a contagion channel carried a loss or refusal to a holder."""
        self.channels.note(self.label, holder, self.ledger.names[holder], Channel(channel), amount, source)

    def new_phase(self) -> None:
        """Forget what was memoised for the previous phase (contracts may have changed since)."""
        self.backlog_memo = {}

    def twin(self) -> Economy:
        """A copy of the state without the run's record, for a what-if run of the cascade.

        The config and the firms' specs are shared, not copied: nothing changes them
        within a quarter, and copying them would be most of the cost.
        """
        memo: dict[int, object] = {id(self.config): self.config}
        for f in self.firms:
            memo[id(f.spec)] = f.spec
        kept = {name: getattr(self, name) for name in RECORD}
        rows = self.channels.rows
        try:
            for name in RECORD:
                setattr(self, name, [])
            self.channels.rows = []
            twin = copy.deepcopy(self, memo)
        finally:
            for name, value in kept.items():
                setattr(self, name, value)
            self.channels.rows = rows
        twin.what_if = True
        return twin
