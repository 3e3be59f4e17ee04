"""Circular financing measured (economy/circularity.py): hand-computed rings, the cycles, and the shipped scenarios.

The hand cases build payment rows directly (``(quarter, payer, payee, kind, amount,
payee_account)``, as ``payments.csv`` has them) for the pure functions; the scenario
cases run the baseline and the AI winter for twelve quarters.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pandas as pd
import pytest

from economy.circularity import (
    CIRCULARITY_COLUMNS,
    CYCLE_COLUMNS,
    LOOP_COLUMNS,
    circularity_rows,
    funding_links,
    money_cycles,
)

ROOT = Path(__file__).resolve().parents[1]
Q = "2026Q1"
ROLES = {"nvidia": "chipmaker", "openai": "lab", "coreweave": "neocloud", "oracle": "hyperscaler", "bank": "lender",
         "external": "external"}


def _pay(payer: str, payee: str, kind: str, amount: float, quarter: str = Q) -> tuple:
    """A payment row; revenue for the payee when its kind is a sale."""
    account = "revenue" if kind in ("chip_sale", "compute", "sales", "operating_cost") else {
        "tranche": "paid_in_capital", "equity": "paid_in_capital", "loan_drawn": "debt", "loan_repaid": "loans_held",
        "dividend": "other_income"}[kind]
    return (quarter, payer, payee, kind, amount, account)


def _by_entity(rows: list[dict]) -> dict[str, dict]:
    return {r["entity"]: r for r in rows}


def test_a_ring_of_funding_and_vendor_finance_gives_the_hand_computed_shares():
    """An investor funds a customer that buys from it, directly and through a third firm it lent to.

    Nvidia pays OpenAI a tranche of 10 and lends CoreWeave 4 (a vendor loan in the contract
    book, drawn this quarter); OpenAI rents compute from CoreWeave for 6 and buys chips from
    Nvidia for 3; CoreWeave buys chips from Nvidia for 5; outside buyers pay Nvidia 12, and
    Nvidia pays 2 outside. By hand:

    - Nvidia's revenue is 3 + 5 + 12 = 20, of which 3 (OpenAI) + 5 (CoreWeave) came from firms it
      funded: direct 8, share 0.4. Every firm that pays it is funded, so one step removed is 0.
    - CoreWeave funded nobody: round trip 0. Its revenue of 6 came from OpenAI, whose 9 of payments
      were drawn from its receipts of 10, all loop funding: loop-financed 6 × 10/10 = 6, share 1.
    - Nvidia's loop-financed revenue: 3 × 10/10 from OpenAI, and 5 × 4/10 from CoreWeave (which
      received the loan of 4 and 6 from OpenAI, and paid 5): 3 + 2 = 5, share 0.25.
    - The loop spends 14 + 2 (Nvidia) + 9 (OpenAI) + 5 (CoreWeave) = 30; of it financed inside:
      OpenAI's 9 × 10/10 and CoreWeave's 5 × 4/10, 11, share 11/30.
    """
    pays = [_pay("nvidia", "openai", "tranche", 10.0), _pay("nvidia", "coreweave", "loan_drawn", 4.0),
            _pay("openai", "coreweave", "compute", 6.0), _pay("openai", "nvidia", "chip_sale", 3.0),
            _pay("coreweave", "nvidia", "chip_sale", 5.0),
            _pay("external", "nvidia", "sales", 12.0), _pay("nvidia", "external", "operating_cost", 2.0)]
    book = [{"kind": "loan", "from_party": "nvidia", "to_party": "coreweave", "start": Q, "amount": 4.0}]
    firms, loop, cycles = circularity_rows(pays, book, ROLES, [Q])
    by = _by_entity(firms)
    nvidia, coreweave = by["nvidia"], by["coreweave"]
    assert (nvidia["revenue"], nvidia["round_trip_direct"], nvidia["round_trip_one_step"]) == (20.0, 8.0, 0.0)
    assert nvidia["direct_share"] == pytest.approx(0.4) and nvidia["round_trip_share"] == pytest.approx(0.4)
    assert nvidia["loop_financed"] == pytest.approx(5.0) and nvidia["loop_financed_share"] == pytest.approx(0.25)
    assert nvidia["firms_funded"] == 2 and nvidia["revenue_from_firms"] == pytest.approx(8.0)
    # the payers' side: OpenAI paid 6 + 3 to firms, 3 of it to Nvidia, its funder; CoreWeave 5, all to Nvidia
    openai = by["openai"]
    assert (openai["paid_to_firms"], openai["paid_to_funders"]) == (9.0, 3.0)
    assert openai["paid_to_funders_share"] == pytest.approx(1 / 3)
    assert (coreweave["paid_to_firms"], coreweave["paid_to_funders"]) == (5.0, 5.0)
    assert coreweave["round_trip"] == 0.0 and coreweave["loop_financed_share"] == pytest.approx(1.0)
    assert loop[0]["spending"] == pytest.approx(30.0) and loop[0]["financed_inside"] == pytest.approx(11.0)
    assert loop[0]["financed_inside_share"] == pytest.approx(11.0 / 30.0)
    assert loop[0]["spending_in_loop"] == pytest.approx(28.0)
    assert [c["cycle"] for c in cycles] == ["nvidia -> openai -> coreweave -> nvidia", "nvidia -> coreweave -> nvidia",
                                            "nvidia -> openai -> nvidia"]
    assert [c["volume"] for c in cycles] == [5.0, 4.0, 3.0] and [c["rank"] for c in cycles] == [1, 2, 3]
    assert set(firms[0]) == set(CIRCULARITY_COLUMNS) and set(loop[0]) == set(LOOP_COLUMNS)
    assert set(cycles[0]) == set(CYCLE_COLUMNS)


def test_one_step_removed_is_apportioned_by_the_intermediarys_receipts():
    """Revenue from a firm that a funded firm pays counts in the share of the intermediary's money that firm paid.

    Nvidia pays OpenAI a tranche of 10; OpenAI rents compute from Oracle for 8; outside buyers pay
    Oracle 12; Oracle buys chips from Nvidia for 5 and pays 10 outside; outside buyers pay Nvidia 15.
    Oracle's payments (15) are drawn from its receipts (20), 8 of them OpenAI's: 5 × 8/20 = 2 of
    Nvidia's revenue of 20 is round-tripped one step removed, a share of 0.1; none directly.
    """
    pays = [_pay("nvidia", "openai", "tranche", 10.0), _pay("openai", "oracle", "compute", 8.0),
            _pay("external", "oracle", "sales", 12.0), _pay("oracle", "nvidia", "chip_sale", 5.0),
            _pay("oracle", "external", "operating_cost", 10.0), _pay("external", "nvidia", "sales", 15.0)]
    nvidia = _by_entity(circularity_rows(pays, [], ROLES, [Q])[0])["nvidia"]
    assert nvidia["round_trip_direct"] == 0.0
    assert nvidia["round_trip_one_step"] == pytest.approx(2.0) and nvidia["one_step_share"] == pytest.approx(0.1)
    assert nvidia["round_trip_share"] == pytest.approx(0.1)


def test_one_step_never_traces_more_than_the_funded_firm_paid():
    """An intermediary paying more than it received draws the rest from cash: 25 × 8/30 of OpenAI's 8 is traced.

    Oracle receives 8 from OpenAI and 12 from outside (20) but pays Nvidia 25 and 5 outside (30):
    its payments are drawn from the larger of the two, so 25 × 8/30 ≈ 6.67 of Nvidia's revenue is
    traced to OpenAI's money, less than the 8 OpenAI paid (dividing by its receipts would give 10).
    """
    pays = [_pay("nvidia", "openai", "tranche", 10.0), _pay("openai", "oracle", "compute", 8.0),
            _pay("external", "oracle", "sales", 12.0), _pay("oracle", "nvidia", "chip_sale", 25.0),
            _pay("oracle", "external", "operating_cost", 5.0)]
    nvidia = _by_entity(circularity_rows(pays, [], ROLES, [Q])[0])["nvidia"]
    assert nvidia["round_trip_one_step"] == pytest.approx(25.0 * 8.0 / 30.0)


def test_funding_is_cumulative_and_a_commitment_funds_nobody_until_a_tranche_is_paid():
    """A stake counts from its start, a tranche from its quarter, and both stay counted; a letter of intent does not count."""
    book = [{"kind": "equity_stake", "from_party": "oracle", "to_party": "openai", "start": "2026Q2", "amount": 1.0},
            {"kind": "investment_commitment", "from_party": "nvidia", "to_party": "openai", "start": "", "amount": 100.0},
            {"kind": "warrant", "from_party": "coreweave", "to_party": "openai", "start": "", "amount": 0.1},
            {"kind": "compute", "from_party": "openai", "to_party": "oracle", "start": "", "amount": 30.0}]
    pays = [_pay("nvidia", "openai", "tranche", 1.0, "2026Q3"), _pay("openai", "nvidia", "chip_sale", 2.0, "2026Q2"),
            _pay("openai", "nvidia", "chip_sale", 2.0, "2026Q4"), _pay("openai", "oracle", "compute", 4.0, "2026Q1"),
            _pay("openai", "oracle", "compute", 4.0, "2026Q2")]
    assert funding_links(pays, book, set(ROLES) - {"external"}) == {
        ("coreweave", "openai"): -1, ("nvidia", "openai"): 2026 * 4 + 2, ("oracle", "openai"): 2026 * 4 + 1}
    quarters = ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    rows = [r for r in circularity_rows(pays, book, ROLES, quarters)[0] if r["entity"] in ("nvidia", "oracle")]
    direct = {(r["entity"], r["quarter"]): r["round_trip_direct"] for r in rows}
    assert direct[("oracle", "2026Q1")] == 0.0 and direct[("oracle", "2026Q2")] == 4.0  # the stake starts in Q2
    assert direct[("nvidia", "2026Q2")] == 0.0 and direct[("nvidia", "2026Q4")] == 2.0  # the tranche was paid in Q3


def test_an_undrawn_loan_funds_its_borrower_only_once_drawn():
    """A vendor revolver with nothing drawn (principal 0) funds nobody; its first draw (2026Q2) funds from then on.

    CoreWeave buys chips from Nvidia for 5 each quarter; Nvidia's revolver to it is undrawn in 2026Q1 and drawn for
    2 in 2026Q2: Nvidia's direct round trip is 0 in 2026Q1, then 5 (of revenue 5) in 2026Q2 and 2026Q3.
    """
    book = [{"kind": "loan", "from_party": "nvidia", "to_party": "coreweave", "start": "", "amount": 0.0}]
    quarters = ["2026Q1", "2026Q2", "2026Q3"]
    pays = [_pay("coreweave", "nvidia", "chip_sale", 5.0, q) for q in quarters]
    assert funding_links(pays, book, set(ROLES) - {"external"}) == {}
    pays.append(_pay("nvidia", "coreweave", "loan_drawn", 2.0, "2026Q2"))
    assert funding_links(pays, book, set(ROLES) - {"external"}) == {("nvidia", "coreweave"): 2026 * 4 + 1}
    rows = [r for r in circularity_rows(pays, book, ROLES, quarters)[0] if r["entity"] == "nvidia"]
    assert [r["round_trip_direct"] for r in rows] == [0.0, 5.0, 5.0]
    assert [r["firms_funded"] for r in rows] == [0, 1, 1]


def test_a_stake_granted_with_a_deal_does_not_make_its_holder_a_funder():
    """CoreWeave granting OpenAI stock with a compute deal (cost 0) is no money from OpenAI to CoreWeave.

    OpenAI receives 3 from Oracle for something, Oracle having received 6 from CoreWeave: counted as a funder of
    CoreWeave, OpenAI would have 3 x 6/6 = 3 round-tripped one step removed; with the granted stake it has none.
    A stake paid for (amount 0.35) does count.
    """
    pays = [_pay("coreweave", "oracle", "compute", 6.0), _pay("oracle", "openai", "compute", 3.0)]
    granted = [{"kind": "equity_stake", "from_party": "openai", "to_party": "coreweave", "start": "", "amount": 0.0}]
    bought = [{**granted[0], "amount": 0.35}]
    openai = {name: _by_entity(circularity_rows(pays, book, ROLES, [Q])[0])["openai"]
              for name, book in (("granted", granted), ("bought", bought))}
    assert openai["granted"]["round_trip"] == 0.0 and openai["granted"]["firms_funded"] == 0
    assert openai["bought"]["round_trip_one_step"] == pytest.approx(3.0)


def test_the_baseline_has_openai_fund_neither_coreweave_nor_is_funded_by_its_undrawn_revolver():
    """In the shipped baseline OpenAI's CoreWeave stock is granted (cost 0) and its revolver undrawn at the start."""
    from economy.config import load_config
    from model import AIFinanceModel

    model = AIFinanceModel(config=load_config(ROOT / "configs" / "baseline.yaml"), seed=0)
    rows = model.recorder.contract_rows()
    by_id = {r["contract_id"]: r for r in rows}
    assert by_id["openai_coreweave_stake"]["amount"] == 0.0 and by_id["openai_revolver"]["amount"] == 0.0
    links = funding_links([], rows, set(model.ledger.names) - {"external"})
    assert ("openai", "coreweave") not in links and ("banks", "openai") not in links
    assert ("nvidia", "coreweave") in links  # Nvidia bought its CoreWeave shares


