"""Sweep specs: a YAML file saying which runs a study makes, validated like a config.

A spec names a base config (or several scenarios), the parameters to vary (each by its
path in the config, with a list of values, a range or a distribution), a sampler, the
replications per point, and what to keep from each run::

    name: demand_rates_grid
    base: ../baseline.yaml            # relative to this file; or {name: file, ...} for scenarios
    quarters: 16                      # optional: shorter runs than the config's
    seed: 2026                        # the sweep's seed; each run's seed derives from it
    replications: 20
    sampler: {kind: grid}             # grid | random | latin | sobol | morris
    parameters:
      demand_growth:                  # the column name in the results
        path: world.demand.regimes.steady.growth_annual
        range: [0.15, 0.95]
        steps: 9
      rate_shift:
        path: [world.policy_rate[0].rate_annual, world.policy_rate[1].rate_annual]
        mode: shift                   # add to the config's value (scale multiplies it)
        values: [-0.02, 0.0, 0.02]
    outputs: {timeseries: true}

Every mistake (YAML syntax, an unknown or misspelt field, a wrong type, a path that is
not in the config, a value the config would refuse) is reported as a
:class:`~economy.config.ConfigError` naming the spec file, the field path and what
would be valid; nothing is run or written.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
import typing
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from economy.config import Config, ConfigError, load_config, parse_path, read_yaml, set_path, with_overrides
from economy.config.errors import describe_error, format_problems
from economy.names import check_folder_name

Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="letters, digits and _, not starting with a digit")]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]

#: Columns every stored row has besides the parameters and the metrics.
ID_COLUMNS = ("run_id", "scenario", "point_id", "replication", "seed", "status", "error")
#: Balance-sheet columns kept per quarter for ``outputs.entities`` unless the spec lists others.
DEFAULT_ENTITY_COLUMNS = ("status", "cash", "debt", "equity", "market_value", "revenue", "net_income", "capacity_gw")
#: Quantiles at which a distribution is checked against the config before anything runs.
CHECK_QUANTILES = (0.001, 0.5, 0.999)
#: Unit-interval positions are kept this far from 0 and 1 before an unbounded inverse CDF.
UNIT_CLIP = 1e-6
#: Most replications per point a spec may ask for (the study's size is limited separately: economy.sweep.plan).
MAX_REPLICATIONS = 10_000_000


class SpecError(ConfigError):
    """A sweep spec that cannot be used; ``str()`` is the message for the user (a :class:`ConfigError`)."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        """Collect problems as ``(field path, what is wrong and what would be valid)``."""
        super().__init__(source, problems)
        self.args = (format_problems(source, problems, "sweep spec"),)


class _Strict(BaseModel):
    """Base of the spec objects: unknown keys rejected, values immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------------------- distributions
class Uniform(_Strict):
    """Uniform between ``low`` and ``high``."""

    kind: Literal["uniform"]
    low: Finite
    high: Finite

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be < high ({self.high})")
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values at unit-interval positions ``u`` (the inverse CDF)."""
        return self.low + np.asarray(u, dtype=float) * (self.high - self.low)


class Normal(_Strict):
    """Normal with ``mean`` and ``sd``, optionally truncated to ``[low, high]``."""

    kind: Literal["normal"]
    mean: Finite
    sd: Positive
    low: Finite | None = None
    high: Finite | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Normal:
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be < high ({self.high})")
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values at unit-interval positions ``u`` (the inverse CDF)."""
        from scipy import stats

        a = -np.inf if self.low is None else (self.low - self.mean) / self.sd
        b = np.inf if self.high is None else (self.high - self.mean) / self.sd
        return stats.truncnorm(a, b, loc=self.mean, scale=self.sd).ppf(_clip(u))


