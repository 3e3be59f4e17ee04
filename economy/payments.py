"""Phase 4 of a quarter: every payment due clears at once (Eisenberg-Noe); what is short waits for the default phase."""

from __future__ import annotations

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
    """Compute credits pay first for compute bought from their issuer: no cash moves."""
    for cr in e.book.of_kind(ComputeCredit):
        if cr.balance <= 0 or cr.state not in LIVE:
            continue
        for ob in obligations:
            if ob.payer == cr.to_party and ob.payee == cr.from_party and ob.payer_debit is Account.COMPUTE_COST:
                use = min(cr.balance, ob.amount)
                e.ledger.post(((ob.payer, Account.COMPUTE_COST, use), (ob.payer, Account.CREDITS_RECEIVABLE, -use),
                               (ob.payee, Account.DEFERRED_REVENUE, use), (ob.payee, Account.REVENUE, -use)),
                              f"{cr.id}: credits redeemed")
                cr.balance -= use
                ob.amount -= use
