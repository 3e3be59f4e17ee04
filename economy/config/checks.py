"""Cross-checks of a validated config: what spans fields, which no single field can check alone.

Parties exist and their roles fit, ids are unique, schedules sit inside the horizon and in
order, shares that split one whole add up to at most 1, amounts are bounded by others,
and no amount is a meaningless speck above 0 (:data:`~.schema_base.MIN_MAGNITUDE`).
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from economy.config.schema import Config
from economy.config.schema_base import MIN_MAGNITUDE
from economy.config.schema_companies import ROLE_SECTION
from economy.units import quarter_index, quarter_label


def cross_check(cfg: Config) -> list[tuple[str, str]]:
    """Checks that span fields: parties exist, roles fit, schedules in the horizon, stakes <= 100%.

    Returns:
        The problems found as ``(path, message)``; empty when the config is sound.
    """
    problems: list[tuple[str, str]] = []
    ids = {c.id: c for c in cfg.companies}
    roles = {c.id: c.role for c in cfg.companies}
    known = ", ".join(sorted(ids))
    start = cfg.run.start
    horizon_end = cfg.run.quarters

    def q(label: str) -> int:
        return quarter_index(label, start)

    first_seen: dict[str, int] = {}
    for i, c in enumerate(cfg.companies):
        where = f"companies[{i}](id={c.id})"
        if c.id in first_seen:
            problems.append((f"{where}.id",
                             f"company id {c.id!r} appears twice (also companies[{first_seen[c.id]}]); ids must be unique"))
        first_seen.setdefault(c.id, i)
        section = ROLE_SECTION[c.role]
        if getattr(c, section) is None:
            problems.append((f"{where}.{section}", f"a company with role {c.role!r} needs a '{section}' section"))
        for other in ("lender", "government", "investor", "chips"):
            if other != section and getattr(c, other) is not None:
                problems.append((f"{where}.{other}", f"only a company with that role may have a '{other}' section"))
        if c.listed and c.shares_outstanding is None:
            problems.append((f"{where}.shares_outstanding", "a listed company needs shares_outstanding (billions)"))
        lenders = (("builder.lender", c.builder and c.builder.lender), ("investor.lender", c.investor and c.investor.lender))
        for key, ref in lenders:
            if ref and roles.get(ref) != "lender":
                problems.append((f"{where}.{key}",
                                 f"{ref!r} is not a company with role 'lender'; lenders: {_ids_with(cfg, 'lender')}"))
        for j, b in enumerate(c.capacity.under_construction):
            if not 0 < q(b.complete) <= horizon_end + 40:
                problems.append((f"{where}.capacity.under_construction[{j}].complete",
                                 f"{b.complete} is outside the horizon (after {start}, within 10 years of the run's end)"))
    if sum(1 for c in cfg.companies if c.role == "government") > 1:
        problems.append(("companies", "at most one company may have role 'government'"))

    contract_ids: set[str] = set()
    loans = {c.id for c in cfg.contracts if c.kind == "loan"}
    computes = {c.id for c in cfg.contracts if c.kind == "compute"}
    stakes: dict[str, float] = {}
    for i, k in enumerate(cfg.contracts):
        where = f"contracts[{i}](id={k.id})"
        if k.id in contract_ids:
            problems.append((f"{where}.id", f"contract id {k.id!r} appears twice; ids must be unique"))
        contract_ids.add(k.id)
        parties = _parties(k)
        for field, ref in parties:
            if ref not in ids:
                problems.append((f"{where}.{field}", f"unknown company {ref!r}; known ids: {known}"))
        named = [ref for _f, ref in parties[:2]]
        if len(named) == 2 and named[0] == named[1]:
            problems.append((where, f"a contract needs two different parties; both are {named[0]!r}"))
        # schedules
        begin = getattr(k, "start", None)
        if begin is not None and q(begin) > horizon_end:
            problems.append((f"{where}.start", f"{begin} is after the run's last quarter ({_last(cfg)}); it would never start"))
        end_field, end = _end(k)
        if end is not None and begin is not None and q(end) < q(begin):
            problems.append((f"{where}.{end_field}", f"{end_field} {end} is before the start ({begin})"))
        elif end is not None and q(end) <= 0:
            problems.append((f"{where}.{end_field}",
                             f"{end_field} {end} is before the run starts ({start}); "
                             f"remove the contract or move its {end_field}"))
        if k.kind == "compute" and k.ramp_quarters > k.quarters:
            problems.append((f"{where}.ramp_quarters", f"must be <= quarters ({k.quarters}); got {k.ramp_quarters}"))
        if k.kind == "loan":
            if (k.fixed_rate_annual is None) == (k.spread_bp is None):
                problems.append((where, "give exactly one of fixed_rate_annual or spread_bp"))
            if k.collateral == "shares" and k.collateral_issuer is None:
                problems.append((f"{where}.collateral_issuer", "collateral 'shares' needs the issuer whose shares are pledged"))
            if k.collateral_issuer is not None and k.collateral_issuer not in ids:
                problems.append((f"{where}.collateral_issuer", f"unknown company {k.collateral_issuer!r}; known ids: {known}"))
            if k.lender in roles and roles[k.lender] not in ("lender", "investor", "chipmaker", "hyperscaler"):
                problems.append((f"{where}.lender", f"{k.lender!r} (role {roles[k.lender]}) cannot lend"))
        if k.kind == "equity_stake":
            stakes[k.issuer] = stakes.get(k.issuer, 0.0) + k.fraction
        if k.kind == "guarantee" and k.loan not in loans:
            problems.append((f"{where}.loan", f"unknown loan {k.loan!r}; loans: {', '.join(sorted(loans)) or 'none'}"))
        refs = ()
        if k.kind == "investment_commitment":
            refs = k.trigger.contracts
            if k.tranche > k.maximum:
                problems.append((f"{where}.tranche", f"must be <= maximum ({k.maximum}); got {k.tranche}"))
            if k.trigger.kind == "scheduled" and not k.trigger.quarters:
                problems.append((f"{where}.trigger.quarters", "a scheduled trigger needs the quarters of its tranches"))
        if k.kind == "warrant":
            refs = k.delivery_contracts
            if sum(v.share_fraction for v in k.vesting) > 1 + 1e-9:
                problems.append((f"{where}.vesting", "the share fractions of the vesting steps add up to more than 1"))
        for ref in refs:
            if ref not in computes:
                problems.append((where, f"refers to {ref!r}, which is not a compute contract in this config"))
    for issuer, total in stakes.items():
        if total > 1 + 1e-9:
            problems.append(("contracts", f"stakes in {issuer!r} add up to {total:.1%}; they cannot exceed 100%"))
    problems += _check_resolution(cfg)
    problems += _check_paths(cfg)
    problems += _check_shares(cfg)
    problems += _check_capacity(cfg)
    problems += _check_runways(cfg)
    problems += _check_capital_ratios(cfg)
    problems += _check_contract_bounds(cfg)
    return problems


SHARE_TOL = 1e-9
"""Slack on shares that must add up to at most 1 (written shares are rounded decimals)."""


def _check_resolution(node: Any, where: str = "", non_negative: bool = False) -> list[tuple[str, str]]:
    """Numbers of fields that cannot be negative are 0 or at least :data:`MIN_MAGNITUDE`, found by walking the config.

    Only those fields: they are the amounts, prices and shares the model divides by, while a
    signed field (a growth rate, a margin) may sit at a float residue like 1e-17 of a sweep's
    arithmetic near 0 harmlessly.
    """
    if isinstance(node, tuple):
        return [p for i, item in enumerate(node) for p in _check_resolution(item, f"{where}[{i}]" + _id_tag(item), non_negative)]
    if isinstance(node, dict):
        return [p for key, item in node.items() for p in _check_resolution(item, f"{where}.{key}", non_negative)]
    if not isinstance(node, BaseModel):
        if non_negative and isinstance(node, float) and 0 < node < MIN_MAGNITUDE:
            return [(where, f"{node!r} is closer to 0 than {MIN_MAGNITUDE:g}, the smallest size a number may have "
                            f"(one dollar in $B); give at least {MIN_MAGNITUDE:g}, or 0 where 0 is allowed")]
        return []
    problems = []
    for name, field in type(node).model_fields.items():
        key = field.alias or name
        problems += _check_resolution(getattr(node, name), f"{where}.{key}" if where else key, _bounded_below_by_0(field))
    return problems


def _bounded_below_by_0(field: Any) -> bool:
    """Whether a field's declared lower bound (``ge`` or ``gt``) is 0 or more."""
    bounds = list(field.metadata)
    stack = [field.annotation]
    while stack:  # bounds of an optional field sit inside Annotated[...] within the union
        ann = stack.pop()
        if typing.get_origin(ann) is typing.Annotated:
            bounds += typing.get_args(ann)[1:]
        stack += [a for a in typing.get_args(ann) if not isinstance(a, FieldInfo)]
    for b in bounds:
        for bound in [b, *getattr(b, "metadata", [])]:
            low = getattr(bound, "ge", None)
            low = getattr(bound, "gt", None) if low is None else low
            if low is not None:
                return low >= 0
    return False


