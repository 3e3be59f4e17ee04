"""Tests for the figures of a parameter study, the metrics table they label from, and noise warnings on Sobol indices.

Covers analysis.study_figures, analysis.study_tables.METRICS / metric_info / fan_bands and
analysis.sensitivity.noise_warnings / noise_advice.

Hand-made tables only; nothing is written and no model is run. Figures are checked by what they say and
where their text sits (renderer bounding boxes), not pixel by pixel.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.text import Text

from analysis.sensitivity import noise_advice, noise_warnings, tornado_data
from analysis.study_figures import fan_chart, morris_chart, probability_heatmap, sobol_chart, tornado_chart
from analysis.study_tables import KEY_METRICS, KEY_SERIES, METRICS, fan_bands, metric_info

QUARTERS = ["2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4", "2027Q1", "2027Q2", "2027Q3", "2027Q4"]
PARAMETERS = ["demand_growth", "gpu_decline", "hardware_life", "rate_shift", "spread_factor", "sentiment_memory"]


def _timeseries(runs: int = 40) -> pd.DataFrame:
    """System rows of ``runs`` runs in two scenarios: whole-number counts, a capex flow stored as 0 at the start."""
    rng = np.random.default_rng(5)
    rows = []
    for r in range(runs):
        defaults = 0
        for i, q in enumerate(QUARTERS):
            defaults += int(rng.random() < 0.15)
            rows.append({"run_id": r, "scenario": "steady" if r % 2 else "bust", "quarter": q, "defaults": defaults,
                         "rescues": int(rng.random() < 0.1), "ai_demand": 40.0 * 1.05 ** i * (1 + 0.1 * rng.random()),
                         "ai_capex": 0.0 if i == 0 else 150.0 + 10 * i + 20 * rng.random(),
                         "ai_capex_share_gdp": 0.0 if i == 0 else 0.02 + 0.002 * i * rng.random(),
                         "sentiment": float(np.clip(rng.normal(0, 0.6), -1, 1))})
    return pd.DataFrame(rows)


def _runs(n: int = 500) -> pd.DataFrame:
    """Runs over six parameters where demand growth drives the probability of a systemic event from about 0.02 to 0.98."""
    rng = np.random.default_rng(9)
    frame = pd.DataFrame({p: rng.random(n) for p in PARAMETERS}).assign(status="ok")
    p_event = np.clip(frame.demand_growth * 1.2 - 0.1, 0.0, 1.0)
    frame["systemic_event"] = rng.random(n) < p_event
    frame["total_losses"] = 300 * frame.demand_growth + 40 * frame.spread_factor + rng.normal(0, 10, n)
    frame["defaults"] = rng.poisson(3 * frame.demand_growth)
    return frame


def _noisy() -> pd.DataFrame:
    """Sobol indices as sobol_main gave them: every S1 inside its interval around 0, totals about 1 and above."""
    return pd.DataFrame({"parameter": PARAMETERS, "S1": [0.05, -0.02, 0.01, 0.03, 0.0, -0.04], "S1_conf": 0.15,
                         "ST": [1.12, 0.95, 1.02, 0.9, 1.08, 0.97], "ST_conf": 0.2})


def _clean() -> pd.DataFrame:
    """Sobol indices of a well-estimated model (Ishigami-like): clear first-order effects, ST >= S1, all within [0, 1]."""
    return pd.DataFrame({"parameter": PARAMETERS, "S1": [0.31, 0.44, 0.0, 0.08, 0.02, 0.0],
                         "S1_conf": [0.03, 0.03, 0.02, 0.02, 0.02, 0.01],
                         "ST": [0.56, 0.44, 0.24, 0.09, 0.03, 0.0], "ST_conf": [0.03, 0.03, 0.02, 0.02, 0.02, 0.01]})


def _drawn_texts(fig: Figure) -> list[Text]:
    """Every non-empty text the figure draws: titles, labels, legends, notes, and the tick labels inside the view."""
    fig.draw_without_rendering()
    ticks: set[int] = set()
    shown: list[Text] = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            span = (hi - lo) or 1.0
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                ticks.update({id(tick.label1), id(tick.label2)})
                if lo - 1e-9 * span <= tick.get_loc() <= hi + 1e-9 * span:
                    shown += [t for t in (tick.label1, tick.label2) if t.get_visible()]
    shown += [t for t in fig.findobj(Text) if id(t) not in ticks and t.get_visible()]
    return [t for t in shown if t.get_text().strip()]


def _outside(fig: Figure) -> list[str]:
    """The texts whose extent reaches outside the figure (cut off in the saved image)."""
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    out = []
    for text in _drawn_texts(fig):
        bb = text.get_window_extent(renderer)
        if bb.x0 < box.x0 - 0.5 or bb.y0 < box.y0 - 0.5 or bb.x1 > box.x1 + 0.5 or bb.y1 > box.y1 + 0.5:
            out.append(text.get_text())
    return out


def _texts(fig: Figure) -> str:
    return " | ".join(t.get_text() for t in _drawn_texts(fig))


# ----------------------------------------------------------------------------- the metrics table


def test_every_key_metric_and_series_has_a_label_and_a_unit() -> None:
    """Each metric a report shows first and each series a fan chart shows has words and a unit in the one table."""
    for name in [m.format(lab="openai") for m in KEY_METRICS] + list(KEY_SERIES):
        info = metric_info(name)
        assert info.label and info.unit, name
        assert info.label != name
    assert metric_info("defaults").axis_label == "Defaults (count)" and metric_info("defaults").integer
    assert metric_info("total_losses").unit == "$B"
    assert metric_info("systemic_event").probability
    assert metric_info("first_default_quarter").unit == "quarter"


def test_metric_info_fills_in_the_lab_and_the_channel() -> None:
    """Per-lab and per-channel metrics get the lab's and the channel's name; unknown names get their own words."""
    assert metric_info("openai_cumulative_burn_2026_2029").label == "OpenAI cash burn 2026-29"
    assert metric_info("anthropic_first_profitable_year").axis_label == "Anthropic first profitable year (year)"
    assert metric_info("losses_collateral").label == "Losses through collateral"
    assert metric_info("my_metric").label == "My metric" and metric_info("my_metric").unit == ""
    assert all("{" not in key or "}" in key for key in METRICS)


# ----------------------------------------------------------------------------- fan charts


def test_fan_bands_of_counts_are_whole_numbers() -> None:
    """The percentiles of defaults and rescues are observed whole numbers, never a fraction of a default."""
    ts = _timeseries()
    for column in ("defaults", "rescues"):
        bands = fan_bands(ts, column, ["scenario"])
        values = bands[["p5", "median", "p95"]].to_numpy()
        assert np.array_equal(values, np.round(values)), column
        assert (bands.p5 <= bands["median"]).all() and (bands["median"] <= bands.p95).all()


def test_fan_bands_of_two_runs_do_not_split_a_default() -> None:
    """With runs at 0 and 1 defaults, the median is one of them, not 0.5, and the band spans both."""
    ts = pd.DataFrame({"run_id": [0, 1], "quarter": ["2026Q1"] * 2, "defaults": [0, 1]})
    row = fan_bands(ts, "defaults").iloc[0]
    assert row["median"] in (0, 1) and row.p5 == 0 and row.p95 == 1


def test_fan_bands_of_a_flow_leave_out_the_opening_quarter() -> None:
    """Capex stored as 0 in the starting state is not an observation: its bands start one quarter later."""
    bands = fan_bands(_timeseries(), "ai_capex")
    assert bands.quarter.iloc[0] == "2026Q1" and (bands.p5 > 0).all()
    assert fan_bands(_timeseries(), "ai_demand").quarter.iloc[0] == "2025Q4"


def test_fan_chart_panels_have_labels_units_and_bounded_axes() -> None:
    """Panels are titled in words, carry their unit on the y axis, and shares stay in [0, 1]."""
    columns = ["ai_demand", "ai_capex_share_gdp", "defaults", "sentiment"]
    fig = fan_chart(_timeseries(), columns, ["scenario"])
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["AI demand", "AI capex to GDP", "Defaults", "Market sentiment"]
    assert [ax.get_ylabel() for ax in axes] == [r"\$B a year", "share", "count", "index, -1 to 1"]
    share, count, sentiment = axes[1], axes[2], axes[3]
    assert 0 <= share.get_ylim()[0] and share.get_ylim()[1] <= 1
    assert count.get_ylim()[0] >= 0
    assert -1 <= sentiment.get_ylim()[0] and sentiment.get_ylim()[1] <= 1
    assert all(float(t).is_integer() for t in count.get_yticks() if count.get_ylim()[0] <= t <= count.get_ylim()[1])
    assert _outside(fig) == []


def test_fan_chart_draws_no_zero_at_the_opening_quarter_of_a_flow() -> None:
    """The capex line starts at the second quarter (position 1), not at a stored 0 in the first."""
    fig = fan_chart(_timeseries(), ["ai_capex"])
    line = fig.axes[0].get_lines()[0]
    assert line.get_xdata()[0] == 1 and min(line.get_ydata()) > 0


def test_fan_chart_draws_counts_as_steps_of_whole_numbers() -> None:
    """A count's median is a step line through whole numbers."""
    fig = fan_chart(_timeseries(), ["defaults"], ["scenario"])
    for line in fig.axes[0].get_lines():
        assert line.get_drawstyle() == "steps-mid"
        ys = np.asarray(line.get_ydata(), dtype=float)
        assert np.array_equal(ys, np.round(ys))


