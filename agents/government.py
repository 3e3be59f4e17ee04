"""The government: decides whether to rescue a failing firm, at a fiscal cost."""

from __future__ import annotations

from agents.base import Company


def rescue_decision(policy: str, systemic_importance: float, threshold: float) -> bool:
    """Rescue under a discretionary or backstop policy when the firm's failure would cost others more than the threshold."""
    if policy in ("none", "ex_ante"):
        return False
    return systemic_importance >= threshold


class Government(Company):
    """The US federal government."""

    role = "government"
