"""Contracts: first-class objects with two parties, terms, a schedule and a state.

A contract computes what is due in a quarter as :class:`Obligation` objects; the
settlement step pays them all at once and tells the contract what was paid. A
contract never edits a ledger itself. Party fields hold ledger holder indices.

This module imports neither Mesa nor decision code.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from enum import Enum

from economy.ledger import Account
from economy.units import quarterly_rate


class State(str, Enum):
    """Where a contract is in its life."""

    PENDING = "pending"
    ACTIVE = "active"
    DELIVERED = "delivered"
    RENEGOTIATED = "renegotiated"
    TERMINATED = "terminated"
    DEFAULTED = "defaulted"
    MATURED = "matured"


LIVE = (State.PENDING, State.ACTIVE, State.RENEGOTIATED)


@dataclass(slots=True)
class Obligation:
    """An amount one holder owes another this quarter (under a contract, or for operating costs)."""

    contract: Contract | None
    payer: int
    payee: int
    amount: float
    payer_debit: Account
    payee_credit: Account
    label: str
    paid: float = 0.0


@dataclass(eq=False)
class Contract:
    """Fields every contract has; ``start``/``end`` are quarter indices (0 = opening)."""

    id: str
    kind: str
    from_party: int
    to_party: int
    amount: float
    start: int
    end: int | None
    source: str = ""
    tied_to: int | None = None
    state: State = State.ACTIVE
    ended: int | None = None

    def live(self, q: int) -> bool:
        """Whether the contract is in force in quarter ``q``."""
        return self.state in LIVE and self.start <= q and (self.end is None or q <= self.end)

    def close(self, state: State, q: int) -> None:
        """Leave the active states for good."""
        if self.state in LIVE:
            self.state = state
            self.ended = q

    def obligations(self, q: int, ctx: DueContext) -> list[Obligation]:
        """What is due in quarter ``q``; most kinds owe nothing on a schedule."""
        return []

    def settled(self, q: int, obligations: list[Obligation]) -> None:
        """Learn what was paid of this quarter's obligations."""


@dataclass(frozen=True)
class DueContext:
    """What contracts may read to compute dues: the quarter's market state."""

    policy_rate_annual: float
    rent_price_index: float