# ----------------------------------------------------------------------------- tornado and heatmap


def test_tornado_of_a_probability_stays_in_zero_one_and_says_its_unit() -> None:
    """The systemic-event tornado's axis is [0, 1], labelled as a probability, titled in words, all text inside."""
    fig = tornado_chart(tornado_data(_runs(), PARAMETERS, "systemic_event"), "systemic_event")
    ax = fig.axes[0]
    assert ax.get_xlim() == (0.0, 1.0)
    assert "Systemic event (probability)" in ax.get_xlabel()
    assert ax.get_title().startswith("Tornado: systemic event")
    assert "systemic_event" not in _texts(fig)
    assert _outside(fig) == []


def test_tornado_of_money_has_its_unit_and_never_clips_the_title() -> None:
    """A long title on a $B metric wraps inside the figure; tick labels name each parameter with its tail values."""
    data = tornado_data(_runs(), PARAMETERS, "total_losses")
    title = "Tornado: losses written off by others in every run of the study, at each parameter's lowest and highest fifth"
    fig = tornado_chart(data, "total_losses", title=title)
    ax = fig.axes[0]
    assert r"Losses written off (\$B)" in ax.get_xlabel()
    assert " ".join(ax.get_title().split()) == title
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1].startswith("demand_growth\n")  # the widest swing on top
    assert ax.get_ylabel().startswith("parameter, with its mean value")
    assert _outside(fig) == []