def _id_tag(item: Any) -> str:
    """``(id=...)`` after a list index for entries with an id, as the field paths of other messages show them."""
    ident = getattr(item, "id", None)
    return f"(id={ident})" if isinstance(ident, str) else ""


def _check_paths(cfg: Config) -> list[tuple[str, str]]:
    """Scenario step paths: dated in order, inside the run, and the rate path giving the rate at the start."""
    start = cfg.run.start
    rates = cfg.world.policy_rate
    problems = _steps_in_order("world.policy_rate", [s.from_quarter for s in rates], cfg)
    if quarter_index(rates[0].from_quarter, start) > 0:
        problems.append(("world.policy_rate[0].from",
                         f"the first step is from {rates[0].from_quarter}, after the run starts ({start}), so the rate "
                         f"until then would be unknown; the path must give the rate at the start: date the first step "
                         f"{start} or earlier (add {{from: {start}, rate_annual: ...}})"))
    problems += _steps_in_order("world.demand.regime_path", [s.from_quarter for s in cfg.world.demand.regime_path], cfg)
    for i, c in enumerate(cfg.companies):
        if c.lab is not None:
            problems += _steps_in_order(f"companies[{i}](id={c.id}).lab.reach_path",
                                        [s.from_quarter for s in c.lab.reach_path], cfg)
    return problems


