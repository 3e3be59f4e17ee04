"""Market values solved jointly across cross-holdings (Elliott, Golub and Jackson 2014), net of debt and floored at zero.

Each firm's value is its own business plus the stakes it holds in others:
``v = b + S v`` where ``S[i, j]`` is the fraction of ``j`` that ``i`` holds, so
``v = (I - S)^{-1} b`` (:func:`solve_values`). With debt, a shareholder's claim is
limited: a firm's equity is ``max(0, b - net debt + S v)``, never negative, and a
firm's warrants take their share of it before its shareholders do
(:func:`solve_equity`). Firms that hold each other are valued at once, not in turn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import connected_components


def solve_values(own_business: np.ndarray, holdings: np.ndarray) -> np.ndarray:
    """Values of all firms given their own-business values and cross-holdings (linear: no floor, no debt).

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
        values[members] = _solve(np.eye(members.size) - block, values[members])
    return values


def forward_growth_premium(growth: float, mature_growth: float, fade: float, years: int = 200) -> float:
    """How much more revenue a firm growing ``growth`` a year now is expected to reach than a mature firm, in logs.

    The market expects the growth above a mature firm's to fade: ``fade`` of it persists into each next
    year, so the growth ``t`` years ahead is ``g_t = mature + (growth - mature) * fade ** t``. The premium is
    ``sum_t log((1 + g_t) / (1 + mature))`` over the years ahead: the log of the firm's expected revenue
    once mature over that of a firm already growing at the mature rate. It rises with ``growth`` (and with
    ``fade``, when growth is above the mature rate), is 0 at the mature rate and negative below it.

    Args:
        growth: annual growth the market reads now, > -1.
        mature_growth: annual growth of a mature firm, > -1.
        fade: share of the excess growth that persists a year later, in [0, 1).
        years: years summed (the terms fall as ``fade ** t``, so 200 is the whole sum for any fade below 0.9).

    Returns:
        The premium, in natural logs.

    Example:
        20% growth over a mature 0%, halving each year: 10% next year, then 5%, 2.5%, ...;
        ``log(1.1) + log(1.05) + log(1.025) + ...``:

        >>> round(forward_growth_premium(0.2, 0.0, 0.5), 4)
        0.1937
    """
    excess, parts, persist = (growth - mature_growth) / (1.0 + mature_growth), [], fade
    for _year in range(years):
        if abs(excess * persist) < 1e-15:
            break
        parts.append(math.log1p(excess * persist))
        persist *= fade
    return math.fsum(parts)


def growth_multiple(growth: float, opening_growth: float, opening_multiple: float, mature_multiple: float,
                    opening_mature_multiple: float, mature_growth: float, fade: float) -> float | None:
    """A revenue multiple that depends on expected forward growth, anchored at the opening and at a mature firm.

    ``mature_multiple * (opening_multiple / opening_mature_multiple) ** x`` with ``x = P(growth) / P(opening_growth)``,
    ``P`` the :func:`forward_growth_premium`: at the opening's growth the multiple is the opening's (the value
    the config gives), at the mature growth it is the mature firm's, and in between the growth premium the
    opening priced shrinks as the forward growth premium does. Below the mature growth ``x`` is negative and
    the multiple falls below the mature firm's. None when the opening did not price growth above the mature
    rate (there is no growth premium to scale) or a multiple is not positive.

    Example:
        Opening at 20x on 90% growth, a mature firm at 5x on 18%: the opening's 20x at 90%, 5x at 18%,
        in between at 40%, and less than 5x with no growth.

        >>> args = dict(opening_growth=0.9, opening_multiple=20.0, mature_multiple=5.0, opening_mature_multiple=5.0,
        ...             mature_growth=0.18, fade=0.6)
        >>> [round(growth_multiple(g, **args), 2) for g in (0.9, 0.4, 0.18, 0.0)]
        [20.0, 7.87, 5.0, 3.37]
    """
    premium = forward_growth_premium(opening_growth, mature_growth, fade)
    if premium <= 0 or min(opening_multiple, mature_multiple, opening_mature_multiple) <= 0:
        return None
    x = forward_growth_premium(growth, mature_growth, fade) / premium
    return mature_multiple * (opening_multiple / opening_mature_multiple) ** x


