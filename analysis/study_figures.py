"""Figures of a parameter study, from its tables.

Every function takes DataFrames (from :mod:`analysis.study`, :mod:`analysis.study_tables`
or :mod:`analysis.sensitivity`) and returns a :class:`matplotlib.figure.Figure` on an
Agg canvas that pyplot never sees: nothing is shown, and figures are freed like any
other object.

Functions:
    probability_heatmap: a metric's mean (e.g. the probability of a systemic event) over a two-parameter grid.
    fan_chart: median and 5-95% band of system series per quarter, one band per scenario.
    sobol_chart: first-order and total Sobol indices with their confidence intervals.
    morris_chart: Morris mu* against sigma, with mu*'s confidence interval.
    tornado_chart: the outcome at the low and high end of each parameter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analysis.study_tables import fan_bands, probability_grid

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _label(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def probability_heatmap(runs: pd.DataFrame, x: str, y: str, metric: str = "systemic_event", title: str | None = None) -> Figure:
    """A heatmap of a metric's mean over a grid of two parameters, each cell annotated.

    For ``systemic_event`` (true/false) the mean is the probability of a systemic event
    in that cell, pooled over replications and any other parameters.
    """
    grid = probability_grid(runs, x, y, metric)
    share = metric == "systemic_event" or (grid.min().min() >= 0 and grid.max().max() <= 1)
    fig = _figure(1.2 + 0.75 * max(4, grid.shape[1]), 1.2 + 0.55 * max(4, grid.shape[0]))
    ax = fig.add_subplot()
    im = ax.imshow(grid.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="Reds",
                   vmin=0 if share else None, vmax=1 if share else None)
    ax.set_xticks(range(grid.shape[1]), [_label(v) for v in grid.columns], rotation=45, ha="right")
    ax.set_yticks(range(grid.shape[0]), [_label(v) for v in grid.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    values = grid.to_numpy(dtype=float)
    top = np.nanmax(values) if np.isfinite(values).any() else 1.0
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            text = f"{v:.0%}" if share else f"{v:.3g}"
            dark = v > 0.6 * (1 if share else top)
            ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if dark else "black")
    fig.colorbar(im, ax=ax, label=("P(" + metric + ")") if metric == "systemic_event" else metric)
    ax.set_title(title or (f"P(systemic event)\nby {x} and {y}" if metric == "systemic_event" else f"{metric}\nby {x} and {y}"),
                 fontsize=10)
    return fig


def fan_chart(timeseries: pd.DataFrame, columns: Sequence[str], by: Sequence[str] = (), title: str | None = None) -> Figure:
    """Median (line) and 5-95% band (shade) of system series per quarter, one colour per group.

    Args:
        timeseries: Stored system rows (``load_sweep(dir, "timeseries")``).
        columns: The series, one panel each.
        by: Columns naming the groups (e.g. ``scenario``); empty for all runs together.
        title: Figure title.
    """
    by = list(by)
    n = len(columns)
    ncols = 1 if n == 1 else 2 if n in (2, 4) else 3
    nrows = math.ceil(n / ncols)
    fig = _figure(4.6 * ncols, 3.0 * nrows + 0.4)
    quarters = sorted(timeseries["quarter"].astype(str).unique())
    pos = {q: i for i, q in enumerate(quarters)}
    for k, column in enumerate(columns):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        bands = fan_bands(timeseries, column, by)
        groups = bands.groupby(by, sort=False) if by else [("all runs", bands)]
        for i, (name, g) in enumerate(groups):
            label = " / ".join(map(_label, name)) if isinstance(name, tuple) else _label(name)
            xs = g["quarter"].astype(str).map(pos).to_numpy()
            color = _COLORS[i % len(_COLORS)]
            ax.fill_between(xs, g["p5"], g["p95"], color=color, alpha=0.18, linewidth=0)
            ax.plot(xs, g["median"], color=color, linewidth=1.6, label=label)
        ticks = list(range(0, len(quarters), 4))
        ax.set_xticks(ticks, [quarters[t] for t in ticks], rotation=45, ha="right", fontsize=8)
        ax.set_title(column, fontsize=10)
        ax.grid(alpha=0.3)
        if k == 0 and (by or len(columns) == 1):
            ax.legend(fontsize=8)
    fig.suptitle(title or "Median and 5-95% band per quarter")
    return fig


def sobol_chart(indices: pd.DataFrame, title: str = "Sobol indices") -> Figure:
    """Bars of first-order (S1) and total (ST) Sobol indices per parameter, with confidence intervals."""
    fig = _figure(1.5 + 0.9 * max(3, len(indices)), 3.6)
    ax = fig.add_subplot()
    x = np.arange(len(indices))
    w = 0.38
    ax.bar(x - w / 2, indices["S1"], w, yerr=indices["S1_conf"], capsize=3, label="first order S1", color=_COLORS[0])
    ax.bar(x + w / 2, indices["ST"], w, yerr=indices["ST_conf"], capsize=3, label="total ST", color=_COLORS[1])
    ax.set_xticks(x, indices["parameter"], rotation=30, ha="right")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("share of variance")
    ax.set_title(title)
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    return fig


def morris_chart(indices: pd.DataFrame, title: str = "Morris screening") -> Figure:
    """Morris mu* (mean absolute effect) against sigma (spread: interactions, non-linearity) per parameter."""
    fig = _figure(5.5, 4.2)
    ax = fig.add_subplot()
    ax.errorbar(indices["mu_star"], indices["sigma"], xerr=indices["mu_star_conf"], fmt="o", color=_COLORS[0], capsize=3)
    for _, row in indices.iterrows():
        ax.annotate(row["parameter"], (row["mu_star"], row["sigma"]), textcoords="offset points", xytext=(5, 4), fontsize=8)
    top = float(np.nanmax(np.r_[indices["mu_star"], indices["sigma"], 1e-12]))
    ax.plot([0, top], [0, top], color="grey", linewidth=0.8, linestyle="--", label="sigma = mu*")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("mu* (mean |elementary effect| over the whole range)")
    ax.set_ylabel("sigma")
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def tornado_chart(data: pd.DataFrame, metric: str, title: str | None = None) -> Figure:
    """Horizontal bars from the mean outcome at each parameter's low end to its high end, widest on top."""
    fig = _figure(6.5, 1.2 + 0.45 * max(3, len(data)))
    ax = fig.add_subplot()
    rows = data.iloc[::-1]
    y = np.arange(len(rows))
    left = np.minimum(rows["low"], rows["high"])
    width = np.abs(rows["high"] - rows["low"])
    colors = [_COLORS[1] if h > lo else _COLORS[0] for lo, h in zip(rows["low"], rows["high"], strict=True)]
    ax.barh(y, width, left=left, color=colors, alpha=0.8)
    for yi, (_, r) in zip(y, rows.iterrows(), strict=True):
        rising = r["low"] <= r["high"]
        ax.text(r["low"], yi, f" low {_label(r['low_value'])} ", ha="right" if rising else "left", va="center", fontsize=7)
        ax.text(r["high"], yi, f" high {_label(r['high_value'])} ", ha="left" if rising else "right", va="center", fontsize=7)
    if len(data):
        ax.axvline(float(data["base"].iloc[0]), color="black", linewidth=0.8, label="mean over all runs")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_yticks(y, rows["parameter"])
    ax.set_xlabel(f"mean {metric} (red: rises with the parameter)")
    ax.set_title(title or f"Tornado: {metric} at each parameter's lowest and highest fifth")
    ends = np.r_[data["low"], data["high"]].astype(float)
    ends = ends[np.isfinite(ends)]
    if ends.size:  # room for the end labels on both sides (bars stick to 0, so margins alone would not do)
        lo, hi = ends.min(), ends.max()
        pad = 0.35 * (hi - lo) or 1.0
        ax.set_xlim(lo - pad, hi + pad)
    return fig
