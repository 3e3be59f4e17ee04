"""The state a quarter's default resolution works on, declared and bound once.

:class:`economy.defaults.DefaultResolver` is assembled from mixins (covenants, the distress
ladder, the court, reorganisation), each in its own module; they all read and change this
state, so each derives from :class:`ResolverState` instead of repeating its declarations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from economy.config import Channels, Distress
from economy.contracts import Loan
from economy.ledger import Ledger
from economy.state import Economy

if TYPE_CHECKING:
    from economy.defaults import DefaultRules


class ResolverState:
    """The economy whose quarter is being resolved, the agents' rules it applies, and the quarter's bookkeeping."""

    m: Economy
    rules: DefaultRules
    led: Ledger
    q: int
    label: str
    on: Channels
    distress: Distress

    def __init__(self, model: Economy, rules: DefaultRules) -> None:
        """Bind to the economy whose quarter is being resolved, and the agents' rules it applies."""
        self.m = model
        self.rules = rules
        self.led = model.ledger
        self.q = model.quarter
        self.label = model.label
        self.on = model.config.channels
        self.distress = model.config.world.distress
        self.discount: dict[str, float] = {}
        """What the fire sale took off each secured loan's recovery (the collateral channel's part of its loss)."""
        self.cures: dict[int, list[tuple[Loan, float]]] = {}
        """Covenant cures each borrower owes this round: what it must pay down, loan by loan."""
        self.given_way: set[int] = set()
        """Buyers whose sellers gave way on their dues this quarter."""
        self.covenant: dict[str, str] = {}
        """The covenant each loan with a cure due has breached."""
        self.reorganised: set[int] = set()
        """Firms reorganised in court this quarter: under the court's protection until the quarter ends."""
