"""What the user reads when an input file cannot be used: :class:`ConfigError` and the wording of validation errors.

A message names the file, then one line per problem: the field path, what is wrong and
what would be valid. Nothing here knows the config schema: :func:`describe_error` is told
by its caller which fields a location accepts and which kinds a union takes, so any
loader of a pydantic-validated file (the config, a sweep spec) words its errors the same way.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Any


def format_problems(source: str, problems: list[tuple[str, str]], subject: str = "config") -> str:
    """The message for a file's problems: a line naming the file, then one line per problem.

    Args:
        source: The file (or ``command line``) the problems are in.
        problems: ``(field path, what is wrong and what would be valid)``; an empty path
            for a problem of the whole file.
        subject: What the file is, as the first line says it (``config``, ``sweep spec``).

    Example:
        >>> print(format_problems("a.yaml", [("run.seed", "must be >= 0"), ("", "file not found")]))
        a.yaml: 2 problem(s) in the config:
          - run.seed: must be >= 0
          - file not found
    """
    lines = [f"{source}: {len(problems)} problem(s) in the {subject}:"]
    lines += [f"  - {path}: {msg}" if path else f"  - {msg}" for path, msg in problems]
    return "\n".join(lines)


class ConfigError(Exception):
    """A config that cannot be used; ``str()`` is the message for the user."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        """Collect problems as ``(field path, what is wrong and what would be valid)``."""
        self.source = source
        self.problems = problems
        super().__init__(format_problems(source, problems))


def root_causes(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop a list's "too short" error when it is only the echo of its own items failing."""
    def inside(outer: tuple, inner: tuple) -> bool:
        return len(inner) > len(outer) and inner[: len(outer)] == outer
    return [e for e in errors
            if not (e["type"] == "too_short" and any(inside(e["loc"], o["loc"]) for o in errors))]


def _never(loc: tuple, i: int) -> bool:
    """No step of a location is a union tag."""
    return False


def field_path(loc: Sequence[Any], raw: Any = None, is_tag: Callable[[tuple, int], bool] = _never) -> str:
    """A pydantic error location as the user writes the path: ``companies[2](id=openai).lab.market_share``.

    Args:
        loc: The error's ``loc``.
        raw: The data that was validated; list entries with an ``id`` in it get ``(id=...)``
            after their index. None leaves out the ids.
        is_tag: Whether step ``i`` of ``loc`` is pydantic's union tag (the name of a kind,
            which the data already shows), left out of the path.

    Example:
        >>> field_path(("companies", 0, "lab"), {"companies": [{"id": "openai"}]})
        'companies[0](id=openai).lab'
    """
    loc = tuple(loc)
    parts: list[str] = []
    node = raw
    for i, step in enumerate(loc):
        if isinstance(step, int):
            parts.append(f"[{step}]")
            item = node[step] if isinstance(node, list) and step < len(node) else None
            if isinstance(item, dict) and "id" in item:
                parts.append(f"(id={item['id']})")
            node = item
            continue
        if is_tag(loc, i):
            continue
        parts.append(("." if parts else "") + str(step))
        node = node.get(step) if isinstance(node, dict) else None
    return "".join(parts)


def describe_error(error: dict[str, Any], raw: Any = None, *, is_tag: Callable[[tuple, int], bool] = _never,
                   allowed_fields: Callable[[tuple], Sequence[str]], kinds: Callable[[tuple], Sequence[str]],
                   kind_noun: str = "kind", input_of_value_errors: bool = True) -> tuple[str, str]:
    """Turn one pydantic error into ``(path, message)``: a readable path, and what is wrong and what would be valid.

    Args:
        error: One entry of ``ValidationError.errors()``.
        raw: The data that was validated, for the ids in the path (see :func:`field_path`).
        is_tag: Whether a step of a location is pydantic's union tag (see :func:`field_path`).
        allowed_fields: The field names accepted at a location (empty if unknown), listed
            after an unknown field with the closest one as a hint.
        kinds: The valid values of ``kind`` for the union at a location.
        kind_noun: What a kind is called in the message (``unknown contract kind 'x'``).
        input_of_value_errors: Whether a validator's own message (a whole sentence) is
            followed by the value given, as pydantic's messages are.
    """
    loc = tuple(error["loc"])
    path = field_path(loc, raw, is_tag)
    msg = error["msg"]
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = list(allowed_fields(loc[:-1]))
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        msg = "unknown field" + (f"; did you mean {hint[0]!r}?" if hint else "") + (
            f" Allowed here: {', '.join(allowed)}" if allowed else "")
    elif kind == "union_tag_invalid":
        msg = f"unknown {kind_noun} {error['input'].get('kind')!r}; valid kinds: {', '.join(kinds(loc))}"
    elif kind == "union_tag_not_found":
        msg = f"missing 'kind'; valid kinds: {', '.join(kinds(loc))}"
    elif kind == "missing":
        msg = "required field is missing"
    elif kind == "value_error" and not input_of_value_errors:
        msg = msg.removeprefix("Value error, ")
    elif "input" in error:
        if kind == "value_error":
            msg = msg.removeprefix("Value error, ")  # our own validators' messages are whole sentences
        shown = repr(error["input"])
        msg = f"{msg}; got {shown[:80]}"
    return path, msg
