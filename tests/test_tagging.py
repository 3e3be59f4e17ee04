"""Capacity and debt are tied to a lab only by the contracts that serve it; supply agreements are paid at their price."""

from __future__ import annotations

import pytest

from agents.builder import StartBuild, split_by_purpose
from economy.construction import finance_and_build, split_by_lab, start_build
from economy.contracts import LIVE, ComputeContract, Loan
from economy.credit import LoanRequest
from economy.invariants import check_invariants
from economy.ledger import Account
from economy.procurement import buy_hardware
from economy.state import Economy
from economy.units import quarter_label
from economy.views import capacity_commitments, partner_debt
from model import AIFinanceModel
from tests.worlds import build, loan, neocloud

# ------------------------------------------------------------------------------------------------ tiny worlds
# QUIET_WORLD (tests.worlds): a GW costs $50B, 68% hardware ($34B a GW), built in four quarters.


def lab(entity: str, cash: float = 50.0) -> dict:
    """A lab with cash, a small share, no costs: it only buys compute."""
    return {"id": entity, "name": entity.capitalize(), "role": "lab", "market_value": 100.0, "opening": {"cash": cash},
            "lab": {"market_share": 0.05, "opex_quarterly": 0.0, "revenue_per_gw_quarter_max": 10.0}}


def chipmaker(entity: str, hardware_share: float = 0.5, gross_margin: float = 0.6) -> dict:
    """A chipmaker selling to builders by ``hardware_share``, with cash and nothing else."""
    return {"id": entity, "name": entity.capitalize(), "role": "chipmaker", "market_value": 100.0,
            "opening": {"cash": 10.0}, "chips": {"gross_margin": gross_margin, "hardware_share": hardware_share}}


def rental(cid: str, buyer: str, seller: str, gw: float, start: str = "2026Q4", quarters: int = 8) -> dict:
    """A compute rental at $3B a GW-quarter, no ramp."""
    return {"id": cid, "kind": "compute", "buyer": buyer, "seller": seller, "payment": "rental",
            "total_value": 3.0 * gw * quarters, "gw": gw, "start": start, "quarters": quarters, "ramp_quarters": 0}


def supply(cid: str, lab_id: str, chip: str, value: float, gw: float, **terms) -> dict:
    """A supply agreement: capacity built for ``lab_id`` uses ``chip``'s systems, ``value`` for ``gw``."""
    return {"id": cid, "kind": "compute", "buyer": lab_id, "seller": chip, "payment": "supply", "total_value": value,
            "gw": gw, "start": "2025Q4", "quarters": 20, "take_or_pay": 0.0, "binding_share": 0.0, **terms}


def at_quarter(e: Economy, q: int) -> Economy:
    """Move the clock to quarter ``q`` and nothing else."""
    e.quarter = q
    e.label = quarter_label(q, e.origin)
    e.ledger.quarter = q
    e.new_phase()
    return e


def balance(e: Economy, entity: str, account: Account) -> float:
    return e.ledger.balance(e.index[entity], account)


# ------------------------------------------------------------------------------------------------ the build split
def test_split_by_purpose_ties_what_each_labs_contracts_need_and_nothing_else():
    """Hand-computed: a needs 2 (0.5 served, 0 building) -> 1.5; b needs 1 (0.5 building) -> 0.5; 1 of 3 untied."""
    assert split_by_purpose(3.0, {"a": 2.0, "b": 1.0}, {"a": 0.5}, {"b": 0.5}) == {"a": 1.5, "b": 0.5}


def test_split_by_purpose_cuts_every_lab_in_proportion_when_the_gap_is_smaller():
    """Hand-computed: parts 2 and 1 in a gap of 1.5 -> 1.0 and 0.5; a lab already served or built for gets nothing."""
    assert split_by_purpose(1.5, {"a": 2.0, "b": 1.0, "c": 1.0}, {"c": 0.6}, {"c": 0.4}) == \
        {"a": pytest.approx(1.0), "b": pytest.approx(0.5)}


def test_commitments_split_rentals_and_leases_by_the_lab_they_serve():
    """A neocloud owing lab a 1 GW and a non-lab buyer 0.5 GW: 1.5 GW owed in all, of which 1 GW for a."""
    m = build([lab("a"), neocloud("neo", cash=100.0), neocloud("other", cash=10.0)],
              [rental("a_neo", "a", "neo", 1.0), rental("other_neo", "other", "neo", 0.5)])
    e = m.economy
    need = capacity_commitments(e, e.index["neo"], 4)
    assert need.rent_out == pytest.approx(1.5)
    assert need.hardware_by_lab() == {e.index["a"]: pytest.approx(1.0)}
    assert capacity_commitments(e, e.index["neo"], 4, served=True).rent_by_lab == {}  # nothing allocated yet


