"""The building blocks of the config schema: bounds, field types and the :class:`Strict` base.

Every parameter object derives from :class:`Strict`: unknown keys rejected, values
immutable, numbers finite and never booleans. The field types here (quarter labels,
amounts, shares, rates, ids) carry the bounds every section uses.
"""

from __future__ import annotations

import functools
import types
import typing
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from economy.names import check_folder_name
from economy.units import MONEY_ABS_TOL, quarter_index

MAX_AMOUNT = 1e9
"""Largest amount ($B) or capacity (GW) a config may give: a million times world GDP.

Bounded so that sums and products of configured amounts (balance sheets, valuations at a
multiple, a run's cumulative flows) stay far inside the range of floating point."""

MIN_MAGNITUDE = MONEY_ABS_TOL
"""Smallest size of a number other than 0 (1e-9: one dollar in $B, the money tolerance).

A positive number far below it (a subnormal like 1e-312) means nothing in any unit here,
and dividing by it overflows: a lab whose revenue is 1e-312 would be valued at an infinite
multiple. So a number is 0 or at least this in size."""

FIRST_START, LAST_START = "1900Q1", "2200Q4"
"""The range of ``run.start``. Quarter labels have four-digit years (``2026Q1``) in every
table and file the program writes and reads; from a start in this range, every quarter
a run can label (its 200 quarters at most, plus contracts signed in it that end up to
~25 years later) keeps four digits."""

QuarterLabel = Annotated[str, Field(pattern=r"^\d{4}Q[1-4]$", description="a quarter label like 2026Q1")]
Money = Annotated[float, Field(ge=0, le=MAX_AMOUNT)]
PositiveMoney = Annotated[float, Field(gt=0, le=MAX_AMOUNT)]
Share = Annotated[float, Field(ge=0, le=1)]
Rate = Annotated[float, Field(gt=-1, lt=10)]
EntityId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", description="lower-case id: letters, digits, _")]

Role = Literal["lab", "chipmaker", "hyperscaler", "neocloud", "investor", "lender", "government"]
Regime = Literal["boom", "steady", "stall", "bust"]
Policy = Literal["none", "discretionary", "backstop", "ex_ante"]


def _start_in_range(label: str) -> str:
    if not quarter_index(FIRST_START, label) <= 0 <= quarter_index(LAST_START, label):
        raise ValueError(f"the run must start between {FIRST_START} and {LAST_START} (quarter labels keep four-digit years)")
    return label


StartQuarter = Annotated[QuarterLabel, AfterValidator(_start_in_range)]

FolderName = Annotated[str, AfterValidator(check_folder_name)]


class Strict(BaseModel):
    """Base of all parameter objects: unknown keys rejected, values immutable, numbers finite and never booleans."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_boolean_numbers(cls, data: Any) -> Any:
        # pydantic takes true as 1 in a number field; in a config that is always a slip. A field
        # validator cannot do this (pydantic forbids one on the contracts' `kind`), so a boolean is
        # swapped for a marker that number validation refuses at the field's own path.
        if not isinstance(data, dict):
            return data
        fields = _number_fields(cls)
        slips = {key for key, value in data.items() if isinstance(value, bool) and key in fields}
        return {k: _BooleanGiven(v) if k in slips else v for k, v in data.items()} if slips else data


class _BooleanGiven:
    """A boolean written where a number is expected; refused by number validation, shown as what was written."""

    def __init__(self, value: bool) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"{str(self.value).lower()} (a boolean; write a number)"


@functools.cache
def _number_fields(model: type[BaseModel]) -> frozenset[str]:
    """The keys (names and aliases) of a model's fields that hold only numbers (int or float, maybe optional)."""
    numbers = [(name, field) for name, field in model.model_fields.items() if _is_number_type(field.annotation)]
    return frozenset([name for name, _f in numbers] + [f.alias for _n, f in numbers if f.alias])


def _is_number_type(annotation: Any) -> bool:
    leaves = _leaf_types(annotation)
    return bool(leaves & {int, float}) and leaves <= {int, float, type(None)}


def _leaf_types(annotation: Any) -> set[Any]:
    if typing.get_origin(annotation) is typing.Annotated:
        return _leaf_types(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return set().union(*(_leaf_types(a) for a in typing.get_args(annotation)))
    return {annotation}
