"""The Mesa model of the AI financing web: one step is one quarter (MODEL.md section 7).

Every company is an agent in ``model.agents``; the ledger, the contract book and the
world process are plain objects the model owns. A quarter runs eight named phases;
after each quarter the model checks that every balance sheet balances and that cash
is conserved across all holders, and stops with an error if not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from agents import ROLE_CLASSES, Company, Status
from agents.base import annual_growth
from agents.builder import StartBuild
from agents.chipmaker import ChipMaker, TrancheDue, choose_tranches
from agents.decisions import RefuseRoll, ReleaseTranche, RollLoan
from agents.lab import (
    Cancel,
    CutCosts,
    ListShares,
    RaiseFunding,
    Renegotiate,
    SignCompute,
    TakeDeliveries,
    health_score,
    round_take_up,
)
from agents.lender import CreditConditions, credit_leverage, decide_roll, lending_decision
from economy.actions import draw, open_loan
from economy.capacity import Build, Vintage
from economy.channels import Channel, ChannelLog
from economy.competition import OTHERS, Competition, CompetitionParams
from economy.config import BuilderParams, Config, load_config, with_overrides
from economy.contracts import (
    LIVE,
    Backstop,
    ComputeContract,
    ComputeCredit,
    DueContext,
    EquityStake,
    InvestmentCommitment,
    Loan,
    Obligation,
    RevenueShare,
    State,
    Warrant,
)
from economy.credit import LoanRequest, clear_loan_requests
from economy.defaults import DefaultResolver, what_if_losses
from economy.ledger import ASSETS, EXPENSES, INCOME, LIABILITIES, Account, AccountingError, Ledger
from economy.markets import WorldProcess
from economy.opening import build_contracts, opening_vintages
from economy.records import Recorder
from economy.settlement import settle
from economy.units import money_tol, quarter_index, quarter_label, quarterly_growth
from economy.valuation import solve_values

BASELINE = Path(__file__).resolve().parent / "configs" / "baseline.yaml"


@dataclass
class Commitments:
    """A holder's contracted capacity in one quarter (GW): what it owes and what it is owed."""

    rent_out: float = 0.0
    lease_out: float = 0.0
    rent_in: float = 0.0
    lease_in: float = 0.0
    tied_to: int | None = None
