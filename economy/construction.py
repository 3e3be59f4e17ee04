"""Phase 5 of a quarter: builds started, paid for in instalments and finished; the loans that finance them drawn."""

from __future__ import annotations

from economy.capacity import Build, Vintage
from economy.credit import LoanRequest, clear_loan_requests
from economy.ledger import Account
from economy.lending import draw_facility
from economy.procurement import buy_hardware
from economy.state import Economy, Firm


def start_build(e: Economy, co: Firm, gw: float, shell_gw: float, tied_to: int | None) -> None:
    """A new build of ``gw`` of hardware in ``shell_gw`` of shells, finished a lead time from now."""
    w = e.config.world
    co.fleet.builds.append(Build(e.quarter, e.quarter + w.build_lead_quarters, gw,
                                 shell_gw * w.capex_per_gw * (1 - w.hardware_share), 0.0,
                                 gw * w.capex_per_gw * w.hardware_share, tied_to, shell_gw))


def instalment(e: Economy, b: Build) -> tuple[float, float]:
    """This quarter's share of a build's shell and hardware cost still to pay: spread evenly to completion."""
    left = max(1, b.complete - e.quarter + 1)
    return (b.shell_cost - b.shell_paid) / left, (b.hardware_cost - b.hardware_paid) / left


def instalments_due(e: Economy, co: Firm) -> float:
    """What a builder's builds ask for this quarter, shells and hardware together."""
    return sum(sum(instalment(e, b)) for b in co.fleet.builds)


def progress_builds(e: Economy, co: Firm, budget: float) -> None:
    """Pay this quarter's share of each build (shells to contractors, hardware to chipmakers); finish what is due.

    ``budget`` is the builder's cash at the start of the phase plus what it borrowed
    now: money other builders pay it during the phase (chips, for a chipmaker that
    builds) does not count until the next quarter, so the order of builders cannot matter.
    """
    led, q, w = e.ledger, e.quarter, e.config.world
    done: list[Build] = []
    cash = budget
    shells = 0.0
    hardware: dict[int | None, list[float]] = {}  # bought once per lab served: [amount, GW]
    for b in sorted(co.fleet.builds, key=lambda b: (b.complete, b.started)):
        shell_part, hardware_part = instalment(e, b)
        if cash + 1e-9 < shell_part + hardware_part:
            b.complete += 1  # not funded: the build slips a quarter
            continue
        cash -= shell_part + hardware_part
        shells += shell_part
        b.shell_paid += shell_part
        if hardware_part > 0:
            order = hardware.setdefault(b.tied_to, [0.0, 0.0])
            order[0] += hardware_part
            order[1] += b.gw * hardware_part / b.hardware_cost
            b.hardware_paid += hardware_part
        co.flows.capex += shell_part + hardware_part
        if b.complete <= q:
            done.append(b)
    if shells > 0:
        led.transfer(co.holder, e.external, shells, Account.CONSTRUCTION_IN_PROGRESS, Account.REVENUE, "construction")
    for tied_to, (amount, gw) in hardware.items():
        buy_hardware(e, co, amount, gw, tied_to)
    for b in done:  # finished work leaves construction in progress and goes into service
        if b.hardware_paid > 0:
            led.move(co.holder, Account.HARDWARE, Account.CONSTRUCTION_IN_PROGRESS, b.hardware_paid, "hardware installed")
            co.fleet.vintages.append(Vintage(q, b.gw, b.hardware_paid, b.hardware_paid, w.hardware_life_quarters))
        if b.shell_paid > 0:
            led.move(co.holder, Account.DC_SHELLS, Account.CONSTRUCTION_IN_PROGRESS, b.shell_paid, "shell completed")
        co.fleet.shell_gw += b.shell_gw
        co.fleet.shell_book += b.shell_paid
    co.fleet.builds = [b for b in co.fleet.builds if b not in done]



def finance_and_build(e: Economy, requests: list[LoanRequest]) -> None:
    """Grant the round's loan requests at once against each lender's cash now, then pay and finish the builds.

    Every builder's budget is its cash before anyone spends plus what it was lent, so the
    order of builders cannot change what any of them builds.
    """
    builders = [co for co in e.firms if co.alive and co.fleet.builds]
    own_cash = {co.holder: co.cash() for co in builders}
    capacity = {r.lender: e.ledger.balance(r.lender, Account.CASH) for r in requests}
    drawn = dict.fromkeys(own_cash, 0.0)
    for r, amount in zip(requests, clear_loan_requests(requests, capacity), strict=True):
        draw_facility(e, r, amount, e.by_holder[r.lender].spec.lender.tenor_quarters)
        drawn[r.borrower] += amount
    for co in builders:
        progress_builds(e, co, own_cash[co.holder] + drawn[co.holder])
