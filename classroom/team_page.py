"""The team-mode panels of the page: joining the class run, the instructor's roll call, a student's decisions.

They read the server's :data:`classroom.team.CLASS_RUN` when they render; the page
re-renders every tab of the class run when its version changes (a watcher thread per
tab, see ``classroom.page``).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace

import solara

from classroom.i18n import company_name, money, t
from classroom.team import (
    CLASS_RUN,
    CUT,
    INSTRUCTOR,
    NONE,
    RAISE,
    RULES,
    Choice,
    ChoiceError,
    Member,
    Offer,
    as_rules,
    change_text,
    departures,
    message_text,
    with_cancel,
)


def _div(text: str, testid: str, style: str = "", **data: str) -> None:
    solara.HTML(tag="div", unsafe_innerHTML=html.escape(text), style=style,
                attributes={"data-testid": testid, **{f"data-{k}": v for k, v in data.items()}})


@solara.component
def JoinPanel(lang: str, on_join: Callable[[str, str], str | None]) -> None:
    """A name, a role (instructor, or the student of a company) and Join; ``on_join`` returns an error text or None."""
    names = CLASS_RUN.candidates()
    name, set_name = solara.use_state("")
    role, set_role = solara.use_state(INSTRUCTOR)
    error, set_error = solara.use_state("")
    labels = {t(lang, "team.role.instructor"): INSTRUCTOR}
    labels |= {t(lang, "team.role.student", company=company_name(lang, e, n)): e for e, n in names.items()}
    by_role = {r: label for label, r in labels.items()}

    def join() -> None:
        set_error(on_join(name, role) or "")

    solara.Text(t(lang, "team.intro"), style={"font-size": "0.85em"})
    solara.InputText(t(lang, "team.name"), value=name, on_value=set_name, continuous_update=True)
    solara.Select(t(lang, "team.role"), values=list(labels), value=by_role.get(role, next(iter(labels))),
                  on_value=lambda label: set_role(labels[label]))
    solara.Button(t(lang, "team.join"), on_click=join, color="primary", outlined=True)
    if error:
        _div(error, "team-join-error", "color: #a40000; font-size: 0.85em")


@solara.component
def InstructorPanel(lang: str, member: Member, names: dict[str, str], on_leave: Callable[[], None], version: int = 0) -> None:
    """Who has joined and who has decided, the switch that steps when all have, the model's refusals, Leave."""
    run = CLASS_RUN
    _div(t(lang, "team.joined_instructor", name=member.name), "team-role", role="instructor")
    solara.Text(t(lang, "team.members"), style={"font-weight": "bold"})
    for m in run.members.copy().values():
        if not m.student:
            _div(t(lang, "team.instructor_row", name=m.name), "team-instructor", "font-size: 0.9em")
    students = run.students()
    if not students:
        _div(t(lang, "team.no_students"), "team-no-students", "font-size: 0.9em")
    waiting = 0
    for m in students:
        status = run.status(m)
        waiting += status == "waiting"
        company = company_name(lang, m.role, names.get(m.role, ""))
        line = t(lang, "team.member_row", name=m.name, company=company, status=t(lang, "team.status." + status))
        offer = run.offer(m.role)
        if m.choice is not None and offer is not None:
            what = "; ".join(change_text(lang, c, names) for c in departures(offer, m.choice))
            line += f" ({what or t(lang, 'team.note.as_rules')})"
        with solara.Row(style={"align-items": "center"}):
            _div(line, "team-member", "font-size: 0.9em", role=m.role, status=status)
            solara.Button(t(lang, "team.remove"), on_click=lambda token=m.token: run.leave(token), text=True, small=True)
        if m.message:
            _div(message_text(lang, m.message, names), "team-member-message", "font-size: 0.8em; color: #a40000")
    if students:
        _div(t(lang, "team.waiting_for", n=waiting, total=len(students)) if waiting else t(lang, "team.all_decided"),
             "team-waiting", "font-size: 0.9em", waiting=str(waiting))
    solara.Checkbox(label=t(lang, "team.auto_step"), value=run.auto_step, on_value=run.set_auto_step)
    solara.Text(t(lang, "team.step_hint"), style={"font-size": "0.8em", "color": "#444"})
    if run.error:
        _div(message_text(lang, run.error, names), "team-error", "color: #a40000; font-size: 0.85em")
    solara.Button(t(lang, "team.leave"), on_click=on_leave, text=True, small=True)


