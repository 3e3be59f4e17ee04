"""Team mode: one shared class run in which students take the decisions of companies and the instructor steps.

The server holds one :class:`ClassRun` (:data:`CLASS_RUN`) that any tab can join, as the
instructor or as the student steering one company. Every tab of the class run shows the
same model; a tab that has not joined keeps its own run (``classroom.state.Session``).

A quarter in team mode:

1. After every change of the class model (reset, step, shock) a twin of it is stepped
   once with the rules deciding everywhere (:func:`preview`); what each company was
   asked in each round is its :class:`Offer` for the coming quarter: its cash, debt and
   what falls due; the tranches it may release or hold back; the rolls and new loans it
   is asked for; for a lab, a funding round, a cost cut and the contracts it could cancel.
2. A student answers with a :class:`Choice`, checked against the offer
   (:func:`validate`) before it is held for the step.
3. The instructor steps. A copy of the class model is stepped with a
   :class:`StudentReviewer` on every company a student has decided for
   (``AIFinanceModel.steer``); it turns the rules' decisions into the student's where the
   round asks the same thing (a tranche, a loan, a roll; the lab's own decisions), and
   leaves everything else to the rules. A company whose student has not decided is left
   to the rules, and the story says so. If the model refuses a decision
   (``agents.rounds.DecisionError``) the copy is dropped: the class run stays at its
   quarter, and the message is shown to the instructor and the student.

Why a copy: a refused decision stops ``step()`` midway, with the world already moved;
stepping a copy and keeping it only when it succeeds leaves the class run intact (a
pickled copy of the whole model costs about 10 ms).
"""

from __future__ import annotations

import math
import pickle
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from agents.decisions import ApproveLoan, HoldBackTranche, RefuseLoan, RefuseRoll, ReleaseTranche, RollLoan
from agents.lab import Cancel, CutCosts, RaiseFunding, Renegotiate
from agents.rounds import DecisionError, investee_health
from classroom import levers
from classroom.i18n import company_name, money, t
from classroom.state import Session
from economy.config import Config
from economy.shocks import Change
from economy.units import quarter_label
from economy.views import dues_now, leverage, not_started, purchase_dues, view_of
from model import AIFinanceModel

RULES, NONE, RAISE, CUT = "rules", "none", "raise", "cut"
"""What a student may answer on a lab's own decisions: as the rules decide, not at all, or as the student says."""
INSTRUCTOR = ""
"""The role of an instructor's tab (a student's role is the id of the company it steers)."""
MAX_ROUND = 1000.0
"""The largest funding round a student may ask for ($B; larger than any private round so far, a guard against typos)."""
MAX_VALUATION = 50_000.0
"""The highest pre-money valuation a student may name ($B)."""


class ChoiceError(ValueError):
    """A choice the page refuses before it reaches the model; ``key`` and ``fields`` are its message in ``classroom.i18n``."""

    def __init__(self, key: str, **fields: Any) -> None:
        """Keep the message's key and fields (the page shows it in the tab's language)."""
        super().__init__(f"{key} {fields}")
        self.key, self.fields = key, fields

    def text(self, lang: str, names: Mapping[str, str] | None = None) -> str:
        """The message in ``lang`` (a company id in ``fields["company"]`` is shown by its name)."""
        return message_text(lang, (self.key, self.fields), names or {})


# ---------------------------------------------------------------------------------------------- what a company faces
@dataclass(frozen=True)
class TrancheItem:
    """A tranche of an investment commitment the company may release now."""

    contract_id: str
    investee: str
    amount: float
    binding: bool
    rules_release: bool


@dataclass(frozen=True)
class RollItem:
    """A loan of the company's maturing now whose borrower asks to roll it."""

    loan_id: str
    borrower: str
    amount: float
    rules_roll: bool


@dataclass(frozen=True)
class RequestItem:
    """A builder asking the company (a lender) for new money."""

    borrower: str
    amount: float
    rules_approve: bool


@dataclass(frozen=True)
class ContractItem:
    """A compute contract of the lab's that has yet to start (it may cancel it, paying the penalty)."""

    contract_id: str
    seller: str
    value: float


