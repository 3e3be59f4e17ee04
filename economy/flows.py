"""The flow table: every payment of a run, from the ledger's payment rows (the one source).

The ledger notes each payment between two holders as it posts it
(:data:`economy.ledger.Payment`: payer, payee, amount, the account each side moves, the
memo, cash or credits). This module names each payment's kind from the accounts it
moves between, finds the contract it was made under from its memo (most postings are
written ``"<contract id>: what"``) and the lab that contract is tied to, and turns the
rows into the table ``payments.csv``.

The kind comes from the accounts; the parties' roles, the contract's kind and, for the
one pair of accounts two things share (dividends and an estate's liquidation
proceeds), the memo only tell apart payments that move the same accounts:

============================  =========================================================
payer's account → payee's      kind
============================  =========================================================
interest expense → any         ``interest`` (also the external sector's interest on cash)
loans held → debt              ``loan_drawn``
debt → loans held              ``loan_repaid`` (instalments, cures, margin calls, recoveries)
loans held → loans held        ``loan_sale`` (a failed lender's loan book sold)
losses → loans held            ``guarantee`` (a guarantor pays the lender)
receivables or opex → any      ``covered_from_outside`` (payment channel off: the outside
                               sector pays what a debtor could not, and takes the claim)
stakes/other assets → paid-in  ``equity``; ``tranche`` under an investment commitment,
                               ``warrant_exercise`` under a warrant, ``rescue`` from the
                               government
retained earnings → any        ``dividend`` (dividends and buybacks), ``liquidation_proceeds``
construction or hardware       ``chip_sale`` (to a company in the model), ``construction``
  → revenue                    (to the external sector: shells, servers, networking)
compute cost → revenue         ``compute``; ``revenue_share``, ``backstop`` under those contracts
opex → revenue                 ``sales`` (outside buyers: end users, non-AI business, chips
                               bought outside the model), ``operating_cost`` (to the outside)
opex → other income            ``penalty`` (a termination penalty), ``interest`` (outside)
other assets (or a warrant)    ``fire_sale`` (hardware), ``estate_sale`` (data centres,
  → an asset (outside buyer)   receivables, non-AI business), ``asset_sale`` (stakes, holdings, warrants)
payables, funding → any        ``recovery`` (a claim held outside paid: a failed firm's estate
                               pays its outside creditors, a debtor the dues paid for it)
losses → losses                ``recovery`` (an estate passes on money received after its default:
                               the creditor's loss is cut)
losses → revenue               ``bankruptcy_cost``
credits (no cash)              ``credit_issue`` (a tranche paid in compute credits),
                               ``credit_redemption`` (credits spent on the issuer's cloud)
============================  =========================================================

Anything else is ``other`` (a test keeps every shipped scenario free of it).

This module imports neither Mesa nor any decision code.
"""

from __future__ import annotations

from collections.abc import Sequence

from economy.contracts import ContractBook
from economy.ledger import Account, Payment
from economy.units import quarter_label

PAYMENT_COLUMNS = ["quarter", "payer", "payee", "kind", "contract_id", "lab", "amount", "cash", "payer_account",
                   "payee_account", "memo"]
"""The columns of ``payments.csv``, in order."""

PAYMENT_KINDS = ("interest", "loan_drawn", "loan_repaid", "loan_sale", "guarantee", "covered_from_outside", "equity",
                 "tranche", "warrant_exercise", "rescue", "dividend", "liquidation_proceeds", "chip_sale",
                 "construction", "compute", "revenue_share", "backstop", "sales", "operating_cost", "penalty",
                 "fire_sale", "estate_sale", "asset_sale", "recovery", "bankruptcy_cost", "credit_issue",
                 "credit_redemption", "other")
"""Every value of ``payments.kind``."""

EXTERNAL_ROLE = "external"
_SOLD_ASSETS = {
    Account.HARDWARE: "fire_sale", Account.DC_SHELLS: "estate_sale", Account.CONSTRUCTION_IN_PROGRESS: "estate_sale",
    Account.RECEIVABLES: "estate_sale", Account.DEPOSITS: "estate_sale", Account.NON_AI_BUSINESS: "estate_sale",
    Account.STAKES: "asset_sale", Account.OTHER_ASSETS: "asset_sale", Account.WARRANTS: "asset_sale",
}


