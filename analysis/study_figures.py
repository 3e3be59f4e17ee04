"""Figures of a parameter study, from its tables.

Every function takes DataFrames (from :mod:`analysis.study`, :mod:`analysis.study_tables`
or :mod:`analysis.sensitivity`) and returns a :class:`matplotlib.figure.Figure` on an
Agg canvas that pyplot never sees: nothing is shown, and figures are freed like any
other object. Labels and units come from the one metrics table,
:data:`analysis.study_tables.METRICS`; axes stay within what a metric can be (``[0, 1]``
for a probability), counts are drawn in whole numbers, and titles are wrapped to the
figure's width so that nothing is cut off.

Functions:
    probability_heatmap: a metric's mean (e.g. the probability of a systemic event) over a two-parameter grid.
    fan_chart: median and 5-95% band of system series per quarter, one band per scenario.
    sobol_chart: first-order and total Sobol indices with their confidence intervals.
    morris_chart: Morris mu* against sigma, with mu*'s confidence interval.
    tornado_chart: the outcome at the low and high end of each parameter.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from analysis.sensitivity import noise_warnings
from analysis.study_tables import MetricInfo, fan_bands, metric_info, probability_grid

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
#: Average width of a character as a share of the font size, to wrap titles to the space they have.
_CHAR_WIDTH = 0.58


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _label(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _plain(text: str) -> str:
    """Text as matplotlib shows it literally: a ``$`` (as in ``$B``) would otherwise start mathtext."""
    return text.replace("$", r"\$")


def _wrap(text: str, width_inches: float, fontsize: float) -> str:
    """``text`` broken into lines that fit ``width_inches`` at ``fontsize`` points (existing breaks kept)."""
    chars = max(12, int(width_inches * 72 / (_CHAR_WIDTH * fontsize)))
    return "\n".join(textwrap.fill(line, chars) for line in text.split("\n"))


def _bound_axis(ax: Axes, info: MetricInfo, axis: str = "y") -> None:
    """Keep an axis within what the metric can be: [0, 1] for a probability, never past its bounds; whole ticks for counts."""
    get, put = (ax.get_ylim, ax.set_ylim) if axis == "y" else (ax.get_xlim, ax.set_xlim)
    if info.probability:
        put(0.0, 1.0)
    else:
        lo, hi = get()
        lo = lo if info.lower is None else max(lo, info.lower)
        hi = hi if info.upper is None else min(hi, info.upper)
        if info.integer and hi - lo < 1:  # a count that hardly varies (all runs at 0): still a whole-number axis
            hi = lo + 1
        if hi > lo:
            put(lo, hi)
    if info.integer:
        (ax.yaxis if axis == "y" else ax.xaxis).set_major_locator(MaxNLocator(integer=True))


def probability_heatmap(runs: pd.DataFrame, x: str, y: str, metric: str = "systemic_event", title: str | None = None) -> Figure:
    """A heatmap of a metric's mean over a grid of two parameters, each cell annotated.

    For ``systemic_event`` (true/false) the mean is the probability of a systemic event
    in that cell, pooled over replications and any other parameters; the colour scale of
    a probability or a share is fixed to ``[0, 1]``.
    """
    info = metric_info(metric)
    grid = probability_grid(runs, x, y, metric)
    share = info.probability or (info.lower == 0 and info.upper == 1)
    width = 1.2 + 0.75 * max(4, grid.shape[1])
    fig = _figure(width, 1.2 + 0.55 * max(4, grid.shape[0]))
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
    fig.colorbar(im, ax=ax, label=_wrap(_plain(("mean " if not info.probability else "") + info.axis_label), 3.0, 10))
    what = "Probability of a systemic event" if metric == "systemic_event" else f"Mean {info.label.lower()}"
    ax.set_title(_wrap(_plain(title or f"{what} by {x} and {y}"), width - 1.6, 10), fontsize=10)
    return fig


def fan_chart(timeseries: pd.DataFrame, columns: Sequence[str], by: Sequence[str] = (), title: str | None = None) -> Figure:
    """Median (line) and 5-95% band (shade) of system series per quarter, one colour per group.

    Each panel is titled with the series' label and has its unit on the y axis
    (:func:`analysis.study_tables.metric_info`). Counts (defaults, rescues) are drawn as
    steps between whole numbers, with bands of observed values; a flow of the quarter
    (capex) starts after the opening quarter, which holds no flow; a probability or share
    stays within ``[0, 1]``.

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
    panel_width = 4.6
    fig = _figure(panel_width * ncols, 3.2 * nrows + 0.5)
    quarters = sorted(timeseries["quarter"].astype(str).unique())
    pos = {q: i for i, q in enumerate(quarters)}
    for k, column in enumerate(columns):
        info = metric_info(column)
        ax = fig.add_subplot(nrows, ncols, k + 1)
        bands = fan_bands(timeseries, column, by)
        groups = bands.groupby(by, sort=False) if by else [("all runs", bands)]
        steps = info.integer or bool(len(bands) and np.allclose(bands[["p5", "median", "p95"]].fillna(0) % 1, 0))
        for i, (name, g) in enumerate(groups):
            label = " / ".join(map(_label, name)) if isinstance(name, tuple) else _label(name)
            xs = g["quarter"].astype(str).map(pos).to_numpy()
            color = _COLORS[i % len(_COLORS)]
            ax.fill_between(xs, g["p5"], g["p95"], color=color, alpha=0.18, linewidth=0, step="mid" if steps else None)
            ax.plot(xs, g["median"], color=color, linewidth=1.6, label=label, drawstyle="steps-mid" if steps else "default")
        every = 1 if len(quarters) <= 8 else 4
        ticks = list(range(0, len(quarters), every))
        ax.set_xticks(ticks, [quarters[t] for t in ticks], rotation=45, ha="right", fontsize=8)
        ax.set_xlim(-0.5 if len(quarters) == 1 else 0, max(len(quarters) - 1, 0.5))
        ax.set_title(_wrap(_plain(info.label), panel_width - 0.6, 10), fontsize=10)
        ax.set_ylabel(_wrap(_plain(info.unit or "value"), 2.6, 9), fontsize=9)
        ax.set_xlabel("quarter", fontsize=8)
        ax.grid(alpha=0.3)
        _bound_axis(ax, info)
        if k == 0 and (by or len(columns) == 1):
            ax.legend(fontsize=8)
    fig.suptitle(_wrap(_plain(title or "Median and 5-95% band per quarter"), panel_width * ncols - 0.4, 12), fontsize=12)
    return fig


