"""Equity issued in the run: new shares that dilute every holder, tranches paid in cash or credits, rounds and listings."""

from __future__ import annotations

from economy.channels import Channel
from economy.contracts import ComputeCredit, EquityStake, InvestmentCommitment
from economy.ledger import Account
from economy.state import Economy, Firm


def issue_shares_to(e: Economy, issuer: Firm, buyer: Firm | None, amount: float) -> None:
    """New shares for ``amount`` at the issuer's current value: existing holders are diluted.

    ``buyer`` None means outside investors, who hold no stake contract.
    """
    pre = max(issuer.market_value, 1e-9)
    post = pre + amount
    for s in e.book.of_kind_to(EquityStake, issuer.holder):
        s.fraction *= pre / post
    issuer.market_value = post
    if buyer is None:
        return
    new = amount / post
    for s in e.book.of_kind_to(EquityStake, issuer.holder):
        if s.from_party == buyer.holder:
            s.fraction += new
            s.cost += amount
            return
    e.book.add(EquityStake(id=f"stake-{buyer.entity}-{issuer.entity}", kind="equity_stake", from_party=buyer.holder,
                           to_party=issuer.holder, amount=amount, start=e.quarter, end=None, fraction=new, cost=amount))


def pay_tranche(e: Economy, c: InvestmentCommitment, amount: float) -> None:
    """An investor pays a tranche of its commitment, in cash or in compute credits, for new shares."""
    investor, investee = e.by_holder[c.from_party], e.by_holder[c.to_party]
    if c.form == "credits":
        e.ledger.post(((c.to_party, Account.CREDITS_RECEIVABLE, amount), (c.to_party, Account.PAID_IN_CAPITAL, -amount),
                       (c.from_party, Account.STAKES, amount), (c.from_party, Account.DEFERRED_REVENUE, -amount)),
                      f"{c.id}: tranche in compute credits")
        credit = ComputeCredit(id=f"{c.id}-credits-{e.quarter}", kind="compute_credit", from_party=c.from_party,
                               to_party=c.to_party, amount=amount, start=e.quarter, end=None, balance=amount)
        e.book.add(credit)
    else:
        e.ledger.transfer(c.from_party, c.to_party, amount, Account.STAKES, Account.PAID_IN_CAPITAL, f"{c.id}: tranche")
    c.released += amount
    investee.flows.equity_raised += amount
    issue_shares_to(e, investee, investor, amount)
    e.event("tranche_released", investor, investee, amount,
            f"{investor.spec.name} releases ${amount:.1f}B to {investee.spec.name} ({c.form})")


def sell_shares_outside(e: Economy, co: Firm, amount: float, memo: str) -> None:
    """Outside investors pay ``amount`` for new shares at the firm's current value."""
    e.ledger.transfer(e.external, co.holder, amount, Account.OTHER_ASSETS, Account.PAID_IN_CAPITAL, f"{co.entity}: {memo}")
    co.flows.equity_raised += amount
    issue_shares_to(e, co, None, amount)


def decline_tranche(e: Economy, c: InvestmentCommitment, amount: float, health: float, threshold: float) -> None:
    """An investor holds back a tranche its commitment made available."""
    c.declined += 1
    investor, investee = e.by_holder[c.from_party], e.by_holder[c.to_party]
    e.event("tranche_declined", investor, investee, amount,
            f"{investor.spec.name} holds back a ${amount:.1f}B tranche for {investee.spec.name} "
            f"(health {health:.2f} < threshold {threshold:.2f} or own cash short)")


def list_shares(e: Economy, co: Firm, share: float) -> None:
    """An IPO: ``share`` of the firm's value is sold to outside investors as new shares."""
    amount = share * co.market_value
    co.listed = True
    sell_shares_outside(e, co, amount, "IPO")
    e.event("ipo", co, None, amount, f"{co.spec.name} lists its shares, raising ${amount:.1f}B at ${co.market_value:.0f}B")


def close_round(e: Economy, co: Firm, raised: float, asked: float, pre_money: float) -> None:
    """A funding round closes: outside investors buy ``raised`` of new shares at ``pre_money``."""
    co.market_value = pre_money
    sell_shares_outside(e, co, raised, "funding round")
    e.event("funding_round", co, None, raised,
            f"{co.spec.name} raises ${raised:.1f}B of ${asked:.1f}B sought from outside investors at ${pre_money:.0f}B pre-money")


def fail_round(e: Economy, co: Firm, asked: float, offered: float, sentiment: float, growth_gap: float) -> None:
    """A round that investors would fill too little of is called off; in a fearful market that is the confidence channel."""
    e.event("round_failed", co, None, asked,
            f"{co.spec.name} fails to raise ${asked:.1f}B (sentiment {sentiment:+.2f}, growth {growth_gap:+.0%} against "
            f"expectations)")
    if sentiment < 0:
        e.note_channel(co.holder, Channel.CONFIDENCE, asked - offered, "market sentiment")