@dataclass(frozen=True)
class Offer:
    """What one company faces in the coming quarter, as the rules would meet it (from :func:`preview`).

    Attributes:
        entity: The company's id.
        quarter: The quarter to be decided (the model's quarter + 1) and ``label`` its name.
        cash: Cash, debt, what falls due this quarter, book equity and market value ($B), as the company sees them
            when it decides (lenders and the government have no market value: 0).
        runway_q: Quarters of cash at its current burn (inf when it does not burn cash).
        lab: Whether it takes a lab's own decisions (funding round, cost cut, cancellation).
        rules_funding: The round the rules would ask for, ``(amount, pre-money)``, or None.
        rules_cut: The share of planned costs the rules would cut to, or None.
        rules_relief: A contract the rules would renegotiate or cancel: ``("renegotiate"|"cancel", id)``, or None.
    """

    entity: str
    quarter: int
    label: str
    cash: float
    debt: float
    due: float
    equity: float
    market_value: float
    runway_q: float
    cost_factor: float = 1.0
    lab: bool = False
    tranches: tuple[TrancheItem, ...] = ()
    rolls: tuple[RollItem, ...] = ()
    requests: tuple[RequestItem, ...] = ()
    cancellable: tuple[ContractItem, ...] = ()
    rules_funding: tuple[float, float] | None = None
    rules_cut: float | None = None
    rules_relief: tuple[str, str] | None = None

    @property
    def choices(self) -> int:
        """How many things the student can decide this quarter (0: nothing to decide)."""
        free = [x for x in self.tranches if not x.binding] + [x for x in self.rolls if x.rules_roll]
        free += [x for x in self.requests if x.rules_approve]
        return len(free) + (3 if self.lab else 0)


@dataclass(frozen=True)
class Choice:
    """A student's answers for one quarter; anything not answered is left to the rules.

    Attributes:
        tranches: Contract id -> release (True) or hold back (False).
        rolls: Loan id -> roll (True) or refuse (False).
        requests: Borrower id -> lend (True) or refuse (False).
        funding: ``rules``, ``none`` (no round) or ``raise`` (``amount`` at ``pre_money``, $B).
        cut: ``rules``, ``none`` (no cut) or ``cut`` (costs to ``cut_share`` of plan, in (0, 1]).
        cancel: Ids of contracts not yet started to cancel.
    """

    tranches: Mapping[str, bool] = field(default_factory=dict)
    rolls: Mapping[str, bool] = field(default_factory=dict)
    requests: Mapping[str, bool] = field(default_factory=dict)
    funding: str = RULES
    amount: float = 0.0
    pre_money: float = 0.0
    cut: str = RULES
    cut_share: float = 1.0
    cancel: tuple[str, ...] = ()


def as_rules(offer: Offer) -> Choice:
    """The choice that agrees with the rules on everything (the form a student's page starts from)."""
    return Choice(tranches={x.contract_id: x.rules_release for x in offer.tranches},
                  rolls={x.loan_id: x.rules_roll for x in offer.rolls},
                  requests={x.borrower: x.rules_approve for x in offer.requests})


