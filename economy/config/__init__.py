"""Configuration: YAML files parsed into typed, validated, immutable parameter objects.

A config names the starting state (companies with their balance sheets, contracts
between them), the world they live in (demand, rates, GPU prices) and the run
(start quarter, length, seed). Every mistake is reported with the file, the field
path and what would be valid, as a :class:`ConfigError`; nothing is half-loaded.

A config may start with ``base: other.yaml``: it is then an override of that file.
Mappings merge key by key; lists of companies or contracts merge by ``id`` (an entry
with ``remove: true`` drops that id); any other list, and an empty list, replaces the
base's list (``contracts: []`` leaves no contracts).

Files are read by the bounded reader of :mod:`economy.yaml_input` (regular UTF-8 files,
size, depth and alias limits, duplicate keys refused). Numbers are finite and never
booleans, in every number field (:class:`Strict`); :func:`cross_check` then checks what
spans fields: parties, shares that split one whole, amounts bounded by others, dates.

One module per purpose; everything public is imported from here (``from economy.config import Config``):

* :mod:`.errors`: :class:`ConfigError` and the wording of validation errors, for any loader.
* :mod:`.schema`: :class:`Config` and :class:`Run`, made of the sections in
  :mod:`.schema_base` (field types, :class:`Strict`), :mod:`.schema_world`,
  :mod:`.schema_companies` and :mod:`.schema_contracts`.
* :mod:`.loading`: reading YAML, ``base:`` chains, :func:`load_config`, :func:`config_from_dict`.
* :mod:`.checks`: :func:`cross_check`, what spans fields.
* :mod:`.paths`: config paths, :func:`parse_path`, :func:`set_path`, :func:`with_overrides`.
"""

from economy.config.checks import SHARE_TOL, cross_check
from economy.config.errors import ConfigError
from economy.config.loading import MAX_BASE_CHAIN, config_from_dict, load_config, merge, read_yaml
from economy.config.loading import _read_merged as _read_merged  # tests read a base: chain without validating it
from economy.config.paths import parse_path, set_path, with_overrides
from economy.config.schema import Config, Run
from economy.config.schema_base import (
    FIRST_START,
    LAST_START,
    MAX_AMOUNT,
    MIN_MAGNITUDE,
    EntityId,
    FolderName,
    Money,
    Policy,
    PositiveMoney,
    QuarterLabel,
    Rate,
    Regime,
    Role,
    Share,
    StartQuarter,
    Strict,
)
from economy.config.schema_base import _is_number_type as _is_number_type  # tests walk the schema's number fields
from economy.config.schema_companies import (
    MIN_EXTERNAL_CASH,
    ROLE_SECTION,
    BuilderParams,
    Capacity,
    ChipParams,
    Company,
    External,
    GovernmentParams,
    InvestorParams,
    LabParams,
    LenderParams,
    NonAi,
    Opening,
    ReachChange,
    Reported,
)
from economy.config.schema_contracts import (
    CONTRACT_KINDS,
    BackstopSpec,
    ComputeCreditSpec,
    ComputeSpec,
    ContractSpec,
    Covenants,
    EquityStakeSpec,
    GuaranteeSpec,
    InvestmentCommitmentSpec,
    LoanSpec,
    RevenueShareSpec,
    TrancheTrigger,
    VestingStep,
    WarrantSpec,
)
from economy.config.schema_world import (
    Bankruptcy,
    Build,
    Channels,
    Demand,
    Distress,
    GpuMarket,
    Macro,
    RateStep,
    RegimeChange,
    RegimeSpec,
    Sentiment,
    World,
)
from economy.names import check_folder_name

__all__ = [
    "CONTRACT_KINDS",
    "FIRST_START",
    "LAST_START",
    "MAX_AMOUNT",
    "MAX_BASE_CHAIN",
    "MIN_EXTERNAL_CASH",
    "MIN_MAGNITUDE",
    "ROLE_SECTION",
    "SHARE_TOL",
    "BackstopSpec",
    "Bankruptcy",
    "Build",
    "BuilderParams",
    "Capacity",
    "Channels",
    "ChipParams",
    "Company",
    "ComputeCreditSpec",
    "ComputeSpec",
    "Config",
    "ConfigError",
    "ContractSpec",
    "Covenants",
    "Demand",
    "Distress",
    "EntityId",
    "EquityStakeSpec",
    "External",
    "FolderName",
    "GovernmentParams",
    "GpuMarket",
    "GuaranteeSpec",
    "InvestmentCommitmentSpec",
    "InvestorParams",
    "LabParams",
    "LenderParams",
    "LoanSpec",
    "Macro",
    "Money",
    "NonAi",
    "Opening",
    "Policy",
    "PositiveMoney",
    "QuarterLabel",
    "Rate",
    "RateStep",
    "ReachChange",
    "Regime",
    "RegimeChange",
    "RegimeSpec",
    "Reported",
    "RevenueShareSpec",
    "Role",
    "Run",
    "Sentiment",
    "Share",
    "StartQuarter",
    "Strict",
    "TrancheTrigger",
    "VestingStep",
    "WarrantSpec",
    "World",
    "check_folder_name",
    "config_from_dict",
    "cross_check",
    "load_config",
    "merge",
    "parse_path",
    "read_yaml",
    "set_path",
    "with_overrides",
]

# The classes are public as economy.config.<name>, so they say so (as numpy's `set_module` does): an
# uncaught ConfigError still prints as economy.config.ConfigError, a pickled Config still names
# economy.config, and a walk over the schema that selects models by module finds every public one, as
# before the split into modules. Their fields were resolved where they are defined, so nothing else changes.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) and _obj.__module__.startswith(f"{__name__}."):
        _obj.__module__ = __name__
del _name, _obj