def sobol_chart(indices: pd.DataFrame, title: str = "Sobol indices", metric: str | None = None) -> Figure:
    """Bars of first-order (S1) and total (ST) Sobol indices per parameter, with confidence intervals.

    The axis shows at least ``[0, 1]`` (a share of variance), and more where an index or its
    interval strays outside, so that estimation noise shows rather than being cut off; a table
    that :func:`analysis.sensitivity.noise_warnings` flags gets a note saying so.

    Args:
        indices: ``parameter, S1, S1_conf, ST, ST_conf``.
        title: Figure title.
        metric: The outcome, for the axis label.
    """
    width = 1.5 + 0.9 * max(4, len(indices))
    fig = _figure(width, 4.0)
    ax = fig.add_subplot()
    x = np.arange(len(indices))
    w = 0.38
    ax.bar(x - w / 2, indices["S1"], w, yerr=indices["S1_conf"], capsize=3, label="first order S1", color=_COLORS[0])
    ax.bar(x + w / 2, indices["ST"], w, yerr=indices["ST_conf"], capsize=3, label="total ST", color=_COLORS[1])
    ax.set_xticks(x, indices["parameter"], rotation=30, ha="right")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axhline(1, color="grey", linewidth=0.8, linestyle="--")
    ends = np.r_[indices["S1"] - indices["S1_conf"], indices["S1"] + indices["S1_conf"],
                 indices["ST"] - indices["ST_conf"], indices["ST"] + indices["ST_conf"]].astype(float)
    ends = ends[np.isfinite(ends)]
    lo, hi = (float(ends.min()), float(ends.max())) if ends.size else (0.0, 1.0)
    ax.set_ylim(min(0.0, lo - 0.05), max(1.05, hi + 0.05))
    ax.set_ylabel("share of the variance" + (f"\nof {_plain(metric_info(metric).label.lower())}" if metric else ""))
    ax.set_xlabel("parameter")
    fig.suptitle(_wrap(_plain(title), width - 0.4, 11), fontsize=11)
    if noise_warnings(indices, advice=False):
        ax.set_title("Not distinguishable from run-to-run noise: see the report", fontsize=9, color=_COLORS[1],
                     fontweight="bold")
    fig.legend(*ax.get_legend_handles_labels(), fontsize=8, loc="outside lower center", ncols=2, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig


def morris_chart(indices: pd.DataFrame, title: str = "Morris screening", metric: str | None = None) -> Figure:
    """Morris mu* (mean absolute effect) against sigma (spread: interactions, non-linearity) per parameter.

    Args:
        indices: ``parameter, mu_star, mu_star_conf, sigma``.
        title: Figure title.
        metric: The outcome, whose unit the effects are in.
    """
    info = metric_info(metric) if metric else MetricInfo("", "")
    unit = f" ({info.unit})" if info.unit else ""
    fig = _figure(5.8, 4.4)
    ax = fig.add_subplot()
    ax.errorbar(indices["mu_star"], indices["sigma"], xerr=indices["mu_star_conf"], fmt="o", color=_COLORS[0], capsize=3)
    for _, row in indices.iterrows():
        ax.annotate(row["parameter"], (row["mu_star"], row["sigma"]), textcoords="offset points", xytext=(5, 4), fontsize=8)
    top = float(np.nanmax(np.r_[indices["mu_star"], indices["sigma"], 1e-12]))
    ax.plot([0, top], [0, top], color="grey", linewidth=0.8, linestyle="--", label="sigma = mu*")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(_wrap(_plain(f"mu*: mean |effect| of a parameter over its whole range{unit}"), 5.0, 10))
    ax.set_ylabel(_plain(f"sigma{unit}"))
    ax.set_title(_wrap(_plain(title), 5.4, 11), fontsize=11)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def tornado_chart(data: pd.DataFrame, metric: str, title: str | None = None) -> Figure:
    """Horizontal bars from the mean outcome at each parameter's low end to its high end, widest on top.

    Each row is labelled with the parameter and its mean value in the lowest and the highest
    fifth; an open dot marks the outcome at the low end, a filled dot at the high end, and red
    bars are outcomes that rise with the parameter. The outcome axis carries the metric's unit
    and stays within what the metric can be (``[0, 1]`` for a probability).

    Args:
        data: :func:`analysis.sensitivity.tornado_data`.
        metric: The outcome.
        title: Figure title.
    """
    info = metric_info(metric)
    width = 7.5
    fig = _figure(width, 1.8 + 0.55 * max(3, len(data)))
    ax = fig.add_subplot()
    rows = data.iloc[::-1]
    y = np.arange(len(rows))
    low, high = rows["low"].to_numpy(dtype=float), rows["high"].to_numpy(dtype=float)
    rising = high > low
    colors = [_COLORS[1] if r else _COLORS[0] for r in rising]
    ax.barh(y, np.abs(high - low), left=np.minimum(low, high), color=colors, alpha=0.75, height=0.6)
    ax.scatter(low, y, s=36, facecolors="white", edgecolors="black", zorder=3, label="lowest fifth of the parameter")
    ax.scatter(high, y, s=36, color="black", zorder=3, label="highest fifth of the parameter")
    if len(data):
        ax.axvline(float(data["base"].iloc[0]), color="black", linewidth=0.8, linestyle="--", label="mean over all runs")
    ax.set_yticks(y, [f"{r['parameter']}\n{r['low_value']:.3g} to {r['high_value']:.3g}" for _, r in rows.iterrows()],
                  fontsize=9)
    ax.set_xlabel(_wrap(_plain(f"{info.axis_label}: mean over the runs in each fifth"), width - 2.0, 10))
    ax.set_ylabel("parameter, with its mean value\nin its lowest and highest fifth", fontsize=9)
    ends = np.r_[low, high]
    ends = ends[np.isfinite(ends)]
    if ends.size and not info.probability:
        lo, hi = float(ends.min()), float(ends.max())
        pad = 0.08 * (hi - lo) or 0.08 * abs(hi) or 1.0
        ax.set_xlim(lo - pad, hi + pad)
    _bound_axis(ax, info, "x")
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.grid(axis="x", alpha=0.3)
    fig.legend(handles=[*ax.get_legend_handles_labels()[0],
                       Line2D([], [], color=_COLORS[1], linewidth=6, alpha=0.75, label="rises with the parameter"),
                       Line2D([], [], color=_COLORS[0], linewidth=6, alpha=0.75, label="falls with the parameter")],
              fontsize=8, loc="outside lower center", ncols=3, frameon=False)
    ax.set_title(_wrap(_plain(title or f"Tornado: {info.label.lower()} with each parameter in its lowest or highest fifth"),
                       width - 0.4, 11), fontsize=11)
    return fig