def validate(offer: Offer, choice: Choice) -> Choice:
    """The choice, if it is one the offer allows; raise :class:`ChoiceError` otherwise.

    The rounds accept a reviewer's swap only within what they offer (``agents.rounds.checked``):
    a binding tranche is paid; a person can refuse a roll or a loan the rules granted but
    not grant one they refused (that would need terms the rules did not set); a lab's round
    needs a positive amount and valuation, and costs are cut to a share in (0, 1].

    Raises:
        ChoiceError: Naming what is wrong, as the page shows it.
    """
    tranches = {x.contract_id: x for x in offer.tranches}
    for cid, release in choice.tranches.items():
        item = tranches.get(cid)
        if item is None:
            raise ChoiceError("team.error.not_offered", company=offer.entity)
        if item.binding and not release:
            raise ChoiceError("team.error.binding", company=item.investee)
    for items, answers in ((offer.rolls, choice.rolls), (offer.requests, choice.requests)):
        granted = {(x.loan_id if isinstance(x, RollItem) else x.borrower): x for x in items}
        for key, yes in answers.items():
            item = granted.get(key)
            if item is None:
                raise ChoiceError("team.error.not_offered", company=offer.entity)
            rules_yes = item.rules_roll if isinstance(item, RollItem) else item.rules_approve
            if yes and not rules_yes:
                raise ChoiceError("team.error.cannot_grant", company=item.borrower)
    if not offer.lab and (choice.funding != RULES or choice.cut != RULES or choice.cancel):
        raise ChoiceError("team.error.not_a_lab", company=offer.entity)
    if choice.funding not in (RULES, NONE, RAISE) or choice.cut not in (RULES, NONE, CUT):
        raise ChoiceError("team.error.not_offered", company=offer.entity)
    if choice.funding == RAISE:
        if not (math.isfinite(choice.amount) and 0 < choice.amount <= MAX_ROUND):
            raise ChoiceError("team.error.amount", limit=MAX_ROUND)
        if not (math.isfinite(choice.pre_money) and 0 < choice.pre_money <= MAX_VALUATION):
            raise ChoiceError("team.error.valuation", limit=MAX_VALUATION)
    if choice.cut == CUT and not (math.isfinite(choice.cut_share) and 0 < choice.cut_share <= 1):
        raise ChoiceError("team.error.cut", value=choice.cut_share)
    open_ = {x.contract_id for x in offer.cancellable}
    if any(cid not in open_ for cid in choice.cancel):
        raise ChoiceError("team.error.cancel")
    return choice


# ---------------------------------------------------------------------------------------------- the reviewers
def _is_round(decisions: list) -> bool:
    """Whether a round's decisions are about tranches, rolls or loan requests (else: the company's own decisions)."""
    return any(isinstance(d, ReleaseTranche | HoldBackTranche | RollLoan | RefuseRoll | ApproveLoan | RefuseLoan)
               for d in decisions)


class StudentReviewer:
    """The reviewer of a company a student steers: the rules' decisions, with the student's answers put in.

    A plain, picklable callable (``AIFinanceModel.steer``). The first round a company
    decides in each quarter is its own decisions (``agents.rounds.decide_quarter``);
    the tranche, roll and loan rounds follow, each recognised by what it asks. An answer
    about something the round does not ask (the world moved since the preview) is not
    used; whatever the student did not answer stays as the rules decided it.
    ``applied`` collects what the student changed, for the story.
    """

    def __init__(self, entity: str, choice: Choice) -> None:
        """Steer ``entity`` by ``choice``."""
        self.entity, self.choice = entity, choice
        self.applied: list[tuple[str, dict[str, Any]]] = []
        self._own_quarter: int | None = None

    def __call__(self, agent: Any, decisions: list) -> list:
        """The decisions to carry out in this round."""
        e = agent.economy
        if not _is_round(decisions):
            if self._own_quarter == e.quarter:
                return decisions
            self._own_quarter = e.quarter
            return self._own(agent, decisions)
        return [self._swap(e, agent, d) for d in decisions]

    def _own(self, agent: Any, decisions: list) -> list:
        c, out = self.choice, list(decisions)
        if c.funding in (NONE, RAISE):
            dropped = [d for d in out if isinstance(d, RaiseFunding)]
            out = [d for d in out if not isinstance(d, RaiseFunding)]
            if c.funding == RAISE:
                out.append(RaiseFunding(agent.entity, c.amount, c.pre_money))
                self.applied.append(("raise", {"amount": c.amount, "pre_money": c.pre_money}))
            elif dropped:
                self.applied.append(("no_round", {"amount": dropped[0].amount}))
        if c.cut in (NONE, CUT):
            dropped = [d for d in out if isinstance(d, CutCosts)]
            out = [d for d in out if not isinstance(d, CutCosts)]
            if c.cut == CUT:
                out.append(CutCosts(agent.entity, c.cut_share))
                self.applied.append(("cut", {"share": c.cut_share}))
            elif dropped:
                self.applied.append(("no_cut", {"share": dropped[0].factor}))
        book = agent.economy.book
        for cid in c.cancel:
            contract = book.by_id.get(cid)
            if contract is None:
                continue
            out = [d for d in out if not (isinstance(d, Renegotiate | Cancel) and d.contract_id == cid)]
            out.append(Cancel(agent.entity, cid))
            self.applied.append(("cancel", {"company": agent.economy.by_holder[contract.to_party].entity}))
        return out

    def _swap(self, e: Any, agent: Any, d: Any) -> Any:
        c = self.choice
        if isinstance(d, ReleaseTranche | HoldBackTranche) and d.contract_id in c.tranches:
            release = c.tranches[d.contract_id]
            commitment = e.book.by_id[d.contract_id]
            investee = e.by_holder[commitment.to_party]
            if isinstance(d, ReleaseTranche) and not release:
                health = investee_health(e, investee, view_of(e, investee))
                self.applied.append(("hold", {"company": investee.entity, "amount": d.amount}))
                return HoldBackTranche(d.contract_id, d.amount, health, commitment.health_threshold)
            if isinstance(d, HoldBackTranche) and release:
                self.applied.append(("release", {"company": investee.entity, "amount": d.amount}))
                return ReleaseTranche(d.contract_id, d.amount)
        elif isinstance(d, RollLoan) and c.rolls.get(d.loan_id) is False:
            loan = e.book.by_id[d.loan_id]
            borrower, lender = e.by_holder[loan.to_party], e.by_holder[loan.from_party]
            self.applied.append(("refuse_roll", {"company": borrower.entity, "amount": loan.principal}))
            return RefuseRoll(d.loan_id, leverage(e, borrower, lender, 0.0))
        elif isinstance(d, ApproveLoan) and c.requests.get(d.borrower) is False:
            borrower, lender = e.firm(d.borrower), e.by_holder[d.request.lender]
            self.applied.append(("refuse_loan", {"company": d.borrower, "amount": d.request.amount}))
            return RefuseLoan(d.borrower, d.request.amount, leverage(e, borrower, lender, d.request.amount))
        return d


