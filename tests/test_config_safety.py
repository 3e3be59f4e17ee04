"""The input side never lets nonsense through: finite numbers, safe names, cross-field checks, bounded reading.

Each case was first reproduced on the code before it was fixed (it loaded silently, broke
the books later, or crashed with a traceback or hung); each test here fails on that code.
Bad configs are tiny.yaml (tests/configs) with one change, written into ``tmp_path``.
"""

from __future__ import annotations

import copy
import math
import os
import subprocess
import sys
import threading
import typing
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from economy import config as config_module
from economy import yaml_input
from economy.config import (
    LAST_START,
    MAX_BASE_CHAIN,
    ConfigError,
    Strict,
    check_folder_name,
    config_from_dict,
    load_config,
)
from economy.sweep.spec import SpecError, load_study
from model import AIFinanceModel
from tests.config_data import company, contract, tiny

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "configs" / "tiny.yaml"
SMOKE = ROOT / "configs" / "sweeps" / "smoke.yaml"


# ---------------------------------------------------------------------------- helpers
def refusal(data: dict) -> str:
    """The message of the ConfigError that validating ``data`` raises."""
    with pytest.raises(ConfigError) as info:
        config_from_dict(data, "bad.yaml")
    return str(info.value)


def load_refusal(path: Path) -> str:
    """The message of the ConfigError that loading ``path`` raises; it must name the file."""
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    return message


def has_problem(message: str, field: str, *hints: str) -> bool:
    """Whether some problem line starts with ``field`` and contains every hint."""
    prefix = f"- {field}" if field else "- "
    return any(line.strip().startswith(prefix) and all(h in line for h in hints) for line in message.splitlines())


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python run.py ARGS`` from the project root and capture its output."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def assert_cli_refuses(result: subprocess.CompletedProcess, *texts: str) -> None:
    """Exit status 2, no traceback, and every text on stderr."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    for text in texts:
        assert text in result.stderr, result.stderr


# ---------------------------------------------------------------------------- 1. finite numbers, no booleans
def _models() -> list[type[BaseModel]]:
    """Every parameter model of the config schema."""
    found: list[type[BaseModel]] = []
    stack: list[type] = [Strict]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__ == config_module.__name__ and sub.model_fields:
                found.append(sub)
    return found


NUMBER_FIELDS = [(m, name) for m in _models() for name, f in m.model_fields.items()
                 if config_module._is_number_type(f.annotation)]


def _errors_at(model: type[BaseModel], key: str, value: object) -> list[dict]:
    """Validation errors located at ``key`` when a model is given ``{key: value}`` alone."""
    with pytest.raises(ValidationError) as info:
        model.model_validate({key: value})
    return [e for e in info.value.errors() if e["loc"][:1] == (key,)]


def test_number_fields_are_found() -> None:
    """The walk over the schema finds the number fields of every section (a guard for the tests below)."""
    names = {f"{m.__name__}.{n}" for m, n in NUMBER_FIELDS}
    assert {"Opening.cash", "Run.quarters", "Run.seed", "LabParams.min_runway_quarters",
            "Reported.net_income_quarterly", "GpuMarket.utilisation_elasticity", "LoanSpec.spread_bp"} <= names
    assert len(NUMBER_FIELDS) > 120


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan], ids=["inf", "-inf", "nan"])
def test_every_number_field_refuses_non_finite(bad: float) -> None:
    """Every int or float field of the schema refuses inf, -inf and NaN at its own path."""
    passed = []
    for model, name in NUMBER_FIELDS:
        key = model.model_fields[name].alias or name
        if not _errors_at(model, key, bad):
            passed.append(f"{model.__name__}.{name}")
    assert passed == [], f"these fields accept {bad}: {passed}"


def test_every_number_field_refuses_booleans() -> None:
    """Every int or float field of the schema refuses true and false (pydantic would take them as 1 and 0)."""
    passed = []
    for model, name in NUMBER_FIELDS:
        key = model.model_fields[name].alias or name
        for value in (True, False):
            if not _errors_at(model, key, value):
                passed.append(f"{model.__name__}.{name}={value}")
    assert passed == [], f"these fields accept a boolean: {passed}"


def test_boolean_fields_still_take_booleans() -> None:
    """Fields that are booleans (listed, channels, hardware) are not caught by the number rule."""
    data = tiny()
    company(data, "lab")["listed"] = False
    data["channels"] = {"payment": False}
    assert config_from_dict(data).channels.payment is False


@pytest.mark.parametrize(("yaml_value", "shown"), [(".inf", "inf"), (".nan", "nan"), ("-.inf", "-inf")])
def test_non_finite_in_plain_bounded_field_is_refused(tmp_path: Path, yaml_value: str, shown: str) -> None:
    """`lab.min_runway_quarters: .inf` (a field with only a lower bound before) is refused with its path."""
    text = TINY.read_text(encoding="utf-8").replace("min_runway_quarters: 4,", f"min_runway_quarters: {yaml_value},")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    message = load_refusal(path)
    assert has_problem(message, "companies[0](id=lab).lab.min_runway_quarters", "finite number", shown), message


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: company(d, "lab")["opening"].update(cash=True), "companies[0](id=lab).opening.cash"),
    (lambda d: d["run"].update(quarters=True), "run.quarters"),
    (lambda d: d["run"].update(seed=False), "run.seed"),
    (lambda d: d["world"]["policy_rate"][0].update(rate_annual=True), "world.policy_rate[0].rate_annual"),
], ids=["cash", "quarters", "seed", "rate"])
def test_boolean_for_number_is_refused(change: Callable[[dict], object], field: str) -> None:
    """`cash: true`, `quarters: true` and the like are refused at the field's path, saying a number is expected."""
    data = tiny()
    change(data)
    message = refusal(data)
    assert has_problem(message, field, "a boolean; write a number"), message