def test_inside_funding_kept_as_cash_is_spent_first_in_later_quarters():
    """A tranche not spent in its quarter is carried, and spent first in the next (hand-computed, module docstring).

    2026Q1: Nvidia pays OpenAI a tranche of 10; OpenAI rents compute from CoreWeave for 4. Its payments are
    drawn from its receipts of 10, all inside funding: financed 4 x 10/10 = 4, and 6 is carried.
    2026Q2: outside buyers pay OpenAI 8 and it pays Oracle 9: the carried 6 first, the other 3 from the
    quarter's receipts, none of them inside funding: financed 6 of 9; Oracle's revenue of 9 is loop-financed
    for 6 (share 2/3). Nothing is carried on.
    2026Q3: OpenAI pays CoreWeave 2 from its cash: nothing of it financed inside.
    Per quarter alone (no carry) 2026Q2 would have had nothing financed inside.
    """
    pays = [_pay("nvidia", "openai", "tranche", 10.0, "2026Q1"), _pay("openai", "coreweave", "compute", 4.0, "2026Q1"),
            _pay("external", "openai", "sales", 8.0, "2026Q2"), _pay("openai", "oracle", "compute", 9.0, "2026Q2"),
            _pay("openai", "coreweave", "compute", 2.0, "2026Q3")]
    quarters = ["2026Q1", "2026Q2", "2026Q3"]
    firms, loop, _cycles = circularity_rows(pays, [], ROLES, quarters)
    assert [r["financed_inside"] for r in loop] == pytest.approx([4.0, 6.0, 0.0])
    assert [r["financed_inside_share"] for r in loop] == pytest.approx([4.0 / 14.0, 6.0 / 9.0, 0.0])
    oracle = {r["quarter"]: r for r in firms if r["entity"] == "oracle"}
    assert oracle["2026Q2"]["loop_financed"] == pytest.approx(6.0)
    assert oracle["2026Q2"]["loop_financed_share"] == pytest.approx(2.0 / 3.0)
    coreweave = {r["quarter"]: r for r in firms if r["entity"] == "coreweave"}
    assert coreweave["2026Q1"]["loop_financed"] == pytest.approx(4.0) and coreweave["2026Q3"]["loop_financed"] == 0.0


