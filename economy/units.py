"""Units, stated once: money in USD billions, capacity in GW, time in quarters.

Quarters are counted as integers from the opening state (index 0 is the last quarter
before the run, e.g. ``2025Q4``); labels like ``2026Q1`` are for people and files.
Rates carry their period in their names (``rate_annual``); the helpers here are the
only place where an annual figure becomes a quarterly one.
"""

from __future__ import annotations

import re

MONEY_ABS_TOL = 1e-9
"""Absolute tolerance for money ($B): one dollar is 1e-9 billion."""

MONEY_REL_TOL = 1e-9
"""Relative tolerance for money comparisons and balance checks."""

QUARTERS_PER_YEAR = 4
"""Quarters in a year: the window of limits set per year (a firm's hardware sold in distress)."""

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def money_tol(scale: float = 0.0) -> float:
    """The tolerance for comparing amounts of the given size.

    Args:
        scale: The size of the amounts compared, in $B.

    Returns:
        ``max(MONEY_ABS_TOL, MONEY_REL_TOL * |scale|)``.

    Example:
        >>> money_tol(0.5)
        1e-09
    """
    return max(MONEY_ABS_TOL, MONEY_REL_TOL * abs(scale))


def money_eq(a: float, b: float) -> bool:
    """Whether two amounts of money are equal within the money tolerance."""
    return abs(a - b) <= money_tol(max(abs(a), abs(b)))


def is_zero(amount: float, scale: float = 0.0) -> bool:
    """Whether an amount is zero within the tolerance for amounts of ``scale``."""
    return abs(amount) <= money_tol(scale)


def quarterly_rate(rate_annual: float) -> float:
    """An annual interest rate as the rate paid per quarter (simple, as coupons are)."""
    return rate_annual / 4.0


def quarterly_growth(growth_annual: float) -> float:
    """An annual growth rate as the compound growth per quarter."""
    return (1.0 + growth_annual) ** 0.25 - 1.0


def parse_quarter(label: str) -> tuple[int, int]:
    """Split a label like ``2026Q1`` into ``(2026, 1)``.

    Raises:
        ValueError: If the label is not of the form ``YYYYQn`` with n in 1..4.
    """
    m = _QUARTER.match(label)
    if not m:
        raise ValueError(f"{label!r} is not a quarter label like '2026Q1'")
    return int(m.group(1)), int(m.group(2))


def quarter_index(label: str, origin: str) -> int:
    """Quarters from ``origin`` to ``label`` (negative if before).

    Example:
        >>> quarter_index("2027Q1", "2025Q4")
        5
    """
    y, q = parse_quarter(label)
    y0, q0 = parse_quarter(origin)
    return (y - y0) * 4 + (q - q0)


def quarter_label(index: int, origin: str) -> str:
    """The label of the quarter ``index`` quarters after ``origin``.

    Example:
        >>> quarter_label(1, "2025Q4")
        '2026Q1'
    """
    y0, q0 = parse_quarter(origin)
    n = y0 * 4 + (q0 - 1) + index
    return f"{n // 4}Q{n % 4 + 1}"
