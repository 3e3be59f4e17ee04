"""Decisions agents return, as frozen verb-noun records; the economy carries them out after every agent has decided.

The lab's and the builders' own decisions live beside their rules in ``agents/lab.py``
and ``agents/builder.py``; the ones here are taken in the rounds where several agents
compete for the same money (:mod:`agents.rounds`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from economy.credit import LoanRequest


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


@dataclass(frozen=True)
class ApproveLoan:
    """Lend a builder what it asked for at the quoted spread (cut pro rata if the lender's cash is short)."""

    borrower: str
    request: LoanRequest


@dataclass(frozen=True)
class RefuseLoan:
    """Refuse a builder's request for new money: its leverage after the loan, or the lender's capacity, is against it."""

    borrower: str
    amount: float
    leverage: float


@dataclass(frozen=True)
class DrawMarginLoan:
    """Borrow against holdings to pay what cash does not cover."""

    entity: str
    amount: float


@dataclass(frozen=True)
class SellHoldings:
    """Sell stakes and other holdings to outside investors to raise ``amount``."""

    entity: str
    amount: float


@dataclass(frozen=True)
class Reorganise:
    """The creditors take a failed firm over in court: its debt cut to ``new_debt``, the rest of their claims swapped for shares.

    ``value`` is the going concern net of the cost of reorganising it, ``recovery`` what the
    creditors recover that way (new debt plus the value of their shares), ``liquidation`` what
    they would recover from selling the estate instead ($B).
    """

    entity: str
    value: float
    new_debt: float
    recovery: float
    liquidation: float
    reorganise: ClassVar[bool] = True


@dataclass(frozen=True)
class Liquidate:
    """A failed firm's estate is sold and the proceeds paid to its creditors (its creditors recover more that way).

    ``recovery`` is what the creditors recover from the sale, ``reorganised`` what they would
    recover from a reorganisation ($B).
    """

    entity: str
    recovery: float
    reorganised: float
    reorganise: ClassVar[bool] = False
