"""Balance-sheet composition: each entity's assets, liabilities and equity over time.

Functions:
    balance_sheet_composition: stacked assets and liabilities with the equity line, per entity.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..results import ASSET_COLUMNS, LIABILITY_COLUMNS, quarter_order
from .style import (
    _COLUMN_LABELS,
    ASSET_COLORS,
    LIABILITY_COLORS,
    _format_quarter_axis,
    _grid,
    _new_figure,
    _shade_status,
    _status_handles,
)
from .tables import _check_entities, _entity_frame, _entity_title, _values

# Characters of a title that fit on one line: a panel is 5.2 inches wide, room for about 65 characters of an
# 11-point title (longer ones ran into the next panel's title or off the figure);
# the figure's title, in 13 points, takes about 1/9 inch a character
_PANEL_TITLE_CHARS = 60
_TITLE_CHARS_PER_INCH = 9

def balance_sheet_composition(balance_sheets: pd.DataFrame, entities: Sequence[str]) -> Figure:
    """Small multiples of each entity's balance sheet over time.

    Each panel stacks the asset classes above zero and the liabilities (debt,
    deferred revenue, payables, funding) below zero, draws equity as a black line
    and shades quarters in which the entity was distressed, defaulted or rescued.
    Only classes that are non-zero somewhere in the shown panels are drawn, with
    the same colours in every panel and one shared legend.

    Args:
        balance_sheets: The balance-sheets table.
        entities: Entity ids, one panel each, in this order.

    Returns:
        A Figure with one axes per entity.

    Raises:
        ValueError: If ``entities`` is empty or names an unknown entity.
    """
    _check_entities(balance_sheets, entities)
    quarters = quarter_order(balance_sheets)
    frames = {e: _entity_frame(balance_sheets, e, quarters) for e in entities}

    def used(columns: Sequence[str]) -> list[str]:
        return [c for c in columns if any(np.abs(_values(f, c)).sum() > 0 for f in frames.values())]

    assets = used(ASSET_COLUMNS)
    liabilities = used(LIABILITY_COLUMNS)
    nrows, ncols = _grid(len(entities))
    fig = _new_figure(5.2 * ncols, 3.6 * nrows + 1.4)
    x = np.arange(len(quarters))
    shaded: set[str] = set()
    for i, entity in enumerate(entities):
        frame = frames[entity]
        ax = fig.add_subplot(nrows, ncols, i + 1)
        shaded |= _shade_status(ax, frame)
        if assets:
            ax.stackplot(
                x,
                *[_values(frame, c) for c in assets],
                colors=[ASSET_COLORS[c] for c in assets],
                linewidth=0,
            )
        if liabilities:
            ax.stackplot(
                x,
                *[-_values(frame, c) for c in liabilities],
                colors=[LIABILITY_COLORS[c] for c in liabilities],
                linewidth=0,
            )
        ax.plot(x, _values(frame, "equity"), color="black", linewidth=2.0, label="Equity")
        ax.axhline(0.0, color="#333333", linewidth=0.8)
        ax.grid(axis="y", alpha=0.3)
        # a long name (Project Jupiter's holds its site) goes on two lines rather than past the panel's edges
        ax.set_title(textwrap.fill(_entity_title(frame, entity), _PANEL_TITLE_CHARS), fontsize=11)
        ax.set_ylabel("USD billions")
        _format_quarter_axis(ax, quarters)

    handles: list[Artist] = [Patch(facecolor=ASSET_COLORS[c], label=_COLUMN_LABELS[c]) for c in assets]
    handles += [Patch(facecolor=LIABILITY_COLORS[c], label=_COLUMN_LABELS[c]) for c in liabilities]
    handles.append(Line2D([], [], color="black", linewidth=2.0, label="Equity (assets − liabilities)"))
    handles += _status_handles(shaded)
    fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)), fontsize=8, frameon=False)
    # one panel (a role of one firm) is too narrow for the title on one line
    fig.suptitle(textwrap.fill("Balance-sheet composition: assets above zero, liabilities below zero",
                               round(_TITLE_CHARS_PER_INCH * 5.2 * ncols)), fontsize=13)
    return fig
