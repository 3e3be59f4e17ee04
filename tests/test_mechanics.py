"""The mechanics on a passive Economy, without a model: credit desk, construction, capacity, valuation, actions, twins.

Every test opens a tiny economy of :mod:`tests.economies` (no Mesa, no ``model``), calls one
mechanism and checks figures computed by hand, written out beside each test. The quiet
world: a GW costs $10B (hardware $6B, shells $4B) and takes three quarters to build,
compute rents for $3B a GW-quarter, the policy rate is 4%, nothing grows; quarter 1 is 2026Q1.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from economy import actions, compute_deals, equity, lending
from economy.construction import finance_and_build, instalment, instalments_due, progress_builds, start_build
from economy.contracts import ComputeCredit, DueContext, EquityStake, InvestmentCommitment, Loan, State
from economy.credit import LoanRequest
from economy.invariants import check_invariants
from economy.ledger import Account
from economy.operations import allocate_capacity
from economy.payments import settle_quarter
from economy.revaluation import fundamental_revenue, holdings_matrix, value_firms
from economy.state import Economy, Status
from economy.valuation import solve_values
from tests.economies import at_quarter, bank, builder, chipmaker, economy, lab

ROOT = Path(__file__).resolve().parents[1]


def balance(e: Economy, entity: str, account: Account) -> float:
    """One ledger balance of a firm (or of the external sector)."""
    return e.ledger.balance(e.index[entity], account)


def loan_decision(e: Economy, entity: str):
    """The builder's lender's decision on what it asks this quarter (:func:`agents.rounds.loan_decision`).

    Imported here, not at the top: ``agents`` brings in Mesa (its companies are Mesa agents),
    and every other test of this module runs without it (checked by the last test).
    """
    from agents.rounds import loan_decision as decide

    return decide(e, e.firm(entity))


# ------------------------------------------------------------------------------------------------ credit desk
def one_builder(cash: float = 2.0, **bank_terms) -> Economy:
    """The bank and a neocloud with ``cash`` and a $1B cash floor, which starts 1 GW (1 GW of shells) in 2026Q1."""
    e = at_quarter(economy([bank(**bank_terms), builder("neo", cash=cash, min_cash=1.0)]), 1)
    start_build(e, e.firm("neo"), 1.0, 1.0, None)
    return e


def test_credit_desk_a_builder_asks_for_its_instalments_and_cash_floor_less_its_cash():
    """The need is this quarter's instalments + the cash floor - cash, priced by leverage after the loan.

    Hand computation: the build (shells 4, hardware 6, done in 2026Q4) asks 4/4 + 6/4 = 2.5 now;
    need = 2.5 + 1 - 2 = 1.5. Leverage after = (0 + 1.5) / (2 + 1.5) = 3/7 (no backlog).
    Spread = base 200 + 300 x 3/7 (leverage) - 50 (secured: a neocloud) = 278.571428...bp.
    """
    from agents.decisions import ApproveLoan

    e = one_builder()
    d = loan_decision(e, "neo")
    assert isinstance(d, ApproveLoan)
    assert d.borrower == "neo"
    r = d.request
    assert (r.borrower, r.lender, r.tied_to) == (e.index["neo"], e.index["bank"], None)
    assert r.amount == pytest.approx(1.5)
    assert r.spread_bp == pytest.approx(200.0 + 300.0 * 3.0 / 7.0 - 50.0)


def test_credit_desk_asks_nothing_when_cash_covers_instalments_and_floor():
    """With $3.5B of cash (2.5 due + 1 floor) the builder asks for nothing."""
    assert loan_decision(one_builder(cash=3.5), "neo") is None


def test_credit_desk_refuses_when_leverage_after_exceeds_the_lenders_limit():
    """A lender that lends up to 40% debt to assets refuses 3/7 = 42.9%: RefuseLoan with the need and that leverage."""
    from agents.decisions import RefuseLoan

    d = loan_decision(one_builder(max_borrower_debt_to_assets=0.4), "neo")
    assert isinstance(d, RefuseLoan)
    assert (d.borrower, d.amount, d.leverage) == ("neo", pytest.approx(1.5), pytest.approx(3.0 / 7.0))


def test_credit_desk_refuses_a_loan_over_the_lenders_exposure_limit():
    """A bank with $5B of cash puts at most 25% of it (the schema's default), $1.25B, into one loan: 1.5 is refused."""
    from agents.decisions import RefuseLoan

    e = at_quarter(economy([bank(cash=5.0), builder("neo", cash=2.0, min_cash=1.0)]), 1)
    start_build(e, e.firm("neo"), 1.0, 1.0, None)
    d = loan_decision(e, "neo")
    assert isinstance(d, RefuseLoan)
    assert d.amount == pytest.approx(1.5)


def test_credit_desk_a_builder_over_its_own_limit_does_not_ask():
    """A builder that keeps debt under 40% of assets does not ask for a loan that would take it to 3/7."""
    e = at_quarter(economy([bank(), builder("neo", cash=2.0, min_cash=1.0, max_debt_to_assets=0.4)]), 1)
    start_build(e, e.firm("neo"), 1.0, 1.0, None)
    assert loan_decision(e, "neo") is None


def test_credit_desk_a_granted_loan_pays_the_instalments_and_posts_debt_with_the_facility():
    """The bank lends 1.5 on a new facility; the builder pays 2.5 into its build and keeps its $1B floor.

    Hand computation: neo cash 2 + 1.5 - 2.5 = 1.0; construction in progress 2.5 (shells 1 to
    contractors, hardware 1.5 to outside suppliers: no chipmaker here); bank cash 100 - 1.5 = 98.5.
    """
    e = one_builder()
    d = loan_decision(e, "neo")
    finance_and_build(e, [d.request])
    check_invariants(e)
    (loan,) = e.book.of_kind(Loan)
    assert loan.id == "facility-neo-bank-general-2026"
    assert (loan.principal, loan.end, loan.collateral) == (pytest.approx(1.5), 1 + 20, "hardware")
    assert balance(e, "neo", Account.DEBT) == pytest.approx(loan.principal)
    assert balance(e, "bank", Account.LOANS_HELD) == pytest.approx(loan.principal)
    assert balance(e, "bank", Account.CASH) == pytest.approx(98.5)
    assert balance(e, "neo", Account.CASH) == pytest.approx(1.0)
    assert balance(e, "neo", Account.CONSTRUCTION_IN_PROGRESS) == pytest.approx(2.5)
    (b,) = e.firm("neo").fleet.builds
    assert (b.shell_paid, b.hardware_paid, b.complete) == (pytest.approx(1.0), pytest.approx(1.5), 4)
    assert e.firm("neo").flows.capex == pytest.approx(2.5)


def test_credit_desk_a_refused_builder_cannot_pay_and_its_build_slips_a_quarter():
    """Refused, the builder has 2 < 2.5 due: nothing is paid, the build completes in 2027Q1 instead of 2026Q4."""
    e = one_builder(max_borrower_debt_to_assets=0.4)
    d = loan_decision(e, "neo")
    lending.refuse_loan(e, e.firm("bank"), e.firm("neo"), d.amount, d.leverage)
    finance_and_build(e, [])
    check_invariants(e)
    (b,) = e.firm("neo").fleet.builds
    assert (b.complete, b.shell_paid, b.hardware_paid) == (5, 0.0, 0.0)
    assert balance(e, "neo", Account.CASH) == pytest.approx(2.0)
    assert e.firm("neo").refused_in == 1
    assert [ev["kind"] for ev in e.events] == ["loan_refused"]
    assert e.channels.rows == [{"quarter": "2026Q1", "holder": "neo", "channel": "credit", "source": "bank",
                                "amount": pytest.approx(1.5)}]


def two_builders(bank_cash: float) -> Economy:
    """Two neoclouds starting 1 GW each in 2026Q1: ``a`` with $2B (asks 1.5), ``b`` with $1.5B (asks 2.0)."""
    e = economy([bank(cash=bank_cash, max_exposure_share=1.0), builder("a", cash=2.0, min_cash=1.0),
                 builder("b", cash=1.5, min_cash=1.0)])
    at_quarter(e, 1)
    for entity in ("a", "b"):
        start_build(e, e.firm(entity), 1.0, 1.0, None)
    return e


def test_credit_desk_two_builders_against_a_lender_short_of_cash_get_pro_rata():
    """The bank approves 1.5 and 2.0 but has 2.8: each gets 2.8 / 3.5 = 80%, 1.2 and 1.6, and both builds are paid.

    Hand computation: leverage after a = 1.5 / 3.5 = 3/7, b = 2.0 / 3.5 = 4/7 (both under b's 60% and the
    bank's 70%); spreads 200 + 300 x leverage - 50. Budgets a 2 + 1.2 = 3.2, b 1.5 + 1.6 = 3.1, both >= 2.5;
    cash after a 0.7, b 0.6, bank 0. Each facility's ledger debt is its principal.
    """
    e = two_builders(2.8)
    decisions = [loan_decision(e, "a"), loan_decision(e, "b")]
    assert [d.request.amount for d in decisions] == [pytest.approx(1.5), pytest.approx(2.0)]
    assert [d.request.spread_bp for d in decisions] == [pytest.approx(200 + 300 * 3 / 7 - 50),
                                                        pytest.approx(200 + 300 * 4 / 7 - 50)]
    finance_and_build(e, [d.request for d in decisions])
    check_invariants(e)
    loans = {loan.to_party: loan for loan in e.book.of_kind(Loan)}
    for entity, lent, cash in (("a", 1.2, 0.7), ("b", 1.6, 0.6)):
        loan = loans[e.index[entity]]
        assert loan.principal == pytest.approx(lent)
        assert balance(e, entity, Account.DEBT) == pytest.approx(loan.principal)
        assert balance(e, entity, Account.CASH) == pytest.approx(cash)
        assert e.firm(entity).fleet.builds[0].complete == 4  # paid: on time
    assert balance(e, "bank", Account.LOANS_HELD) == pytest.approx(2.8)
    assert balance(e, "bank", Account.CASH) == pytest.approx(0.0, abs=1e-12)
    assert all("rationed pro rata" in ev["text"] for ev in e.events if ev["kind"] == "loan")


def test_credit_desk_pro_rata_does_not_depend_on_the_order_of_requests():
    """The same two requests in the other order get the same amounts, to the last digit."""
    first, second = two_builders(2.8), two_builders(2.8)
    requests = [loan_decision(first, "a").request, loan_decision(first, "b").request]
    finance_and_build(first, requests)
    finance_and_build(second, requests[::-1])
    assert [loan.principal for loan in sorted(first.book.of_kind(Loan), key=lambda k: k.id)] == \
        [loan.principal for loan in sorted(second.book.of_kind(Loan), key=lambda k: k.id)]


def test_draws_in_one_year_go_on_one_facility_repriced_by_amount():
    """3.0 at 200bp then 1.0 at 400bp in 2026 make one facility of 4.0 at (600 + 400) / 4 = 250bp; 2027 opens another."""
    e = at_quarter(economy([bank(), builder("neo", cash=1.0)]), 1)
    neo, bank_h = e.index["neo"], e.index["bank"]
    lending.draw_facility(e, LoanRequest(neo, bank_h, 3.0, 200.0), 3.0, e.firm("bank").spec.lender)
    at_quarter(e, 2)
    lending.draw_facility(e, LoanRequest(neo, bank_h, 1.0, 400.0), 1.0, e.firm("bank").spec.lender)
    check_invariants(e)
    (loan,) = e.book.of_kind(Loan)
    assert (loan.principal, loan.amount, loan.spread_bp) == (pytest.approx(4.0), pytest.approx(4.0), pytest.approx(250.0))
    at_quarter(e, 5)
    lending.draw_facility(e, LoanRequest(neo, bank_h, 2.0, 300.0), 2.0, e.firm("bank").spec.lender)
    check_invariants(e)
    assert [(k.id, k.principal) for k in e.book.of_kind(Loan)] == [
        ("facility-neo-bank-general-2026", pytest.approx(4.0)), ("facility-neo-bank-general-2027", pytest.approx(2.0))]
    assert balance(e, "neo", Account.DEBT) == pytest.approx(6.0)
    assert balance(e, "neo", Account.CASH) == pytest.approx(7.0)


# ------------------------------------------------------------------------------------------------ construction
def test_start_build_costs_shells_and_hardware_and_finishes_a_lead_time_later():
    """1 GW of hardware in 1.5 GW of shells from 2026Q1: shells 1.5 x 10 x 0.4 = 6, hardware 1 x 10 x 0.6 = 6, done q4."""
    e = at_quarter(economy([bank(), builder("neo")]), 1)
    start_build(e, e.firm("neo"), 1.0, 1.5, None)
    (b,) = e.firm("neo").fleet.builds
    assert (b.started, b.complete, b.gw, b.shell_gw) == (1, 4, 1.0, 1.5)
    assert (b.shell_cost, b.hardware_cost, b.shell_paid, b.hardware_paid) == (pytest.approx(6.0), pytest.approx(6.0), 0, 0)


def opening_build(cash: float, chips: list[dict] | None = None) -> Economy:
    """A neocloud with ``cash`` and a 1 GW build to finish in 2026Q2, $1B of its shells paid before the run."""
    neo = builder("neo", cash=cash)
    neo["capacity"]["under_construction"] = [{"gw": 1.0, "complete": "2026Q2", "spent": 1.0}]
    return economy([bank(), neo, *(chips or [])])


def test_an_instalment_spreads_what_is_left_evenly_to_completion():
    """In 2026Q1 a build due in 2026Q2 with 1 of 4 paid on shells asks (4 - 1) / 2 = 1.5 and 6 / 2 = 3.0 of hardware."""
    e = at_quarter(opening_build(cash=10.0), 1)
    co = e.firm("neo")
    (b,) = co.fleet.builds
    assert balance(e, "neo", Account.CONSTRUCTION_IN_PROGRESS) == pytest.approx(1.0)
    assert instalment(e, b) == (pytest.approx(1.5), pytest.approx(3.0))
    assert instalments_due(e, co) == pytest.approx(4.5)
    b.complete = 4  # had it slipped to 2026Q4: four quarters left, (4 - 1) / 4 and 6 / 4
    assert instalment(e, b) == (pytest.approx(0.75), pytest.approx(1.5))
    b.complete = 0  # overdue: everything left is asked now
    assert instalment(e, b) == (pytest.approx(3.0), pytest.approx(6.0))


def test_an_unfunded_build_slips_a_quarter_and_nothing_is_paid():
    """With a budget of 4.4 < 4.5 due the build slips from 2026Q2 to 2026Q3; no money moves."""
    e = at_quarter(opening_build(cash=10.0), 1)
    co = e.firm("neo")
    progress_builds(e, co, 4.4)
    check_invariants(e)
    (b,) = co.fleet.builds
    assert (b.complete, b.shell_paid, b.hardware_paid) == (3, 1.0, 0.0)
    assert balance(e, "neo", Account.CASH) == pytest.approx(10.0)
    assert co.flows.capex == 0.0


def test_a_cheaper_build_is_paid_when_an_earlier_one_cannot_be():
    """Builds are paid in order of completion, but one that cannot be paid does not hold back a cheaper later one.

    Hand computation: the opening build asks 4.5; a new 0.5 GW build of hardware only (no shells) asks 3 / 4 = 0.75.
    With a budget of 1.0 the first slips and the second is paid.
    """
    e = at_quarter(opening_build(cash=10.0), 1)
    co = e.firm("neo")
    start_build(e, co, 0.5, 0.0, None)
    progress_builds(e, co, 1.0)
    check_invariants(e)
    first, second = co.fleet.builds
    assert (first.complete, first.hardware_paid) == (3, 0.0)
    assert (second.complete, second.hardware_paid) == (4, pytest.approx(0.75))
    assert balance(e, "neo", Account.CASH) == pytest.approx(9.25)


def test_a_finished_build_goes_into_service_with_chips_bought_by_hardware_share():
    """Two quarters of instalments finish the build: CIP moves into hardware and shells, the fleet gains 1 GW.

    Hand computation, each quarter: shells 1.5 to contractors and hardware 3.0 split by share:
    ``big`` (50%, margin 60%) sells 1.5 and pays 1.5 x 0.4 = 0.6 for the goods; ``small`` (25%,
    margin 80%) sells 0.75 and pays 0.15; outside suppliers get the last 25%, 0.75. Over two quarters:
    big's cash 10 + 2 x 0.9 = 11.8, small's 10 + 2 x 0.6 = 11.2, neo's 10 - 9 = 1. On completion
    CIP (1 + 9 = 10) becomes hardware 6 (1 GW, a vintage of 2026Q2) and shells 4 (1 GW).
    """
    chips = [chipmaker("big", 0.5, 0.6, cash=10.0), chipmaker("small", 0.25, 0.8, cash=10.0)]
    e = at_quarter(opening_build(cash=10.0, chips=chips), 1)
    co = e.firm("neo")
    progress_builds(e, co, co.cash())
    check_invariants(e)
    assert balance(e, "neo", Account.CONSTRUCTION_IN_PROGRESS) == pytest.approx(1.0 + 4.5)
    assert balance(e, "big", Account.REVENUE) == pytest.approx(1.5)
    assert balance(e, "big", Account.OPEX) == pytest.approx(0.6)
    assert balance(e, "small", Account.REVENUE) == pytest.approx(0.75)
    assert balance(e, "small", Account.OPEX) == pytest.approx(0.15)
    # the outside sector: shells 1.5, other suppliers' 0.75 of hardware, the chipmakers' cost of goods 0.6 + 0.15
    assert balance(e, "external", Account.REVENUE) == pytest.approx(1.5 + 0.75 + 0.6 + 0.15)
    assert co.fleet.hardware_gw == 0.0 and co.fleet.builds
    at_quarter(e, 2)
    progress_builds(e, co, co.cash())
    check_invariants(e)
    assert not co.fleet.builds
    assert balance(e, "neo", Account.CONSTRUCTION_IN_PROGRESS) == pytest.approx(0.0, abs=1e-12)
    assert balance(e, "neo", Account.HARDWARE) == pytest.approx(6.0)
    assert balance(e, "neo", Account.DC_SHELLS) == pytest.approx(4.0)
    assert balance(e, "neo", Account.CASH) == pytest.approx(1.0)
    assert balance(e, "big", Account.CASH) == pytest.approx(11.8)
    assert balance(e, "small", Account.CASH) == pytest.approx(11.2)
    (v,) = co.fleet.vintages
    assert (v.built, v.gw, v.cost, v.book, v.life) == (2, 1.0, pytest.approx(6.0), pytest.approx(6.0), 20)
    assert (co.fleet.hardware_gw, co.fleet.shell_gw, co.fleet.shell_book, co.fleet.capacity_gw) == (
        1.0, 1.0, pytest.approx(4.0), 1.0)
    assert co.flows.capex == pytest.approx(9.0)


def test_a_chipmaker_that_builds_pays_its_own_chips_to_outside_suppliers():
    """A chipmaker that builds sells no chips to itself: of 1.5 of hardware, ``small`` sells 25%, the rest goes outside."""
    chips = [chipmaker("big", 0.5, 0.6, cash=10.0), chipmaker("small", 0.25, 0.8, cash=10.0)]
    e = at_quarter(economy([bank(), *chips]), 1)
    big = e.firm("big")
    start_build(e, big, 1.0, 0.0, None)  # hardware only: 6 over four quarters, 1.5 now
    progress_builds(e, big, big.cash())
    check_invariants(e)
    assert balance(e, "small", Account.REVENUE) == pytest.approx(1.5 * 0.25)
    assert balance(e, "big", Account.REVENUE) == 0.0
    assert balance(e, "big", Account.CASH) == pytest.approx(10.0 - 1.5)
    assert balance(e, "big", Account.CONSTRUCTION_IN_PROGRESS) == pytest.approx(1.5)


# ------------------------------------------------------------------------------------------------ capacity allocation
def compute(kid: str, buyer: str, seller: str, payment: str, gw: float, total: float, start: str) -> dict:
    """A four-quarter compute contract without a ramp."""
    return {"id": kid, "kind": "compute", "buyer": buyer, "seller": seller, "payment": payment, "gw": gw,
            "total_value": total, "start": start, "quarters": 4}


def capacity_world() -> Economy:
    """A developer leasing shells to a cloud, the cloud renting compute to two labs, a neocloud selling spot.

    - ``dev``: 2 GW of empty shells, leased to ``cloud`` 1 GW from 2025Q4 and 1.5 GW from 2026Q1;
    - ``cloud``: 3 GW of hardware in 1 GW of its own shells, 0.5 GW kept for its own use, renting
      1 GW to ``one`` from 2025Q4 and 2 GW to ``two`` from 2026Q1;
    - ``neo``: 1 GW of its own, selling spot to a market of 0.6 GW at $3B a GW-quarter, 80% used.
    """
    companies = [bank(), builder("dev", gw=2.0, hardware_gw=0.0), builder("cloud", gw=1.0, hardware_gw=3.0,
                                                                           role="hyperscaler", own_use_gw=0.5),
                 builder("neo", gw=1.0, sells_spot=True, spot_share=1.0), lab("one"), lab("two")]
    contracts = [compute("lease-late", "cloud", "dev", "lease", 1.5, 12.0, "2026Q1"),
                 compute("lease-early", "cloud", "dev", "lease", 1.0, 8.0, "2025Q4"),
                 compute("rent-late", "two", "cloud", "rental", 2.0, 24.0, "2026Q1"),
                 compute("rent-early", "one", "cloud", "rental", 1.0, 12.0, "2025Q4")]
    return at_quarter(economy(companies, contracts, world={"gpu": {"rent_per_gw_quarter": 3.0, "spot_demand_gw": 0.6}}), 1)


def test_capacity_leases_first_from_shells_in_order_of_start():
    """The developer's 2 GW of shells go to the earlier lease in full (1.0), the rest to the later one (1.0 of 1.5)."""
    e = capacity_world()
    allocate_capacity(e)
    check_invariants(e)
    by_id = e.book.by_id
    assert by_id["lease-early"].allocated_gw == pytest.approx(1.0)
    assert by_id["lease-late"].allocated_gw == pytest.approx(1.0)
    assert e.firm("dev").fleet.leased_out_gw == pytest.approx(2.0)
    assert e.firm("cloud").fleet.leased_in_gw == pytest.approx(2.0)


def test_capacity_rentals_in_order_of_start_from_what_is_left_after_own_use():
    """The cloud's 3 GW of hardware now fit in 1 + 2 GW of shells; 0.5 is its own, 1.0 to ``one``, 1.5 of 2.0 to ``two``.

    Rentals bill what was made available: ``two`` owes 1.5 x (24 / 8 GW-quarters) = 4.5 this quarter.
    """
    e = capacity_world()
    allocate_capacity(e)
    check_invariants(e)
    cloud = e.firm("cloud")
    assert cloud.fleet.capacity_gw == pytest.approx(3.0)
    assert e.book.by_id["rent-early"].allocated_gw == pytest.approx(1.0)
    assert e.book.by_id["rent-late"].allocated_gw == pytest.approx(1.5)
    assert (e.firm("one").flows.rented_in_gw, e.firm("two").flows.rented_in_gw) == (pytest.approx(1.0), pytest.approx(1.5))
    (ob,) = e.book.by_id["rent-late"].obligations(1, DueContext(0.04, 1.0))
    assert (ob.payer, ob.payee, ob.amount) == (e.index["two"], e.index["cloud"], pytest.approx(4.5))


def test_capacity_the_rest_is_sold_spot_and_the_rented_share_counts_what_is_in_use():
    """The neocloud sells 0.6 of its 1 GW spot for 0.6 x 0.8 x 3 = 1.44; 3.6 of the builders' 4 GW are in use: 90%."""
    e = capacity_world()
    allocate_capacity(e)
    check_invariants(e)
    assert balance(e, "neo", Account.REVENUE) == pytest.approx(1.44)
    assert balance(e, "neo", Account.CASH) == pytest.approx(1.44)
    assert balance(e, "external", Account.COMPUTE_COST) == pytest.approx(1.44)
    assert balance(e, "cloud", Account.REVENUE) == 0.0  # it sells no spot: its rentals are paid at settlement
    assert e.rented_share == pytest.approx(3.6 / 4.0)


def test_capacity_a_failed_lessor_lets_no_shells():
    """A defaulted developer's shells are not let: the cloud's hardware sits in its own 1 GW of shells."""
    e = capacity_world()
    e.firm("dev").status = Status.DEFAULTED
    allocate_capacity(e)
    check_invariants(e)
    assert e.book.by_id["lease-early"].allocated_gw == 0.0
    assert e.firm("cloud").fleet.capacity_gw == pytest.approx(1.0)
    assert e.book.by_id["rent-early"].allocated_gw == pytest.approx(0.5)
    assert e.book.by_id["rent-late"].allocated_gw == 0.0


# ------------------------------------------------------------------------------------------------ valuation
def cross_held() -> Economy:
    """``a`` ($100B, no revenue) holds half of ``b`` ($50B, $3B revenue a quarter), which holds 20% of ``a``."""
    companies = [bank(), chipmaker("a", 0.0, 0.5, market_value=100.0),
                 chipmaker("b", 0.0, 0.5, market_value=50.0, revenue_quarterly=3.0)]
    contracts = [{"id": "a-in-b", "kind": "equity_stake", "holder": "a", "issuer": "b", "fraction": 0.5, "cost": 10.0},
                 {"id": "b-in-a", "kind": "equity_stake", "holder": "b", "issuer": "a", "fraction": 0.2, "cost": 5.0}]
    return economy(companies, contracts)


def test_calibrate_reproduces_the_opening_market_values():
    """Own businesses: a 100 - 0.5 x 50 = 75 (no revenue: fixed), b 50 - 0.2 x 100 = 30 = 2.5 x 12 of revenue.

    Solved back over the cross-holdings they give the config's values, 100 and 50; the stakes open at
    fair value, 0.5 x 50 = 25 and 0.2 x 100 = 20.
    """
    e = cross_held()
    a, b = e.firm("a"), e.firm("b")
    assert (a.own_multiple, a.own_fixed) == (0.0, pytest.approx(75.0))
    assert (b.own_multiple, b.own_fixed) == (pytest.approx(2.5), 0.0)
    own = np.array([co.own_multiple * fundamental_revenue(e, co, opening=True) + co.own_fixed for co in e.firms])
    values = solve_values(own, holdings_matrix(e))
    assert list(values) == [0.0, pytest.approx(100.0), pytest.approx(50.0)]
    assert balance(e, "a", Account.STAKES) == pytest.approx(25.0)
    assert balance(e, "b", Account.STAKES) == pytest.approx(20.0)
    check_invariants(e)


def test_value_firms_solves_over_the_cross_holding_and_marks_the_stakes():
    """``b``'s revenue rises to 4.8 a quarter, paid in cash: its own value is 52.8; v = (I - S)^-1 (75, 52.8).

    b's own business is 2.5 x 19.2 = 48, plus the 4.8 of cash (net debt -4.8: neither firm has debt).

    Hand computation: det(I - S) = 1 - 0.5 x 0.2 = 0.9; v_a = (75 + 0.5 x 52.8) / 0.9 = 101.4 / 0.9 = 112.667,
    v_b = (0.2 x 75 + 52.8) / 0.9 = 67.8 / 0.9 = 75.333. Stakes marked: a's 0.5 x 75.333 = 37.667 (+12.667),
    b's 0.2 x 112.667 = 22.533 (+2.533), posted to stakes against revaluation.
    """
    e = at_quarter(cross_held(), 1)
    e.ledger.transfer(e.external, e.index["b"], 4.8, Account.OPEX, Account.REVENUE, "sales")
    value_firms(e)
    check_invariants(e)
    assert (e.firm("a").market_value, e.firm("b").market_value) == (pytest.approx(101.4 / 0.9), pytest.approx(67.8 / 0.9))
    assert balance(e, "a", Account.STAKES) == pytest.approx(0.5 * 67.8 / 0.9)
    assert balance(e, "a", Account.REVALUATION) == pytest.approx(0.5 * 67.8 / 0.9 - 25.0)
    assert balance(e, "b", Account.STAKES) == pytest.approx(0.2 * 101.4 / 0.9)
    assert balance(e, "b", Account.REVALUATION) == pytest.approx(0.2 * 101.4 / 0.9 - 20.0)


def test_value_firms_writes_a_stake_in_a_defaulted_firm_off():
    """Once ``b`` has failed it is worth 0 to its holders: ``a`` marks its 25 stake down to 0 against revaluation."""
    e = at_quarter(cross_held(), 1)
    e.firm("b").status = Status.DEFAULTED
    value_firms(e)
    check_invariants(e)
    assert e.firm("b").market_value == 0.0
    assert balance(e, "a", Account.STAKES) == pytest.approx(0.0, abs=1e-12)
    assert balance(e, "a", Account.REVALUATION) == pytest.approx(-25.0)


def test_a_holder_of_a_defaulted_firm_is_worth_its_own_business_and_its_stakes_as_marked():
    """With ``b`` failed, ``a`` is worth its own 75 plus its stakes as marked (0): 75, not 75 / 0.9 through b's stake in a.

    (The solve takes a failed firm at its value to holders, so its stakes no longer loop back.)
    """
    e = at_quarter(cross_held(), 1)
    e.firm("b").status = Status.DEFAULTED
    value_firms(e)
    a = e.firm("a")
    assert a.market_value == pytest.approx(a.own_fixed + balance(e, "a", Account.STAKES))
    assert a.market_value == pytest.approx(75.0)


def test_solve_values_is_exact_on_a_three_firm_cycle():
    """Each firm holds half of the next (a -> b -> c -> a), own businesses 1, 2, 4; a fourth stands apart with 5.

    Hand computation: v_a = 1 + v_b / 2, v_b = 2 + v_c / 2, v_c = 4 + v_a / 2 give v_a = 3 / (1 - 1/8) = 24/7,
    v_b = 34/7, v_c = 40/7: each within one unit in the last place, with the firms listed in any order.
    The firm apart is worth its own business exactly.
    """
    S = np.zeros((4, 4))
    S[0, 1] = S[1, 2] = S[2, 0] = 0.5
    own = np.array([1.0, 2.0, 4.0, 5.0])
    exact = np.array([24 / 7, 34 / 7, 40 / 7, 5.0])
    for order in ([0, 1, 2, 3], [2, 0, 3, 1], [3, 2, 1, 0]):
        v = solve_values(own[order], S[np.ix_(order, order)])
        assert np.all(np.abs(v - exact[order]) <= np.spacing(exact[order])), (order, v - exact[order])
        assert v[order.index(3)] == 5.0
    assert np.all(np.abs((np.eye(4) - S) @ solve_values(own, S) - own) <= 4 * np.spacing(own))


# ------------------------------------------------------------------------------------------------ actions
def investing_world(cash: float = 10.0) -> Economy:
    """A lab worth $100B held 20% by an investor fund and 30% by a cloud; commitments of both to the lab.

    The fund has ``cash`` and $30B of other assets and borrows on margin from the bank (35% of holdings);
    its commitment pays cash, the cloud's pays compute credits on its own cloud.
    """
    fund = {"id": "fund", "name": "Fund", "role": "investor", "opening": {"cash": cash, "other_assets": 30.0},
            "investor": {"lender": "bank"}}
    companies = [bank(), fund, builder("cloud", cash=5.0, role="hyperscaler"), lab("lab", cash=1.0, market_value=100.0)]
    trigger = {"kind": "scheduled", "quarters": ["2026Q1"]}
    contracts = [
        {"id": "fund-in-lab", "kind": "equity_stake", "holder": "fund", "issuer": "lab", "fraction": 0.2, "cost": 10.0},
        {"id": "cloud-in-lab", "kind": "equity_stake", "holder": "cloud", "issuer": "lab", "fraction": 0.3, "cost": 20.0},
        {"id": "fund-commits", "kind": "investment_commitment", "investor": "fund", "investee": "lab", "maximum": 20.0,
         "tranche": 10.0, "trigger": trigger, "start": "2025Q4"},
        {"id": "cloud-commits", "kind": "investment_commitment", "investor": "cloud", "investee": "lab", "maximum": 10.0,
         "tranche": 5.0, "trigger": trigger, "start": "2025Q4", "form": "credits"},
    ]
    return at_quarter(economy(companies, contracts), 1)


def fractions(e: Economy, issuer: str) -> dict[str, float]:
    """Who holds what fraction of ``issuer``."""
    return {e.ledger.names[s.from_party]: s.fraction for s in e.book.of_kind_to(EquityStake, e.index[issuer])}


def test_issue_shares_dilutes_every_holder_by_pre_over_post():
    """$25B of new shares for the fund at $100B: pre / post = 0.8; the fund holds 0.2 x 0.8 + 25 / 125 = 0.36.

    Then $25B for outside investors at $125B: pre / post = 5/6; the fund 0.3, the cloud 0.24 x 5/6 = 0.2,
    and no stake contract for the outsiders. Issuing moves no money by itself.
    """
    e = investing_world()
    lab_firm = e.firm("lab")
    equity.issue_shares_to(e, lab_firm, e.firm("fund"), 25.0)
    assert fractions(e, "lab") == {"fund": pytest.approx(0.36), "cloud": pytest.approx(0.24)}
    assert lab_firm.market_value == pytest.approx(125.0)
    assert e.book.by_id["fund-in-lab"].cost == pytest.approx(35.0)
    equity.issue_shares_to(e, lab_firm, None, 25.0)
    assert fractions(e, "lab") == {"fund": pytest.approx(0.3), "cloud": pytest.approx(0.2)}
    assert lab_firm.market_value == pytest.approx(150.0)
    assert len(e.book.of_kind(EquityStake)) == 2
    check_invariants(e)


def test_issue_shares_to_a_new_holder_opens_its_stake():
    """The bank buying $25B at $100B gets a new stake of 25 / 125 = 0.2 at cost 25."""
    e = investing_world()
    equity.issue_shares_to(e, e.firm("lab"), e.firm("bank"), 25.0)
    check_invariants(e)
    stake = e.book.by_id["stake-bank-lab"]
    assert (stake.fraction, stake.cost, stake.start) == (pytest.approx(0.2), 25.0, 1)
    assert fractions(e, "lab") == {"fund": pytest.approx(0.16), "cloud": pytest.approx(0.24), "bank": pytest.approx(0.2)}


def test_pay_tranche_in_cash():
    """The fund pays its $10B tranche: its cash 10 -> 0 and stakes 20 -> 30; the lab's cash 1 -> 11, paid-in +10.

    Shares at $100B: the fund holds (0.2 x 100 + 10) / 110 = 3/11, the cloud 0.3 x 100 / 110 = 3/11.
    """
    e = investing_world()
    lab_firm, c = e.firm("lab"), e.book.by_id["fund-commits"]
    paid_in = balance(e, "lab", Account.PAID_IN_CAPITAL)
    equity.pay_tranche(e, c, 10.0)
    check_invariants(e)
    assert balance(e, "fund", Account.CASH) == pytest.approx(0.0, abs=1e-12)
    assert balance(e, "fund", Account.STAKES) == pytest.approx(30.0)
    assert balance(e, "lab", Account.CASH) == pytest.approx(11.0)
    assert balance(e, "lab", Account.PAID_IN_CAPITAL) - paid_in == pytest.approx(10.0)
    assert (c.released, c.undrawn, lab_firm.flows.equity_raised) == (10.0, 10.0, 10.0)
    assert lab_firm.market_value == pytest.approx(110.0)
    assert fractions(e, "lab") == {"fund": pytest.approx(3 / 11), "cloud": pytest.approx(3 / 11)}
    assert [ev["kind"] for ev in e.events] == ["tranche_released"]


def test_pay_tranche_in_compute_credits():
    """The cloud pays $5B in credits on its own cloud: no cash moves; the lab holds credits, the cloud owes them.

    Shares at $100B: the cloud holds (30 + 5) / 105 = 1/3, the fund 20 / 105 = 4/21.
    """
    e = investing_world()
    cash = {entity: balance(e, entity, Account.CASH) for entity in ("cloud", "lab")}
    equity.pay_tranche(e, e.book.by_id["cloud-commits"], 5.0)
    check_invariants(e)
    assert {entity: balance(e, entity, Account.CASH) for entity in ("cloud", "lab")} == cash
    assert balance(e, "lab", Account.CREDITS_RECEIVABLE) == pytest.approx(5.0)
    assert balance(e, "cloud", Account.DEFERRED_REVENUE) == pytest.approx(5.0)
    assert balance(e, "cloud", Account.STAKES) == pytest.approx(30.0 + 5.0)
    (credit,) = e.book.of_kind(ComputeCredit)
    assert (credit.id, credit.from_party, credit.to_party, credit.balance) == (
        "cloud-commits-credits-1", e.index["cloud"], e.index["lab"], 5.0)
    assert fractions(e, "lab") == {"fund": pytest.approx(4 / 21), "cloud": pytest.approx(1 / 3)}


def test_list_shares_sells_new_shares_to_outside_investors():
    """An IPO of 10% at $100B raises $10B from the external sector; the lab is listed and worth $110B, holders diluted."""
    e = investing_world()
    lab_firm = e.firm("lab")
    outside = balance(e, "external", Account.CASH)
    equity.list_shares(e, lab_firm, 0.1)
    check_invariants(e)
    assert lab_firm.listed
    assert balance(e, "lab", Account.CASH) == pytest.approx(11.0)
    assert balance(e, "external", Account.CASH) == pytest.approx(outside - 10.0)
    assert balance(e, "external", Account.OTHER_ASSETS) == pytest.approx(10.0)
    assert (lab_firm.market_value, lab_firm.flows.equity_raised) == (pytest.approx(110.0), pytest.approx(10.0))
    assert fractions(e, "lab") == {"fund": pytest.approx(20 / 110), "cloud": pytest.approx(30 / 110)}


def test_borrow_on_margin_is_capped_by_margin_room():
    """The fund's holdings: cash 10 + other 30 + stake 20 = 60, so 35% secures 21: asked 30, it borrows 21."""
    e = investing_world()
    lending.borrow_on_margin(e, e.firm("fund"), 30.0)
    check_invariants(e)
    (loan,) = e.book.of_kind(Loan)
    assert (loan.id, loan.instrument, loan.principal, loan.end, loan.spread_bp) == (
        "margin-fund-2026Q1", "margin_loan", pytest.approx(21.0), 9, 200.0)
    assert balance(e, "fund", Account.DEBT) == pytest.approx(21.0)
    assert balance(e, "fund", Account.CASH) == pytest.approx(31.0)
    assert balance(e, "bank", Account.LOANS_HELD) == pytest.approx(21.0)


def test_borrow_on_margin_within_room_borrows_what_is_asked_and_nothing_from_a_failed_lender():
    """Asked 5 of a room of 21, the fund borrows 5; with its lender failed it borrows nothing."""
    e = investing_world()
    lending.borrow_on_margin(e, e.firm("fund"), 5.0)
    check_invariants(e)
    assert balance(e, "fund", Account.DEBT) == pytest.approx(5.0)
    e = investing_world()
    e.firm("bank").status = Status.DEFAULTED
    lending.borrow_on_margin(e, e.firm("fund"), 5.0)
    assert not e.book.of_kind(Loan)
    assert balance(e, "fund", Account.DEBT) == 0.0


def maturing_loans() -> Economy:
    """A fixed-rate loan (10%) and a floating one (policy + 300bp) of the bank to a neocloud, both due in 2026Q1."""
    loans = [{"id": "fixed", "kind": "loan", "lender": "bank", "borrower": "neo", "principal": 10.0,
              "fixed_rate_annual": 0.1, "start": "2025Q1", "maturity": "2026Q1"},
             {"id": "floating", "kind": "loan", "lender": "bank", "borrower": "neo", "principal": 5.0,
              "spread_bp": 300.0, "start": "2025Q1", "maturity": "2026Q1"}]
    return at_quarter(economy([bank(), builder("neo", cash=1.0)], loans), 1)


def test_roll_loan_resets_a_fixed_rate_over_policy_and_a_spread_to_the_new_one():
    """Rolled 8 quarters at 250bp: both run to 2028Q1 at 4% + 2.5% = 6.5%; principal and ledger untouched."""
    e = maturing_loans()
    fixed, floating = e.book.by_id["fixed"], e.book.by_id["floating"]
    lending.roll_loan(e, fixed, 8, 250.0)
    lending.roll_loan(e, floating, 8, 250.0)
    check_invariants(e)
    assert (fixed.end, fixed.fixed_rate_annual, fixed.spread_bp) == (9, pytest.approx(0.065), None)
    assert (floating.end, floating.fixed_rate_annual, floating.spread_bp) == (9, None, 250.0)
    assert floating.rate_annual(0.04) == pytest.approx(0.065)
    assert (fixed.principal, balance(e, "neo", Account.DEBT)) == (10.0, pytest.approx(15.0))
    assert [ev["text"] for ev in e.events] == ["2026Q1: Bank rolls $10.0B of Neo debt to 2028Q1",
                                               "2026Q1: Bank rolls $5.0B of Neo debt to 2028Q1"]


def future_rental() -> Economy:
    """A lab's rental of 1 GW from a cloud for 2026Q3-2027Q2 at $40B (10 a GW-quarter), with a 25% termination penalty."""
    rental = {**compute("rental", "lab", "cloud", "rental", 1.0, 40.0, "2026Q3"), "termination_penalty": 0.25}
    return at_quarter(economy([bank(), builder("cloud", role="hyperscaler"), lab("lab", cash=20.0)], [rental]), 1)


def test_cancel_owes_the_termination_penalty_and_closes_the_contract():
    """Cancelled in 2026Q1: the lab owes 0.25 x 40 = 10, paid at settlement; the cloud's backlog of 40 is gone."""
    e = future_rental()
    c = e.book.by_id["rental"]
    assert (c.price, e.backlog(e.index["cloud"])) == (pytest.approx(10.0), pytest.approx(40.0))
    compute_deals.cancel(e, "rental")
    (ob,) = e.extra_obligations
    assert (ob.contract, ob.payer, ob.payee, ob.amount, ob.payer_debit, ob.payee_credit, ob.label) == (
        c, e.index["lab"], e.index["cloud"], pytest.approx(10.0), Account.OPEX, Account.OTHER_INCOME, "termination penalty")
    assert (c.state, c.ended) == (State.TERMINATED, 1)
    e.new_phase()
    assert e.backlog(e.index["cloud"]) == 0.0
    settle_quarter(e)
    check_invariants(e)
    assert balance(e, "lab", Account.CASH) == pytest.approx(10.0)
    assert balance(e, "cloud", Account.OTHER_INCOME) == pytest.approx(10.0)
    assert c.state is State.TERMINATED


def test_renegotiate_pushes_the_dates_back_at_the_same_price():
    """Pushed back 2 quarters: 2026Q3-2027Q2 becomes 2027Q1-2027Q4 (quarters 5-8), still $40B at 10 a GW-quarter."""
    e = future_rental()
    c = e.book.by_id["rental"]
    compute_deals.renegotiate(e, "rental", 2)
    check_invariants(e)
    assert (c.start, c.end, c.state) == (5, 8, State.RENEGOTIATED)
    assert (c.scheduled_gw(3), c.scheduled_gw(5), c.scheduled_gw(8), c.scheduled_gw(9)) == (0.0, 1.0, 1.0, 0.0)
    assert c.remaining_value(1) == pytest.approx(40.0)
    assert [ev["kind"] for ev in e.events] == ["renegotiated"]


def test_a_commitment_opens_undrawn_and_counts_its_tranche():
    """The fund's commitment opens with nothing released and makes one tranche of 10 due in 2026Q1."""
    c = investing_world().book.by_id["fund-commits"]
    assert isinstance(c, InvestmentCommitment)
    assert (c.released, c.due_tranche(0.0, 1, False), c.due_tranche(0.0, 0, False)) == (0.0, 10.0, 0.0)


# ------------------------------------------------------------------------------------------------ twins
def test_twin_shares_config_and_specs_starts_without_a_record_and_changes_apart():
    """A what-if twin shares the config and specs, has no events or cascade, and its changes leave the original alone."""
    e = maturing_loans()
    e.event("test", e.firm("neo"), None, 1.0, "something happened")
    e.cascade.append({"row": 1})
    e.losses.append({"row": 1})
    e.flow_rows.append(("2026Q1",))
    e.note_channel(e.index["neo"], "credit", 1.0, "bank")
    t = e.twin()
    assert t.config is e.config
    assert all(tf.spec is f.spec for tf, f in zip(t.firms, e.firms, strict=True))
    assert (t.events, t.cascade, t.losses, t.flow_rows, t.channels.rows) == ([], [], [], [], [])
    assert (len(e.events), len(e.cascade), len(e.losses), len(e.flow_rows), len(e.channels.rows)) == (1, 1, 1, 1, 1)
    assert (t.what_if, e.what_if) == (True, False)
    neo = t.firm("neo")
    assert neo is not e.firm("neo") and neo.ledger is t.ledger and t.by_holder[neo.holder] is neo
    # changes in the twin stay there: a payment, a repayment (ledger and loan together), a roll, a default, a build
    t.ledger.transfer(t.index["bank"], t.index["neo"], 3.0, Account.OPEX, Account.REVENUE, "what if")
    actions.repay(t.ledger, t.book.by_id["fixed"], 4.0, "what if")
    lending.roll_loan(t, t.book.by_id["floating"], 8, 250.0)
    neo.status = Status.DEFAULTED
    neo.market_value = -1.0
    start_build(t, neo, 1.0, 1.0, None)
    check_invariants(t)
    assert (balance(t, "neo", Account.CASH), balance(t, "neo", Account.DEBT)) == (pytest.approx(0.0), pytest.approx(11.0))
    assert (balance(e, "neo", Account.CASH), balance(e, "neo", Account.DEBT)) == (pytest.approx(1.0), pytest.approx(15.0))
    assert (e.book.by_id["fixed"].principal, e.book.by_id["floating"].end, e.book.by_id["floating"].spread_bp) == (
        10.0, 1, 300.0)
    assert (e.firm("neo").status, e.firm("neo").market_value, e.firm("neo").fleet.builds) == (Status.HEALTHY, 0.0, [])
    assert len(e.events) == 1
    check_invariants(e)


# ------------------------------------------------------------------------------------------------ no model, no Mesa
CHECK = """
import sys

import tests.test_mechanics as t

assert "mesa" not in sys.modules and "model" not in sys.modules, "importing the tests brought in Mesa or the model"
tests = [(name, f) for name, f in vars(t).items() if name.startswith("test_") and not name.startswith("test_credit_desk_")
         and name != "test_runs_without_the_model"]
for name, f in tests:
    if any(mark.name == "xfail" for mark in getattr(f, "pytestmark", [])):
        try:
            f()
        except AssertionError:
            continue
        raise AssertionError(f"{name} is marked xfail (strict) but passed")
    f()
assert "mesa" not in sys.modules, "a test brought in Mesa"
assert "model" not in sys.modules, "a test brought in the model"
print(len(tests), "ran")
"""


def test_runs_without_the_model():
    """In a fresh interpreter every test here but the credit desk's passes without importing ``model`` or Mesa.

    The lender's decision (:func:`agents.rounds.loan_decision`) lives in ``agents``, whose companies are Mesa
    agents, so the ``test_credit_desk_*`` tests need Mesa (but not ``model``: tests/test_architecture.py checks
    that nothing in ``agents`` imports it). Importing Mesa takes seconds, so they are not run again here.
    """
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("ran")
