"""Tests for economy.clearing: Eisenberg–Noe clearing with Rogers–Veraart bankruptcy costs.

Hand-computed networks, a linear-programming cross-check of the greatest clearing
vector, hypothesis property tests (including an exhaustive search over default sets on
small networks), and the obligation-list front end.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.optimize
import scipy.sparse
import scipy.sparse.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

import economy.clearing as clearing
from economy.clearing import ClearingResult, clear, clear_obligations

# Nodes are named A, B, C, ... = 0, 1, 2, ... in the hand computations below.


def _relative(nominal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Total obligations pbar and relative liabilities Pi of a dense nominal matrix."""
    pbar = nominal.sum(axis=1)
    pi = np.divide(nominal, pbar[:, None], out=np.zeros_like(nominal), where=pbar[:, None] > 0)
    return pbar, pi


def _scale(nominal: np.ndarray, cash: np.ndarray) -> float:
    """Money scale used for tolerances in the checks."""
    return max(1.0, float(nominal.sum(axis=1).max(initial=0.0)), float(cash.max(initial=0.0)))


def _assert_clearing(
    nominal: np.ndarray,
    cash: np.ndarray,
    alpha: float,
    beta: float,
    res: ClearingResult,
    rtol: float = 1e-7,
) -> None:
    """Assert every defining property of a (Rogers–Veraart) clearing vector."""
    pbar, pi = _relative(nominal)
    p = res.payments
    tol = rtol * _scale(nominal, cash)
    inflow = pi.T @ p
    assert p.shape == pbar.shape and res.defaulted.shape == pbar.shape
    assert res.defaulted.dtype == bool
    assert res.rounds >= 1 or len(p) == 0
    # 0 <= p <= pbar
    assert np.all(p >= 0.0)
    assert np.all(p <= pbar + tol)
    ok = ~res.defaulted
    # Non-defaulters pay in full and can afford to.
    np.testing.assert_allclose(p[ok], pbar[ok], rtol=0, atol=tol)
    assert np.all(cash[ok] + inflow[ok] >= pbar[ok] - tol)
    # Defaulters are short and pay exactly what they realise.
    d = res.defaulted
    assert np.all(cash[d] + inflow[d] < pbar[d] + tol)
    assert np.all(p[d] < pbar[d])
    np.testing.assert_allclose(p[d], alpha * cash[d] + beta * inflow[d], rtol=0, atol=tol)
    # Conservation: everything paid out is received by someone.
    assert p.sum() == pytest.approx(inflow.sum(), rel=1e-9, abs=tol)
    # Value destroyed by default is exactly the bankruptcy cost of the defaulters.
    lost = (cash[d] + inflow[d] - p[d]).sum()
    cost = ((1 - alpha) * cash[d] + (1 - beta) * inflow[d]).sum()
    assert lost == pytest.approx(cost, rel=1e-9, abs=tol)


# --------------------------------------------------------------------------------------
# Hand-computed networks
# --------------------------------------------------------------------------------------

CHAIN = np.array(
    [
        [0.0, 10.0, 0.0],  # A owes B 10
        [0.0, 0.0, 10.0],  # B owes C 10
        [0.0, 0.0, 0.0],
    ]
)

JOINT = np.array(
    [
        [0.0, 4.0, 4.0],  # A owes B 4 and C 4: pbar_A = 8, Pi_AB = Pi_AC = 0.5
        [6.0, 0.0, 2.0],  # B owes A 6 and C 2: pbar_B = 8, Pi_BA = 0.75, Pi_BC = 0.25
        [0.0, 0.0, 0.0],
    ]
)

CYCLE = np.array(
    [
        [0.0, 1.0, 0.0],  # A owes B 1
        [0.0, 0.0, 1.0],  # B owes C 1
        [1.0, 0.0, 0.0],  # C owes A 1
    ]
)


def test_chain_contagion_without_costs() -> None:
    """A chain A->B->C where A is short of cash makes B default too."""
    # A: 4 + 0 < 10, defaults and pays its cash 4.
    # B: 3 + 4 = 7 < 10, defaults and pays 7.  C owes nothing: p_C = 0.
    res = clear(CHAIN, np.array([4.0, 3.0, 0.0]))
    assert res.payments == pytest.approx([4.0, 7.0, 0.0])
    assert res.defaulted.tolist() == [True, True, False]
    _assert_clearing(CHAIN, np.array([4.0, 3.0, 0.0]), 1.0, 1.0, res)


