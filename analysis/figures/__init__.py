"""Classroom-ready figures drawn from a run's results tables.

Every plot function takes pandas DataFrames (as returned by
:func:`analysis.results.load_results`) and returns a :class:`matplotlib.figure.Figure`
rendered with the Agg canvas. Figures are never registered with pyplot, so they
are garbage-collected like any other object and nothing is ever shown on screen.

Money is in USD billions; x axes show quarter labels, thinned to every 4th quarter.

The package holds one subject per module, and every public name is re-exported
here, so ``from analysis.figures import save_standard_figures`` keeps working:

    style: colours of classes, roles, kinds and channels; status styles; figure and axis helpers.
    tables: reading the results tables (entity rows on the quarter axis, names, a run's quarters).
    balance_sheets: balance_sheet_composition, stacked assets and liabilities with the equity line, per entity.
    revenue: lab_revenue_vs_compute, each AI lab's quarterly revenue against its compute bill.
    debt: debt_buildup, outstanding debt by borrower, stacked, with the system partner-debt line.
    web: active_contracts and contract_web, the network of contracts active at one quarter, nodes outlined by status.
    defaults: default_timeline, defaults and rescues over time, coloured by channel, with the cascade tree;
        worst_quarter, the quarter with the most defaults (then the largest losses).
    losses: losses_by_channel, losses written off per holder, stacked by contagion channel.
    loop: money_loop, the money firms paid each other over a period, the largest loop outlined.
    markets: spreads_and_sentiment, sentiment and GPU prices above, credit spreads below.
    standard: standard_figures / save_standard_figures, the standard set, as Figures or PNG files;
        save_figure, one figure as a reproducible PNG, laid out once.
    render: the figure sets (none, standard, all) and drawing them in worker processes (FigurePlan,
        render_figures).
"""

from __future__ import annotations

from .balance_sheets import balance_sheet_composition
from .debt import debt_buildup
from .defaults import default_timeline, worst_quarter
from .loop import money_loop
from .losses import losses_by_channel
from .markets import spreads_and_sentiment
from .render import FIGURE_SETS, FigurePlan, build_figure, figure_names, render_figures, start_figures
from .revenue import lab_revenue_vs_compute
from .standard import (
    STANDARD_FIGURE_NAMES,
    save_figure,
    save_standard_figures,
    standard_figure,
    standard_figure_names,
    standard_figures,
)
from .style import ASSET_COLORS, CHANNEL_COLORS, KIND_COLORS, LIABILITY_COLORS, ROLE_COLORS
from .web import active_contracts, contract_web

__all__ = [
    "ASSET_COLORS",
    "CHANNEL_COLORS",
    "FIGURE_SETS",
    "KIND_COLORS",
    "LIABILITY_COLORS",
    "ROLE_COLORS",
    "STANDARD_FIGURE_NAMES",
    "FigurePlan",
    "active_contracts",
    "balance_sheet_composition",
    "build_figure",
    "contract_web",
    "debt_buildup",
    "default_timeline",
    "figure_names",
    "lab_revenue_vs_compute",
    "losses_by_channel",
    "money_loop",
    "render_figures",
    "save_figure",
    "save_standard_figures",
    "spreads_and_sentiment",
    "standard_figure",
    "standard_figure_names",
    "standard_figures",
    "start_figures",
    "worst_quarter",
]
