"""Plain config data for tests that edit a config before loading it: the tiny world and lookups by id."""

from __future__ import annotations

from pathlib import Path

import yaml

TINY = Path(__file__).resolve().parent / "configs" / "tiny.yaml"


def tiny() -> dict:
    """The tiny config as plain data."""
    return yaml.safe_load(TINY.read_text(encoding="utf-8"))


def company(data: dict, cid: str) -> dict:
    """The company entry with this id."""
    return next(c for c in data["companies"] if c["id"] == cid)


def contract(data: dict, kid: str) -> dict:
    """The contract entry with this id."""
    return next(k for k in data["contracts"] if k["id"] == kid)
