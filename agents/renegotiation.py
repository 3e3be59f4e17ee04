"""Renegotiation of running take-or-pay contracts (MODEL.md 6a, rung 3): a seller gives way if a failure costs it more.

The seeds' circular dependence: Oracle and CoreWeave need OpenAI to survive. A seller
whose buyer cannot pay what is due this quarter weighs two losses: if it insists and the
buyer fails, it loses the backlog of its contracts with the buyer and what is due less
what the estate will pay back; if it gives way, it forgives part of what is due (a
haircut) and lets the rest be paid over the contract's remaining quarters (a delay), which
costs it a share of the deferred money (time, and the risk the buyer fails later anyway).
It gives way when the second is the smaller. Workout practice: a creditor agrees to a
restructuring out of court when its recovery from it beats its recovery in a default
(Gilson, John and Lang 1990, "Troubled debt restructurings", J. Financial Economics 27).
"""

from __future__ import annotations

from dataclasses import dataclass

from economy.config import Distress
from economy.units import money_tol


@dataclass(frozen=True)
class Concession:
    """What a seller gives up on a buyer's dues this quarter ($B): part forgiven, part paid later."""

    haircut: float
    """Forgiven for good: the seller never receives it."""
    delay: float
    """Moved onto the contract's remaining instalments: paid later, on top of them."""

    @property
    def total(self) -> float:
        """The buyer's dues this quarter lowered by the concession."""
        return self.haircut + self.delay


def concession_cost(ask: float, deferrable: float, params: Distress) -> tuple[Concession, float]:
    """How a concession of ``ask`` splits into haircut and delay, and what it costs the seller.

    A share ``renegotiation_haircut_share`` of what is conceded on a contract that runs on is
    forgiven and the rest deferred; what is conceded on a contract in its last quarter can only
    be forgiven. The cost is the haircut plus ``renegotiation_delay_cost`` of the delay.

    Example:
        >>> concession_cost(10.0, 10.0, Distress())
        (Concession(haircut=5.0, delay=5.0), 6.0)
    """
    delay = (1.0 - params.renegotiation_haircut_share) * min(deferrable, ask)
    haircut = ask - delay
    return Concession(haircut, delay), haircut + params.renegotiation_delay_cost * delay


def loss_if_buyer_fails(dues: float, backlog: float, params: Distress) -> float:
    """What the seller loses if it insists and the buyer fails: the backlog, and the dues less the expected recovery.

    Example:
        >>> loss_if_buyer_fails(10.0, 40.0, Distress())
        47.0
    """
    return backlog + dues * (1.0 - params.renegotiation_recovery)


def accept_concession(ask: float, dues: float, backlog: float, deferrable: float, params: Distress) -> Concession | None:
    """A seller concedes ``ask`` of a failing buyer's dues when that costs it less than the buyer's failure would.

    Args:
        ask: The seller's share of the buyer's remaining gap ($B): what it is asked to give way on.
        dues: What the buyer owes the seller this quarter and has not paid ($B); a seller can
            give way only on that.
        backlog: The value of the seller's contracts with the buyer still to be delivered from
            next quarter ($B): lost if the buyer fails (0 when outside buyers would take the
            contracts over).
        deferrable: The part of ``ask`` that falls on contracts running on past this quarter,
            which can be paid later instead of forgiven ($B).
        params: The distress parameters (``renegotiation*``).

    Returns:
        The concession, or None when the seller refuses (renegotiation switched off, nothing
        asked, more asked than is due, or the concession would cost it at least as much as the
        buyer's failure).

    Example:
        Asked for 10 of 12 due, with 40 of backlog: the concession costs 5 + 0.2 x 5 = 6,
        the failure 40 + 12 x 0.7 = 48.4; it accepts. With no backlog and 10 due, failure
        costs 7, but a concession of 10 all forgiven costs 10; it refuses.

        >>> accept_concession(10.0, 12.0, 40.0, 10.0, Distress())
        Concession(haircut=5.0, delay=5.0)
        >>> accept_concession(10.0, 10.0, 0.0, 0.0, Distress()) is None
        True
    """
    if not params.renegotiation or ask <= 0 or ask > dues + money_tol(dues):
        return None
    concession, cost = concession_cost(ask, deferrable, params)
    return concession if cost < loss_if_buyer_fails(dues, backlog, params) else None