def test_tornado_of_counts_has_whole_ticks_and_no_negative_axis() -> None:
    """Defaults cannot be negative: the axis starts at 0 or above."""
    fig = tornado_chart(tornado_data(_runs(), PARAMETERS, "defaults"), "defaults")
    assert fig.axes[0].get_xlim()[0] >= 0
    assert "Defaults (count)" in fig.axes[0].get_xlabel()


def test_heatmap_of_a_probability_is_on_zero_one_with_a_worded_scale() -> None:
    """The colour bar of P(systemic event) runs from 0 to 1 and says what it is."""
    runs = _runs().assign(x=lambda f: (f.demand_growth * 3).round(), y=lambda f: (f.spread_factor * 2).round())
    fig = probability_heatmap(runs, "x", "y")
    image = fig.axes[0].get_images()[0]
    assert image.get_clim() == (0.0, 1.0)
    assert fig.axes[1].get_ylabel() == "Systemic event (probability)"
    assert fig.axes[0].get_title().startswith("Probability of a systemic event")
    assert _outside(fig) == []


# ----------------------------------------------------------------------------- Sobol and Morris


def test_sobol_chart_shows_zero_to_one_and_flags_noise() -> None:
    """The axis covers [0, 1] and the noisy estimates beyond it; a noisy table says so on the figure, a clean one does not."""
    noisy = sobol_chart(_noisy(), "Sobol indices: losses written off", metric="total_losses")
    lo, hi = noisy.axes[0].get_ylim()
    assert lo <= 0 and hi >= 1.12 + 0.2
    assert "run-to-run noise" in _texts(noisy)
    assert "share of the variance" in noisy.axes[0].get_ylabel()
    assert _outside(noisy) == []
    clean = sobol_chart(_clean(), "Sobol indices: losses written off", metric="total_losses")
    assert clean.axes[0].get_ylim()[0] <= 0 and clean.axes[0].get_ylim()[1] >= 1
    assert "noise" not in _texts(clean)
    assert _outside(clean) == []


