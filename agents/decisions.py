"""Decisions agents return, as frozen verb-noun records; the model executes them after every agent has decided.

New decisions go here as the rules move out of the model (issue 8); the lab's and the
builders' older decisions still live beside their rules in ``agents/lab.py`` and
``agents/builder.py``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReleaseTranche:
    """Pay a tranche of an investment commitment to the investee."""

    contract_id: str
    amount: float


@dataclass(frozen=True)
class HoldBackTranche:
    """Decline a tranche the commitment made available: the investee's health or the investor's cash fell short."""

    contract_id: str
    amount: float
    health: float
    threshold: float


@dataclass(frozen=True)
class RollLoan:
    """Lend a maturing loan's principal again, for ``tenor_quarters`` more, at ``spread_bp`` over the policy rate."""

    loan_id: str
    spread_bp: float
    tenor_quarters: int


@dataclass(frozen=True)
class RefuseRoll:
    """Let a maturing loan fall due: the borrower must repay it now (the credit channel)."""

    loan_id: str
    leverage: float
