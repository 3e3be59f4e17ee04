"""What every company agent has: the firm it decides for, and the economy it reads.

An agent holds no state of its own: its balance sheet is on the ledger and the rest
(status, capacity, flows, value, short histories) in its :class:`~economy.state.Firm`,
which the mechanics change when they perform. The agent's rules read a frozen
:class:`~economy.views.View` and the questions in :mod:`economy.views`, and return
decisions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import mesa

from economy.capacity import Fleet
from economy.config import Company as CompanySpec
from economy.state import Economy, Firm, Flows, Status, annual_growth
from economy.views import View, view_of

if TYPE_CHECKING:
    from mesa import Model

__all__ = ["Company", "Flows", "Reviewer", "Status", "View", "annual_growth"]

Reviewer = Callable[["Company", list], list]
"""Changes the decisions a company's rules took in one round; returns the decisions to carry out."""


class Company(mesa.Agent):
    """A company's Mesa agent: decides for its firm from what the economy shows it."""

    role = "company"

    def __init__(self, model: Model, economy: Economy, firm: Firm) -> None:
        """Attach the agent to its firm in the economy."""
        super().__init__(model)
        self.economy = economy
        self.firm = firm
        self.reviewer: Reviewer | None = None
        """Set when a person takes this company's decisions (classroom team mode); None lets the rules decide."""

    # what the firm is, read through (the state lives in the firm)
    @property
    def spec(self) -> CompanySpec:
        """The company's config section."""
        return self.firm.spec

    @property
    def entity(self) -> str:
        """The company's id in the config."""
        return self.firm.spec.id

    @property
    def holder(self) -> int:
        """The company's ledger holder."""
        return self.firm.holder

    @property
    def status(self) -> Status:
        """Healthy, distressed, defaulted or rescued."""
        return self.firm.status

    @property
    def alive(self) -> bool:
        """Whether the company still operates (not defaulted)."""
        return self.firm.alive

    @property
    def fleet(self) -> Fleet:
        """Its data-centre shells, hardware and builds."""
        return self.firm.fleet

    @property
    def flows(self) -> Flows:
        """This quarter's flows that are not income-statement accounts."""
        return self.firm.flows

    @property
    def market_value(self) -> float:
        """Its market value now ($B)."""
        return self.firm.market_value

    @property
    def listed(self) -> bool:
        """Whether its shares are listed."""
        return self.firm.listed

    @property
    def cost_factor(self) -> float:
        """The share of planned cash costs it spends (below 1 after a cost cut)."""
        return self.firm.cost_factor

    def cash(self) -> float:
        """Cash on the ledger now."""
        return self.firm.cash()

    def view(self) -> View:
        """Freeze what this company knows at the start of its decisions."""
        return view_of(self.economy, self.firm)

    def decide(self, view: View) -> list:
        """This role's decisions for the quarter (none by default)."""
        return []

    def review(self, decisions: list) -> list:
        """The decisions to carry out in a round: the rules' own, or as the person steering this company changed them.

        The round that asks checks what comes back (:func:`agents.rounds.checked`): only
        the alternatives it offers are accepted.
        """
        return decisions if self.reviewer is None else list(self.reviewer(self, list(decisions)))