# ------------------------------------------------------------------------------ compute
@dataclass(eq=False)
class ComputeContract(Contract):
    """Take-or-pay capacity: a compute rental, a powered-shell lease, a systems purchase, or a supply agreement.

    A supply agreement (OpenAI's 10 GW with Nvidia, 6 GW with AMD, 10 GW with
    Broadcom) commits the buyer's capacity to a chipmaker: whoever builds for the
    buyer buys these chips, and ``delivered_gw`` counts what was built; the buyer
    itself pays nothing under it, only rent to the builders.

    ``from_party`` is the buyer, ``to_party`` the seller. For a rental (the seller
    builds and runs the hardware) or a lease (the seller builds shells and power, the
    buyer brings the hardware), the schedule ramps linearly over ``ramp`` quarters to
    ``gw`` and the price per GW-quarter is the remaining value spread over the
    remaining scheduled GW-quarters. For a purchase, ``gw`` is delivered in equal
    parts over the term and paid on delivery.
    """

    payment: str = "rental"
    gw: float = 0.0
    ramp: int = 0
    take_or_pay: float = 1.0
    termination_penalty: float = 0.1
    binding_share: float = 1.0
    delivered_value: float = 0.0
    delivered_gw: float = 0.0
    price: float = 0.0
    """$B per GW-quarter (rental) or per GW (purchase)."""
    allocated_gw: float = 0.0
    """GW the seller made available this quarter (rental) or delivered (purchase)."""
    take_optional: bool = True
    """The buyer's current decision on the non-binding part of a purchase."""

    def __post_init__(self) -> None:
        """Price the remaining schedule."""
        if self.payment == "supply":
            self.price = self.amount / self.gw if self.gw > 0 else 0.0
            return
        remaining = self.amount - self.delivered_value
        units = sum(self.scheduled_gw(q) for q in range(max(self.start, 1), self.end + 1))
        if self.payment == "purchase":
            units = self.gw * sum(1 for q in range(max(self.start, 1), self.end + 1)) / (self.end - self.start + 1)
        self.price = remaining / units if units > 0 else 0.0

    def scheduled_gw(self, q: int) -> float:
        """GW due for delivery (purchase: delivered in the quarter; rental: available)."""
        if q < self.start or q > self.end:
            return 0.0
        if self.payment == "purchase":
            return self.gw / (self.end - self.start + 1)
        k = q - self.start + 1
        return self.gw * min(1.0, k / (self.ramp + 1)) if self.ramp else self.gw

    def binding_gw(self, q: int) -> float:
        """The part of this quarter's purchase the buyer must take."""
        total = self.gw * self.binding_share
        return max(0.0, min(self.scheduled_gw(q), total - self.delivered_gw))

    def remaining_value(self, q: int) -> float:
        """Value still to be delivered from quarter ``q`` on (the seller's backlog)."""
        if self.state not in LIVE:
            return 0.0
        if self.payment == "supply":
            return self.price * max(0.0, self.gw - self.delivered_gw)
        first = max(q, self.start)
        if first > self.end:
            return 0.0
        ramp_end = self.start + self.ramp - 1 if self.payment != "purchase" else self.start - 1
        ramping = sum(self.scheduled_gw(t) for t in range(first, min(ramp_end, self.end) + 1))
        flat_from = max(first, ramp_end + 1)
        return self.price * (ramping + self.scheduled_gw(flat_from) * max(0, self.end - flat_from + 1))

    def binding_remaining_value(self, q: int) -> float:
        """The binding part of :meth:`remaining_value`: what the buyer must still take, from quarter ``q`` on.

        For a purchase or a supply agreement the buyer must take ``binding_share`` of the
        GW, and what was delivered counts toward it (as in :meth:`binding_gw`); the rest of
        the backlog is a non-binding option (a letter of intent has ``binding_share`` 0).
        For a rental or a lease, ``binding_share`` of the remaining value is binding.

        Example:
            >>> c = ComputeContract("amd", "compute", 0, 1, 60.0, 1, 6, payment="supply", gw=6.0, binding_share=1 / 6)
            >>> c.delivered_gw = 0.5
            >>> round(c.remaining_value(2), 6), round(c.binding_remaining_value(2), 6)
            (55.0, 5.0)
        """
        lost = self.remaining_value(q)
        if self.payment in ("purchase", "supply"):
            return min(lost, self.price * max(0.0, self.gw * self.binding_share - self.delivered_gw))
        return lost * self.binding_share

    def obligations(self, q: int, ctx: DueContext) -> list[Obligation]:
        """Payment for what was delivered this quarter."""
        if not self.live(q) or self.allocated_gw <= 0 or self.payment == "supply":
            return []
        if self.payment == "purchase":
            return [Obligation(self, self.from_party, self.to_party, self.allocated_gw * self.price,
                               Account.HARDWARE, Account.REVENUE, "systems purchase")]
        return [Obligation(self, self.from_party, self.to_party, self.allocated_gw * self.price,
                           Account.COMPUTE_COST, Account.REVENUE, "shell lease" if self.payment == "lease" else "compute rental")]

    def settled(self, q: int, obligations: list[Obligation]) -> None:
        """Count delivery; a purchase is delivered in proportion to what was paid."""
        for ob in obligations:
            share = ob.paid / ob.amount if ob.amount > 0 else 1.0
            if self.payment == "purchase":
                self.delivered_gw += self.allocated_gw * share
            self.delivered_value += ob.paid
        if q >= self.end:
            self.close(State.DELIVERED, q)