def test_a_builder_serving_two_labs_splits_its_build_by_purpose():
    """Neo owes a 1 GW and b 0.5 GW from 2026Q4 and keeps 0.5 GW for itself: it builds 2 GW, 1 for a, 0.5 for b.

    Hand computation at the opening (lead time 4): needed at 2026Q4 = 1 + 0.5 + 0.5 own use = 2 GW of hardware
    and shells; nothing installed, nothing serving or building for a or b; cash $200B covers the $100B build.
    """
    neo = neocloud("neo", cash=200.0)
    neo["builder"]["own_use_gw"] = 0.5
    m = build([lab("a"), lab("b"), neo], [rental("a_neo", "a", "neo", 1.0), rental("b_neo", "b", "neo", 0.5)])
    agent = next(a for a in m.companies if a.entity == "neo")
    (d,) = agent.decide(agent.view())
    assert d == StartBuild("neo", pytest.approx(2.0), pytest.approx(2.0), (("a", pytest.approx(1.0)), ("b", pytest.approx(0.5))),
                           (("a", pytest.approx(1.0)), ("b", pytest.approx(0.5))))


def test_a_loan_for_a_two_lab_build_is_drawn_on_one_facility_per_purpose():
    """A 2 GW build (1 GW for a, 0.5 GW for b) financed by a $4B draw: $2B tied to a, $1B to b, $1B general.

    Hand computation: shares of this quarter's instalments = shares of the GW (shells and hardware alike):
    a 1/2, b 1/4, untied 1/4. Partner debt is the $3B tied to the labs; a's is $2B.
    """
    m = build([lab("a"), lab("b"), neocloud("neo", cash=100.0)], [])
    e = at_quarter(m.economy, 1)
    neo, bank = e.index["neo"], e.index["bank"]
    start_build(e, e.firm("neo"), 2.0, 2.0, tied=[("a", 1.0), ("b", 0.5)], tied_shells=[("a", 1.0), ("b", 0.5)])
    parts = split_by_lab(e, LoanRequest(neo, bank, 4.0, 250.0), 4.0)
    assert [(r.tied_to, r.amount, part) for r, part in parts] == [
        (e.index["a"], pytest.approx(2.0), pytest.approx(2.0)), (e.index["b"], pytest.approx(1.0), pytest.approx(1.0)),
        (None, pytest.approx(1.0), pytest.approx(1.0))]
    finance_and_build(e, [LoanRequest(neo, bank, 4.0, 250.0)])
    check_invariants(e)
    assert {k.id: k.principal for k in e.book.of_kind(Loan)} == {
        "facility-neo-bank-a-2026": pytest.approx(2.0), "facility-neo-bank-b-2026": pytest.approx(1.0),
        "facility-neo-bank-general-2026": pytest.approx(1.0)}
    assert partner_debt(e) == pytest.approx(3.0)
    assert partner_debt(e, e.index["a"]) == pytest.approx(2.0)
    assert balance(e, "neo", Account.DEBT) == pytest.approx(4.0)


def test_a_draw_for_capacity_that_serves_no_lab_is_general_debt():
    """A build for own use and spot only: the whole draw goes on the general facility, and no partner debt."""
    m = build([lab("a"), neocloud("neo", cash=100.0)], [])
    e = at_quarter(m.economy, 1)
    start_build(e, e.firm("neo"), 1.0, 1.0)
    finance_and_build(e, [LoanRequest(e.index["neo"], e.index["bank"], 3.0, 250.0)])
    assert [(k.id, k.tied_to) for k in e.book.of_kind(Loan)] == [("facility-neo-bank-general-2026", None)]
    assert partner_debt(e) == 0.0


def test_general_corporate_bonds_are_never_partner_debt():
    """A cloud's corporate bond ($10B) is not partner debt; its construction loan tied to OpenAI ($5B) is.

    The system table's partner_debt and openai_partner_debt columns are both $5B; a loan tied to OpenAI that
    OpenAI itself borrowed ($2B) is not partner debt either: a lab is not its own partner.
    """
    cloud = neocloud("cloud", cash=50.0)
    cloud["role"] = "hyperscaler"
    m = build([lab("openai"), cloud], [loan("cloud_bond", "cloud", 10.0), loan("cloud_dc_loan", "cloud", 5.0, tied_to="openai"),
                                       loan("openai_own", "openai", 2.0, tied_to="openai")])
    e = m.economy
    assert partner_debt(e) == pytest.approx(5.0)
    assert partner_debt(e, e.index["openai"]) == pytest.approx(5.0)
    row = m.recorder.system_rows[0]
    assert (row["partner_debt"], row["openai_partner_debt"]) == (pytest.approx(5.0), pytest.approx(5.0))


