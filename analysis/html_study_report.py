"""A parameter study's report as one self-contained HTML file (``run.py report STUDY``).

The content is the study's Markdown report, exactly as ``run.py analyze`` writes it
(:func:`analysis.report.write_report`: outcome tables, heatmap, fan charts, sensitivity,
noise warnings, failures), made in a temporary folder and turned into HTML here with its
figures inlined as base64 PNGs; above it, what the study is (spec, code version, the
runs stored, each parameter's range, from :func:`analysis.study.load_sweep`). The file
carries the same generator mark as a run's report (:data:`analysis.run_report.GENERATOR`),
needs no script, font or address outside itself, and the study folder is only read.

The Markdown the report uses is a small, known subset, converted by :func:`markdown_html`:
headings, paragraphs, pipe tables, bullet lists, block quotes, images, ``code``,
**bold** and *emphasis*. Anything else is shown as the escaped text it is.

Functions:
    study_report_html: the HTML report of a study folder.
    markdown_html: the Markdown subset of the study report as HTML, images inlined.
"""

from __future__ import annotations

import html
import re
import tempfile
from pathlib import Path

import pandas as pd

from analysis.report import write_report
from analysis.run_report import esc, page, png_data_uri, table_html
from analysis.study import load_sweep, parameter_names, sweep_manifest

_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_EM = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")


def study_report_html(folder: str | Path) -> str:
    """The HTML report of the study (sweep or comparison) in ``folder``.

    Args:
        folder: A folder written by ``run.py sweep`` or ``run.py compare``.

    Returns:
        The page.

    Raises:
        economy.sweep.storage.StorageError: If the folder is not a sweep folder or a file of
            it is damaged (:class:`~economy.sweep.storage.DamagedSweepError`).
        FileNotFoundError: If the study holds no runs yet.
        analysis.report.ReportError: If the report cannot be made (a damaged manifest, say).
    """
    folder = Path(folder)
    manifest = sweep_manifest(folder)
    runs = load_sweep(folder)
    with tempfile.TemporaryDirectory(prefix="ai-financing-web-study-") as tmp:
        markdown_file = write_report(folder, out=Path(tmp) / "report")
        text = markdown_file.read_text(encoding="utf-8")
        title, text = _title(text, f"Parameter study: {manifest.get('name', folder.name)}")
        body = markdown_html(text, markdown_file.parent)
    ok = int((runs["status"] == "ok").sum()) if "status" in runs.columns else len(runs)
    subtitle = (f"{esc(len(runs))} runs stored ({esc(ok)} ok); code version {esc(manifest.get('code_version', '?'))}; "
                f"money in USD billions. Made by <code>run.py report</code> from the study folder.")
    about = [  # the report's own table below gives the spec, sampler, seeds and code version
        ("study folder", str(folder.resolve())),
        ("runs stored", f"{len(runs)} of {manifest.get('total_runs', '?')} planned ({ok} ok, {len(runs) - ok} failed)"),
    ]
    head = ["<h2>Study</h2>", table_html([r for r in about if r[1] != ""], ["", ""]), *_parameters(runs, manifest)]
    footer = (f"Made by the AI financing web simulator (run.py report) from {esc(folder.name)}; the content is "
              "the study's report (run.py analyze). Self-contained: every figure is inside this file.")
    return page(title, subtitle, [*head, '<div class="study">', body, "</div>"], footer)


def _title(text: str, default: str) -> tuple[str, str]:
    """The Markdown's first-level heading (the page's title) and the text without it."""
    lines = text.splitlines()
    if lines and lines[0].startswith("# "):
        return lines[0][2:].strip(), "\n".join(lines[1:])
    return default, text


def _parameters(runs: pd.DataFrame, manifest: dict) -> list[str]:
    """Each parameter's range over the stored runs."""
    rows = []
    for name in parameter_names(manifest):
        if name not in runs.columns:
            continue
        values = runs[name]
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.notna().all() and len(numeric):
            rows.append([name, f"{numeric.min():.4g}", f"{numeric.max():.4g}", values.nunique()])
        else:
            rows.append([name, "", "", values.nunique()])
    if not rows:
        return []
    return ["<h3>Parameters</h3>", table_html(rows, ["parameter", "lowest", "highest", "distinct values"],
                                              numeric=(1, 2, 3))]


