"""Where results come from, and the argument types the command line shares.

Every results folder records the code version it was made with; the command-line
tools (``run.py`` and the study commands) parse counts and indices the same way.
"""

from __future__ import annotations

import argparse
import subprocess
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def code_version() -> str:
    """The git description of the code (``-dirty`` if changed), or ``unknown`` outside a checkout."""
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=12"], cwd=ROOT,
                             capture_output=True, text=True, timeout=5, check=False)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type accepting whole numbers in ``[minimum, maximum]``, with a clear message otherwise.

    Example:
        >>> whole_number(1, 200)("32")
        32
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    return parse
