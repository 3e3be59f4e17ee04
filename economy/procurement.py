"""Buying chips and systems: chip sales, hardware for new capacity, supply agreements, purchased systems delivered."""

from __future__ import annotations

from economy.capacity import Vintage
from economy.contracts import ComputeContract, Obligation
from economy.ledger import Account
from economy.state import Economy, Firm
from economy.units import money_tol


def chip_sale(e: Economy, buyer: int, chipmaker: Firm, amount: float, memo: str) -> None:
    """A chip sale: the buyer's spend is the chipmaker's revenue; its cost of goods goes outside.

    A builder's chips are work in progress until the capacity they go into is finished.
    """
    led = e.ledger
    debit = Account.OPEX if buyer == e.external else Account.CONSTRUCTION_IN_PROGRESS
    led.transfer(buyer, chipmaker.holder, amount, debit, Account.REVENUE, memo)
    led.transfer(chipmaker.holder, e.external, amount * (1 - chipmaker.spec.chips.gross_margin),
                 Account.OPEX, Account.REVENUE, "cost of chips sold")


def deliver_systems(e: Economy, c: ComputeContract, obs: list[Obligation]) -> None:
    """Systems paid for become the buyer's hardware; the chipmaker pays its cost of goods."""
    paid = sum(o.paid for o in obs)
    due = sum(o.amount for o in obs)
    if paid <= 0:
        return
    seller = e.by_holder[c.to_party]
    buyer = e.by_holder.get(c.from_party)  # None when outside buyers took the contract over
    if buyer is not None:
        gw = c.allocated_gw * paid / due
        buyer.fleet.vintages.append(Vintage(e.quarter, gw, paid, paid, e.config.world.hardware_life_quarters))
        buyer.flows.capex += paid
    if seller.spec.chips:
        e.ledger.transfer(seller.holder, e.external, paid * (1 - seller.spec.chips.gross_margin),
                          Account.OPEX, Account.REVENUE, "cost of chips sold")


def buy_hardware(e: Economy, co: Firm, amount: float, gw: float, tied_to: int | None) -> None:
    """Hardware for new capacity: first under the served lab's supply agreements, then by market share.

    Capacity built for a lab with supply agreements uses those chips (OpenAI's
    deals with Nvidia, AMD and Broadcom), bought at the agreements' price; the rest of
    the spend (all of it for capacity that serves no lab) is split among chipmakers
    by their share of the market, less the share the lab moves to other chips, and
    the remainder goes to outside suppliers.
    """
    rest = amount
    if tied_to is not None and gw > 0:
        rest -= _buy_under_supply_agreements(e, co, amount, gw, tied_to)
    generic = rest
    for chip, share in chip_shares(e, tied_to):
        # a chipmaker building its own data centres pays its own chips at cost, to its outside suppliers
        if chip is not co:
            part = generic * share
            chip_sale(e, co.holder, chip, part, "chips for new capacity")
            rest -= part
    if rest > money_tol(amount):
        e.ledger.transfer(co.holder, e.external, rest, Account.CONSTRUCTION_IN_PROGRESS, Account.REVENUE,
                          "servers, memory, networking")


def _buy_under_supply_agreements(e: Economy, co: Firm, amount: float, gw: float, lab: int) -> float:
    """Route the GW built for a lab to its live supply agreements, pro rata to what each has left; return the spend.

    Each agreement sells its GW at its own price per GW (``total_value / gw``: AMD's
    $90B for 6 GW is $15B a GW), never more than the build pays per GW of hardware nor
    more than the value it has left; a builder's hardware money beyond that (the rest
    of an AMD rack, GW beyond what the agreements have left) is generic spend.
    """
    deals = sorted((c for c in e.book.of_kind_from(ComputeContract, lab) if c.payment == "supply"
                    and c.live(e.quarter) and c.gw - c.delivered_gw > 1e-9 and e.by_holder[c.to_party].alive
                    and e.by_holder[c.to_party] is not co), key=lambda c: c.id)
    left = sum(c.gw - c.delivered_gw for c in deals)
    if left <= 0:
        return 0.0
    routed = min(gw, left)
    budget_per_gw = amount / gw
    spent = 0.0
    for c in deals:
        part_gw = routed * (c.gw - c.delivered_gw) / left
        part = min(part_gw * min(c.price, budget_per_gw), max(0.0, c.amount - c.delivered_value))
        if part > 0:
            chip_sale(e, co.holder, e.by_holder[c.to_party], part, f"{c.id}: systems for {e.ledger.names[lab]}")
        c.delivered_gw += part_gw
        c.delivered_value += part
        spent += part
    return spent


def chip_shares(e: Economy, lab: int | None) -> list[tuple[Firm, float]]:
    """Chipmakers' shares of generic hardware spend, after the served lab's move away from the incumbent."""
    chips = [(c, c.spec.chips.hardware_share) for c in e.firms
             if c.role == "chipmaker" and c.alive and c.spec.chips.hardware_share > 0]
    served = e.by_holder[lab].spec.lab if lab is not None else None
    shift = served.inference_diversification if served else 0.0
    if shift <= 0 or not chips:
        return chips
    incumbent = max(chips, key=lambda t: (t[1], t[0].entity))[0]
    moved = dict(chips)[incumbent] * shift
    others = sum(s for c, s in chips if c is not incumbent)
    return [(c, s - moved if c is incumbent else s + moved * s / others if others > 0 else s) for c, s in chips]
