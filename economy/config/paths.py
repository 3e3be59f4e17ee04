"""Config paths (``companies[id=openai].lab.market_share``): parsing them, setting a value, overriding a config.

A path is dotted keys with list steps by index (``[0]``) or by id (``[id=openai]``);
:func:`with_overrides` changes a loaded config by paths and validates the result like a file.
"""

from __future__ import annotations

import re
from typing import Any

from economy.config.errors import ConfigError
from economy.config.loading import config_from_dict
from economy.config.schema import Config

_STEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[id=([^\]]+)\]")


def parse_path(path: str) -> list[str | int | tuple[str, str]]:
    """Split a config path into steps: keys, list indices, and ``("id", value)`` selectors.

    Example:
        >>> parse_path("companies[id=openai].lab.market_share")
        ['companies', ('id', 'openai'), 'lab', 'market_share']
    """
    steps: list[str | int | tuple[str, str]] = []
    for part in path.split("."):
        for m in _STEP.finditer(part):
            key, index, ident = m.groups()
            steps.append(key if key else int(index) if index else ("id", ident))
        if not part or "".join(m.group(0) for m in _STEP.finditer(part)) != part:
            raise ValueError(f"{path!r} is not a config path "
                             "(e.g. world.demand.initial_annual or companies[id=openai].lab.market_share)")
    return steps


def set_path(raw: dict, path: str, value: Any) -> None:
    """Set one value inside plain config data, addressing lists by index or by ``[id=...]``."""
    steps = parse_path(path)
    node: Any = raw
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        where = ".".join(str(s) for s in steps[: i + 1])
        if isinstance(step, tuple):
            if not isinstance(node, list):
                raise ValueError(f"{path}: {where} is not a list of entries with ids")
            matches = [k for k, item in enumerate(node) if isinstance(item, dict) and item.get("id") == step[1]]
            if not matches:
                ids = ", ".join(str(item.get("id")) for item in node if isinstance(item, dict))
                raise ValueError(f"{path}: no entry with id {step[1]!r}; ids there: {ids}")
            step = matches[0]
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                raise ValueError(f"{path}: index {step} is outside the list")
        elif not isinstance(node, dict):
            raise ValueError(f"{path}: {where} is not a mapping")
        if last:
            node[step] = value
        else:
            if isinstance(step, str) and step not in node:
                node[step] = {}
            node = node[step]


def with_overrides(cfg: Config, changes: dict[str, Any], source: str = "overrides") -> Config:
    """A copy of a config with values changed by path, validated like a file.

    Raises:
        ConfigError: If a path does not exist or a value is not valid there.
    """
    raw = cfg.model_dump(mode="json", by_alias=True, exclude_none=True)
    problems = []
    for path, value in changes.items():
        try:
            set_path(raw, path, value)
        except ValueError as err:
            problems.append((path, str(err).split(": ", 1)[-1]))
    if problems:
        raise ConfigError(source, problems)
    return config_from_dict(raw, source)