def test_the_carry_is_spent_before_new_inside_funding_and_the_rest_pro_rata():
    """Carry first, then the quarter's funding pro rata: 3 carried, then a tranche of 4 among receipts of 8.

    2026Q1: OpenAI receives a tranche of 3 and spends nothing: 3 carried. 2026Q2: it receives a tranche of 4
    and 4 from outside buyers (8) and pays 7: 3 from the carry, the other 4 drawn from the quarter's receipts,
    half of which are inside funding: 4 x 4/8 = 2; financed 5; carried on 4 - 2 = 2. 2026Q3: it pays 5, of
    which the carried 2 is inside funding.
    """
    pays = [_pay("nvidia", "openai", "tranche", 3.0, "2026Q1"), _pay("nvidia", "openai", "tranche", 4.0, "2026Q2"),
            _pay("external", "openai", "sales", 4.0, "2026Q2"), _pay("openai", "oracle", "compute", 7.0, "2026Q2"),
            _pay("openai", "oracle", "compute", 5.0, "2026Q3")]
    loop = circularity_rows(pays, [], ROLES, ["2026Q1", "2026Q2", "2026Q3"])[1]
    # Nvidia's tranches are loop spending too, paid from its cash (no inside funding)
    assert [r["financed_inside"] for r in loop] == pytest.approx([0.0, 5.0, 2.0])
    assert [r["spending"] for r in loop] == pytest.approx([3.0, 11.0, 5.0])


