"""A whole config: the run, and :class:`Config`, made of the sections in the ``schema_*`` modules.

* :mod:`.schema_base`: bounds, field types and the :class:`~.schema_base.Strict` base.
* :mod:`.schema_world`: the world and the contagion channels.
* :mod:`.schema_companies`: the companies and the external sector.
* :mod:`.schema_contracts`: the contracts, one model per kind.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationError

from economy.config.errors import ConfigError
from economy.config.schema_base import FolderName, StartQuarter, Strict
from economy.config.schema_companies import Company, External
from economy.config.schema_contracts import ContractSpec
from economy.config.schema_world import Channels, World


class Run(Strict):
    """The run: where it starts, how long, which seed."""

    name: FolderName = "baseline"
    start: StartQuarter = "2025Q4"
    quarters: Annotated[int, Field(ge=1, le=200)] = 32
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 0


class Config(Strict):
    """A whole scenario: the run, the world, the companies and their contracts."""

    run: Run = Run()
    world: World
    channels: Channels = Channels()
    external: External
    companies: tuple[Company, ...] = Field(min_length=1)
    contracts: tuple[ContractSpec, ...] = ()

    def company(self, entity_id: str) -> Company:
        """The company with this id."""
        for c in self.companies:
            if c.id == entity_id:
                return c
        raise KeyError(entity_id)

    def with_run(self, seed: int | None = None, quarters: int | None = None) -> Config:
        """A copy with another seed or run length (validated like the file)."""
        update = {k: v for k, v in (("seed", seed), ("quarters", quarters)) if v is not None}
        try:
            run = Run.model_validate({**self.run.model_dump(), **update})
        except ValidationError as err:
            problems = [(f"--{e['loc'][0]}", f"{e['msg']}; got {e['input']!r}") for e in err.errors()]
            raise ConfigError("command line", problems) from None
        return self.model_copy(update={"run": run})
