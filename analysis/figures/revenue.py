"""AI labs' revenue against their compute bill.

Functions:
    lab_revenue_vs_compute: each AI lab's quarterly revenue against its compute bill.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..results import quarter_order
from .style import _format_quarter_axis, _grid, _new_figure
from .tables import _check_entities, _entity_frame, _entity_title, _values


def lab_revenue_vs_compute(balance_sheets: pd.DataFrame, labs: Sequence[str] | None = None) -> Figure:
    """Each AI lab's quarterly revenue against its compute cost and net income.

    The gap is shaded red in quarters where compute cost exceeds revenue.

    Args:
        balance_sheets: The balance-sheets table.
        labs: Entity ids to show; by default every entity whose role is ``"lab"``.

    Returns:
        A Figure with one axes per lab.

    Raises:
        ValueError: If there are no labs to show or ``labs`` names an unknown entity.
    """
    if labs is None:
        lab_rows = balance_sheets[balance_sheets["role"].astype(str) == "lab"]
        labs = [str(e) for e in pd.unique(lab_rows["entity"])]
        if not labs:
            raise ValueError("no entities with role 'lab' in balance_sheets")
    _check_entities(balance_sheets, labs)
    quarters = quarter_order(balance_sheets)
    nrows, ncols = _grid(len(labs))
    fig = _new_figure(5.2 * ncols, 3.6 * nrows + 1.0)
    x = np.arange(len(quarters))
    for i, lab in enumerate(labs):
        frame = _entity_frame(balance_sheets, lab, quarters)
        revenue = _values(frame, "revenue")
        compute = _values(frame, "compute_cost")
        ax = fig.add_subplot(nrows, ncols, i + 1)
        ax.fill_between(
            x, revenue, compute, where=compute > revenue, interpolate=True, color="#e15759", alpha=0.2, linewidth=0
        )
        ax.plot(x, revenue, color="#4e79a7", linewidth=2.2, label="Revenue")
        ax.plot(x, compute, color="#e15759", linewidth=2.2, label="Compute cost")
        ax.plot(x, _values(frame, "net_income"), color="black", linewidth=1.5, linestyle="--", label="Net income")
        ax.axhline(0.0, color="#333333", linewidth=0.8)
        ax.grid(axis="y", alpha=0.3)
        ax.set_title(_entity_title(frame, lab), fontsize=11)
        ax.set_ylabel("USD billions per quarter")
        _format_quarter_axis(ax, quarters)
    handles: list[Artist] = [
        Line2D([], [], color="#4e79a7", linewidth=2.2, label="Revenue"),
        Line2D([], [], color="#e15759", linewidth=2.2, label="Compute cost"),
        Line2D([], [], color="black", linewidth=1.5, linestyle="--", label="Net income"),
        Patch(facecolor="#e15759", alpha=0.2, label="Compute cost exceeds revenue"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=4 if ncols > 1 else 2, fontsize=9, frameon=False)
    fig.suptitle("AI labs: quarterly revenue vs compute cost", fontsize=13)
    return fig