@solara.component
def StudentPanel(lang: str, member: Member, names: dict[str, str], on_leave: Callable[[], None], version: int = 0) -> None:
    """What the student's company faces this quarter and the form of its decisions (held until the instructor steps)."""
    run = CLASS_RUN
    company = company_name(lang, member.role, names.get(member.role, ""))
    offer = run.offer(member.role)
    draft, set_draft = solara.use_state((None, Choice()))  # (the quarter it is for, the answers)
    error, set_error = solara.use_state("")
    _div(t(lang, "team.joined_student", name=member.name, company=company), "team-role", role=member.role)
    if member.message:
        _div(message_text(lang, member.message, names), "team-message", "color: #a40000; font-size: 0.85em")
    if offer is None:
        _div(t(lang, "team.no_offer", company=company), "team-status", status="none")
    else:
        choice = draft[1] if draft[0] == offer.label else as_rules(offer)
        solara.HTML(tag="h4", unsafe_innerHTML=html.escape(t(lang, "team.faces", company=company, label=offer.label)))
        _div(t(lang, "team.position", cash=money(lang, offer.cash), debt=money(lang, offer.debt),
               due=money(lang, offer.due), equity=money(lang, offer.equity)), "team-position", "font-size: 0.9em")
        if offer.market_value > 0:
            _div(t(lang, "team.market_value", value=money(lang, offer.market_value)), "team-value", "font-size: 0.9em")
        if offer.lab:  # how long its cash lasts is what a lab's round and cost cut are about
            runway = offer.runway_q
            _div(t(lang, "team.runway_inf") if runway == float("inf") else t(lang, "team.runway", q=f"{runway:.1f}"),
                 "team-runway", "font-size: 0.9em")
        status = run.status(member)
        if status == "decided":
            what = "; ".join(change_text(lang, c, names) for c in departures(offer, member.choice))
            _div(t(lang, "team.decided"), "team-status", "font-weight: bold", status="decided")
            _div(what or t(lang, "team.note.as_rules"), "team-decision", "font-size: 0.9em")
            solara.Button(t(lang, "team.change"), on_click=lambda: run.undecide(member.token), outlined=True)
        elif status == "nothing":
            _div(t(lang, "team.nothing", company=company), "team-status", status="nothing")
        else:
            _div(t(lang, "team.status.waiting"), "team-status", "display: none", status="waiting")

            def decide() -> None:
                try:
                    run.decide(member.token, choice)
                    set_error("")
                except ChoiceError as err:
                    set_error(err.text(lang, names))

            DecisionForm(lang, offer, choice, names, lambda c: set_draft((offer.label, c)))
            solara.Button(t(lang, "team.decide"), on_click=decide, color="primary")
            if error:
                _div(error, "team-choice-error", "color: #a40000; font-size: 0.85em")
    solara.Button(t(lang, "team.leave"), on_click=on_leave, text=True, small=True)


def _yes_no(lang: str, testid: str, text: str, value: bool, yes: str, no: str, on_value: Callable[[bool], None]) -> None:
    """A line of the form: what is asked, and two buttons (the chosen one pressed)."""
    with solara.Column(gap="0px", classes=["team-item"], style={"margin-bottom": "6px"}):
        _div(text, testid, "font-size: 0.9em")
        with solara.ToggleButtonsSingle(value="yes" if value else "no", on_value=lambda v: on_value(v == "yes"), dense=True):
            solara.Button(t(lang, yes), value="yes", small=True)
            solara.Button(t(lang, no), value="no", small=True)


@solara.component
def DecisionForm(lang: str, offer: Offer, choice: Choice, names: dict[str, str], on_choice: Callable[[Choice], None]) -> None:
    """Only the options the round offers: a binding tranche and a loan the rules refused are shown, not offered."""
    def name(entity: str) -> str:
        return company_name(lang, entity, names.get(entity, ""))

    if offer.tranches:
        solara.Text(t(lang, "team.tranches"), style={"font-weight": "bold"})
        for x in offer.tranches:
            text = t(lang, "team.tranche_item", amount=money(lang, x.amount), company=name(x.investee))
            if x.binding:
                _div(f"{text} — {t(lang, 'team.binding')}", "team-tranche", "font-size: 0.9em", binding="1")
                continue
            _yes_no(lang, "team-tranche", text, choice.tranches.get(x.contract_id, x.rules_release), "team.release",
                    "team.hold", lambda v, cid=x.contract_id: on_choice(replace(choice, tranches={**choice.tranches, cid: v})))
    for items, key, title, item_key, yes in ((offer.rolls, "rolls", "team.rolls", "team.roll_item", "team.roll"),
                                             (offer.requests, "requests", "team.requests", "team.request_item", "team.lend")):
        if not items:
            continue
        solara.Text(t(lang, title), style={"font-weight": "bold"})
        for x in items:
            subject = x.loan_id if key == "rolls" else x.borrower
            granted = x.rules_roll if key == "rolls" else x.rules_approve
            text = t(lang, item_key, amount=money(lang, x.amount), company=name(x.borrower))
            if not granted:
                _div(f"{text} — {t(lang, 'team.rules_refused')}", f"team-{key}", "font-size: 0.9em", granted="0")
                continue
            answers = getattr(choice, key)
            _yes_no(lang, f"team-{key}", text, answers.get(subject, True), yes, "team.refuse",
                    lambda v, s=subject, k=key, a=answers: on_choice(replace(choice, **{k: {**a, s: v}})))
    if offer.lab:
        LabOptions(lang, offer, choice, name, on_choice)


