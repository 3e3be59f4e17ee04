"""The standard figure set of a run, as Figures or PNG files.

Holds which figures make the set (and when one is left out), the worst-quarter
contract web with its title, and the writing of reproducible PNG files.

Functions:
    standard_figures / save_standard_figures: the standard set, as Figures or PNG files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

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
    bs = results.balance_sheets
    quarters = quarter_order(bs)
    figures: dict[str, Figure] = {}
    entities = _focus_entities(results, focus)
    if entities:
        figures["balance_sheets"] = balance_sheet_composition(bs, entities)
    if (bs["role"].astype(str) == "lab").any():
        figures["lab_revenue_vs_compute"] = lab_revenue_vs_compute(bs)
    figures["debt_buildup"] = debt_buildup(bs, results.system)
    if quarters:
        figures["contract_web_start"] = contract_web(results.contracts, bs, quarters[0])
        figures["contract_web_end"] = contract_web(results.contracts, bs, quarters[-1])
    statuses = set(bs["status"].astype(str)) if "status" in bs.columns else set()
    if len(results.cascade) or statuses & {"defaulted", "rescued"}:
        figures["default_timeline"] = default_timeline(results.cascade, bs)
    if len(results.losses) and (_numeric(results.losses, "amount") > 0).any():
        figures["losses_by_channel"] = losses_by_channel(results.losses, _name_map(bs))
    if len(results.system):
        figures["spreads_and_sentiment"] = spreads_and_sentiment(results.system, bs)
    if quarters:
        figures["contract_web_worst"] = _worst_web(results, quarters)
    return figures


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
        fig.savefig(path, dpi=_DPI, metadata={"Software": None})
        written.append(path)
    return written
