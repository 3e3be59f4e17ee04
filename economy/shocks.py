"""Instructor shocks: levers of the world moved during a run, from the next quarter on.

A shock changes what the agents face (the demand regime, the policy-rate path, the
resale price of GPUs, a lender's appetite, an investor's threshold), never what they
do: the agents' rules decide what follows, as they do for a scenario file. Shocks act
only on the state objects passed in (the frozen config, which they replace by a
validated copy; the world process; the contract book) and know nothing of Mesa, the
agents or the model; ``AIFinanceModel.apply_shock`` wires the result back in.

Why the world process is rebuilt: ``WorldProcess`` reads its rate and regime paths
from the config when it is made, and resets the resale factor every quarter. A
:class:`ShockedWorld` is the same process made from the shocked config, sharing the
old one's random stream and market state (so the run's draws continue unchanged),
with a standing multiplier on the resale price.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from economy.config import Config, World, with_overrides
from economy.contracts import LIVE, ContractBook, InvestmentCommitment
from economy.markets import Market, WorldProcess
from economy.units import quarter_index, quarter_label

RATE_RISE = 0.02
"""'Rates +200bp': added to the policy rate from the next quarter on, for the rest of the path."""
DISCIPLINE_RISE = 0.2
"""'Nvidia's discipline threshold rises': added to the health an investee must show for a tranche."""
CREDIT_FACTOR = 0.5
"""'Private credit halves': its largest single loan, as a share of its cash, is multiplied by this."""
RESALE_FACTOR = 0.7
"""'GPU resale price falls 30%': the standing level of second-hand hardware prices is multiplied by this."""
CHIPMAKER = "nvidia"
PRIVATE_CREDIT = "private_credit"
MAX_RATE = 0.5  # the config's bound on a policy rate (RateStep)
MAX_QUARTERS = 200  # the config's bound on a run's length (Run.quarters)
_LABEL = re.compile(r"\d{4}Q[1-4]")


class Shock(str, Enum):
    """The shocks an instructor can apply; the value is the id used by the page and the tests."""

    DEMAND_BUST = "demand_bust"
    RATES_UP = "rates_up_200bp"
    NVIDIA_DISCIPLINE = "nvidia_discipline"
    PRIVATE_CREDIT_HALVES = "private_credit_halves"
    GPU_RESALE_FALLS = "gpu_resale_falls_30"


class ShockError(ValueError):
    """A shock that cannot apply to this run (over, or missing the company or regime it moves)."""


@dataclass(frozen=True)
class Change:
    """One lever a shock moved, for the story and for tests.

    Attributes:
        lever: What moved: ``demand_regime``, ``policy_rate``, ``health_threshold``,
            ``max_exposure_share`` or ``resale_level``.
        subject: The company or contract it belongs to ("" for the world).
        before: Its value before the shock.
        after: Its value from the next quarter on.
    """

    lever: str
    subject: str
    before: float | str
    after: float | str


@dataclass(frozen=True)
class Shocked:
    """What a shock leaves behind: the new config and world process, and what moved."""

    config: Config
    world: WorldProcess
    changes: tuple[Change, ...]


class ShockedWorld(WorldProcess):
    """The world process with the instructor's standing resale-price multiplier on top.

    Args:
        world: The (shocked) world section of the config.
        previous: The process it replaces: its origin, random stream and market carry over.
        resale_level: Multiplier on every resale price from now on (1 = no shock).
    """

    def __init__(self, world: World, previous: WorldProcess, resale_level: float = 1.0) -> None:
        """Rebuild the paths from ``world``; keep the previous process's stream and market."""
        super().__init__(world, previous.origin, previous.rng)
        self.market: Market = previous.market
        self.resale_level = resale_level

    def advance(self, q: int, utilisation: float) -> Market:
        """Move the market as usual, then hold the resale price at the shocked level."""
        market = super().advance(q, utilisation)
        market.resale_factor *= self.resale_level
        return market

    def fire_sale(self, value: float) -> float:
        """A fire sale into the shocked market fetches the shocked share of the usual proceeds."""
        proceeds = super().fire_sale(value) * self.resale_level
        self.market.resale_factor *= self.resale_level
        return proceeds


