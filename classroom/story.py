"""The quarter's events told in plain language, rendered from the event table's fields.

Events carry ``kind, entity, counterparty, amount, channel`` (``economy.records.EVENT_COLUMNS``);
each kind has a template per language here, so the story switches language with the
page. The model's own English ``text`` is used only for a kind with no template yet
(shown as is, marked, so a missing template is visible rather than hidden).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING

from classroom.i18n import company_name, money, t

if TYPE_CHECKING:
    from classroom.state import View

TEMPLATES: dict[str, dict[str, str]] = {
    "en": {
        "arrears_paid": "{who} pays {amount} of arrears late in the quarter",
        "asset_sale": "{who} sells {amount} of holdings to meet what it owes",
        "cancelled": "{who} cancels a compute contract with {whom}, paying a {amount} penalty",
        "contract_assumed": "Outside buyers take over {whom}'s contract: {who} keeps {amount} of backlog",
        "contract_signed": "{who} contracts compute from {whom} for {amount}",
        "contract_terminated": "{whom}'s contract ends with its failure: {who} loses {amount}",
        "cost_cut": "{who} cuts its cash costs",
        "covenant_cure": "{who} pays down {amount} owed to {whom} to restore its loan-to-value covenant",
        "default": "{who} defaults: {amount} it cannot pay",
        "distressed_issue": "{who} sells {amount} of new shares at a discount to pay what is due",
        "warrant_sold": "{who} sells part of its warrant on {whom} for {amount} to pay what is due",
        "hardware_sold": "{who} sells part of its hardware for {amount} to pay what is due, and GPU resale prices fall",
        "revolver_drawn": "{who} draws {amount} on its credit line from {whom}",
        "revolver_refused": "{who} refuses {whom} a draw on its credit line: {who} is failing itself",
        "contract_renegotiated": "{who} gives way on {amount} of what {whom} owes it, so that {whom} does not fail",
        "estate_sale": "{who}'s data centres and construction are sold for {amount}",
        "fire_sale": "Lenders seize {who}'s hardware and fire-sell it for {amount}",
        "funding_round": "{who} raises {amount} from outside investors",
        "guarantee_called": "{who} pays {amount} under its guarantee of a loan to {whom}",
        "ipo": "{who} lists its shares, raising {amount}",
        "liquidation_proceeds": "{who}'s estate pays {amount} left after its creditors to its shareholders",
        "reorganised": "{who} is reorganised in court: its creditors exchange {amount} of claims for less debt and its shares",
        "late_recovery": "{who}'s estate passes {amount} received after its default to its creditors",
        "loan": "{who} lends {amount} to {whom}",
        "loan_refused": "{who} refuses to lend {amount} to {whom}",
        "loan_sold": "{who}'s {amount} loan to {whom} is sold to outside investors",
        "margin_call": "{who} meets a {amount} margin call from {whom}",
        "margin_loan": "{who} lends {whom} {amount} against its holdings",
        "no_seller": "No cloud will sell {who} more compute",
        "refinanced": "{whom} rolls {amount} of {who}'s debt",
        "refinancing_refused": "{who} refuses to roll {amount} of {whom}'s debt",
        "renegotiated": "{who} gets {whom} to push a compute contract back",
        "rescue": "{who} rescues {whom} with {amount}",
        "round_failed": "{who} fails to raise {amount}",
        "tranche_declined": "{who} holds back a {amount} tranche for {whom}",
        "tranche_released": "{who} releases {amount} to {whom}",
        "warrant_exercised": "{who} exercises its warrant on {whom}'s shares, worth {amount}",
        "warrant_vested": "Part of {whom}'s warrant held by {who} vests",
    },
    "ja": {
        "arrears_paid": "{who}が延滞していた{amount}を期中に支払う",
        "asset_sale": "{who}が支払いのため保有資産{amount}を売却",
        "cancelled": "{who}が{whom}との計算資源契約を解約し、違約金{amount}を支払う",
        "contract_assumed": "{whom}の契約を外部の買い手が引き継ぎ、{who}は受注残{amount}を維持",
        "contract_signed": "{who}が{whom}から計算資源を{amount}で契約",
        "contract_terminated": "{whom}の破綻で契約が終了し、{who}が{amount}を失う",
        "cost_cut": "{who}が現金支出を削減",
        "covenant_cure": "{who}が担保比率の条項を守るため{whom}への債務{amount}を返済",
        "default": "{who}がデフォルト：支払えない額は{amount}",
        "distressed_issue": "{who}が支払いのため新株{amount}を割引価格で発行",
        "warrant_sold": "{who}が支払いのため{whom}株のワラントの一部を{amount}で売却",
        "hardware_sold": "{who}が支払いのため保有ハードウェアの一部を{amount}で売却し、GPUの中古価格が下落",
        "revolver_drawn": "{who}が{whom}の融資枠から{amount}を引き出す",
        "revolver_refused": "{who}は自らの経営悪化により{whom}の融資枠の引き出しを拒否",
        "contract_renegotiated": "{who}が{whom}の破綻を避けるため、支払額のうち{amount}の減額・繰り延べに応じる",
        "estate_sale": "{who}のデータセンターと建設中の設備が{amount}で売却される",
        "fire_sale": "貸し手が{who}のハードウェアを差し押さえ、{amount}で投げ売り",
        "funding_round": "{who}が外部投資家から{amount}を調達",
        "guarantee_called": "{who}が{whom}向け融資の保証として{amount}を支払う",
        "ipo": "{who}が株式を上場し、{amount}を調達",
        "liquidation_proceeds": "{who}の清算で債権者への弁済後に残った{amount}が株主に支払われる",
        "reorganised": "{who}が裁判所の下で再建：債権者は{amount}の債権を減額された債務と株式に交換",
        "late_recovery": "{who}の清算財団が破綻後に受け取った{amount}を債権者に配分する",
        "loan": "{who}が{whom}に{amount}を融資",
        "loan_refused": "{who}が{whom}への{amount}の融資を拒否",
        "loan_sold": "{who}の{whom}向け融資{amount}が外部投資家に売却される",
        "margin_call": "{who}が{whom}からの{amount}の追加担保要求に応じる",
        "margin_loan": "{who}が保有資産を担保に{whom}へ{amount}を融資",
        "no_seller": "{who}に追加の計算資源を売るクラウドがない",
        "refinanced": "{whom}が{who}の債務{amount}の借り換えに応じる",
        "refinancing_refused": "{who}が{whom}の債務{amount}の借り換えを拒否",
        "renegotiated": "{who}が{whom}との計算資源契約の開始を延期させる",
        "rescue": "{who}が{whom}を{amount}で救済",
        "round_failed": "{who}が{amount}の資金調達に失敗",
        "tranche_declined": "{who}が{whom}への{amount}の出資（トランシェ）を見送る",
        "tranche_released": "{who}が{whom}に{amount}を出資",
        "warrant_exercised": "{who}が{whom}株のワラントを行使（価値{amount}）",
        "warrant_vested": "{who}が保有する{whom}のワラントの一部が権利確定",
    },
}


@dataclass(frozen=True)
class StoryLine:
    """One event as the page shows it."""

    text: str
    channel: str
    kind: str


def render(lang: str, event: dict, names: dict[str, str]) -> StoryLine:
    """One event row (``quarter, kind, entity, counterparty, amount, channel, text``) in ``lang``."""
    template = TEMPLATES[lang].get(event["kind"])
    channel = t(lang, "channel." + event["channel"]) if event.get("channel") else ""
    if template is None:
        return StoryLine(f"[{event['kind']}] {event['text']}", channel, event["kind"])
    who = company_name(lang, event["entity"], names.get(event["entity"], "")) if event["entity"] else ""
    whom = company_name(lang, event["counterparty"], names.get(event["counterparty"], "")) if event["counterparty"] else ""
    return StoryLine(template.format(who=who, whom=whom, amount=money(lang, float(event["amount"]))), channel, event["kind"])


def render_all(lang: str, events, names: dict[str, str]) -> list[StoryLine]:
    """Rows of an events DataFrame, in the order given."""
    return [render(lang, row, names) for row in events.to_dict("records")]


def story_html(view: View, lang: str, label: str) -> str:
    """A quarter's story as an HTML list: team notes and shocks that start then, then the events, newest first."""
    lines = render_all(lang, view.events(label), view.names)
    items = [f"<li>{html.escape(s.text)}" + (f" <i>({t(lang, 'channel')}: {html.escape(s.channel)})</i>" if s.channel else "")
             + "</li>" for s in lines]
    for record in view.shocks:
        if record.effective == label:
            text = t(lang, "shock_applied", label=record.label, name=t(lang, "shock." + record.shock))
            items.insert(0, f"<li><b>{html.escape(text)}</b></li>")
    for note in view.notes:  # team mode: who steered a company this quarter, or that its rules decided
        if note.label == label:
            items.insert(0, f"<li data-team='{html.escape(note.entity)}'><b>{html.escape(note.text(lang, view.names))}</b></li>")
    return "<ul>" + "".join(items) + "</ul>" if items else f"<p>{html.escape(t(lang, 'story.empty'))}</p>"
