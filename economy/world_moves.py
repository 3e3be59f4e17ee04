"""Phase 1 of a quarter: demand, rates and the compute price move; labs' shares move; contracts start and end."""

from __future__ import annotations

from economy.contracts import LIVE, Loan, State
from economy.state import Economy, Flows
from economy.views import reach


def move_world(e: Economy) -> None:
    """Advance the world by a quarter, given last quarter's use of capacity, and open the quarter's books of flows."""
    e.market = e.world.advance(e.quarter, e.rented_share)
    labs = [co for co in e.firms if co.spec.lab]
    e.competition.advance(
        {co.holder: co.flows.compute_gw for co in labs if co.alive},
        {co.holder: reach(e, co) for co in labs},
        {co.holder: co.spec.lab.price for co in labs},
    )
    e.channels.new_quarter(e.quarter)
    e.fire_sellers = []
    for c in e.book.contracts:
        if c.state is State.PENDING and c.start <= e.quarter:
            c.state = State.ACTIVE
        elif c.state in LIVE and c.end is not None and c.end < e.quarter and not isinstance(c, Loan):
            c.close(State.DELIVERED, c.end)  # its term is over (loans close when repaid, or default)
    for co in e.firms:
        co.flows = Flows()
