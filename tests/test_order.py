"""No outcome depends on the order of a list: competing requests clear at once, and permuted configs give the same run."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from economy.config import _read_merged, config_from_dict
from economy.credit import LoanRequest, clear_loan_requests
from economy.ledger import Account
from economy.records import frames
from model import BASELINE, AIFinanceModel
from tests.worlds import BANK, build, neocloud

SCENARIOS = BASELINE.parent / "scenarios"
KEYS = {"balance_sheets": ["quarter", "entity"], "system": ["quarter"], "contracts": ["contract_id"],
        "cascade": ["quarter", "entity", "channel", "caused_by"], "losses": ["quarter", "holder", "source", "kind", "channel"],
        "payments": ["quarter", "payer", "payee", "kind", "contract_id", "memo"]}
PERMUTATIONS = ("reversed", "shuffled-1", "shuffled-2")
"""The lists reversed, and shuffled by two fixed seeds."""


def test_the_desk_grants_in_full_when_capacity_covers_every_request():
    """Requests that fit the lender's capacity are granted as asked."""
    assert clear_loan_requests([LoanRequest(1, 9, 3.0, 100.0), LoanRequest(2, 9, 4.0, 100.0)], {9: 7.0}) == [3.0, 4.0]


def test_the_desk_cuts_every_request_in_the_same_proportion_whatever_their_order():
    """Hand-computed: 30 and 10 asked of a lender with 20 -> 15 and 5, in either order; another lender is apart."""
    a, b, c = LoanRequest(1, 9, 30.0, 500.0), LoanRequest(2, 9, 10.0, 500.0), LoanRequest(3, 8, 50.0, 500.0)
    assert clear_loan_requests([a, b, c], {9: 20.0, 8: 100.0}) == [15.0, 5.0, 50.0]
    assert clear_loan_requests([c, b, a], {9: 20.0, 8: 100.0}) == [50.0, 5.0, 15.0]
    assert clear_loan_requests([a], {9: -1.0}) == [0.0]


def test_two_builders_competing_for_one_lender_get_pro_rata_shares_in_either_order():
    """Hand-computed: 16 and 8 asked of a bank with 20 -> 13.33 and 6.67, the same with the companies listed either way."""
    results = []
    for order in (["a", "b"], ["b", "a"]):
        bank = copy.deepcopy(BANK)
        bank["opening"]["cash"] = 20.0
        bank["lender"]["max_exposure_share"] = 1.0
        firms = []
        for entity in order:
            firm = neocloud(entity, gw=1.0)
            firm["capacity"]["under_construction"] = [{"gw": {"a": 1.0, "b": 0.5}[entity], "complete": "2026Q1",
                                                        "hardware": False}]
            firms.append(firm)
        m = build(firms, [], quarters=1, bank=bank).run()
        led = m.ledger
        results.append({e: led.balance(m.index[e], Account.DEBT) for e in ("a", "b")})
        assert led.balance(m.index["bank"], Account.CASH) == pytest.approx(0.0, abs=1e-9)
    assert results[0] == results[1]
    assert results[0]["a"] == pytest.approx(20.0 * 16 / 24) and results[0]["b"] == pytest.approx(20.0 * 8 / 24)


def _permuted(items: list, permutation: str) -> list:
    if permutation == "reversed":
        return items[::-1]
    order = np.random.default_rng(int(permutation.split("-")[1])).permutation(len(items))
    return [items[i] for i in order]


_LISTED_RUNS: dict[tuple, dict] = {}


def _permuted_tables(path, seed: int, quarters: int, permutation: str = "reversed") -> tuple[dict, dict]:
    raw = _read_merged(path, ())
    raw["run"] = {**raw.get("run", {}), "seed": seed, "quarters": quarters}
    moved = {**copy.deepcopy(raw), "companies": _permuted(raw["companies"], permutation),
             "contracts": _permuted(raw.get("contracts", []), permutation)}
    key = (str(path), seed, quarters)
    if key not in _LISTED_RUNS:  # the run as listed is compared with each permutation: run it once
        _LISTED_RUNS[key] = frames(AIFinanceModel(config=config_from_dict(raw, str(path))).run())
    return _LISTED_RUNS[key], frames(AIFinanceModel(config=config_from_dict(moved, str(path))).run())


def _canonical(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows in an order of their own content: the keys, then every other column (numbers rounded past float dust)."""
    rest = [c for c in df.columns if c not in keys]
    sort = df.assign(**{f"_{c}": df[c].round(6) if df[c].dtype.kind == "f" else df[c].astype(str) for c in rest})
    return sort.sort_values(keys + [f"_{c}" for c in rest], kind="stable")[list(df.columns)].reset_index(drop=True)


@pytest.mark.parametrize("permutation", PERMUTATIONS)
@pytest.mark.parametrize(("path", "seed"), [(BASELINE, 0), (BASELINE, 1), (SCENARIOS / "ai_winter.yaml", 0),
                                            (SCENARIOS / "ai_winter.yaml", 1), (SCENARIOS / "credit_crunch.yaml", 0)])
def test_permuting_the_companies_and_contracts_lists_changes_no_outcome(path, seed, permutation):
    """The same world listed in another order gives the same tables (to float rounding: sums run in another order)."""
    first, second = _permuted_tables(path, seed, 32, permutation)
    for name, keys in KEYS.items():
        a, b = _canonical(first[name], keys), _canonical(second[name], keys)
        assert list(a.columns) == list(b.columns) and len(a) == len(b), name
        for col in a.columns:
            if a[col].dtype.kind == "f":
                np.testing.assert_allclose(b[col].to_numpy(), a[col].to_numpy(), rtol=1e-9, atol=1e-9,
                                           err_msg=f"{name}.{col} depends on the order of the lists")
            else:
                assert (a[col].astype(str) == b[col].astype(str)).all(), f"{name}.{col} depends on the order of the lists"
    assert sorted(first["events"].text) == sorted(second["events"].text)