def test_chain_contagion_with_costs() -> None:
    """With bankruptcy costs the chain's defaulters pay alpha*cash + beta*inflows."""
    # alpha = 0.5, beta = 0.8.
    # A: 4 < 10, defaults, pays 0.5*4 = 2.
    # B: 3 + 2 = 5 < 10, defaults, pays 0.5*3 + 0.8*2 = 1.5 + 1.6 = 3.1.
    cash = np.array([4.0, 3.0, 0.0])
    res = clear(CHAIN, cash, alpha=0.5, beta=0.8)
    assert res.payments == pytest.approx([2.0, 3.1, 0.0])
    assert res.defaulted.tolist() == [True, True, False]
    _assert_clearing(CHAIN, cash, 0.5, 0.8, res)


def test_bankruptcy_costs_alone_cause_contagion() -> None:
    """B survives A's default without costs but defaults once A's costs cut its inflow."""
    cash = np.array([8.0, 3.0, 0.0])
    # No costs: A pays 8; B has 3 + 8 = 11 >= 10 and pays 10 in full.
    plain = clear(CHAIN, cash)
    assert plain.payments == pytest.approx([8.0, 10.0, 0.0])
    assert plain.defaulted.tolist() == [True, False, False]
    # alpha = beta = 0.5: A pays 0.5*8 = 4; B has 3 + 4 = 7 < 10, defaults,
    # pays 0.5*3 + 0.5*4 = 3.5.
    costly = clear(CHAIN, cash, alpha=0.5, beta=0.5)
    assert costly.payments == pytest.approx([4.0, 3.5, 0.0])
    assert costly.defaulted.tolist() == [True, True, False]


def test_joint_default_without_costs() -> None:
    """Two nodes owing each other and a third default jointly, each dragging the other down."""
    # Full payment: A has 1 + 6 = 7 < 8, B has 1 + 4 = 5 < 8: both default.
    # p_A = 1 + 0.75 p_B,  p_B = 1 + 0.5 p_A
    #   => p_A = 1 + 0.75 + 0.375 p_A => 0.625 p_A = 1.75 => p_A = 2.8, p_B = 2.4.
    # C receives 0.5*2.8 + 0.25*2.4 = 2.0 = all the outside cash.
    cash = np.array([1.0, 1.0, 0.0])
    res = clear(JOINT, cash)
    assert res.payments == pytest.approx([2.8, 2.4, 0.0])
    assert res.defaulted.tolist() == [True, True, False]
    _assert_clearing(JOINT, cash, 1.0, 1.0, res)


def test_joint_default_with_costs() -> None:
    """The joint default with bankruptcy costs solves the discounted linear system."""
    # alpha = 0.5, beta = 0.8:
    # p_A = 0.5*1 + 0.8*0.75 p_B = 0.5 + 0.6 p_B,  p_B = 0.5 + 0.8*0.5 p_A = 0.5 + 0.4 p_A
    #   => p_A = 0.5 + 0.3 + 0.24 p_A => p_A = 0.8 / 0.76 = 20/19,
    #      p_B = 0.5 + 0.4 * 20/19 = 35/38.
    cash = np.array([1.0, 1.0, 0.0])
    res = clear(JOINT, cash, alpha=0.5, beta=0.8)
    assert res.payments == pytest.approx([20 / 19, 35 / 38, 0.0])
    assert res.defaulted.tolist() == [True, True, False]
    _assert_clearing(JOINT, cash, 0.5, 0.8, res)


@pytest.mark.parametrize(("alpha", "beta"), [(1.0, 1.0), (0.5, 0.5), (0.1, 0.9)])
def test_cycle_without_cash_pays_in_full(alpha: float, beta: float) -> None:
    """A cash-less cycle has clearing vectors t*(1,1,1); the greatest, full payment, is chosen."""
    # Any p = t*(1, 1, 1), t in [0, 1], clears when alpha = beta = 1; the greatest is
    # t = 1, where every node receives exactly what it owes and so nobody defaults,
    # which also makes the bankruptcy costs irrelevant.
    res = clear(CYCLE, np.zeros(3), alpha=alpha, beta=beta)
    assert res.payments == pytest.approx([1.0, 1.0, 1.0])
    assert not res.defaulted.any()
    assert res.rounds == 1


