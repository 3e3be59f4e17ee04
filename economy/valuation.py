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
        system = np.eye(members.size) - block
        if members.size <= EXACT_GROUP_SIZE:
            values[members] = _solve_in_order(system, values[members])
        else:
            values[members] = np.linalg.solve(system, values[members])
    return values


#: Groups up to this size are solved in plain floating point, so that a run gives the same digits on every CPU.
#: LAPACK's kernels differ by processor (AVX2, AVX-512) in the last digit, and a golden output or a re-run on
#: another machine would then differ; groups of cross-holders are a handful of firms, so this costs nothing.
EXACT_GROUP_SIZE = 64


def _solve_in_order(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Solve ``a x = b`` by Gaussian elimination with partial pivoting, one float operation at a time.

    Python's float arithmetic is IEEE double with a fixed order of operations, so the
    result is the same on every machine, unlike an optimised LAPACK routine.

    Example:
        >>> _solve_in_order(np.array([[2.0, 0.0], [1.0, 1.0]]), np.array([4.0, 3.0]))
        array([2., 1.])
    """
    n = len(b)
    rows = [[float(x) for x in a[i]] + [float(b[i])] for i in range(n)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: (abs(rows[r][col]), -r))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        head = rows[col]
        for r in range(col + 1, n):
            factor = rows[r][col] / head[col]
            if factor:
                row = rows[r]
                for k in range(col, n + 1):
                    row[k] -= factor * head[k]
    x = [0.0] * n
    for i in range(n - 1, -1, -1):
        row = rows[i]
        x[i] = (row[n] - sum(row[k] * x[k] for k in range(i + 1, n))) / row[i]
    return np.array(x)