@dataclass(eq=False)
class RevenueShare(Contract):
    """The payer (``from_party``) hands ``share`` of its AI revenue to the payee."""

    share: float = 0.0
    base: float = 0.0
    """The payer's AI revenue this quarter, set by operations."""

    def obligations(self, q: int, ctx: DueContext) -> list[Obligation]:
        """Share of this quarter's revenue."""
        if not self.live(q) or self.base <= 0:
            return []
        return [Obligation(self, self.from_party, self.to_party, self.share * self.base,
                           Account.COMPUTE_COST, Account.REVENUE, "revenue share")]


@dataclass(eq=False)
class EquityStake(Contract):
    """``fraction`` of the issuer (``to_party``) held by ``from_party`` at fair value."""

    fraction: float = 0.0
    cost: float = 0.0


@dataclass(eq=False)
class InvestmentCommitment(Contract):
    """Up to ``amount`` from investor (``from_party``) to investee, tranche by tranche."""

    tranche: float = 0.0
    trigger: str = "scheduled"
    trigger_contracts: tuple[str, ...] = ()
    gw_per_tranche: float = 1.0
    trigger_quarters: tuple[int, ...] = ()
    form: str = "cash"
    health_threshold: float = 0.5
    binding: bool = False
    released: float = 0.0
    declined: int = 0

    @property
    def undrawn(self) -> float:
        """What is left of the maximum."""
        return max(0.0, self.amount - self.released)

    def tranches_earned(self, delivered_gw: float, q: int, round_open: bool) -> int:
        """How many tranches the trigger has earned so far (released or not)."""
        if self.trigger == "gw_delivered":
            return int(delivered_gw / self.gw_per_tranche + 1e-9)
        if self.trigger == "scheduled":
            return sum(1 for t in self.trigger_quarters if t <= q)
        return int(self.released / self.tranche + 1e-9) + (1 if round_open else 0)

    def due_tranche(self, delivered_gw: float, q: int, round_open: bool) -> float:
        """The amount the trigger makes available for a decision now (0 if none)."""
        if not self.live(q) or self.undrawn <= 0:
            return 0.0
        earned = self.tranches_earned(delivered_gw, q, round_open)
        done = int(self.released / self.tranche + 1e-9) + self.declined
        return min(self.tranche, self.undrawn) if earned > done else 0.0


@dataclass(eq=False)
class ComputeCredit(Contract):
    """Credits on the issuer's cloud (``from_party``) held by ``to_party``."""

    balance: float = 0.0


@dataclass(eq=False)
class Warrant(Contract):
    """The holder (``to_party``) may buy the issuer's (``from_party``) shares at a strike.

    ``shares`` in billions and ``strike`` in dollars a share, so ``shares * strike`` is in $B.
    ``amount`` is the holder's mark: the fair value of the vested shares not yet exercised.
    """

    shares: float = 0.0
    strike: float = 0.0
    steps: tuple[tuple[float, float, float], ...] = ()
    """(GW delivered, share fraction, price hurdle) per vesting step."""
    delivery_contracts: tuple[str, ...] = ()
    vested_fraction: float = 0.0
    exercised: float = 0.0
    """Shares (billions) already bought at the strike; they are the holder's stake now, no longer a claim."""
    sold: float = 0.0
    """Vested shares (billions) whose claim the holder sold to outside investors: a warrant of theirs now."""

    def open_shares(self) -> float:
        """Vested shares not yet exercised nor sold: the holder's claim that dilutes the issuer's shareholders."""
        return max(0.0, self.shares * self.vested_fraction - self.exercised - self.sold)

    def vest(self, delivered_gw: float, share_price: float) -> float:
        """Vest every step whose GW and price conditions hold; return the vested fraction.

        Vesting never reverses: a step once vested stays vested.
        """
        earned = sum(f for gw, f, hurdle in self.steps if delivered_gw + 1e-9 >= gw and share_price >= hurdle)
        self.vested_fraction = max(self.vested_fraction, earned)
        return self.vested_fraction

    def fair_value(self, share_price: float) -> float:
        """Intrinsic value of the open vested shares at the price after their exercise (time value ignored).

        ``share_price`` is the diluted price, the issuer's value to its shareholders over its shares
        including those the warrant would add (``economy.valuation.solve_equity`` finds it).
        """
        return self.open_shares() * max(0.0, share_price - self.strike)


