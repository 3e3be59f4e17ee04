"""Circular financing, measured (MODEL.md 6b): money that a firm's funding brings back as its revenue.

Pure functions over a run's payments (the rows of ``payments.csv``, :mod:`economy.flows`)
and its contracts (the rows of ``contracts.csv``). They make three tables:
``circularity.csv`` (per firm and quarter), ``loop.csv`` (per quarter, the web as a whole)
and ``cycles.csv`` (the largest cycles of each quarter's money-flow graph).

**Who funded whom.** Firm *A* has *funded* firm *B* by quarter *q* when, at or before *q*,

- the contract book has a contract in which *A* is the funding side, that had started and
  that has money in it (``contracts.amount`` above 0): an equity stake *A* paid for in *B*,
  compute credits *A* issued to *B*, a warrant on *A*'s shares *A* gave *B*, a loan *A* made
  to *B* (a vendor loan when *A* is not a lender); or
- *A* paid *B* a payment of a funding kind (:data:`FUNDING_KINDS`: a tranche, shares
  bought, credits issued, a loan drawn, a warrant's strike, a rescue).

A contract with nothing in it funds nobody: a loan with nothing drawn at origination (an
undrawn revolver, principal 0) funds its borrower only from the quarter a draw is paid
(``loan_drawn``); a stake the issuer granted as part of a deal, for which the holder paid
nothing (cost 0: the CoreWeave stock OpenAI received with its compute contracts, FACTS
D8), does not make its holder a funder of the issuer.

Funding is cumulative: a firm stays funded by *A* after the stake is sold or the loan
repaid (the money was given; what it bought may still be paying *A*). An investment
commitment funds nobody until a tranche is paid: a letter of intent is not money.

**Revenue.** A firm's revenue is every payment into its revenue account (chip sales,
compute, revenue shares, backstop payments, credits redeemed, sales to outside buyers):
the same amount as ``balance_sheets.revenue``.

**Round-tripped revenue** of firm *A* in quarter *q*:

- *direct*: revenue *A* received from firms it had funded by *q*, in full;
- *one step removed*: revenue *A* received from a firm *C* it had not funded, to the
  extent *C*'s money came from firms *A* funded. Money is fungible, so *C*'s payments
  of the quarter are financed pro rata by what *C* received in the quarter, and by its
  cash at hand for anything it paid beyond its receipts:

      one_step(A) = sum over C of  revenue(C -> A) * paid(funded(A) -> C) / max(received(C), paid(C))

  where ``paid(funded(A) -> C)`` is everything firms *A* had funded (other than *C*)
  paid *C* in the quarter, of any kind, and ``received(C)`` and ``paid(C)`` are all *C*'s
  receipts and payments of the quarter (cash and credits). The fraction is at most 1,
  so no more of the funded firms' money is traced on than they paid *C*. Only modelled
  firms are intermediaries (not the external sector), and only one step: money that
  comes back through two intermediaries is not counted.

**The payer's side.** What a firm paid modelled firms as their revenue (``paid_to_firms``)
and the part of it paid to firms that had funded it (``paid_to_funders``): summed over the
payers, the same money as the payees' direct round trips. The classroom's *circular share*
monitor is the labs' ``paid_to_funders`` over their ``paid_to_firms``.

**The loop** is the modelled firms that are neither lenders nor the government: labs,
clouds, chipmakers, investors. Lenders, the government and the external sector are
*outside* it: a bank's loan and its interest coming back is credit, not circular
financing. Per quarter, for the loop as a whole:

- *spending*: everything the loop's firms paid (cash and credits, any kind, to anyone);
- *financed inside*: the part of it paid from funding received from other firms of the
  loop (:data:`FUNDING_KINDS` from a loop firm), followed across quarters. Each loop firm
  *i* carries the inside funding it received and has not spent yet, ``carry(i)`` (0 at the
  start), and spends it first (first in, first out: money raised from the loop is spent
  before money earned or held from before); what it pays beyond its carry is drawn pro rata
  from the quarter's receipts and its cash, as above::

      from_carry(i) = min(carry(i), paid(i))
      from_fresh(i) = (paid(i) - from_carry(i)) * funding_from_loop(i) / max(received(i), paid(i) - from_carry(i))
      financed(i)   = from_carry(i) + from_fresh(i)
      carry(i)     += funding_from_loop(i) - financed(i)

  and the loop's *financed inside* is the sum of ``financed(i)``. A firm's
  ``loop_financed`` revenue counts each payment from a loop firm *i* in the share
  ``financed(i) / paid(i)``. The carry is a convention, an upper reading of how much
  inside money is spent: a tranche kept as cash for a year is spent before the firm's
  sales revenue. Round trips (direct and one step removed) stay per quarter: they ask
  where the quarter's revenue came from, not when the money was raised;
- *outside funding in*: funding the loop's firms received from outside (equity bought by
  outside investors, loans drawn from lenders, rescues: :data:`FUNDING_KINDS` from an
  outside payer); *outside funding out*: what they paid back to the outside
  (:data:`PAYBACK_KINDS`: loans repaid, dividends and buybacks, liquidation proceeds).
  Interest and payments for goods and services are not funding;
- *outside funding net* = in − out for the loop as a whole (negative when the loop
  pays its outside funders more than it raises from them);
- *outside funding need* = the sum over the loop's firms of max(0, in − out): the new
  outside money the firms that raised it took in, which other firms' pay-outs do not
  cancel (a dividend Nvidia pays does not fund Oracle's data centres).

**Cycles.** Each quarter's money-flow graph has the loop's firms as nodes and an edge
*a* → *b* with everything *a* paid *b* in the quarter. Its simple cycles of up to
:data:`CYCLE_MAX_LENGTH` firms are found, each with its volume (the smallest edge flow
around it: the most money that can have gone all the way round); the
:data:`CYCLES_PER_QUARTER` largest are kept, largest first (of two with the same
volume, the one with more money flowing around it first).

This module imports neither Mesa nor any decision code.

Example:
    An investor funds a customer that buys from it: Nvidia pays OpenAI a tranche of 10
    and sells it chips for 6; outside buyers pay Nvidia 14. Nvidia's revenue is 20, of
    which 6 came back from a firm it funded:

    >>> pays = [("2026Q1", "nvidia", "openai", "tranche", 10.0, "paid_in_capital"),
    ...         ("2026Q1", "openai", "nvidia", "chip_sale", 6.0, "revenue"),
    ...         ("2026Q1", "external", "nvidia", "sales", 14.0, "revenue")]
    >>> roles = {"nvidia": "chipmaker", "openai": "lab", "external": "external"}
    >>> firms, loop, cycles = circularity_rows(pays, [], roles, ["2026Q1"])
    >>> firms[0]["round_trip_direct"], firms[0]["round_trip_share"]
    (6.0, 0.3)
    >>> cycles[0]["cycle"], cycles[0]["volume"]
    ('nvidia -> openai -> nvidia', 6.0)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from economy.units import parse_quarter

FUNDING_KINDS = ("tranche", "equity", "credit_issue", "loan_drawn", "warrant_exercise", "rescue")
"""Payment kinds (``payments.kind``) that fund the payee: the payer puts money into the payee for a claim on it."""

PAYBACK_KINDS = ("loan_repaid", "dividend", "liquidation_proceeds")
"""Payment kinds by which a firm pays funding back to those who provided it."""

FUNDING_CONTRACTS = ("equity_stake", "compute_credit", "warrant", "loan")
"""Contract kinds whose ``from_party`` funds its ``to_party`` from the contract's start (``contracts.csv``:
the holder of a stake, the issuer of credits, the issuer of a warrant, the lender)."""

OUTSIDE_ROLES = ("external", "lender", "government")
"""Roles outside the loop: the external sector, lenders and the government."""

REVENUE_ACCOUNT = "revenue"
"""``payments.payee_account`` of a payment that is revenue for its payee."""

CYCLE_MAX_LENGTH = 5
"""The most firms a cycle of ``cycles.csv`` goes through."""

CYCLES_PER_QUARTER = 10
"""How many cycles ``cycles.csv`` keeps per quarter, the largest by volume."""

CIRCULARITY_COLUMNS = ["quarter", "entity", "role", "revenue", "revenue_from_firms", "round_trip_direct",
                       "round_trip_one_step", "round_trip", "direct_share", "one_step_share", "round_trip_share",
                       "loop_financed", "loop_financed_share", "firms_funded", "paid_to_firms", "paid_to_funders",
                       "paid_to_funders_share"]
"""The columns of ``circularity.csv``, in order."""

LOOP_COLUMNS = ["quarter", "spending", "spending_in_loop", "financed_inside", "financed_inside_share",
                "outside_funding_in", "outside_funding_out", "outside_funding_net", "outside_funding_need", "cycles",
                "largest_cycle_volume"]
"""The columns of ``loop.csv``, in order."""

CYCLE_COLUMNS = ["quarter", "rank", "cycle", "length", "volume"]
"""The columns of ``cycles.csv``, in order."""

Payment = tuple[str, str, str, str, float, str]
"""``(quarter, payer, payee, kind, amount, payee_account)``: the columns of a payment this module reads."""


def _key(label: str) -> int:
    year, q = parse_quarter(label)
    return year * 4 + q - 1


def funding_links(payments: Iterable[Payment], contracts: Iterable[Mapping], modelled: set[str]) -> dict[tuple, int]:
    """When each firm first funded each other firm: ``(funder, funded) -> quarter key`` (year * 4 + quarter - 1).

    Args:
        payments: Payment rows (:data:`Payment`).
        contracts: Rows of ``contracts.csv`` (``kind``, ``from_party``, ``to_party``, ``amount``, ``start``); a
            contract without a start funds from the beginning, one with an amount of 0 not at all.
        modelled: The modelled holders (every one but the external sector).

    Returns:
        The earliest quarter key at which the funder funded the other firm (module docstring, "Who funded whom").

    Example:
        >>> funding_links([("2026Q2", "nvidia", "openai", "tranche", 10.0, "paid_in_capital")],
        ...               [{"kind": "equity_stake", "from_party": "amazon", "to_party": "anthropic", "start": "",
        ...                 "amount": 8.0},
        ...                {"kind": "equity_stake", "from_party": "openai", "to_party": "coreweave", "start": "",
        ...                 "amount": 0.0}],
        ...               {"nvidia", "openai", "amazon", "anthropic", "coreweave"})
        {('amazon', 'anthropic'): -1, ('nvidia', 'openai'): 8105}
    """
    first: dict[tuple, int] = {}

    def note(funder: str, funded: str, key: int) -> None:
        if funder != funded and funder in modelled and funded in modelled:
            pair = (funder, funded)
            if key < first.get(pair, key + 1):
                first[pair] = key

    for c in contracts:
        if c["kind"] in FUNDING_CONTRACTS and float(c["amount"]) > 0:  # no money in it (module docstring): no funding
            start = c.get("start") or ""
            note(c["from_party"], c["to_party"], _key(start) if start else -1)
    funding = set(FUNDING_KINDS)
    for quarter, payer, payee, kind, _amount, _account in payments:
        if kind in funding:
            note(payer, payee, _key(quarter))
    return dict(sorted(first.items()))


def money_cycles(flows: Mapping[tuple[str, str], float], order: Sequence[str], max_length: int = CYCLE_MAX_LENGTH,
                 ) -> list[tuple[tuple[str, ...], float]]:
    """The simple cycles of a money-flow graph, each with its volume (its smallest edge flow), largest first.

    Each cycle is found once, starting from its member that comes first in ``order`` (a
    depth-first search from each node through nodes later in ``order`` only), so the
    result is the same as :func:`networkx.simple_cycles` with ``length_bound`` (a test
    checks), without importing networkx (a fifth of a second, at every run's start).

    Args:
        flows: ``(payer, payee) -> amount``; edges of zero or less are left out, as are self-loops.
        order: Every node, in the order cycles start from.
        max_length: The most nodes a cycle may have.

    Returns:
        ``(nodes, volume)`` pairs, by volume, then by the total flow around the cycle (both largest first), then in
        the order found; ``nodes`` does not repeat the first node at the end.

    Example:
        >>> money_cycles({("a", "b"): 5.0, ("b", "c"): 2.0, ("c", "a"): 3.0, ("b", "a"): 1.0}, ["a", "b", "c"])
        [(('a', 'b', 'c'), 2.0), (('a', 'b'), 1.0)]
    """
    rank = {n: i for i, n in enumerate(order)}
    out_edges: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for (a, b), amount in flows.items():
        if amount > 0 and a != b:
            out_edges[a].append((b, amount))
    for edges in out_edges.values():
        edges.sort(key=lambda e: rank[e[0]])
    found: list[tuple[tuple[str, ...], float, float]] = []  # nodes, volume, total flow around
    for start in order:
        if start not in out_edges:
            continue
        lowest = rank[start]
        # depth-first over paths start -> ... through nodes ranked after start: (node, path, smallest edge, sum)
        stack = [(start, (start,), float("inf"), 0.0)]
        while stack:
            node, path, least, total = stack.pop()
            for nxt, amount in reversed(out_edges.get(node, ())):
                if nxt == start:
                    found.append((path, min(least, amount), total + amount))
                elif rank[nxt] > lowest and nxt not in path and len(path) < max_length:
                    stack.append((nxt, path + (nxt,), min(least, amount), total + amount))
    found.sort(key=lambda c: (-c[1], -c[2]))
    return [(nodes, volume) for nodes, volume, _total in found]


def circularity_rows(payments: Iterable[Payment], contracts: Iterable[Mapping], roles: Mapping[str, str],
                     quarters: Sequence[str], cycles_per_quarter: int = CYCLES_PER_QUARTER,
                     ) -> tuple[list[dict], list[dict], list[dict]]:
    """The rows of ``circularity.csv``, ``loop.csv`` and ``cycles.csv`` (module docstring for every definition).

    Args:
        payments: Payment rows (:data:`Payment`), from ``payments.csv``.
        contracts: Rows of ``contracts.csv`` (``kind``, ``from_party``, ``to_party``, ``amount``, ``start``).
        roles: Each holder's role, in the order firms are listed (``external`` for the external sector).
        quarters: The quarters to report, in order (the simulated quarters; payments of other quarters are
            ignored).
        cycles_per_quarter: How many cycles to keep per quarter.

    Returns:
        ``(firm_rows, loop_rows, cycle_rows)``: dicts keyed by :data:`CIRCULARITY_COLUMNS` (one per modelled
        holder and quarter), :data:`LOOP_COLUMNS` (one per quarter) and :data:`CYCLE_COLUMNS`. A share of
        nothing (no revenue, no spending) is 0.
    """
    payments = list(payments)
    modelled = [h for h, r in roles.items() if r != "external"]
    loop = [h for h in modelled if roles[h] not in OUTSIDE_ROLES]
    in_loop = set(loop)
    links = funding_links(payments, contracts, set(modelled))
    funding, payback = set(FUNDING_KINDS), set(PAYBACK_KINDS)
    wanted = set(quarters)
    # per quarter: flows between holders (all kinds), revenue by payer and payee, funding received from the loop,
    # and each loop firm's funding in from and paid back to the outside
    flow: dict[str, dict[tuple, float]] = {q: defaultdict(float) for q in quarters}
    revenue: dict[str, dict[tuple, float]] = {q: defaultdict(float) for q in quarters}
    loop_funding: dict[str, dict[str, float]] = {q: defaultdict(float) for q in quarters}
    outside_in: dict[str, dict[str, float]] = {q: defaultdict(float) for q in quarters}
    outside_out: dict[str, dict[str, float]] = {q: defaultdict(float) for q in quarters}
    for quarter, payer, payee, kind, amount, account in payments:
        if quarter not in wanted or payer == payee:
            continue
        flow[quarter][payer, payee] += amount
        if account == REVENUE_ACCOUNT:
            revenue[quarter][payer, payee] += amount
        if kind in funding:
            if payer in in_loop and payee in in_loop:
                loop_funding[quarter][payee] += amount
            elif payee in in_loop:
                outside_in[quarter][payee] += amount
        elif kind in payback and payer in in_loop and payee not in in_loop:
            outside_out[quarter][payer] += amount
    firm_rows: list[dict] = []
    loop_rows: list[dict] = []
    cycle_rows: list[dict] = []
    carry = dict.fromkeys(loop, 0.0)  # inside funding each loop firm received and has not spent yet
    for quarter in quarters:
        key = _key(quarter)
        funded: dict[str, set[str]] = defaultdict(set)
        for (funder, firm), since in links.items():
            if since <= key:
                funded[funder].add(firm)
        f, rev = flow[quarter], revenue[quarter]
        received: dict[str, float] = defaultdict(float)
        paid: dict[str, float] = defaultdict(float)
        paid_to: dict[str, dict[str, float]] = defaultdict(dict)  # payee -> payer -> amount
        for (a, b), amount in f.items():
            paid[a] += amount
            received[b] += amount
            paid_to[b][a] = amount
        pool = {h: max(received[h], paid[h]) for h in modelled}  # what a firm's payments of the quarter are drawn from
        rev_from: dict[str, list[tuple[str, float]]] = defaultdict(list)  # payee -> [(payer, revenue)]
        to_firms: dict[str, float] = defaultdict(float)  # payer -> what it paid modelled firms as their revenue
        to_funders: dict[str, float] = defaultdict(float)  # payer -> the part of it paid to firms that funded it
        for (a, b), amount in rev.items():
            rev_from[b].append((a, amount))
            if b in pool:
                to_firms[a] += amount
                if a in funded.get(b, ()):
                    to_funders[a] += amount
        # each loop firm's payments financed inside: its carried inside funding first, then pro rata from the quarter's
        inside_share: dict[str, float] = {}
        for h in loop:
            from_carry = min(carry[h], paid[h])
            rest = paid[h] - from_carry
            fresh = loop_funding[quarter][h]
            from_fresh = rest * fresh / max(received[h], rest) if fresh > 0 else 0.0
            carry[h] += fresh - from_carry - from_fresh
            inside_share[h] = (from_carry + from_fresh) / paid[h] if paid[h] > 0 else 0.0
        for firm in modelled:
            mine = funded.get(firm, set())
            total = direct = one_step = from_firms = financed = 0.0
            for payer, amount in rev_from.get(firm, ()):
                total += amount
                if payer not in pool:  # the external sector: no firm funded it
                    continue
                from_firms += amount
                financed += amount * inside_share.get(payer, 0.0)
                if payer in mine:
                    direct += amount
                elif pool[payer] > 0:
                    traced = sum(v for b, v in paid_to[payer].items() if b in mine)
                    one_step += amount * traced / pool[payer]
            trip = direct + one_step
            firm_rows.append({
                "quarter": quarter, "entity": firm, "role": roles[firm], "revenue": total,
                "revenue_from_firms": from_firms, "round_trip_direct": direct, "round_trip_one_step": one_step,
                "round_trip": trip, "direct_share": _share(direct, total), "one_step_share": _share(one_step, total),
                "round_trip_share": _share(trip, total), "loop_financed": financed,
                "loop_financed_share": _share(financed, total), "firms_funded": len(mine),
                "paid_to_firms": to_firms[firm], "paid_to_funders": to_funders[firm],
                "paid_to_funders_share": _share(to_funders[firm], to_firms[firm]),
            })
        spending = sum(paid[h] for h in loop)
        spending_in = sum(v for (a, b), v in f.items() if a in in_loop and b in in_loop)
        financed = sum(paid[h] * inside_share[h] for h in loop)
        ins, outs = outside_in[quarter], outside_out[quarter]
        net = {h: ins.get(h, 0.0) - outs.get(h, 0.0) for h in loop}
        graph = {(a, b): v for (a, b), v in f.items() if a in in_loop and b in in_loop}
        cycles = money_cycles(graph, loop)
        loop_rows.append({
            "quarter": quarter, "spending": spending, "spending_in_loop": spending_in, "financed_inside": financed,
            "financed_inside_share": _share(financed, spending), "outside_funding_in": sum(ins.values()),
            "outside_funding_out": sum(outs.values()), "outside_funding_net": sum(net.values()),
            "outside_funding_need": sum(max(0.0, v) for v in net.values()), "cycles": len(cycles),
            "largest_cycle_volume": cycles[0][1] if cycles else 0.0,
        })
        for rank, (nodes, volume) in enumerate(cycles[:cycles_per_quarter], start=1):
            cycle_rows.append({"quarter": quarter, "rank": rank, "cycle": cycle_text(nodes), "length": len(nodes),
                               "volume": volume})
    return firm_rows, loop_rows, cycle_rows


def cycle_text(nodes: Sequence[str]) -> str:
    """A cycle as text, its first firm repeated at the end: ``('a', 'b')`` -> ``'a -> b -> a'``."""
    return " -> ".join([*nodes, nodes[0]])


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0
