"""A seller's concession on a running compute contract (MODEL.md 6a, rung 3): part of a quarter's dues forgiven or deferred.

The dues a buyer could not pay are not on anyone's books (settlement posts only what is
paid), so a concession moves no money: it lowers what the buyer owes this quarter and, in
the same action, the contract's terms, so that the contract and the dues never disagree.
A haircut lowers the contract's value for good; a delay raises the price of its remaining
instalments by the deferred amount spread over them, so its backlog grows by exactly that.

This module imports neither Mesa nor decision code.
"""

from __future__ import annotations

from economy.contracts import LIVE, ComputeContract, Obligation, State
from economy.units import money_tol


def units_after(c: ComputeContract, q: int) -> float:
    """GW-quarters the contract still schedules after quarter ``q`` (0 once it has run out or ended)."""
    if c.state not in LIVE or c.end is None or c.end <= q:
        return 0.0
    return sum(c.scheduled_gw(t) for t in range(max(q + 1, c.start), c.end + 1))


def concede_dues(ob: Obligation, haircut: float, delay: float, q: int) -> None:
    """Lower a compute due by ``haircut`` forgiven and ``delay`` moved onto the contract's remaining instalments.

    Args:
        ob: This quarter's unpaid due under a rental or lease.
        haircut: Forgiven ($B): the contract's value falls by it.
        delay: Deferred ($B): added to the instalments after quarter ``q``, pro rata to their GW.
        q: The current quarter.

    Raises:
        ValueError: If more is conceded than is unpaid, or a delay is asked of a contract with no
            instalment left.

    Example:
        A 4-quarter rental of 1 GW for 40, due 10 in quarter 1 and unpaid: 2 forgiven and 3
        deferred leave 5 due now, the contract worth 38 and priced 11 a GW-quarter after it.

        >>> from economy.ledger import Account
        >>> c = ComputeContract("r", "compute", 0, 1, 40.0, 1, 4, gw=1.0)
        >>> ob = Obligation(c, 0, 1, 10.0, Account.COMPUTE_COST, Account.REVENUE, "compute rental")
        >>> concede_dues(ob, 2.0, 3.0, 1)
        >>> ob.amount, c.amount, c.price, c.remaining_value(2)
        (5.0, 38.0, 11.0, 33.0)
    """
    c = ob.contract
    if not isinstance(c, ComputeContract):
        raise ValueError(f"{ob.label}: only a compute contract's dues can be renegotiated")
    unpaid = ob.amount - ob.paid
    if haircut < 0 or delay < 0 or haircut + delay > unpaid + money_tol(unpaid):
        raise ValueError(f"{c.id}: cannot concede {haircut:.6f} + {delay:.6f} of {unpaid:.6f} unpaid")
    units = units_after(c, q)
    if delay > 0 and units <= 0:
        raise ValueError(f"{c.id}: no instalment is left after quarter {q} to defer {delay:.6f} to")
    ob.amount = max(ob.paid, ob.amount - haircut - delay)
    c.amount -= haircut
    if delay > 0:
        c.price += delay / units
    if c.state in LIVE:
        c.state = State.RENEGOTIATED
