"""Chipmakers: sell chips to builders, release investment tranches at their discretion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agents.base import Company
from agents.decisions import HoldBackTranche, ReleaseTranche


def release_tranche(investee_health: float, threshold: float, own_cash: float, amount: float, min_cash: float) -> bool:
    """Release a tranche only if the investee's health clears the threshold and the cash is there.

    Nvidia scaling back its funding of OpenAI is this rule firing (MODEL.md section 6).
    """
    return investee_health >= threshold and own_cash - amount >= min_cash


@dataclass(frozen=True)
class TrancheDue:
    """A tranche an investor may release now, as the investor sees it."""

    contract_id: str
    amount: float
    binding: bool
    investee_health: float
    health_threshold: float


def choose_tranches(due: Sequence[TrancheDue], means: float, min_cash: float) -> list[ReleaseTranche | HoldBackTranche]:
    """Decide every tranche due to one investor at once, against its means at the start of the quarter.

    Binding tranches are paid whatever happens; the others are taken healthiest investee
    first (ties by contract id) and each released by :func:`release_tranche` against
    what is left of the means. Ranking by what the tranches are, never by where they
    stand in a list, keeps the outcome independent of the order of contracts.

    Args:
        due: The tranches due.
        means: Cash plus what a margin loan would still lend.
        min_cash: Cash the investor keeps in any case.

    Example:
        >>> due = [TrancheDue("a", 10.0, False, 0.5, 0.4), TrancheDue("b", 10.0, False, 0.9, 0.4)]
        >>> [type(d).__name__ + ":" + d.contract_id for d in choose_tranches(due, 15.0, 0.0)]
        ['ReleaseTranche:b', 'HoldBackTranche:a']
    """
    out: list[ReleaseTranche | HoldBackTranche] = []
    for t in sorted(due, key=lambda t: (not t.binding, -t.investee_health, t.contract_id)):
        if t.binding or release_tranche(t.investee_health, t.health_threshold, means, t.amount, min_cash):
            out.append(ReleaseTranche(t.contract_id, t.amount))
            means -= t.amount
        else:
            out.append(HoldBackTranche(t.contract_id, t.amount, t.investee_health, t.health_threshold))
    return out


class ChipMaker(Company):
    """A chipmaker (Nvidia, AMD, Broadcom, Cerebras, Groq)."""

    role = "chipmaker"