@dataclass(frozen=True)
class WarrantClaim:
    """A vested, unexercised warrant as the solver sees it: ``holder`` may buy ``shares`` of ``issuer`` at ``strike``.

    Shares and strike are in the units of the issuer's share count (billions of shares, dollars a share), so
    that ``shares * strike`` is in $B like every value here.
    """

    issuer: int
    holder: int | None
    """The holder's index, or None when the holder's value is not solved (a failed firm, outside the model)."""
    shares: float
    strike: float


@dataclass(frozen=True)
class EquityValues:
    """What :func:`solve_equity` finds: each firm's value to its shareholders, the whole residual claim, the warrants."""

    equity: np.ndarray
    """``(n,)`` value of each firm's existing shares (its market value), >= 0."""
    residual: np.ndarray
    """``(n,)`` value of everything a firm owns less its net debt, floored at 0: shareholders' and warrant holders' claims."""
    warrants: np.ndarray
    """``(len(claims),)`` fair value of each warrant claim, >= 0."""


def solve_equity(net_own: np.ndarray, holdings: np.ndarray, fixed: np.ndarray | None = None,
                 shares: np.ndarray | None = None, claims: Sequence[WarrantClaim] = ()) -> EquityValues:
    """Equity values over cross-holdings, with limited liability and warrant dilution, solved exactly.

    A firm's residual claim is ``V_i = max(0, net_own_i + sum_j S_ij E_j + warrants held by i)``, where
    ``E_j`` is what ``j``'s existing shareholders own: ``V_j`` less the warrants on ``j``. A warrant on
    ``j`` for ``n`` shares at strike ``K`` is exercised when the price after exercise,
    ``P = (V_j + sum n K) / (N_j + sum n)`` over the warrants in the money, is above ``K``; it is then
    worth ``n (P - K)``, and the shareholders keep ``E_j = N_j P`` (the dilution of a warrant's fair value).

    The system is piecewise linear and monotone. It is solved by pieces: from all values at 0, take the
    linear piece the current values lie on (which firms are above their floor, which warrants are in the
    money), solve it exactly, and repeat until the values lie on the piece they were solved on: they are
    then the exact fixed point. Without warrants the set of firms above their floor only grows and the
    values only rise (each solve is a lower bound of the answer, as in Eisenberg and Noe's fictitious
    default algorithm), so at most ``n + 1`` solves are needed. The pieces are found from values, not from
    the order of the firms, so listing the firms in another order gives the same answer.

    Args:
        net_own: ``(n,)`` each firm's own business less its net debt; may be negative.
        holdings: ``(n, n)`` fraction of firm ``j``'s existing shares held by firm ``i``; column sums < 1.
        fixed: ``(n,)`` a given equity value for firms that are not solved (NaN for those that are): a
            failed firm, which its holders mark at 0.
        shares: ``(n,)`` existing shares of each firm (needed for the issuers of ``claims``).
        claims: vested, unexercised warrants.

    Returns:
        The equity values, residual claims and warrant values.

    Example:
        ``b`` owes 15 on a business worth 10 (worth 0 to its shareholders, not -5); ``a`` holds half of
        it besides a business worth 4:

        >>> solve_equity(np.array([4.0, -5.0]), np.array([[0.0, 0.5], [0.0, 0.0]])).equity
        array([4., 0.])
    """
    net_own = np.asarray(net_own, dtype=float)
    n = net_own.size
    fixed = np.full(n, np.nan) if fixed is None else np.asarray(fixed, dtype=float)
    given = ~np.isnan(fixed)
    equity = np.where(given, fixed, 0.0)
    residual = equity.copy()
    values = np.zeros(len(claims))
    free = np.flatnonzero(~given)
    # what each solved firm owns of firms whose value is given, summed in order (the same digits on every CPU)
    base = {int(i): [float(net_own[i])] for i in free}
    rows, cols = np.nonzero(holdings)
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        if i in base and given[j]:
            base[i].append(float(holdings[i, j]) * float(fixed[j]))
    a = np.zeros(n)
    for i, parts in base.items():
        a[i] = math.fsum(parts)
    live = [(k, c) for k, c in enumerate(claims) if not given[c.issuer] and c.shares > 0]
    linked = (holdings != 0) & ~given[:, None] & ~given[None, :]
    for _k, c in live:
        if c.holder is not None and not given[c.holder]:
            linked[c.holder, c.issuer] = True
    _count, group = connected_components(linked | linked.T, directed=False)
    involved = linked.any(axis=0) | linked.any(axis=1) | np.isin(np.arange(n), [c.issuer for _k, c in live])
    alone = np.flatnonzero(~given & ~involved)
    residual[alone] = equity[alone] = np.maximum(0.0, a[alone])
    for g in np.unique(group[involved & ~given]):
        members = np.flatnonzero(group == g)
        position = {int(m): p for p, m in enumerate(members)}
        mine = [(k, c) for k, c in live if c.issuer in position]
        group_claims = [(k, position[c.issuer], position.get(c.holder) if c.holder is not None else None,
                         c.shares, c.strike) for k, c in mine]
        issued = shares[members] if shares is not None else np.zeros(members.size)
        v, e_, w = _solve_group(a[members], holdings[np.ix_(members, members)], issued, group_claims)
        residual[members], equity[members] = v, e_
        for (k, *_rest), value in zip(group_claims, w, strict=True):
            values[k] = value
    return EquityValues(equity, residual, values)


