"""Shared fixtures: the small configs under tests/configs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

CONFIGS = Path(__file__).parent / "configs"


@pytest.fixture
def tiny_raw() -> dict:
    """The tiny five-firm config as plain data, to be changed by a test."""
    return yaml.safe_load((CONFIGS / "tiny.yaml").read_text())


@pytest.fixture(scope="session")
def baseline_runs():
    """The baseline run to its end for seeds 0-19, shared by the invariant and calibration tests."""
    from model import AIFinanceModel

    return [AIFinanceModel(seed=seed).run() for seed in range(20)]