def test_outside_funding_in_out_net_and_need():
    """Loans drawn and shares bought from outside come in, repayments and dividends go out; need nets per firm.

    Oracle draws 10 from the bank and repays 3 (net 7); outside investors buy 4 of OpenAI's shares
    (net 4); Nvidia pays 6 of dividends (net -6). In 14, out 9, net 5; need 7 + 4 = 11 (Nvidia's
    dividends do not fund Oracle's building).
    """
    pays = [_pay("bank", "oracle", "loan_drawn", 10.0), _pay("oracle", "bank", "loan_repaid", 3.0),
            _pay("external", "openai", "equity", 4.0), _pay("nvidia", "external", "dividend", 6.0)]
    loop = circularity_rows(pays, [], ROLES, [Q])[1][0]
    assert (loop["outside_funding_in"], loop["outside_funding_out"]) == (14.0, 9.0)
    assert (loop["outside_funding_net"], loop["outside_funding_need"]) == (5.0, 11.0)
    assert loop["spending"] == 9.0 and loop["financed_inside"] == 0.0 and loop["cycles"] == 0


def test_cycles_found_on_a_hand_graph_with_their_volume_largest_first():
    """A hand graph's cycles up to the length bound, each once, volume the smallest flow around it."""
    flows = {("a", "b"): 5.0, ("b", "c"): 2.0, ("c", "a"): 3.0, ("b", "a"): 1.0, ("c", "d"): 4.0, ("d", "a"): 6.0,
             ("d", "d"): 9.0, ("a", "c"): 0.0}
    assert money_cycles(flows, ["a", "b", "c", "d"]) == [(("a", "b", "c", "d"), 2.0), (("a", "b", "c"), 2.0),
                                                         (("a", "b"), 1.0)]
    assert money_cycles(flows, ["a", "b", "c", "d"], max_length=3) == [(("a", "b", "c"), 2.0), (("a", "b"), 1.0)]