def _solve_group(a: np.ndarray, S: np.ndarray, issued: np.ndarray, claims: list[tuple]) -> tuple:
    """One group linked by holdings or warrants: residual claims, equity and warrant values (see :func:`solve_equity`)."""
    k = a.size
    on = {j: sorted((c for c in claims if c[1] == j), key=lambda c: (c[4], c[3], c[0])) for j in {c[1] for c in claims}}
    pairs = [(int(i), int(j), float(S[i, j])) for i, j in zip(*np.nonzero(S), strict=True)]

    def split(v: np.ndarray) -> tuple[np.ndarray, dict[int, float], dict[int, tuple]]:
        """Equity and warrant values at residual claims ``v``, and the warrants in the money for each issuer."""
        eq, worth, itm = v.copy(), {}, {}
        for j, cs in on.items():
            itm[j] = chosen = _in_the_money(v[j], issued[j], cs)
            price = _price(v[j], issued[j], chosen)
            eq[j] = issued[j] * price if chosen else v[j]
            for c in cs:
                worth[c[0]] = c[3] * (price - c[4]) if c in chosen else 0.0
        return eq, worth, itm

    def pre_floor(v: np.ndarray) -> np.ndarray:
        """Each firm's value before the floor, from the others' values ``v``."""
        eq, worth, _itm = split(v)
        parts = [[float(a[i])] for i in range(k)]
        for i, j, s in pairs:
            parts[i].append(s * float(eq[j]))
        for cs in on.values():
            for c in cs:
                if c[2] is not None:
                    parts[c[2]].append(worth[c[0]])
        return np.array([math.fsum(p) for p in parts])

    def piece(v: np.ndarray) -> tuple:
        """The linear piece ``v`` lies on: the firms above their floor and the warrants in the money."""
        above = tuple(bool(x > 0) for x in pre_floor(v))
        return above, tuple(sorted((j, tuple(c[0] for c in chosen)) for j, chosen in split(v)[2].items() if above[j]))

    def solve_piece(above: tuple, itm: tuple) -> np.ndarray:
        """Values on one linear piece: ``V_i = a_i + sum_j M_ij V_j + m_i`` for the firms above their floor, 0 for the rest."""
        chosen = {j: [c for c in on[j] if c[0] in ids] for j, ids in itm}
        slope, offset, gain = np.zeros(k), np.zeros(k), {}
        for j in range(k):
            cs = chosen.get(j, [])
            denominator = issued[j] + math.fsum(c[3] for c in cs) if cs else 1.0
            paid = math.fsum(c[3] * c[4] for c in cs)
            slope[j] = issued[j] / denominator if cs else 1.0
            offset[j] = issued[j] * paid / denominator if cs else 0.0
            for c in cs:
                gain[c[0]] = (c[3] / denominator, c[3] * (c[4] - paid / denominator))
        idx = [i for i in range(k) if above[i]]
        where = {i: p for p, i in enumerate(idx)}
        system = np.eye(len(idx))
        rhs = [[float(a[i])] for i in idx]
        for i, j, s in pairs:
            if i in where and j in where:
                system[where[i], where[j]] -= s * slope[j]
                rhs[where[i]].append(s * offset[j])
        for j, cs in chosen.items():
            for c in cs:
                if c[2] in where and j in where:
                    f, cost = gain[c[0]]
                    system[where[c[2]], where[j]] -= f
                    rhs[where[c[2]]].append(-cost)
        v = np.zeros(k)
        if idx:
            v[idx] = _solve(system, np.array([math.fsum(r) for r in rhs]))
        return np.maximum(v, 0.0)

    v = np.zeros(k)
    current, seen = piece(v), set()
    for _round in range(2 * (k + len(claims)) + 2):
        seen.add(current)
        v = solve_piece(*current)
        following = piece(v)
        if following == current:
            break
        if following in seen:  # a cycle between pieces (not seen in practice): the plain monotone iteration converges
            v = _iterate(pre_floor, v)
            break
        current = following
    else:
        v = _iterate(pre_floor, v)
    eq, worth, _itm = split(v)
    return v, eq, [worth[c[0]] for c in claims]


