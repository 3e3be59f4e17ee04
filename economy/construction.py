"""Phase 5 of a quarter: builds started, paid for in instalments and finished; the loans that finance them drawn."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable

from economy.capacity import Build, Vintage
from economy.credit import LoanRequest, clear_loan_requests
from economy.ledger import Account
from economy.lending import draw_facility
from economy.procurement import buy_hardware
from economy.state import Economy, Firm
from economy.units import money_tol


def start_build(e: Economy, co: Firm, gw: float, shell_gw: float, tied_to: int | None = None, *,
                tied: Iterable[tuple[str, float]] = (), tied_shells: Iterable[tuple[str, float]] = ()) -> None:
    """A new build of ``gw`` of hardware in ``shell_gw`` of shells, finished a lead time from now.

    ``tied`` and ``tied_shells`` are ``(lab id, GW)`` pairs: the GW of hardware and of
    shells built for each lab's contracts. ``tied_to`` (a lab's holder) instead ties
    the whole build to one lab. Without either the build serves no lab (own use,
    spot, other customers).
    """
    w = e.config.world
    tied_gw = {e.index[lab]: x for lab, x in tied if x > 0}
    tied_shell_gw = {e.index[lab]: x for lab, x in tied_shells if x > 0}
    if tied_to is not None and not tied_gw and not tied_shell_gw:
        tied_gw = {tied_to: gw} if gw > 0 else {}
        tied_shell_gw = {tied_to: shell_gw} if shell_gw > 0 else {}
    co.fleet.builds.append(Build(e.quarter, e.quarter + w.build_lead_quarters, gw,
                                 shell_gw * w.capex_per_gw * (1 - w.hardware_share), 0.0,
                                 gw * w.capex_per_gw * w.hardware_share, shell_gw,
                                 tied_gw=tied_gw, tied_shell_gw=tied_shell_gw))


def instalment(e: Economy, b: Build) -> tuple[float, float]:
    """This quarter's share of a build's shell and hardware cost still to pay: spread evenly to completion."""
    left = max(1, b.complete - e.quarter + 1)
    return (b.shell_cost - b.shell_paid) / left, (b.hardware_cost - b.hardware_paid) / left


def instalments_due(e: Economy, co: Firm) -> float:
    """What a builder's builds ask for this quarter, shells and hardware together."""
    return sum(sum(instalment(e, b)) for b in co.fleet.builds)


def instalments_by_lab(e: Economy, co: Firm) -> dict[int | None, float]:
    """This quarter's instalments split by the lab the capacity is built for (None: for no lab)."""
    out: dict[int | None, float] = {}
    for b in co.fleet.builds:
        shell_part, hardware_part = instalment(e, b)
        for shares, part in ((b.shell_shares(), shell_part), (b.hardware_shares(), hardware_part)):
            for lab, share in shares.items():
                out[lab] = out.get(lab, 0.0) + part * share
    return out


def _by_name(e: Economy, labs) -> list:
    """Labs in the order of their names, None last: the same order whatever the order of the config's lists."""
    return sorted(labs, key=lambda lab: (lab is None, e.ledger.names[lab] if lab is not None else ""))


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
            gw_paid = b.gw * hardware_part / b.hardware_cost
            for lab, share in b.hardware_shares().items():  # each lab's part under its own supply agreements
                order = hardware.setdefault(lab, [0.0, 0.0])
                order[0] += hardware_part * share
                order[1] += gw_paid * share
            b.hardware_paid += hardware_part
        co.flows.capex += shell_part + hardware_part
        if b.complete <= q:
            done.append(b)
    if shells > 0:
        led.transfer(co.holder, e.external, shells, Account.CONSTRUCTION_IN_PROGRESS, Account.REVENUE, "construction")
    for lab in _by_name(e, hardware):
        amount, gw = hardware[lab]
        if amount > 0:
            buy_hardware(e, co, amount, gw, lab)
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
        terms = e.by_holder[r.lender].spec.lender
        for part_request, part in split_by_lab(e, r, amount):
            draw_facility(e, part_request, part, terms)
        drawn[r.borrower] += amount
    for co in builders:
        progress_builds(e, co, own_cash[co.holder] + drawn[co.holder])


def split_by_lab(e: Economy, request: LoanRequest, amount: float) -> list[tuple[LoanRequest, float]]:
    """A draw split into one facility per purpose, in proportion to this quarter's instalments for each lab.

    What pays for capacity built for a lab's contracts is tied to that lab (partner
    debt); the rest (own use, spot, other customers, the cash floor when nothing is
    being paid) is general debt. A request already tied to a lab is drawn as it is.
    Each part keeps its share of the amount asked, so rationing is told the same way.

    Example: a builder paying 3 this quarter for OpenAI's capacity and 1 for its own
    use draws 2 as 1.5 tied to OpenAI and 0.5 general.
    """
    if request.tied_to is not None:
        return [(request, amount)]
    due = instalments_by_lab(e, e.by_holder[request.borrower])
    total = math.fsum(due.values())
    labs = [lab for lab in _by_name(e, due) if lab is not None and due[lab] > money_tol(total)]
    if total <= 0 or not labs:
        return [(request, amount)]
    parts = []
    for lab in labs:
        share = due[lab] / total
        parts.append((dataclasses.replace(request, amount=request.amount * share, tied_to=lab), amount * share))
    rest = amount - math.fsum(p for _, p in parts)
    if rest > money_tol(amount):
        share = max(0.0, 1.0 - math.fsum(due[lab] for lab in labs) / total)
        parts.append((dataclasses.replace(request, amount=request.amount * share), rest))
    return parts