def test_cycles_are_those_networkx_finds():
    """On seeded random graphs, the cycles and their volumes are networkx's simple_cycles with the same length bound."""
    nx = pytest.importorskip("networkx")
    rng = random.Random(11)
    for _ in range(20):
        nodes = [f"n{i}" for i in range(8)]
        flows = {(a, b): float(rng.randint(1, 9)) for a in nodes for b in nodes if a != b and rng.random() < 0.3}
        graph = nx.DiGraph()
        graph.add_weighted_edges_from((a, b, w) for (a, b), w in flows.items())
        for bound in (2, 4):
            ours = {frozenset(zip(c, c[1:] + c[:1], strict=True)): v for c, v in money_cycles(flows, nodes, bound)}
            theirs = {frozenset(zip(c, c[1:] + c[:1], strict=True)) for c in nx.simple_cycles(graph, length_bound=bound)}
            assert set(ours) == theirs
            assert all(v == min(flows[e] for e in edges) for edges, v in ours.items())


# ---------------------------------------------------------------------------------------------- the shipped scenarios
@pytest.fixture(scope="module")
def scenarios() -> dict[str, dict]:
    """The baseline and the AI winter, twelve quarters, seed 0: their tables and summary."""
    from analysis.summary import summarize
    from economy.records import frames
    from model import AIFinanceModel

    out = {}
    for name, path in (("baseline", "configs/baseline.yaml"), ("winter", "configs/scenarios/ai_winter.yaml")):
        tables = frames(AIFinanceModel(config=str(ROOT / path), seed=0, quarters=12).run())
        out[name] = {"tables": tables, "summary": summarize(tables, ["openai"])}
    return out