@dataclass(eq=False)
class Loan(Contract):
    """A loan, bond or ABS: lender is ``from_party``, borrower ``to_party``.

    Interest each quarter on the outstanding principal at a fixed rate or at the
    policy rate plus a spread; principal either at maturity (bullet) or in equal
    parts from the end of the interest-only period to maturity (linear).
    """

    instrument: str = "loan"
    principal: float = 0.0
    fixed_rate_annual: float | None = None
    spread_bp: float | None = None
    amortisation: str = "bullet"
    interest_only_until: int | None = None
    seniority: str = "senior_unsecured"
    collateral: str = "none"
    collateral_issuer: int | None = None
    max_ltv: float | None = None
    min_dscr: float | None = None
    sold_by: int | None = None
    """The lender that sold this loan when it failed (its buyer, outside investors, does not roll it)."""
    limit: float | None = None
    """A revolver's committed maximum principal; None for a loan that cannot be drawn further."""

    @property
    def undrawn(self) -> float:
        """What the borrower may still draw under a revolver's commitment (0 for any other loan)."""
        return max(0.0, self.limit - self.principal) if self.limit is not None else 0.0

    def rate_annual(self, policy_rate_annual: float) -> float:
        """The annual rate this quarter."""
        if self.fixed_rate_annual is not None:
            return self.fixed_rate_annual
        return policy_rate_annual + (self.spread_bp or 0.0) / 1e4

    def principal_due(self, q: int) -> float:
        """Scheduled repayment of principal in quarter ``q``."""
        if self.principal <= 0 or self.end is None or q > self.end:
            return 0.0
        if q == self.end:
            return self.principal
        if self.amortisation == "linear":
            first = max(self.interest_only_until or self.start, self.start, 0) + 1
            if q >= first:
                return self.principal / (self.end - q + 1)
        return 0.0

    def obligations(self, q: int, ctx: DueContext) -> list[Obligation]:
        """Interest and principal due this quarter."""
        if not self.live(q) or self.principal <= 0:
            return []
        out = [Obligation(self, self.to_party, self.from_party,
                          self.principal * quarterly_rate(self.rate_annual(ctx.policy_rate_annual)),
                          Account.INTEREST_EXPENSE, Account.OTHER_INCOME, "interest")]
        due = self.principal_due(q)
        if due > 0:
            out.append(Obligation(self, self.to_party, self.from_party, due, Account.DEBT, Account.LOANS_HELD, "principal"))
        return out

    def settled(self, q: int, obligations: list[Obligation]) -> None:
        """Reduce principal by what was repaid; mature when nothing is left."""
        for ob in obligations:
            if ob.label == "principal":
                self.principal -= ob.paid
        if self.principal <= 1e-12:
            self.principal = 0.0
            self.close(State.MATURED, q)


@dataclass(eq=False)
class Backstop(Contract):
    """The guarantor (``from_party``) pays for the beneficiary's unsold capacity, up to a maximum."""

    used: float = 0.0
    idle_value: float = 0.0
    """Value of the beneficiary's idle capacity this quarter, set by operations."""

    def obligations(self, q: int, ctx: DueContext) -> list[Obligation]:
        """Buy this quarter's idle capacity while the maximum lasts."""
        room = self.amount - self.used
        if not self.live(q) or room <= 0 or self.idle_value <= 0:
            return []
        return [Obligation(self, self.from_party, self.to_party, min(room, self.idle_value),
                           Account.COMPUTE_COST, Account.REVENUE, "capacity backstop")]

    def settled(self, q: int, obligations: list[Obligation]) -> None:
        """Use up the maximum."""
        self.used += sum(ob.paid for ob in obligations)


@dataclass(eq=False)
class Guarantee(Contract):
    """The guarantor (``from_party``) covers a lender's loss on one loan, up to a maximum."""

    loan_id: str = ""
    paid_out: float = 0.0


