"""One browser tab's run: the model, the scenario and levers it was built from, the shocks applied.

The page keeps a :class:`Session` per tab (made inside the page component, so tabs do
not share it; team mode's class run holds one that the tabs joining it share,
``classroom.team``) and re-renders from :meth:`Session.view`, a read-only picture of the
run at its current quarter. All access goes through a lock because Play steps the
model from a thread while buttons may be pressed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import mesa
import pandas as pd

from classroom import levers
from economy.config import ConfigError
from economy.records import frames
from economy.shocks import Change, ShockError
from economy.units import quarter_label
from model import AIFinanceModel

FUNDING_EVENTS = ("loan", "margin_loan", "tranche_released", "rescue")
"""Events that move new money from ``entity`` to ``counterparty`` outside the contract payments."""


@dataclass(frozen=True)
class ShockRecord:
    """A shock as applied: after which quarter, the quarter it first moves, its id, the levers it moved."""

    label: str
    effective: str
    shock: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class View:
    """What the page shows of a run at one quarter (plain data; rendering never touches the model)."""

    quarter: int
    quarters: int
    label: str
    running: bool
    tables: dict[str, pd.DataFrame]
    names: dict[str, str]
    roles: dict[str, str]
    lever_values: dict[str, Any]
    scenario: str
    shocks: tuple[ShockRecord, ...] = ()
    notes: tuple = ()
    """Lines the story adds to a quarter besides the model's events (team mode: who steered which company)."""

    @property
    def system(self) -> pd.Series:
        """The system row of this quarter."""
        return self.tables["system"].iloc[-1]

    def sheets(self, label: str | None = None) -> pd.DataFrame:
        """Balance-sheet rows of companies (not the external sector) in a quarter (default: this one)."""
        bs = self.tables["balance_sheets"]
        return bs[(bs["quarter"] == (label or self.label)) & (bs["role"] != "external")]

    def events(self, label: str | None = None) -> pd.DataFrame:
        """Events of a quarter (default: this one), newest first."""
        ev = self.tables["events"]
        return ev[ev["quarter"] == (label or self.label)].iloc[::-1]


@dataclass
class Session:
    """A run a tab owns: build, step, shock, release.

    Attributes:
        scenario: The picked scenario's stem (``levers.scenario_files``).
        values: The lever values the model was last built with.
        error: The message of the last config error (None when the last Reset worked).
        notes: Story lines of team mode (``classroom.team.TeamNote``: a ``label`` and a ``text(lang, names)``).
    """

    scenario: str = "baseline"
    values: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    model: AIFinanceModel | None = None
    shocks: list[ShockRecord] = field(default_factory=list)
    notes: list = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _cache: tuple | None = None

    def reset(self, scenario: str, values: dict[str, Any] | None = None) -> bool:
        """Rebuild the model from a scenario and lever values; keep the old run if the config is broken.

        Returns:
            Whether the model was rebuilt (else :attr:`error` holds the message, as the command line prints it).
        """
        with self._lock:
            try:
                cfg = levers.load_scenario(scenario)
                chosen = {**levers.lever_values(cfg), **(values or {})}
                model = AIFinanceModel(cfg, seed=int(chosen["seed"]), overrides=levers.overrides(cfg, chosen) or None)
            except (ConfigError, KeyError, ValueError, OSError) as err:
                self.error = str(err)
                return False
            self.release()
            self.model, self.scenario, self.error = model, scenario, None
            self.values = levers.lever_values(model.config)
            self.shocks, self.notes = [], []
            return True

    def release(self) -> None:
        """Let the current model go (Mesa 3.3.1 keeps every model alive through ``mesa.Agent._ids``)."""
        with self._lock:
            if self.model is not None:
                mesa.Agent._ids.pop(self.model, None)
                self.model = None
                self._cache = None

    def swap(self, model: AIFinanceModel) -> None:
        """Carry on with ``model`` (a stepped copy of the current one, as team mode makes), letting the old one go."""
        with self._lock:
            old, self.model, self._cache = self.model, model, None
            if old is not None and old is not model:
                mesa.Agent._ids.pop(old, None)

    def step(self) -> bool:
        """Run one quarter; False (and nothing done) once the run has reached its last quarter."""
        with self._lock:
            if self.model is None or not self.model.running:
                return False
            self.model.step()
            return True

    def shock(self, shock: str) -> tuple[Change, ...]:
        """Apply an instructor shock from the next quarter on.

        Raises:
            ShockError: If it cannot apply (the run is over, or lacks what it moves).
        """
        with self._lock:
            if self.model is None:
                raise ShockError("no run")
            changes = self.model.apply_shock(shock)
            m = self.model
            self.shocks.append(ShockRecord(m.label, quarter_label(m.quarter + 1, m.origin), shock, changes))
            return changes

    def view(self) -> View:
        """The run as the page shows it now (memoised per quarter and shock count)."""
        with self._lock:
            m = self.model
            key = (id(m), m.quarter, len(self.shocks), len(m.events), len(self.notes))
            if self._cache and self._cache[0] == key:
                return self._cache[1]
            view = make_view(m, self.scenario, tuple(self.shocks), tuple(self.notes))
            self._cache = (key, view)
            return view


