"""The scenarios a teacher can pick and the levers the page's sliders move.

A lever is a value of the config (by path, as in ``economy.config.with_overrides``);
the sliders' bounds are the lever's valid range, so an invalid value cannot be set.
Levers take effect when Reset rebuilds the model from the scenario and the overrides.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from economy.config import Config, load_config

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline.yaml"
SCENARIOS = ROOT / "configs" / "scenarios"
EXTRA_ENV = "CLASSROOM_EXTRA_CONFIGS"
"""os.pathsep-separated config files added to the picker (a teacher's own scenarios; tests use it)."""

POLICIES = ("none", "discretionary", "backstop", "ex_ante")
GOVERNMENT = "us_government"
PRIVATE_CREDIT = "private_credit"


@dataclass(frozen=True)
class Lever:
    """A slider: its id (the i18n key is ``lever.<id>``), range, step and display format."""

    id: str
    low: float
    high: float
    step: float
    percent: bool = True


LEVERS = (
    Lever("demand_growth", 0.0, 1.5, 0.05),
    Lever("policy_rate", 0.0, 0.10, 0.00125),
    Lever("gpu_decline", 0.0, 0.6, 0.05),
    Lever("credit_appetite", 0.01, 0.5, 0.01),
)
SEED_RANGE = (0, 999)


def scenario_files() -> dict[str, Path]:
    """Scenario stem -> file: the baseline first, then configs/scenarios/*.yaml, then any extra files."""
    files = {"baseline": BASELINE}
    files.update({p.stem: p for p in sorted(SCENARIOS.glob("*.yaml"))})
    for extra in filter(None, os.environ.get(EXTRA_ENV, "").split(os.pathsep)):
        files[Path(extra).stem] = Path(extra)
    return files


def lever_values(cfg: Config) -> dict[str, Any]:
    """What the levers read in a config: the sliders start here when a scenario is picked."""
    values: dict[str, Any] = {
        "demand_growth": cfg.world.demand.regimes["steady"].growth_annual if "steady" in cfg.world.demand.regimes else 0.0,
        "policy_rate": cfg.world.policy_rate[0].rate_annual,
        "gpu_decline": cfg.world.gpu.decline_annual,
        "seed": int(cfg.run.seed),
    }
    ids = {c.id for c in cfg.companies}
    if PRIVATE_CREDIT in ids:
        values["credit_appetite"] = cfg.company(PRIVATE_CREDIT).lender.max_exposure_share
    if GOVERNMENT in ids:
        values["rescue_policy"] = cfg.company(GOVERNMENT).government.policy
    return values


def overrides(cfg: Config, values: dict[str, Any]) -> dict[str, Any]:
    """Config-path overrides that set the levers to ``values`` on top of the scenario ``cfg``.

    Only levers that differ from the scenario are written, so a scenario's own values
    stand when the sliders are left alone. The policy rate moves the whole path by the
    same amount, keeping a scenario's later steps (a rate shock stays a shock).
    """
    now = lever_values(cfg)
    out: dict[str, Any] = {}
    if _moved(values, now, "demand_growth"):
        out["world.demand.regimes.steady.growth_annual"] = float(values["demand_growth"])
    if _moved(values, now, "policy_rate"):
        delta = float(values["policy_rate"]) - now["policy_rate"]
        for i, step in enumerate(cfg.world.policy_rate):
            out[f"world.policy_rate[{i}].rate_annual"] = round(step.rate_annual + delta, 10)
    if _moved(values, now, "gpu_decline"):
        out["world.gpu.decline_annual"] = float(values["gpu_decline"])
    if "credit_appetite" in now and _moved(values, now, "credit_appetite"):
        out[f"companies[id={PRIVATE_CREDIT}].lender.max_exposure_share"] = float(values["credit_appetite"])
    if "rescue_policy" in now and values.get("rescue_policy", now["rescue_policy"]) != now["rescue_policy"]:
        out[f"companies[id={GOVERNMENT}].government.policy"] = values["rescue_policy"]
    return out


def _moved(values: dict[str, Any], now: dict[str, Any], key: str) -> bool:
    """Whether a lever was moved.

    A slider snaps to its step, so a scenario value off the grid that comes back within
    half a step counts as untouched (the scenario's own value stands).
    """
    tolerance = next((lever.step / 2 for lever in LEVERS if lever.id == key), 0.0) or 1e-12
    return key in values and abs(float(values[key]) - float(now[key])) >= tolerance


def load_scenario(stem: str) -> Config:
    """Read a scenario from the picker (``ConfigError`` with the command line's message if it is broken)."""
    return load_config(scenario_files()[stem])