class LogNormal(_Strict):
    """Log-normal with the given ``median`` and ``sigma`` (the sd of the log)."""

    kind: Literal["lognormal"]
    median: Positive
    sigma: Positive

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values at unit-interval positions ``u`` (the inverse CDF)."""
        from scipy import stats

        return stats.lognorm(s=self.sigma, scale=self.median).ppf(_clip(u))


class Triangular(_Strict):
    """Triangular between ``low`` and ``high`` with its peak at ``mode``."""

    kind: Literal["triangular"]
    low: Finite
    mode: Finite
    high: Finite

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(f"need low <= mode <= high with low < high; got {self.low}, {self.mode}, {self.high}")
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values at unit-interval positions ``u`` (the inverse CDF)."""
        from scipy import stats

        width = self.high - self.low
        return stats.triang((self.mode - self.low) / width, loc=self.low, scale=width).ppf(np.asarray(u, dtype=float))


Distribution = Annotated[Uniform | Normal | LogNormal | Triangular, Field(discriminator="kind")]
DISTRIBUTION_KINDS = ("uniform", "normal", "lognormal", "triangular")


def _clip(u: np.ndarray) -> np.ndarray:
    # Morris levels and Sobol points can sit exactly on 0 or 1, where an unbounded
    # inverse CDF is infinite; a hair inside keeps every sampled value finite.
    return np.clip(np.asarray(u, dtype=float), UNIT_CLIP, 1 - UNIT_CLIP)


# ---------------------------------------------------------------------------- parameters
def _is_scalar(value: Any) -> bool:
    return isinstance(value, (bool, int, float, str)) and not (isinstance(value, float) and not math.isfinite(value))


