"""Golden outputs: every table and the summary of three small runs, compared exactly.

The cases (``tests/golden/cases.py``): ``tiny`` (a five-firm web, 12 quarters), ``contagion``
(one lab's failure spreading through five channels, 8 quarters) and ``baseline`` (8
quarters of ``configs/baseline.yaml``, seed 0). Their outputs are stored under
``tests/golden/<case>/``. A refactor must leave every one of them unchanged, to the last
bit of every float.

When results change on purpose, regenerate and commit the goldens with the reason::

    .venv/bin/python -m tests.golden.regenerate [CASE ...]

This test never rewrites the goldens. On a mismatch it writes the new outputs under
pytest's temporary folder and names it in the message, for ``diff -r``.
"""

from __future__ import annotations

import difflib
import functools
from pathlib import Path

import pytest

from tests.golden.cases import CASES, GOLDEN, SUMMARY, Rows, file_name, read_outputs, run_case, write_outputs

SHOWN = 5  # differing rows shown per column
KEYS = ("quarter", "round", "entity", "contract_id", "holder", "kind", "channel")  # columns that name a row


@functools.cache
def new_outputs(case: str) -> dict:
    """The outputs of a case from the code as it stands, run once per session."""
    return run_case(CASES[case])


@functools.cache
def golden_outputs(case: str) -> dict:
    """The stored outputs of a case."""
    return read_outputs(GOLDEN / case)


def golden_tables(case: str) -> list[str]:
    """The tables stored for a case, by name."""
    return sorted(path.stem for path in (GOLDEN / case).iterdir() if path.suffix in (".csv", ".json"))


def row_label(header: list[str], row: list[str], index: int) -> str:
    """A row by its line in the CSV file and the key columns that name it, e.g. ``line 13 (quarter=2026Q1, entity=neo)``."""
    keys = [f"{col}={row[header.index(col)]}" for col in KEYS if col in header and header.index(col) < len(row)]
    return f"line {index + 1}" + (f" ({', '.join(keys)})" if keys else "")


def header_differences(old: list[str], new: list[str]) -> list[str]:
    """What changed in the columns: missing, extra or reordered ones."""
    notes = []
    if missing := [col for col in old if col not in new]:
        notes.append(f"columns gone: {missing}")
    if extra := [col for col in new if col not in old]:
        notes.append(f"columns added: {extra}")
    if not notes and old != new:
        notes.append(f"columns reordered:\n  old {old}\n  new {new}")
    return notes


def shared_columns(old: Rows, new: Rows) -> tuple[list[str], Rows, Rows]:
    """The columns both renderings have (in the old order) and each body cut down to them."""
    header = [col for col in old[0] if col in new[0]]
    old_at, new_at = [old[0].index(c) for c in header], [new[0].index(c) for c in header]
    return header, [[r[i] for i in old_at] for r in old[1:]], [[r[i] for i in new_at] for r in new[1:]]


def column_differences(header: list[str], pairs: list[tuple[int, list[str], list[str]]]) -> list[str]:
    """Per column, the first of the paired rows (number, old, new) whose values differ."""
    notes = []
    for i, col in enumerate(header):
        rows = [(k, a, b) for k, a, b in pairs if a[i] != b[i]]
        if rows:
            lines = [f"  {row_label(header, a, k)}: old {a[i]!r}, new {b[i]!r}" for k, a, b in rows[:SHOWN]]
            more = [f"  ... and {len(rows) - SHOWN} more"] if len(rows) > SHOWN else []
            notes.append(f"column {col!r}: {len(rows)} rows differ\n" + "\n".join(lines + more))
    return notes


def rows_only_on_one_side(header: list[str], rows: list[tuple[int, list[str]]], side: str) -> list[str]:
    """The first rows that only the old or only the new rendering has, as CSV."""
    if not rows:
        return []
    lines = [f"  {row_label(header, row, k)}: {','.join(row)}" for k, row in rows[:SHOWN]]
    more = [f"  ... and {len(rows) - SHOWN} more"] if len(rows) > SHOWN else []
    return [f"{len(rows)} rows {side}:\n" + "\n".join(lines + more)]