def _in_the_money(residual: float, issued: float, claims: list[tuple]) -> list[tuple]:
    """The warrants on one issuer that are exercised: the most, by rising strike, whose strikes the price clears."""
    if residual <= 0 or issued <= 0:
        return []
    for count in range(len(claims), 0, -1):
        chosen = claims[:count]
        if _price(residual, issued, chosen) > chosen[-1][4]:
            return chosen
    return []


def _price(residual: float, issued: float, chosen: list[tuple]) -> float:
    """The share price after the chosen warrants are exercised (strikes paid in)."""
    if issued <= 0:
        return 0.0
    return (residual + math.fsum(c[3] * c[4] for c in chosen)) / (issued + math.fsum(c[3] for c in chosen))


def _iterate(step, v: np.ndarray, rounds: int = 100_000) -> np.ndarray:
    """Iterate ``v <- max(0, step(v))`` to its fixed point (monotone and contracting, so it converges)."""
    for _round in range(rounds):
        following = np.maximum(step(v), 0.0)
        if np.all(np.abs(following - v) <= 1e-12 * np.maximum(1.0, np.abs(v))):
            return following
        v = following
    return v


#: Groups up to this size are solved in plain floating point, so that a run gives the same digits on every CPU.
#: LAPACK's kernels differ by processor (AVX2, AVX-512) in the last digit, and a golden output or a re-run on
#: another machine would then differ; groups of cross-holders are a handful of firms, so this costs nothing.
EXACT_GROUP_SIZE = 64


def _solve(system: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``system x = rhs``, in order for small systems (same digits on every CPU), by LAPACK for large ones."""
    if rhs.size <= EXACT_GROUP_SIZE:
        return _solve_in_order(system, rhs)
    return np.linalg.solve(system, rhs)


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
