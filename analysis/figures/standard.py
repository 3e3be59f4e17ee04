"""The standard figure set of a run, as Figures or PNG files.

Holds which figures make the set (and when one is left out), the worst-quarter
contract web with its title, and the writing of reproducible PNG files.

Functions:
    standard_figure_names / standard_figure: which standard figures a run has data for; one of them by name.
    standard_figures / save_standard_figures: the standard set, as Figures or PNG files.
    save_figure: one figure as a reproducible PNG, laid out once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from PIL import Image

from economy.state import BACKLOG_KINDS

from ..results import Results, quarter_order
from .balance_sheets import balance_sheet_composition
from .debt import debt_buildup
from .defaults import default_timeline, worst_quarter
from .losses import losses_by_channel
from .markets import spreads_and_sentiment
from .revenue import lab_revenue_vs_compute
from .style import _DPI
from .tables import _default_counts, _name_map, _numeric
from .web import contract_web

#: File stems written by :func:`save_standard_figures`, in order.
STANDARD_FIGURE_NAMES: tuple[str, ...] = (
    "balance_sheets",
    "lab_revenue_vs_compute",
    "debt_buildup",
    "contract_web_start",
    "contract_web_end",
    "default_timeline",
    "losses_by_channel",
    "spreads_and_sentiment",
    "contract_web_worst",
)


def _focus_entities(results: Results, focus: Sequence[str]) -> list[str]:
    """Focus entities present in the data, or a fallback of the largest entities.

    Args:
        results: Loaded results.
        focus: Requested entity ids.

    Returns:
        The requested ids that exist; if none exist, the five entities (other than
        external parties) with the largest peak total assets.
    """
    known = set(results.entities)
    present = [e for e in focus if e in known]
    if present:
        return present
    bs = results.balance_sheets
    inside = bs[bs["role"].astype(str) != "external"]
    peak = pd.to_numeric(inside["total_assets"], errors="coerce").groupby(inside["entity"].astype(str)).max()
    return sorted(peak.index, key=lambda e: (-float(peak[e]), e))[:5]


def standard_figure_names(
    results: Results,
    focus: Sequence[str] = ("openai", "oracle", "coreweave", "microsoft", "nvidia"),
) -> list[str]:
    """The names of the standard figures a run has data for, in the order of :data:`STANDARD_FIGURE_NAMES`.

    Args:
        results: Loaded results.
        focus: Entities for the balance-sheet panels; absent ones are skipped.

    Returns:
        The names :func:`standard_figures` draws (see there for what is left out when).
    """
    bs = results.balance_sheets
    statuses = set(bs["status"].astype(str)) if "status" in bs.columns else set()
    has = {
        "balance_sheets": bool(_focus_entities(results, focus)),
        "lab_revenue_vs_compute": bool((bs["role"].astype(str) == "lab").any()),
        "debt_buildup": True,
        "contract_web_start": bool(quarter_order(bs)),
        "contract_web_end": bool(quarter_order(bs)),
        "default_timeline": bool(len(results.cascade) or statuses & {"defaulted", "rescued"}),
        "losses_by_channel": bool(len(results.losses) and ((_numeric(results.losses, "amount") > 0)
                                                           & ~results.losses["kind"].astype(str).isin(BACKLOG_KINDS)).any()),
        "spreads_and_sentiment": bool(len(results.system)),
        "contract_web_worst": bool(quarter_order(bs)),
    }
    return [name for name in STANDARD_FIGURE_NAMES if has[name]]


def standard_figure(
    results: Results,
    name: str,
    focus: Sequence[str] = ("openai", "oracle", "coreweave", "microsoft", "nvidia"),
) -> Figure:
    """Build one figure of the standard set by its name.

    Args:
        results: Loaded results.
        name: One of :data:`STANDARD_FIGURE_NAMES`.
        focus: Entities for the balance-sheet panels; absent ones are skipped.

    Returns:
        The figure, as :func:`standard_figures` would hold it under ``name``.

    Raises:
        KeyError: If ``name`` is not a standard figure.
    """
    bs = results.balance_sheets
    if name == "balance_sheets":
        return balance_sheet_composition(bs, _focus_entities(results, focus))
    if name == "lab_revenue_vs_compute":
        return lab_revenue_vs_compute(bs)
    if name == "debt_buildup":
        return debt_buildup(bs, results.system)
    if name == "contract_web_start":
        return contract_web(results.contracts, bs, quarter_order(bs)[0])
    if name == "contract_web_end":
        return contract_web(results.contracts, bs, quarter_order(bs)[-1])
    if name == "default_timeline":
        return default_timeline(results.cascade, bs)
    if name == "losses_by_channel":
        return losses_by_channel(results.losses, _name_map(bs))
    if name == "spreads_and_sentiment":
        return spreads_and_sentiment(results.system, bs)
    if name == "contract_web_worst":
        return _worst_web(results, quarter_order(bs))
    raise KeyError(f"not a standard figure: {name!r}; choose from {', '.join(STANDARD_FIGURE_NAMES)}")


def standard_figures(
    results: Results,
    focus: Sequence[str] = ("openai", "oracle", "coreweave", "microsoft", "nvidia"),
) -> dict[str, Figure]:
    """Build the standard figure set of a run.

    Args:
        results: Loaded results.
        focus: Entities for the balance-sheet panels; absent ones are skipped.

    Returns:
        Figures keyed by the names in :data:`STANDARD_FIGURE_NAMES`; the lab
        figure is left out when the run has no labs, ``default_timeline`` when
        nothing defaulted or was rescued, ``losses_by_channel`` when no losses
        were recorded and ``spreads_and_sentiment`` when ``system`` is empty.
    """
    return {name: standard_figure(results, name, focus) for name in standard_figure_names(results, focus)}


def _worst_web(results: Results, quarters: Sequence[str]) -> Figure:
    """The contract web at the run's worst quarter, titled as such.

    Args:
        results: Loaded results.
        quarters: Quarter labels of the balance sheets.

    Returns:
        The :func:`contract_web` figure at :func:`worst_quarter` (the last
        quarter when that quarter has no balance sheets).
    """
    worst = worst_quarter(results.system, results.cascade, results.losses)
    if worst not in quarters:
        worst = quarters[-1]
    counts = _default_counts(results.system, results.cascade, [worst])
    lost = results.losses
    amount = float(_numeric(lost, "amount")[lost["quarter"].astype(str) == worst].sum()) if len(lost) else 0.0
    fig = contract_web(results.contracts, results.balance_sheets, worst)
    n = int(counts[worst])
    fig.suptitle(
        f"Worst quarter of the run, {worst}: {n} new default{'s' if n != 1 else ''}, USD {amount:,.0f}B written off\n"
        + fig.get_suptitle().replace(f"Contract web at {worst}: ", "Contract web then: "),
        fontsize=13,
    )
    return fig


def save_standard_figures(
    results: Results,
    out_dir: Path,
    focus: Sequence[str] = ("openai", "oracle", "coreweave", "microsoft", "nvidia"),
) -> list[Path]:
    """Write the standard figure set as PNG files.

    Files are ``balance_sheets.png``, ``lab_revenue_vs_compute.png``,
    ``debt_buildup.png``, ``contract_web_start.png`` (first quarter),
    ``contract_web_end.png`` (last quarter), ``default_timeline.png``,
    ``losses_by_channel.png``, ``spreads_and_sentiment.png`` and
    ``contract_web_worst.png`` (the :func:`worst_quarter`); figures without data
    are skipped (see :func:`standard_figures`). Output is byte-for-byte
    reproducible for the same inputs (no software or date metadata).

    Args:
        results: Loaded results.
        out_dir: Folder to write into (created if missing).
        focus: Entities for the balance-sheet panels; absent ones are skipped.

    Returns:
        Paths of the files written, in the order above.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, fig in standard_figures(results, focus).items():
        path = out / f"{name}.png"
        save_figure(fig, path)
        written.append(path)
    return written


def save_figure(fig: Figure, path: Path) -> None:
    """Write a figure as a reproducible PNG (no software or date metadata), laid out and drawn once.

    ``savefig`` on a figure with a layout engine draws it twice, once only to lay it
    out; here the constrained layout is run once at the output resolution and the
    figure is drawn once. The pixels are those ``savefig`` would write; an opaque figure
    (every one of this package: white background) is stored as RGB, not RGBA, at zlib
    level 1, which takes half the time to encode of ``savefig``'s RGBA at level 6 and
    gives a file about 10% smaller. A figure with transparent pixels is stored as RGBA.

    Args:
        fig: A figure of this package (constrained layout, Agg canvas).
        path: The PNG file to write.
    """
    fig.set_dpi(_DPI)  # lay out at the resolution the file is drawn at, as savefig would
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
        fig.set_layout_engine(None)
    canvas = fig.canvas
    canvas.draw()
    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    if image.getextrema()[3][0] == 255:  # no pixel is see-through: the alpha channel says nothing
        image = image.convert("RGB")
    image.save(path, format="png", compress_level=1, dpi=(_DPI, _DPI))