def markdown_html(text: str, base: Path) -> str:
    r"""The Markdown subset of the study report as HTML; images under ``base`` are inlined, others named.

    Args:
        text: Markdown.
        base: The folder image paths are relative to; an image outside it is not read.

    Returns:
        HTML (every text escaped).

    Example:
        >>> markdown_html("## Outcomes\n\nMedian of `x`, **bold**.", Path("."))
        '<h2>Outcomes</h2>\n<p>Median of <code>x</code>, <strong>bold</strong>.</p>'
    """
    lines = text.splitlines()
    out: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            out.append(f"<p>{_inline(' '.join(paragraph), base)}</p>")
            paragraph.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            flush()
            i += 1
            continue
        heading = _HEADING.match(stripped)
        if heading:
            flush()
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2), base)}</h{level}>")
            i += 1
            continue
        if stripped.startswith(">"):
            flush()
            block = []
            while i < len(lines) and lines[i].strip().startswith(">"):
                block.append(re.sub(r"^\s*>\s?", "", lines[i]))
                i += 1
            out.append(f'<blockquote class="note">{markdown_html(chr(10).join(block), base)}</blockquote>')
            continue
        if stripped.startswith("|"):
            flush()
            block = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                block.append(lines[i].strip())
                i += 1
            out.append(_table(block, base))
            continue
        if _BULLET.match(line):
            flush()
            items = []
            while i < len(lines) and _BULLET.match(lines[i]):
                items.append(f"<li>{_inline(_BULLET.match(lines[i]).group(1), base)}</li>")
                i += 1
            out.append("<ul>" + "".join(items) + "</ul>")
            continue
        image = _IMAGE.fullmatch(stripped)
        if image:
            flush()
            out.append(f"<figure>{_image(image.group(1), image.group(2), base)}"
                       f"<figcaption>{esc(image.group(1))}</figcaption></figure>")
            i += 1
            continue
        paragraph.append(stripped)
        i += 1
    flush()
    return "\n".join(out)


def _cells(row: str) -> list[str]:
    """The cells of a pipe-table row (outer pipes optional)."""
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|"):
        row = row[:-1]
    return [c.strip() for c in row.split("|")]


def _table(block: list[str], base: Path) -> str:
    """A pipe table: the first row is the header when the second is a ``|---|`` separator."""
    rows = [_cells(r) for r in block]
    header: list[str] = []
    if len(rows) >= 2 and all(re.fullmatch(r":?-{1,}:?", c) for c in rows[1] if c):
        header, rows = rows[0], rows[2:]
    head = "".join(f"<th>{_inline(c, base)}</th>" for c in header) if any(header) else ""
    body = "".join("<tr>" + "".join(
        f'<td class="n">{_inline(c, base)}</td>' if _is_number(c) else f"<td>{_inline(c, base)}</td>" for c in row)
        + "</tr>" for row in rows)
    return f"<table>{f'<thead><tr>{head}</tr></thead>' if head else ''}<tbody>{body}</tbody></table>"


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d.,]+(e[-+]?\d+)?%?( \[[^\]]*\])?", text.strip()))


def _inline(text: str, base: Path) -> str:
    """Inline Markdown: ``code`` first (kept literal), then images, links, bold and emphasis on escaped text."""
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for part in parts:
        if len(part) >= 2 and part.startswith("`") and part.endswith("`"):
            out.append(f"<code>{esc(part[1:-1])}</code>")
            continue
        escaped = html.escape(part, quote=False)
        escaped = _IMAGE.sub(lambda m: _image(html.unescape(m.group(1)), html.unescape(m.group(2)), base), escaped)
        escaped = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", escaped)  # no link leads out of the file
        escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
        escaped = _EM.sub(r"<em>\1</em>", escaped)
        out.append(escaped)
    return "".join(out)


def _image(alt: str, src: str, base: Path) -> str:
    """An image of the report folder, inlined; anything else (outside it, missing, not a PNG) only named."""
    path = (base / src).resolve()
    if path.suffix.lower() == ".png" and path.is_file() and path.is_relative_to(base.resolve()):
        return f'<img src="{png_data_uri(path)}" alt="{esc(alt)}">'
    return f"<em>[figure {esc(src)} not found]</em>"