def aligned_differences(header: list[str], old: Rows, new: Rows) -> list[str]:
    """Rows gone, added and changed, found by aligning the two bodies as sequences (as diff does)."""
    matcher = difflib.SequenceMatcher(None, [tuple(r) for r in old], [tuple(r) for r in new], autojunk=False)
    gone, added, pairs = [], [], []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "replace" and i2 - i1 == j2 - j1:
            pairs += [(i1 + n + 1, old[i1 + n], new[j1 + n]) for n in range(i2 - i1)]
        elif op != "equal":
            gone += [(k + 1, old[k]) for k in range(i1, i2)]
            added += [(k + 1, new[k]) for k in range(j1, j2)]
    return (rows_only_on_one_side(header, gone, "gone (numbered as before)")
            + rows_only_on_one_side(header, added, "added (numbered as now)") + column_differences(header, pairs))


def table_differences(old: Rows, new: Rows) -> list[str]:
    """Everything that differs between two renderings of a table, empty if they are equal."""
    if old == new:
        return []
    notes = header_differences(old[0], new[0])
    header, old_body, new_body = shared_columns(old, new)
    if len(old_body) != len(new_body):
        return notes + [f"{len(old_body)} rows before, {len(new_body)} now"] + aligned_differences(header, old_body, new_body)
    if old_body != new_body and sorted(old_body) == sorted(new_body):
        notes.append("the same rows in another order")
    pairs = [(k, a, b) for k, (a, b) in enumerate(zip(old_body, new_body, strict=True), start=1)]
    return notes + column_differences(header, pairs)


def flatten(value: object, path: str = "") -> dict[str, object]:
    """A nested JSON value as ``{"a.b.c": leaf}``."""
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{path}.{key}" if path else str(key)))
        return out
    return {path: value}


def summary_differences(old: dict, new: dict) -> list[str]:
    """Every summary figure that differs, gone or was added, old against new."""
    before, after = flatten(old), flatten(new)
    missing = object()
    return [f"{key}: old {before.get(key, missing)!r}, new {after.get(key, missing)!r}".replace(repr(missing), "(none)")
            for key in sorted(before.keys() | after.keys()) if before.get(key, missing) != after.get(key, missing)]


def mismatch_message(case: str, table: str, notes: list[str], saved: Path) -> str:
    """The failure message: which case and table, what differs, where the new outputs are."""
    return (f"golden {case}/{file_name(table)} changed:\n" + "\n".join(notes)
            + f"\n\nnew outputs written to {saved}; compare with: diff -r {GOLDEN / case} {saved}"
            + "\nIf the change is intended: .venv/bin/python -m tests.golden.regenerate " + case
            + " and say why in the commit message.")


CASE_TABLES = [(case, table) for case in CASES for table in golden_tables(case)]


@pytest.mark.parametrize(("case", "table"), CASE_TABLES, ids=[f"{c}-{t}" for c, t in CASE_TABLES])
def test_output_matches_its_golden(case: str, table: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each table and the summary of each case equals its stored golden exactly."""
    old, new = golden_outputs(case)[table], new_outputs(case).get(table)
    if new is None:
        pytest.fail(f"golden {case}/{file_name(table)}: the run no longer produces table {table!r}")
    notes = summary_differences(old, new) if table == SUMMARY else table_differences(old, new)
    if notes:
        saved = tmp_path_factory.mktemp(f"golden-{case}")
        write_outputs(new_outputs(case), saved)
        pytest.fail(mismatch_message(case, table, notes, saved), pytrace=False)


@pytest.mark.parametrize("case", list(CASES))
def test_every_table_has_a_golden(case: str) -> None:
    """A case's run produces exactly the tables that are stored for it, no more and no fewer."""
    assert sorted(new_outputs(case)) == golden_tables(case), (
        f"tables of {case} changed; regenerate on purpose: .venv/bin/python -m tests.golden.regenerate {case}")


@pytest.mark.parametrize("case", ["tiny", "contagion"])
def test_a_second_run_in_the_same_process_is_identical(case: str) -> None:
    """Running a case again after other models in the same process gives the very same outputs."""
    assert run_case(CASES[case]) == new_outputs(case)