def test_morris_chart_carries_the_metric_unit() -> None:
    """mu* and sigma are in the outcome's unit."""
    morris = pd.DataFrame({"parameter": PARAMETERS[:3], "mu": [1, 2, 0], "mu_star": [1.0, 2.0, 0.0], "mu_star_conf": 0.1,
                           "sigma": [0.5, 0.0, 0.0]})
    fig = morris_chart(morris, "Morris screening: losses written off", metric="total_losses")
    assert r"(\$B)" in fig.axes[0].get_xlabel() and r"(\$B)" in fig.axes[0].get_ylabel()
    assert _outside(fig) == []


# ----------------------------------------------------------------------------- noise warnings


def test_noise_warnings_flag_a_noise_dominated_sobol_table() -> None:
    """Every S1 inside its interval around 0 and totals above 1 are named, then the advice to use common seeds."""
    found = noise_warnings(_noisy(), seeds="per_run", replications=1)
    text = " ".join(found)
    assert "No first-order index is distinguishable from 0" in found[0]
    assert "Total index above 1" in text and "demand_growth (1.12)" in text and "spread_factor (1.08)" in text
    assert "`seeds: common`" in found[-1] and "`replications:`" in found[-1]
    assert noise_warnings(_noisy(), advice=False) == found[:-1]


def test_noise_warnings_flag_impossible_shares_of_variance() -> None:
    """S1 adding up past 1, ST below S1 and a clearly negative S1 are each reported, beyond the tolerance only."""
    table = pd.DataFrame({"parameter": ["a", "b", "c"], "S1": [0.7, 0.5, -0.2], "S1_conf": 0.05,
                          "ST": [0.72, 0.3, 0.1], "ST_conf": 0.05})
    assert "add up to" not in " ".join(noise_warnings(table, advice=False))  # 0.7 + 0.5 - 0.2 = 1.0: within the bound
    table.loc[2, "S1"] = -0.1
    text = " ".join(noise_warnings(table, advice=False))
    assert "add up to 1.10" in text
    assert "b (ST 0.30 < S1 0.50)" in text and "a (ST" not in text
    assert "Negative first-order index" in text and "c (-0.10)" in text


def test_noise_warnings_are_silent_on_a_clean_table_and_on_a_constant_outcome() -> None:
    """Clear effects within the bounds give no warning; an outcome that never varies (all NaN) gives none either."""
    assert noise_warnings(_clean()) == []
    nan = _clean().assign(S1=np.nan, S1_conf=np.nan, ST=np.nan, ST_conf=np.nan)
    assert noise_warnings(nan) == []


def test_noise_advice_fits_the_study() -> None:
    """A study on independent seeds is told to use common seeds; one already on common seeds to add replications."""
    assert "`seeds: common`" in noise_advice("per_run", 1) and "to 4 or more" in noise_advice("per_run", 1)
    common = noise_advice("common", 4)
    assert common.startswith("Raise `replications:` (now 4) to 16") and "already uses common random numbers" in common


def test_fan_chart_of_a_count_that_never_moves_still_has_whole_ticks() -> None:
    """Defaults at 0 in every run: the axis runs 0 to 1 with whole ticks, not 0.006 steps."""
    ts = _timeseries().assign(defaults=0)
    ax = fan_chart(ts, ["defaults"]).axes[0]
    assert ax.get_ylim() == (0.0, 1.0)
    assert [float(t) for t in ax.get_yticks() if 0 <= t <= 1] == [0.0, 1.0]
