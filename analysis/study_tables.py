"""Tables of a parameter study: metric summaries per scenario, probability grids, fan-chart bands.

Every function takes DataFrames as :func:`analysis.study.load_sweep` returns them and
returns a DataFrame; figures (``analysis.study_figures``) and the report draw on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

#: Metrics a report or comparison shows first, when the runs have them (``{lab}`` is the study's lab).
KEY_METRICS = (
    "systemic_event", "defaults", "total_losses", "fiscal_cost", "rescues", "peak_partner_debt",
    "{lab}_cumulative_burn_2026_2029", "ai_capex_share_gdp_peak", "ai_capex_share_gdp_trough", "ai_market_value_peak_to_trough",
)
#: System series a fan chart shows first, when the time series have them.
KEY_SERIES = ("ai_demand", "partner_debt", "ai_capex_share_gdp", "defaults", "fiscal_cost", "gpu_price_index")


@dataclass(frozen=True)
class MetricInfo:
    """How one metric or system series is named and drawn.

    Attributes:
        label: What it is, in words (``"Defaults"``).
        unit: Its unit: ``$B``, ``$B a year``, ``$B a quarter``, ``count``, ``probability``, ``share``,
            ``year``, ``quarter``, ``bp``, ``rate a year``, an index's base.
        integer: Whether it only takes whole values (counts, years): its percentiles are taken among the
            observed values, never between two of them.
        lower: The smallest value it can take, if any (0 for counts, money written off, shares).
        upper: The largest value it can take, if any (1 for probabilities and shares).
        opening: Whether the opening row (the starting state, ``2025Q4``) holds a value; a flow of the
            quarter (capex) has none, and the 0 stored there is not an observation.
    """

    label: str
    unit: str
    integer: bool = False
    lower: float | None = None
    upper: float | None = None
    opening: bool = True

    @property
    def axis_label(self) -> str:
        """``label (unit)``, for an axis or a colour bar."""
        return f"{self.label} ({self.unit})" if self.unit else self.label

    @property
    def probability(self) -> bool:
        """Whether its values (or their mean over runs) are probabilities, drawn on ``[0, 1]``."""
        return self.unit == "probability"


_COUNT = {"unit": "count", "integer": True, "lower": 0.0}
_MONEY_LOST = {"unit": "$B", "lower": 0.0}
_SHARE_OF_GDP = {"unit": "share", "lower": 0.0, "upper": 1.0}

#: The one description of every metric of a run (``analysis.summary.run_metrics``) and every system
#: series (``system.csv``) a study shows: label, unit, whole numbers or not, bounds. Figures and reports
#: take their labels and axes from here (:func:`metric_info`); ``{lab}`` stands for the study's lab.
METRICS: dict[str, MetricInfo] = {
    # per-run metrics
    "systemic_event": MetricInfo("Systemic event", "probability", lower=0.0, upper=1.0),
    "defaults": MetricInfo("Defaults", **_COUNT),
    "first_default_quarter": MetricInfo("First default", "quarter"),
    "total_losses": MetricInfo("Losses written off", **_MONEY_LOST),
    "lost_backlog": MetricInfo("Lost backlog", **_MONEY_LOST),
    "fiscal_cost": MetricInfo("Fiscal cost of rescues", **_MONEY_LOST),
    "rescues": MetricInfo("Rescues", **_COUNT),
    "peak_partner_debt": MetricInfo("Peak partner debt", "$B", lower=0.0),
    "{lab}_cumulative_burn_2026_2029": MetricInfo("{Lab} cash burn 2026-29", "$B"),
    "{lab}_first_profitable_year": MetricInfo("{Lab} first profitable year", "year", integer=True),
    "ai_capex_share_gdp_peak": MetricInfo("Peak AI capex to GDP", **_SHARE_OF_GDP),
    "ai_capex_share_gdp_trough": MetricInfo("Trough AI capex to GDP", **_SHARE_OF_GDP),
    "ai_market_value_peak_to_trough": MetricInfo("Fall in AI market value, peak to trough", "share of peak",
                                                 lower=0.0, upper=1.0),
    "losses_{channel}": MetricInfo("Losses through {channel}", **_MONEY_LOST),
    # system series, one row per quarter (the starting state first)
    "ai_demand": MetricInfo("AI demand", "$B a year", lower=0.0),
    "gpu_price_index": MetricInfo("GPU price index", "2025Q4 = 1", lower=0.0),
    "resale_factor": MetricInfo("GPU resale factor", "share of full price", lower=0.0, upper=1.0),
    "policy_rate_annual": MetricInfo("Policy rate", "rate a year"),
    "sentiment": MetricInfo("Market sentiment", "index, -1 to 1", lower=-1.0, upper=1.0),
    "partner_debt": MetricInfo("Partner debt", "$B", lower=0.0),
    "openai_partner_debt": MetricInfo("OpenAI partner debt", "$B", lower=0.0),
    "ai_capex": MetricInfo("AI capex", "$B a quarter", lower=0.0, opening=False),
    "ai_capex_share_gdp": MetricInfo("AI capex to GDP", **_SHARE_OF_GDP, opening=False),
    "avg_credit_spread_bp": MetricInfo("Average credit spread", "bp", lower=0.0),
    "firms_cash": MetricInfo("Cash of the modelled firms", "$B", lower=0.0),
    "external_cash": MetricInfo("Cash of the outside world", "$B", lower=0.0),
}
#: How a lab's id is written in a label, where a plain capital would be wrong.
_LAB_NAMES = {"openai": "OpenAI", "xai": "xAI", "deepmind": "DeepMind"}


def metric_info(name: str) -> MetricInfo:
    """The description of a metric or series from :data:`METRICS`; an unknown name gets its own words, no unit.

    Example:
        >>> metric_info("defaults").axis_label
        'Defaults (count)'
        >>> metric_info("openai_cumulative_burn_2026_2029").label
        'OpenAI cash burn 2026-29'
    """
    if name in METRICS:
        return METRICS[name]
    for key, info in METRICS.items():
        if "{" not in key:
            continue
        before, rest = key.split("{", 1)
        field, after = rest.split("}", 1)
        if name.startswith(before) and name.endswith(after) and len(name) > len(before) + len(after):
            word = name[len(before):len(name) - len(after)]
            shown = _LAB_NAMES.get(word, word.replace("_", " ").title()) if field == "lab" else word.replace("_", " ")
            label = info.label.replace("{" + field.capitalize() + "}", shown).replace("{" + field + "}", shown)
            return MetricInfo(label, info.unit, info.integer, info.lower, info.upper, info.opening)
    return MetricInfo(name.replace("_", " ").capitalize(), "")


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

    A series of whole numbers (a count such as ``defaults``: :func:`metric_info` says so, or the column
    holds integers or true/false) gets whole-numbered bands: the percentiles are observed values (the 5th
    the observed value at or below it, the 95th at or above it, the median the nearest), never a fraction of
    a default between two runs. A flow of the quarter with no value in the starting state (``ai_capex``)
    leaves out the first quarter, whose stored 0 is not an observation.

    Returns:
        ``<by...>, quarter, p5, median, p95, n`` in quarter order.
    """
    info = metric_info(column)
    keys = [*(by or []), "quarter"]
    if not info.opening and len(timeseries):
        first = min(timeseries["quarter"].astype(str))
        timeseries = timeseries[timeseries["quarter"].astype(str) != first]
    raw = timeseries[column]
    whole = info.integer or pd.api.types.is_integer_dtype(raw) or pd.api.types.is_bool_dtype(raw)
    values = numeric(raw)
    frame = timeseries[keys].assign(v=values.to_numpy())
    g = frame.groupby(keys, sort=True, dropna=False).v
    if whole:
        low, mid, high = (g.quantile(0.05, interpolation="lower"), g.quantile(0.5, interpolation="nearest"),
                          g.quantile(0.95, interpolation="higher"))
    else:
        low, mid, high = g.quantile(0.05), g.median(), g.quantile(0.95)
    return pd.DataFrame({"p5": low, "median": mid, "p95": high, "n": g.size()}).reset_index()