@dataclass
class ContractBook:
    """All contracts of a run, with indexes by kind and party."""

    contracts: list[Contract] = field(default_factory=list)
    by_id: dict[str, Contract] = field(default_factory=dict)
    _by_class: dict[type, list[Contract]] = field(default_factory=dict)
    _compute_by_seller: dict[int, list[ComputeContract]] = field(default_factory=dict)
    _by_party: dict[tuple[type, str, int], list[Contract]] = field(default_factory=dict)
    _position: dict[str, int] = field(default_factory=dict)  # contract id -> its place in creation order (survives a copy)

    def add(self, contract: Contract) -> Contract:
        """Register a contract (ids are unique)."""
        if contract.id in self.by_id:
            raise ValueError(f"contract id {contract.id!r} already exists")
        self._position[contract.id] = len(self.contracts)
        self.contracts.append(contract)
        self.by_id[contract.id] = contract
        self._by_class.setdefault(type(contract), []).append(contract)
        self._by_party.setdefault((type(contract), "from", contract.from_party), []).append(contract)
        self._by_party.setdefault((type(contract), "to", contract.to_party), []).append(contract)
        if isinstance(contract, ComputeContract):
            self._compute_by_seller.setdefault(contract.to_party, []).append(contract)
        return contract

    def of_kind_from(self, cls: type, holder: int) -> list:
        """Contracts of one class whose ``from_party`` is ``holder``, in creation order (a live list: do not modify it).

        ``from_party`` is the buyer of compute, the lender of a loan, the holder of a stake,
        the investor of a commitment (see each contract class).
        """
        return self._by_party.get((cls, "from", holder), [])

    def of_kind_to(self, cls: type, holder: int) -> list:
        """Contracts of one class whose ``to_party`` is ``holder`` (seller, borrower, issuer...), in creation order."""
        return self._by_party.get((cls, "to", holder), [])

    def of_kind_involving(self, cls: type, holder: int) -> list:
        """Contracts of one class with ``holder`` on either side, in creation order (a new list)."""
        both = self.of_kind_from(cls, holder) + [c for c in self.of_kind_to(cls, holder) if c.from_party != holder]
        return sorted(both, key=lambda c: self._position[c.id])

    def change_from_party(self, contract: Contract, holder: int) -> None:
        """Hand a contract's ``from_party`` side to another holder (an outside buyer taking a contract over)."""
        old = self._by_party[(type(contract), "from", contract.from_party)]
        old.remove(contract)
        contract.from_party = holder
        new = self._by_party.setdefault((type(contract), "from", holder), [])
        new.insert(bisect.bisect([self._position[c.id] for c in new], self._position[contract.id]), contract)

    def change_to_party(self, contract: Contract, holder: int) -> None:
        """Hand a contract's ``to_party`` side to another holder (the buyer of a failed seller's data centres)."""
        old = self._by_party[(type(contract), "to", contract.to_party)]
        old.remove(contract)
        if isinstance(contract, ComputeContract):
            self._compute_by_seller[contract.to_party].remove(contract)
        contract.to_party = holder
        for index in (self._by_party.setdefault((type(contract), "to", holder), []),
                      *([self._compute_by_seller.setdefault(holder, [])] if isinstance(contract, ComputeContract) else [])):
            index.insert(bisect.bisect([self._position[c.id] for c in index], self._position[contract.id]), contract)

    def sold_by(self, seller: int) -> list[ComputeContract]:
        """Compute contracts where ``seller`` is the seller (a live list: do not modify it)."""
        return self._compute_by_seller.get(seller, [])

    def of_kind(self, cls: type) -> list:
        """Contracts of one class, in creation order (a live list: do not modify it)."""
        return self._by_class.get(cls, [])

    def involving(self, holder: int) -> list[Contract]:
        """Contracts where ``holder`` is one of the two parties."""
        return [c for c in self.contracts if holder in (c.from_party, c.to_party)]
