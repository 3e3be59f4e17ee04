"""Chipmakers: sell chips to builders, release investment tranches at their discretion."""

from __future__ import annotations

from agents.base import Company


def release_tranche(investee_health: float, threshold: float, own_cash: float, amount: float, min_cash: float) -> bool:
    """Release a tranche only if the investee's health clears the threshold and the cash is there.

    Nvidia scaling back its funding of OpenAI is this rule firing (MODEL.md section 6).
    """
    return investee_health >= threshold and own_cash - amount >= min_cash


class ChipMaker(Company):
    """A chipmaker (Nvidia, AMD, Broadcom, Cerebras, Groq)."""

    role = "chipmaker"
