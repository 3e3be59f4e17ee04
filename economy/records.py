"""What a run records: tidy rows per holder and quarter, per quarter for the system, per contract.

Row *k* is the state after quarter *k*; the rows labelled with the opening quarter
(e.g. ``2025Q4``) are the starting state, with last reported revenue and income.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol

from economy.channels import ChannelLog
from economy.circularity import CIRCULARITY_COLUMNS, CYCLE_COLUMNS, LOOP_COLUMNS, circularity_rows
from economy.flows import EXTERNAL_ROLE, PAYMENT_COLUMNS, payment_rows
from economy.ledger import ASSETS, LIABILITIES, Account, AccountingError
from economy.state import Economy, Firm, Status
from economy.units import quarter_label
from economy.views import count_status, partner_debt

ASSET_COLUMNS = {
    "cash": Account.CASH, "receivables": Account.RECEIVABLES, "dc_shells": Account.DC_SHELLS,
    "hardware": Account.HARDWARE, "construction_in_progress": Account.CONSTRUCTION_IN_PROGRESS,
    "stakes": Account.STAKES, "warrants": Account.WARRANTS, "loans_held": Account.LOANS_HELD,
    "credits_receivable": Account.CREDITS_RECEIVABLE, "non_ai_business": Account.NON_AI_BUSINESS,
    "deposits": Account.DEPOSITS, "other_assets": Account.OTHER_ASSETS,
}
LIABILITY_COLUMNS = {
    "debt": Account.DEBT, "deferred_revenue": Account.DEFERRED_REVENUE,
    "payables": Account.PAYABLES, "funding": Account.FUNDING,
}
FLOW_COLUMNS = {
    "revenue": Account.REVENUE, "other_income": Account.OTHER_INCOME, "compute_cost": Account.COMPUTE_COST,
    "opex": Account.OPEX, "interest_expense": Account.INTEREST_EXPENSE, "depreciation": Account.DEPRECIATION,
    "losses": Account.LOSSES,
}
BALANCE_SHEET_COLUMNS = (
    ["quarter", "entity", "name", "role", "status"] + list(ASSET_COLUMNS) + ["total_assets"] + list(LIABILITY_COLUMNS)
    + ["total_liabilities", "equity"] + list(FLOW_COLUMNS)
    + ["net_income", "stock_pay", "capex", "equity_raised", "free_cash_flow", "market_value", "capacity_gw", "backlog",
       "credit_spread_bp"]
)
CONTRACT_FLOW_COLUMNS = ["quarter", "contract_id", "kind", "payer", "payee", "due", "paid"]
CONTRACT_COLUMNS = ["contract_id", "kind", "from_party", "to_party", "amount", "start", "end", "state", "ended", "tied_to",
                    "source"]
EVENT_COLUMNS = ["quarter", "kind", "entity", "counterparty", "amount", "channel", "text"]
CASCADE_COLUMNS = ["quarter", "round", "entity", "caused_by", "channel", "amount", "outcome"]
LOSS_COLUMNS = ["quarter", "holder", "source", "kind", "channel", "amount"]
CHANNEL_COLUMNS = ["quarter", "holder", "channel", "source", "amount"]
SYSTEM_COLUMNS = [
    "quarter", "ai_demand", "demand_regime", "gpu_price_index", "resale_factor", "policy_rate_annual", "sentiment",
    "partner_debt", "openai_partner_debt", "ai_capex", "ai_capex_share_gdp", "avg_credit_spread_bp", "defaults", "rescues",
    "fiscal_cost", "firms_cash", "external_cash",
]
MONEY_DECIMALS = 9
"""Decimal places every number of a table is rounded to when framed: 1e-9 $B is one dollar (no float dust)."""


def _check_finite(rows: list[dict]) -> None:
    """Every number a quarter records is finite: a NaN or inf is a broken mechanism, never a result.

    Raises:
        AccountingError: Naming the quarter, the entity (or the system table) and the column.
    """
    for row in rows:
        numbers = [v for v in row.values() if isinstance(v, float)]
        if math.isfinite(sum(numbers)):  # NaN and inf survive a sum: one test per row, a closer look only on failure
            continue
        for col, value in row.items():
            if isinstance(value, float) and not math.isfinite(value):
                who = row.get("entity", "the system table")
                raise AccountingError(f"{row['quarter']}: {col} of {who} is not a finite number ({value})")


class Recorder:
    """Collects the rows of a run as it goes.

    Args:
        economy: The state recorded.
        spread_of: ``spread_of(economy, firm)``: the spread the firm's lender would quote it now (the lender's
            rule, injected).
    """

    def __init__(self, economy: Economy, spread_of: Callable[[Economy, Firm], float]) -> None:
        """Bind to an economy."""
        self.m = economy
        self.spread_of = spread_of
        self.balance_rows: list[dict] = []
        self.system_rows: list[dict] = []
        self._last: dict[int, tuple[float, float]] = {}
        self._latest = 0  # index in balance_rows of holder 0's row for the last quarter recorded

    def record_opening(self) -> None:
        """The starting state, with each company's last reported quarter as its flows."""
        m = self.m
        flows = {}
        for co in m.firms:
            f = dict.fromkeys(FLOW_COLUMNS, 0.0)
            f["revenue"] = co.spec.reported.revenue_quarterly
            flows[co.holder] = (f, co.spec.reported.net_income_quarterly)
        self._record(flows)

    def record_quarter(self) -> None:
        """The state after the quarter just closed."""
        m = self.m
        flows = {}
        for h in range(len(m.ledger.names)):
            st = m.statements[h]
            f = {name: st[acct] for name, acct in FLOW_COLUMNS.items()}
            income = st[Account.REVENUE] + st[Account.OTHER_INCOME]
            costs = sum(st[a] for a in (Account.COMPUTE_COST, Account.OPEX, Account.INTEREST_EXPENSE, Account.DEPRECIATION,
                                        Account.LOSSES))
            flows[h] = (f, income - costs)
        self._record(flows)

    def latest(self, holder: int) -> dict:
        """The holder's ``balance_sheets`` row for the last quarter recorded (the opening before the first step).

        The model's Mesa agent reporters read their columns here, so its agent panel is the table's own numbers.
        """
        return self.balance_rows[self._latest + holder]

    def _record(self, flows: dict[int, tuple[dict, float]]) -> None:
        first = len(self.balance_rows)
        self._collect(flows)
        _check_finite(self.balance_rows[first:] + self.system_rows[-1:])
        self._latest = first  # one row per holder, in holder order (_collect)

    def _collect(self, flows: dict[int, tuple[dict, float]]) -> None:
        m, led = self.m, self.m.ledger
        label = quarter_label(m.quarter, m.origin)
        capex_total = spread_sum = spread_weight = 0.0
        for h, name in enumerate(led.names):
            co = m.by_holder.get(h)
            row: dict = {"quarter": label, "entity": name, "name": co.spec.name if co else "External sector",
                         "role": co.role if co else "external", "status": co.status.value if co else "healthy"}
            bal = led.balances(h)
            for col, acct in ASSET_COLUMNS.items():
                row[col] = bal[acct]
            row["total_assets"] = sum(bal[a] for a in ASSETS)
            for col, acct in LIABILITY_COLUMNS.items():
                row[col] = bal[acct]
            row["total_liabilities"] = sum(bal[a] for a in LIABILITIES)
            row["equity"] = led.equity(h)
            f, net = flows.get(h, (dict.fromkeys(FLOW_COLUMNS, 0.0), 0.0))
            row.update(f)
            row["net_income"] = net
            row["capex"] = co.flows.capex if co and m.quarter else 0.0
            row["equity_raised"] = co.flows.equity_raised if co and m.quarter else 0.0
            row["stock_pay"] = co.flows.stock_pay if co and m.quarter else 0.0
            before = self._last.get(h)
            row["free_cash_flow"] = (
                (row["cash"] - before[0]) - row["equity_raised"] - (row["debt"] - before[1]) if before else 0.0
            )
            self._last[h] = (row["cash"], row["debt"])
            capex_total += row["capex"] if co and co.role in ("hyperscaler", "neocloud", "lab") else 0.0
            row["market_value"] = co.market_value if co else 0.0
            row["capacity_gw"] = co.fleet.capacity_gw if co else 0.0
            if co and co.role == "lab":
                row["capacity_gw"] = co.flows.compute_gw if m.quarter else co.fleet.capacity_gw
            row["backlog"] = m.backlog(h)
            row["credit_spread_bp"] = self.spread_of(m, co) if co and co.alive else 0.0
            if row["credit_spread_bp"] and row["debt"] > 0:
                spread_weight += row["debt"]
                spread_sum += row["debt"] * row["credit_spread_bp"]
            self.balance_rows.append(row)
        mk = m.world.market
        partner = partner_debt(m)  # debt partners raised to build for a lab (FACTS D34); never general corporate debt
        openai = m.index.get("openai")
        partner_openai = partner_debt(m, openai) if openai is not None else 0.0
        gdp_q = m.config.world.macro.gdp_annual / 4.0 * (1 + m.config.world.macro.gdp_growth_annual) ** (m.quarter / 4.0)
        self.system_rows.append({
            "quarter": label, "ai_demand": mk.demand_annual, "demand_regime": mk.regime, "gpu_price_index": mk.price_index,
            "resale_factor": mk.resale_factor, "policy_rate_annual": mk.policy_rate_annual, "sentiment": mk.sentiment,
            "partner_debt": partner, "openai_partner_debt": partner_openai, "ai_capex": capex_total,
            "ai_capex_share_gdp": capex_total / gdp_q,
            "avg_credit_spread_bp": spread_sum / spread_weight if spread_weight > 0 else 0.0,
            "defaults": count_status(m, Status.DEFAULTED),
            "rescues": count_status(m, Status.RESCUED),
            "fiscal_cost": m.fiscal_cost, "firms_cash": math.fsum(led.balance(h, Account.CASH) for h in m.by_holder),
            "external_cash": led.balance(m.external, Account.CASH),
        })

    def payment_rows(self) -> list[tuple]:
        """One row per payment of the run, from the ledger's payment rows (:func:`economy.flows.payment_rows`)."""
        m = self.m
        roles = [m.by_holder[h].role if h in m.by_holder else EXTERNAL_ROLE for h in range(len(m.ledger.names))]
        return payment_rows(m.ledger.payments, m.ledger.names, roles, m.book, m.origin)

    def contract_rows(self) -> list[dict]:
        """One row per contract: parties, headline amount, schedule, final state."""
        m = self.m
        rows = []
        for c in m.book.contracts:
            rows.append({
                "contract_id": c.id, "kind": c.kind,
                "from_party": m.ledger.names[c.from_party], "to_party": m.ledger.names[c.to_party],
                "amount": c.amount if c.kind != "warrant" else getattr(c, "shares", 0.0),
                "start": quarter_label(c.start, m.origin) if c.start is not None else "",
                "end": quarter_label(c.end, m.origin) if c.end is not None else "", "state": c.state.value,
                "ended": quarter_label(c.ended, m.origin) if c.ended is not None else "",
                "tied_to": m.ledger.names[c.tied_to] if c.tied_to is not None else "", "source": c.source,
            })
        return rows