class Parameter(_Strict):
    """One varied parameter: the config path(s) it sets and the values it takes.

    Give exactly one of ``values`` (a list, or a mapping label: value for values that
    are lists or mappings), ``range`` (``[low, high]``; a grid also needs ``steps``) or
    ``distribution``. ``mode: scale`` multiplies the config's value by the sampled
    number, ``mode: shift`` adds it; the default ``set`` replaces it. Several paths
    receive the same value (or the same factor or shift).
    """

    path: tuple[str, ...] = Field(min_length=1)
    values: Any = None
    range: tuple[Finite, Finite] | None = None
    steps: Annotated[int, Field(ge=2, le=100_000)] | None = None
    distribution: Distribution | None = None
    mode: Literal["set", "scale", "shift"] = "set"

    @field_validator("path", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("path")
    @classmethod
    def _parses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for p in value:
            parse_path(p)  # raises ValueError with the expected form
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Parameter:
        given = [k for k in ("values", "range", "distribution") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of values, range or distribution; got {', '.join(given) or 'none'}")
        if self.steps is not None and self.range is None:
            raise ValueError("steps goes with range (the number of evenly spaced values a grid takes between low and high)")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"range must be [low, high] with low < high; got {list(self.range)}")
        if self.values is not None:
            _check_values(self.values, self.mode)
        return self

    @property
    def kind(self) -> str:
        """``values``, ``range`` or ``distribution``."""
        return "values" if self.values is not None else "range" if self.range is not None else "distribution"

    @property
    def labelled(self) -> bool:
        """Whether the values are given as a mapping label: value (the column then holds the label)."""
        return isinstance(self.values, dict)

    @property
    def choices(self) -> list[Any]:
        """The column values of a ``values`` parameter, in order (labels for a mapping)."""
        return list(self.values) if self.values is not None else []

    def value_of(self, column_value: Any) -> Any:
        """The value given to the config for a stored column value (a label maps to its value)."""
        return copy.deepcopy(self.values[column_value]) if self.labelled else column_value


def _check_values(values: Any, mode: str) -> None:
    if isinstance(values, dict):
        if not values:
            raise ValueError("values must not be empty")
        if mode != "set":
            raise ValueError(f"mode {mode!r} needs numbers; labelled values only work with mode 'set'")
        for label in values:
            if not isinstance(label, str):
                raise ValueError(f"labels of values must be text; got {label!r}")
        return
    if not isinstance(values, list) or not values:
        raise ValueError("values must be a non-empty list, or a mapping label: value")
    for v in values:
        if v is None or isinstance(v, (list, dict)):
            raise ValueError(f"value {v!r} is not a number, text or true/false; to use lists, mappings or null, "
                             "write values as a mapping label: value")
        if not _is_scalar(v):
            raise ValueError(f"value {v!r} is not a finite number, text or true/false")
    kinds = {_kind(v) for v in values}
    if len(kinds) > 1:
        raise ValueError(f"values mix {', '.join(sorted(kinds))}; use one kind, or a mapping label: value")
    if mode != "set" and kinds != {"number"}:
        raise ValueError(f"mode {mode!r} needs numbers; got {values!r}")


def _kind(v: Any) -> str:
    return "true/false" if isinstance(v, bool) else "text" if isinstance(v, str) else "number"


# ---------------------------------------------------------------------------- samplers
class Grid(_Strict):
    """Every combination of the parameters' values (a range needs ``steps``)."""

    kind: Literal["grid"]


class RandomSampler(_Strict):
    """``samples`` independent uniform draws in the unit cube, mapped to each parameter."""

    kind: Literal["random"]
    samples: Annotated[int, Field(ge=1, le=10_000_000)]


class Latin(_Strict):
    """A Latin hypercube of ``samples`` points (scipy.stats.qmc.LatinHypercube)."""

    kind: Literal["latin"]
    samples: Annotated[int, Field(ge=1, le=10_000_000)]


class Sobol(_Strict):
    """Saltelli's scheme for Sobol indices (SALib): ``samples`` x (D + 2) points, or x (2D + 2) with second order."""

    kind: Literal["sobol"]
    samples: Annotated[int, Field(ge=2, le=2**22)]
    second_order: bool = False

    @field_validator("samples")
    @classmethod
    def _power_of_two(cls, n: int) -> int:
        if n & (n - 1):
            lower = 1 << (n.bit_length() - 1)
            raise ValueError(f"must be a power of 2 (the Sobol' sequence's balance needs it), "
                             f"e.g. {lower} or {lower * 2}; got {n}")
        return n


class Morris(_Strict):
    """Morris elementary-effects screening (SALib): ``trajectories`` x (D + 1) points on ``levels`` levels."""

    kind: Literal["morris"]
    trajectories: Annotated[int, Field(ge=2, le=100_000)]
    levels: Annotated[int, Field(ge=2, le=100)] = 4


Sampler = Annotated[Grid | RandomSampler | Latin | Sobol | Morris, Field(discriminator="kind")]
SAMPLER_KINDS = ("grid", "random", "latin", "sobol", "morris")


# ---------------------------------------------------------------------------- outputs, report, spec
class Outputs(_Strict):
    """What each run keeps besides its summary metrics (always kept)."""

    timeseries: bool = False
    entities: tuple[str, ...] = ()
    entity_columns: tuple[str, ...] = DEFAULT_ENTITY_COLUMNS
    lab: str | None = None

    @field_validator("entity_columns")
    @classmethod
    def _known_columns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from economy.records import BALANCE_SHEET_COLUMNS

        unknown = [c for c in value if c not in BALANCE_SHEET_COLUMNS]
        if unknown:
            valid = ", ".join(BALANCE_SHEET_COLUMNS[4:])
            raise ValueError(f"unknown balance-sheet column(s) {', '.join(unknown)}; valid: {valid}")
        return value


class Report(_Strict):
    """What ``run.py analyze`` focuses on (all optional)."""

    metrics: tuple[str, ...] = ()
    heatmap: tuple[str, str] | None = None
    timeseries: tuple[str, ...] = ()


class SweepSpec(_Strict):
    """A whole study: the base, the parameters and their sampler, replications, seeds, outputs."""

    name: str
    description: str = ""
    base: Any
    quarters: Annotated[int, Field(ge=1, le=200)] | None = None
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0
    seeds: Literal["per_run", "common", "replication"] = "per_run"
    replications: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] = 1
    sampler: Sampler = Grid(kind="grid")
    parameters: dict[Name, Parameter] = {}
    fixed: dict[str, Any] = {}
    outputs: Outputs = Outputs()
    report: Report = Report()

    @field_validator("name", mode="before")
    @classmethod
    def _folder_name(cls, value: Any) -> str:
        # The name becomes the default output folder: one plain folder name, never a path.
        return check_folder_name(value)

    @property
    def names(self) -> list[str]:
        """Parameter names (the result columns), in spec order."""
        return list(self.parameters)


