"""Helpers shared by the sweep tests: small specs on the tiny config, the study kit, and a model that fails on purpose."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any

import yaml

from economy.sweep.kit import StudyKit
from model import AIFinanceModel

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "configs" / "tiny.yaml"
GROWTH = "world.demand.regimes.steady.growth_annual"
#: The growth value at which :class:`FailingModel` raises.
FAIL_AT = 0.3


def tiny_spec(folder: Path, name: str = "tiny_grid", **changes: Any) -> Path:
    """Write a small grid spec on tests/configs/tiny.yaml into ``folder`` and return its path.

    The default is 3 growth values x 2 rate shifts x 2 replications = 12 runs of 4 quarters,
    with the system time series kept; ``changes`` replace top-level fields.
    """
    spec: dict[str, Any] = {
        "name": name,
        "base": str(TINY),
        "quarters": 4,
        "seed": 11,
        "replications": 2,
        "sampler": {"kind": "grid"},
        "parameters": {
            "growth": {"path": GROWTH, "values": [0.1, FAIL_AT, 0.6]},
            "rate_shift": {"path": "world.policy_rate[0].rate_annual", "mode": "shift", "values": [0.0, 0.02]},
        },
        "outputs": {"timeseries": True},
    }
    spec.update(changes)
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


@functools.cache
def _study_kit() -> StudyKit:
    import run

    return run.study_kit()


def kit(**changes: Any) -> StudyKit:
    """The kit ``run.py`` gives the study commands, with ``changes`` to its fields (e.g. ``model_factory=FailingModel``)."""
    return dataclasses.replace(_study_kit(), **changes) if changes else _study_kit()


def chunk_names(folder: Path) -> list[str]:
    """The stored chunks of a sweep folder (those with a commit record), in run-id order."""
    return sorted(p.stem for p in (folder / "commits").glob("*.json")) if (folder / "commits").is_dir() else []


def chunk_files(folder: Path, name: str) -> list[Path]:
    """A chunk's visible part files, one per table it has."""
    return sorted(p for table in ("runs", "timeseries", "entities") for p in (folder / table).glob(f"part-{name}.parquet"))


def hidden_files(folder: Path) -> list[Path]:
    """Hidden files in the table folders (a chunk not yet renamed into place, or a rewrite in progress)."""
    return sorted(p for table in ("runs", "timeseries", "entities") for p in (folder / table).glob(".*"))


class FailingModel(AIFinanceModel):
    """The model, except that it raises when steady demand growth is :data:`FAIL_AT` (a test hook)."""

    def __init__(self, config: Any = None, seed: int | None = None, quarters: int | None = None,
                 overrides: dict[str, Any] | None = None) -> None:
        """Raise for the chosen growth value, else build the model as usual."""
        if overrides and overrides.get(GROWTH) == FAIL_AT:
            raise RuntimeError("deliberate failure for the test")
        super().__init__(config=config, seed=seed, quarters=quarters, overrides=overrides)
