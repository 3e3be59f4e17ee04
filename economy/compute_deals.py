"""Compute contracts changed in the run: rentals signed, start dates pushed back, contracts cancelled, deliveries chosen."""

from __future__ import annotations

from economy.contracts import ComputeContract, Obligation, State
from economy.ledger import Account
from economy.state import Economy, Firm

RAMP_QUARTERS = 4
"""A new rental ramps up over its first quarters, as data-centre halls come online one after another."""


def sign_rental(e: Economy, lab: Firm, seller: Firm, gw: float, start: int, quarters: int) -> ComputeContract:
    """A new take-or-pay rental of ``gw`` from ``seller``, at the contract price of compute now, starting at ``start``."""
    gpu = e.config.world.gpu
    price = gpu.rent_per_gw_quarter * gpu.contract_premium * e.market.price_index
    units = sum(min(1.0, k / (RAMP_QUARTERS + 1)) for k in range(1, quarters + 1)) * gw
    c = ComputeContract(id=f"new-{lab.entity}-{seller.entity}-{e.label}", kind="compute", from_party=lab.holder,
                        to_party=seller.holder, amount=price * units, start=start, end=start + quarters - 1,
                        tied_to=lab.holder, payment="rental", gw=gw, ramp=RAMP_QUARTERS, state=State.PENDING,
                        source="signed in the run")
    e.book.add(c)
    e.event("contract_signed", lab, seller, c.amount,
            f"{lab.spec.name} contracts {gw:.2f} GW from {seller.spec.name} for ${c.amount:.1f}B over {quarters} quarters")
    return c


def no_seller(e: Economy, lab: Firm, gw: float, health: float) -> None:
    """Tell that no cloud would sell a lab the compute it asked for."""
    e.event("no_seller", lab, None, gw, f"no cloud will sell {lab.spec.name} {gw:.2f} GW more compute (health {health:.2f})")


def renegotiate(e: Economy, contract_id: str, delay: int) -> None:
    """Push a rental that has not started back by ``delay`` quarters."""
    c = e.book.by_id[contract_id]
    c.start += delay
    c.end += delay
    c.state = State.RENEGOTIATED
    buyer, seller = e.by_holder[c.from_party], e.by_holder[c.to_party]
    e.event("renegotiated", buyer, seller, c.amount, f"{buyer.spec.name} gets {seller.spec.name} to push {c.id} back {delay} "
                                                     "quarters")


def cancel(e: Economy, contract_id: str) -> None:
    """Cancel a rental: the buyer owes the termination penalty this quarter, the seller loses the backlog."""
    c = e.book.by_id[contract_id]
    penalty = c.termination_penalty * c.remaining_value(max(c.start, e.quarter))
    buyer, seller = e.by_holder[c.from_party], e.by_holder[c.to_party]
    if penalty > 0:
        e.extra_obligations.append(Obligation(c, c.from_party, c.to_party, penalty, Account.OPEX, Account.OTHER_INCOME,
                                              "termination penalty"))
    lost = c.remaining_value(max(c.start, e.quarter))
    c.close(State.TERMINATED, e.quarter)
    e.event("cancelled", buyer, seller, penalty,
            f"{buyer.spec.name} cancels {c.id}: {seller.spec.name} loses ${lost:.1f}B of backlog, gets a ${penalty:.1f}B penalty")


def choose_deliveries(e: Economy, taken: dict[str, frozenset[str]]) -> None:
    """Set this quarter's deliveries of every purchase contract: all it schedules, or the binding part only.

    ``taken`` holds, per buyer that decided, the contracts whose optional part it takes;
    a buyer that did not decide (outside buyers) takes everything, a failed one nothing optional.
    """
    q = e.quarter
    for c in e.book.of_kind(ComputeContract):
        if c.payment == "purchase" and c.live(q) and c.from_party in e.by_holder:
            buyer = e.by_holder[c.from_party]
            c.take_optional = buyer.alive and (c.id in taken[buyer.entity] if buyer.entity in taken else True)
            c.allocated_gw = c.scheduled_gw(q) if c.take_optional else c.binding_gw(q)
