"""The figure sets of a run: which figures ``none``, ``standard`` and ``all`` draw, and each one by name.

A run chooses one figure set (``run.py run --figures``):

    none: no figures at all (the HTML report says they were skipped).
    standard: the set of :func:`~analysis.figures.standard.standard_figures`, nine files.
    all: the standard set, plus every figure function applied to every subject it takes:
        the balance sheets of every company, one figure per role (``balance_sheets_<role>``),
        the contract web at the end of every year between the first and the last
        quarter (``contract_web_<YYYY>Q4``), and the money paid between firms over the run
        (``money_loop``, :func:`~analysis.figures.loop.money_loop`) and in every calendar year
        the run covers in full (``money_loop_<YYYY>``). The money loop is not in the standard set:
        drawing it adds about 0.3 s to a default run (two workers), over the 0.2 s a figure may add.

Drawing the files, in this process or in worker processes started before the model
runs, is :mod:`analysis.figure_workers` (which imports no matplotlib, so that a run's
main process never has to).

Functions:
    figure_names / build_figure: the names of a set's figures for a run; one figure by name.
    render_figures: write a set's PNG files for a run folder.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from ..figure_workers import FIGURE_SETS, FigurePlan, start_figures
from ..results import Results, quarter_order
from .balance_sheets import balance_sheet_composition
from .loop import loop_periods, money_loop
from .standard import STANDARD_FIGURE_NAMES, standard_figure, standard_figure_names
from .web import contract_web

_BALANCE_SHEETS_PREFIX = "balance_sheets_"
_WEB_PREFIX = "contract_web_"
_LOOP = "money_loop"
_LOOP_PREFIX = _LOOP + "_"


def figure_names(results: Results, which: str = "standard") -> list[str]:
    """The file stems (without ``.png``) of the figures set ``which`` draws for a run.

    Args:
        results: Loaded results.
        which: One of :data:`FIGURE_SETS`.

    Returns:
        The names in drawing order: the standard set first (see
        :func:`~analysis.figures.standard.standard_figure_names`), then for ``all`` the
        per-role balance sheets, the year-end contract webs and the money loops (the run's, then each year's).

    Raises:
        ValueError: If ``which`` is not a figure set.
    """
    if which not in FIGURE_SETS:
        raise ValueError(f"figure set {which!r}: choose from {', '.join(FIGURE_SETS)}")
    if which == "none":
        return []
    names = standard_figure_names(results)
    if which == "all":
        bs = results.balance_sheets
        roles = bs.drop_duplicates("entity")["role"].astype(str)
        names += [_BALANCE_SHEETS_PREFIX + role for role in dict.fromkeys(roles) if role != "external"]
        quarters = quarter_order(bs)
        names += [_WEB_PREFIX + q for q in quarters[1:-1] if q.endswith("Q4")]
        if len(results.payments):
            names += [_LOOP] + [_LOOP_PREFIX + year for year in loop_periods(quarters[1:]) if year]
    return names


def build_figure(results: Results, name: str) -> Figure:
    """Build one figure of any set by its name (see :func:`figure_names`).

    Args:
        results: Loaded results.
        name: A name :func:`figure_names` gives for this run.

    Returns:
        The figure.

    Raises:
        KeyError: If ``name`` is no figure of this run.
    """
    if name in STANDARD_FIGURE_NAMES:
        return standard_figure(results, name)
    bs = results.balance_sheets
    if name == _LOOP:
        return money_loop(results.payments, bs, loop_periods(quarter_order(bs)[1:])[""])
    if name.startswith(_BALANCE_SHEETS_PREFIX):
        role = name.removeprefix(_BALANCE_SHEETS_PREFIX)
        entities = sorted({str(e) for e in bs.loc[bs["role"].astype(str) == role, "entity"]})
        if entities:
            return balance_sheet_composition(bs, entities)
    elif name.startswith(_WEB_PREFIX) and name.removeprefix(_WEB_PREFIX) in quarter_order(bs):
        return contract_web(results.contracts, bs, name.removeprefix(_WEB_PREFIX))
    elif name.startswith(_LOOP_PREFIX) and name.removeprefix(_LOOP_PREFIX) in loop_periods(quarter_order(bs)[1:]):
        return money_loop(results.payments, bs, loop_periods(quarter_order(bs)[1:])[name.removeprefix(_LOOP_PREFIX)])
    raise KeyError(f"no figure {name!r} for this run")


def render_figures(folder: str | Path, out_dir: str | Path, which: str | None = None,
                   workers: FigurePlan | None = None) -> list[Path]:
    """Write the PNG files of a figure set for the run whose tables are in ``folder``.

    Args:
        folder: A folder holding a run's CSV tables (as ``run.py run`` writes them).
        out_dir: Folder for the PNG files (created if a figure is drawn).
        which: One of :data:`~analysis.figure_workers.FIGURE_SETS` (default: the active
            plan's, else ``standard``).
        workers: The plan whose processes draw (default: the active
            :class:`~analysis.figure_workers.FigurePlan`, if any; without one, figures are
            drawn in this process).

    Returns:
        The files written, in the order of :func:`figure_names`.
    """
    return start_figures(folder, out_dir, which, workers).wait()