EXTERNAL = "external"


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
        """Build the opening state: ledger holders, agents, contracts, capacity."""
        cfg = config if isinstance(config, Config) else load_config(config)
        if overrides:
            cfg = with_overrides(cfg, overrides)
        cfg = cfg.with_run(seed=seed, quarters=quarters)
        super().__init__(seed=int(cfg.run.seed))
        self.config = cfg
        self.quarter = 0
        self.origin = cfg.run.start
        self.label = cfg.run.start
        self.events: list[dict] = []
        self.cascade: list[dict] = []
        self.flow_rows: list[tuple] = []  # rows of contract_flows.csv (economy.records.CONTRACT_FLOW_COLUMNS)
        self.fiscal_cost = 0.0
        self.channels = ChannelLog()
        self.fire_sellers: list[str] = []
        self.what_if = False
        self.extra_obligations: list[Obligation] = []
        self.losses: list[dict] = []
        self.new_defaults = 0
        self.obligations: list[Obligation] = []
        self.shortfall: dict[int, float] = {}
        self.ledger = Ledger(keep_journal=False)
        # exogenous draws on their own streams, so scenarios that differ in a lever see the same shocks
        world_seed, competition_seed = np.random.SeedSequence(int(cfg.run.seed)).spawn(2)
        self.world = WorldProcess(cfg.world, self.origin, np.random.default_rng(world_seed))
        self._competition_rng = np.random.default_rng(competition_seed)
        self.market = self.world.market
        self._backlog_memo = {}
        self._rented_share = 1.0  # share of builders' capacity in use last quarter
        self._own_use_memo: dict[tuple[int, int], float] = {}
        self._statements: list[list[float]] = []

        self.companies: list[Company] = []
        index: dict[str, int] = {}
        for spec in cfg.companies:
            holder = self.ledger.add_holder(spec.id)
            index[spec.id] = holder
            self.companies.append(ROLE_CLASSES[spec.role](self, spec, holder))
        self.external = self.ledger.add_holder(EXTERNAL)
        index[EXTERNAL] = self.external
        self.index = index
        self.by_holder: dict[int, Company] = {c.holder: c for c in self.companies}
        self.book = build_contracts(cfg, index)
        d = cfg.world.demand
        shares = {co.holder: co.spec.lab.market_share for co in self.companies if co.spec.lab}
        shares[OTHERS] = d.others_share
        self.competition = Competition(shares, CompetitionParams(d.share_inertia, d.capability_growth_quarterly,
                                                                 d.capability_exponent, d.price_elasticity,
                                                                 d.capability_noise), self._competition_rng)
        self._open_balances()
        self.initial_cash = self.ledger.total_cash()
        for co in self.companies:
            co.opening_equity = self.ledger.equity(co.holder)
            co.cash_before = co.cash()
        self._calibrate_valuation()
        self.recorder = Recorder(self)
        self.recorder.record_opening()
        # Mesa's own collector, for batch_run and SolaraViz users; the full tables come from the recorder
        self.datacollector = mesa.DataCollector(model_reporters={
            "ai_demand": "ai_demand", "sentiment": "sentiment", "defaults": "defaults", "rescues": "rescues",
            "fiscal_cost": "fiscal_cost", "partner_debt": "partner_debt"})
        self.datacollector.collect(self)
        self.running = True

    # ------------------------------------------------------------------ opening state
    def _open_balances(self) -> None:
        cfg, led, world = self.config, self.ledger, self.config.world
        loans_held = [0.0] * (self.external + 1)
        debt = [0.0] * (self.external + 1)
        stakes = [0.0] * (self.external + 1)
        credits_held = [0.0] * (self.external + 1)
        credits_owed = [0.0] * (self.external + 1)
        values = {c.holder: c.spec.market_value for c in self.companies}
        for c in self.book.contracts:
            if isinstance(c, Loan):
                loans_held[c.from_party] += c.principal
                debt[c.to_party] += c.principal
            elif isinstance(c, EquityStake):
                stakes[c.from_party] += c.fraction * values.get(c.to_party, 0.0)
            elif isinstance(c, ComputeCredit) and c.start <= 0:
                credits_held[c.to_party] += c.balance
                credits_owed[c.from_party] += c.balance
        for co in self.companies:
            o, cap = co.spec.opening, co.spec.capacity
            hardware_gw = cap.gw if cap.hardware_gw is None else cap.hardware_gw
            co.fleet.vintages = opening_vintages(hardware_gw, cap.hardware_book, cap.hardware_age_quarters,
                                                 world.hardware_life_quarters)
            co.fleet.shell_gw = cap.gw
            co.fleet.shell_book = cap.shell_book
            for b in cap.under_construction:
                done = quarter_index(b.complete, self.origin)
                cost = b.gw * world.capex_per_gw
                hardware = b.gw if b.hardware else 0.0
                co.fleet.builds.append(Build(started=done - world.build_lead_quarters, complete=done, gw=hardware,
                                             shell_cost=cost * (1 - world.hardware_share), shell_paid=b.spent,
                                             hardware_cost=hardware * world.capex_per_gw * world.hardware_share, shell_gw=b.gw))
            h = co.holder
            led.open(h, {
                Account.CASH: o.cash, Account.RECEIVABLES: o.receivables, Account.OTHER_ASSETS: o.other_assets,
                Account.NON_AI_BUSINESS: o.non_ai_business, Account.HARDWARE: co.fleet.hardware_book,
                Account.DC_SHELLS: cap.shell_book,
                Account.CONSTRUCTION_IN_PROGRESS: sum(b.shell_paid for b in co.fleet.builds),
                Account.STAKES: stakes[h], Account.LOANS_HELD: loans_held[h],
                Account.CREDITS_RECEIVABLE: credits_held[h],
                Account.DEBT: debt[h], Account.PAYABLES: o.payables,
                Account.DEFERRED_REVENUE: o.deferred_revenue + credits_owed[h],
            })
        led.open(self.external, {Account.CASH: cfg.external.cash})

    def _calibrate_valuation(self) -> None:
        """Fix each firm's multiple on its own business so the opening values match the config."""
        S = self.holdings_matrix()
        v0 = np.array([c.spec.market_value for c in self.companies])
        # summed in order, not by BLAS, so the opening multiples have the same digits on every CPU
        own0 = np.array([v0[i] - math.fsum(S[i] * v0) for i in range(len(v0))])
        for i, c in enumerate(self.companies):
            base = self.fundamental_revenue(c, opening=True)
            # a revenue so small that value / revenue overflows is no base for a multiple: the value stays fixed
            by_revenue = base > 0 and math.isfinite(max(0.0, own0[i]) / base)
            c.own_multiple = max(0.0, own0[i]) / base if by_revenue else 0.0
            c.own_fixed = 0.0 if by_revenue else max(0.0, own0[i])
            if c.spec.lab:
                c.ai_revenue_hist.append(self.config.world.demand.initial_annual / 4 * c.spec.lab.market_share)

    # ------------------------------------------------------------------ the quarter
    def step(self) -> None:
        """One quarter, in the order of MODEL.md section 7."""
        self.quarter += 1
        self.label = quarter_label(self.quarter, self.origin)
        self.ledger.quarter = self.quarter
        self.move_world()
        self.operate()
        decisions = self.decide()
        self.settle_payments()
        self.construct_and_finance(decisions)
        self.resolve_defaults()
        self.value_firms()
        self.record()

    def _new_phase(self) -> None:
        """Forget what was memoised for the previous phase (contracts may have changed since)."""
        self._backlog_memo: dict[int, float] = {}
        if self.quarter >= self.config.run.quarters:
            self.running = False

    # 1 ------------------------------------------------------------------
    def move_world(self) -> None:
        """Demand, rates and compute price move; contracts that start become active."""
        self._new_phase()
        util = self._utilisation
        self.market = self.world.advance(self.quarter, util)
        labs = [co for co in self.companies if co.spec.lab]
        self.competition.advance(
            {co.holder: co.flows.compute_gw for co in labs if co.alive},
            {co.holder: self._reach(co) for co in labs},
            {co.holder: co.spec.lab.price for co in labs},
        )
        self.channels.new_quarter(self.quarter)
        self.fire_sellers = []
        for c in self.book.contracts:
            if c.state is State.PENDING and c.start <= self.quarter:
                c.state = State.ACTIVE
            elif c.state in LIVE and c.end is not None and c.end < self.quarter and not isinstance(c, Loan):
                c.close(State.DELIVERED, c.end)  # its term is over (loans close when repaid, or default)
        for co in self.companies:
            co.flows = type(co.flows)()

    # 2 ------------------------------------------------------------------
    def operate(self) -> None:
        """Revenue from end users and non-AI businesses, operating costs, depreciation."""
        self._new_phase()
        led, q, w = self.ledger, self.quarter, self.config.world
        ext = self.external
        self.operating_costs: list[Obligation] = []
        self._allocate_capacity()
        demand_q = self.market.demand_annual / 4.0
        for co in self.companies:
            if not co.alive:
                continue
            h, spec = co.holder, co.spec
            if spec.non_ai:
                rev = spec.non_ai.revenue_quarterly * (1 + quarterly_growth(spec.non_ai.growth_annual)) ** q
                led.transfer(ext, h, rev, Account.OPEX, Account.REVENUE, "non-AI revenue")
                self._owe_outside(h, rev * (1 - spec.non_ai.operating_margin), "non-AI operating costs")
            if spec.chips and spec.chips.external_sales_quarterly > 0:
                rev = spec.chips.external_sales_quarterly * (1 + quarterly_growth(spec.chips.external_growth_annual)) ** q
                self._chip_sale(ext, co, rev, "chip sales outside the model")
            if spec.lab:
                self._operate_lab(co, demand_q)
            if co.fleet.capacity_gw > 0 or co.fleet.hardware_gw > 0:
                hosting = w.hosting_cost_per_gw_quarter * co.fleet.hardware_gw
                self._owe_outside(h, hosting, "power and hosting")
            hw, shell = co.fleet.depreciation()
            if hw + shell > 0:
                led.post(((h, Account.DEPRECIATION, hw + shell), (h, Account.HARDWARE, -hw), (h, Account.DC_SHELLS, -shell)),
                         "depreciation")
            gone = co.fleet.retire(q)
            if gone > 0:
                led.move(h, Account.LOSSES, Account.HARDWARE, gone, "hardware retired")
        for c in self.book.of_kind(RevenueShare):
            c.base = self.by_holder[c.from_party].flows.ai_revenue

    def own_use(self, co: Company, q: int) -> float:
        """GW a builder keeps for its own business in quarter ``q`` (Copilot, ads ranking, Gemini), growing as configured."""
        key = (co.holder, q)
        if key not in self._own_use_memo:
            spec = co.spec.builder
            halflife = self.config.world.demand.growth_halflife_years
            factor = 1.0
            for t in range(1, q + 1):  # own AI use matures with the market: its growth fades like demand's
                g = spec.own_use_growth_annual * (0.5 ** ((t - 1) / 4.0 / halflife) if halflife else 1.0)
                factor *= (1.0 + g) ** 0.25
            self._own_use_memo[key] = spec.own_use_gw * factor
        return self._own_use_memo[key]

    def _reach(self, co: Company) -> float:
        """The scenario's multiplier on a lab's distribution reach this quarter (0 once it has failed)."""
        if not co.alive:
            return 0.0
        mult = 1.0
        for step in co.spec.lab.reach_path:
            if quarter_index(step.from_quarter, self.origin) <= self.quarter:
                mult = step.multiplier
        return mult

    def _owe_outside(self, holder: int, amount: float, label: str) -> None:
        """An operating cost owed to the external sector, paid in the settlement phase with everything else."""
        if amount > 0:
            self.operating_costs.append(Obligation(None, holder, self.external, amount, Account.OPEX, Account.REVENUE, label))

    def _allocate_capacity(self) -> None:
        """Sellers serve their contracts from what they have built; the rest goes to the spot market.

        Leases come first (a lessor's shells), then compute rentals in order of start
        (a seller's own hardware in shells, after its own use), then spot sales of what
        is left, including compute rented in from others.
        """
        q, m, gpu = self.quarter, self.market, self.config.world.gpu
        by_seller: dict[int, list[ComputeContract]] = {}
        for c in self.book.of_kind(ComputeContract):
            c.allocated_gw = 0.0
            if not c.live(q):
                continue
            if c.payment != "purchase":  # purchases are delivered as the buyer decides (phase 3)
                by_seller.setdefault(c.to_party, []).append(c)
        for co in self.companies:
            co.fleet.leased_in_gw = co.fleet.leased_out_gw = 0.0
            co.flows.rented_in_gw = 0.0
        for co in self.companies:  # leases of powered shells
            shells = co.fleet.shell_gw if co.alive else 0.0
            for c in sorted(by_seller.get(co.holder, []), key=lambda k: (k.start, k.id)):
                if c.payment == "lease":
                    c.allocated_gw = min(shells, c.scheduled_gw(q))
                    shells -= c.allocated_gw
                    co.fleet.leased_out_gw += c.allocated_gw
                    if c.from_party in self.by_holder:  # outside buyers (a taken-over contract) have no fleet
                        self.by_holder[c.from_party].fleet.leased_in_gw += c.allocated_gw
        free: dict[int, float] = {}
        for co in self.companies:  # compute rentals from own capacity
            if not co.alive or co.spec.builder is None:
                continue
            left = max(0.0, co.fleet.capacity_gw - self.own_use(co, q))
            for c in sorted(by_seller.get(co.holder, []), key=lambda k: (k.start, k.id)):
                if c.payment == "rental":
                    c.allocated_gw = min(left, c.scheduled_gw(q))
                    left -= c.allocated_gw
                    if c.from_party in self.by_holder:
                        self.by_holder[c.from_party].flows.rented_in_gw += c.allocated_gw
            free[co.holder] = left
        rented = total = 0.0
        for co in self.companies:  # spot sales of what is left
            if co.holder not in free:
                continue
            spec = co.spec.builder
            left = free[co.holder] + co.flows.rented_in_gw
            spot = min(left, spec.spot_share * m.spot_demand_gw) if spec.sells_spot else 0.0
            rent = gpu.rent_per_gw_quarter * m.price_index * co.fleet.obsolescence(q, gpu.decline_annual)
            rev = spot * spec.spot_utilisation * rent
            if rev > 0:
                self.ledger.transfer(self.external, co.holder, rev, Account.COMPUTE_COST, Account.REVENUE, "spot compute rental")
            idle = max(0.0, free[co.holder] - spot)
            total += co.fleet.capacity_gw
            rented += co.fleet.capacity_gw - idle
            for b in self.book.of_kind_to(Backstop, co.holder):
                b.idle_value = idle * rent
        self._rented_share = rented / total if total > 0 else 1.0

    @property
    def _utilisation(self) -> float:
        return self._rented_share

    def _operate_lab(self, co: Company, demand_q: float) -> None:
        led, q, p = self.ledger, self.quarter, co.spec.lab
        ext, h = self.external, co.holder
        rented = sum(c.allocated_gw for c in self.book.of_kind_from(ComputeContract, h) if c.payment == "rental")
        # a cloud's own model business (Gemini) runs on the capacity it keeps for its own use
        own = min(co.fleet.capacity_gw, self.own_use(co, q)) if co.spec.builder else co.fleet.hardware_gw
        compute = own + rented
        co.flows.compute_gw = compute
        revenue = min(self.competition.shares[h] * demand_q, compute * p.revenue_per_gw_quarter_max)
        co.flows.ai_revenue = revenue
        co.ai_revenue_hist.append(revenue)
        if revenue > 0:
            led.transfer(ext, h, revenue, Account.OPEX, Account.REVENUE, "AI revenue from end users")
        planned = p.opex_quarterly * (1 + quarterly_growth(p.opex_growth_annual)) ** q
        opex = (planned + p.opex_revenue_share * revenue) * co.cost_factor
        self._owe_outside(h, opex, "staff, research and marketing")
        sbc = p.sbc_quarterly * co.cost_factor
        if sbc > 0:
            led.move(h, Account.OPEX, Account.PAID_IN_CAPITAL, sbc, "stock-based pay")
            co.flows.stock_pay += sbc

    def _chip_sale(self, buyer: int, chipmaker: Company, amount: float, memo: str) -> None:
        """A chip sale: the buyer's spend is the chipmaker's revenue; its cost of goods goes outside.

        A builder's chips are work in progress until the capacity they go into is finished.
        """
        led = self.ledger
        debit = Account.OPEX if buyer == self.external else Account.CONSTRUCTION_IN_PROGRESS
        led.transfer(buyer, chipmaker.holder, amount, debit, Account.REVENUE, memo)
        led.transfer(chipmaker.holder, self.external, amount * (1 - chipmaker.spec.chips.gross_margin),
                     Account.OPEX, Account.REVENUE, "cost of chips sold")

    # 3 ------------------------------------------------------------------
    def decide(self) -> list:
        """Every agent decides from frozen views; nothing is executed until all have decided."""
        self._new_phase()
        q = self.quarter
        views = {co.holder: co.view(q) for co in self.companies if co.alive}
        for co in self.companies:
            if co.alive:
                co.status = Status.DISTRESSED if self._distressed(co, views[co.holder]) else (
                    Status.RESCUED if co.status is Status.RESCUED else Status.HEALTHY)
        decisions: list = []
        for co in self.companies:
            if co.alive:
                decisions += co.decide(views[co.holder])
        taken = {d.entity: d.contracts for d in decisions if isinstance(d, TakeDeliveries)}
        for c in self.book.of_kind(ComputeContract):
            if c.payment == "purchase" and c.live(q) and c.from_party in self.by_holder:
                buyer = self.by_holder[c.from_party]
                c.take_optional = buyer.alive and (c.id in taken[buyer.entity] if buyer.entity in taken else True)
                c.allocated_gw = c.scheduled_gw(q) if c.take_optional else c.binding_gw(q)
        self._tranche_decisions(views)
        dues = self.dues_now()
        self._refinance(views, dues)
        self._raise_cash(views, dues)
        # money raised and contracts signed now count when this quarter's dues are settled
        self.extra_obligations: list[Obligation] = []
        for d in decisions:
            if isinstance(d, RaiseFunding):
                self._funding_round(d)
            elif isinstance(d, SignCompute):
                self._sign_compute(d)
            elif isinstance(d, Renegotiate):
                self._renegotiate(d)
            elif isinstance(d, Cancel):
                self._cancel(d)
            elif isinstance(d, ListShares):
                self._list_shares(d)
        return decisions

    def contracted_compute(self, lab: int, q: int) -> float:
        """GW a lab will have in quarter ``q``: rentals scheduled then, and hardware it owns or is buying."""
        co = self.by_holder[lab]
        gw = co.fleet.hardware_gw - co.fleet.retiring_gw(self.quarter, q)
        for c in self.book.of_kind_from(ComputeContract, lab):
            if c.state not in LIVE:
                continue
            if c.payment == "rental":
                gw += c.scheduled_gw(q)
            elif c.payment == "purchase":
                gw += sum(c.binding_gw(t) for t in range(self.quarter, min(q, c.end) + 1))
        return gw

    def not_started(self, buyer: int, q: int) -> list[tuple[str, float, bool]]:
        """A buyer's rentals that have not started: ``(id, remaining value, already renegotiated)``."""
        return [(c.id, c.remaining_value(c.start), c.state is State.RENEGOTIATED)
                for c in self.book.of_kind_from(ComputeContract, buyer)
                if c.payment == "rental" and c.state in LIVE and c.start > q]

    def _sign_compute(self, d: SignCompute) -> None:
        """The lab contracts new compute from the cloud best able to finance it, if one will accept the lab."""
        lab = self._company(d.entity)
        health = self.health(lab, lab.view(self.quarter))
        sellers = [co for co in self.companies if co.alive and co.spec.builder and co.spec.builder.sells_spot
                   and co.role in ("hyperscaler", "neocloud") and health >= co.spec.builder.min_buyer_health]
        if not sellers:
            self.event("no_seller", lab, None, d.gw,
                       f"no cloud will sell {lab.spec.name} {d.gw:.2f} GW more compute (health {health:.2f})")
            return
        seller = max(sellers, key=lambda co: (co.cash() + self.borrowing_room(co.holder, co.spec.builder), co.entity))
        gpu = self.config.world.gpu
        price = gpu.rent_per_gw_quarter * gpu.contract_premium * self.market.price_index
        ramp = 4
        units = sum(min(1.0, k / (ramp + 1)) for k in range(1, d.quarters + 1)) * d.gw
        c = ComputeContract(id=f"new-{lab.entity}-{seller.entity}-{self.label}", kind="compute", from_party=lab.holder,
                            to_party=seller.holder, amount=price * units, start=d.start, end=d.start + d.quarters - 1,
                            tied_to=lab.holder, payment="rental", gw=d.gw, ramp=ramp, state=State.PENDING,
                            source="signed in the run")
        self.book.add(c)
        self.event("contract_signed", lab, seller, c.amount,
                   f"{lab.spec.name} contracts {d.gw:.2f} GW from {seller.spec.name} for ${c.amount:.1f}B over {d.quarters} "
                   f"quarters")

    def _renegotiate(self, d: Renegotiate) -> None:
        c = self.book.by_id[d.contract_id]
        c.start += d.delay
        c.end += d.delay
        c.state = State.RENEGOTIATED
        buyer, seller = self.by_holder[c.from_party], self.by_holder[c.to_party]
        self.event("renegotiated", buyer, seller, c.amount,
                   f"{buyer.spec.name} gets {seller.spec.name} to push {c.id} back {d.delay} quarters")

    def _cancel(self, d: Cancel) -> None:
        c = self.book.by_id[d.contract_id]
        penalty = c.termination_penalty * c.remaining_value(max(c.start, self.quarter))
        buyer, seller = self.by_holder[c.from_party], self.by_holder[c.to_party]
        if penalty > 0:
            self.extra_obligations.append(Obligation(c, c.from_party, c.to_party, penalty, Account.OPEX, Account.OTHER_INCOME,
                                                     "termination penalty"))
        lost = c.remaining_value(max(c.start, self.quarter))
        c.close(State.TERMINATED, self.quarter)
        self.event("cancelled", buyer, seller, penalty,
                   f"{buyer.spec.name} cancels {c.id}: {seller.spec.name} loses ${lost:.1f}B of backlog, gets a ${penalty:.1f}B "
                   f"penalty")

    def _list_shares(self, d: ListShares) -> None:
        co = self._company(d.entity)
        amount = d.share * co.market_value
        co.listed = True
        self.ledger.transfer(self.external, co.holder, amount, Account.OTHER_ASSETS, Account.PAID_IN_CAPITAL, f"{co.entity}: IPO")
        co.flows.equity_raised += amount
        self.issue_shares_to(co, None, amount)
        self.event("ipo", co, None, amount, f"{co.spec.name} lists its shares, raising ${amount:.1f}B at ${co.market_value:.0f}B")

    def purchase_dues(self, buyer: int, q: int) -> tuple[float, list[tuple[str, float]]]:
        """A buyer's binding compute dues this quarter, and its optional deliveries with their price."""
        due = 0.0
        options: list[tuple[str, float]] = []
        for c in self.book.of_kind_from(ComputeContract, buyer):
            if not c.live(q) or c.payment == "supply":
                continue  # a supply agreement is paid for by the builders, not the buyer
            if c.payment in ("rental", "lease"):
                due += c.scheduled_gw(q) * c.price
            else:
                binding = c.binding_gw(q)
                due += binding * c.price
                optional = c.scheduled_gw(q) - binding
                if optional > 1e-12:
                    options.append((c.id, optional * c.price))
        options.sort(key=lambda o: (self.book.by_id[o[0]].start, o[0]))
        return due, options

    def _distressed(self, co: Company, view) -> bool:
        if co.spec.lab and view.runway_q < co.spec.lab.min_runway_quarters:
            return True
        return view.total_assets > 0 and view.debt / view.total_assets > 0.8

    def _tranche_decisions(self, views: dict) -> None:
        """Investors decide tranche by tranche on their commitments (MODEL.md section 6, chipmaker).

        Every investor decides from the frozen views, with its means (cash and margin room)
        as they stand at the start of the phase, by :func:`agents.chipmaker.choose_tranches`;
        the releases are then paid, after a margin loan for what its cash does not cover.
        """
        q = self.quarter
        due: dict[int, list[TrancheDue]] = {}
        for c in self.book.of_kind(InvestmentCommitment):
            investor, investee = self.by_holder[c.from_party], self.by_holder[c.to_party]
            if not (investor.alive and investee.alive and c.live(q)):
                continue
            delivered = sum(self.book.by_id[k].delivered_gw for k in c.trigger_contracts)
            lab = investee.spec.lab
            lab_raising = lab is not None and views[investee.holder].runway_q < lab.min_runway_quarters
            amount = c.due_tranche(delivered, q, lab_raising)
            if amount > 0:
                health = self.health(investee, views[investee.holder])
                due.setdefault(investor.holder, []).append(TrancheDue(c.id, amount, c.binding, health, c.health_threshold))
        # all investors decide before any money moves: a tranche paid to an investor cannot widen its margin room
        decided = {}
        for holder, tranches in due.items():
            investor = self.by_holder[holder]
            own_min = investor.spec.investor.min_cash if investor.spec.investor else 0.0
            # an investor can add what a margin loan on its holdings would lend (MODEL.md section 6)
            room = self.margin_room(investor) if investor.spec.investor else 0.0
            decided[holder] = (own_min, room, choose_tranches(tranches, views[holder].cash + room, own_min))
        for holder, (own_min, room, decisions) in decided.items():
            investor = self.by_holder[holder]
            released = math.fsum(d.amount for d in decisions if isinstance(d, ReleaseTranche))
            if investor.spec.investor and released > views[holder].cash - own_min:
                self._margin_borrow(investor, min(room, released - (views[holder].cash - own_min)))
            for d in decisions:
                c = self.book.by_id[d.contract_id]
                if isinstance(d, ReleaseTranche):
                    self._invest(c, d.amount)
                else:
                    c.declined += 1
                    investee = self.by_holder[c.to_party]
                    self.event("tranche_declined", investor, investee, d.amount,
                               f"{investor.spec.name} holds back a ${d.amount:.1f}B tranche for {investee.spec.name} "
                               f"(health {d.health:.2f} < threshold {d.threshold:.2f} or own cash short)")

    def margin_room(self, investor: Company) -> float:
        """What an investor could still borrow against its holdings within its loan-to-value limit."""
        holdings = self.ledger.total(investor.holder, (Account.STAKES, Account.OTHER_ASSETS, Account.CASH))
        debt = self.ledger.balance(investor.holder, Account.DEBT)
        return max(0.0, investor.spec.investor.max_loan_to_value * holdings - debt)

    def _margin_borrow(self, investor: Company, amount: float) -> None:
        """Draw a margin loan secured on the investor's holdings."""
        lender = self._company(investor.spec.investor.lender)
        amount = min(amount, self.margin_room(investor))
        if amount <= 0 or not lender.alive:
            return
        loan = Loan(id=f"margin-{investor.entity}-{self.label}", kind="loan", from_party=lender.holder, to_party=investor.holder,
                    amount=amount, start=self.quarter, end=self.quarter + 8, instrument="margin_loan", principal=amount,
                    spread_bp=lender.spec.lender.base_spread_bp, collateral="all_assets", source="drawn in the run")
        open_loan(self.ledger, self.book, loan)
        self.event("margin_loan", lender, investor, amount,
                   f"{lender.spec.name} lends {investor.spec.name} ${amount:.1f}B against its holdings")

    def health(self, co: Company, view) -> float:
        """An investee's health score as investors see it."""
        if co.spec.lab:
            return health_score(view, co.spec.lab, self.world.expected_growth_annual(self.quarter))
        return 1.0 if co.status is Status.HEALTHY else 0.3

    def _invest(self, c: InvestmentCommitment, amount: float) -> None:
        investor, investee = self.by_holder[c.from_party], self.by_holder[c.to_party]
        if c.form == "credits":
            self.ledger.post(((c.to_party, Account.CREDITS_RECEIVABLE, amount), (c.to_party, Account.PAID_IN_CAPITAL, -amount),
                              (c.from_party, Account.STAKES, amount), (c.from_party, Account.DEFERRED_REVENUE, -amount)),
                             f"{c.id}: tranche in compute credits")
            credit = ComputeCredit(id=f"{c.id}-credits-{self.quarter}", kind="compute_credit", from_party=c.from_party,
                                   to_party=c.to_party, amount=amount, start=self.quarter, end=None, balance=amount)
            self.book.add(credit)
        else:
            self.ledger.transfer(c.from_party, c.to_party, amount, Account.STAKES, Account.PAID_IN_CAPITAL, f"{c.id}: tranche")
        c.released += amount
        investee.flows.equity_raised += amount
        self.issue_shares_to(investee, investor, amount)
        self.event("tranche_released", investor, investee, amount,
                   f"{investor.spec.name} releases ${amount:.1f}B to {investee.spec.name} ({c.form})")

    def issue_shares_to(self, issuer: Company, buyer: Company | None, amount: float) -> None:
        """New shares for ``amount`` at the issuer's current value: existing holders are diluted."""
        pre = max(issuer.market_value, 1e-9)
        post = pre + amount
        for s in self.book.of_kind_to(EquityStake, issuer.holder):
            s.fraction *= pre / post
        issuer.market_value = post
        if buyer is None:
            return
        new = amount / post
        for s in self.book.of_kind_to(EquityStake, issuer.holder):
            if s.from_party == buyer.holder:
                s.fraction += new
                s.cost += amount
                return
        self.book.add(EquityStake(id=f"stake-{buyer.entity}-{issuer.entity}", kind="equity_stake", from_party=buyer.holder,
                                  to_party=issuer.holder, amount=amount, start=self.quarter, end=None, fraction=new, cost=amount))

    def dues_now(self) -> dict[int, float]:
        """What borrowers with a maturing loan, and investors, owe this quarter, before settlement."""
        q = self.quarter
        who = {c.to_party for c in self.book.of_kind(Loan) if c.end == q and c.live(q)}
        who |= {co.holder for co in self.companies if co.role in ("investor", "government")}
        ctx = DueContext(self.market.policy_rate_annual, self.market.price_index)
        dues: dict[int, float] = {}
        for c in self.book.contracts:
            if c.state in LIVE and (c.from_party in who or c.to_party in who):
                for ob in c.obligations(q, ctx):
                    if ob.payer in who:
                        dues[ob.payer] = dues.get(ob.payer, 0.0) + ob.amount
        for ob in self.operating_costs:
            if ob.payer in who:
                dues[ob.payer] = dues.get(ob.payer, 0.0) + ob.amount
        return dues

    def _raise_cash(self, views: dict, dues: dict[int, float]) -> None:
        """Investors sell holdings to meet what falls due (MODEL.md section 6: forced sales); the government borrows."""
        gov = self.government
        if gov is not None and dues.get(gov.holder, 0.0) > gov.cash():
            self.fund_government(gov, dues[gov.holder] - gov.cash())
        for co in self.companies:
            if co.alive and co.role == "investor":
                short = dues.get(co.holder, 0.0) + co.spec.investor.min_cash - views[co.holder].cash
                if short > 0:
                    sold = DefaultResolver(self).sell_assets(co, short)
                    self.event("asset_sale", co, None, sold,
                               f"{co.spec.name} sells ${sold:.1f}B of holdings to meet ${short:.1f}B due")

    def _refinance(self, views: dict, dues: dict[int, float]) -> None:
        """Borrowers ask to roll loans maturing this quarter; lenders decide by their rule (:func:`agents.lender.decide_roll`)."""
        q = self.quarter
        decided: list[RollLoan | RefuseRoll] = []
        for loan in self.book.of_kind(Loan):
            if loan.end != q or not loan.live(q) or loan.principal <= 0:
                continue
            borrower, lender = self.by_holder.get(loan.to_party), self.by_holder.get(loan.from_party)
            if borrower is None or lender is None or not borrower.alive or not lender.alive or lender.spec.lender is None:
                continue
            v = views[borrower.holder]
            floor = borrower.spec.builder.min_cash if borrower.spec.builder else 0.0
            if v.cash - floor >= dues.get(borrower.holder, 0.0):
                continue  # repaid from cash at maturity
            # every lender decides from the same frozen views before any roll is carried out
            decided.append(decide_roll(lender.spec.lender, loan.id, loan.principal, self.leverage(borrower, lender, 0.0),
                                       views[lender.holder].cash, self.credit_conditions(lender, borrower)))
        for d in decided:
            loan = self.book.by_id[d.loan_id]
            borrower, lender = self.by_holder[loan.to_party], self.by_holder[loan.from_party]
            if isinstance(d, RollLoan):
                loan.end = q + d.tenor_quarters
                if loan.fixed_rate_annual is None:
                    loan.spread_bp = d.spread_bp
                else:
                    loan.fixed_rate_annual = self.market.policy_rate_annual + d.spread_bp / 1e4
                self.event("refinanced", borrower, lender, loan.principal,
                           f"{lender.spec.name} rolls ${loan.principal:.1f}B of {borrower.spec.name} debt to "
                           f"{quarter_label(loan.end, self.origin)}")
            else:
                self.event("refinancing_refused", lender, borrower, loan.principal,
                           f"{lender.spec.name} refuses to roll ${loan.principal:.1f}B of {borrower.spec.name} debt "
                           f"(leverage {d.leverage:.0%})", Channel.CREDIT.value)
                self.note_channel(borrower.holder, Channel.CREDIT, loan.principal, lender.entity)

    # 4 ------------------------------------------------------------------
    def settle_payments(self) -> None:
        """All payments due clear at once; what is short is recorded for the default phase."""
        self._new_phase()
        q, led = self.quarter, self.ledger
        ctx = DueContext(self.market.policy_rate_annual, self.market.price_index)
        obligations: list[Obligation] = []
        for c in self.book.contracts:
            if c.state in LIVE:
                obs = c.obligations(q, ctx)
                if obs and self.by_holder.get(obs[0].payer) is not None and not self.by_holder[obs[0].payer].alive:
                    continue
                obligations += obs
        self._redeem_credits(obligations)
        obligations += self.operating_costs + self.extra_obligations
        self.obligations = obligations
        bk = self.config.world.bankruptcy
        result = settle(led, obligations, self.external + 1, bk.alpha, bk.beta,
                        contagion=self.config.channels.payment, backer=self.external)
        obligations += result.assumed  # owed to the outside sector now; the default phase settles them
        for ob in obligations:
            if ob.paid < ob.amount - 1e-9 and ob.payee in self.by_holder and self.config.channels.payment:
                self.note_channel(ob.payee, Channel.PAYMENT, ob.amount - ob.paid, led.names[ob.payer])
        by_contract: dict[int, list[Obligation]] = {}
        names, label = led.names, self.label
        for ob in obligations:
            contract = ob.contract
            if contract is None:
                continue
            by_contract.setdefault(id(contract), []).append(ob)
            self.flow_rows.append((label, contract.id, contract.kind, names[ob.payer], names[ob.payee], ob.amount, ob.paid))
        for obs in by_contract.values():
            contract = obs[0].contract
            obs = [ob for ob in obs if ob.label != "termination penalty"]
            if not obs:
                continue
            contract.settled(q, obs)
            if isinstance(contract, ComputeContract) and contract.payment == "purchase":
                self.deliver_systems(contract, obs)
        self.shortfall = result.shortfall

    def _redeem_credits(self, obligations: list[Obligation]) -> None:
        """Compute credits pay first for compute bought from their issuer: no cash moves."""
        for cr in self.book.of_kind(ComputeCredit):
            if cr.balance <= 0 or cr.state not in LIVE:
                continue
            for ob in obligations:
                if ob.payer == cr.to_party and ob.payee == cr.from_party and ob.payer_debit is Account.COMPUTE_COST:
                    use = min(cr.balance, ob.amount)
                    self.ledger.post(((ob.payer, Account.COMPUTE_COST, use), (ob.payer, Account.CREDITS_RECEIVABLE, -use),
                                      (ob.payee, Account.DEFERRED_REVENUE, use), (ob.payee, Account.REVENUE, -use)),
                                     f"{cr.id}: credits redeemed")
                    cr.balance -= use
                    ob.amount -= use

    def deliver_systems(self, c: ComputeContract, obs: list[Obligation]) -> None:
        """Systems paid for become the buyer's hardware; the chipmaker pays its cost of goods."""
        paid = sum(o.paid for o in obs)
        due = sum(o.amount for o in obs)
        if paid <= 0:
            return
        seller = self.by_holder[c.to_party]
        buyer = self.by_holder.get(c.from_party)  # None when outside buyers took the contract over
        if buyer is not None:
            gw = c.allocated_gw * paid / due
            buyer.fleet.vintages.append(Vintage(self.quarter, gw, paid, paid, self.config.world.hardware_life_quarters))
            buyer.flows.capex += paid
        if seller.spec.chips:
            self.ledger.transfer(seller.holder, self.external, paid * (1 - seller.spec.chips.gross_margin),
                                 Account.OPEX, Account.REVENUE, "cost of chips sold")

    # 5 ------------------------------------------------------------------
    def construct_and_finance(self, decisions: list) -> None:
        """Funding rounds, cost cuts, new builds, capex paid, debt drawn."""
        self._new_phase()
        for d in decisions:
            if isinstance(d, CutCosts):
                co = self._company(d.entity)
                co.cost_factor = d.factor
                self.event("cost_cut", co, None, 0.0, f"{co.spec.name} cuts cash costs to {d.factor:.0%} of plan")
        w = self.config.world
        for d in decisions:
            if isinstance(d, StartBuild):
                co = self._company(d.entity)
                co.fleet.builds.append(Build(self.quarter, self.quarter + w.build_lead_quarters, d.gw,
                                             d.shell_gw * w.capex_per_gw * (1 - w.hardware_share), 0.0,
                                             d.gw * w.capex_per_gw * w.hardware_share, d.tied_to, d.shell_gw))
        # every builder asks from the books as they stand now, before anyone spends; the desk clears all at once
        builders = [co for co in self.companies if co.alive and co.fleet.builds]
        own_cash = {co.holder: co.cash() for co in builders}
        requests = [r for co in builders if (r := self._loan_request(co)) is not None]
        capacity = {r.lender: self.ledger.balance(r.lender, Account.CASH) for r in requests}
        drawn = dict.fromkeys(own_cash, 0.0)
        for r, amount in zip(requests, clear_loan_requests(requests, capacity), strict=True):
            self._draw(r, amount)
            drawn[r.borrower] += amount
        for co in builders:
            self._progress_builds(co, own_cash[co.holder] + drawn[co.holder])

    def _funding_round(self, d: RaiseFunding) -> None:
        co = self._company(d.entity)
        sentiment = self.market.sentiment
        gap = co.view(self.quarter).ai_revenue_growth_yoy - self.world.expected_growth_annual(self.quarter)
        amount = d.amount * round_take_up(gap, sentiment)
        if amount < 0.25 * d.amount:
            self.event("round_failed", co, None, d.amount,
                       f"{co.spec.name} fails to raise ${d.amount:.1f}B (sentiment {sentiment:+.2f}, growth {gap:+.0%} against "
                       f"expectations)")
            if sentiment < 0:
                self.note_channel(co.holder, Channel.CONFIDENCE, d.amount - amount, "market sentiment")
            return
        co.market_value = d.pre_money
        self.ledger.transfer(self.external, co.holder, amount, Account.OTHER_ASSETS, Account.PAID_IN_CAPITAL,
                             f"{co.entity}: funding round")
        co.flows.equity_raised += amount
        self.issue_shares_to(co, None, amount)
        self.event("funding_round", co, None, amount,
                   f"{co.spec.name} raises ${amount:.1f}B of ${d.amount:.1f}B sought from outside investors at "
                   f"${d.pre_money:.0f}B pre-money")

    def _instalment(self, b: Build) -> tuple[float, float]:
        """This quarter's share of a build's shell and hardware cost still to pay: spread evenly to completion."""
        left = max(1, b.complete - self.quarter + 1)
        return (b.shell_cost - b.shell_paid) / left, (b.hardware_cost - b.hardware_paid) / left

    def _loan_request(self, co: Company) -> LoanRequest | None:
        """What a builder asks its lender for to pay this quarter's instalments and keep its cash floor, if approved.

        The lender decides on the state at the start of the phase (its cash, the borrower's
        leverage); a refusal is told and noted on the credit channel here.
        """
        spec = co.spec.builder
        if spec is None:
            return None
        need = sum(sum(self._instalment(b)) for b in co.fleet.builds) + spec.min_cash - co.cash()
        lender = self._company(spec.lender)
        if need <= 0 or not lender.alive:
            return None
        dta_after = self.leverage(co, lender, need)
        if dta_after > spec.max_debt_to_assets:
            return None  # the builder's own limit: it does not ask
        ok, spread = lending_decision(lender.spec.lender, dta_after, need, lender.cash(), self.credit_conditions(lender, co))
        if not ok:
            if co.refused_in != self.quarter - 1:  # tell the story once per spell of refusals
                self.event("loan_refused", lender, co, need,
                           f"{lender.spec.name} refuses ${need:.1f}B to {co.spec.name} (leverage would be {dta_after:.0%})",
                           Channel.CREDIT.value)
            co.refused_in = self.quarter
            self.note_channel(co.holder, Channel.CREDIT, need, lender.entity)
            return None
        return LoanRequest(co.holder, lender.holder, need, spread, self._build_tie(co))

    def _progress_builds(self, co: Company, budget: float) -> None:
        """Pay this quarter's share of each build (shells to contractors, hardware to chipmakers); finish what is due.

        ``budget`` is the builder's cash at the start of the phase plus what it borrowed
        now: money other builders pay it during the phase (chips, for a chipmaker that
        builds) does not count until the next quarter, so the order of builders cannot matter.
        """
        led, q, w = self.ledger, self.quarter, self.config.world
        done: list[Build] = []
        cash = budget
        shells = 0.0
        hardware: dict[int | None, list[float]] = {}  # bought once per lab served: [amount, GW]
        for b in sorted(co.fleet.builds, key=lambda b: (b.complete, b.started)):
            shell_part, hardware_part = self._instalment(b)
            if cash + 1e-9 < shell_part + hardware_part:
                b.complete += 1  # not funded: the build slips a quarter
                continue
            cash -= shell_part + hardware_part
            shells += shell_part
            b.shell_paid += shell_part
            if hardware_part > 0:
                order = hardware.setdefault(b.tied_to, [0.0, 0.0])
                order[0] += hardware_part
                order[1] += b.gw * hardware_part / b.hardware_cost
                b.hardware_paid += hardware_part
            co.flows.capex += shell_part + hardware_part
            if b.complete <= q:
                done.append(b)
        if shells > 0:
            led.transfer(co.holder, self.external, shells, Account.CONSTRUCTION_IN_PROGRESS, Account.REVENUE, "construction")
        for tied_to, (amount, gw) in hardware.items():
            self._buy_hardware(co, amount, gw, tied_to)
        for b in done:  # finished work leaves construction in progress and goes into service
            if b.hardware_paid > 0:
                led.move(co.holder, Account.HARDWARE, Account.CONSTRUCTION_IN_PROGRESS, b.hardware_paid, "hardware installed")
                co.fleet.vintages.append(Vintage(q, b.gw, b.hardware_paid, b.hardware_paid, w.hardware_life_quarters))
            if b.shell_paid > 0:
                led.move(co.holder, Account.DC_SHELLS, Account.CONSTRUCTION_IN_PROGRESS, b.shell_paid, "shell completed")
            co.fleet.shell_gw += b.shell_gw
            co.fleet.shell_book += b.shell_paid
        co.fleet.builds = [b for b in co.fleet.builds if b not in done]

    def _buy_hardware(self, co: Company, amount: float, gw: float, tied_to: int | None) -> None:
        """Hardware for new capacity: first under the served lab's supply agreements, then by market share.

        Capacity built for a lab with supply agreements uses those chips (OpenAI's
        deals with Nvidia, AMD and Broadcom); the rest of the spend is split among
        chipmakers by their share of the market, less the share the lab moves to
        other chips, and the remainder goes to outside suppliers.
        """
        rest = amount
        if tied_to is not None and gw > 0:
            rest -= self._buy_under_supply_agreements(co, amount, gw, tied_to)
        generic = rest
        shares = self._chip_shares(tied_to)
        for chip, share in shares:
            # a chipmaker building its own data centres pays its own chips at cost, to its outside suppliers
            if chip is not co:
                part = generic * share
                self._chip_sale(co.holder, chip, part, "chips for new capacity")
                rest -= part
        if rest > money_tol(amount):
            self.ledger.transfer(co.holder, self.external, rest, Account.CONSTRUCTION_IN_PROGRESS, Account.REVENUE,
                                 "servers, memory, networking")

    def _buy_under_supply_agreements(self, co: Company, amount: float, gw: float, lab: int) -> float:
        """Route the GW built for a lab to its live supply agreements, pro rata to what each has left."""
        deals = [c for c in self.book.of_kind_from(ComputeContract, lab) if c.payment == "supply"
                 and c.live(self.quarter) and c.gw - c.delivered_gw > 1e-9 and self.by_holder[c.to_party].alive
                 and self.by_holder[c.to_party] is not co]
        left = sum(c.gw - c.delivered_gw for c in deals)
        if left <= 0:
            return 0.0
        routed = min(gw, left)
        spent = 0.0
        for c in deals:
            part_gw = routed * (c.gw - c.delivered_gw) / left
            part = amount * part_gw / gw
            self._chip_sale(co.holder, self.by_holder[c.to_party], part, f"{c.id}: systems for {self.ledger.names[lab]}")
            c.delivered_gw += part_gw
            c.delivered_value += part
            spent += part
        return spent

    def _chip_shares(self, lab: int | None) -> list[tuple[Company, float]]:
        """Chipmakers' shares of generic hardware spend, after the served lab's move away from the incumbent."""
        chips = [(c, c.spec.chips.hardware_share) for c in self.companies
                 if isinstance(c, ChipMaker) and c.alive and c.spec.chips.hardware_share > 0]
        served = self.by_holder[lab].spec.lab if lab is not None else None
        shift = served.inference_diversification if served else 0.0
        if shift <= 0 or not chips:
            return chips
        incumbent = max(chips, key=lambda t: (t[1], t[0].entity))[0]
        moved = dict(chips)[incumbent] * shift
        others = sum(s for c, s in chips if c is not incumbent)
        return [(c, s - moved if c is incumbent else s + moved * s / others if others > 0 else s) for c, s in chips]

    def _build_tie(self, co: Company) -> int | None:
        return self.capacity_commitments(co.holder, self.quarter + self.config.world.build_lead_quarters).tied_to

    def _draw(self, request: LoanRequest, amount: float) -> None:
        """Lend what the desk granted: draws in one year go on one facility per lender and purpose, repriced at each draw."""
        if amount <= 0:
            return
        co, lender = self.by_holder[request.borrower], self.by_holder[request.lender]
        tied_to, spread = request.tied_to, request.spread_bp
        year = quarter_label(self.quarter, self.origin)[:4]
        key = f"facility-{co.entity}-{lender.entity}-{self.ledger.names[tied_to] if tied_to is not None else 'general'}-{year}"
        loan = self.book.by_id.get(key)
        if loan is None or not loan.live(self.quarter):
            loan = Loan(id=key if loan is None else f"{key}-{self.quarter}", kind="loan", from_party=lender.holder,
                        to_party=co.holder, amount=0.0, start=self.quarter,
                        end=self.quarter + lender.spec.lender.tenor_quarters, tied_to=tied_to, principal=0.0, spread_bp=spread,
                        collateral="hardware" if co.role == "neocloud" else "none", source="drawn in the run")
            self.book.add(loan)
        loan.spread_bp = (loan.spread_bp * loan.principal + spread * amount) / (loan.principal + amount)
        draw(self.ledger, loan, amount)
        rationed = ""
        if amount < request.amount - 1e-9:
            rationed = f" (of ${request.amount:.1f}B asked: its lending this quarter is rationed pro rata)"
        self.event("loan", lender, co, amount,
                   f"{lender.spec.name} lends ${amount:.1f}B to {co.spec.name} at policy +{spread:.0f}bp{rationed}")

    def fund_government(self, gov: Company, amount: float) -> None:
        """The government borrows from the external sector (Treasury bonds) to pay for a rescue."""
        bond = Loan(id=f"UST-{self.quarter:03d}-{len(self.book.contracts)}", kind="loan", from_party=self.external,
                    to_party=gov.holder, amount=amount, start=self.quarter, end=self.quarter + 40, instrument="bond",
                    principal=amount, fixed_rate_annual=self.market.policy_rate_annual + 0.005)
        open_loan(self.ledger, self.book, bond, "Treasury issue")

    def backlog(self, seller: int) -> float:
        """Value still to be delivered under a seller's compute contracts, from next quarter on (memoised per phase)."""
        memo = self._backlog_memo
        if seller not in memo:
            memo[seller] = sum(c.remaining_value(self.quarter + 1) for c in self.book.sold_by(seller) if c.state in LIVE)
        return memo[seller]

    def leverage(self, borrower: Company, lender: Company, new_debt: float) -> float:
        """The borrower's leverage as this lender counts it, after ``new_debt`` (spent on assets)."""
        backlog = self.backlog(borrower.holder)
        return credit_leverage(self.ledger.balance(borrower.holder, Account.DEBT) + new_debt,
                               self.total_assets(borrower.holder) + new_debt, backlog,
                               lender.spec.lender.backlog_advance_rate)

    def credit_conditions(self, lender: Company, borrower: Company) -> CreditConditions:
        """The conditions a lender decides under: sentiment, its own losses, the rescue it expects, the rules."""
        gov = self.government
        policy = gov.spec.government.policy if gov is not None and gov.alive else "none"
        belief = 0.0
        if policy in ("backstop", "discretionary") and self.direct_exposure(borrower) >= gov.spec.government.systemic_threshold:
            belief = 1.0 if policy == "backstop" else 0.5
        stress = lender.loss_stress if self.config.channels.credit else 0.0
        cap = gov.spec.government.ex_ante_max_leverage if policy == "ex_ante" else None
        return CreditConditions(self.market.sentiment, stress, belief, cap, self.interest_cover(borrower),
                                secured=borrower.role == "neocloud")

    def interest_cover(self, co: Company) -> float:
        """Last quarter's operating earnings over interest (infinite without interest)."""
        st = self._statements[co.holder] if self._statements else None
        if st is None or st[Account.INTEREST_EXPENSE] <= 0:
            return float("inf")
        earnings = st[Account.REVENUE] + st[Account.OTHER_INCOME] - st[Account.COMPUTE_COST] - st[Account.OPEX]
        return earnings / st[Account.INTEREST_EXPENSE]

    def direct_exposure(self, co: Company) -> float:
        """What others have at stake in a firm directly: its debt, its take-or-pay purchases, stakes in it.

        Lenders use this quick measure to judge whether the government would step in;
        the government itself measures importance with a what-if run of the cascade.
        """
        exposure = self.ledger.balance(co.holder, Account.DEBT)
        for c in self.book.of_kind_from(ComputeContract, co.holder):
            if c.state in LIVE:
                exposure += c.remaining_value(self.quarter + 1) * c.take_or_pay
        return exposure + sum(s.fraction * co.market_value for s in self.book.of_kind_to(EquityStake, co.holder)
                              if s.state in LIVE and s.from_party in self.by_holder)

    def quoted_spread_bp(self, co: Company) -> float:
        """The spread a company's lender would charge it now (0 for holders without a lender)."""
        section = co.spec.builder or co.spec.investor
        if section is None:
            return 0.0
        lender = self._company(section.lender)
        if not lender.alive:
            return 0.0
        _ok, spread = lending_decision(lender.spec.lender, self.leverage(co, lender, 0.0), 0.0, lender.cash(),
                                       self.credit_conditions(lender, co))
        return spread

    def funding_rate(self, co: Company) -> float:
        """The annual rate a builder would pay on new debt now: policy rate plus its lender's quoted spread."""
        return self.market.policy_rate_annual + self.quoted_spread_bp(co) / 1e4

    def borrowing_room(self, holder: int, spec: BuilderParams) -> float:
        """New debt a builder could take before reaching its leverage ceiling."""
        lender = self._company(spec.lender)
        cap = min(spec.max_debt_to_assets, lender.spec.lender.max_borrower_debt_to_assets)
        debt = self.ledger.balance(holder, Account.DEBT)
        base = self.total_assets(holder) + lender.spec.lender.backlog_advance_rate * self.backlog(holder)
        return max(0.0, (cap * base - debt) / (1 - cap))

    def capacity_commitments(self, holder: int, q: int) -> Commitments:
        """GW a holder must deliver and will receive in quarter ``q`` under its contracts, and the lab they serve most."""
        out = Commitments()
        by_lab: dict[int, float] = {}
        for c in self.book.of_kind_involving(ComputeContract, holder):
            if c.state not in LIVE or c.payment == "purchase":
                continue
            gw = c.scheduled_gw(q)
            if c.to_party == holder:
                if c.payment == "lease":
                    out.lease_out += gw
                else:
                    out.rent_out += gw
                lab = c.tied_to if c.tied_to is not None else c.from_party
                by_lab[lab] = by_lab.get(lab, 0.0) + gw
            elif c.payment == "lease":
                out.lease_in += gw
            else:
                out.rent_in += gw
        tied = max(by_lab, key=lambda k: (by_lab[k], -k)) if by_lab else None
        out.tied_to = tied if tied in self.by_holder and self.by_holder[tied].spec.lab is not None else None
        return out

    # 6 ------------------------------------------------------------------
    def resolve_defaults(self) -> None:
        """Firms that could not pay default unless rescued; repeat until no new default."""
        self._new_phase()
        DefaultResolver(self).run(self.shortfall)

    # 7 ------------------------------------------------------------------
    def value_firms(self) -> None:
        """Market values solved jointly over cross-holdings; stakes and warrants marked; sentiment."""
        self._new_phase()
        led = self.ledger
        n = len(self.companies)
        own = np.zeros(n)
        mood = max(0.1, 1.0 + self.market.sentiment)
        for i, co in enumerate(self.companies):
            if co.alive:
                own[i] = (co.own_multiple * self.fundamental_revenue(co) * self.lab_multiple_factor(co)
                          + co.own_fixed) * mood
        values = solve_values(own, self.holdings_matrix())
        for i, co in enumerate(self.companies):
            co.market_value = float(values[i]) if co.alive else 0.0
        marks: dict[int, float] = {}
        for s in self.book.of_kind(EquityStake):
            if s.from_party in self.by_holder:
                marks[s.from_party] = marks.get(s.from_party,
                                                0.0) + s.fraction * self.value_for_holders(self.by_holder[s.to_party])
        for h, value in marks.items():
            delta = value - led.balance(h, Account.STAKES)
            if delta:
                led.move(h, Account.STAKES, Account.REVALUATION, delta, "stakes marked to market")
        for w in self.book.of_kind(Warrant):
            issuer = self.by_holder[w.from_party]
            price = issuer.market_value / issuer.spec.shares_outstanding if issuer.spec.shares_outstanding else 0.0
            delivered = sum(self.book.by_id[k].delivered_gw for k in w.delivery_contracts)
            before = w.vested_fraction
            w.vest(delivered, price)
            if w.vested_fraction > before:
                self.event("warrant_vested", self.by_holder[w.to_party], issuer, 0.0,
                           f"{w.vested_fraction:.0%} of the {issuer.spec.name} warrant held by "
                           f"{self.by_holder[w.to_party].spec.name} has vested")
            delta = w.fair_value(price) - w.amount
            if delta:
                led.move(w.to_party, Account.WARRANTS, Account.REVALUATION, delta, "warrant marked to market")
                w.amount += delta
        labs = [co for co in self.companies if co.spec.lab]
        now = sum(co.flows.ai_revenue for co in labs)
        before = sum(co.ai_revenue_hist[-2] for co in labs if len(co.ai_revenue_hist) >= 2)
        growth = now / before - 1.0 if before > 0 else 0.0
        self.world.update_sentiment(growth, self.new_defaults if self.config.channels.confidence else 0, self.quarter)

    def lab_multiple_factor(self, co: Company) -> float:
        """How a lab's revenue multiple moves: with growth against the steady path, and, once listed, down with losses.

        Private investors pay for growth; after an IPO the market also prices the
        losses (MODEL.md section 6: judged on losses, not on hopes).
        """
        if co.role != "lab":
            return 1.0
        p = co.spec.lab
        reference = self.world.expected_growth_annual(self.quarter)
        growth = annual_growth(co.ai_revenue_hist) if len(co.ai_revenue_hist) >= 2 else reference
        factor = min(2.0, max(0.2, ((1.0 + growth) / (1.0 + reference)) ** p.multiple_growth_sensitivity))
        if co.listed:
            revenue = sum(co.revenue_hist)
            loss = -sum(co.net_income_hist)
            factor /= 1.0 + max(0.0, loss / revenue) if revenue > 0 else 1.0
        return factor

    def holdings_matrix(self) -> np.ndarray:
        """Fractions of each company held by each company."""
        n = len(self.companies)
        S = np.zeros((n, n))
        for s in self.book.of_kind(EquityStake):
            if s.from_party < n and s.to_party < n and s.state in LIVE:
                S[s.from_party, s.to_party] += s.fraction
        return S

    def fundamental_revenue(self, co: Company, opening: bool = False) -> float:
        """Annualised revenue the market values a firm on (AI run-rate for a lab business)."""
        if opening:
            if co.spec.lab and co.role == "lab":
                return self.config.world.demand.initial_annual * co.spec.lab.market_share
            return co.spec.reported.revenue_quarterly * 4.0
        if co.role == "lab":
            return co.flows.ai_revenue * 4.0
        # a trailing year, so that lumpy hardware orders do not whipsaw a chipmaker's value
        recent = list(co.revenue_hist) + [self.ledger.balance(co.holder, Account.REVENUE)]
        return sum(recent[-4:]) / len(recent[-4:]) * 4.0

    # 8 ------------------------------------------------------------------
    def record(self) -> None:
        """Pay out dividends and buybacks, close the quarter's books, check the invariants, record the rows."""
        self._new_phase()
        self._pay_out()
        self._statements = self.ledger.close_period()
        self.check_invariants()
        for co in self.companies:
            if co.role == "lender":
                co.recent_losses.append(self._statements[co.holder][Account.LOSSES])
                co.loss_stress = sum(co.recent_losses) / max(co.opening_equity, 1e-9)
            co.cash_changes.append(co.cash() - co.cash_before)
            co.cash_before = co.cash()
            st = self._statements[co.holder]
            co.revenue_hist.append(st[Account.REVENUE])
            co.net_income_hist.append(sum(st[a] for a in INCOME) - sum(st[a] for a in EXPENSES))
        self.recorder.record_quarter()
        self.datacollector.collect(self)

    def _pay_out(self) -> None:
        """Profitable listed firms return a share of the quarter's profit to outside shareholders (FACTS 1.2: buybacks)."""
        for co in self.companies:
            if not co.alive or co.spec.payout_ratio <= 0:
                continue
            profit = self.ledger.equity(co.holder) - self._equity_before_close(co)
            amount = min(co.spec.payout_ratio * profit, co.cash() - (co.spec.builder.min_cash if co.spec.builder else 0.0))
            if amount > 0:
                self.ledger.transfer(co.holder, self.external, amount, Account.RETAINED_EARNINGS, Account.OTHER_INCOME,
                                     "dividends and buybacks")

    def _equity_before_close(self, co: Company) -> float:
        """Equity without this quarter's income and expenses."""
        return self.ledger.equity(co.holder) - self.ledger.total(co.holder, INCOME) + self.ledger.total(co.holder, EXPENSES)

    def check_invariants(self) -> None:
        """Balance sheets balance, cash is conserved, debt matches loans, nobody holds negative cash.

        Raises:
            AccountingError: Naming the holder, the quarter and the amount.
        """
        label = quarter_label(self.quarter, self.origin)
        led = self.ledger
        led.check_balanced(label)
        total = led.total_cash()
        if not math.isfinite(total):
            raise AccountingError(f"{label}: total cash across all holders is not a finite number ({total}); "
                                  "amounts that large cannot be added up")
        # written as `not <=` so that a NaN anywhere fails the check instead of passing it
        if not abs(total - self.initial_cash) <= money_tol(self.initial_cash):
            raise AccountingError(f"{label}: total cash changed by {total - self.initial_cash:.6g} $B (money created or "
                                  f"destroyed)")
        debt = [0.0] * len(led.names)
        held = [0.0] * len(led.names)
        for loan in self.book.of_kind(Loan):
            if loan.state in LIVE:
                debt[loan.to_party] += loan.principal
                held[loan.from_party] += loan.principal
        for h, name in enumerate(led.names):
            cash = led.balance(h, Account.CASH)
            if cash < -money_tol(max(1.0, abs(cash))) * 1e3:
                hint = "; the world outside ran out of money: raise external.cash in the config" if h == self.external else ""
                raise AccountingError(f"{label}: {name} holds negative cash {cash:.6g} $B{hint}")
            scale = max(1.0, debt[h], held[h])
            if not abs(led.balance(h, Account.DEBT) - debt[h]) <= 1e-6 * scale:
                raise AccountingError(f"{label}: debt of {name} on the ledger ({led.balance(h, Account.DEBT):.6g}) differs from "
                                      f"its loans ({debt[h]:.6g})")
            if not abs(led.balance(h, Account.LOANS_HELD) - held[h]) <= 1e-6 * scale:
                raise AccountingError(f"{label}: loans held by {name} on the ledger ({led.balance(h, Account.LOANS_HELD):.6g}) "
                                      f"differ from its loans ({held[h]:.6g})")

    # ------------------------------------------------------------------ system figures (reporters)
    @property
    def ai_demand(self) -> float:
        """End-user AI spending, annualised ($B)."""
        return self.market.demand_annual

    @property
    def sentiment(self) -> float:
        """Market sentiment (-1..1)."""
        return self.market.sentiment

    @property
    def defaults(self) -> int:
        """Companies in default."""
        return sum(1 for co in self.companies if co.status is Status.DEFAULTED)

    @property
    def rescues(self) -> int:
        """Companies rescued by the government."""
        return sum(1 for co in self.companies if co.status is Status.RESCUED)

    @property
    def partner_debt(self) -> float:
        """Outstanding loans tied to a lab's contracts ($B)."""
        return sum(loan.principal for loan in self.book.of_kind(Loan) if loan.state in LIVE and loan.tied_to is not None)

    # ------------------------------------------------------------------ helpers
    def _company(self, entity: str) -> Company:
        return self.by_holder[self.index[entity]]

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
        if not self._statements:
            return 0.0
        return self._statements[holder][account]

    def event(self, kind: str, entity: Company | None, counterparty: Company | None, amount: float, text: str,
              channel: str = "") -> None:
        """Add a line to the plain-language event log (with the contagion channel it belongs to, if any)."""
        self.events.append({"quarter": self.label, "kind": kind,
                            "entity": entity.entity if entity else "",
                            "counterparty": counterparty.entity if counterparty else "",
                            "amount": round(amount, 6), "channel": channel, "text": f"{self.label}: {text}"})

    def note_channel(self, holder: int, channel: Channel | str, amount: float, source: str) -> None:
        """Record that a contagion channel carried a loss or refusal to a holder."""
        self.channels.note(self.label, holder, self.ledger.names[holder], Channel(channel), amount, source)

    def name_of(self, entity: str) -> str:
        """A holder's display name from its id."""
        co = self.company_named(entity)
        return co.spec.name if co else ("the external sector" if entity == EXTERNAL else entity)

    def company_named(self, entity: str) -> Company | None:
        """The company with this id, if any."""
        h = self.index.get(entity)
        return self.by_holder.get(h) if h is not None else None

    @property
    def government(self) -> Company | None:
        """The government agent, if the config has one."""
        return next((co for co in self.companies if co.role == "government"), None)

    def systemic_importance(self, co: Company) -> float:
        """What others would lose if the firm failed now (a what-if run of the cascade)."""
        return what_if_losses(self, co)

    def value_for_holders(self, issuer: Company) -> float:
        """What a stake holder marks a firm at: its value; zero after a default (its last value if the equity channel is off)."""
        if issuer.alive:
            return issuer.market_value
        return issuer.frozen_value if issuer.frozen_value is not None else 0.0

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

        moved = apply_shock(shock, self.config, self.world, self.book, self.index, self.quarter)
        self.config, self.world, self.market = moved.config, moved.world, moved.world.market
        for co in self.companies:  # agents read their parameters from their spec
            co.spec = moved.config.company(co.entity)
        return moved.changes

    def run(self) -> AIFinanceModel:
        """Step to the end of the configured horizon."""
        while self.running:
            self.step()
        # Mesa 3.3.1 keeps a class-level id counter per model, which keeps every model alive
        # (mesa/mesa#3179); a finished run creates no more agents, so let it go
        mesa.Agent._ids.pop(self, None)
        return self
