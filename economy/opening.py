"""The opening state: ledger balances and contract objects built from a config."""

from __future__ import annotations

from economy.capacity import Vintage
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
from economy.units import quarter_index


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
                     max_ltv=k.covenants.max_ltv, min_dscr=k.covenants.min_dscr)
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