class _Recorder:
    """The preview's reviewer: keeps every decision as the rules took it and notes what the company was asked."""

    def __init__(self, entity: str, sink: dict[str, dict[str, Any]]) -> None:
        self.entity, self.sink = entity, sink

    def __call__(self, agent: Any, decisions: list) -> list:
        e = agent.economy
        seen = self.sink.setdefault(self.entity, {"tranches": [], "rolls": [], "requests": []})
        if not _is_round(decisions):
            if "cash" not in seen:
                seen.update(_standing(e, agent, decisions))
            return decisions
        for d in decisions:
            if isinstance(d, ReleaseTranche | HoldBackTranche):
                c = e.book.by_id[d.contract_id]
                seen["tranches"].append(TrancheItem(d.contract_id, e.by_holder[c.to_party].entity, d.amount, c.binding,
                                                    isinstance(d, ReleaseTranche)))
            elif isinstance(d, RollLoan | RefuseRoll):
                loan = e.book.by_id[d.loan_id]
                seen["rolls"].append(RollItem(d.loan_id, e.by_holder[loan.to_party].entity, loan.principal,
                                              isinstance(d, RollLoan)))
            elif isinstance(d, ApproveLoan):
                seen["requests"].append(RequestItem(d.borrower, d.request.amount, True))
            elif isinstance(d, RefuseLoan):
                seen["requests"].append(RequestItem(d.borrower, d.amount, False))
        return decisions


def _standing(e: Any, agent: Any, decisions: list) -> dict[str, Any]:
    """A company's position as it decides its own decisions (after the world moved and operations ran)."""
    v = agent.view()
    lab = agent.spec.lab is not None
    due = purchase_dues(e, agent.holder, e.quarter)[0] if lab else dues_now(e).get(agent.holder, 0.0)
    equity = e.total_assets(agent.holder) - e.total_liabilities(agent.holder)
    out: dict[str, Any] = {"cash": v.cash, "debt": v.debt, "due": due, "equity": equity, "market_value": agent.market_value,
                           "runway_q": v.runway_q, "cost_factor": agent.cost_factor, "lab": lab}
    if lab:
        out["cancellable"] = tuple(ContractItem(cid, e.by_holder[e.book.by_id[cid].to_party].entity, value)
                                   for cid, value, _renegotiated in not_started(e, agent.holder, e.quarter))
        for d in decisions:
            if isinstance(d, RaiseFunding):
                out["rules_funding"] = (d.amount, d.pre_money)
            elif isinstance(d, CutCosts):
                out["rules_cut"] = d.factor
            elif isinstance(d, Renegotiate | Cancel):
                out["rules_relief"] = ("cancel" if isinstance(d, Cancel) else "renegotiate", d.contract_id)
    return out