def test_amounts_beyond_the_limit_are_refused() -> None:
    """Two firms with `cash: 1.0e+308` (whose sum overflows to inf) are refused, naming the limit."""
    data = tiny()
    company(data, "lab")["opening"]["cash"] = 1e308
    company(data, "cloud")["opening"]["cash"] = 1e308
    message = refusal(data)
    assert has_problem(message, "companies[0](id=lab).opening.cash", "less than or equal to 1000000000"), message
    assert has_problem(message, "companies[1](id=cloud).opening.cash"), message


def test_tiny_positive_amount_is_refused() -> None:
    """A subnormal demand (8.9e-312, found by the property test) is refused: valuing a lab on it gave NaN stakes."""
    data = tiny()
    data["world"]["demand"]["initial_annual"] = 40 * 2.2250738585e-313
    message = refusal(data)
    assert has_problem(message, "world.demand.initial_annual", "closer to 0 than 1e-09"), message


def test_tiny_signed_value_is_accepted() -> None:
    """A growth rate at a float residue near 0 (a sweep's arithmetic) is not a divisor and is accepted."""
    data = tiny()
    data["world"]["demand"]["regimes"]["steady"]["growth_annual"] = 5.5e-17
    assert config_from_dict(data).world.demand.regimes["steady"].growth_annual == 5.5e-17


def test_small_external_sector_is_refused() -> None:
    """An external sector with little cash (it ran out in the first quarter: "external holds negative cash") is refused."""
    data = tiny()
    data["external"]["cash"] = 1.0
    message = refusal(data)
    assert has_problem(message, "external.cash", "greater than or equal to 100000"), message


def test_cli_refuses_infinite_runway(tmp_path: Path) -> None:
    """The CLI exits 2 for `min_runway_quarters: .inf` (it used to run to NaN cash and exit 0)."""
    path = tmp_path / "bad.yaml"
    path.write_text(TINY.read_text(encoding="utf-8").replace("min_runway_quarters: 4,", "min_runway_quarters: .inf,"),
                    encoding="utf-8")
    result = run_cli("run", str(path), "--out", str(tmp_path / "out"))
    assert_cli_refuses(result, "bad.yaml", "min_runway_quarters", "finite number")
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- 2. run.name is one folder name
@pytest.mark.parametrize(("name", "why"), [
    ("", "empty"), ("..", "not a folder name"), (".", "not a folder name"), ("../../x", "path separator"),
    ("/tmp/x", "path separator"), ("a\\b", "path separator"), ("a\x00b", "NUL"), (".hidden", "starts with '.'"),
    ("x" * 121, "121 characters"), ("my run", "characters other than"),
])
def test_bad_run_name_is_refused(name: str, why: str) -> None:
    """A run.name that is not one plain folder name is refused, saying why and what would be valid."""
    data = tiny()
    data["run"]["name"] = name
    message = refusal(data)
    assert has_problem(message, "run.name", why, "letters, digits"), message


