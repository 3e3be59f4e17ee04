"""Data-centre capacity: hardware in vintages, shells, and the build pipeline.

Capacity that can serve compute is the lesser of installed hardware and shell space.
Hardware ages and is depreciated straight-line over its useful life; at the end of
its life it leaves the fleet. Builds started now complete after the lead time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(slots=True)
class Vintage:
    """Hardware bought in one quarter."""

    built: int
    gw: float
    cost: float
    book: float
    life: int

    def age(self, q: int) -> int:
        """Quarters since the vintage was installed."""
        return q - self.built


@dataclass(slots=True)
class Build:
    """Capacity under construction: shells and hardware paid for as the work goes, in service on completion.

    ``shell_gw`` of buildings and power and ``gw`` of hardware; either may be zero (a
    developer leasing out powered shells builds no hardware; a cloud filling a leased
    shell builds no building).

    A build is split by purpose: ``tied_gw`` and ``tied_shell_gw`` give the GW of
    hardware and of shells built for each lab's contracts (keyed by the lab's holder);
    the rest serves the builder's own use, spot sales and customers that are not labs.
    Hardware for a lab's part is bought under that lab's supply agreements, and loans
    drawn to pay for the build are tied to the labs in proportion.
    """

    started: int
    complete: int
    gw: float
    shell_cost: float
    shell_paid: float
    hardware_cost: float
    shell_gw: float = 0.0
    hardware_paid: float = 0.0
    tied_gw: dict[int, float] = field(default_factory=dict)
    tied_shell_gw: dict[int, float] = field(default_factory=dict)

    def hardware_shares(self) -> dict[int | None, float]:
        """The part of the hardware built for each lab (None: untied), summing to 1."""
        return _shares(self.tied_gw, self.gw)

    def shell_shares(self) -> dict[int | None, float]:
        """The part of the shells built for each lab (None: untied), summing to 1."""
        return _shares(self.tied_shell_gw, self.shell_gw)


def _shares(tied: dict[int, float], total: float) -> dict[int | None, float]:
    if total <= 0:
        return {None: 1.0}
    shares: dict[int | None, float] = {lab: min(1.0, gw / total) for lab, gw in tied.items() if gw > 0}
    used = math.fsum(shares.values())
    if used > 1.0:  # never more than the whole build: scale the ties down
        shares = {lab: s / used for lab, s in shares.items()}
        used = 1.0
    shares[None] = max(0.0, 1.0 - used)
    return shares


@dataclass
class Fleet:
    """A holder's capacity: hardware vintages, shell GW, builds in progress."""

    vintages: list[Vintage] = field(default_factory=list)
    shell_gw: float = 0.0
    shell_book: float = 0.0
    shell_life: int = 48
    builds: list[Build] = field(default_factory=list)
    leased_in_gw: float = 0.0
    """Shell space this holder rents from others this quarter."""
    leased_out_gw: float = 0.0
    """Own shell space let to others this quarter."""
    _gw_key: tuple[int, int] | None = field(default=None, repr=False)
    _gw: float = field(default=0.0, repr=False)

    @property
    def hardware_gw(self) -> float:
        """GW of installed hardware.

        Read far more often than the fleet changes, so the sum is kept until the list
        of vintages is replaced or grows or shrinks (a vintage's GW never changes).
        """
        key = (id(self.vintages), len(self.vintages))
        if self._gw_key != key:
            self._gw_key = key
            self._gw = sum(v.gw for v in self.vintages)
        return self._gw

    @property
    def hardware_book(self) -> float:
        """Book value of installed hardware."""
        return sum(v.book for v in self.vintages)

    @property
    def capacity_gw(self) -> float:
        """GW that can serve compute: hardware housed in own shells not let out, or in leased ones."""
        return max(0.0, min(self.hardware_gw, self.shell_gw - self.leased_out_gw + self.leased_in_gw))

    def pipeline_gw(self, by: int | None = None) -> float:
        """GW of hardware under construction (completing by quarter ``by`` if given)."""
        return sum(b.gw for b in self.builds if by is None or b.complete <= by)

    def pipeline_shell_gw(self) -> float:
        """GW of shells under construction."""
        return sum(b.shell_gw for b in self.builds)

    def pipeline_tied(self, after: int) -> tuple[dict[int, float], dict[int, float]]:
        """GW of hardware and of shells under construction for each lab, in builds finishing after quarter ``after``."""
        hardware: dict[int, float] = {}
        shells: dict[int, float] = {}
        for b in self.builds:
            if b.complete <= after:
                continue
            for lab, gw in b.tied_gw.items():
                hardware[lab] = hardware.get(lab, 0.0) + gw
            for lab, gw in b.tied_shell_gw.items():
                shells[lab] = shells.get(lab, 0.0) + gw
        return hardware, shells

    def retiring_gw(self, q_from: int, q_to: int) -> float:
        """GW of hardware reaching end of life in quarters ``q_from..q_to``."""
        return sum(v.gw for v in self.vintages if q_from <= v.built + v.life <= q_to)

    def depreciation(self) -> tuple[float, float]:
        """This quarter's straight-line depreciation of hardware and shells; applies it."""
        hw = 0.0
        for v in self.vintages:
            step = min(v.book, v.cost / v.life)
            v.book -= step
            hw += step
        shell = self.shell_book / self.shell_life if self.shell_book > 0 else 0.0
        # shells are depreciated on a declining remaining book; their life is long
        self.shell_book -= shell
        return hw, shell

    def retire(self, q: int) -> float:
        """Remove vintages at the end of their life; return the book value removed."""
        gone = [v for v in self.vintages if v.age(q) >= v.life]
        self.vintages = [v for v in self.vintages if v.age(q) < v.life]
        return sum(v.book for v in gone)

    def obsolescence(self, q: int, decline_annual: float) -> float:
        """Earning power of the fleet per GW against new hardware: older chips rent for less."""
        gw = self.hardware_gw
        if gw <= 0:
            return 1.0
        return sum(v.gw * (1 - decline_annual) ** (max(v.age(q), 0) / 4.0) for v in self.vintages) / gw

    def market_value(self, q: int, capex_hw_per_gw: float, price_index: float, resale_factor: float,
                     decline_annual: float = 0.0) -> float:
        """What the hardware would fetch: replacement cost x price level x obsolescence x remaining life x resale."""
        return sum(
            v.gw * capex_hw_per_gw * price_index * (1 - decline_annual) ** (max(v.age(q), 0) / 4.0)
            * max(0.0, 1 - v.age(q) / v.life) * resale_factor
            for v in self.vintages
        )
