"""Tables of a parameter study: metric summaries per scenario, probability grids, fan-chart bands.

Every function takes DataFrames as :func:`analysis.study.load_sweep` returns them and
returns a DataFrame; figures (``analysis.study_figures``) and the report draw on them.
"""

from __future__ import annotations

import pandas as pd

#: Metrics a report or comparison shows first, when the runs have them (``{lab}`` is the study's lab).
KEY_METRICS = (
    "systemic_event", "defaults", "total_losses", "fiscal_cost", "rescues", "peak_partner_debt",
    "{lab}_cumulative_burn_2026_2029", "ai_capex_share_gdp_peak", "ai_capex_share_gdp_trough", "ai_market_value_peak_to_trough",
)
#: System series a fan chart shows first, when the time series have them.
KEY_SERIES = ("ai_demand", "partner_debt", "ai_capex_share_gdp", "defaults", "fiscal_cost", "gpu_price_index")


def key_metrics(runs: pd.DataFrame, lab: str = "openai", wanted: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The metric columns to show: ``wanted`` if given, else :data:`KEY_METRICS` present in ``runs``."""
    names = list(wanted) or [m.format(lab=lab) for m in KEY_METRICS]
    return [m for m in names if m in runs.columns]


def group_columns(runs: pd.DataFrame, manifest: dict, most: int = 8) -> list[str]:
    """The columns that name a scenario: ``scenario`` and parameters with listed values, if they make at most ``most`` groups."""
    cols = ["scenario"] if "scenario" in runs.columns else []
    for name, info in manifest.get("parameters", {}).items():
        if info.get("kind") == "values" and name in runs.columns:
            cols.append(name)
    while cols and runs.groupby(cols, sort=False).ngroups > most:
        cols.pop()
    return cols


def describe_metrics(runs: pd.DataFrame, metrics: list[str], by: list[str] | None = None) -> pd.DataFrame:
    """Median, 5th and 95th percentiles, mean and count of each metric over successful runs, per group.

    True/false metrics (``systemic_event``) are taken as 0/1, so their mean is a probability.

    Returns:
        One row per group and metric: ``<by...>, metric, n, mean, median, p5, p95``.
    """
    ok = runs[runs.status == "ok"] if "status" in runs.columns else runs
    groups = ok.groupby(by, sort=False, dropna=False) if by else [((), ok)]
    rows = []
    for key, frame in groups:
        key = key if isinstance(key, tuple) else (key,)
        for m in metrics:
            values = numeric(frame[m]).dropna()
            row = dict(zip(by or [], key, strict=True))
            row.update(metric=m, n=int(values.size), mean=values.mean(), median=values.median(),
                       p5=values.quantile(0.05), p95=values.quantile(0.95))
            rows.append(row)
    return pd.DataFrame(rows, columns=[*(by or []), "metric", "n", "mean", "median", "p5", "p95"])


def numeric(series: pd.Series) -> pd.Series:
    """A metric column as floats (true/false as 1/0, gaps and text as NaN)."""
    if series.dtype == "boolean" or series.dtype == bool:
        return series.astype("Float64").astype(float)
    return pd.to_numeric(series, errors="coerce").astype(float)


def probability_grid(runs: pd.DataFrame, x: str, y: str, metric: str = "systemic_event") -> pd.DataFrame:
    """Mean of a metric (for ``systemic_event``, its probability) over successful runs, per ``(y, x)`` cell.

    Runs at every other parameter value and every replication are pooled in their cell.

    Returns:
        A table with ``y`` values as the index and ``x`` values as the columns, both sorted.
    """
    ok = runs[runs.status == "ok"] if "status" in runs.columns else runs
    frame = pd.DataFrame({x: ok[x].to_numpy(), y: ok[y].to_numpy(), "v": numeric(ok[metric]).to_numpy()})
    return frame.pivot_table(index=y, columns=x, values="v", aggfunc="mean", sort=True)


def comparison_table(described: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Side by side: one row per metric, one column per group, cells ``median [p5, p95]`` (probabilities as %).

    Args:
        described: The output of :func:`describe_metrics`.
        by: Its group columns.
    """
    described = described.copy()
    described["group"] = described[by].astype(str).agg(" / ".join, axis=1) if by else "all runs"
    cells = {}
    for (metric, group), row in described.set_index(["metric", "group"]).iterrows():
        cells.setdefault(metric, {})[group] = _cell(metric, row)
    return pd.DataFrame.from_dict(cells, orient="index")[list(dict.fromkeys(described["group"]))]


def _cell(metric: str, row: pd.Series) -> str:
    if row.n == 0:
        return "-"
    if metric == "systemic_event" or metric.startswith("p_"):
        return f"{row['mean']:.0%}"
    return f"{_num(row['median'])} [{_num(row['p5'])}, {_num(row['p95'])}]"


def _num(v: float) -> str:
    if pd.isna(v):
        return "-"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.3g}"


def fan_bands(timeseries: pd.DataFrame, column: str, by: list[str] | None = None) -> pd.DataFrame:
    """Median and 5-95% band of one system series per quarter (and group).

    Returns:
        ``<by...>, quarter, p5, median, p95, n`` in quarter order.
    """
    keys = [*(by or []), "quarter"]
    values = numeric(timeseries[column])
    frame = timeseries[keys].assign(v=values.to_numpy())
    g = frame.groupby(keys, sort=True, dropna=False).v
    out = pd.DataFrame({"p5": g.quantile(0.05), "median": g.median(), "p95": g.quantile(0.95), "n": g.size()}).reset_index()
    return out
