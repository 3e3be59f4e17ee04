"""The contract book's indexed queries give what a full scan gives, in creation order, also after a side changes hands."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from economy.contracts import ContractBook, EquityStake, Loan


def _loan(i: int, lender: int, borrower: int) -> Loan:
    return Loan(id=f"l{i}", kind="loan", from_party=lender, to_party=borrower, amount=1.0, start=0, end=8, principal=1.0)


def _scan(book: ContractBook, cls: type, holder: int, side: str) -> list:
    return [c for c in book.of_kind(cls) if (c.from_party if side == "from" else c.to_party) == holder]


def test_queries_by_party_find_each_side():
    """A loan from 0 to 1 is found from the lender's side and the borrower's, and involving either."""
    book = ContractBook()
    a, b = book.add(_loan(0, 0, 1)), book.add(_loan(1, 1, 2))
    assert book.of_kind_from(Loan, 0) == [a] and book.of_kind_to(Loan, 1) == [a]
    assert book.of_kind_involving(Loan, 1) == [a, b]
    assert book.of_kind_from(EquityStake, 0) == [] and book.of_kind_to(Loan, 9) == []


def test_a_side_handed_over_keeps_creation_order_and_survives_a_copy():
    """After an outside buyer takes a contract over, it sits in its new holder's list where creation order puts it."""
    book = ContractBook()
    first, second, third = (book.add(_loan(i, i, 5)) for i in range(3))
    book.change_from_party(third, 0)
    book.change_from_party(second, 0)
    assert book.of_kind_from(Loan, 0) == [first, second, third]
    assert book.of_kind_from(Loan, 1) == [] and second.from_party == 0
    twin = copy.deepcopy(book)  # a what-if run copies the book
    twin.change_from_party(twin.by_id["l0"], 7)
    assert [c.id for c in twin.of_kind_from(Loan, 7)] == ["l0"] and [c.id for c in book.of_kind_from(Loan, 7)] == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=25),
       st.lists(st.tuples(st.integers(0, 24), st.integers(0, 4)), max_size=10))
def test_indexed_queries_equal_full_scans(parties, handovers):
    """For any book and any hand-overs, every indexed query returns exactly what a scan of all contracts returns."""
    book = ContractBook()
    loans = [book.add(_loan(i, lender, borrower)) for i, (lender, borrower) in enumerate(parties)]
    for index, holder in handovers:
        if index < len(loans):
            book.change_from_party(loans[index], holder)
    for holder in range(5):
        assert book.of_kind_from(Loan, holder) == _scan(book, Loan, holder, "from")
        assert book.of_kind_to(Loan, holder) == _scan(book, Loan, holder, "to")
        assert book.of_kind_involving(Loan, holder) == [c for c in book.of_kind(Loan) if holder in (c.from_party, c.to_party)]