class RunRecord(Protocol):
    """What a finished (or running) model offers to :func:`frames`: its recorder and the run's record."""

    recorder: Recorder
    flow_rows: list[tuple]
    events: list[dict]
    cascade: list[dict]
    losses: list[dict]
    channels: ChannelLog


def frames(model: RunRecord) -> dict:
    """Every table of a run as pandas DataFrames, keyed by file name without ``.csv``.

    Numbers are rounded to :data:`MONEY_DECIMALS` places, so sums that are 0 are written 0.
    """
    import pandas as pd

    def _round(df: pd.DataFrame) -> None:
        numbers = df.select_dtypes("float").columns
        if len(numbers):
            df[numbers] = df[numbers].round(MONEY_DECIMALS) + 0.0  # + 0.0: no -0 for a tiny negative

    tables = {
        "balance_sheets": pd.DataFrame(model.recorder.balance_rows, columns=BALANCE_SHEET_COLUMNS),
        "system": pd.DataFrame(model.recorder.system_rows, columns=SYSTEM_COLUMNS),
        "contract_flows": pd.DataFrame(model.flow_rows, columns=CONTRACT_FLOW_COLUMNS),
        "contracts": pd.DataFrame(model.recorder.contract_rows(), columns=CONTRACT_COLUMNS),
        "events": pd.DataFrame(model.events, columns=EVENT_COLUMNS),
        "cascade": pd.DataFrame(model.cascade, columns=CASCADE_COLUMNS),
        "losses": pd.DataFrame(model.losses, columns=LOSS_COLUMNS),
        "channels": pd.DataFrame(model.channels.rows, columns=CHANNEL_COLUMNS),
        "payments": pd.DataFrame(model.recorder.payment_rows(), columns=PAYMENT_COLUMNS),
    }
    for df in tables.values():
        _round(df)
    pay = tables["payments"]
    tables["payments"] = pay = pay[pay.amount > 0].reset_index(drop=True)  # less than half a dollar is no payment
    # circular financing, from the payments as written (so the tables reconcile with payments.csv); columns as
    # lists, since iterating a frame's rows of text is ten times slower
    first = tables["balance_sheets"].drop_duplicates("entity")
    columns = ["quarter", "payer", "payee", "kind", "amount", "payee_account"]
    firm_rows, loop_rows, cycle_rows = circularity_rows(
        zip(*(pay[c].tolist() for c in columns), strict=True), tables["contracts"].to_dict("records"),
        dict(zip(first.entity, first.role, strict=True)), list(tables["system"].quarter[1:]))
    circular = {"circularity": pd.DataFrame(firm_rows, columns=CIRCULARITY_COLUMNS),
                "loop": pd.DataFrame(loop_rows, columns=LOOP_COLUMNS),
                "cycles": pd.DataFrame(cycle_rows, columns=CYCLE_COLUMNS)}
    for df in circular.values():
        _round(df)
    return tables | circular