def payment_kind(payer_account: Account, payee_account: Account, payer_role: str, payee_role: str,
                 contract_kind: str = "", cash: bool = True, memo: str = "") -> str:
    """The kind of a payment, from the accounts it moves between (the table of the module docstring).

    Args:
        payer_account: What the payer debits.
        payee_account: What the payee credits.
        payer_role: The payer's role (``external`` for the external sector).
        payee_role: The payee's role.
        contract_kind: The kind of the contract it was made under, or ``""``.
        cash: False for compute credits.
        memo: The posting's memo (read only to tell dividends from liquidation proceeds).

    Example:
        >>> payment_kind(Account.CONSTRUCTION_IN_PROGRESS, Account.REVENUE, "hyperscaler", "chipmaker")
        'chip_sale'
        >>> payment_kind(Account.STAKES, Account.PAID_IN_CAPITAL, "investor", "lab", "investment_commitment")
        'tranche'
    """
    A = Account
    if not cash:
        return "credit_redemption" if payee_account is A.REVENUE else "credit_issue"
    if payer_account is A.INTEREST_EXPENSE:
        return "interest"
    if payee_account is A.DEBT and payer_account is A.LOANS_HELD:
        return "loan_drawn"
    if payee_account is A.LOANS_HELD:
        return {A.DEBT: "loan_repaid", A.LOANS_HELD: "loan_sale", A.LOSSES: "guarantee"}.get(payer_account,
                                                                                          "covered_from_outside")
    if payer_account is A.RECEIVABLES:
        return "covered_from_outside"
    if payee_account is A.PAID_IN_CAPITAL:
        if contract_kind == "investment_commitment":
            return "tranche"
        if contract_kind == "warrant":
            return "warrant_exercise"
        return "rescue" if payer_role == "government" else "equity"
    if payer_account is A.RETAINED_EARNINGS:
        return "liquidation_proceeds" if "liquidation" in memo else "dividend"
    # outside buyers book what they bought as other assets, or as a warrant of their own (vested warrants sold in distress)
    if payer_account in (A.OTHER_ASSETS, A.WARRANTS) and payer_role == EXTERNAL_ROLE and payee_account in _SOLD_ASSETS:
        return _SOLD_ASSETS[payee_account]
    if payer_account in (A.PAYABLES, A.FUNDING, A.DEFERRED_REVENUE):
        return "recovery"
    if payee_account is A.REVENUE:
        if payer_account in (A.CONSTRUCTION_IN_PROGRESS, A.HARDWARE):
            return "construction" if payee_role == EXTERNAL_ROLE else "chip_sale"
        if payer_account is A.COMPUTE_COST:
            return contract_kind if contract_kind in ("revenue_share", "backstop") else "compute"
        if payer_account is A.OPEX:
            if payer_role == EXTERNAL_ROLE:
                return "sales"
            return "operating_cost" if payee_role == EXTERNAL_ROLE else "other"
        if payer_account is A.LOSSES:
            return "bankruptcy_cost"
    if payer_account is A.LOSSES and payee_account is A.LOSSES:
        return "recovery"
    if payee_account is A.OTHER_INCOME and payer_account is A.OPEX:
        return "penalty" if contract_kind else "interest" if payer_role == EXTERNAL_ROLE else "other"
    return "other"


def payment_rows(payments: Sequence[Payment], names: Sequence[str], roles: Sequence[str], book: ContractBook,
                 origin: str) -> list[tuple]:
    """The rows of ``payments.csv`` (:data:`PAYMENT_COLUMNS`), one per payment, in the order they were made.

    Args:
        payments: The ledger's payment rows (:attr:`economy.ledger.Ledger.payments`).
        names: Each ledger holder's id.
        roles: Each ledger holder's role (``external`` for the external sector).
        book: The contract book (every contract of the run, ended ones too).
        origin: The opening quarter's label.

    Returns:
        Tuples in the order of :data:`PAYMENT_COLUMNS`; the lab is the contract's ``tied_to`` if it has
        one, else its party that is a lab, else empty.
    """
    labels: dict[int, str] = {}
    contracts: dict[str, tuple[str, str, str]] = {}  # memo prefix -> (contract id, kind, lab)
    kinds: dict[tuple, str] = {}
    account_names = {a: a.name.lower() for a in Account}
    rows = []
    for quarter, payer, payee, amount, payer_account, payee_account, memo, cash in payments:
        if amount == 0:
            continue
        label = labels.get(quarter)
        if label is None:
            label = labels[quarter] = quarter_label(quarter, origin)
        prefix = memo.split(": ", 1)[0]
        found = contracts.get(prefix)
        if found is None:
            found = contracts[prefix] = _contract_of(prefix, book, names, roles)
        cid, ckind, lab = found
        key = (payer_account, payee_account, roles[payer], roles[payee], ckind, cash,
               payer_account is Account.RETAINED_EARNINGS and "liquidation" in memo)
        kind = kinds.get(key)
        if kind is None:
            kind = kinds[key] = payment_kind(*key[:6], memo=memo)
        rows.append((label, names[payer], names[payee], kind, cid, lab, amount, cash, account_names[payer_account],
                     account_names[payee_account], memo))
    return rows


def _contract_of(prefix: str, book: ContractBook, names: Sequence[str], roles: Sequence[str]) -> tuple[str, str, str]:
    """``(contract id, kind, lab)`` of the contract a memo's prefix names, or three empty strings."""
    c = book.by_id.get(prefix)
    if c is None:
        return "", "", ""
    if c.tied_to is not None:
        lab = names[c.tied_to]
    else:
        lab = next((names[h] for h in (c.from_party, c.to_party) if roles[h] == "lab"), "")
    return c.id, c.kind, lab
