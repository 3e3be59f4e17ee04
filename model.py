"""The Mesa model of the AI financing web: one step is one quarter (MODEL.md section 7).

The model is the wiring: it builds the :class:`~economy.state.Economy` (ledger,
contract book, world, firms) from a config, gives each firm a Mesa agent that decides
for it (``agents/``), and steps the quarter's eight phases, each performed by the
mechanics in ``economy/``. After each quarter it checks that every balance sheet
balances, that cash is conserved and that every number is finite, and stops with an
error if not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa

from agents import ROLE_CLASSES, Company, Status
from agents.base import Reviewer
from agents.lender import quoted_spread_bp
from agents.rounds import RULES, construct_and_finance, decide_quarter
from economy.closing import close_books, pay_out, remember_quarter
from economy.config import Config, load_config, with_overrides
from economy.defaults import DefaultResolver, what_if_losses
from economy.invariants import check_invariants
from economy.ledger import Account
from economy.opening import open_economy
from economy.operations import operate
from economy.payments import settle_quarter
from economy.records import Recorder
from economy.revaluation import value_firms
from economy.state import EXTERNAL, Economy
from economy.units import quarter_label
from economy.views import count_status, partner_debt
from economy.world_moves import move_world

BASELINE = Path(__file__).resolve().parent / "configs" / "baseline.yaml"

__all__ = ["BASELINE", "EXTERNAL", "PANEL_COLUMNS", "AIFinanceModel", "SheetColumn"]

PANEL_COLUMNS = ("entity", "role", "status", "cash", "debt", "equity", "total_assets", "market_value", "capacity_gw",
                 "credit_spread_bp")
"""The ``balance_sheets.csv`` columns the DataCollector keeps for every firm and quarter, under the same names."""


class SheetColumn:
    """A Mesa agent reporter: one column of the agent's row in ``balance_sheets`` for the quarter just recorded.

    It reads the row the :class:`~economy.records.Recorder` wrote (:meth:`~economy.records.Recorder.latest`)
    rather than working the figure out again, so the agent panel and the table cannot disagree. A callable
    object rather than an attribute name: Mesa turns a name into a local function, which pickle cannot carry,
    and the classroom pickles whole models.

    Args:
        column: A column of ``balance_sheets.csv``, e.g. ``"cash"``.

    Example:
        >>> SheetColumn("cash")
        SheetColumn('cash')
    """

    __slots__ = ("column",)

    def __init__(self, column: str) -> None:
        """Report ``column``."""
        self.column = column

    def __call__(self, agent: Company) -> float | str:
        """The column's value for the agent's firm, as recorded for the current quarter."""
        return agent.model.recorder.latest(agent.firm.holder)[self.column]

    def __repr__(self) -> str:
        """``SheetColumn('cash')``."""
        return f"SheetColumn({self.column!r})"


class AIFinanceModel(mesa.Model):
    """The AI financing web, stepped quarter by quarter.

    Args:
        config: A validated :class:`Config`, or the path of a YAML config.
        seed: The run's seed (overrides the config's ``run.seed``).
        quarters: Run length (overrides ``run.quarters``).
        overrides: Values changed by config path, e.g. ``{"world.gpu.decline_annual": 0.3}``
            (see :func:`economy.config.with_overrides`); lets ``mesa.batch_run`` vary them.
    """

    def __init__(
        self,
        config: Config | str | Path = BASELINE,
        seed: int | None = None,
        quarters: int | None = None,
        overrides: dict[str, Any] | None = None,
    ) -> None:
        """Build the opening state: ledger holders, firms and their agents, contracts, capacity."""
        cfg = config if isinstance(config, Config) else load_config(config)
        if overrides:
            cfg = with_overrides(cfg, overrides)
        cfg = cfg.with_run(seed=seed, quarters=quarters)
        super().__init__(seed=int(cfg.run.seed))
        self.economy: Economy = open_economy(cfg)
        self.companies: list[Company] = [ROLE_CLASSES[f.role](self, self.economy, f) for f in self.economy.firms]
        self.by_holder: dict[int, Company] = {a.holder: a for a in self.companies}
        self.recorder = Recorder(self.economy, quoted_spread_bp)
        self.recorder.record_opening()
        # Mesa's own collector, for batch_run and SolaraViz users: system figures per quarter, and per firm and
        # quarter its main balance_sheets columns (read from the recorder's rows, which hold the full tables)
        self.datacollector = mesa.DataCollector(model_reporters={
            "ai_demand": "ai_demand", "sentiment": "sentiment", "defaults": "defaults", "rescues": "rescues",
            "fiscal_cost": "fiscal_cost", "partner_debt": "partner_debt"},
            agent_reporters={column: SheetColumn(column) for column in PANEL_COLUMNS})
        self.datacollector.collect(self)
        self.running = True

    # ------------------------------------------------------------------ the quarter
    def step(self) -> None:
        """One quarter, in the order of MODEL.md section 7."""
        e = self.economy
        e.quarter += 1
        e.label = quarter_label(e.quarter, e.origin)
        e.ledger.quarter = e.quarter
        self._phase()
        move_world(e)
        self._phase()
        operate(e)
        self._phase()
        decisions = decide_quarter(e, self.companies)
        self._phase()
        settle_quarter(e)
        self._phase()
        construct_and_finance(e, decisions, self.companies)
        self._phase()
        DefaultResolver(e, RULES).run(e.shortfall)
        self._phase()
        value_firms(e)
        self.record()

    def _phase(self) -> None:
        """Forget what was memoised for the previous phase (contracts may have changed since)."""
        self.economy.new_phase()
        if self.economy.quarter >= self.economy.config.run.quarters:
            self.running = False

    def record(self) -> None:
        """Phase 8: payouts, the books closed, the invariants checked, the quarter's rows recorded."""
        self._phase()
        e = self.economy
        pay_out(e)
        close_books(e)
        check_invariants(e)
        remember_quarter(e)
        self.recorder.record_quarter()
        self.datacollector.collect(self)

    def check_invariants(self) -> None:
        """Balance sheets balance, cash is conserved, debt matches loans, nobody holds negative cash.

        Raises:
            AccountingError: Naming the holder, the quarter and the amount.
        """
        check_invariants(self.economy)

    def run(self) -> AIFinanceModel:
        """Step to the end of the configured horizon."""
        while self.running:
            self.step()
        # Mesa 3.3.1 keeps a class-level id counter per model, which keeps every model alive
        # (mesa/mesa#3179); a finished run creates no more agents, so let it go
        mesa.Agent._ids.pop(self, None)
        return self

    def apply_shock(self, shock: str) -> tuple:
        """Move the world by an instructor's shock from the next quarter on (``economy.shocks``).

        A shock moves a lever (demand regime, rate path, resale price, a lender's or
        Nvidia's parameter), never an outcome; the rules decide what follows.

        Args:
            shock: An ``economy.shocks.Shock`` or its id, e.g. ``"rates_up_200bp"``.

        Returns:
            The ``economy.shocks.Change`` records of the levers moved.

        Raises:
            economy.shocks.ShockError: If the run is over or lacks what the shock moves.
        """
        from economy.shocks import apply_shock  # kept local: the classroom's only hook into the model

        e = self.economy
        moved = apply_shock(shock, e.config, e.world, e.book, e.index, e.quarter)
        e.config, e.world, e.market = moved.config, moved.world, moved.world.market
        for firm in e.firms:  # agents read their parameters from their spec
            firm.spec = moved.config.company(firm.entity)
        return moved.changes

    def steer(self, entity: str, reviewer: Reviewer | None) -> None:
        """Let a person take a company's decisions from the next round on (classroom team mode).

        In every round the company decides in (its own decisions; the tranches it may
        release; the rolls and loans it is asked for, as a lender), ``reviewer(agent,
        decisions)`` gets what its rules decided and returns what to carry out: the same,
        or alternatives the round offers (hold back or release a tranche, refuse a roll
        or a loan, add or drop its own funding round, cost cut or cancellation). Anything
        else stops the step with :class:`agents.rounds.DecisionError`. ``None`` hands the
        decisions back to the rules.

        Raises:
            KeyError: If no company has this id.
        """
        agent = self.company_named(entity)
        if agent is None:
            raise KeyError(f"no company {entity!r} in this run; companies: {', '.join(a.entity for a in self.companies)}")
        agent.reviewer = reviewer

    # ------------------------------------------------------------------ system figures (Mesa reporters)
    @property
    def ai_demand(self) -> float:
        """End-user AI spending, annualised ($B)."""
        return self.economy.market.demand_annual

    @property
    def sentiment(self) -> float:
        """Market sentiment (-1..1)."""
        return self.economy.market.sentiment

    @property
    def defaults(self) -> int:
        """Companies in default."""
        return count_status(self.economy, Status.DEFAULTED)

    @property
    def rescues(self) -> int:
        """Companies rescued by the government."""
        return count_status(self.economy, Status.RESCUED)

    @property
    def partner_debt(self) -> float:
        """Outstanding loans tied to a lab's contracts ($B)."""
        return partner_debt(self.economy)

    @property
    def fiscal_cost(self) -> float:
        """What rescues and guarantees have cost the government so far ($B)."""
        return self.economy.fiscal_cost

    # ------------------------------------------------------------------ the state, read through
    config = property(lambda self: self.economy.config, doc="The run's validated config (changed only by a shock).")
    ledger = property(lambda self: self.economy.ledger, doc="The double-entry ledger of every holder.")
    book = property(lambda self: self.economy.book, doc="The contract book.")
    world = property(lambda self: self.economy.world, doc="The world process (demand, rates, prices, sentiment).")
    market = property(lambda self: self.economy.market, doc="This quarter's market state.")
    quarter = property(lambda self: self.economy.quarter, doc="Quarters simulated so far (0 at the opening).")
    label = property(lambda self: self.economy.label, doc="The current quarter's label, e.g. 2026Q1.")
    origin = property(lambda self: self.economy.origin, doc="The opening quarter's label.")
    index = property(lambda self: self.economy.index, doc="Ledger holder of each entity id (the external sector too).")
    external = property(lambda self: self.economy.external, doc="The external sector's ledger holder.")
    events = property(lambda self: self.economy.events, doc="The plain-language event log, as rows.")
    cascade = property(lambda self: self.economy.cascade, doc="One row per default and the channel that carried it.")
    losses = property(lambda self: self.economy.losses, doc="Losses written off, by holder, source and channel.")
    flow_rows = property(lambda self: self.economy.flow_rows, doc="Rows of contract_flows.csv.")
    channels = property(lambda self: self.economy.channels, doc="What each contagion channel carried, to whom.")

    def total_assets(self, holder: int) -> float:
        """Total assets of a holder now ($B)."""
        return self.economy.total_assets(holder)

    def total_liabilities(self, holder: int) -> float:
        """Total liabilities of a holder now ($B)."""
        return self.economy.total_liabilities(holder)

    def last_statement(self, holder: int, account: Account, current: bool = False) -> float:
        """An income-statement account for the last closed quarter (or the current one)."""
        return self.economy.last_statement(holder, account, current)

    def company_named(self, entity: str) -> Company | None:
        """The agent of the company with this id, if any."""
        h = self.economy.index.get(entity)
        return self.by_holder.get(h) if h is not None else None

    def name_of(self, entity: str) -> str:
        """A holder's display name from its id."""
        return self.economy.name_of(entity)

    @property
    def government(self) -> Company | None:
        """The government's agent, if the config has one."""
        return next((a for a in self.companies if a.role == "government"), None)

    def systemic_importance(self, entity: str) -> float:
        """What others would lose if the firm failed now (a what-if run of the cascade, $B)."""
        return what_if_losses(self.economy, self.economy.firm(entity), RULES)