def test_balanced_cycle_survives_rounding() -> None:
    """A balanced cycle whose sums do not round exactly still clears in full."""
    # A owes B 0.1 and C 0.2; B owes C 0.1; C owes A 0.3. Every node receives what it
    # owes, but 0.2 + 0.1 != 0.3 in binary floating point.
    nominal = np.array([[0.0, 0.1, 0.2], [0.0, 0.0, 0.1], [0.3, 0.0, 0.0]])
    res = clear(nominal, np.zeros(3))
    assert res.payments == pytest.approx([0.3, 0.1, 0.3])
    assert not res.defaulted.any()


def test_leaking_cycle_without_cash_collapses() -> None:
    """A cash-less cycle that also owes an outsider pays nothing at all."""
    # A owes B 1 and D 1; B owes C 1; C owes A 1; no cash anywhere.
    # p_A = min(2, p_C), p_B = min(1, p_A/2), p_C = min(1, p_B)
    #   => p_A = p_C = p_B = p_A / 2 => all zero, and all three default.
    nominal = np.zeros((4, 4))
    nominal[0, 1] = nominal[0, 3] = nominal[1, 2] = nominal[2, 0] = 1.0
    res = clear(nominal, np.zeros(4))
    assert res.payments == pytest.approx([0.0, 0.0, 0.0, 0.0])
    assert res.defaulted.tolist() == [True, True, True, False]


def test_rogers_veraart_two_bank_example() -> None:
    """Two banks with alpha = beta = 1/2 (RV 2013, Example 3.3 as reconstructed) both pay in full."""
    # Bank 1 owes 2, bank 2 owes 2.2, each has cash 1.
    # Full payment: bank 1 has 1 + 2.2 = 3.2 >= 2, bank 2 has 1 + 2 = 3 >= 2.2, so the
    # greatest clearing vector is (2, 2.2). The only other candidate, both defaulting,
    # p = 0.5 + 0.5 * p_other => (1, 1), is not clearing: bank 1 would have 1 + 1 = 2,
    # not less than the 2 it owes.
    nominal = np.array([[0.0, 2.0], [2.2, 0.0]])
    res = clear(nominal, np.ones(2), alpha=0.5, beta=0.5)
    assert res.payments == pytest.approx([2.0, 2.2])
    assert not res.defaulted.any()


def test_rogers_veraart_ring_example() -> None:
    """A six-bank ring (RV 2013, Sec. 5.1 as reconstructed) fails wholly with costs, half without."""
    # Ring 0->1->2->3->4->5->0; banks 0, 2, 4 owe a = 2, banks 1, 3, 5 owe a + eps = 3.
    # Cash gamma*(1 - eps) = 0 for banks 0, 2, 4 and gamma*(1 + eps) = 0.8 for 1, 3, 5
    # (gamma = 0.4, eps = 1).
    a, eps, gamma = 2.0, 1.0, 0.4
    nominal = np.zeros((6, 6))
    for i in range(6):
        nominal[i, (i + 1) % 6] = a if i % 2 == 0 else a + eps
    cash = np.array([gamma * (1 - eps), gamma * (1 + eps)] * 3)

    # No costs: odd bank has 0.8 + 2 = 2.8 < 3 and defaults, paying 2.8; even bank then
    # has 2.8 >= 2 and pays 2. Check: x = min(2, y), y = min(3, 0.8 + x) => (2, 2.8).
    plain = clear(nominal, cash)
    assert plain.payments == pytest.approx([2.0, 2.8] * 3)
    assert plain.defaulted.tolist() == [False, True] * 3

    # alpha = beta = 1/2. Round 1: odd banks default (2.8 < 3) and pay
    # 0.5*0.8 + 0.5*2 = 1.4. Round 2: even banks get 1.4 < 2 and default too.
    # All default: x = 0.5*0 + 0.5*y, y = 0.5*0.8 + 0.5*x  =>  y = 0.4 + 0.25 y
    #   => y = 8/15, x = 4/15. (RV's closed form alpha*gamma/(1-beta^2) * ((1-eps) +
    #   beta*(1+eps)) = 0.2/0.75 * 1 = 4/15 and ... * (beta*(1-eps) + (1+eps)) = 8/15.)
    costly = clear(nominal, cash, alpha=0.5, beta=0.5)
    assert costly.payments == pytest.approx([4 / 15, 8 / 15] * 3)
    assert costly.defaulted.all()
    _assert_clearing(nominal, cash, 0.5, 0.5, costly)