# ---------------------------------------------------------------------------- a loaded study
@dataclass(frozen=True)
class Study:
    """A validated spec with its base configs loaded: everything a sweep needs to run.

    Attributes:
        spec: The validated spec.
        source: Where it came from (the spec file, or ``compare`` for a comparison).
        text: The spec's text as written (kept in the manifest).
        scenarios: Scenario name to base config; the single key ``base`` when the spec names one file.
        scenario_files: Scenario name to the config file it was read from.
        integer: Parameter name to whether the config fields it sets hold whole numbers.
        lab: The lab whose burn and first profitable year are kept.
    """

    spec: SweepSpec
    source: str
    text: str
    scenarios: dict[str, Config]
    scenario_files: dict[str, str]
    integer: dict[str, bool] = field(default_factory=dict)
    lab: str = "openai"
    _raws: dict[str, dict] = field(default_factory=dict, compare=False, repr=False)

    @property
    def has_scenarios(self) -> bool:
        """Whether the spec crosses the design with several named base configs."""
        return list(self.scenarios) != ["base"]

    def overrides(self, scenario: str, params: dict[str, Any]) -> dict[str, Any]:
        """The config changes of one run: the spec's ``fixed`` values, then each parameter's."""
        raw = self._raws.get(scenario)
        if raw is None:  # built once per scenario per process: the plain form of a config is costly
            raw = self._raws[scenario] = base_raw(self.scenarios[scenario], self.spec.fixed)
        out = dict(self.spec.fixed)
        for name, value in params.items():
            out.update(parameter_overrides(self.spec.parameters[name], value, raw, self.integer.get(name, False)))
        return out


def base_raw(cfg: Config, fixed: dict[str, Any]) -> dict:
    """A base config as plain data with the spec's ``fixed`` values set (scale and shift read base values from it).

    Optional fields left empty stay in, as ``None``, so a path to one exists.
    """
    raw = cfg.model_dump(mode="json", by_alias=True)
    for path, value in fixed.items():
        set_path(raw, path, copy.deepcopy(value))
    return raw


def get_path(raw: Any, path: str) -> Any:
    """The value at a config path in plain config data (lists by index or ``[id=...]``).

    Raises:
        KeyError: With a message naming the step that is missing.
    """
    node = raw
    for step in parse_path(path):
        if isinstance(step, tuple):
            items = node if isinstance(node, list) else []
            match = [item for item in items if isinstance(item, dict) and item.get("id") == step[1]]
            if not match:
                raise KeyError(f"no entry with id {step[1]!r}")
            node = match[0]
        elif isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                raise KeyError(f"index {step} is outside the list")
            node = node[step]
        else:
            if not isinstance(node, dict) or step not in node:
                raise KeyError(f"no field {step!r}")
            node = node[step]
    return node


def parameter_overrides(param: Parameter, column_value: Any, raw: dict, integer: bool) -> dict[str, Any]:
    """The config changes one parameter value makes: ``{path: value}`` for each of its paths.

    Args:
        param: The parameter.
        column_value: Its value as stored in the results (a label, a number, a factor, a shift).
        raw: The base config as plain data (scale and shift read the base value from it).
        integer: Whether the fields hold whole numbers (the result is then rounded).
    """
    out: dict[str, Any] = {}
    for path in param.path:
        if param.mode == "set":
            value = param.value_of(column_value)
        else:
            base = get_path(raw, path)
            value = base * column_value if param.mode == "scale" else base + column_value
        if integer and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = int(round(value))
        elif isinstance(value, np.generic):
            value = value.item()
        out[path] = value
    return out


