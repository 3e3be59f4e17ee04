"""Imports point one way: run.py -> model -> agents -> economy; economy imports neither Mesa, agents, model nor analysis."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Each package and what it may not import (a module's own package is always fine).
FORBIDDEN = {
    "economy": {"mesa", "agents", "model", "analysis", "run", "classroom", "app"},
    "agents": {"model", "analysis", "run", "classroom", "app"},
    "analysis": {"model", "agents", "run", "classroom", "app"},
}

# Imports against the direction that the code still has, each with where it goes. The test fails on any
# other, and on an entry here that is no longer needed, so this list can only shrink.
KNOWN = {
}


def _imports(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports, anywhere in it (functions and TYPE_CHECKING blocks too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _against_the_direction() -> set[tuple[str, str]]:
    found = set()
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            for name in _imports(path) & forbidden:
                found.add((str(path.relative_to(ROOT)), name))
    return found


def test_no_import_points_against_the_direction():
    """Every import from economy, agents or analysis of a layer above it is one of the known, listed debts."""
    new = sorted(_against_the_direction() - set(KNOWN))
    listed = ", ".join(f"{f} imports {n}" for f, n in new)
    assert not new, f"imports against the direction (economy <- agents <- model <- run): {listed}"


def test_the_list_of_known_exceptions_only_shrinks():
    """An exception that the code no longer needs is removed from the list, so it cannot come back unnoticed."""
    stale = sorted(set(KNOWN) - _against_the_direction())
    assert not stale, "no longer needed, remove from KNOWN: " + ", ".join(f"{f} -> {n}" for f, n in stale)


def test_the_import_parser_sees_imports_inside_functions(tmp_path):
    """A lazy import inside a function counts as much as one at the top."""
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from model import X\n"
                      "def f():\n    import mesa.space\n    from . import sibling\n")
    assert _imports(module) == {"typing", "model", "mesa"}


# Where a loan's principal may change: beside its posting (economy/actions.py) and in settlement (Loan.settled).
PRINCIPAL_KEEPERS = {"economy/actions.py", "economy/contracts.py"}


def _assigns(path: Path, attr: str = "principal") -> list[int]:
    """Lines of ``path`` that assign to an attribute called ``attr`` (``x.principal = ...``, ``+=``, ``-=``)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign) else []
        lines += [node.lineno for t in targets if isinstance(t, ast.Attribute) and t.attr == attr]
    return lines


def _project_modules() -> list[Path]:
    """The code of the project (not its tests): the top-level modules and every package."""
    return sorted(ROOT.glob("*.py")) + [p for pkg in ("agents", "economy", "analysis", "classroom")
                                        for p in sorted((ROOT / pkg).rglob("*.py"))]


def test_a_loans_principal_changes_only_beside_its_posting():
    """One book per quantity: outside settlement, principal is changed only by the actions that also post it."""
    offenders = [f"{path.relative_to(ROOT)}:{line}" for path in _project_modules()
                 if str(path.relative_to(ROOT)) not in PRINCIPAL_KEEPERS for line in _assigns(path)]
    assert not offenders, "principal changed without its posting (use economy.actions): " + ", ".join(offenders)


def test_the_parties_of_a_contract_change_only_through_the_book():
    """The book indexes contracts by party, so a side changes hands only through ContractBook.change_from_party."""
    offenders = [f"{path.relative_to(ROOT)}:{line}" for path in _project_modules() if path != ROOT / "economy" / "contracts.py"
                 for attr in ("from_party", "to_party") for line in _assigns(path, attr)]
    assert not offenders, "a contract's party set outside the book (use ContractBook.change_from_party): " + ", ".join(offenders)


def test_the_principal_check_sees_every_kind_of_assignment(tmp_path):
    """Plain, augmented and chained assignments to .principal are all found; a read is not."""
    module = tmp_path / "m.py"
    module.write_text("loan.principal = 0\nloan.principal -= 1\na = b.principal = 2\nx = loan.principal\n")
    assert _assigns(module) == [1, 2, 3]
