"""Contagion channels (MODEL.md section 8): what each one carries, and the record of it.

Every time a channel carries a loss or a refusal to a holder, the model notes it
here with its source. When a firm defaults, the notes on it over the last four
quarters say which channels brought it down and how much each carried; summed over a run they
attribute the run's losses to channels.

What each channel carries, and what switching it off does:

- payment: a debtor's shortfall (unpaid dues, loans written off). Off: the external
  sector makes creditors whole, and firms can pay as if every debtor had paid them.
- equity: stakes in a failed firm written down. Off: holders keep marking a failed
  firm at its last value.
- collateral: fire-sale prices on seized hardware, which mark down every GPU-backed
  loan. Off: seized hardware sells at full value and resale prices do not move.
- credit: lenders refusing or repricing credit after losses. Off: losses do not make
  lenders tighten.
- confidence: sentiment falling on defaults, and rounds failing for it. Off:
  defaults do not move sentiment.
- demand: suppliers losing the contracts of a failed buyer. Off: the external sector
  takes over a failed buyer's compute contracts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Channel(str, Enum):
    """The channels, plus the root cause of a first default."""

    PAYMENT = "payment"
    EQUITY = "equity"
    COLLATERAL = "collateral"
    CREDIT = "credit"
    CONFIDENCE = "confidence"
    DEMAND = "demand"
    FUNDAMENTAL = "fundamental"


WINDOW_QUARTERS = 4
"""How far back a default looks for what brought it about: losses take a while to bite."""


@dataclass
class ChannelLog:
    """What each channel carried to each holder, by quarter and source."""

    rows: list[dict] = field(default_factory=list)
    _recent: dict[int, dict[int, dict[Channel, dict[str, float]]]] = field(default_factory=dict)
    _quarter: int = 0

    def new_quarter(self, quarter: int) -> None:
        """Start a quarter, forgetting notes older than the attribution window (the rows stay)."""
        self._quarter = quarter
        self._recent = {q: notes for q, notes in self._recent.items() if q > quarter - WINDOW_QUARTERS}

    def note(self, quarter: str, holder: int, holder_name: str, channel: Channel, amount: float, source: str) -> None:
        """Record that ``channel`` carried ``amount`` to ``holder`` from ``source``."""
        if amount <= 0:
            return
        now = self._recent.setdefault(self._quarter, {})
        by_source = now.setdefault(holder, {}).setdefault(channel, {})
        by_source[source] = by_source.get(source, 0.0) + amount
        self.rows.append({"quarter": quarter, "holder": holder_name, "channel": channel.value, "source": source,
                          "amount": amount})

    def attribution(self, holder: int) -> list[tuple[Channel, float, str]]:
        """The channels into a holder over the window: ``(channel, amount, main source)``, largest first."""
        totals: dict[Channel, dict[str, float]] = {}
        for notes in self._recent.values():
            for channel, by_source in notes.get(holder, {}).items():
                into = totals.setdefault(channel, {})
                for source, amount in by_source.items():
                    into[source] = into.get(source, 0.0) + amount
        out = []
        for channel, by_source in totals.items():
            source = max(by_source, key=lambda s: (by_source[s], s))
            out.append((channel, sum(by_source.values()), source))
        return sorted(out, key=lambda t: (-t[1], t[0].value))
