"""What every company agent has: its ledger holder, status, capacity and quarterly flows."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

import mesa

from economy.capacity import Fleet
from economy.config import Company as CompanySpec
from economy.ledger import Account

if TYPE_CHECKING:
    from model import AIFinanceModel


class Status(str, Enum):
    """A company's condition, as reported in every row."""

    HEALTHY = "healthy"
    DISTRESSED = "distressed"
    DEFAULTED = "defaulted"
    RESCUED = "rescued"


@dataclass(frozen=True)
class View:
    """A frozen snapshot of what a company's rules may look at this quarter."""

    quarter: int
    cash: float
    debt: float
    total_assets: float
    revenue_q: float
    ai_revenue_q: float
    ai_revenue_growth_yoy: float
    burn_q: float
    runway_q: float
    capacity_gw: float
    compute_gw: float
    market_value: float
    status: Status


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


class Company(mesa.Agent):
    """A ledger holder that decides: the common state of all roles."""

    role = "company"

    def __init__(self, model: AIFinanceModel, spec: CompanySpec, holder: int) -> None:
        """Attach the agent to its ledger holder and opening state."""
        super().__init__(model)
        self.spec = spec
        self.entity = spec.id
        self.holder = holder
        self.status = Status.HEALTHY
        self.fleet = Fleet(shell_life=model.config.world.shell_life_quarters)
        self.flows = Flows()
        self.market_value = spec.market_value
        self.own_multiple = 0.0
        self.own_fixed = 0.0
        """Value of a business without revenue to scale it by (held at its opening value)."""
        self.frozen_value: float | None = None
        """What holders keep marking a failed firm at when the equity channel is off."""
        self.cash_changes: deque[float] = deque(maxlen=4)
        self.cash_before = 0.0
        self.ai_revenue_hist: deque[float] = deque(maxlen=5)
        self.revenue_hist: deque[float] = deque(maxlen=4)
        self.net_income_hist: deque[float] = deque(maxlen=4)
        self.cost_factor = 1.0
        self.listed = spec.listed
        self.opening_equity = 0.0
        self.recent_losses: deque[float] = deque(maxlen=4)
        self.loss_stress = 0.0
        self.refused_in = -1

    @property
    def alive(self) -> bool:
        """Whether the company still operates (not defaulted)."""
        return self.status is not Status.DEFAULTED

    def cash(self) -> float:
        """Cash on the ledger now."""
        return self.model.ledger.balance(self.holder, Account.CASH)

    def view(self, quarter: int) -> View:
        """Freeze what this company knows at the start of its decisions."""
        led = self.model.ledger
        cash = led.balance(self.holder, Account.CASH)
        burn = -sum(self.cash_changes) / len(self.cash_changes) if self.cash_changes else 0.0
        growth = annual_growth(self.ai_revenue_hist)
        return View(
            quarter=quarter,
            cash=cash,
            debt=led.balance(self.holder, Account.DEBT),
            total_assets=self.model.total_assets(self.holder),
            revenue_q=self.model.last_statement(self.holder, Account.REVENUE),
            ai_revenue_q=self.ai_revenue_hist[-1] if self.ai_revenue_hist else 0.0,
            ai_revenue_growth_yoy=growth,
            burn_q=burn,
            runway_q=cash / burn if burn > 1e-9 else float("inf"),
            capacity_gw=self.fleet.capacity_gw,
            compute_gw=self.flows.compute_gw,
            market_value=self.market_value,
            status=self.status,
        )

    def decide(self, view: View) -> list:
        """This role's decisions for the quarter (none by default)."""
        return []