@pytest.mark.parametrize("name", ["baseline", "winter"])
def test_metrics_are_finite_and_shares_lie_in_0_1(scenarios, name):
    """Every number of the circularity tables is finite; every share, per quarter and over the run, is in [0, 1]."""
    tables = scenarios[name]["tables"]
    firms, loop, cycles = tables["circularity"], tables["loop"], tables["cycles"]
    assert len(firms) == 12 * (tables["balance_sheets"].entity.nunique() - 1) and len(loop) == 12
    for df in (firms, loop, cycles):
        numbers = df.select_dtypes("number")
        assert numbers.notna().all().all() and numbers.abs().max().max() < math.inf
    shares = [c for c in firms.columns if c.endswith("_share")] + ["financed_inside_share"]
    for column in shares:
        values = (firms if column in firms else loop)[column]
        assert values.between(0.0, 1.0 + 1e-12).all(), column
    assert (firms.round_trip <= firms.revenue_from_firms + 1e-9).all()
    # the payer's side is the same money: what firms paid their funders is what funders got back directly
    sums = firms.groupby("quarter", observed=True)[["paid_to_funders", "round_trip_direct", "paid_to_firms",
                                                    "revenue_from_firms"]].sum()
    assert (sums.paid_to_funders - sums.round_trip_direct).abs().max() < 1e-6
    assert (sums.paid_to_firms - sums.revenue_from_firms).abs().max() < 1e-6
    assert (cycles.volume > 0).all() and (cycles.length >= 2).all()
    block = scenarios[name]["summary"]["circularity"]
    assert {"nvidia", "oracle", "coreweave", "amd", "amazon"} <= set(block["firms"])
    for figures in block["firms"].values():
        assert all(0.0 <= figures[k] <= 1.0 for k in ("direct_share", "one_step_share", "round_trip_share"))
    assert set(block["outside_funding_need_by_year"]) == {2026, 2027, 2028}


def test_revenue_is_the_balance_sheets_revenue(scenarios):
    """The revenue the metrics divide by is each firm's revenue in balance_sheets.csv, quarter by quarter."""
    tables = scenarios["baseline"]["tables"]
    bs = tables["balance_sheets"].set_index(["quarter", "entity"]).revenue
    firms = tables["circularity"].set_index(["quarter", "entity"]).revenue
    assert (firms - bs.loc[firms.index]).abs().max() < 1e-8


def test_the_ai_winter_round_trips_less_of_nvidias_revenue(scenarios):
    """In the AI winter Nvidia holds back its tranches to OpenAI, so less of its revenue comes back from firms it funded.

    The tranches are conditional (released when OpenAI's revenue keeps up with plan); the winter's
    demand falls short, so Nvidia pays none (the baseline pays $20B in the first three years), funds
    only CoreWeave, and its round-tripped share falls (0.051 to 0.017 over twelve quarters, seed 0);
    the web's round-tripped revenue as a whole falls too.
    """
    base, winter = scenarios["baseline"], scenarios["winter"]
    paid = {k: float(v["tables"]["payments"].query("kind == 'tranche' and payer == 'nvidia'").amount.sum())
            for k, v in scenarios.items()}
    assert paid["winter"] < paid["baseline"]
    share = {k: v["summary"]["circularity"]["firms"]["nvidia"]["round_trip_share"] for k, v in scenarios.items()}
    assert share["winter"] < share["baseline"]
    total = {k: float(v["tables"]["circularity"].round_trip.sum()) for k, v in (("baseline", base), ("winter", winter))}
    assert total["winter"] < total["baseline"]