def test_sparse_and_dense_inputs_agree() -> None:
    """Dense arrays, sparse matrices and sparse arrays give the same clearing."""
    cash = np.array([1.0, 1.0, 0.0])
    dense = clear(JOINT, cash, alpha=0.7, beta=0.9)
    for sparse in (
        scipy.sparse.csr_matrix(JOINT),
        scipy.sparse.coo_array(JOINT),
        scipy.sparse.csc_array(JOINT),
    ):
        res = clear(sparse, cash, alpha=0.7, beta=0.9)
        np.testing.assert_array_equal(res.defaulted, dense.defaulted)
        np.testing.assert_allclose(res.payments, dense.payments, rtol=1e-13)


def test_nobody_owes_anything() -> None:
    """A network without obligations pays nothing and has no defaults."""
    res = clear(np.zeros((3, 3)), np.array([0.0, 1.0, 2.0]))
    assert res.payments.tolist() == [0.0, 0.0, 0.0]
    assert not res.defaulted.any()
    empty = clear(np.zeros((0, 0)), np.zeros(0))
    assert empty.payments.shape == (0,) and empty.defaulted.shape == (0,)


def test_input_is_not_modified() -> None:
    """Clearing leaves its input arrays untouched."""
    nominal = JOINT.copy()
    sparse = scipy.sparse.csr_array(JOINT)
    cash = np.array([1.0, 1.0, 0.0])
    clear(nominal, cash, alpha=0.5)
    clear(sparse, cash, alpha=0.5)
    np.testing.assert_array_equal(nominal, JOINT)
    np.testing.assert_array_equal(sparse.toarray(), JOINT)
    np.testing.assert_array_equal(cash, [1.0, 1.0, 0.0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"nominal": -JOINT}, "negative"),
        ({"nominal": JOINT + np.eye(3)}, "cannot owe itself"),
        ({"nominal": JOINT[:, :2]}, "square"),
        ({"nominal": np.where(JOINT > 5, np.nan, JOINT)}, "non-finite"),
        ({"cash": np.array([1.0, -1.0, 0.0])}, r"cash\[1\] = -1.0 is negative"),
        ({"cash": np.ones(2)}, "shape"),
        ({"alpha": 0.0}, "alpha"),
        ({"beta": 1.5}, "beta"),
    ],
)
def test_clear_rejects_bad_input(kwargs: dict, match: str) -> None:
    """Malformed matrices, negative money and out-of-range recovery rates raise ValueError."""
    args = {"nominal": JOINT, "cash": np.array([1.0, 1.0, 0.0])} | kwargs
    with pytest.raises(ValueError, match=match):
        clear(**args)


def test_max_rounds_is_enforced() -> None:
    """A cascade that needs more rounds than allowed raises RuntimeError."""
    with pytest.raises(RuntimeError, match="max_rounds"):
        clear(CHAIN, np.array([4.0, 3.0, 0.0]), max_rounds=1)


def test_singular_defaulters_system_falls_back_to_greatest_solution() -> None:
    """A singular defaulters' system (closed cash-less cycle) yields the greatest solution below the bound."""
    # The direct solve of (I - Pi_DD^T) x = 0 for the cycle is exactly singular; every
    # t*(1, 1, 1) solves it and the greatest one not above the previous (1, 1, 1) is (1, 1, 1).
    pi_t = scipy.sparse.csr_array(CYCLE.T)
    new = clearing._pay_what_defaulters_can(
        pi_t, np.ones(3), np.zeros(3), np.ones(3), np.ones(3, dtype=bool), 1.0, 1.0, 1e-9, 1e-12, 10_000
    )
    assert new == pytest.approx([1.0, 1.0, 1.0])


