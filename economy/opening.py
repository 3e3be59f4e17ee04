"""The opening state: the economy built from a config, its ledger balances and contract objects."""

from __future__ import annotations

import numpy as np

from economy.capacity import Build, Fleet, Vintage
from economy.competition import OTHERS, Competition, CompetitionParams
from economy.config import Config
from economy.contracts import (
    Backstop,
    ComputeContract,
    ComputeCredit,
    Contract,
    ContractBook,
    EquityStake,
    Guarantee,
    InvestmentCommitment,
    Loan,
    RevenueShare,
    State,
    Warrant,
)
from economy.ledger import Account, Ledger
from economy.markets import WorldProcess
from economy.revaluation import calibrate
from economy.state import EXTERNAL, Economy, Firm
from economy.units import quarter_index


def open_economy(cfg: Config) -> Economy:
    """The economy at the start of a run: holders, firms, contracts, opening balances and valuation multiples.

    The world and the competition among labs draw from their own random streams, spawned
    from the run's seed, so scenarios that differ in a lever see the same shocks.
    """
    ledger = Ledger(keep_journal=False)
    world_seed, competition_seed = np.random.SeedSequence(int(cfg.run.seed)).spawn(2)
    world = WorldProcess(cfg.world, cfg.run.start, np.random.default_rng(world_seed))
    index: dict[str, int] = {}
    firms = []
    for spec in cfg.companies:
        holder = ledger.add_holder(spec.id)
        index[spec.id] = holder
        firms.append(Firm(spec, holder, ledger, Fleet(shell_life=cfg.world.shell_life_quarters), spec.market_value,
                          spec.listed))
    external = ledger.add_holder(EXTERNAL)
    index[EXTERNAL] = external
    d = cfg.world.demand
    shares = {f.holder: f.spec.lab.market_share for f in firms if f.spec.lab}
    shares[OTHERS] = d.others_share
    competition = Competition(shares, CompetitionParams(d.share_inertia, d.capability_growth_quarterly,
                                                        d.capability_exponent, d.price_elasticity, d.capability_noise),
                              np.random.default_rng(competition_seed))
    e = Economy(cfg, ledger, build_contracts(cfg, index), world, competition, firms, index, external, cfg.run.start,
                world.market, label=cfg.run.start)
    open_balances(e)
    e.initial_cash = ledger.total_cash()
    for f in firms:
        f.opening_equity = ledger.equity(f.holder)
        f.cash_before = f.cash()
    calibrate(e)
    return e

def build_contracts(cfg: Config, index: dict[str, int]) -> ContractBook:
    """Turn contract specs into contract objects (party names become holder indices)."""
    origin = cfg.run.start
    book = ContractBook()

    def q(label: str | None) -> int | None:
        return None if label is None else quarter_index(label, origin)

    def tied(k) -> int | None:
        return index[k.tied_to] if getattr(k, "tied_to", None) else None

    for k in cfg.contracts:
        common = dict(id=k.id, kind=k.kind, source=k.source)
        c: Contract
        if k.kind == "compute":
            c = ComputeContract(**common, from_party=index[k.buyer], to_party=index[k.seller], amount=k.total_value,
                                start=q(k.start), end=q(k.start) + k.quarters - 1, tied_to=tied(k), payment=k.payment,
                                gw=k.gw, ramp=k.ramp_quarters, take_or_pay=k.take_or_pay,
                                termination_penalty=k.termination_penalty, binding_share=k.binding_share,
                                delivered_value=k.delivered_value)
        elif k.kind == "revenue_share":
            c = RevenueShare(**common, from_party=index[k.payer], to_party=index[k.payee], amount=0.0,
                             start=q(k.start), end=q(k.end), share=k.share)
        elif k.kind == "equity_stake":
            c = EquityStake(**common, from_party=index[k.holder], to_party=index[k.issuer], amount=k.cost,
                            start=0, end=None, fraction=k.fraction, cost=k.cost)
        elif k.kind == "investment_commitment":
            c = InvestmentCommitment(**common, from_party=index[k.investor], to_party=index[k.investee],
                                     amount=k.maximum, start=q(k.start), end=q(k.expires), tranche=k.tranche,
                                     trigger=k.trigger.kind, trigger_contracts=k.trigger.contracts,
                                     gw_per_tranche=k.trigger.gw_per_tranche,
                                     trigger_quarters=tuple(q(t) for t in k.trigger.quarters), form=k.form,
                                     health_threshold=k.health_threshold, binding=k.binding)
        elif k.kind == "compute_credit":
            c = ComputeCredit(**common, from_party=index[k.issuer], to_party=index[k.holder], amount=k.amount,
                              start=q(k.start), end=q(k.expires), balance=k.amount)
        elif k.kind == "warrant":
            c = Warrant(**common, from_party=index[k.issuer], to_party=index[k.holder], amount=0.0, start=q(k.start),
                        end=None, shares=k.shares, strike=k.strike,
                        steps=tuple((v.gw, v.share_fraction, v.price_hurdle) for v in k.vesting),
                        delivery_contracts=k.delivery_contracts)
        elif k.kind == "loan":
            c = Loan(**common, from_party=index[k.lender], to_party=index[k.borrower], amount=k.principal,
                     start=q(k.start), end=q(k.maturity), tied_to=tied(k), instrument=k.instrument,
                     principal=k.principal, fixed_rate_annual=k.fixed_rate_annual, spread_bp=k.spread_bp,
                     amortisation=k.amortisation, interest_only_until=q(k.interest_only_until),
                     seniority=k.seniority, collateral=k.collateral,
                     collateral_issuer=index[k.collateral_issuer] if k.collateral_issuer else None,
                     max_ltv=k.covenants.max_ltv, min_dscr=k.covenants.min_dscr, limit=k.commitment)
        elif k.kind == "backstop":
            c = Backstop(**common, from_party=index[k.guarantor], to_party=index[k.beneficiary], amount=k.maximum,
                         start=q(k.start), end=q(k.end))
        else:  # guarantee
            loan = next(x for x in cfg.contracts if x.id == k.loan)
            c = Guarantee(**common, from_party=index[k.guarantor], to_party=index[loan.lender], amount=k.maximum,
                          start=q(k.start), end=None, loan_id=k.loan)
        if c.start is not None and c.start > 0:
            c.state = State.PENDING if c.kind != "equity_stake" else State.ACTIVE
        book.add(c)
    return book


