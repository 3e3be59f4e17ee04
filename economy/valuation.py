"""Market values solved jointly across cross-holdings (Elliott, Golub and Jackson 2014).

Each firm's value is its own business plus the stakes it holds in others:
``v = b + S v`` where ``S[i, j]`` is the fraction of ``j`` that ``i`` holds, so
``v = (I - S)^{-1} b``. Firms that hold each other are valued at once, not in turn.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import connected_components


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
    # Firms value each other only within a group linked by holdings, so each group is solved on its own and a
    # firm outside every group is worth its own business. A web of hundreds of firms is then a few small
    # systems instead of one large, mostly-identity one, which multithreaded BLAS makes slow on a busy machine.
    values = np.array(own_business, dtype=float)
    linked = holdings != 0
    _count, group = connected_components(linked | linked.T, directed=False)
    involved = linked.any(axis=0) | linked.any(axis=1)
    for g in np.unique(group[involved]):
        members = np.flatnonzero(group == g)
        block = holdings[np.ix_(members, members)]
        values[members] = np.linalg.solve(np.eye(members.size) - block, values[members])
    return values
