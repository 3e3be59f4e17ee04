"""Phase 2 of a quarter: revenue from end users and non-AI businesses, operating costs, depreciation.

Capacity is allocated first: sellers serve their contracts from what they have built
and sell the rest on the spot market; labs then earn what their compute and their
share of demand allow.
"""

from __future__ import annotations

from economy.contracts import Backstop, ComputeContract, Obligation, RevenueShare
from economy.ledger import Account
from economy.procurement import chip_sale
from economy.state import Economy, Firm
from economy.units import quarterly_growth, quarterly_rate
from economy.views import own_use


def operate(e: Economy) -> None:
    """Revenue from end users and non-AI businesses, operating costs, depreciation, retirements."""
    led, q, w = e.ledger, e.quarter, e.config.world
    ext = e.external
    e.operating_costs = []
    allocate_capacity(e)
    demand_q = e.market.demand_annual / 4.0
    for co in e.firms:
        if not co.alive:
            continue
        h, spec = co.holder, co.spec
        if spec.non_ai:
            rev = spec.non_ai.revenue_quarterly * (1 + quarterly_growth(spec.non_ai.growth_annual)) ** q
            led.transfer(ext, h, rev, Account.OPEX, Account.REVENUE, "non-AI revenue")
            owe_outside(e, h, rev * (1 - spec.non_ai.operating_margin), "non-AI operating costs")
        if spec.chips and spec.chips.external_sales_quarterly > 0:
            rev = spec.chips.external_sales_quarterly * (1 + quarterly_growth(spec.chips.external_growth_annual)) ** q
            chip_sale(e, ext, co, rev, "chip sales outside the model")
        if spec.lab:
            _operate_lab(e, co, demand_q)
        if spec.lender:
            _lender_carry(e, co)
        if co.fleet.capacity_gw > 0 or co.fleet.hardware_gw > 0:
            hosting = w.hosting_cost_per_gw_quarter * co.fleet.hardware_gw
            owe_outside(e, h, hosting, "power and hosting")
        hw, shell = co.fleet.depreciation()
        if hw + shell > 0:
            led.post(((h, Account.DEPRECIATION, hw + shell), (h, Account.HARDWARE, -hw), (h, Account.DC_SHELLS, -shell)),
                     "depreciation")
        gone = co.fleet.retire(q)
        if gone > 0:
            led.move(h, Account.LOSSES, Account.HARDWARE, gone, "hardware retired")
    for c in e.book.of_kind(RevenueShare):
        c.base = e.by_holder[c.from_party].flows.ai_revenue


def _lender_carry(e: Economy, co: Firm) -> None:
    """A funded lender pays its depositors and bondholders, and earns the policy rate on the cash it has not lent.

    Its idle cash sits in reserves and Treasury bills; without their yield a lender
    funded at the policy rate would lose money on every dollar it has not lent yet.
    Only a lender with funding of its own earns it, so the unfunded lenders of older
    configs are as they were.
    """
    led, h, p = e.ledger, co.holder, co.spec.lender
    funding = led.balance(h, Account.FUNDING)
    if funding <= 0:
        return
    owe_outside(e, h, funding * quarterly_rate(e.market.policy_rate_annual + p.funding_spread_bp / 1e4),
                "interest on funding", Account.INTEREST_EXPENSE)
    yield_on_cash = max(0.0, co.cash()) * quarterly_rate(e.market.policy_rate_annual)
    if yield_on_cash > 0:
        led.transfer(e.external, h, yield_on_cash, Account.OPEX, Account.OTHER_INCOME, "interest on reserves and bills")


def owe_outside(e: Economy, holder: int, amount: float, label: str, account: Account = Account.OPEX) -> None:
    """A cost owed to the external sector (booked to ``account``), paid in the settlement phase with everything else."""
    if amount > 0:
        e.operating_costs.append(Obligation(None, holder, e.external, amount, account, Account.REVENUE, label))


