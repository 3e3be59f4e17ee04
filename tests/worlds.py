"""Small hand-made worlds for mechanism tests: no growth, no noise, nothing else moving."""

from __future__ import annotations

import copy

from economy.config import config_from_dict
from model import AIFinanceModel

QUIET_WORLD = {
    "demand": {"initial_annual": 4.0, "regimes": {"steady": {"growth_annual": 0.0, "volatility_annual": 0.0}},
               "others_share": 0.9, "share_inertia": 1.0, "capability_growth_quarterly": 0.0},
    "policy_rate": [{"from": "2025Q4", "rate_annual": 0.04}],
    "gpu": {"rent_per_gw_quarter": 3.0, "spot_demand_gw": 0.0, "decline_annual": 0.0, "utilisation_elasticity": 0.0,
            "fire_sale_depth": 50.0},
    "macro": {"gdp_annual": 30000.0},
    "sentiment": {"initial": 0.0, "memory": 0.0},
    "capex_per_gw": 50.0,
    "hardware_share": 0.68,
    "hardware_life_quarters": 60,
    "shell_life_quarters": 120,
    "build_lead_quarters": 4,
    "hosting_cost_per_gw_quarter": 0.0,
    # nobody buys new shares of a firm in distress here, nor does a firm sell its hardware before it defaults, so a
    # firm short of cash defaults and the channels can be watched one at a time (the distress ladder has its own tests)
    # and a failed firm is liquidated, not reorganised (tests/test_reorganisation.py switches reorganisation on)
    "distress": {"max_issue_share": 0.0, "hardware_sale_share": 0.0, "reorganisation": False},
}

BANK = {"id": "bank", "name": "Bank", "role": "lender", "opening": {"cash": 100.0},
        "lender": {"base_spread_bp": 200, "max_exposure_share": 0.5, "max_borrower_debt_to_assets": 0.95,
                   "tightening_capacity": 2.0}}
GOVERNMENT = {"id": "gov", "name": "Government", "role": "government", "opening": {"cash": 0.0},
              "government": {"policy": "none", "systemic_threshold": 1.0}}
# a lab with no cash, no customers and costs: it fails in its first quarter
DOOMED_LAB = {"id": "doomed", "name": "Doomed lab", "role": "lab", "market_value": 100.0, "opening": {"cash": 0.0},
              "lab": {"market_share": 0.0, "opex_quarterly": 1.0, "revenue_per_gw_quarter_max": 10.0}}


def neocloud(entity: str, cash: float = 0.0, gw: float = 0.0, max_debt_to_assets: float = 0.95) -> dict:
    """A neocloud with fresh hardware in its own shells, no spot business and nothing to build."""
    hardware_book = gw * 50.0 * 0.68
    return {"id": entity, "name": entity.capitalize(), "role": "neocloud", "opening": {"cash": cash},
            "capacity": {"gw": gw, "hardware_book": hardware_book, "shell_book": gw * 50.0 * 0.32},
            "builder": {"lender": "bank", "sells_spot": False, "max_debt_to_assets": max_debt_to_assets}}


def loan(loan_id: str, borrower: str, principal: float, rate: float = 0.1, maturity: str = "2035Q4", **terms) -> dict:
    """A fixed-rate bullet loan from the bank."""
    return {"id": loan_id, "kind": "loan", "lender": "bank", "borrower": borrower, "principal": principal,
            "fixed_rate_annual": rate, "start": "2025Q1", "maturity": maturity, **terms}


def build(companies: list[dict], contracts: list[dict], channels: dict | None = None, quarters: int = 4,
          world: dict | None = None, policy: str = "none", bank: dict | None = None) -> AIFinanceModel:
    """A model of the bank (``BANK`` unless another is given), the government and the given firms, with some channels off."""
    gov = copy.deepcopy(GOVERNMENT)
    gov["government"]["policy"] = policy
    raw = {
        "run": {"name": "test", "start": "2025Q4", "quarters": quarters, "seed": 0},
        "world": {**copy.deepcopy(QUIET_WORLD), **(world or {})},
        "channels": channels or {},
        "external": {"cash": 100000.0},
        "companies": [copy.deepcopy(bank or BANK), gov, *copy.deepcopy(companies)],
        "contracts": copy.deepcopy(contracts),
    }
    return AIFinanceModel(config=config_from_dict(raw, "test world"))


def status(model: AIFinanceModel, entity: str) -> str:
    """A company's status as a string."""
    return model.by_holder[model.index[entity]].status.value


def causes(model: AIFinanceModel, entity: str) -> set[str]:
    """The channels recorded for an entity's default."""
    return {row["channel"] for row in model.cascade if row["entity"] == entity}