def copy_model(model: AIFinanceModel) -> AIFinanceModel:
    """An independent copy of a model, state and random streams included (not registered in ``mesa.Agent._ids``)."""
    return pickle.loads(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))


def preview(model: AIFinanceModel) -> tuple[dict[str, Offer], AIFinanceModel | None]:
    """What every live company faces in the coming quarter, found by stepping a copy with the rules deciding.

    The copy draws the same random numbers as the class run will, so where no student
    departs from the rules the offer is exactly what the real step asks, and the stepped
    copy is the class run's next quarter (returned too; None once the run is over).
    """
    if not model.running:
        return {}, None
    twin = copy_model(model)
    sink: dict[str, dict[str, Any]] = {}
    for agent in twin.companies:
        if agent.alive:
            twin.steer(agent.entity, _Recorder(agent.entity, sink))
    twin.step()
    for agent in twin.companies:
        twin.steer(agent.entity, None)
    q = model.quarter + 1
    label = quarter_label(q, model.origin)
    offers = {entity: Offer(entity=entity, quarter=q, label=label, tranches=tuple(s.pop("tranches")),
                            rolls=tuple(s.pop("rolls")), requests=tuple(s.pop("requests")), **s)
              for entity, s in sink.items() if "cash" in s}
    return offers, twin


def candidates(cfg: Config) -> list[str]:
    """Companies a student can usefully steer: labs, investors with a discretionary commitment, lenders (in that order)."""
    investors = {k.investor for k in cfg.contracts if k.kind == "investment_commitment" and not k.binding}
    labs = [c.id for c in cfg.companies if c.role == "lab"]
    return labs + [c.id for c in cfg.companies if c.id in investors and c.id not in labs] + [
        c.id for c in cfg.companies if c.role == "lender"]


def departures(offer: Offer, choice: Choice) -> list[tuple[str, dict[str, Any]]]:
    """What a choice changes from the rules' decisions in the offer (as the story tells it), in the offer's order."""
    out: list[tuple[str, dict[str, Any]]] = []
    for x in offer.tranches:
        release = choice.tranches.get(x.contract_id, x.rules_release)
        if release != x.rules_release:
            out.append(("release" if release else "hold", {"company": x.investee, "amount": x.amount}))
    out += [("refuse_roll", {"company": x.borrower, "amount": x.amount}) for x in offer.rolls
            if x.rules_roll and choice.rolls.get(x.loan_id) is False]
    out += [("refuse_loan", {"company": x.borrower, "amount": x.amount}) for x in offer.requests
            if x.rules_approve and choice.requests.get(x.borrower) is False]
    if choice.funding == RAISE:
        out.append(("raise", {"amount": choice.amount, "pre_money": choice.pre_money}))
    elif choice.funding == NONE and offer.rules_funding:
        out.append(("no_round", {"amount": offer.rules_funding[0]}))
    if choice.cut == CUT:
        out.append(("cut", {"share": choice.cut_share}))
    elif choice.cut == NONE and offer.rules_cut is not None:
        out.append(("no_cut", {"share": offer.rules_cut}))
    sellers = {x.contract_id: x.seller for x in offer.cancellable}
    out += [("cancel", {"company": sellers.get(cid, cid)}) for cid in choice.cancel]
    return out


# ---------------------------------------------------------------------------------------------- texts
def change_text(lang: str, change: tuple[str, Mapping[str, Any]], names: Mapping[str, str]) -> str:
    """One thing a student changed, in words ("holds back a $10.0B tranche for OpenAI")."""
    kind, f = change
    fields: dict[str, Any] = {}
    if "company" in f:
        fields["company"] = company_name(lang, f["company"], names.get(f["company"], ""))
    for key in ("amount", "pre_money"):
        if key in f:
            fields[key] = money(lang, float(f[key]))
    if "share" in f:
        fields["share"] = f"{float(f['share']):.0%}"
    return t(lang, "team.do." + kind, **fields)