def _steps_in_order(where: str, dates: list[str], cfg: Config) -> list[tuple[str, str]]:
    """Each step of a path dated after the one before it and no later than the run's last quarter."""
    problems = []
    for j, label in enumerate(dates):
        if j and quarter_index(label, dates[j - 1]) <= 0:
            problems.append((f"{where}[{j}].from", f"{label} is not after the step before it ({dates[j - 1]}); "
                                                   "give the steps in date order, one per quarter at most"))
        if quarter_index(label, cfg.run.start) > cfg.run.quarters:
            problems.append((f"{where}[{j}].from", f"{label} is after the run's last quarter ({_last(cfg)}); "
                                                   "it would never apply: move it inside the run or drop it"))
    return problems


def _check_shares(cfg: Config) -> list[tuple[str, str]]:
    """Shares of one whole that several companies or contracts split between them add up to at most 1."""
    problems = []

    def at_most_one(where: str, what: str, parts: dict[str, float], rest: str) -> None:
        total = sum(parts.values())
        if total > 1 + SHARE_TOL:
            listed = ", ".join(f"{k} {v:g}" for k, v in parts.items() if v)
            problems.append((where, f"{what} add up to {total:.6g} ({listed}); they cannot exceed 1{rest}"))

    at_most_one("companies", "chipmakers' chips.hardware_share",
                {c.id: c.chips.hardware_share for c in cfg.companies if c.chips},
                " (each is a slice of builders' hardware spend; the rest goes to outside suppliers)")
    at_most_one("companies", "builders' builder.spot_share",
                {c.id: c.builder.spot_share for c in cfg.companies if c.builder},
                " (each is a slice of world.gpu.spot_demand_gw)")
    at_most_one("companies", "labs' lab.market_share with world.demand.others_share",
                {**{c.id: c.lab.market_share for c in cfg.companies if c.lab}, "others_share": cfg.world.demand.others_share},
                " (each is a slice of world.demand.initial_annual)")
    paid: dict[str, dict[str, float]] = {}
    for k in cfg.contracts:
        if k.kind == "revenue_share":
            paid.setdefault(k.payer, {})[k.id] = k.share
    for payer, parts in paid.items():
        at_most_one("contracts", f"revenue shares paid by {payer!r}", parts, " (of its AI revenue)")
    return problems


def _check_capacity(cfg: Config) -> list[tuple[str, str]]:
    """Opening capacity the model can take as given: hardware with a book and GW, builds not overpaid."""
    world = cfg.world
    problems = []
    for i, c in enumerate(cfg.companies):
        where = f"companies[{i}](id={c.id}).capacity"
        cap = c.capacity
        hardware_gw = cap.gw if cap.hardware_gw is None else cap.hardware_gw
        if cap.hardware_book > 0 and hardware_gw <= 0:
            problems.append((f"{where}.hardware_book", f"{cap.hardware_book:g} of hardware but no hardware GW (gw / hardware_gw "
                                                       "is 0): give the GW it is, or a hardware_book of 0"))
        if hardware_gw > 0 and cap.hardware_age_quarters >= world.hardware_life_quarters:
            problems.append((f"{where}.hardware_age_quarters",
                             f"{cap.hardware_age_quarters} quarters old, but hardware is retired at "
                             f"world.hardware_life_quarters ({world.hardware_life_quarters}); give a younger average age"))
        for j, b in enumerate(cap.under_construction):
            shell_cost = b.gw * world.capex_per_gw * (1 - world.hardware_share)
            if b.spent > shell_cost * (1 + 1e-9):
                problems.append((f"{where}.under_construction[{j}].spent",
                                 f"{b.spent:g} spent, more than the build's shell cost ({shell_cost:.6g} = gw {b.gw:g} x "
                                 f"capex_per_gw {world.capex_per_gw:g} x (1 - hardware_share {world.hardware_share:g})); "
                                 f"spent is shell cost already paid: give at most {shell_cost:.6g}"))
    return problems