def opening_vintages(gw: float, book: float, age: int, life: int) -> list[Vintage]:
    """Installed hardware as one vintage of the stated average age (cost grossed up for depreciation)."""
    if gw <= 0:
        return []
    used = min(age, life - 1)
    cost = book / (1 - used / life) if used else book
    return [Vintage(built=-used, gw=gw, cost=cost, book=book, life=life)]


def open_balances(e: Economy) -> None:
    """Each firm's opening balance sheet and fleet from its config; loans, stakes and credits from the contracts."""
    cfg, led, world = e.config, e.ledger, e.config.world
    loans_held = [0.0] * (e.external + 1)
    debt = [0.0] * (e.external + 1)
    stakes = [0.0] * (e.external + 1)
    credits_held = [0.0] * (e.external + 1)
    credits_owed = [0.0] * (e.external + 1)
    values = {c.holder: c.spec.market_value for c in e.firms}
    for c in e.book.contracts:
        if isinstance(c, Loan):
            loans_held[c.from_party] += c.principal
            debt[c.to_party] += c.principal
        elif isinstance(c, EquityStake):
            stakes[c.from_party] += c.fraction * values.get(c.to_party, 0.0)
        elif isinstance(c, ComputeCredit) and c.start <= 0:
            credits_held[c.to_party] += c.balance
            credits_owed[c.from_party] += c.balance
    for co in e.firms:
        o, cap = co.spec.opening, co.spec.capacity
        hardware_gw = cap.gw if cap.hardware_gw is None else cap.hardware_gw
        co.fleet.vintages = opening_vintages(hardware_gw, cap.hardware_book, cap.hardware_age_quarters,
                                             world.hardware_life_quarters)
        co.fleet.shell_gw = cap.gw
        co.fleet.shell_book = cap.shell_book
        for b in cap.under_construction:
            done = quarter_index(b.complete, e.origin)
            cost = b.gw * world.capex_per_gw
            hardware = b.gw if b.hardware else 0.0
            co.fleet.builds.append(Build(started=done - world.build_lead_quarters, complete=done, gw=hardware,
                                         shell_cost=cost * (1 - world.hardware_share), shell_paid=b.spent,
                                         hardware_cost=hardware * world.capex_per_gw * world.hardware_share, shell_gw=b.gw))
        h = co.holder
        led.open(h, {
            Account.CASH: o.cash, Account.RECEIVABLES: o.receivables, Account.OTHER_ASSETS: o.other_assets,
            Account.NON_AI_BUSINESS: o.non_ai_business, Account.HARDWARE: co.fleet.hardware_book,
            Account.DC_SHELLS: cap.shell_book,
            Account.CONSTRUCTION_IN_PROGRESS: sum(b.shell_paid for b in co.fleet.builds),
            Account.STAKES: stakes[h], Account.LOANS_HELD: loans_held[h],
            Account.CREDITS_RECEIVABLE: credits_held[h],
            Account.DEBT: debt[h], Account.PAYABLES: o.payables,
            Account.DEFERRED_REVENUE: o.deferred_revenue + credits_owed[h],
            Account.FUNDING: o.funding,
        })
    led.open(e.external, {Account.CASH: cfg.external.cash})