def message_text(lang: str, message: tuple[str, Mapping[str, Any]], names: Mapping[str, str]) -> str:
    """A message kept as ``(key, fields)``, in ``lang``; a company id in ``company`` is shown by its name."""
    key, f = message
    fields = dict(f)
    if "company" in fields:
        fields["company"] = company_name(lang, fields["company"], names.get(fields["company"], ""))
    for k in ("limit",):
        if k in fields:
            fields[k] = money(lang, float(fields[k]))
    return t(lang, key, **fields)


@dataclass(frozen=True)
class TeamNote:
    """A line of the story: who steered a company in a quarter, and what they changed (or that the rules decided)."""

    label: str
    entity: str
    name: str
    decided: bool
    changes: tuple[tuple[str, dict[str, Any]], ...] = ()

    def text(self, lang: str, names: Mapping[str, str]) -> str:
        """The note in ``lang``."""
        company = company_name(lang, self.entity, names.get(self.entity, ""))
        if not self.decided:
            return t(lang, "team.note.rules", company=company, name=self.name)
        what = "; ".join(change_text(lang, c, names) for c in self.changes) or t(lang, "team.note.as_rules")
        return t(lang, "team.note.decided", company=company, name=self.name, what=what)


# ---------------------------------------------------------------------------------------------- the class run
@dataclass
class Member:
    """A tab in the class run: the instructor's (``role`` ""), or a student's steering the company ``role``."""

    token: str
    name: str
    role: str
    choice: Choice | None = None
    message: tuple[str, dict[str, Any]] | None = None
    """The last refusal of this member's choice (shown on its page until it decides again)."""

    @property
    def student(self) -> bool:
        """Whether this member steers a company."""
        return self.role != INSTRUCTOR


def _same_name(a: str, b: str) -> bool:
    """Whether two names a student typed are the same name (spaces and case aside; an empty name matches none)."""
    a, b = " ".join(a.split()).casefold(), " ".join(b.split()).casefold()
    return bool(a) and a == b


@dataclass(frozen=True)
class StepResult:
    """What the instructor's Step did: whether the quarter advanced, and the model's refusal if not."""

    stepped: bool
    error: tuple[str, dict[str, Any]] | None = None
    seconds: float = 0.0