@pytest.mark.parametrize("name", ["baseline", "ai_winter", "s7", "run-2.0", "A" * 100])
def test_good_run_names_pass(name: str) -> None:
    """Plain folder names are accepted as they are."""
    assert check_folder_name(name) == name
    data = tiny()
    data["run"]["name"] = name
    assert config_from_dict(data).run.name == name


def test_cli_refuses_dotdot_name_without_out(tmp_path: Path) -> None:
    """`run.name: ..` with no --out exits 2 before anything is written (it used to delete the project)."""
    data = tiny()
    data["run"]["name"] = ".."
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    before = sorted(p.name for p in ROOT.iterdir())
    result = run_cli("run", str(path))
    assert_cli_refuses(result, "run.name", "not a folder name")
    assert sorted(p.name for p in ROOT.iterdir()) == before


# ---------------------------------------------------------------------------- 3. cross-field checks
def _second_chipmaker(d: dict) -> None:
    d["companies"].append({**copy.deepcopy(company(d, "chips")), "id": "chips2"})


def _overpaid_build(d: dict) -> None:
    cloud = company(d, "cloud")
    cloud["opening"]["cash"] = 0.0
    cloud["capacity"]["under_construction"] = [{"gw": 1.0, "complete": "2026Q4", "spent": 100.0}]


def _second_cloud(d: dict) -> None:
    d["companies"].append({**copy.deepcopy(company(d, "cloud")), "id": "cloud2"})