# ---------------------------------------------------------------------------- loading
def load_study(path: str | Path, metric_names: Collection[str] = ()) -> Study:
    """Read and validate a sweep spec and load its base configs.

    Args:
        path: The spec file.
        metric_names: The metric columns every run keeps (``StudyKit.metric_names``): a
            parameter may not take one of their names. Without them only the id columns
            are checked here; the row builder still refuses a clash when the runs are made.

    Raises:
        ConfigError: With every problem found, each with its field path.
    """
    path = Path(path)
    raw, text = read_yaml(path, SpecError)
    return study_from_dict(raw, str(path), path.parent, text, metric_names)


def study_from_dict(raw: Any, source: str, folder: Path, text: str = "", metric_names: Collection[str] = ()) -> Study:
    """Validate a spec given as plain data; relative ``base`` paths are taken from ``folder`` (see :func:`load_study`)."""
    if not isinstance(raw, dict):
        raise SpecError(source, [("", f"a sweep spec is a mapping of fields ({', '.join(SweepSpec.model_fields)}); "
                                        f"got {type(raw).__name__}")])
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as err:
        raise SpecError(source, [_describe(e) for e in err.errors()]) from None
    problems = cross_check(spec, metric_names)
    files, scenario_problems = _scenario_files(spec.base, folder)
    problems += scenario_problems
    scenarios: dict[str, Config] = {}
    for name, file in files.items():
        where = "base" if name == "base" else f"base.{name}"
        try:
            # The run length is applied by the model after the overrides (as run.py run --quarters
            # does), so contracts starting after a shortened horizon stay valid.
            cfg = load_config(file)
        except ConfigError as err:
            problems.append((where, f"the config {file} is not valid:\n      " + str(err).replace("\n", "\n      ")))
            continue
        scenarios[name] = cfg
    if problems and not scenarios:
        raise SpecError(source, problems)
    integer: dict[str, bool] = {}
    problems += _check_against_configs(spec, scenarios, integer)
    lab, lab_problems = _choose_lab(spec, scenarios)
    problems += lab_problems
    if problems:
        raise SpecError(source, problems)
    return Study(spec=spec, source=source, text=text, scenarios=scenarios,
                 scenario_files={k: str(v) for k, v in files.items()}, integer=integer, lab=lab)


def cross_check(spec: SweepSpec, metric_names: Collection[str] = ()) -> list[tuple[str, str]]:
    """Checks that span fields: the sampler fits the parameters, names are free, the report names parameters.

    A parameter's name is free if it is neither an id column nor one of ``metric_names``.
    """
    problems: list[tuple[str, str]] = []
    kind = spec.sampler.kind
    for name, p in spec.parameters.items():
        where = f"parameters.{name}"
        if name in ID_COLUMNS or name in metric_names:
            problems.append((where, f"{name!r} is the name of a result column; choose another parameter name"))
        if kind == "grid":
            if p.distribution is not None:
                problems.append((f"{where}.distribution", "a grid needs values, or a range with steps; "
                                                          "distributions go with random, latin, sobol or morris samplers"))
            elif p.range is not None and p.steps is None:
                problems.append((f"{where}.steps", "a grid needs the number of steps for a range (e.g. steps: 5)"))
        elif p.steps is not None:
            problems.append((f"{where}.steps", f"steps only applies to a grid; the {kind} sampler draws from the range"))
    if kind in ("sobol", "morris") and not spec.parameters:
        problems.append(("parameters", f"the {kind} sampler needs at least one parameter"))
    if spec.report.heatmap:
        for axis, name in zip(("x", "y"), spec.report.heatmap, strict=True):
            if name not in spec.parameters:
                known = ", ".join(spec.parameters) or "none"
                problems.append((f"report.heatmap ({axis})", f"{name!r} is not a parameter; parameters: {known}"))
    for path in spec.fixed:
        try:
            parse_path(path)
        except ValueError as err:
            problems.append((f"fixed.{path}", str(err)))
    for path in _all_paths(spec):
        if path.split(".")[0].split("[")[0] == "run":
            problems.append((path, "run settings are set by the sweep (seed per run; quarters: at the top of the spec)"))
    return problems


def _all_paths(spec: SweepSpec) -> list[str]:
    return list(spec.fixed) + [p for param in spec.parameters.values() for p in param.path]


