"""Small hand-made economies for mechanism tests, opened without Mesa: round numbers, no growth, no noise.

Unlike :mod:`tests.worlds`, nothing here imports ``model`` or ``mesa``: an economy is
opened by :func:`economy.opening.open_economy` and the mechanics are called on it
directly. The quiet world makes hand computations short: a GW costs $10B to build
(60% hardware, 40% shells) over three quarters, compute rents for $3B a GW-quarter,
the policy rate is 4% and nothing grows.
"""

from __future__ import annotations

import copy

from economy.config import config_from_dict
from economy.opening import open_economy
from economy.state import Economy
from economy.units import quarter_label

QUIET_WORLD = {
    "demand": {"initial_annual": 4.0, "regimes": {"steady": {"growth_annual": 0.0, "volatility_annual": 0.0}},
               "others_share": 0.5, "share_inertia": 1.0, "capability_growth_quarterly": 0.0},
    "policy_rate": [{"from": "2025Q4", "rate_annual": 0.04}],
    "gpu": {"rent_per_gw_quarter": 3.0, "spot_demand_gw": 0.0, "decline_annual": 0.0, "utilisation_elasticity": 0.0},
    "macro": {"gdp_annual": 30000.0},
    "sentiment": {"initial": 0.0, "memory": 0.0},
    "capex_per_gw": 10.0,
    "hardware_share": 0.6,
    "hardware_life_quarters": 20,
    "shell_life_quarters": 40,
    "build_lead_quarters": 3,
    "hosting_cost_per_gw_quarter": 0.0,
}

BANK = {"id": "bank", "name": "Bank", "role": "lender", "opening": {"cash": 100.0},
        "lender": {"base_spread_bp": 200.0}}


def bank(cash: float = 100.0, **terms) -> dict:
    """The lender every builder here borrows from: base spread 200bp, other terms as given (defaults of the schema)."""
    spec = copy.deepcopy(BANK)
    spec["opening"]["cash"] = cash
    spec["lender"].update(terms)
    return spec


def builder(entity: str, cash: float = 0.0, gw: float = 0.0, role: str = "neocloud", hardware_gw: float | None = None,
            **terms) -> dict:
    """A builder with ``gw`` of shells and as much new hardware (unless ``hardware_gw`` says otherwise), no spot sales.

    Hardware is booked at its cost ($6B a GW) and shells at theirs ($4B a GW).
    """
    hw = gw if hardware_gw is None else hardware_gw
    return {"id": entity, "name": entity.capitalize(), "role": role, "opening": {"cash": cash},
            "capacity": {"gw": gw, "hardware_gw": hw, "hardware_book": hw * 6.0, "shell_book": gw * 4.0},
            "builder": {"lender": "bank", "sells_spot": False, **terms}}


def lab(entity: str, cash: float = 0.0, market_value: float = 0.0, **terms) -> dict:
    """An AI lab with no market share, no costs and nothing else going on."""
    return {"id": entity, "name": entity.capitalize(), "role": "lab", "market_value": market_value,
            "opening": {"cash": cash},
            "lab": {"market_share": 0.0, "opex_quarterly": 0.0, "revenue_per_gw_quarter_max": 10.0, **terms}}


def chipmaker(entity: str, hardware_share: float, gross_margin: float, cash: float = 0.0, market_value: float = 0.0,
              revenue_quarterly: float = 0.0) -> dict:
    """A chipmaker selling ``hardware_share`` of builders' chips at ``gross_margin``, with no sales outside the model."""
    return {"id": entity, "name": entity.capitalize(), "role": "chipmaker", "market_value": market_value,
            "reported": {"revenue_quarterly": revenue_quarterly}, "opening": {"cash": cash},
            "chips": {"gross_margin": gross_margin, "hardware_share": hardware_share}}


def economy(companies: list[dict], contracts: list[dict] | None = None, world: dict | None = None) -> Economy:
    """The economy opened from the given companies and contracts in the quiet world (sections of ``world`` replaced)."""
    raw = {
        "run": {"name": "test", "start": "2025Q4", "quarters": 12, "seed": 0},
        "world": {**copy.deepcopy(QUIET_WORLD), **copy.deepcopy(world or {})},
        "external": {"cash": 100000.0},
        "companies": copy.deepcopy(companies),
        "contracts": copy.deepcopy(contracts or []),
    }
    return open_economy(config_from_dict(raw, "test economy"))


def at_quarter(e: Economy, q: int) -> Economy:
    """Move the economy's clock to quarter ``q`` (2025Q4 is 0) and nothing else: no demand, rate or price moves."""
    e.quarter = q
    e.label = quarter_label(q, e.origin)
    e.ledger.quarter = q
    e.new_phase()
    return e
