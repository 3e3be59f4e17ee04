"""Mesa conventions: the model can be driven by ``mesa.batch_run`` with keyword parameters."""

from __future__ import annotations

import mesa
import pytest

from model import AIFinanceModel
from tests.sweep_support import TINY


class CollectingModel(AIFinanceModel):
    """The model plus the one thing ``batch_run`` reads: a ``datacollector`` collected at the start and each quarter."""

    def __init__(self, config=None, seed=None, quarters=None, overrides=None) -> None:
        """Build the model, then collect its opening state."""
        super().__init__(config=config, seed=seed, quarters=quarters, overrides=overrides)
        self.datacollector = mesa.DataCollector(model_reporters={"defaults": _defaults, "fiscal_cost": "fiscal_cost"})
        self.datacollector.collect(self)

    def step(self) -> None:
        """A quarter, then collect."""
        super().step()
        self.datacollector.collect(self)


def _defaults(model: AIFinanceModel) -> int:
    return sum(1 for co in model.companies if co.status.value == "defaulted")


def _batch(model_cls: type) -> list[dict]:
    return mesa.batch_run(model_cls, parameters={"config": str(TINY), "seed": [0, 1, 2], "quarters": 4,
                                                 "overrides": [{"world.gpu.decline_annual": 0.3}]},
                          iterations=1, number_processes=1, data_collection_period=-1, display_progress=False)


def test_batch_run_drives_the_model_with_keyword_parameters() -> None:
    """``mesa.batch_run(AIFinanceModel, parameters={config, seed: [...], quarters}, ...)`` gives one row per seed."""
    if not hasattr(AIFinanceModel(config=TINY, quarters=1), "datacollector"):
        pytest.xfail("mesa.batch_run reads model.datacollector (a mesa.DataCollector collected in __init__ and at the end "
                     "of each step); AIFinanceModel has none yet. CollectingModel below shows that this is all it needs.")
    rows = _batch(AIFinanceModel)
    assert [r["seed"] for r in sorted(rows, key=lambda r: r["seed"])] == [0, 1, 2]


def test_batch_run_needs_only_a_datacollector() -> None:
    """With a DataCollector added, batch_run runs each seed in the list to the end (quarter 4)."""
    rows = _batch(CollectingModel)
    assert sorted(r["seed"] for r in rows) == [0, 1, 2]
    assert all(r["Step"] == 3 and r["quarters"] == 4 for r in rows)  # batch_run reports the last step as steps - 1
    assert all("defaults" in r and "fiscal_cost" in r for r in rows)