def _scenario_files(base: Any, folder: Path) -> tuple[dict[str, Path], list[tuple[str, str]]]:
    """The base config file(s): one file, or a mapping scenario name: file."""
    single = isinstance(base, str)
    if not single and not (isinstance(base, dict) and base):
        return {}, [("base", "give the base config file (relative to this spec), or a mapping scenario name: config file; "
                             f"got {base!r}")]
    files: dict[str, Path] = {}
    problems = []
    for name, file in ({"base": base} if single else base).items():
        where = "base" if single else f"base.{name}"
        if not single and not (isinstance(name, str) and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name)):
            problems.append((where, f"scenario names are letters, digits, _ and -; got {name!r}"))
            continue
        if not single and name == "base":
            problems.append((where, "'base' is reserved; name the scenario otherwise"))
            continue
        if not isinstance(file, str):
            problems.append((where, f"must be the path of a config file; got {file!r}"))
            continue
        p = Path(file) if Path(file).is_absolute() else folder / file
        if not p.exists():  # anything else (a folder, a pipe) is explained by the config reader, which never blocks
            problems.append((where, f"{file!r} not found (looked for {p}); give a config file path relative to the spec"))
            continue
        files[name] = p
    return files, problems


def _check_against_configs(spec: SweepSpec, scenarios: dict[str, Config], integer: dict[str, bool]) -> list[tuple[str, str]]:
    """Every path exists and representative values are valid in every base config (each parameter alone)."""
    problems: list[tuple[str, str]] = []
    for scenario, cfg in scenarios.items():
        at = "" if scenario == "base" else f" (in scenario {scenario})"
        try:
            fixed_cfg = with_overrides(cfg, dict(spec.fixed), "fixed") if spec.fixed else cfg
        except ConfigError as err:
            problems += [(f"fixed.{p}" if p else "fixed", m + at) for p, m in err.problems]
            continue
        raw = base_raw(cfg, spec.fixed)
        for name, param in spec.parameters.items():
            where = f"parameters.{name}"
            found = []
            for path in param.path:
                try:
                    found.append(get_path(raw, path))
                except KeyError as err:
                    problems.append((f"{where}.path", f"{path}: {err.args[0]}{at}; {_path_hint(raw, path)}"))
            if len(found) != len(param.path):
                continue
            numeric = [isinstance(v, (int, float)) and not isinstance(v, bool) for v in found]
            if param.mode != "set" and not all(numeric):
                problems.append((f"{where}.mode", f"mode {param.mode!r} needs numbers at every path; "
                                                  f"{list(param.path)} hold {found!r}{at}"))
                continue
            is_int = all(isinstance(v, int) and not isinstance(v, bool) for v in found)
            integer[name] = integer.get(name, True) and is_int
            for value in representative_values(param):
                try:
                    ov = parameter_overrides(param, value, raw, is_int)
                    with_overrides(fixed_cfg, ov, "check")
                except ConfigError as err:
                    shown = f"label {value!r}" if param.labelled else repr(_plain(value))
                    problems += [(where, f"value {shown} is not valid{at}: {p}: {m}") for p, m in err.problems]
                    break
    return problems


def representative_values(param: Parameter) -> list[Any]:
    """The column values checked against the config before a sweep: every listed value, a range's ends, a distribution's tails."""
    if param.values is not None:
        return param.choices
    if param.range is not None:
        return list(param.range)
    return [float(v) for v in param.distribution.ppf(np.array(CHECK_QUANTILES))]


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _path_hint(raw: dict, path: str) -> str:
    """Which keys exist where a path stops matching, with a did-you-mean."""
    node: Any = raw
    for step in parse_path(path):
        if isinstance(step, str) and isinstance(node, dict):
            if step not in node:
                keys = sorted(map(str, node))
                close = difflib.get_close_matches(step, keys, n=1)
                return ("did you mean " + repr(close[0]) + "? " if close else "") + "fields there: " + ", ".join(keys)
            node = node[step]
        elif isinstance(step, tuple) and isinstance(node, list):
            ids = [str(i.get("id")) for i in node if isinstance(i, dict)]
            if step[1] not in ids:
                close = difflib.get_close_matches(step[1], ids, n=1)
                return ("did you mean " + repr(close[0]) + "? " if close else "") + "ids there: " + ", ".join(ids)
            node = next(i for i in node if isinstance(i, dict) and i.get("id") == step[1])
        elif isinstance(step, int) and isinstance(node, list):
            if step >= len(node):
                return f"the list has {len(node)} entries (index from 0)"
            node = node[step]
        else:
            return "that part of the config is not a mapping or list"
    return "see configs/README.md for the fields"