# --------------------------------------------------------------------------------------
# Cross-check against linear programming (alpha = beta = 1)
# --------------------------------------------------------------------------------------


def _random_network(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A random dense network with a mix of solvent and short nodes."""
    density = rng.uniform(0.05, 0.8)
    nominal = np.where(rng.random((n, n)) < density, rng.exponential(10.0, (n, n)), 0.0)
    np.fill_diagonal(nominal, 0.0)
    pbar = nominal.sum(axis=1)
    receivable = nominal.sum(axis=0)
    # Cash around the net position, so that a good share of nodes is short.
    cash = np.maximum(0.0, pbar - receivable + rng.normal(0.0, 0.5, n) * (pbar + 1.0))
    cash[rng.random(n) < 0.2] = 0.0
    return nominal, cash


def _lp_greatest(nominal: np.ndarray, cash: np.ndarray) -> np.ndarray:
    """Greatest Eisenberg–Noe clearing vector: max sum(p) s.t. 0 <= p <= pbar, p <= cash + Pi^T p."""
    pbar, pi = _relative(nominal)
    n = len(cash)
    lp = scipy.optimize.linprog(
        c=-np.ones(n),
        A_ub=np.eye(n) - pi.T,
        b_ub=cash,
        bounds=list(zip(np.zeros(n), pbar, strict=True)),
        method="highs",
    )
    assert lp.status == 0, lp.message
    return lp.x


def test_matches_linear_program_on_random_networks() -> None:
    """On 150 random networks the Eisenberg–Noe result equals the LP's greatest clearing vector."""
    rng = np.random.default_rng(20240601)
    defaults = 0
    for _ in range(150):
        n = int(rng.integers(2, 41))
        nominal, cash = _random_network(rng, n)
        res = clear(nominal, cash)
        expected = _lp_greatest(nominal, cash)
        scale = _scale(nominal, cash)
        np.testing.assert_allclose(res.payments, expected, rtol=0, atol=1e-6 * scale)
        _assert_clearing(nominal, cash, 1.0, 1.0, res)
        defaults += int(res.defaulted.sum())
    assert defaults > 100  # the sample really exercises defaults


def test_matches_linear_program_when_many_default() -> None:
    """Networks with hundreds of defaulters (iterative linear solves) still match the LP."""
    rng = np.random.default_rng(7)
    for _ in range(3):
        n = 400
        nominal = np.where(rng.random((n, n)) < 0.02, rng.exponential(10.0, (n, n)), 0.0)
        np.fill_diagonal(nominal, 0.0)
        cash = rng.uniform(0.0, 1.0, n) * nominal.sum(axis=1) * 0.3
        res = clear(scipy.sparse.csr_array(nominal), cash)
        assert res.defaulted.sum() > clearing._DENSE_MAX
        expected = _lp_greatest(nominal, cash)
        np.testing.assert_allclose(res.payments, expected, rtol=0, atol=1e-6 * _scale(nominal, cash))


@pytest.mark.parametrize(("dense_max", "cheap_steps"), [(0, 3), (10_000, 0), (0, 0)])
def test_solver_paths_agree(monkeypatch: pytest.MonkeyPatch, dense_max: int, cheap_steps: int) -> None:
    """Dense vs iterative solves and with vs without cheap map steps give the same clearing."""
    rng = np.random.default_rng(99)
    costs = [(1.0, 1.0), (0.5, 0.8), (0.9, 0.3)] * 10
    cases = [(_random_network(rng, int(rng.integers(2, 30))), a, b) for a, b in costs]
    reference = [clear(nom, cash, alpha=a, beta=b) for (nom, cash), a, b in cases]
    monkeypatch.setattr(clearing, "_DENSE_MAX", dense_max)
    monkeypatch.setattr(clearing, "_CHEAP_STEPS_BEFORE_SOLVE", cheap_steps)
    for ((nom, cash), a, b), ref in zip(cases, reference, strict=True):
        res = clear(nom, cash, alpha=a, beta=b)
        np.testing.assert_array_equal(res.defaulted, ref.defaulted)
        np.testing.assert_allclose(res.payments, ref.payments, rtol=0, atol=1e-8 * _scale(nom, cash))


def test_superlu_fallback_when_krylov_stalls(monkeypatch: pytest.MonkeyPatch) -> None:
    """If BiCGSTAB reports no convergence, the SuperLU fallback gives the same clearing."""
    rng = np.random.default_rng(3)
    n = 300
    nominal = np.where(rng.random((n, n)) < 0.03, rng.exponential(10.0, (n, n)), 0.0)
    np.fill_diagonal(nominal, 0.0)
    cash = rng.uniform(0.0, 0.3, n) * nominal.sum(axis=1)
    reference = clear(nominal, cash, alpha=0.6, beta=0.9)
    assert reference.defaulted.sum() > clearing._DENSE_MAX

    def stalled(a, b, x0=None, **kwargs):  # noqa: ANN001, ANN003, ANN202 - mimics scipy's signature
        return np.full_like(b, np.nan), 1

    factorisations = []
    real_splu = scipy.sparse.linalg.splu

    def counting_splu(a, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202 - scipy's signature
        factorisations.append(a.shape)
        return real_splu(a, *args, **kwargs)

    monkeypatch.setattr(scipy.sparse.linalg, "bicgstab", stalled)
    monkeypatch.setattr(scipy.sparse.linalg, "splu", counting_splu)
    res = clear(nominal, cash, alpha=0.6, beta=0.9)
    assert factorisations  # the fallback really ran
    np.testing.assert_array_equal(res.defaulted, reference.defaulted)
    tol = 1e-8 * _scale(nominal, cash)
    np.testing.assert_allclose(res.payments, reference.payments, rtol=0, atol=tol)


# --------------------------------------------------------------------------------------
# Property tests
# --------------------------------------------------------------------------------------

_money = st.one_of(
    st.just(0.0),
    st.integers(0, 20).map(float),
    st.floats(0.0, 100.0, allow_nan=False, allow_infinity=False, allow_subnormal=False),
)
_fraction = st.floats(0.0, 1.0, exclude_min=True, allow_subnormal=False)


@st.composite
def networks(draw: st.DrawFn, max_n: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Small dense networks: nominal matrix with zero diagonal, and cash."""
    n = draw(st.integers(1, max_n))
    entries = draw(st.lists(st.one_of(st.just(0.0), _money), min_size=n * n, max_size=n * n))
    nominal = np.array(entries).reshape(n, n)
    np.fill_diagonal(nominal, 0.0)
    cash = np.array(draw(st.lists(_money, min_size=n, max_size=n)))
    return nominal, cash


def _clearing_vectors_by_enumeration(
    nominal: np.ndarray, cash: np.ndarray, alpha: float, beta: float
) -> list[np.ndarray]:
    """Every clearing vector found by trying each default set (clear-cut cases only)."""
    pbar, pi = _relative(nominal)
    n = len(cash)
    scale = _scale(nominal, cash)
    found = []
    for mask in itertools.product([False, True], repeat=n):
        d = np.array(mask)
        if np.any(d & (pbar == 0)):
            continue  # a node owing nothing cannot default
        p = np.where(d, 0.0, pbar)
        if d.any():
            a = np.eye(d.sum()) - beta * pi.T[np.ix_(d, d)]
            if np.linalg.cond(a) > 1e8:
                continue
            rhs = alpha * cash[d] + beta * pi.T[d] @ p
            p[d] = np.linalg.solve(a, rhs)
        short = pbar - cash - pi.T @ p
        # Keep only vectors that clear with a margin, so rounding cannot decide.
        if np.all(short[d] > 1e-6 * scale) and np.all(short[~d] <= 0.0) and np.all(p >= 0.0):
            found.append(p)
    return found


@settings(max_examples=150, deadline=None)
@given(networks(), _fraction, _fraction)
def test_properties_of_clearing(net: tuple[np.ndarray, np.ndarray], alpha: float, beta: float) -> None:
    """Bounds, full and realisable payment, conservation and bankruptcy-cost accounting all hold."""
    nominal, cash = net
    res = clear(nominal, cash, alpha=alpha, beta=beta)
    _assert_clearing(nominal, cash, alpha, beta, res)


@settings(max_examples=150, deadline=None)
@given(networks(max_n=5), _fraction, _fraction)
def test_result_is_the_greatest_clearing_vector(
    net: tuple[np.ndarray, np.ndarray], alpha: float, beta: float
) -> None:
    """The result dominates every clearing vector found by enumerating default sets."""
    nominal, cash = net
    res = clear(nominal, cash, alpha=alpha, beta=beta)
    tol = 1e-7 * _scale(nominal, cash)
    for other in _clearing_vectors_by_enumeration(nominal, cash, alpha, beta):
        assert np.all(res.payments >= other - tol)


@settings(max_examples=100, deadline=None)
@given(networks())
def test_eisenberg_noe_defaulters_pay_cash_plus_inflows(net: tuple[np.ndarray, np.ndarray]) -> None:
    """Without costs a defaulter pays exactly its cash plus what it receives."""
    nominal, cash = net
    pbar, pi = _relative(nominal)
    res = clear(nominal, cash)
    d = res.defaulted
    tol = 1e-7 * _scale(nominal, cash)
    np.testing.assert_allclose(res.payments[d], cash[d] + (pi.T @ res.payments)[d], rtol=0, atol=tol)


@settings(max_examples=100, deadline=None)
@given(networks(), _fraction, _fraction)
def test_costs_never_raise_payments(
    net: tuple[np.ndarray, np.ndarray], alpha: float, beta: float
) -> None:
    """Bankruptcy costs can only lower the greatest clearing vector."""
    nominal, cash = net
    plain = clear(nominal, cash)
    costly = clear(nominal, cash, alpha=alpha, beta=beta)
    assert np.all(costly.payments <= plain.payments + 1e-7 * _scale(nominal, cash))


@st.composite
def obligation_lists(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Small obligation lists with repeated pairs."""
    n = draw(st.integers(2, 6))
    m = draw(st.integers(0, 15))
    pair = st.tuples(st.integers(0, n - 1), st.integers(0, n - 2))
    pairs = draw(st.lists(pair, min_size=m, max_size=m))
    payer = np.array([i for i, _ in pairs], dtype=np.int64)
    # Shift the second draw past the payer so that nobody owes itself.
    payee = np.array([j + (j >= i) for i, j in pairs], dtype=np.int64)
    amount = np.array(draw(st.lists(_money, min_size=m, max_size=m)), dtype=float)
    cash = np.array(draw(st.lists(_money, min_size=n, max_size=n)))
    return n, payer, payee, amount, cash


@settings(max_examples=100, deadline=None)
@given(obligation_lists(), _fraction, _fraction)
def test_obligations_are_paid_pro_rata(
    obl: tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray], alpha: float, beta: float
) -> None:
    """Each debtor pays the same fraction of every obligation, and these sum to its clearing payment."""
    n, payer, payee, amount, cash = obl
    paid, res = clear_obligations(n, payer, payee, amount, cash, alpha=alpha, beta=beta)
    nominal = np.zeros((n, n))
    np.add.at(nominal, (payer, payee), amount)
    direct = clear(nominal, cash, alpha=alpha, beta=beta)
    tol = 1e-7 * _scale(nominal, cash)
    np.testing.assert_allclose(res.payments, direct.payments, rtol=0, atol=tol)
    assert np.all(paid >= 0.0) and np.all(paid <= amount)
    per_debtor = np.bincount(payer, weights=paid, minlength=n)
    np.testing.assert_allclose(per_debtor, res.payments, rtol=0, atol=tol)
    pbar = nominal.sum(axis=1)
    owes = pbar[payer] > 0
    fraction = res.payments[payer[owes]] / pbar[payer[owes]]
    np.testing.assert_allclose(paid[owes], amount[owes] * fraction, rtol=1e-12, atol=0)


# --------------------------------------------------------------------------------------
# Obligation-list front end
# --------------------------------------------------------------------------------------


def test_obligations_on_the_same_pair_are_aggregated_and_split_pro_rata() -> None:
    """Several obligations on one pair are added up for clearing and each gets the debtor's fraction."""
    # A owes B 3 and 5 (two loans) and C 2: pbar_A = 10, cash_A = 5, B and C owe nothing.
    # A defaults and pays 5 = half of what it owes, so every obligation gets 50%:
    # 1.5, 2.5 and 1.0.
    payer = np.array([0, 0, 0])
    payee = np.array([1, 1, 2])
    amount = np.array([3.0, 5.0, 2.0])
    paid, res = clear_obligations(3, payer, payee, amount, np.array([5.0, 0.0, 0.0]))
    assert paid == pytest.approx([1.5, 2.5, 1.0])
    assert res.payments == pytest.approx([5.0, 0.0, 0.0])
    assert res.defaulted.tolist() == [True, False, False]
    matrix = np.array([[0.0, 8.0, 2.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    aggregated = clear(matrix, np.array([5.0, 0.0, 0.0]))
    np.testing.assert_allclose(res.payments, aggregated.payments)


def test_obligations_with_costs_and_cycle() -> None:
    """Obligation lists clear like their matrix, here the joint default with costs."""
    # Same network as test_joint_default_with_costs, B's debt to A split into 2 + 4:
    # p_A = 20/19 split 50/50 between B and C; p_B = 35/38 split 2:4:2 over (A, A, C).
    payer = np.array([0, 0, 1, 1, 1])
    payee = np.array([1, 2, 0, 0, 2])
    amount = np.array([4.0, 4.0, 2.0, 4.0, 2.0])
    cash = np.array([1.0, 1.0, 0.0])
    paid, res = clear_obligations(3, payer, payee, amount, cash, alpha=0.5, beta=0.8)
    p_a, p_b = 20 / 19, 35 / 38
    assert paid == pytest.approx([p_a / 2, p_a / 2, p_b / 4, p_b / 2, p_b / 4])
    assert res.payments == pytest.approx([p_a, p_b, 0.0])


def test_no_obligations() -> None:
    """An empty obligation list pays nothing."""
    empty = np.array([], dtype=np.int64)
    paid, res = clear_obligations(2, empty, empty, np.array([]), np.array([1.0, 0.0]))
    assert paid.shape == (0,)
    assert res.payments.tolist() == [0.0, 0.0]
    assert not res.defaulted.any()


def test_obligation_to_self_is_rejected() -> None:
    """An obligation whose payer is its payee raises ValueError."""
    message = r"obligation 1 has payer == payee == 2; a node cannot owe itself"
    with pytest.raises(ValueError, match=message):
        clear_obligations(3, np.array([0, 2]), np.array([1, 2]), np.array([1.0, 1.0]), np.zeros(3))


def test_negative_amount_is_rejected() -> None:
    """A negative obligation amount raises ValueError naming the obligation."""
    with pytest.raises(ValueError, match=r"amount\[1\] = -2.0 is negative; amount must be >= 0"):
        clear_obligations(3, np.array([0, 1]), np.array([1, 2]), np.array([1.0, -2.0]), np.zeros(3))


def test_negative_cash_is_rejected() -> None:
    """Negative cash raises ValueError naming the node."""
    with pytest.raises(ValueError, match=r"cash\[2\] = -0.5 is negative; cash must be >= 0"):
        clear_obligations(3, np.array([0]), np.array([1]), np.array([1.0]), np.array([0.0, 0.0, -0.5]))


@pytest.mark.parametrize(
    ("payer", "payee", "amount", "match"),
    [
        (np.array([0, 3]), np.array([1, 0]), np.array([1.0, 1.0]), r"payer\[1\] = 3 is not a node index"),
        (np.array([0]), np.array([-1]), np.array([1.0]), r"payee\[0\] = -1 is not a node index"),
        (np.array([0, 1]), np.array([1]), np.array([1.0, 1.0]), "same 1-D shape"),
        (np.array([0.0]), np.array([1]), np.array([1.0]), "integer"),
        (np.array([0]), np.array([1]), np.array([np.inf]), "not finite"),
    ],
)
def test_malformed_obligations_are_rejected(
    payer: np.ndarray, payee: np.ndarray, amount: np.ndarray, match: str
) -> None:
    """Out-of-range indices, mismatched lengths, float indices and infinite amounts raise ValueError."""
    with pytest.raises(ValueError, match=match):
        clear_obligations(3, payer, payee, amount, np.zeros(3))
