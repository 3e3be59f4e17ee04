"""The golden cases and how a run of one becomes text that can be compared exactly.

Every table of ``economy.records.frames`` becomes CSV rows of strings: floats as
``repr`` (the shortest text that reads back as the same double, so equal text means
equal values, and ``nan`` equals ``nan``), with ``-0.0`` written as ``0.0`` because the
two compare equal as numbers. The summary of ``analysis.summary.summarize`` becomes
JSON with sorted keys.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent
ROOT = GOLDEN.parents[1]
SUMMARY = "summary"

Rows = list[list[str]]


@dataclass(frozen=True)
class Case:
    """One run whose outputs are kept.

    Attributes:
        name: The folder under ``tests/golden`` holding its outputs.
        config: The config file it runs.
        seed: The seed it runs with.
        quarters: How many quarters it runs.
    """

    name: str
    config: Path
    seed: int
    quarters: int


CASES = {
    case.name: case
    for case in (
        Case("tiny", GOLDEN / "inputs" / "tiny.yaml", seed=1, quarters=12),
        Case("contagion", GOLDEN / "inputs" / "contagion.yaml", seed=0, quarters=8),
        Case("baseline", ROOT / "configs" / "baseline.yaml", seed=0, quarters=8),
    )
}


def cell_text(value: object) -> str:
    """The text of one table cell: exact for floats, empty for a missing value."""
    if isinstance(value, float):  # numpy's float64 is a float too
        return "0.0" if value == 0.0 else repr(float(value))
    if value is None:
        return ""
    return str(value)


def frame_rows(frame) -> Rows:
    """A DataFrame as rows of cell texts, the header first."""
    header = [str(column) for column in frame.columns]
    body = [[cell_text(value) for value in row] for row in frame.itertuples(index=False, name=None)]
    return [header, *body]


def rows_to_csv(rows: Iterable[list[str]]) -> str:
    """Rows of cell texts as CSV text, one line feed after each row."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def csv_to_rows(text: str) -> Rows:
    """CSV text back into rows of cell texts."""
    return list(csv.reader(io.StringIO(text)))


def summary_text(summary: dict) -> str:
    """The summary as JSON text, keys sorted."""
    return json.dumps(summary, indent=2, sort_keys=True) + "\n"


def run_case(case: Case) -> dict:
    """Run a case and return its tables as rows and its summary as parsed JSON.

    Returns:
        One entry per table of ``frames`` (rows of cell texts, header first) and
        ``"summary"``: the summary after a round trip through JSON, as it is stored.
    """
    from analysis.summary import summarize
    from economy.records import frames
    from model import AIFinanceModel

    model = AIFinanceModel(config=str(case.config), seed=case.seed, quarters=case.quarters).run()
    tables = frames(model)
    balance = tables["balance_sheets"]
    labs = list(dict.fromkeys(balance.loc[balance.role == "lab", "entity"]))
    outputs: dict = {name: frame_rows(frame) for name, frame in tables.items()}
    outputs[SUMMARY] = json.loads(summary_text(summarize(tables, labs)))
    return outputs


def file_name(table: str) -> str:
    """The file a table or the summary is stored in."""
    return f"{table}.json" if table == SUMMARY else f"{table}.csv"


def output_text(table: str, value: Rows | dict) -> str:
    """The stored text of a table or of the summary."""
    return summary_text(value) if table == SUMMARY else rows_to_csv(value)


def write_outputs(outputs: dict, folder: Path) -> list[Path]:
    """Write a case's outputs into ``folder`` (created if missing); return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table, value in outputs.items():
        path = folder / file_name(table)
        path.write_text(output_text(table, value), encoding="utf-8", newline="")
        written.append(path)
    return written


def read_outputs(folder: Path) -> dict:
    """The stored outputs of a case: tables as rows of cell texts, the summary parsed."""
    outputs: dict = {}
    for path in sorted(folder.iterdir()):
        with path.open(encoding="utf-8", newline="") as handle:
            text = handle.read()
        if path.suffix == ".csv":
            outputs[path.stem] = csv_to_rows(text)
        elif path.suffix == ".json":
            outputs[path.stem] = json.loads(text)
    return outputs