def page_tables(m: AIFinanceModel) -> dict[str, pd.DataFrame]:
    """The run's tables (``economy.records.frames``) without the payments table, which no page shows.

    The circularity tables are computed from the payments (so the page's circular share is
    ``circularity.csv``'s); the payments table itself is then dropped from the view.
    """
    tables = frames(m)
    tables.pop("payments")
    return tables


def make_view(m: AIFinanceModel, scenario: str, shocks: tuple[ShockRecord, ...] = (), notes: tuple = ()) -> View:
    """The picture of a run at its current quarter (the page's and the handout exporter's input)."""
    return View(
        quarter=m.quarter, quarters=m.config.run.quarters, label=m.label, running=m.running, tables=page_tables(m),
        names={c.entity: c.spec.name for c in m.companies}, roles={c.entity: c.role for c in m.companies},
        lever_values=levers.lever_values(m.config), scenario=scenario, shocks=shocks, notes=notes,
    )


def circular_share(view: View, label: str | None = None) -> float | None:
    """Share of what the AI labs paid other firms this quarter that went to firms that had funded them.

    The labs' ``paid_to_funders`` over their ``paid_to_firms`` in ``circularity.csv``
    (:mod:`economy.circularity`: a firm's funders hold stakes it sold them, paid it tranches,
    issued it credits or warrants, or lent to it; a commitment not yet paid funds nobody):
    money a lab pays them returns to those who financed it (the circular deal). None when
    the labs paid no firm.
    """
    rows = view.tables["circularity"]
    labs = rows[(rows["quarter"] == (label or view.label)) & (rows["role"] == "lab")]
    paid = float(labs["paid_to_firms"].sum())
    return float(labs["paid_to_funders"].sum()) / paid if paid > 0 else None


def money_moves(view: View, label: str | None = None) -> pd.DataFrame:
    """Money that moved between companies in a quarter: ``payer, payee, amount, kind`` (payment or funding)."""
    label = label or view.label
    flows = view.tables["contract_flows"]
    pay = flows[(flows["quarter"] == label) & (flows["paid"] > 0)]
    rows = [(r.payer, r.payee, float(r.paid), "payment") for r in pay.itertuples()]
    ev = view.tables["events"]
    for r in ev[(ev["quarter"] == label) & ev["kind"].isin(FUNDING_EVENTS)].itertuples():
        if r.entity and r.counterparty and r.amount > 0:
            rows.append((r.entity, r.counterparty, float(r.amount), "funding"))
    df = pd.DataFrame(rows, columns=["payer", "payee", "amount", "kind"])
    known = set(view.names)
    df = df[df["payer"].isin(known) & df["payee"].isin(known)]
    return df.groupby(["payer", "payee", "kind"], as_index=False)["amount"].sum()
