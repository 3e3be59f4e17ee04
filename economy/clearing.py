"""Clearing of a network of obligations: Eisenberg–Noe with Rogers–Veraart bankruptcy costs.

This module holds the payment-clearing engine of the economy: given who owes whom how
much (``nominal``) and the outside cash each node has, it finds the greatest clearing
payment vector.

* :func:`clear` works on a nominal liabilities matrix (dense or scipy.sparse).
* :func:`clear_obligations` works on a list of obligations (payer, payee, amount),
  aggregates them per pair, clears, and splits each debtor's payment pro rata back
  onto its individual obligations.
* :class:`ClearingResult` is what both return.

Model. Node ``i`` owes ``pbar_i = sum_j nominal[i, j]`` and its creditors are paid pro
rata, so with ``Pi[i, j] = nominal[i, j] / pbar_i`` node ``i`` receives
``sum_j Pi[j, i] p_j``. A node that can meet its obligations pays them in full; a node
that cannot (it defaults) pays everything it can realise, which under Rogers–Veraart
(2013) bankruptcy costs is only ``alpha * cash_i + beta * inflows_i``. With
``alpha = beta = 1`` this is Eisenberg–Noe (2001).

Algorithm. Rogers–Veraart's Greatest Clearing Vector Algorithm (Eisenberg–Noe's
fictitious default algorithm when ``alpha = beta = 1``): start from full payment, find
who cannot pay, solve the linear system in which those nodes pay what they can realise
and everyone else pays in full, and repeat until the set of defaulters stops growing.
Payments only decrease and the default set only grows, so the loop is finite and its
limit is the greatest clearing vector. Because a default cascade can run many rounds
deep, rounds that merely apply the (monotone) clearing map once stand in for the
linear solve while they keep revealing new defaulters; this never admits a node that
does not default at the greatest clearing vector, and the algorithm still stops only
after an exact solve revealed nobody new.

References:
    Eisenberg, L. and Noe, T. H. (2001). Systemic risk in financial systems.
    Management Science 47(2), 236–249.
    Rogers, L. C. G. and Veraart, L. A. M. (2013). Failure and rescue in an interbank
    network. Management Science 59(4), 882–898.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

__all__ = ["ClearingResult", "clear", "clear_obligations"]

# A money amount whose magnitude is at most this fraction of the network's money scale
# counts as zero when deciding who defaulted; without it, rounding in Pi^T @ pbar makes
# solvent nodes (e.g. members of a balanced cycle) "default" by 1e-17.
_MONEY_RTOL = 1e-9

# Up to this many defaulters a dense LAPACK solve is as fast as an iterative one and exact.
_DENSE_MAX = 100

# Consecutive cheap clearing-map steps that reveal no new defaulter before the exact
# linear solve for the current default set is done.
_CHEAP_STEPS_BEFORE_SOLVE = 3


@dataclass(frozen=True)
class ClearingResult:
    """Outcome of clearing a network of obligations.

    Attributes:
        payments: Shape ``(n,)``; total amount each node pays out, ``p_i``.
        defaulted: Shape ``(n,)`` bool; True where the node pays less than it owes
            (by more than the money tolerance).
        rounds: Number of rounds of the greatest-clearing-vector algorithm, i.e. how
            many times the default set was evaluated, counting both exact linear solves
            and single clearing-map steps (1 when nobody defaults).
    """

    payments: np.ndarray
    defaulted: np.ndarray
    rounds: int


def clear(
    nominal: np.ndarray | scipy.sparse.spmatrix | scipy.sparse.sparray,
    cash: np.ndarray,
    alpha: float = 1.0,
    beta: float = 1.0,
    tol: float = 1e-12,
    max_rounds: int = 10_000,
) -> ClearingResult:
    """Compute the greatest clearing payment vector of a network of obligations.

    ``nominal[i, j]`` is the amount node ``i`` owes node ``j`` (``>= 0``, zero
    diagonal); ``cash[i] >= 0`` is the outside assets available to ``i``. Returns the
    greatest clearing vector. With ``alpha = beta = 1`` this is Eisenberg–Noe (2001).
    Under Rogers–Veraart (2013) a defaulting node can only pay
    ``alpha * cash_i + beta * inflows_i`` (``0 < alpha, beta <= 1``).

    A node is treated as defaulting when its shortfall
    ``pbar_i - cash_i - inflows_i`` exceeds ``1e-9 * max(1, scale)``, where ``scale``
    is the largest total obligation or cash holding in the network.

    Args:
        nominal: Square ``(n, n)`` nominal liabilities matrix, dense or scipy.sparse.
        cash: Shape ``(n,)`` outside assets of each node.
        alpha: Fraction of outside assets a defaulting node realises.
        beta: Fraction of incoming payments a defaulting node passes on.
        tol: Absolute tolerance, relative to the money scale, of the iterative linear
            solves (the BiCGSTAB residual for large default sets, and the step size of
            the fallback iteration used when a defaulters' system is singular).
        max_rounds: Upper bound on algorithm rounds and on iterations of that
            fallback iteration. The algorithm itself never needs more than about
            ``4 * (n + 1)`` rounds.

    Returns:
        The clearing payments, the default flags and the number of rounds.

    Raises:
        ValueError: If the inputs have the wrong shape, are negative or non-finite,
            ``nominal`` has a nonzero diagonal, or ``alpha``/``beta`` lie outside
            ``(0, 1]``.
        RuntimeError: If the algorithm does not finish within ``max_rounds``.
    """
    liabilities = _as_liabilities(nominal)
    n = liabilities.shape[0]
    e = _as_cash(cash, n)
    _check_fraction("alpha", alpha)
    _check_fraction("beta", beta)
    if max_rounds < 1:
        raise ValueError(f"max_rounds must be >= 1, got {max_rounds}")

    pbar = np.asarray(liabilities.sum(axis=1)).ravel()
    scale = max(1.0, float(pbar.max(initial=0.0)), float(e.max(initial=0.0)))
    money_tol = _MONEY_RTOL * scale

    # Row i of pi_t lists what fraction of each debtor's payment reaches i, so the
    # inflow vector is a single sparse mat-vec.
    inv_pbar = np.divide(1.0, pbar, out=np.zeros(n), where=pbar > 0)
    shares = liabilities.copy()
    shares.data *= np.repeat(inv_pbar, np.diff(shares.indptr))
    pi_t = scipy.sparse.csr_array(shares.T)

    payments = pbar.copy()
    defaulted = np.zeros(n, dtype=bool)
    # True while `payments` solves the system for the current default set exactly;
    # only then may "no new defaulter" end the algorithm.
    exact = True
    stalls = 0
    rounds = 0
    while True:
        rounds += 1
        if rounds > max_rounds:
            raise RuntimeError(f"clearing did not finish within max_rounds={max_rounds} rounds")
        inflow = pi_t @ payments
        # each node's shortfall is judged against its own obligations, so a rich node elsewhere
        # (the external sector) cannot widen the tolerance for a small one
        newly = ~defaulted & (pbar - e - inflow > _MONEY_RTOL * np.maximum(1.0, pbar))
        if newly.any():
            # Union rather than recomputation: in exact arithmetic the set only grows,
            # and forcing it keeps the loop finite whatever the rounding does.
            defaulted |= newly
            stalls = 0
        elif exact:
            break
        else:
            stalls += 1
        if stalls >= _CHEAP_STEPS_BEFORE_SOLVE:
            payments = _pay_what_defaulters_can(
                pi_t, payments, e, pbar, defaulted, alpha, beta, money_tol, tol * scale, max_rounds
            )
            exact = True
            stalls = 0
        else:
            # A cascade often runs many rounds deep, and a linear solve per round would
            # dominate the cost. A step of the monotone clearing map from a
            # supersolution is itself a supersolution bounded below by the greatest
            # clearing vector, so defaults it reveals are genuine; the exact solve is
            # only needed once these cheap steps stop revealing any.
            realisable = alpha * e[defaulted] + beta * inflow[defaulted]
            payments[defaulted] = np.minimum(payments[defaulted], realisable)
            exact = False

    return ClearingResult(payments=payments, defaulted=defaulted, rounds=rounds)


def clear_obligations(
    n: int,
    payer: np.ndarray,
    payee: np.ndarray,
    amount: np.ndarray,
    cash: np.ndarray,
    alpha: float = 1.0,
    beta: float = 1.0,
) -> tuple[np.ndarray, ClearingResult]:
    """Clear a list of obligations and report what was paid on each.

    Obligation ``k`` is ``payer[k]`` owes ``payee[k]`` the sum ``amount[k]``. Several
    obligations may join the same pair; they are added up before clearing. Within a
    debtor all obligations are paid pro rata, i.e. the same fraction
    ``p_i / pbar_i`` of each.

    Args:
        n: Number of nodes; payer and payee indices lie in ``[0, n)``.
        payer: Shape ``(m,)`` integer index of the debtor of each obligation.
        payee: Shape ``(m,)`` integer index of the creditor of each obligation.
        amount: Shape ``(m,)`` nominal amount of each obligation, ``>= 0``.
        cash: Shape ``(n,)`` outside assets of each node, ``>= 0``.
        alpha: Fraction of outside assets a defaulting node realises.
        beta: Fraction of incoming payments a defaulting node passes on.

    Returns:
        ``(paid, result)``: ``paid[k]`` is the amount actually paid on obligation
        ``k``; ``result`` is the :class:`ClearingResult` of the aggregated network.

    Raises:
        ValueError: If an obligation has ``payer == payee``, an amount or a cash
            holding is negative or non-finite, an index is out of range, or the arrays
            have mismatched shapes.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    payer_arr = _as_index(payer, "payer", n)
    payee_arr = _as_index(payee, "payee", n)
    amount_arr = np.asarray(amount, dtype=float)
    if not (payer_arr.shape == payee_arr.shape == amount_arr.shape):
        raise ValueError(
            "payer, payee and amount must have the same 1-D shape, got "
            f"{payer_arr.shape}, {payee_arr.shape} and {amount_arr.shape}"
        )
    self_owed = np.flatnonzero(payer_arr == payee_arr)
    if self_owed.size:
        k = int(self_owed[0])
        raise ValueError(
            f"obligation {k} has payer == payee == {int(payer_arr[k])}; a node cannot owe "
            f"itself ({self_owed.size} such obligation(s))"
        )
    _check_money("amount", amount_arr)

    liabilities = scipy.sparse.coo_array(
        (amount_arr, (payer_arr, payee_arr)), shape=(n, n)
    ).tocsr()  # duplicate (payer, payee) entries are summed here
    result = clear(liabilities, cash, alpha=alpha, beta=beta)

    pbar = np.bincount(payer_arr, weights=amount_arr, minlength=n)
    fraction = np.divide(result.payments, pbar, out=np.ones(n), where=pbar > 0)
    # Rounding can push p_i / pbar_i a hair above 1 for a node that pays in full.
    np.minimum(fraction, 1.0, out=fraction)
    paid = amount_arr * fraction[payer_arr]
    return paid, result


def _pay_what_defaulters_can(
    pi_t: scipy.sparse.csr_array,
    previous: np.ndarray,
    cash: np.ndarray,
    pbar: np.ndarray,
    defaulted: np.ndarray,
    alpha: float,
    beta: float,
    money_tol: float,
    conv_tol: float,
    max_iter: int,
) -> np.ndarray:
    """Payments when ``defaulted`` nodes pay what they can realise and others pay in full.

    Solves, for ``i`` in the default set ``D``,
    ``x_i - beta * sum_{j in D} Pi[j, i] x_j = alpha * cash_i + beta * sum_{j not in D} Pi[j, i] pbar_j``.

    Args:
        pi_t: Transposed relative liabilities, CSR.
        previous: Payments of the previous round; an upper bound on the answer.
        cash: Outside assets.
        pbar: Total obligations.
        defaulted: Current default set.
        alpha: Fraction of outside assets a defaulting node realises.
        beta: Fraction of incoming payments a defaulting node passes on.
        money_tol: Absolute tolerance for money amounts.
        conv_tol: Absolute tolerance of the iterative solves.
        max_iter: Iteration cap of the fallback iteration.

    Returns:
        The new payment vector, ``0 <= new <= previous``.
    """
    idx = np.flatnonzero(defaulted)
    solvent_pay = np.where(defaulted, 0.0, pbar)
    rhs = alpha * cash[idx] + beta * (pi_t @ solvent_pay)[idx]
    block = pi_t[idx][:, idx]
    upper = previous[idx]

    # One step of the monotone map from the previous (super)solution: a start that is
    # already close for nodes that defaulted in earlier rounds.
    guess = np.minimum(upper, rhs + beta * (block @ upper))
    x = _solve_block(block, rhs, beta, guess, conv_tol)
    # The exact solution is the unique one in [0, previous] whenever the block is
    # nonsingular (I - beta*block is an M-matrix and previous is a supersolution), so
    # anything outside that box, or not actually solving the system, means the block
    # is (nearly) singular and the solver's answer cannot be trusted.
    if x is None or not _plausible(block, rhs, beta, x, upper, money_tol):
        x = _greatest_solution_below(block, rhs, beta, upper, conv_tol, max_iter)

    new = previous.copy()
    new[idx] = np.clip(x, 0.0, upper)
    return new


def _solve_block(
    block: scipy.sparse.csr_array,
    rhs: np.ndarray,
    beta: float,
    guess: np.ndarray,
    atol: float,
) -> np.ndarray | None:
    """Solve ``(I - beta * block) x = rhs``; None if no trustworthy solve succeeds.

    Small systems go to dense LAPACK. Larger ones go to BiCGSTAB warm-started from
    ``guess``: the matrix is a well-conditioned M-matrix in practice and consecutive
    rounds change little, so a few sparse mat-vecs beat a SuperLU factorisation, whose
    fill-in on random networks makes it slower than even a dense solve. SuperLU is kept
    as the exact fallback when the Krylov method stalls.

    Args:
        block: Square sub-block of the transposed relative liabilities.
        rhs: Right-hand side.
        beta: Fraction of incoming payments a defaulting node passes on.
        guess: Starting point for the iterative solver.
        atol: Absolute residual tolerance for the iterative solver.

    Returns:
        The solution, or None when every method failed or reported exact singularity.
    """
    m = rhs.shape[0]
    try:
        if m <= _DENSE_MAX:
            # np.linalg rather than scipy.linalg: ill-conditioning is judged by the
            # caller's plausibility check, not by a warning.
            return np.linalg.solve(np.eye(m) - beta * block.toarray(), rhs)
        a = scipy.sparse.eye_array(m, format="csr") - beta * block
        x, info = scipy.sparse.linalg.bicgstab(a, rhs, x0=guess, rtol=0.0, atol=atol, maxiter=10 * m)
        if info == 0 and np.all(np.isfinite(x)):
            return x
        return scipy.sparse.linalg.splu(scipy.sparse.csc_array(a)).solve(rhs)
    except (np.linalg.LinAlgError, RuntimeError):
        return None


def _plausible(
    block: scipy.sparse.csr_array,
    rhs: np.ndarray,
    beta: float,
    x: np.ndarray,
    upper: np.ndarray,
    money_tol: float,
) -> bool:
    """Whether a solver's answer lies in ``[0, upper]`` and satisfies its system.

    Args:
        block: Square sub-block of the transposed relative liabilities.
        rhs: Right-hand side.
        beta: Fraction of incoming payments a defaulting node passes on.
        x: Candidate solution.
        upper: Previous payments of the same nodes.
        money_tol: Absolute tolerance for money amounts.

    Returns:
        True if the candidate can be accepted.
    """
    if not np.all(np.isfinite(x)):
        return False
    if np.any(x < -money_tol) or np.any(x > upper + money_tol):
        return False
    residual = x - beta * (block @ x) - rhs
    return bool(np.max(np.abs(residual), initial=0.0) <= money_tol)


def _greatest_solution_below(
    block: scipy.sparse.csr_array,
    rhs: np.ndarray,
    beta: float,
    upper: np.ndarray,
    conv_tol: float,
    max_iter: int,
) -> np.ndarray:
    """Greatest solution of ``x = rhs + beta * block @ x`` below ``upper``, iteratively.

    ``upper`` is a supersolution, so iterating the monotone map from it decreases to the
    greatest fixed point below it, which is what the algorithm needs even when the
    system has many solutions. Averaging with the previous iterate (a lazy step) stops
    pure cycles, whose undamped iteration would just rotate the vector forever.

    Args:
        block: Square sub-block of the transposed relative liabilities.
        rhs: Right-hand side.
        beta: Fraction of incoming payments a defaulting node passes on.
        upper: Starting point and upper bound.
        conv_tol: Stop when no entry moves by more than this.
        max_iter: Iteration cap.

    Returns:
        The approximate greatest solution.

    Raises:
        RuntimeError: If the iteration has not converged after ``max_iter`` steps.
    """
    x = upper.copy()
    for _ in range(max_iter):
        nxt = 0.5 * x + 0.5 * (rhs + beta * (block @ x))
        np.minimum(nxt, x, out=nxt)  # keep the sequence monotone despite rounding
        if np.max(np.abs(nxt - x), initial=0.0) <= conv_tol:
            return nxt
        x = nxt
    raise RuntimeError(
        f"clearing: iterative solve of a singular defaulters' system did not converge "
        f"within {max_iter} iterations"
    )


def _as_liabilities(
    nominal: np.ndarray | scipy.sparse.spmatrix | scipy.sparse.sparray,
) -> scipy.sparse.csr_array:
    """Validate the nominal liabilities matrix and return it as float CSR.

    Args:
        nominal: Square nominal liabilities, dense or sparse.

    Returns:
        A fresh CSR array with duplicates summed.

    Raises:
        ValueError: If the matrix is not square, has negative or non-finite entries, or
            a nonzero diagonal.
    """
    if scipy.sparse.issparse(nominal):
        mat = scipy.sparse.csr_array(nominal, dtype=float, copy=True)
    else:
        dense = np.asarray(nominal, dtype=float)
        if dense.ndim != 2:
            raise ValueError(f"nominal must be a 2-D matrix, got shape {dense.shape}")
        mat = scipy.sparse.csr_array(dense)
    if mat.shape[0] != mat.shape[1]:
        raise ValueError(f"nominal must be square, got shape {mat.shape}")
    mat.sum_duplicates()
    if not np.all(np.isfinite(mat.data)):
        raise ValueError("nominal contains non-finite entries (NaN or inf)")
    if mat.data.size and mat.data.min() < 0:
        raise ValueError(
            f"nominal contains negative obligations (min {mat.data.min()}); obligations must be >= 0"
        )
    diag = mat.diagonal()
    if np.any(diag != 0):
        nodes = np.flatnonzero(diag)
        raise ValueError(
            f"nominal has a nonzero diagonal at node(s) {nodes[:10].tolist()}; "
            "a node cannot owe itself"
        )
    return mat


def _as_cash(cash: np.ndarray, n: int) -> np.ndarray:
    """Validate outside assets and return them as a float vector.

    Args:
        cash: Outside assets, one per node.
        n: Number of nodes.

    Returns:
        A float copy of shape ``(n,)``.

    Raises:
        ValueError: On wrong shape or negative / non-finite entries.
    """
    e = np.array(cash, dtype=float)
    if e.shape != (n,):
        raise ValueError(f"cash must have shape ({n},), got {e.shape}")
    _check_money("cash", e)
    return e


def _check_money(name: str, values: np.ndarray) -> None:
    """Raise ValueError unless every entry of a money vector is finite and >= 0.

    Args:
        name: Name used in the error message.
        values: The vector to check.

    Raises:
        ValueError: If an entry is negative or non-finite.
    """
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        k = int(bad[0])
        raise ValueError(f"{name}[{k}] = {values[k]} is not finite")
    negative = np.flatnonzero(values < 0)
    if negative.size:
        k = int(negative[0])
        raise ValueError(
            f"{name}[{k}] = {values[k]} is negative; {name} must be >= 0 "
            f"({negative.size} negative entr{'y' if negative.size == 1 else 'ies'})"
        )


def _check_fraction(name: str, value: float) -> None:
    """Raise ValueError unless ``0 < value <= 1``.

    Args:
        name: Name used in the error message.
        value: The recovery fraction to check.

    Raises:
        ValueError: If the value lies outside ``(0, 1]``.
    """
    if not (0.0 < value <= 1.0):
        raise ValueError(f"{name} must lie in (0, 1], got {value}")


def _as_index(values: np.ndarray, name: str, n: int) -> np.ndarray:
    """Validate a vector of node indices.

    Args:
        values: Candidate indices.
        name: Name used in error messages.
        n: Number of nodes.

    Returns:
        The indices as a 1-D int64 array.

    Raises:
        ValueError: If the vector is not 1-D integer or holds an index outside ``[0, n)``.
    """
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integer node indices, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    out = np.flatnonzero((arr < 0) | (arr >= n))
    if out.size:
        k = int(out[0])
        raise ValueError(f"{name}[{k}] = {int(arr[k])} is not a node index in [0, {n})")
    return arr