CROSS_CASES = [
    pytest.param(_second_chipmaker, "companies", ("chips.hardware_share", "1.6", "cannot exceed 1"), id="hardware_share_sum"),
    pytest.param(_overpaid_build, "companies[1](id=cloud).capacity.under_construction[0].spent",
                 ("shell cost", "16", "at most 16"), id="spent_above_shell_cost"),
    pytest.param(_second_cloud, "companies", ("spot_share", "2", "cannot exceed 1"), id="spot_share_sum"),
    pytest.param(lambda d: d["world"]["demand"].update(others_share=0.9), "companies",
                 ("market_share", "others_share", "1.4"), id="market_share_sum"),
    pytest.param(lambda d: d["contracts"].append({"id": "rs2", "kind": "revenue_share", "payer": "lab", "payee": "chips",
                                                   "share": 0.95, "start": "2026Q1"}),
                 "contracts", ("revenue shares paid by 'lab'", "1.05"), id="revenue_share_sum"),
    pytest.param(lambda d: d["world"].update(policy_rate=[{"from": "2026Q2", "rate_annual": 0.04}]),
                 "world.policy_rate[0].from", ("after the run starts (2025Q4)", "rate at the start", "2025Q4 or earlier"),
                 id="rate_path_starts_late"),
    pytest.param(lambda d: d["world"].update(policy_rate=[{"from": "2025Q4", "rate_annual": 0.04},
                                                          {"from": "2027Q1", "rate_annual": 0.05},
                                                          {"from": "2026Q1", "rate_annual": 0.03}]),
                 "world.policy_rate[2].from", ("2026Q1 is not after the step before it (2027Q1)", "date order"),
                 id="rate_steps_out_of_order"),
    pytest.param(lambda d: d["world"].update(policy_rate=[{"from": "2025Q4", "rate_annual": 0.04},
                                                          {"from": "2025Q4", "rate_annual": 0.05}]),
                 "world.policy_rate[1].from", ("not after the step before it",), id="rate_steps_same_quarter"),
    pytest.param(lambda d: d["world"]["policy_rate"].append({"from": "2030Q1", "rate_annual": 0.05}),
                 "world.policy_rate[1].from", ("after the run's last quarter (2027Q4)", "never apply"),
                 id="rate_step_after_run"),
    pytest.param(lambda d: d["world"]["demand"].update(regime_path=[{"from": "2027Q1", "regime": "bust"},
                                                                    {"from": "2026Q3", "regime": "steady"}]),
                 "world.demand.regime_path[1].from", ("not after the step before it",), id="regime_path_out_of_order"),
    pytest.param(lambda d: company(d, "lab")["lab"].update(reach_path=[{"from": "2026Q3", "multiplier": 2.0},
                                                                      {"from": "2026Q2", "multiplier": 1.0}]),
                 "companies[0](id=lab).lab.reach_path[1].from", ("not after the step before it",), id="reach_path_out_of_order"),
    pytest.param(lambda d: d["run"].update(start="0000Q1"), "run.start", ("between 1900Q1 and 2200Q4",), id="start_0000Q1"),
    pytest.param(lambda d: d["run"].update(start="9999Q4"), "run.start", ("between 1900Q1 and 2200Q4",), id="start_9999Q4"),
    pytest.param(lambda d: d["run"].update(start="1899Q4"), "run.start", ("between 1900Q1 and 2200Q4",), id="start_1899Q4"),
    pytest.param(lambda d: d["run"].update(start="2201Q1"), "run.start", ("between 1900Q1 and 2200Q4",), id="start_2201Q1"),
    pytest.param(lambda d: company(d, "cloud")["capacity"].update(gw=0.0), "companies[1](id=cloud).capacity.hardware_book",
                 ("no hardware GW",), id="hardware_book_without_gw"),
    pytest.param(lambda d: company(d, "cloud")["capacity"].update(hardware_age_quarters=20),
                 "companies[1](id=cloud).capacity.hardware_age_quarters", ("retired", "20"), id="hardware_older_than_life"),
    pytest.param(lambda d: company(d, "lab")["lab"].update(min_runway_quarters=9), "companies[0](id=lab).lab.min_runway_quarters",
                 ("above target_runway_quarters (8)",), id="min_runway_above_target"),
    pytest.param(lambda d: contract(d, "rent").update(delivered_value=50.0), "contracts[0](id=rent).delivered_value",
                 ("total_value of 48",), id="delivered_above_total"),
    pytest.param(lambda d: d["contracts"].append({"id": "ic", "kind": "investment_commitment", "investor": "chips",
                                                   "investee": "lab", "maximum": 10.0, "tranche": 1.0, "start": "2026Q1",
                                                   "trigger": {"kind": "gw_delivered"}}),
                 "contracts[4](id=ic).trigger.contracts", ("never come due",), id="gw_trigger_without_contracts"),
    pytest.param(lambda d: d["contracts"].append({"id": "w", "kind": "warrant", "issuer": "chips", "holder": "lab",
                                                   "shares": 3.0, "strike": 0.01, "start": "2026Q1",
                                                   "vesting": [{"gw": 1.0, "share_fraction": 1.0}]}),
                 "contracts[4](id=w).shares", ("more than 'chips' has outstanding (2)",), id="warrant_above_shares"),
    pytest.param(lambda d: contract(d, "rent").update(tied_to="cloud"), "contracts[0](id=rent).tied_to",
                 ("no 'lab' block", "lab"), id="tied_to_not_a_lab"),
    pytest.param(lambda d: contract(d, "term-loan").update(interest_only_until="2028Q1"),
                 "contracts[1](id=term-loan).interest_only_until", ("after the maturity (2027Q4)",),
                 id="interest_only_after_maturity"),
]


@pytest.mark.parametrize(("change", "field", "hints"), CROSS_CASES)
def test_cross_field_mistake_is_refused(change: Callable[[dict], object], field: str, hints: tuple[str, ...]) -> None:
    """A combination of valid-looking fields that would break the books or mean nothing is refused at load."""
    data = tiny()
    change(data)
    message = refusal(data)
    assert has_problem(message, field, *hints), message


