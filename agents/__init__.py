"""The Mesa agents: one class per role, each a thin shell around its decision rules."""

from agents.base import Company, Status
from agents.builder import Hyperscaler, Neocloud
from agents.chipmaker import ChipMaker
from agents.government import Government
from agents.investor import Investor
from agents.lab import AILab
from agents.lender import Lender

ROLE_CLASSES: dict[str, type[Company]] = {
    "lab": AILab,
    "chipmaker": ChipMaker,
    "hyperscaler": Hyperscaler,
    "neocloud": Neocloud,
    "investor": Investor,
    "lender": Lender,
    "government": Government,
}

__all__ = ["AILab", "ChipMaker", "Company", "Government", "Hyperscaler", "Investor", "Lender", "Neocloud", "ROLE_CLASSES",
           "Status"]