def _check_runways(cfg: Config) -> list[tuple[str, str]]:
    """A lab's minimum runway is at most its target (it raises below the minimum, up to the target)."""
    return [(f"companies[{i}](id={c.id}).lab.min_runway_quarters",
             f"{c.lab.min_runway_quarters:g} is above target_runway_quarters ({c.lab.target_runway_quarters:g}); "
             "a lab raises when runway falls below the minimum, up to the target: give min <= target")
            for i, c in enumerate(cfg.companies)
            if c.lab is not None and c.lab.min_runway_quarters > c.lab.target_runway_quarters]


def _check_capital_ratios(cfg: Config) -> list[tuple[str, str]]:
    """A lender's capital floor is at most its target (it lends less between them, nothing below the floor)."""
    return [(f"companies[{i}](id={c.id}).lender.min_capital_ratio",
             f"{c.lender.min_capital_ratio:g} is above target_capital_ratio ({c.lender.target_capital_ratio:g}); "
             "a lender lends less as its capital falls from the target to the floor: give min <= target")
            for i, c in enumerate(cfg.companies)
            if c.lender is not None and c.lender.min_capital_ratio > c.lender.target_capital_ratio]


def _check_contract_bounds(cfg: Config) -> list[tuple[str, str]]:
    """A contract's amounts, dates and references bounded by others in the same entry or by its parties."""
    problems = []
    ids = {c.id: c for c in cfg.companies}
    for i, k in enumerate(cfg.contracts):
        where = f"contracts[{i}](id={k.id})"
        if k.kind == "compute" and k.delivered_value > k.total_value * (1 + 1e-9):
            problems.append((f"{where}.delivered_value",
                             f"{k.delivered_value:g} delivered of a total_value of {k.total_value:g}; "
                             "give at most the total (backlog = total_value - delivered_value)"))
        if k.kind == "investment_commitment" and k.trigger.kind == "gw_delivered" and not k.trigger.contracts:
            problems.append((f"{where}.trigger.contracts", "a gw_delivered trigger needs the compute contracts whose GW "
                                                           "it counts; with none its tranches would never come due"))
        if k.kind == "warrant" and k.issuer in ids and ids[k.issuer].shares_outstanding is not None \
                and k.shares > ids[k.issuer].shares_outstanding:
            problems.append((f"{where}.shares", f"{k.shares:g} billion shares, more than {k.issuer!r} has outstanding "
                                                f"({ids[k.issuer].shares_outstanding:g}); give at most that"))
        tied_to = getattr(k, "tied_to", None)
        if tied_to is not None and tied_to in ids and ids[tied_to].lab is None:
            problems.append((f"{where}.tied_to", f"{tied_to!r} has no 'lab' block; tied_to names the lab the contract "
                                                 f"serves: {', '.join(c.id for c in cfg.companies if c.lab) or 'none'}"))
        if k.kind == "loan" and k.interest_only_until is not None and quarter_index(k.interest_only_until, k.maturity) > 0:
            problems.append((f"{where}.interest_only_until", f"{k.interest_only_until} is after the maturity ({k.maturity}); "
                                                             "give a quarter at or before the maturity"))
    return problems


def _ids_with(cfg: Config, role: str) -> str:
    return ", ".join(c.id for c in cfg.companies if c.role == role) or "none"


def _last(cfg: Config) -> str:
    return quarter_label(cfg.run.quarters, cfg.run.start)


def _parties(k: Any) -> list[tuple[str, str]]:
    fields = {
        "compute": ("buyer", "seller"),
        "revenue_share": ("payer", "payee"),
        "equity_stake": ("holder", "issuer"),
        "investment_commitment": ("investor", "investee"),
        "compute_credit": ("issuer", "holder"),
        "warrant": ("issuer", "holder"),
        "loan": ("lender", "borrower"),
        "backstop": ("guarantor", "beneficiary"),
        "guarantee": ("guarantor",),
    }[k.kind]
    out = [(f, getattr(k, f)) for f in fields]
    if k.kind == "compute" and k.tied_to:
        out.append(("tied_to", k.tied_to))
    if k.kind == "loan" and k.tied_to:
        out.append(("tied_to", k.tied_to))
    return out


def _end(k: Any) -> tuple[str, str | None]:
    """The field that ends a contract and the quarter it names (None if open-ended)."""
    if k.kind == "compute":
        return "quarters", _shift(k.start, k.quarters - 1)  # the last quarter of delivery
    for field in ("end", "maturity", "expires"):
        if getattr(k, field, None) is not None:
            return field, getattr(k, field)
    return "end", None


def _shift(label: str, n: int) -> str:
    return quarter_label(n, label)
