"""Cross-holdings valuation: v = b + S v solved at once, on the firms that hold or are held."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from economy.valuation import solve_values


def test_two_firms_holding_half_of_each_other():
    """Hand-computed: v1 = 10 + v2/2 and v2 = 20 + v1/2 give v1 = 26.67, v2 = 33.33; a bystander keeps its own value."""
    S = np.array([[0.0, 0.5, 0.0], [0.5, 0.0, 0.0], [0.0, 0.0, 0.0]])
    v = solve_values(np.array([10.0, 20.0, 7.0]), S)
    assert v == pytest.approx([(10 + 0.5 * 20) / 0.75, (20 + 0.5 * 10) / 0.75, 7.0])


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 40), st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39), st.floats(0.01, 0.3)), max_size=30),
       st.integers(0, 2**31))
def test_solving_the_involved_firms_equals_the_whole_system(n, stakes, seed):
    """Whatever the holdings, the small system gives the values the full (I - S) v = b gives."""
    S = np.zeros((n, n))
    for i, j, f in stakes:
        if i < n and j < n and i != j and S[:, j].sum() + f < 0.9:
            S[i, j] = f
    b = np.random.default_rng(seed).uniform(0.0, 100.0, n)
    np.testing.assert_allclose(solve_values(b, S), np.linalg.solve(np.eye(n) - S, b), rtol=1e-10, atol=1e-9)
