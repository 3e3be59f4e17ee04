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

from economy.sweep.sampling import Design, count_points, make_design
from economy.sweep.seeds import run_seed
from economy.sweep.spec import SpecError, Study

#: Most runs a study may make unless asked for explicitly (``--allow-large``): a million
#: baseline runs are about a day on a 64-core machine; a bigger number is far more often a
#: typo (a ``steps`` or ``replications`` with extra zeros) than a plan.
MAX_RUNS = 1_000_000
#: Most runs even when asked for: the runs not yet stored are listed as 64-bit ids in memory
#: (about 0.8 GB at this size) while a sweep runs.
MAX_RUNS_ALLOWED = 100_000_000
#: Most design points even when asked for: the design is held in memory (~100 bytes a
#: point per parameter) and written to ``design.parquet``.
MAX_POINTS_ALLOWED = 10_000_000


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


@dataclass(frozen=True)
class StudySize:
    """How many runs a study makes, counted without making its design.

    Attributes:
        scenarios: Base configs crossed with the design.
        points: Design points.
        replications: Runs per point.
    """

    scenarios: int
    points: int
    replications: int

    @property
    def runs(self) -> int:
        """Runs in the study."""
        return self.scenarios * self.points * self.replications

    def text(self) -> str:
        """``3 scenario(s) x 1,000 point(s) x 20 replication(s)``."""
        return f"{self.scenarios:,} scenario(s) x {self.points:,} design point(s) x {self.replications:,} replication(s)"


def study_size(study: Study) -> StudySize:
    """The study's size, computed from the spec alone (cheap for any size)."""
    return StudySize(len(study.scenarios), count_points(study.spec), int(study.spec.replications))


def check_size(study: Study, allow_large: bool = False) -> StudySize:
    """Refuse a study too large to be meant, or to be held in memory, before its design is made.

    Args:
        study: The loaded study.
        allow_large: Accept up to :data:`MAX_RUNS_ALLOWED` runs instead of :data:`MAX_RUNS`
            (the ``--allow-large`` flag).

    Returns:
        The study's size.

    Raises:
        SpecError: Naming the spec, the count, the limit and the fields that set the count.
    """
    size = study_size(study)
    limit = MAX_RUNS_ALLOWED if allow_large else MAX_RUNS
    if study.source == "compare":  # a comparison's size is set on the command line
        hint = "--seeds, or the number of scenarios"
    else:
        hint = ("replications, sampler.samples / sampler.trajectories, or the values / steps of the parameters"
                + (" (or the number of scenarios in base)" if size.scenarios > 1 else ""))
    if size.runs > limit:
        more = (f"ask for it explicitly with --allow-large (up to {MAX_RUNS_ALLOWED:,} runs), or make it smaller"
                if not allow_large else f"{MAX_RUNS_ALLOWED:,} is the most a sweep can hold in memory even with "
                                        "--allow-large; split it into several studies or make it smaller")
        raise SpecError(study.source, [("", f"the study makes {size.runs:,} runs ({size.text()}), more than the limit "
                                            f"of {limit:,}; {more} ({hint})")])
    if size.points > MAX_POINTS_ALLOWED:
        raise SpecError(study.source, [("sampler", f"the design has {size.points:,} points, more than the "
                                                   f"{MAX_POINTS_ALLOWED:,} a sweep can hold in memory; use fewer "
                                                   "samples or grid values and more replications")])
    return size


class Plan:
    """Every run of a study, made on demand from its id.

    Args:
        study: The loaded study.
    """

    def __init__(self, study: Study) -> None:
        """Make the design (the only costly step) once.

        Raises:
            SpecError: If the study is beyond :data:`MAX_RUNS_ALLOWED` runs or
                :data:`MAX_POINTS_ALLOWED` points (call :func:`check_size` first for the
                user's limit); so no caller can exhaust memory making it.
        """
        check_size(study, allow_large=True)
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
