"""Every mistake a user can make in a config or on the command line is reported, not crashed on.

Each bad config is tiny.yaml (tests/configs) with one mistake, written into pytest's
``tmp_path``. Two levels are checked:

(a) ``load_config`` raises :class:`ConfigError` whose message names the file, the field
    path (``contracts[1](id=term-loan).principal``) and what would be valid;
(b) for a representative subset, ``python run.py run BAD --out DIR`` exits with status 2,
    prints the file and the field path on stderr without a traceback, and writes nothing.

"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from economy.config import Config, ConfigError, load_config
from tests.config_data import company, contract, tiny

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "configs" / "tiny.yaml"

Build = Callable[[Path], Path]
Expect = tuple[tuple[str, tuple[str, ...]], ...]
"""Problem lines that must appear: (field path the line starts with, texts the line contains)."""


# ---------------------------------------------------------------------------- helpers
def dump(path: Path, data: dict) -> Path:
    """Write plain data as YAML and return the path."""
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def mutated(change: Callable[[dict], object]) -> Build:
    """A builder writing tiny.yaml with ``change`` applied to bad.yaml."""

    def build(tmp_path: Path) -> Path:
        data = tiny()
        change(data)
        return dump(tmp_path / "bad.yaml", data)

    return build


def override(text: str, name: str = "override.yaml") -> Build:
    """A builder writing a copy of tiny.yaml next to an override file with this text."""

    def build(tmp_path: Path) -> Path:
        (tmp_path / "tiny.yaml").write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return build


def assert_reported(text: str, field: str, hints: tuple[str, ...]) -> None:
    """Assert that some problem line starts with ``field`` and contains every hint."""
    lines = [line.strip() for line in text.splitlines()]
    prefix = f"- {field}" if field else "- "
    assert any(line.startswith(prefix) and all(h in line for h in hints) for line in lines), (
        f"no problem line for {field!r} containing {hints} in:\n{text}"
    )


def load_error(path: Path) -> ConfigError:
    """The ConfigError that loading ``path`` raises."""
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value


# ---------------------------------------------------------------------------- the mistakes
TINY_LINES = TINY.read_text(encoding="utf-8").splitlines()
YAML_BAD_LINE = next(i for i, line in enumerate(TINY_LINES) if line.startswith("  capex_per_gw:")) + 1


def _yaml_syntax(tmp_path: Path) -> Path:
    lines = list(TINY_LINES)
    lines[YAML_BAD_LINE - 1] = "  capex_per_gw: 40.0: 41"
    path = tmp_path / "bad.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _empty_file(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("# nothing here\n", encoding="utf-8")
    return path


def _misspelled(d: dict) -> None:
    loan = contract(d, "term-loan")
    loan["principle"] = loan.pop("principal")


def _over_full_stakes(d: dict) -> None:
    d["contracts"].append({"id": "chips-in-lab", "kind": "equity_stake", "holder": "chips", "issuer": "lab", "fraction": 0.6})


VALID_KINDS = ("valid kinds", "compute", "loan", "equity_stake")

CASES: list = [
    pytest.param(_yaml_syntax, (("", ("YAML syntax error", f"line {YAML_BAD_LINE}")),), id="yaml_syntax"),
    pytest.param(_empty_file, (("", ("top level must be a mapping",)),), id="empty_file"),
    pytest.param(mutated(lambda d: d.update(scenario={"name": "x"})), (("scenario", ("unknown field",)),),
                 id="unknown_section"),
    pytest.param(mutated(lambda d: company(d, "lab").update(colour="red")),
                 (("companies[0](id=lab).colour", ("unknown field",)),), id="unknown_company_field"),
    pytest.param(mutated(lambda d: contract(d, "term-loan").update(notes="five years")),
                 (("contracts[1](id=term-loan).notes", ("unknown field",)),), id="unknown_contract_field"),
    pytest.param(mutated(_misspelled),
                 (("contracts[1](id=term-loan).principle", ("unknown field",)),
                  ("contracts[1](id=term-loan).principal", ("required field is missing",))), id="misspelled_field"),
    pytest.param(mutated(lambda d: company(d, "lab")["opening"].update(cash="lots")),
                 (("companies[0](id=lab).opening.cash", ("valid number", "'lots'")),), id="string_for_number"),
    pytest.param(mutated(lambda d: company(d, "lab").update(opening=[20.0])),
                 (("companies[0](id=lab).opening", ("valid dictionary", "[20.0]")),), id="list_for_mapping"),
    pytest.param(mutated(lambda d: company(d, "lab")["opening"].update(cash=float("nan"))),
                 (("companies[0](id=lab).opening.cash", ("finite number",)),), id="nan_amount"),
    pytest.param(mutated(lambda d: company(d, "cloud")["opening"].update(cash=-5.0)),
                 (("companies[1](id=cloud).opening.cash", ("greater than or equal to 0", "-5")),), id="negative_cash"),
    pytest.param(mutated(lambda d: contract(d, "term-loan").update(principal=-10.0)),
                 (("contracts[1](id=term-loan).principal", ("greater than or equal to 0", "-10")),), id="negative_principal"),
    pytest.param(mutated(lambda d: contract(d, "rent").update(total_value=-48.0)),
                 (("contracts[0](id=rent).total_value", ("greater than 0", "-48")),), id="negative_total_value"),
    pytest.param(mutated(lambda d: company(d, "lab")["lab"].update(market_share=1.5)),
                 (("companies[0](id=lab).lab.market_share", ("less than or equal to 1", "1.5")),), id="share_above_one"),
    pytest.param(mutated(lambda d: contract(d, "rent").update(take_or_pay=-0.1)),
                 (("contracts[0](id=rent).take_or_pay", ("greater than or equal to 0", "-0.1")),), id="share_below_zero"),
    pytest.param(mutated(lambda d: contract(d, "rent").update(start="2026Q5")),
                 (("contracts[0](id=rent).start", ("'2026Q5'", r"\d{4}Q[1-4]")),), id="quarter_5"),
    pytest.param(mutated(lambda d: d["run"].update(start="26Q1")),
                 (("run.start", ("'26Q1'", r"\d{4}Q[1-4]")),), id="quarter_two_digit_year"),
    pytest.param(mutated(lambda d: contract(d, "term-loan").update(kind="swap")),
                 (("contracts[1](id=term-loan)", ("unknown contract kind 'swap'", *VALID_KINDS)),), id="unknown_kind"),
    pytest.param(mutated(lambda d: contract(d, "term-loan").pop("kind")),
                 (("contracts[1](id=term-loan)", ("missing 'kind'", *VALID_KINDS)),), id="missing_kind"),
    pytest.param(mutated(lambda d: company(d, "bank").update(role="bank")),
                 (("companies[3](id=bank).role", ("'bank'", "'lender'", "'hyperscaler'")),), id="unknown_role"),
    pytest.param(mutated(lambda d: contract(d, "term-loan").update(borrower="nobody")),
                 (("contracts[1](id=term-loan).borrower", ("unknown company 'nobody'", "known ids", "bank, chips, cloud")),),
                 id="unknown_company"),
    pytest.param(mutated(lambda d: contract(d, "rent").update(seller="lab")),
                 (("contracts[0](id=rent)", ("two different parties", "'lab'")),), id="self_contract"),
    pytest.param(mutated(lambda d: contract(d, "term-loan").update(lender="lab")),
                 (("contracts[1](id=term-loan).lender", ("'lab'", "cannot lend")),), id="lender_cannot_lend"),
    pytest.param(mutated(lambda d: contract(d, "rent").update(start="2028Q1")),
                 (("contracts[0](id=rent).start", ("2028Q1", "after the run's last quarter", "2027Q4")),),
                 id="starts_after_horizon"),
    pytest.param(mutated(lambda d: contract(d, "term-loan").update(maturity="2025Q3")),
                 (("contracts[1](id=term-loan)", ("2025Q3", "before the run starts", "2025Q4")),),
                 id="matures_before_run"),
    pytest.param(mutated(lambda d: contract(d, "share").update(start="2026Q3", end="2026Q2")),
                 (("contracts[3](id=share).end", ("end 2026Q2 is before the start (2026Q3)",)),), id="ends_before_start"),
    pytest.param(mutated(_over_full_stakes),
                 (("contracts", ("stakes in 'lab'", "110.0%", "cannot exceed 100%")),), id="stakes_over_100"),
    pytest.param(mutated(lambda d: d["companies"].append(copy.deepcopy(company(d, "lab")))),
                 (("companies", ("'lab' appears twice", "unique")),), id="duplicate_company_id"),
    pytest.param(mutated(lambda d: d["contracts"].append(copy.deepcopy(contract(d, "rent")))),
                 (("contracts[4](id=rent).id", ("'rent' appears twice", "unique")),), id="duplicate_contract_id"),
    pytest.param(mutated(lambda d: company(d, "bank").pop("lender")),
                 (("companies[3](id=bank).lender", ("role 'lender' needs a 'lender' section",)),), id="role_without_section"),
    pytest.param(mutated(lambda d: company(d, "cloud").pop("shares_outstanding")),
                 (("companies[1](id=cloud).shares_outstanding", ("listed company needs shares_outstanding",)),),
                 id="listed_without_shares"),
    pytest.param(mutated(lambda d: company(d, "cloud")["builder"].update(lender="chips")),
                 (("companies[1](id=cloud).builder.lender", ("'chips' is not a company with role 'lender'", "lenders: bank")),),
                 id="builder_lender_not_lender"),
    pytest.param(mutated(lambda d: contract(d, "term-loan").update(spread_bp=200)),
                 (("contracts[1](id=term-loan)", ("exactly one of fixed_rate_annual or spread_bp",)),), id="loan_rate_both"),
    pytest.param(mutated(lambda d: contract(d, "term-loan").pop("fixed_rate_annual")),
                 (("contracts[1](id=term-loan)", ("exactly one of fixed_rate_annual or spread_bp",)),), id="loan_rate_neither"),
    pytest.param(override("base: missing.yaml\nrun: {seed: 3}\n"), (("base", ("missing.yaml", "not found")),), id="base_missing"),
    pytest.param(override("base: override.yaml\nrun: {seed: 3}\n"), (("base", ("loop",)),), id="base_loop"),
    pytest.param(override("base: tiny.yaml\ncontracts:\n  - {id: term-loan, principal: -10.0}\n"),
                 (("contracts[1](id=term-loan).principal", ("greater than or equal to 0", "-10")),), id="override_breaks_field"),
]

CASE_IDS = [case.id for case in CASES]
BUILDS = {case.id: case.values for case in CASES}

CLI_CASES = ["yaml_syntax", "unknown_company_field", "negative_principal", "unknown_company", "self_contract",
             "starts_after_horizon", "stakes_over_100"]


# ---------------------------------------------------------------------------- (a) load_config
@pytest.mark.parametrize(("build", "expect"), CASES)
def test_load_config_reports_mistake(tmp_path: Path, build: Build, expect: Expect) -> None:
    """load_config raises a ConfigError naming the file, the field path and what would be valid."""
    path = build(tmp_path)
    err = load_error(path)
    message = str(err)
    assert message.startswith(f"{path}: "), message
    for field, hints in expect:
        assert_reported(message, field, hints)


def test_nonexistent_file_is_reported(tmp_path: Path) -> None:
    """Loading a file that does not exist raises a ConfigError naming it, not FileNotFoundError."""
    path = tmp_path / "nope.yaml"
    message = str(load_error(path))
    assert message.startswith(f"{path}: ")
    assert_reported(message, "", ("file not found",))


def test_unknown_field_message_names_allowed_fields(tmp_path: Path) -> None:
    """An unknown or misspelled field is answered with the fields allowed at that place."""
    section = str(load_error(BUILDS["unknown_section"][0](tmp_path)))
    assert_reported(section, "scenario", ("unknown field", "world", "companies", "contracts"))
    (tmp_path / "bad.yaml").unlink()
    misspelled = str(load_error(BUILDS["misspelled_field"][0](tmp_path)))
    assert_reported(misspelled, "contracts[1](id=term-loan).principle", ("unknown field", "principal"))


def test_matured_loan_names_maturity_field(tmp_path: Path) -> None:
    """A loan that matured before the run is reported at its maturity field."""
    message = str(load_error(BUILDS["matures_before_run"][0](tmp_path)))
    assert_reported(message, "contracts[1](id=term-loan).maturity", ("2025Q3", "before the run starts"))


def test_duplicate_company_names_entry(tmp_path: Path) -> None:
    """A duplicate company id is reported at the second entry's id, without dumping the list."""
    message = str(load_error(BUILDS["duplicate_company_id"][0](tmp_path)))
    assert_reported(message, "companies[5](id=lab).id", ("'lab' appears twice",))
    assert "got [{" not in message