def _choose_lab(spec: SweepSpec, scenarios: dict[str, Config]) -> tuple[str, list[tuple[str, str]]]:
    """The lab whose figures the metrics keep: the spec's, else ``openai`` if every scenario has it, else the first lab."""
    labs = {name: [c.id for c in cfg.companies if c.role == "lab"] for name, cfg in scenarios.items()}
    ids = {name: {c.id for c in cfg.companies} for name, cfg in scenarios.items()}
    problems = []
    lab = spec.outputs.lab
    if lab is None:
        common = set.intersection(*(set(v) for v in labs.values())) if labs else set()
        first = next(iter(labs.values()), [])
        lab = "openai" if "openai" in common else next((x for x in first if x in common), first[0] if first else "openai")
    for name, found in labs.items():
        at = "" if name == "base" else f" in scenario {name}"
        if spec.outputs.lab is not None and lab not in found:
            problems.append(("outputs.lab", f"{lab!r} is not a lab{at}; labs: {', '.join(found) or 'none'}"))
        for entity in spec.outputs.entities:
            if entity not in ids[name]:
                problems.append(("outputs.entities", f"unknown company {entity!r}{at}; ids: {', '.join(sorted(ids[name]))}"))
    return lab, problems


# ---------------------------------------------------------------------------- error messages
def _describe(error: dict[str, Any]) -> tuple[str, str]:
    """Turn one pydantic error into ``(path, message)`` with a readable path and what would be valid (worded as for configs)."""
    return describe_error(error, is_tag=_is_union_tag, allowed_fields=_allowed_fields, kinds=_kinds,
                          input_of_value_errors=False)


def _is_union_tag(loc: tuple, i: int) -> bool:
    """Whether step ``i`` of ``loc`` is pydantic's union tag for a sampler or distribution (the kind is in the data)."""
    prev = loc[i - 1] if i else None
    return prev == "sampler" and loc[i] in SAMPLER_KINDS or prev == "distribution" and loc[i] in DISTRIBUTION_KINDS


def _kinds(loc: tuple) -> tuple[str, ...]:
    """The valid kinds of the union at ``loc``: a sampler's or a distribution's."""
    return SAMPLER_KINDS if loc[-1] == "sampler" else DISTRIBUTION_KINDS


def _allowed_fields(loc: tuple | list) -> list[str]:
    """The field names the spec accepts at a location (empty if unknown)."""
    model: Any = SweepSpec
    for i, part in enumerate(loc):
        prev = loc[i - 1] if i else None
        if prev == "parameters":
            continue  # a parameter's name; the model is Parameter already
        if prev in ("sampler", "distribution") and isinstance(part, str) and model is None:
            union = Sampler if prev == "sampler" else Distribution
            kinds = typing.get_args(typing.get_args(union)[0])
            model = next(m for m in kinds if typing.get_args(m.model_fields["kind"].annotation) == (part,))
            continue
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            return []
        model = _inner_model(fields[part].annotation)
    return list(getattr(model, "model_fields", {})) if model is not None else []


def _inner_model(annotation: Any) -> Any:
    """The spec model inside Optional / Annotated / dict annotations; None for unions and plain types."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = typing.get_args(annotation)
    if sum(isinstance(a, type) and issubclass(a, BaseModel) for a in args) > 1:
        return None  # a union of kinds (sampler, distribution): the kind in the location picks the model
    for a in args:
        if a is type(None):
            continue
        inner = _inner_model(a)
        if inner is not None:
            return inner
    return None
