"""Market values solved jointly across cross-holdings (Elliott, Golub and Jackson 2014).

Each firm's value is its own business plus the stakes it holds in others:
``v = b + S v`` where ``S[i, j]`` is the fraction of ``j`` that ``i`` holds, so
``v = (I - S)^{-1} b``. Firms that hold each other are valued at once, not in turn.
"""

from __future__ import annotations

import numpy as np


def solve_values(own_business: np.ndarray, holdings: np.ndarray) -> np.ndarray:
    """Values of all firms given their own-business values and cross-holdings.

    Args:
        own_business: ``(n,)`` value of each firm's own operations, >= 0.
        holdings: ``(n, n)`` fraction of firm ``j`` held by firm ``i``; column sums < 1.

    Returns:
        ``(n,)`` market values including the stakes held.

    Example:
        >>> solve_values(np.array([10.0, 20.0]), np.array([[0.0, 0.5], [0.0, 0.0]]))
        array([20., 20.])
    """
    n = own_business.shape[0]
    return np.linalg.solve(np.eye(n) - holdings, own_business)