def test_missing_base_is_config_error(tmp_path: Path) -> None:
    """A `base:` naming a missing file raises a ConfigError that names the missing file."""
    message = str(load_error(BUILDS["base_missing"][0](tmp_path)))
    assert "missing.yaml" in message and "not found" in message and "override.yaml" in message


def test_remove_of_unknown_id_is_reported(tmp_path: Path) -> None:
    """Removing an id that the base does not contain (a typo) is an error naming the override and the id."""
    path = override("base: tiny.yaml\ncontracts:\n  - {id: term_loan, remove: true}\n")(tmp_path)
    message = str(load_error(path))
    assert message.startswith(f"{path}: "), message
    assert_reported(message, "contracts[0](id=term_loan)", ("term_loan",))


# ---------------------------------------------------------------------------- valid configs
def test_tiny_loads() -> None:
    """The tiny config is valid and loads as given."""
    cfg = load_config(TINY)
    assert isinstance(cfg, Config)
    assert [c.id for c in cfg.companies] == ["lab", "cloud", "chips", "bank", "gov"]
    assert [k.id for k in cfg.contracts] == ["rent", "term-loan", "cloud-in-lab", "share"]
    assert (cfg.run.name, cfg.run.start, cfg.run.quarters, cfg.run.seed) == ("tiny", "2025Q4", 8, 1)