def allocate_capacity(e: Economy) -> None:
    """Sellers serve their contracts from what they have built; the rest goes to the spot market.

    Leases come first (a lessor's shells), then compute rentals in order of start
    (a seller's own hardware in shells, after its own use), then spot sales of what
    is left, including compute rented in from others.
    """
    q, m, gpu = e.quarter, e.market, e.config.world.gpu
    for co in e.firms:
        co.fleet.leased_in_gw = co.fleet.leased_out_gw = 0.0
        co.flows.rented_in_gw = 0.0
    by_seller: dict[int, list[ComputeContract]] = {}
    for c in e.book.of_kind(ComputeContract):
        c.allocated_gw = 0.0
        if not c.live(q):
            continue
        if c.payment == "purchase":  # purchases are delivered as the buyer decides (phase 3)
            continue
        if c.to_party not in e.by_holder:  # taken over by an outside operator, which serves it in full
            c.allocated_gw = c.scheduled_gw(q)
            buyer = e.by_holder.get(c.from_party)
            if buyer is not None:
                if c.payment == "lease":
                    buyer.fleet.leased_in_gw += c.allocated_gw
                else:
                    buyer.flows.rented_in_gw += c.allocated_gw
            continue
        by_seller.setdefault(c.to_party, []).append(c)
    for co in e.firms:  # leases of powered shells
        shells = co.fleet.shell_gw if co.alive else 0.0
        for c in sorted(by_seller.get(co.holder, []), key=lambda k: (k.start, k.id)):
            if c.payment == "lease":
                c.allocated_gw = min(shells, c.scheduled_gw(q))
                shells -= c.allocated_gw
                co.fleet.leased_out_gw += c.allocated_gw
                if c.from_party in e.by_holder:  # outside buyers (a taken-over contract) have no fleet
                    e.by_holder[c.from_party].fleet.leased_in_gw += c.allocated_gw
    free: dict[int, float] = {}
    for co in e.firms:  # compute rentals from own capacity
        if not co.alive or co.spec.builder is None:
            continue
        left = max(0.0, co.fleet.capacity_gw - own_use(e, co, q))
        for c in sorted(by_seller.get(co.holder, []), key=lambda k: (k.start, k.id)):
            if c.payment == "rental":
                c.allocated_gw = min(left, c.scheduled_gw(q))
                left -= c.allocated_gw
                if c.from_party in e.by_holder:
                    e.by_holder[c.from_party].flows.rented_in_gw += c.allocated_gw
        free[co.holder] = left
    rented = total = 0.0
    for co in e.firms:  # spot sales of what is left
        if co.holder not in free:
            continue
        spec = co.spec.builder
        left = free[co.holder] + co.flows.rented_in_gw
        spot = min(left, spec.spot_share * m.spot_demand_gw) if spec.sells_spot else 0.0
        rent = gpu.rent_per_gw_quarter * m.price_index * co.fleet.obsolescence(q, gpu.decline_annual)
        rev = spot * spec.spot_utilisation * rent
        if rev > 0:
            e.ledger.transfer(e.external, co.holder, rev, Account.COMPUTE_COST, Account.REVENUE, "spot compute rental")
        idle = max(0.0, free[co.holder] - spot)
        total += co.fleet.capacity_gw
        rented += co.fleet.capacity_gw - idle
        for b in e.book.of_kind_to(Backstop, co.holder):
            b.idle_value = idle * rent
    e.rented_share = rented / total if total > 0 else 1.0


def _operate_lab(e: Economy, co: Firm, demand_q: float) -> None:
    led, q, p = e.ledger, e.quarter, co.spec.lab
    ext, h = e.external, co.holder
    rented = sum(c.allocated_gw for c in e.book.of_kind_from(ComputeContract, h) if c.payment == "rental")
    # a cloud's own model business (Gemini) runs on the capacity it keeps for its own use
    own = min(co.fleet.capacity_gw, own_use(e, co, q)) if co.spec.builder else co.fleet.hardware_gw
    compute = own + rented
    co.flows.compute_gw = compute
    revenue = min(e.competition.shares[h] * demand_q, compute * p.revenue_per_gw_quarter_max)
    co.flows.ai_revenue = revenue
    co.ai_revenue_hist.append(revenue)
    co.demand_hist.append(e.competition.shares[h] * demand_q)
    if revenue > 0:
        led.transfer(ext, h, revenue, Account.OPEX, Account.REVENUE, "AI revenue from end users")
    planned = p.opex_quarterly * (1 + quarterly_growth(p.opex_growth_annual)) ** q
    opex = (planned + p.opex_revenue_share * revenue) * co.cost_factor
    owe_outside(e, h, opex, "staff, research and marketing")
    sbc = p.sbc_quarterly * co.cost_factor
    if sbc > 0:
        led.move(h, Account.OPEX, Account.PAID_IN_CAPITAL, sbc, "stock-based pay")
        co.flows.stock_pay += sbc


def cut_costs(e: Economy, co: Firm, factor: float) -> None:
    """Cash operating costs scaled to ``factor`` of plan from now on."""
    co.cost_factor = factor
    e.event("cost_cut", co, None, 0.0, f"{co.spec.name} cuts cash costs to {factor:.0%} of plan")