@solara.component
def LabOptions(lang: str, offer: Offer, choice: Choice, name: Callable[[str], str], on_choice: Callable[[Choice], None]) -> None:
    """A lab's own decisions: a funding round of $X at a valuation, a cost cut to a share, cancelling a contract."""
    rules_round = (t(lang, "team.rules.raise", amount=money(lang, offer.rules_funding[0]),
                     pre_money=money(lang, offer.rules_funding[1])) if offer.rules_funding else t(lang, "team.rules.nothing"))
    solara.Text(t(lang, "team.funding"), style={"font-weight": "bold"})
    _div(t(lang, "team.rules_would", what=rules_round), "team-rules-funding", "font-size: 0.85em; color: #444")

    def set_funding(mode: str) -> None:
        amount = choice.amount or (offer.rules_funding[0] if offer.rules_funding else round(max(offer.cash, 10.0) / 4, 1))
        pre = choice.pre_money or (offer.rules_funding[1] if offer.rules_funding else round(offer.market_value, 1))
        on_choice(replace(choice, funding=mode, amount=float(amount), pre_money=float(pre)))

    with solara.ToggleButtonsSingle(value=choice.funding, on_value=set_funding, dense=True):
        solara.Button(t(lang, "team.option.rules"), value=RULES, small=True)
        solara.Button(t(lang, "team.option.none_round"), value=NONE, small=True)
        solara.Button(t(lang, "team.option.raise"), value=RAISE, small=True)
    if choice.funding == RAISE:
        solara.InputFloat(t(lang, "team.amount"), value=choice.amount,
                          on_value=lambda v: on_choice(replace(choice, amount=float(v if v is not None else 0.0))))
        solara.InputFloat(t(lang, "team.valuation"), value=choice.pre_money,
                          on_value=lambda v: on_choice(replace(choice, pre_money=float(v if v is not None else 0.0))))

    rules_cut = t(lang, "team.rules.cut", share=f"{offer.rules_cut:.0%}") if offer.rules_cut else t(lang, "team.rules.nothing")
    solara.Text(t(lang, "team.costs"), style={"font-weight": "bold"})
    _div(t(lang, "team.rules_would", what=rules_cut), "team-rules-cut", "font-size: 0.85em; color: #444")

    def set_cut(mode: str) -> None:
        share = choice.cut_share if choice.cut == CUT else (offer.rules_cut or round(min(1.0, offer.cost_factor) * 0.9, 2))
        on_choice(replace(choice, cut=mode, cut_share=share))

    with solara.ToggleButtonsSingle(value=choice.cut, on_value=set_cut, dense=True):
        solara.Button(t(lang, "team.option.rules"), value=RULES, small=True)
        solara.Button(t(lang, "team.option.none_cut"), value=NONE, small=True)
        solara.Button(t(lang, "team.option.cut"), value=CUT, small=True)
    if choice.cut == CUT:
        solara.Text(t(lang, "team.cut_share", share=f"{choice.cut_share:.0%}"), style={"font-size": "0.9em"})
        solara.SliderFloat(t(lang, "team.cut_share.short"), value=choice.cut_share, min=0.05, max=1.0, step=0.05,
                           on_value=lambda v: on_choice(replace(choice, cut_share=round(float(v), 4))), thumb_label=False)

    if offer.cancellable:
        solara.Text(t(lang, "team.cancel"), style={"font-weight": "bold"})
        if offer.rules_relief:
            kind, cid = offer.rules_relief
            seller = next((x.seller for x in offer.cancellable if x.contract_id == cid), "")
            _div(t(lang, "team.relief." + kind, company=name(seller)), "team-rules-relief", "font-size: 0.85em; color: #444")
        for x in offer.cancellable:
            solara.Checkbox(label=t(lang, "team.cancel_item", company=name(x.seller), amount=money(lang, x.value)),
                            value=x.contract_id in choice.cancel,
                            on_value=lambda on, cid=x.contract_id: on_choice(with_cancel(choice, cid, on)))