def test_frames_add_the_three_tables_in_order(scenarios):
    """frames() holds circularity, loop and cycles with their documented columns."""
    tables = scenarios["baseline"]["tables"]
    assert list(tables["circularity"].columns) == CIRCULARITY_COLUMNS
    assert list(tables["loop"].columns) == LOOP_COLUMNS and list(tables["cycles"].columns) == CYCLE_COLUMNS
    ranks = tables["cycles"].groupby("quarter", observed=True)["rank"].apply(list)
    assert all(r == list(range(1, len(r) + 1)) for r in ranks)
    volumes = tables["cycles"].groupby("quarter", observed=True).volume.apply(list)
    assert all(v == sorted(v, reverse=True) for v in volumes)
    assert isinstance(tables["circularity"], pd.DataFrame)


def test_the_money_loop_figure_draws_the_ring_and_outlines_the_loop_funding_started():
    """The figure of the ring draws its five flows between firms, outlines the funded loop and states its volume.

    The external sector's purchases (12) and what Nvidia paid outside (2) are not drawn but named in
    the footnote; the loop Nvidia -> OpenAI -> CoreWeave -> Nvidia (smallest flow 5) starts with
    Nvidia's tranche, so it is the one outlined.
    """
    from analysis.figures.loop import money_loop
    from economy.flows import PAYMENT_COLUMNS

    rows = [_pay("nvidia", "openai", "tranche", 10.0), _pay("nvidia", "coreweave", "loan_drawn", 4.0),
            _pay("openai", "coreweave", "compute", 6.0), _pay("openai", "nvidia", "chip_sale", 3.0),
            _pay("coreweave", "nvidia", "chip_sale", 5.0), _pay("external", "nvidia", "sales", 12.0),
            _pay("nvidia", "external", "operating_cost", 2.0)]
    payments = pd.DataFrame([{"quarter": q, "payer": a, "payee": b, "kind": k, "contract_id": "", "lab": "",
                              "amount": v, "cash": True, "payer_account": "cash", "payee_account": acct, "memo": ""}
                             for q, a, b, k, v, acct in rows], columns=PAYMENT_COLUMNS)
    names = {"nvidia": "Nvidia", "openai": "OpenAI", "coreweave": "CoreWeave", "oracle": "Oracle", "bank": "Bank",
             "external": "External sector"}
    sheets = pd.DataFrame([{"quarter": q, "entity": e, "name": names[e], "role": r, "status": "healthy"}
                           for q in ("2025Q4", Q) for e, r in ROLES.items()])
    fig = money_loop(payments, sheets, [Q])
    ax = fig.axes[0]
    assert sum(p.get_gid() == "link" for p in ax.patches) == 5
    assert sum(p.get_gid() == "cycle" for p in ax.patches) == 3
    texts = " ".join(t.get_text() for t in fig.texts)
    assert "Nvidia → OpenAI → CoreWeave → Nvidia" in texts and r"\$5.0B went all the way round" in texts
    assert r"\$12B" in texts and r"\$2.0B" in texts
    assert "USD 28B paid between firms of the loop" in fig.get_suptitle()


def test_the_report_prints_each_firm_and_year(scenarios):
    """run.py circularity's report: a line per firm reported, per year, and the most frequent largest cycle."""
    from analysis.circularity_report import figures_of_run, report

    runs = [figures_of_run(scenarios["baseline"]["tables"])] * 2
    lines = report("baseline", runs)
    assert lines[0].startswith("baseline (2 seeds)")
    text = "\n".join(lines)
    for firm in ("nvidia", "oracle", "coreweave", "amd", "amazon"):
        assert f"    {firm} " in text
    assert all(f"    {year} " in text for year in (2026, 2027, 2028))
    assert "(2)" in lines[-1]


def test_the_module_examples_hold():
    """The examples in economy/circularity.py's docstrings give what they show."""
    import doctest

    import economy.circularity

    assert doctest.testmod(economy.circularity).failed == 0