def test_override_changes_field_and_removes_contract(tmp_path: Path) -> None:
    """An override with `base:` changes one nested field, drops a contract with `remove: true` and keeps the rest."""
    path = override("base: tiny.yaml\n"
                    "companies:\n  - {id: lab, opening: {cash: 25.0}}\n"
                    "contracts:\n  - {id: share, remove: true}\n")(tmp_path)
    cfg = load_config(path)
    base = load_config(TINY)
    lab = cfg.company("lab")
    assert lab.opening.cash == 25.0
    assert lab.model_dump(exclude={"opening"}) == base.company("lab").model_dump(exclude={"opening"})
    assert lab.opening.model_dump(exclude={"cash"}) == base.company("lab").opening.model_dump(exclude={"cash"})
    assert [k.id for k in cfg.contracts] == ["rent", "term-loan", "cloud-in-lab"]
    assert cfg.contracts == base.contracts[:3]
    assert cfg.model_dump(exclude={"companies", "contracts"}) == base.model_dump(exclude={"companies", "contracts"})
    assert [c.id for c in cfg.companies] == [c.id for c in base.companies]


# ---------------------------------------------------------------------------- (b) the command line
def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run ``python run.py run ARGS`` from the project root and capture its output."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "run.py", "run", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def assert_rejected(result: subprocess.CompletedProcess) -> None:
    """Assert exit status 2 and no traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize("case", CLI_CASES)
def test_cli_rejects_bad_config(tmp_path: Path, case: str) -> None:
    """The CLI exits 2 without a traceback, names the file and field on stderr, and writes nothing."""
    build, expect = BUILDS[case]
    bad = build(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    out = tmp_path / "out"
    result = run_cli(str(bad), "--out", str(out))
    assert_rejected(result)
    assert bad.name in result.stderr
    for field, hints in expect:
        assert_reported(result.stderr, field, hints)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_cli_rejects_nonexistent_config(tmp_path: Path) -> None:
    """A config path that does not exist exits 2, says so, and writes nothing."""
    out = tmp_path / "out"
    result = run_cli(str(tmp_path / "nope.yaml"), "--out", str(out))
    assert_rejected(result)
    assert "nope.yaml" in result.stderr and "file not found" in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("option", "value"), [("--seed", "-1"), ("--quarters", "0"), ("--quarters", "abc")])
def test_cli_rejects_bad_option(tmp_path: Path, option: str, value: str) -> None:
    """A bad --seed or --quarters is an argparse error: exit 2, the option named, no traceback, nothing written."""
    out = tmp_path / "out"
    result = run_cli(str(TINY), option, value, "--out", str(out))
    assert_rejected(result)
    assert option in result.stderr and value in result.stderr, result.stderr
    assert not out.exists()


def test_cli_rejects_seed_too_large(tmp_path: Path) -> None:
    """A --seed beyond the config's limit (2**63) exits 2 without a traceback."""
    out = tmp_path / "out"
    result = run_cli(str(TINY), "--seed", str(2**63), "--out", str(out))
    assert_rejected(result)
    assert "seed" in result.stderr, result.stderr
    assert not out.exists()