# ------------------------------------------------------------------------------------------------ supply agreements
def supply_world(value: float = 90.0, gw: float = 6.0, **terms) -> Economy:
    """Lab a with a supply agreement with chipmaker amd (``value`` for ``gw``); chipmaker nv has half the market."""
    m = build([lab("a"), chipmaker("amd", hardware_share=0.0), chipmaker("nv", hardware_share=0.5),
               neocloud("neo", cash=100.0)], [supply("a_amd", "a", "amd", value, gw, **terms)])
    return m.economy


def test_a_supply_agreement_is_paid_its_price_per_gw_and_the_rest_is_generic():
    """1 GW built for a ($34B of hardware) under AMD's $90B / 6 GW deal: AMD is paid $15B, the other $19B is generic.

    Hand computation: generic $19B -> nv 50% = $9.5B, outside suppliers $9.5B. AMD's backlog: 5 GW x $15B = $75B.
    """
    e = supply_world()
    buy_hardware(e, e.firm("neo"), 34.0, 1.0, e.index["a"])
    deal = e.book.by_id["a_amd"]
    assert (deal.delivered_gw, deal.delivered_value) == (pytest.approx(1.0), pytest.approx(15.0))
    assert deal.remaining_value(0) == pytest.approx(75.0)
    assert balance(e, "amd", Account.REVENUE) == pytest.approx(15.0)
    assert balance(e, "nv", Account.REVENUE) == pytest.approx(9.5)
    assert balance(e, "neo", Account.CONSTRUCTION_IN_PROGRESS) == pytest.approx(34.0)


def test_a_supply_sale_stops_at_the_gw_and_the_value_the_agreement_has_left():
    """2 GW built for a under a deal with 1 GW and $10B left (of $90B for 6 GW, $80B delivered): AMD gets $10B.

    Hand computation: 1 GW routed (all it has left) at $15B, capped at the $10B of value left; the other
    $68B - $10B = $58B is generic (nv $29B).
    """
    e = supply_world(delivered_value=80.0)
    deal = e.book.by_id["a_amd"]
    deal.delivered_gw = 5.0
    buy_hardware(e, e.firm("neo"), 68.0, 2.0, e.index["a"])
    assert (deal.delivered_gw, deal.delivered_value) == (pytest.approx(6.0), pytest.approx(90.0))
    assert balance(e, "amd", Account.REVENUE) == pytest.approx(10.0)
    assert balance(e, "nv", Account.REVENUE) == pytest.approx(29.0)


def test_a_supply_price_above_the_builds_hardware_cost_is_paid_the_hardware_cost():
    """A $35B-a-GW deal (Nvidia's $350B for 10 GW) on a build that spends $34B a GW on hardware: $34B a GW."""
    e = supply_world(value=350.0, gw=10.0)
    buy_hardware(e, e.firm("neo"), 68.0, 2.0, e.index["a"])
    assert e.book.by_id["a_amd"].delivered_value == pytest.approx(68.0)
    assert balance(e, "nv", Account.REVENUE) == pytest.approx(0.0)


def test_capacity_that_serves_no_lab_buys_nothing_under_a_labs_supply_agreement():
    """Untied hardware ($34B) is all generic: nothing delivered under a's deal, nv $17B, outside $17B."""
    e = supply_world()
    buy_hardware(e, e.firm("neo"), 34.0, 1.0, None)
    assert e.book.by_id["a_amd"].delivered_gw == 0.0
    assert balance(e, "amd", Account.REVENUE) == 0.0
    assert balance(e, "nv", Account.REVENUE) == pytest.approx(17.0)


# ------------------------------------------------------------------------------------------------ the baseline
@pytest.fixture(scope="module")
def baseline():
    return AIFinanceModel(seed=0).run()


def test_baseline_supply_agreements_are_paid_at_most_their_price(baseline):
    """Nvidia, AMD and Broadcom are paid at most their agreements' price for the GW delivered, never beyond the value."""
    for c in baseline.economy.book.of_kind(ComputeContract):
        if c.payment == "supply":
            assert c.delivered_value <= c.amount + 1e-9, c.id
            assert c.delivered_value <= c.price * c.delivered_gw + 1e-6, c.id


def test_baseline_debt_is_tied_only_to_labs_the_borrower_builds_for(baseline):
    """Every loan drawn in the run and tied to a lab is owed by a builder with a contract serving that lab."""
    e = baseline.economy
    for k in e.book.of_kind(Loan):
        if k.source != "drawn in the run" or k.tied_to is None:
            continue
        serves = [c for c in e.book.of_kind_involving(ComputeContract, k.to_party)
                  if c.to_party == k.to_party and (c.tied_to if c.tied_to is not None else c.from_party) == k.tied_to]
        assert serves, f"{k.id} is tied to {e.ledger.names[k.tied_to]} but {e.ledger.names[k.to_party]} serves it nothing"
    assert not any(k.tied_to is not None and k.state in LIVE for k in e.book.of_kind(Loan)
                   if k.source != "drawn in the run" and e.ledger.names[k.to_party] in ("microsoft", "alphabet", "amazon"))
