"""Mesa conventions: the model can be driven by ``mesa.batch_run`` with keyword parameters."""

from __future__ import annotations

import mesa

from model import AIFinanceModel
from tests.sweep_support import TINY


def _batch(seeds: list[int]) -> list[dict]:
    return mesa.batch_run(AIFinanceModel, parameters={"config": str(TINY), "seed": seeds, "quarters": 4,
                                                      "overrides": [{"world.gpu.decline_annual": 0.3}]},
                          iterations=1, number_processes=1, data_collection_period=-1, display_progress=False)


def test_batch_run_drives_the_model_with_keyword_parameters() -> None:
    """``mesa.batch_run(AIFinanceModel, parameters={config, seed: [...], quarters, overrides})`` runs each seed to the end."""
    rows = _batch([0, 1, 2])  # one row per firm (the agent reporters), each with the run's model reporters
    assert sorted({r["seed"] for r in rows}) == [0, 1, 2]
    assert all(r["quarters"] == 4 and r["Step"] == 3 for r in rows)  # batch_run reports its last step as steps - 1
    assert all({"defaults", "fiscal_cost"} <= set(r) for r in rows)


def test_batch_run_rows_match_direct_runs() -> None:
    """A batch_run row holds what the same keywords give when the model is built and run directly."""
    rows = _batch([5])
    model = AIFinanceModel(config=TINY, seed=5, quarters=4, overrides={"world.gpu.decline_annual": 0.3}).run()
    collected = model.datacollector.get_model_vars_dataframe()
    assert len(rows) == len(model.companies)
    for row in rows:
        assert row["fiscal_cost"] == collected["fiscal_cost"].iloc[row["Step"]]
        assert row["defaults"] == collected["defaults"].iloc[row["Step"]]
