"""Phase 4 of a quarter: every payment due clears at once (Eisenberg-Noe); what is short waits for the default phase."""

from __future__ import annotations

import math

from economy.channels import Channel
from economy.contracts import LIVE, ComputeContract, ComputeCredit, DueContext, Obligation
from economy.ledger import Account
from economy.procurement import deliver_systems
from economy.settlement import settle
from economy.state import Economy


def settle_quarter(e: Economy) -> None:
    """Collect what every live contract and operating cost asks this quarter and clear it all at once."""
    q, led = e.quarter, e.ledger
    ctx = DueContext(e.market.policy_rate_annual, e.market.price_index)
    obligations: list[Obligation] = []
    for c in e.book.contracts:
        if c.state in LIVE:
            obs = c.obligations(q, ctx)
            if obs and e.by_holder.get(obs[0].payer) is not None and not e.by_holder[obs[0].payer].alive:
                continue
            obligations += obs
    redeem_credits(e, obligations)
    obligations += e.operating_costs + e.extra_obligations
    e.obligations = obligations
    bk = e.config.world.bankruptcy
    result = settle(led, obligations, e.external + 1, bk.alpha, bk.beta, contagion=e.config.channels.payment,
                    backer=e.external)
    obligations += result.assumed  # owed to the outside sector now; the default phase settles them
    for ob in obligations:
        if ob.paid < ob.amount - 1e-9 and ob.payee in e.by_holder and e.config.channels.payment:
            e.note_channel(ob.payee, Channel.PAYMENT, ob.amount - ob.paid, led.names[ob.payer])
    by_contract: dict[int, list[Obligation]] = {}
    names, label = led.names, e.label
    for ob in obligations:
        contract = ob.contract
        if contract is None:
            continue
        by_contract.setdefault(id(contract), []).append(ob)
        e.flow_rows.append((label, contract.id, contract.kind, names[ob.payer], names[ob.payee], ob.amount, ob.paid))
    for obs in by_contract.values():
        contract = obs[0].contract
        obs = [ob for ob in obs if ob.label != "termination penalty"]
        if not obs:
            continue
        contract.settled(q, obs)
        if isinstance(contract, ComputeContract) and contract.payment == "purchase":
            deliver_systems(e, contract, obs)
    e.shortfall = result.shortfall


def redeem_credits(e: Economy, obligations: list[Obligation]) -> None:
    """Compute credits pay first for compute bought from their issuer: no cash moves.

    All credits a buyer holds with one cloud pay all it owes that cloud for compute this
    quarter pro rata (each credit in proportion to its balance, each due in proportion to its
    amount), so which contract they are counted against does not depend on the book's order.
    """
    credits: dict[tuple[int, int], list[ComputeCredit]] = {}
    for cr in e.book.of_kind(ComputeCredit):
        if cr.balance > 0 and cr.state in LIVE:
            credits.setdefault((cr.to_party, cr.from_party), []).append(cr)
    for (buyer, cloud), held in credits.items():
        dues = [ob for ob in obligations
                if ob.payer == buyer and ob.payee == cloud and ob.payer_debit is Account.COMPUTE_COST and ob.amount > 0]
        owed = math.fsum(ob.amount for ob in dues)
        balance = math.fsum(cr.balance for cr in held)
        if owed <= 0:
            continue
        used = min(balance, owed)
        for cr in held:
            use = used * cr.balance / balance
            e.ledger.post(((buyer, Account.COMPUTE_COST, use), (buyer, Account.CREDITS_RECEIVABLE, -use),
                           (cloud, Account.DEFERRED_REVENUE, use), (cloud, Account.REVENUE, -use)),
                          f"{cr.id}: credits redeemed")
            cr.balance -= use
        for ob in dues:
            ob.amount -= used * ob.amount / owed