def test_hardware_share_sum_used_to_break_the_books() -> None:
    """Just below the limit, two chipmakers sharing builders' hardware spend run with their books intact."""
    data = tiny()
    _second_chipmaker(data)
    company(data, "chips")["chips"]["hardware_share"] = 0.5
    company(data, "chips2")["chips"]["hardware_share"] = 0.5
    AIFinanceModel(config=config_from_dict(data)).run()


def test_shares_at_exactly_one_pass() -> None:
    """Shares that add up to exactly 1 (as the baseline's spot shares do) are accepted."""
    data = tiny()
    company(data, "lab")["lab"]["market_share"] = 0.3
    data["world"]["demand"]["others_share"] = 0.7
    assert config_from_dict(data).world.demand.others_share == 0.7


@pytest.mark.parametrize("start", ["1900Q1", LAST_START])
def test_start_at_the_ends_of_the_range_runs_and_writes(tmp_path: Path, start: str) -> None:
    """A run starting at either end of the allowed range (200 quarters from the last) writes its results (exit 0)."""
    data = tiny()
    data["run"].update(start=start, quarters=200 if start == LAST_START else 4)
    data["world"]["policy_rate"] = [{"from": start, "rate_annual": 0.04}]
    data["contracts"] = [contract(data, "cloud-in-lab")]
    path = tmp_path / "edge.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = run_cli("run", str(path), "--out", str(tmp_path / "out"), timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "summary.json").is_file()