class ClassRun:
    """The one shared run of a class: its model (a :class:`Session`), who has joined, their pending choices.

    Every method takes the lock: students decide from their own tabs' threads while the
    instructor steps from another. ``version`` rises at every change and :meth:`wait`
    lets a tab's watcher thread sleep until it does, so every tab re-renders after a step
    or a decision.

    Attributes:
        auto_step: Step as soon as every student has decided (the instructor's switch).
        error: The last refusal of a step, as ``(key, fields)``, until the next step.
    """

    def __init__(self) -> None:
        """An empty class run; the model is built at the first join."""
        self.session = Session()
        self.members: dict[str, Member] = {}
        self.offers: dict[str, Offer] = {}
        self._ruled: AIFinanceModel | None = None
        """The class model one quarter on with the rules deciding everywhere (the preview's copy)."""
        self.auto_step = False
        self.error: tuple[str, dict[str, Any]] | None = None
        self.version = 0
        self.step_seconds: list[float] = []
        self._menu: tuple[str, dict[str, str]] | None = None
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)

    # -- membership
    def join(self, token: str, name: str, role: str = INSTRUCTOR) -> Member:
        """Join (or rejoin with another role) as the instructor (``role`` "") or the student of company ``role``.

        A student who joins under the name of the one already steering the company (the same
        student, say, after reloading the page) takes it over, pending choice included.

        Raises:
            ChoiceError: If the company is not in the class run's scenario, or another student already steers it.
        """
        with self._lock:
            self._ensure_model()
            if role != INSTRUCTOR:
                if self.session.model.company_named(role) is None:
                    raise ChoiceError("team.error.unknown_company", company=role)
                taken = next((m for m in self.members.values() if m.role == role and m.token != token), None)
                if taken is not None and not _same_name(taken.name, name):
                    raise ChoiceError("team.error.taken", company=role, name=taken.name)
            member = Member(token, name.strip() or self._default_name(role), role)
            if role != INSTRUCTOR and taken is not None:
                # the same student from a new tab (a reload: the old tab's kernel lingers): it takes its company back
                del self.members[taken.token]
                member.choice, member.message = taken.choice, taken.message
            self.members[token] = member
            self._touch()
            return member

    def leave(self, token: str) -> None:
        """A tab leaves (or closes); when the last one goes, the class model is released."""
        with self._lock:
            if self.members.pop(token, None) is None:
                return
            if not self.members:
                self.session.release()
                self.offers, self._ruled = {}, None
            self._touch()

    def member(self, token: str) -> Member | None:
        """The member of this tab, if it has joined."""
        with self._lock:
            return self.members.get(token)

    def students(self) -> list[Member]:
        """The students, in the order they joined."""
        with self._lock:
            return [m for m in self.members.values() if m.student]

    def _default_name(self, role: str) -> str:
        n = sum(1 for m in self.members.values() if m.role == role) + 1
        return f"{'instructor' if role == INSTRUCTOR else 'student'} {n}"

    # -- decisions
    def offer(self, entity: str) -> Offer | None:
        """What ``entity`` faces in the coming quarter (None when the run is over or the company has failed)."""
        with self._lock:
            return self.offers.get(entity)

    def status(self, member: Member) -> str:
        """``decided``, ``waiting`` or ``nothing`` (the company has nothing to decide this quarter)."""
        with self._lock:
            offer = self.offers.get(member.role)
            if member.choice is not None:
                return "decided"
            return "waiting" if offer is not None and offer.choices else "nothing"

    def all_decided(self) -> bool:
        """Whether no student is still to decide (true with no students)."""
        with self._lock:
            return all(self.status(m) != "waiting" for m in self.students())

    def decide(self, token: str, choice: Choice) -> Choice:
        """Hold a student's choice for the next step (checked first); steps if that was the last and auto-step is on.

        Raises:
            ChoiceError: If the tab is not a student's, or the choice is not one the offer allows.
        """
        with self._lock:
            member = self.members.get(token)
            if member is None or not member.student:
                raise ChoiceError("team.error.not_a_student")
            offer = self.offers.get(member.role)
            if offer is None:
                raise ChoiceError("team.error.nothing", company=member.role)
            try:
                checked = validate(offer, choice)
            except ChoiceError as err:
                member.message = (err.key, err.fields)
                self._touch()
                raise
            member.choice, member.message = checked, None
            self._touch()
            if self.auto_step and self.all_decided():
                self.step()
            return checked

    def undecide(self, token: str) -> None:
        """Take a student's choice back (it is waiting again)."""
        with self._lock:
            member = self.members.get(token)
            if member is not None and member.choice is not None:
                member.choice = None
                self._touch()

    def set_auto_step(self, on: bool) -> None:
        """The instructor's switch: step as soon as every student has decided."""
        with self._lock:
            self.auto_step = bool(on)
            self._touch()
            if on and self.students() and self.all_decided():
                self.step()

    # -- the run
    def step(self) -> StepResult:
        """One quarter of the class run, with the students' choices; a refused decision leaves the run as it was."""
        with self._lock:
            started = time.perf_counter()
            m = self.session.model
            if m is None or not m.running:
                return StepResult(False)
            decided = [member for member in self.students() if member.choice is not None]
            changes = {member.role: departures(self.offers[member.role], member.choice) for member in decided
                       if member.role in self.offers}
            reviewers: dict[str, tuple[Member, StudentReviewer]] = {}
            if self._ruled is not None and not any(changes.values()):
                # nobody departs from the rules: the preview's copy is this very step (same state, same draws)
                twin = self._ruled
                reviewers = {m_.role: (m_, StudentReviewer(m_.role, m_.choice)) for m_ in decided}
            else:
                twin = copy_model(m)
                for member in decided:
                    if twin.company_named(member.role) is not None:
                        reviewer = StudentReviewer(member.role, member.choice)
                        twin.steer(member.role, reviewer)
                        reviewers[member.role] = (member, reviewer)
                try:
                    twin.step()
                except DecisionError as err:
                    return self._refused(err, reviewers, started)
                for entity in reviewers:
                    twin.steer(entity, None)  # the class model at rest is ruled; reviewers are put in for each step
            label = twin.label
            for member in self.students():
                if member.role in reviewers:
                    note = TeamNote(label, member.role, member.name, True, tuple(reviewers[member.role][1].applied))
                elif self.status(member) == "waiting":
                    note = TeamNote(label, member.role, member.name, False)
                else:
                    continue
                self.session.notes.append(note)
                member.choice, member.message = None, None
            self.session.swap(twin)
            self.error = None
            self._after_change()
            seconds = time.perf_counter() - started
            self.step_seconds.append(seconds)
            return StepResult(True, None, seconds)

    def _refused(self, err: DecisionError, reviewers: dict, started: float) -> StepResult:
        """The model refused a student's decision: nothing changes but the messages; that student decides again."""
        entity = str(err).split(":", 1)[0]
        self.error = ("team.error.model", {"company": entity, "message": str(err)})
        if entity in reviewers:
            member = reviewers[entity][0]
            member.choice, member.message = None, self.error
        self._touch()
        return StepResult(False, self.error, time.perf_counter() - started)

    def reset(self, scenario: str, values: dict[str, Any] | None = None) -> bool:
        """Rebuild the class model (the instructor's Reset); pending choices are dropped."""
        with self._lock:
            ok = self.session.reset(scenario, values)
            if ok:
                for member in self.members.values():
                    member.choice, member.message = None, None
                    if member.student and self.session.model.company_named(member.role) is None:
                        member.message = ("team.error.unknown_company", {"company": member.role})
                self.error = None
                self._after_change()
            else:
                self._touch()
            return ok

    def shock(self, shock: str) -> tuple[Change, ...]:
        """An instructor shock on the class run; the offers are found again (choices stay, checked at the step)."""
        with self._lock:
            changes = self.session.shock(shock)
            self._after_change()
            return changes

    def candidates(self) -> dict[str, str]:
        """The companies the join menu offers, id -> config name (from the class run's config, or its scenario's file)."""
        with self._lock:
            stem = self.session.scenario
            if self._menu is None or self._menu[0] != stem:  # loading a scenario file takes a while: once per scenario
                m = self.session.model
                cfg = m.config if m is not None else levers.load_scenario(stem)
                self._menu = (stem, {entity: cfg.company(entity).name for entity in candidates(cfg)})
            return dict(self._menu[1])

    def release(self) -> None:
        """Drop everyone and the model (tests; a server shutting down)."""
        with self._lock:
            self.members.clear()
            self.session.release()
            self.offers, self._ruled, self.error, self.auto_step = {}, None, None, False
            self._touch()

    def wait(self, seen: int, timeout: float) -> int:
        """Sleep until :attr:`version` differs from ``seen`` or ``timeout`` passes; the version now."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != seen, timeout)
            return self.version

    def _ensure_model(self) -> None:
        if self.session.model is None:
            self.session.reset(self.session.scenario or "baseline")
            self.session.notes.clear()
            self._after_change()

    def _after_change(self) -> None:
        m = self.session.model
        self.offers, self._ruled = preview(m) if m is not None else ({}, None)
        for member in self.members.values():  # a choice for a company with nothing left to decide cannot stand
            if member.choice is not None and member.role not in self.offers:
                member.choice = None
        self._touch()

    def _touch(self) -> None:
        self.version += 1
        self._changed.notify_all()


def with_cancel(choice: Choice, contract_id: str, on: bool) -> Choice:
    """The choice with a contract added to (or taken off) the ones to cancel."""
    kept = tuple(c for c in choice.cancel if c != contract_id)
    return replace(choice, cancel=kept + ((contract_id,) if on else ()))


CLASS_RUN = ClassRun()
"""The server's class run, shared by every tab that joins it."""

