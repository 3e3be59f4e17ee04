"""A run's report as one self-contained HTML file: what happened, in numbers, words and figures.

``run.py run`` writes ``report.html`` into every run folder, and ``run.py report RUN``
renders it again from a run folder's files. The page holds, in this order: the run's
metadata (config, seed, code version, when), the headline figures of ``summary.json``
(defaults, losses, fiscal cost, partner debt, each lab's burn), the state of every
company at the end, the tables of defaults (``cascade.csv``), rescues and losses
(``losses.csv``), the story of the run quarter by quarter (``events.csv``), the figures
(``figures/*.png``, inlined as base64) and the resolved config. It needs nothing else:
no script, no font, no address outside the file (the tests check that no ``src`` or
``href`` leads anywhere), so it can be mailed or opened offline.

The page is marked by :data:`GENERATOR` near its top; a file with that mark is a report
this program wrote and may be replaced by a newer one (:func:`write_html`), any other
file never is.

Functions:
    run_report_html: the HTML of a run folder's report.
    write_html: write a report file atomically (temporary file, then rename).
    is_report: whether a file is a report this program wrote.
    page / table_html / figure_html: the shared page frame and pieces (the study report uses them too).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from analysis.results import Results, load_results, quarter_order

log = logging.getLogger(__name__)

#: The mark of a report this program wrote, in the first few hundred characters of the file.
GENERATOR = '<meta name="generator" content="ai-financing-web report">'
#: How far into a file :func:`is_report` looks for the mark.
_MARK_WITHIN = 600
#: The report's file name in a run folder.
REPORT_FILE = "report.html"

#: Figure file stems and what each shows (the standard set; other figures get a caption from their name).
CAPTIONS: dict[str, str] = {
    "balance_sheets": "Balance sheets of the main companies: assets stacked above zero, liabilities below, equity as a line",
    "lab_revenue_vs_compute": "Each AI lab's quarterly revenue against its compute bill",
    "debt_buildup": "Outstanding debt by borrower, with the partner-debt line (loans tied to a lab)",
    "contract_web_start": "The contract web at the start: who is bound to whom",
    "contract_web_end": "The contract web at the end, nodes outlined by status",
    "default_timeline": "Defaults and rescues over time, coloured by contagion channel, with the cascade",
    "losses_by_channel": "Losses written off by each holder, by contagion channel",
    "spreads_and_sentiment": "Sentiment and GPU prices (above), credit spreads (below)",
    "contract_web_worst": "The contract web at the run's worst quarter",
}
_KEY_EVENTS = {"default", "rescue", "fire_sale", "margin_call", "contract_terminated", "round_failed",
               "loan_refused", "refinancing_refused"}
_STYLE = """
body{font-family:"Helvetica Neue",Arial,"IPAexGothic",sans-serif;margin:0 auto;max-width:1180px;padding:0 24px 48px;
color:#222;line-height:1.45}
h1{margin:28px 0 4px}h2{margin-top:36px;border-bottom:2px solid #ddd;padding-bottom:4px}h3{margin:18px 0 6px}
.sub{color:#666;margin:0 0 18px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:14px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
.kpis{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0 18px}
.kpi{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:150px}
.kpi .l{font-size:12px;color:#666}.kpi .v{font-size:20px;font-weight:bold}
.bad{color:#b00020}.note{background:#fff8e1;border-left:4px solid #e6a700;padding:8px 12px}
ul.story{margin:4px 0 10px;padding-left:20px}ul.story li.key{font-weight:bold}
figure{margin:18px 0 28px}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#444;font-size:14px;margin-top:4px}
pre{background:#f7f7f7;padding:10px;overflow-x:auto;font-size:12px}
details summary{cursor:pointer;font-weight:bold;margin:6px 0}
footer{margin-top:40px;color:#777;font-size:13px}
"""


def esc(value: object) -> str:
    """Text for HTML (quotes escaped too, so it is safe in attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def money(amount: object) -> str:
    """USD billions as ``$1,234.5B`` or ``-$5.9B`` (``-`` for a missing amount)."""
    try:
        value = float(amount)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "-"
    if value != value:  # NaN
        return "-"
    return f"-${-value:,.1f}B" if value < 0 else f"${value:,.1f}B"


def page(title: str, subtitle: str, body: Iterable[str], footer: str) -> str:
    """A whole HTML page: the generator mark first, inline style, no script and no outside address."""
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="en"><head><meta charset="utf-8">{GENERATOR}',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="sub">{subtitle}</p>',
        *body,
        f"<footer>{footer}</footer>",
        "</body></html>",
        "",
    ])


def table_html(rows: Sequence[Sequence[object]], header: Sequence[str], numeric: Sequence[int] = ()) -> str:
    """An HTML table of already formatted cells (escaped here); columns in ``numeric`` are right-aligned."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header) if any(header) else ""
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{esc(c)}</td>' if i in numeric else f"<td>{esc(c)}</td>"
                         for i, c in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table>{f'<thead><tr>{head}</tr></thead>' if head else ''}<tbody>{body}</tbody></table>"


def png_data_uri(path: Path) -> str:
    """A PNG file as a ``data:`` URI (base64)."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def figure_html(path: Path, caption: str, alt: str | None = None) -> str:
    """One figure, inlined as base64, with its caption."""
    return (f'<figure><img src="{png_data_uri(path)}" alt="{esc(alt or caption)}">'
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def is_report(path: Path) -> bool:
    """Whether ``path`` is a file holding the mark of a report this program wrote."""
    try:
        if not path.is_file() or path.is_symlink():
            return False
        with open(path, encoding="utf-8", errors="replace") as f:
            return GENERATOR in f.read(_MARK_WITHIN)
    except OSError:
        return False


def write_html(text: str, out: Path) -> Path:
    """Write ``text`` to ``out`` atomically: a temporary file beside it, renamed over it when complete.

    An interrupted write leaves ``out`` as it was (and no temporary file behind).

    Raises:
        OSError: If the folder cannot be written.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


def run_report_html(folder: str | Path, about: dict | None = None, figures: Sequence[Path] | None = None,
                    figure_set: str | None = None) -> str:
    """The HTML report of the run whose files are in ``folder``.

    Args:
        folder: A run folder (``summary.json`` and the CSV tables; ``figures/`` if drawn).
        about: What ``run.json`` records (config, name, seed, code version, figures);
            default: read from the folder's ``run.json``.
        figures: The PNG files to show, in order (default: those in ``folder/figures``,
            the standard set first).
        figure_set: The figure set the run drew (``none`` makes the report say the
            figures were skipped); default: ``about["figures"]``.

    Returns:
        The page.

    Raises:
        FileNotFoundError: If the folder lacks ``balance_sheets.csv`` or ``summary.json``.
        ValueError: If ``summary.json`` or ``run.json`` is not a JSON object.
    """
    folder = Path(folder)
    if not (folder / "summary.json").is_file():
        raise FileNotFoundError(f"no summary.json in {folder}")
    results = load_results(folder)
    about = dict(about) if about is not None else _read_marker(folder)
    figure_set = figure_set or about.get("figures")
    if figures is None:
        figures = _figure_files(folder / "figures")
    names = _names(results.balance_sheets)
    config_text = _read_text(folder / "config.yaml")
    quarters = results.quarters
    title = f"Run report: {about.get('name') or folder.name}"
    span = f"{quarters[0]} to {quarters[-1]}, {len(quarters) - 1} quarters" if quarters else "no quarters"
    subtitle = (f"{esc(span)}; seed {esc(about.get('seed', '?'))}; money in USD billions. "
                f"Written {esc(about.get('written') or _now())} by <code>run.py run</code>.")
    body = [
        "<h2>Run</h2>", _metadata(folder, about, results),
        "<h2>Headline figures</h2>", _kpis(results.summary, names),
        *_labs(results.summary, names),
        "<h2>Companies at the end</h2>", _final_state(results),
        "<h2>Defaults</h2>", _defaults(results, names),
        "<h2>Rescues</h2>", _rescues(results, names),
        "<h2>Losses</h2>", *_losses(results, names),
        "<h2>The story, quarter by quarter</h2>", *_story(results),
        "<h2>Figures</h2>", *_figures(figures, figure_set),
        "<h2>Resolved config</h2>",
        f"<details><summary>config.yaml ({len(config_text.splitlines())} lines)</summary><pre>{esc(config_text)}</pre>"
        "</details>" if config_text else "<p>No config.yaml in the folder.</p>",
    ]
    footer = (f"Made by the AI financing web simulator (run.py run / run.py report), code version "
              f"{esc(about.get('code_version', 'unknown'))}. Self-contained: every figure is inside this file.")
    return page(title, subtitle, body, footer)


def _read_marker(folder: Path) -> dict:
    """The run's ``run.json`` (empty if there is none)."""
    path = folder / "run.json"
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a JSON object")
    return data


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _names(balance_sheets: pd.DataFrame) -> dict[str, str]:
    """Entity id -> display name."""
    if "name" not in balance_sheets.columns:
        return {}
    rows = balance_sheets.drop_duplicates("entity", keep="last")
    return {str(e): str(n) or str(e) for e, n in zip(rows["entity"], rows["name"], strict=True)}


def _metadata(folder: Path, about: dict, results: Results) -> str:
    written = about.get("written") or _now()
    rows = [
        ("run name", about.get("name", "")),
        ("config", about.get("config", "")),
        ("seed", about.get("seed", "")),
        ("quarters", f"{results.summary.get('quarters', '?')} from {results.quarters[0] if results.quarters else '?'}"),
        ("code version", about.get("code_version", "unknown")),
        ("figures", about.get("figures", "standard" if (folder / "figures").is_dir() else "none")),
        ("written", written),
    ]
    return table_html(rows, ["", ""])


def _kpis(summary: dict, names: dict[str, str]) -> str:
    def name_list(ids: list) -> str:
        return ", ".join(names.get(str(i), str(i)) for i in ids) or "none"

    share = summary.get("ai_capex_share_gdp_peak")
    fall = summary.get("ai_market_value_peak_to_trough")
    cards = [
        ("Defaults", summary.get("defaults", 0), name_list(summary.get("defaulted", [])), bool(summary.get("defaults"))),
        ("Systemic event", "yes" if summary.get("systemic_event") else "no", "contagion, lender losses or a rescue",
         bool(summary.get("systemic_event"))),
        ("Losses written off", money(summary.get("total_losses")), "by others, through defaults (backlog apart)",
         False),
        ("Reorganised", summary.get("defaults_reorganised", 0), name_list(summary.get("reorganised", [])), False),
        ("Rescued", len(summary.get("rescued", [])), name_list(summary.get("rescued", [])), False),
        ("Fiscal cost", money(summary.get("fiscal_cost")), "government rescues", False),
        ("Peak partner debt", money(summary.get("peak_partner_debt")), "loans tied to a lab", False),
        ("Peak OpenAI partner debt", money(summary.get("peak_openai_partner_debt")), "loans tied to OpenAI", False),
        ("AI capex, peak share of GDP", f"{share:.1%}" if isinstance(share, (int, float)) else "-", "", False),
        ("AI market value, peak to trough", f"{fall:.0%} fall" if isinstance(fall, (int, float)) and fall > 0
         else "no fall", "labs, chipmakers, neoclouds", False),
        ("Lost backlog", money(summary.get("lost_backlog")),
         f"customer contracts lost: {money(summary.get('lost_backlog_binding'))} binding, "
         f"{money(summary.get('lost_backlog_nonbinding'))} non-binding", False),
        ("First default", summary.get("first_default_quarter") or "none", "", False),
    ]
    out = ['<div class="kpis">']
    for label, value, note, bad in cards:
        cls = "v bad" if bad else "v"
        out.append(f'<div class="kpi"><div class="l">{esc(label)}</div><div class="{cls}">{esc(value)}</div>'
                   f'<div class="l">{esc(note)}</div></div>')
    out.append("</div>")
    by_channel = summary.get("defaults_by_channel") or {}
    if by_channel:
        out.append("<p>Defaults by channel: " + esc(", ".join(f"{k} {v}" for k, v in by_channel.items())) + ".</p>")
    return "\n".join(out)


def _labs(summary: dict, names: dict[str, str]) -> list[str]:
    labs = summary.get("labs") or {}
    if not labs:
        return []
    rows = [[names.get(lab, lab), money(f.get("cumulative_burn_2026_2029")), f.get("first_profitable_year") or "never",
             f.get("final_status", "")] for lab, f in labs.items()]
    out = ["<h3>AI labs</h3>", table_html(rows, ["lab", "burn 2026-29", "first profitable year", "status at the end"],
                                          numeric=(1,))]
    years = sorted({y for f in labs.values() for y in (f.get("revenue_by_year") or {})})
    if years:
        rows = []
        for lab, f in labs.items():
            revenue, income = f.get("revenue_by_year") or {}, f.get("net_income_by_year") or {}
            rows.append([f"{names.get(lab, lab)} revenue", *(money(revenue.get(y)) for y in years)])
            rows.append([f"{names.get(lab, lab)} net income", *(money(income.get(y)) for y in years)])
        out.append(table_html(rows, ["", *years], numeric=range(1, len(years) + 1)))
    return out


def _final_state(results: Results) -> str:
    bs = results.balance_sheets
    quarters = quarter_order(bs)
    if not quarters:
        return "<p>No balance sheets.</p>"
    last = bs[(bs["quarter"].astype(str) == quarters[-1]) & (bs["role"].astype(str) != "external")]
    cols = ["cash", "debt", "equity", "market_value", "revenue", "net_income"]
    rows = [[r["name"] or r["entity"], r["role"], r["status"], *(money(r.get(c)) for c in cols)]
            for _, r in last.iterrows()]
    return (f"<p>State after {esc(quarters[-1])} (revenue and net income for that quarter).</p>"
            + table_html(rows, ["company", "role", "status", "cash", "debt", "equity", "market value", "revenue",
                                "net income"], numeric=range(3, 9)))


def _defaults(results: Results, names: dict[str, str]) -> str:
    cascade = results.cascade
    if not len(cascade):
        return "<p>No company defaulted.</p>"
    rows = [[r["quarter"], r.get("round", ""), names.get(str(r["entity"]), r["entity"]),
             names.get(str(r["caused_by"]), r["caused_by"]) or "its own losses", r["channel"], money(r["amount"]),
             r.get("outcome", "")] for _, r in cascade.iterrows()]
    return ("<p>One row per default and channel that brought it about: from whom, how much the channel carried, and "
            "whether the court reorganised or liquidated the firm (<code>cascade.csv</code>).</p>"
            + table_html(rows, ["quarter", "round", "company", "caused by", "channel", "amount", "outcome"],
                         numeric=(1, 5)))


def _rescues(results: Results, names: dict[str, str]) -> str:
    events = results.events
    rescues = events[events["kind"].astype(str) == "rescue"] if len(events) else events
    if not len(rescues):
        return "<p>No rescue.</p>"
    rows = [[r["quarter"], names.get(str(r["counterparty"]), r["counterparty"]), names.get(str(r["entity"]), r["entity"]),
             money(r["amount"]), _strip_quarter(str(r["text"]))] for _, r in rescues.iterrows()]
    return table_html(rows, ["quarter", "rescued", "by", "amount", "what happened"], numeric=(3,))


def _losses(results: Results, names: dict[str, str]) -> list[str]:
    losses = results.losses
    if not len(losses):
        return ["<p>Nobody wrote anything off.</p>"]
    summary = results.summary
    out = ["<p>What each holder wrote off through others' defaults (<code>losses.csv</code> without its backlog rows, "
           "the same figures as <code>summary.json</code>). Lost backlog, the contracted orders failed buyers will "
           "not take, is not a write-off and is listed apart, the part the buyers had to take (binding) apart from "
           "the optional rest (non-binding, such as a letter of intent); the government's rescue cost is the fiscal "
           "cost.</p>"]
    for key, label in (("losses_by_holder", "holder"), ("losses_by_channel", "channel")):
        totals = summary.get(key) or {}
        if totals:
            rows = [[names.get(k, k), money(v)] for k, v in sorted(totals.items(), key=lambda kv: -kv[1])]
            out.append(f"<h3>By {label}</h3>" + table_html(rows, [label, "lost"], numeric=(1,)))
    backlog = summary.get("lost_backlog_by_holder") or {}
    if backlog:
        binding = summary.get("lost_backlog_binding_by_holder") or {}
        nonbinding = summary.get("lost_backlog_nonbinding_by_holder") or {}
        rows = [[names.get(k, k), money(binding.get(k, 0.0)), money(nonbinding.get(k, 0.0)), money(v)]
                for k, v in sorted(backlog.items(), key=lambda kv: -kv[1])]
        out.append("<h3>Lost backlog, by holder</h3>" + table_html(
            rows, ["holder", "binding", "non-binding", "lost backlog"], numeric=(1, 2, 3)))
    rows = [[r["quarter"], names.get(str(r["holder"]), r["holder"]), names.get(str(r["source"]), r["source"]), r["kind"],
             r["channel"], money(r["amount"])] for _, r in losses.iterrows()]
    out.append("<h3>Every loss</h3>" + table_html(
        rows, ["quarter", "holder", "through the default of", "what", "channel", "amount"], numeric=(5,)))
    return out


def _strip_quarter(text: str) -> str:
    """An event's text without the leading ``2026Q1: `` (the story groups events by quarter already)."""
    head, sep, rest = text.partition(": ")
    return rest if sep and len(head) == 6 and head[4] == "Q" else text


def _story(results: Results) -> list[str]:
    events = results.events
    if not len(events):
        return ["<p>No events were recorded.</p>"]
    out = ["<p>Every event of the run in plain language (<code>events.csv</code>); defaults, rescues, fire sales, "
           "refusals and terminations in bold. One section per year.</p>"]
    frame = events.assign(quarter=events["quarter"].astype(str))
    for year, of_year in frame.groupby(frame["quarter"].str[:4], sort=False):
        key = of_year["kind"].astype(str).isin(_KEY_EVENTS).sum()
        parts = [f"<details open><summary>{esc(year)}: {len(of_year)} events"
                 + (f", {key} key" if key else "") + "</summary>"]
        for quarter, rows in of_year.groupby("quarter", sort=False):
            items = "".join(
                f'<li class="key">{esc(_strip_quarter(t))}</li>' if k in _KEY_EVENTS else f"<li>{esc(_strip_quarter(t))}</li>"
                for k, t in zip(rows["kind"].astype(str), rows["text"].astype(str), strict=True))
            parts.append(f'<h3>{esc(quarter)}</h3><ul class="story">{items}</ul>')
        parts.append("</details>")
        out.append("".join(parts))
    return out


def _figure_files(folder: Path) -> list[Path]:
    """The PNG files of a run's figures folder, the standard set in its order first, then the others by name."""
    if not folder.is_dir():
        return []
    found = {p.stem: p for p in folder.glob("*.png") if p.is_file() and not p.is_symlink()}
    order = [n for n in CAPTIONS if n in found] + sorted(n for n in found if n not in CAPTIONS)
    return [found[n] for n in order]


def caption(stem: str) -> str:
    """What a figure file shows, from its stem."""
    if stem in CAPTIONS:
        return CAPTIONS[stem]
    if stem.startswith("balance_sheets_"):
        return f"Balance sheets of every {stem.removeprefix('balance_sheets_').replace('_', ' ')}"
    if stem.startswith("contract_web_"):
        return f"The contract web at {stem.removeprefix('contract_web_')}"
    return stem.replace("_", " ")


def _figures(figures: Sequence[Path], figure_set: str | None) -> list[str]:
    if figure_set == "none":
        return ['<p class="note">Figures were skipped: the run was made with <code>--figures none</code>. '
                "Run it again with <code>--figures standard</code> (the default) or <code>--figures all</code> "
                "to draw them.</p>"]
    if not figures:
        return ['<p class="note">This run folder holds no figures.</p>']
    return [figure_html(path, caption(path.stem)) for path in figures]
