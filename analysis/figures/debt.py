"""The build-up of debt, borrower by borrower.

Functions:
    debt_buildup: outstanding debt by borrower, stacked, with the system partner-debt line.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..results import quarter_order
from .style import _PALETTE, _format_quarter_axis, _new_figure
from .tables import _as_str_quarters


def debt_buildup(balance_sheets: pd.DataFrame, system: pd.DataFrame, top: int = 8) -> Figure:
    """Outstanding debt by borrower over time, stacked, with the system partner-debt line.

    Borrowers are ledger holders other than lenders and external parties whose
    debt is positive in some quarter; the ``top`` largest by peak debt are shown
    separately and the rest are summed as "Others".

    Args:
        balance_sheets: The balance-sheets table.
        system: The system table (its ``partner_debt`` column is drawn if present).
        top: How many borrowers to show separately.

    Returns:
        A Figure with a single axes.
    """
    quarters = quarter_order(system)
    quarters += [q for q in quarter_order(balance_sheets) if q not in set(quarters)]
    position = {q: i for i, q in enumerate(quarters)}
    x = np.arange(len(quarters))

    borrowers = _as_str_quarters(
        balance_sheets[~balance_sheets["role"].astype(str).isin(["lender", "external"])]
    )
    debt = (
        borrowers.assign(debt=pd.to_numeric(borrowers["debt"], errors="coerce").fillna(0.0))
        .pivot_table(index="entity", columns="quarter", values="debt", aggfunc="sum", fill_value=0.0)
        .reindex(columns=quarters, fill_value=0.0)
    )
    peak = debt.max(axis=1)
    peak = peak[peak > 0]
    ranked = sorted(peak.index, key=lambda e: (-float(peak[e]), str(e)))
    shown, rest = ranked[:top], ranked[top:]
    names = (
        balance_sheets.drop_duplicates("entity", keep="last").set_index("entity")["name"].astype(str).to_dict()
        if "name" in balance_sheets.columns
        else {}
    )

    series = [debt.loc[e].to_numpy(dtype=float) for e in shown]
    labels = [names.get(e) or str(e) for e in shown]
    colors = [_PALETTE[i % len(_PALETTE)] for i in range(len(shown))]
    if rest:
        series.append(debt.loc[rest].sum(axis=0).to_numpy(dtype=float))
        labels.append(f"Others ({len(rest)})")
        colors.append("#c7c7c7")

    fig = _new_figure(11.0, 5.8)
    ax = fig.add_subplot()
    if series:
        ax.stackplot(x, *series, labels=labels, colors=colors, linewidth=0.3, edgecolor="white")
    else:
        ax.text(0.5, 0.5, "No borrower has debt", transform=ax.transAxes, ha="center", va="center")
    if "partner_debt" in system.columns and len(system):
        sys_rows = _as_str_quarters(system)
        ax.plot(
            [position[q] for q in sys_rows["quarter"]],
            pd.to_numeric(sys_rows["partner_debt"], errors="coerce").to_numpy(dtype=float),
            color="black",
            linewidth=2.2,
            linestyle="--",
            label="System partner debt",
        )
    ax.grid(axis="y", alpha=0.3)
    ax.set_ylabel("Debt outstanding (USD billions)")
    ax.set_title("Debt build-up by borrower (stacked) and system partner debt", fontsize=13)
    _format_quarter_axis(ax, quarters)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False, title="Borrower")
    return fig