def test_cli_refuses_hardware_share_sum(tmp_path: Path) -> None:
    """Chipmakers' hardware shares above 1 exit 2 (they used to stop the run with "negative cash", exit 1)."""
    data = tiny()
    _second_chipmaker(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert_cli_refuses(run_cli("run", str(path), "--out", str(tmp_path / "out")), "bad.yaml", "hardware_share")


def test_shipped_configs_pass_the_new_checks() -> None:
    """The baseline, every scenario and every sweep spec still load."""
    for path in [ROOT / "configs" / "baseline.yaml", *sorted((ROOT / "configs" / "scenarios").glob("*.yaml")), TINY]:
        load_config(path)
    for path in sorted((ROOT / "configs" / "sweeps").glob("*.yaml")):
        load_study(path)


# ---------------------------------------------------------------------------- 4. an empty list in an override
def _override(tmp_path: Path, text: str) -> Path:
    (tmp_path / "tiny.yaml").write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    path = tmp_path / "override.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_empty_contracts_in_override_leaves_none(tmp_path: Path) -> None:
    """`contracts: []` over a base replaces its contracts with none (it used to keep all of them)."""
    cfg = load_config(_override(tmp_path, "base: tiny.yaml\ncontracts: []\n"))
    assert cfg.contracts == ()
    assert [c.id for c in cfg.companies] == [c.id for c in load_config(TINY).companies]


def test_empty_companies_in_override_is_refused(tmp_path: Path) -> None:
    """`companies: []` over a base is an empty list too: refused, since a config needs at least one company."""
    message = load_refusal(_override(tmp_path, "base: tiny.yaml\ncompanies: []\ncontracts: []\n"))
    assert has_problem(message, "companies", "at least 1"), message


def test_id_lists_still_merge_by_id(tmp_path: Path) -> None:
    """A non-empty contracts list still merges by id (a new id is appended, the rest kept)."""
    new = "{id: share2, kind: revenue_share, payer: lab, payee: chips, share: 0.1, start: 2026Q1}"
    cfg = load_config(_override(tmp_path, f"base: tiny.yaml\ncontracts:\n  - {new}\n"))
    assert [k.id for k in cfg.contracts] == ["rent", "term-loan", "cloud-in-lab", "share", "share2"]


# ---------------------------------------------------------------------------- 5. duplicate keys
def test_duplicate_key_in_config_is_refused(tmp_path: Path) -> None:
    """A key given twice in one mapping is refused, naming the key and both lines (the last used to win)."""
    lines = TINY.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  capex_per_gw:"))
    lines.insert(at + 1, "  capex_per_gw: 400.0")
    path = tmp_path / "dup.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = load_refusal(path)
    assert has_problem(message, "", f"line {at + 2}", "duplicate key 'capex_per_gw'", f"first at line {at + 1}"), message


def test_duplicate_key_in_flow_mapping_is_refused(tmp_path: Path) -> None:
    """Two equal keys on one line (`{cash: 1, cash: 2}`) are refused too."""
    path = tmp_path / "dup.yaml"
    path.write_text(TINY.read_text(encoding="utf-8").replace("opening: {cash: 20.0}", "opening: {cash: 20.0, cash: 2.0}"),
                    encoding="utf-8")
    assert "duplicate key 'cash'" in load_refusal(path)


def test_duplicate_key_in_sweep_spec_is_refused(tmp_path: Path) -> None:
    """A sweep spec with a key given twice is refused as a SpecError naming the key."""
    text = SMOKE.read_text(encoding="utf-8").replace("base: ../baseline.yaml", f"base: {ROOT / 'configs' / 'baseline.yaml'}")
    path = tmp_path / "spec.yaml"
    path.write_text(text + "seed: 5\nseed: 6\n", encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_study(path)
    assert "duplicate key 'seed'" in str(info.value) and str(path) in str(info.value)


def test_merge_key_may_be_overridden() -> None:
    """A key brought in by a YAML merge (`<<: *x`) may be set again beside it: that is not a duplicate."""
    data = yaml_input.parse("a: &x {p: 1, q: 2}\nb:\n  <<: *x\n  q: 3\n")
    assert data == {"a": {"p": 1, "q": 2}, "b": {"p": 1, "q": 3}}


# ---------------------------------------------------------------------------- 6. bounded reading
TINY_TEXT = TINY.read_text(encoding="utf-8")

ENCODING_CASES = [
    pytest.param(bytes(range(256)) * 8, ("not UTF-8 text",), id="binary"),
    pytest.param(TINY_TEXT.replace("name: Lab", "name: Café").encode("latin-1"), ("not UTF-8 text", "0xe9", "line"),
                 id="latin1"),
    pytest.param(TINY_TEXT.encode("utf-16"), ("not UTF-8 text", "UTF-16"), id="utf16"),
    pytest.param(TINY_TEXT.encode("utf-16-le"), ("not UTF-8 text", "NUL"), id="utf16_no_bom"),
]


@pytest.mark.parametrize(("content", "hints"), ENCODING_CASES)
def test_file_that_is_not_utf8_is_refused(tmp_path: Path, content: bytes, hints: tuple[str, ...]) -> None:
    """Binary, Latin-1 and UTF-16 files are a ConfigError naming the file, not a UnicodeDecodeError."""
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    message = load_refusal(path)
    assert all(h in message for h in hints), message


def test_utf8_with_byte_order_mark_loads(tmp_path: Path) -> None:
    """A UTF-8 file saved with a byte-order mark (some editors do) is read as UTF-8."""
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + TINY_TEXT.encode("utf-8"))
    assert load_config(path).run.name == "tiny"


def test_not_utf8_base_is_refused_naming_it(tmp_path: Path) -> None:
    """A base file in Latin-1 is refused naming the base file."""
    (tmp_path / "tiny.yaml").write_bytes(TINY_TEXT.replace("name: Lab", "name: Café").encode("latin-1"))
    path = tmp_path / "override.yaml"
    path.write_text("base: tiny.yaml\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{tmp_path / 'tiny.yaml'}: ") and "not UTF-8" in str(info.value)


def _load_in_thread(path: Path, seconds: float = 10.0) -> BaseException | None:
    """Load a config in a thread; fail the test if it does not finish in time, else return what it raised."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            load_config(path)
            outcome.append(None)
        except BaseException as err:  # noqa: BLE001 - handed back to the test
            outcome.append(err)

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        with open(path, "w"):  # noqa: PTH123 - unblock a reader stuck on the pipe, so the thread can end
            pass
        pytest.fail(f"loading {path} did not finish in {seconds}s")
    return outcome[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
@pytest.mark.parametrize("as_base", [False, True], ids=["config", "base"])
def test_named_pipe_is_refused_without_blocking(tmp_path: Path, as_base: bool) -> None:
    """A named pipe given as a config (or as its base) is refused at once, not read (which would hang)."""
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    path = fifo
    if as_base:
        path = tmp_path / "override.yaml"
        path.write_text("base: pipe.yaml\n", encoding="utf-8")
    err = _load_in_thread(path)
    assert isinstance(err, ConfigError), err
    assert str(err).startswith(f"{fifo}: ") and "named pipe" in str(err)


def test_folder_given_as_config_is_refused(tmp_path: Path) -> None:
    """A folder given as the config is refused saying it is a folder."""
    assert "is a folder" in load_refusal(tmp_path)


def test_file_over_size_limit_is_refused(tmp_path: Path) -> None:
    """A file larger than the stated limit is refused, naming the limit, without parsing it."""
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * yaml_input.MAX_BYTES + "\n" + TINY_TEXT, encoding="utf-8")
    message = load_refusal(path)
    assert f"{yaml_input.MAX_BYTES:,} bytes" in message, message


@pytest.mark.parametrize("text", ["a: " + "[" * 100_000 + "]" * 100_000 + "\n",
                                  "".join("  " * i + f"k{i}:\n" for i in range(300)) + "  " * 300 + "v: 1\n"],
                         ids=["flow", "block"])
def test_deep_nesting_is_refused(tmp_path: Path, text: str) -> None:
    """Deeply nested YAML is a ConfigError naming the depth limit, not a RecursionError."""
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    message = load_refusal(path)
    assert f"more than {yaml_input.MAX_DEPTH} levels" in message, message


def test_deep_nesting_through_aliases_is_refused(tmp_path: Path) -> None:
    """Nesting built from a chain of aliases, each one level deeper, is held to the same depth limit."""
    lines = ["a0: &a0 [1]"] + [f"a{i}: &a{i} [*a{i - 1}]" for i in range(1, 60)]
    path = tmp_path / "deep.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert f"more than {yaml_input.MAX_DEPTH} levels" in load_refusal(path)


def test_long_base_chain_is_refused(tmp_path: Path) -> None:
    """A chain of 1,000 `base:` files is a ConfigError stating the chain limit, not a RecursionError."""
    (tmp_path / "c0.yaml").write_text(TINY_TEXT, encoding="utf-8")
    for i in range(1, 1001):
        (tmp_path / f"c{i}.yaml").write_text(f"base: c{i - 1}.yaml\n", encoding="utf-8")
    message = load_refusal(tmp_path / "c1000.yaml")
    assert has_problem(message, "base", f"longer than {MAX_BASE_CHAIN} files"), message


def test_base_chain_within_limit_loads(tmp_path: Path) -> None:
    """A chain of base files up to the limit loads, each layer applied in order."""
    (tmp_path / "c0.yaml").write_text(TINY_TEXT, encoding="utf-8")
    for i in range(1, MAX_BASE_CHAIN):
        (tmp_path / f"c{i}.yaml").write_text(f"base: c{i - 1}.yaml\nrun: {{seed: {i}}}\n", encoding="utf-8")
    assert load_config(tmp_path / f"c{MAX_BASE_CHAIN - 1}.yaml").run.seed == MAX_BASE_CHAIN - 1


LAUGHS = "lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"lol{i}: &lol{i} [{', '.join([f'*lol{i - 1}'] * 9)}]\n" for i in range(1, 9))


def test_billion_laughs_in_config_is_refused(tmp_path: Path) -> None:
    """Aliases that expand exponentially (here 9^9 values, in the field a message would show) are refused at once."""
    body = "x_anchors:\n" + "".join(f"  {line}\n" for line in LAUGHS.splitlines())
    path = tmp_path / "laughs.yaml"
    path.write_text(body + TINY_TEXT.replace("run: {name: tiny,", "run: {name: *lol8,"), encoding="utf-8")
    err = _load_in_thread(path)
    assert isinstance(err, ConfigError), err
    assert f"more than {yaml_input.MAX_NODES:,} values" in str(err)


def test_billion_laughs_in_spec_is_refused(tmp_path: Path) -> None:
    """The same aliases in a sweep spec's description are a SpecError, not a hang."""
    text = SMOKE.read_text(encoding="utf-8").replace("base: ../baseline.yaml", f"base: {ROOT / 'configs' / 'baseline.yaml'}")
    path = tmp_path / "spec.yaml"
    path.write_text("x_anchors:\n" + "".join(f"  {line}\n" for line in LAUGHS.splitlines())
                    + text.replace("description:", "description: *lol8\nold_description:", 1), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_study(path)
    assert f"more than {yaml_input.MAX_NODES:,} values" in str(info.value)


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    """An alias inside the value it names (a structure containing itself) is refused."""
    path = tmp_path / "loop.yaml"
    path.write_text("a: &a [1, *a]\n", encoding="utf-8")
    assert "contains it" in load_refusal(path)


def test_shared_aliases_within_limits_load() -> None:
    """Ordinary anchors and aliases, reused many times, are still read."""
    data = yaml_input.parse("x: &x {a: 1}\n" + "".join(f"k{i}: *x\n" for i in range(1000)))
    assert data["k999"] == {"a": 1}


@pytest.mark.parametrize("case", ["binary", "fifo", "laughs", "chain"])
def test_cli_refuses_unreadable_inputs(tmp_path: Path, case: str) -> None:
    """`run.py run` exits 2 with the file named and no traceback for each kind of unreadable input, writing nothing."""
    path = tmp_path / "bad.yaml"
    if case == "binary":
        path.write_bytes(bytes(range(256)) * 4)
    elif case == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("named pipes need POSIX")
        os.mkfifo(path)
    elif case == "laughs":
        path.write_text(LAUGHS, encoding="utf-8")
    else:
        (tmp_path / "c0.yaml").write_text(TINY_TEXT, encoding="utf-8")
        for i in range(1, 200):
            (tmp_path / f"c{i}.yaml").write_text(f"base: c{i - 1}.yaml\n", encoding="utf-8")
        path.write_text("base: c199.yaml\n", encoding="utf-8")
    result = run_cli("run", str(path), "--out", str(tmp_path / "out"), timeout=60)
    assert_cli_refuses(result, "bad.yaml")
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- 7. random valid configs
def _number_paths(node: object, path: tuple = ()) -> list[tuple]:
    """Paths of every number (not boolean) in plain config data."""
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _number_paths(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _number_paths(v, (*path, i))]
    return [path] if isinstance(node, int | float) and not isinstance(node, bool) else []


TINY_DATA = tiny()
TINY_NUMBERS = _number_paths(TINY_DATA)
FACTORS = st.one_of(st.sampled_from([0.0, 0.5, 0.9, 1.1, 2.0, 10.0]), st.floats(0.0, 4.0))


def _scaled(changes: list[tuple[tuple, float]]) -> dict:
    """Tiny with the numbers at the given paths multiplied (whole numbers stay whole)."""
    data = copy.deepcopy(TINY_DATA)
    for path, factor in changes:
        node = data
        for step in path[:-1]:
            node = node[step]
        value = node[path[-1]]
        node[path[-1]] = round(value * factor) if isinstance(value, int) else value * factor
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(st.tuples(st.sampled_from(TINY_NUMBERS), FACTORS), max_size=8),
       channels=st.fixed_dictionaries({c: st.booleans() for c in ("payment", "equity", "collateral", "credit",
                                                                  "confidence", "demand")}),
       policy=st.sampled_from(typing.get_args(config_module.Policy)),
       seed=st.integers(0, 2**31))
def test_random_valid_configs_are_refused_or_keep_their_books(changes, channels, policy, seed) -> None:
    """Tiny with numbers scaled within and beyond their bounds is refused at load or runs 8 quarters, books intact."""
    data = _scaled(changes)
    data["channels"] = channels
    company(data, "gov")["government"]["policy"] = policy
    data["run"].update(quarters=8, seed=seed)
    try:
        cfg = config_from_dict(data, "random config")
    except ConfigError:
        return  # refused at load, with a message: an allowed outcome
    model = AIFinanceModel(config=cfg)
    model.check_invariants()
    model.run()  # the model checks its books every quarter and raises AccountingError if they break
    for row in model.recorder.balance_rows + model.recorder.system_rows:
        bad = {k: v for k, v in row.items() if isinstance(v, float) and not math.isfinite(v)}
        assert not bad, f"{row.get('quarter')} {row.get('entity', 'system')}: non-finite {bad}"
