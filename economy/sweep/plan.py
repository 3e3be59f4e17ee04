"""The runs of a study, in run-id order: scenario, design point, replication, seed.

Run ids count scenarios (outermost), then design points, then replications
(innermost): ``run_id = (scenario * points + point) * replications + replication``.
A run is computed from its id alone, so a resumed sweep or a single re-run makes
exactly the run the full sweep would have made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from economy.sweep.sampling import Design, make_design
from economy.sweep.seeds import run_seed
from economy.sweep.spec import Study


@dataclass(frozen=True)
class RunSpec:
    """One run of a study: what a worker needs to make it and what its row records.

    Attributes:
        run_id: Position in the study (0-based).
        scenario: The base config's name (``base`` when the spec names one file).
        point_id: The design point.
        replication: The replication at that point (0-based).
        seed: The model's seed.
        params: Parameter name to its stored value at this point.
    """

    run_id: int
    scenario: str
    point_id: int
    replication: int
    seed: int
    params: dict[str, Any]


class Plan:
    """Every run of a study, made on demand from its id.

    Args:
        study: The loaded study.
    """

    def __init__(self, study: Study) -> None:
        """Make the design (the only costly step) once."""
        self.study = study
        self.design: Design = make_design(study.spec, study.integer)
        self.scenarios = list(study.scenarios)
        self.replications = study.spec.replications
        self.total = len(self.scenarios) * self.design.n_points * self.replications

    def run(self, run_id: int) -> RunSpec:
        """The run with this id."""
        if not 0 <= run_id < self.total:
            raise IndexError(f"run id {run_id} is outside 0..{self.total - 1}")
        rest, replication = divmod(int(run_id), self.replications)
        scenario, point = divmod(rest, self.design.n_points)
        return RunSpec(run_id=int(run_id), scenario=self.scenarios[scenario], point_id=point, replication=replication,
                       seed=self.seed(int(run_id), replication), params=self.design.point(point))

    def runs(self, run_ids: np.ndarray | list[int]) -> list[RunSpec]:
        """The runs with these ids, in the order given."""
        return [self.run(int(i)) for i in run_ids]

    def seed(self, run_id: int, replication: int) -> int:
        """A run's seed under the spec's ``seeds`` rule.

        ``per_run``: derived from the sweep seed and the run id (independent runs).
        ``common``: derived from the sweep seed and the replication, so every point and
        scenario sees the same shocks in its replication *r* (common random numbers).
        ``replication``: the replication number itself, 0..N-1, as ``run.py run --seed``.
        """
        mode = self.study.spec.seeds
        if mode == "per_run":
            return run_seed(self.study.spec.seed, run_id)
        if mode == "common":
            return run_seed(self.study.spec.seed, replication)
        return int(replication)