def apply_shock(shock: Shock | str, config: Config, world: WorldProcess, book: ContractBook,
                index: dict[str, int], quarter: int) -> Shocked:
    """Apply one shock to a run standing at the end of ``quarter``.

    Args:
        shock: A :class:`Shock` or its id.
        config: The run's current config (not changed; a validated copy is returned).
        world: The run's world process (not changed; a replacement is returned).
        book: The run's contract book; live commitments are changed in place (the
            Nvidia threshold), since the decision rule reads them there.
        index: Company id -> ledger holder, to find a company's contracts.
        quarter: The last quarter simulated; the shock takes effect from the next one.

    Returns:
        The shocked config and world, and the levers that moved.

    Raises:
        ShockError: If the run is over or lacks what the shock moves.
    """
    shock = Shock(shock)
    if quarter >= config.run.quarters:
        raise ShockError(f"the run is over ({config.run.quarters} quarters): reset to apply a shock")
    nxt = quarter + 1
    level = world.resale_level if isinstance(world, ShockedWorld) else 1.0
    overrides: dict[str, Any] = {}
    changes: list[Change] = []
    if shock is Shock.DEMAND_BUST:
        overrides, change = _bust(config, nxt)
        changes.append(change)
    elif shock is Shock.RATES_UP:
        overrides, change = _rates_up(config, nxt)
        changes.append(change)
    elif shock is Shock.PRIVATE_CREDIT_HALVES:
        spec = _company(config, PRIVATE_CREDIT).lender
        after = spec.max_exposure_share * CREDIT_FACTOR
        overrides[f"companies[id={PRIVATE_CREDIT}].lender.max_exposure_share"] = after
        changes.append(Change("max_exposure_share", PRIVATE_CREDIT, spec.max_exposure_share, after))
    elif shock is Shock.NVIDIA_DISCIPLINE:
        changes = _raise_thresholds(book, index, nxt)
        overrides = {f"contracts[id={c.subject}].health_threshold": c.after for c in changes}
    elif shock is Shock.GPU_RESALE_FALLS:
        changes.append(Change("resale_level", "", level, level * RESALE_FACTOR))
        level *= RESALE_FACTOR
    shocked = _validated(config, overrides, f"shock {shock.value}") if overrides else config
    if shock is Shock.NVIDIA_DISCIPLINE:  # only once the shocked config has validated
        for change in changes:
            book.by_id[change.subject].health_threshold = change.after
    return Shocked(shocked, ShockedWorld(shocked.world, world, level), tuple(changes))


def _validated(config: Config, overrides: dict[str, Any], source: str) -> Config:
    """The config with ``overrides``, validated as its file was: over a horizon that reaches every quarter it names.

    A run made shorter than its file (``AIFinanceModel(quarters=2)``, ``Config.with_run``)
    keeps the contracts and rate steps its file dates after the shortened end. They were
    valid over the file's horizon, and checking them again against the short one would
    refuse every shock on a short run. So the copy is checked with the run lengthened to
    the last quarter the config names (horizon checks only loosen with length; what the
    shock moves is checked like any value), then given back the run's own length.
    """
    run = config.run
    named = [quarter_index(x, run.start) for x in _labels(config.model_dump(mode="json", by_alias=True))]
    wide = min(MAX_QUARTERS, max([run.quarters, *named]))
    base = config if wide == run.quarters else config.with_run(quarters=wide)
    shocked = with_overrides(base, overrides, source=source)
    return shocked if wide == run.quarters else shocked.with_run(quarters=run.quarters)


def _labels(node: Any) -> list[str]:
    """Every quarter label (``2027Q1``) in plain config data."""
    if isinstance(node, str):
        return [node] if _LABEL.fullmatch(node) else []
    if isinstance(node, dict):
        node = list(node.values())
    if isinstance(node, list | tuple):
        return [x for item in node for x in _labels(item)]
    return []


def _company(config: Config, entity: str):
    """The company a shock moves, or a ShockError naming it."""
    try:
        return config.company(entity)
    except KeyError:
        raise ShockError(f"this config has no company {entity!r} for the shock to move") from None


def _bust(config: Config, nxt: int) -> tuple[dict[str, Any], Change]:
    """Demand follows the bust regime from the next quarter; later scheduled regime changes are dropped."""
    demand = config.world.demand
    if "bust" not in demand.regimes:
        raise ShockError("this config defines no 'bust' demand regime (world.demand.regimes.bust)")
    origin = config.run.start
    kept = [{"from": r.from_quarter, "regime": r.regime} for r in demand.regime_path
            if quarter_index(r.from_quarter, origin) < nxt]
    before = kept[-1]["regime"] if kept else demand.regime
    path = kept + [{"from": quarter_label(nxt, origin), "regime": "bust"}]
    return {"world.demand.regime_path": path}, Change("demand_regime", "", before, "bust")


def _rates_up(config: Config, nxt: int) -> tuple[dict[str, Any], Change]:
    """Every step of the policy-rate path that applies from the next quarter on is 200bp higher."""
    origin = config.run.start
    steps = sorted((quarter_index(s.from_quarter, origin), s.rate_annual) for s in config.world.policy_rate)
    current = steps[0][1]
    for start, rate in steps:
        if start <= nxt:
            current = rate
    path = [(start, rate) for start, rate in steps if start < nxt] + [(nxt, current)]
    path += [(start, rate) for start, rate in steps if start > nxt]
    shifted = [(start, rate if start < nxt else min(MAX_RATE, rate + RATE_RISE)) for start, rate in path]
    value = [{"from": quarter_label(start, origin), "rate_annual": round(rate, 10)} for start, rate in shifted]
    return {"world.policy_rate": value}, Change("policy_rate", "", current, round(min(MAX_RATE, current + RATE_RISE), 10))


def _raise_thresholds(book: ContractBook, index: dict[str, int], nxt: int) -> list[Change]:
    """Nvidia asks more health of an investee before each of its discretionary tranches (not yet applied)."""
    if CHIPMAKER not in index:
        raise ShockError(f"this config has no company {CHIPMAKER!r} for the shock to move")
    changes = []
    for c in book.of_kind(InvestmentCommitment):
        if c.from_party != index[CHIPMAKER] or c.binding or c.state not in LIVE or (c.end is not None and c.end < nxt):
            continue
        after = round(min(1.0, c.health_threshold + DISCIPLINE_RISE), 10)
        changes.append(Change("health_threshold", c.id, c.health_threshold, after))
    if not changes:
        raise ShockError(f"{CHIPMAKER} has no discretionary commitment left for the shock to move")
    return changes
