"""Sensitivity of a study's outcomes to its parameters: Sobol indices, Morris screening, tornado data.

Sobol indices and Morris measures are computed by SALib from the design exactly as
SALib made it (``economy.sweep.sampling`` keeps the unit-cube positions). With
replications, each design point's outcome is the mean over its replications, so the
indices describe the expected outcome; the model's own randomness then shows up as
noise in the confidence intervals, not as a parameter. A design point whose runs all
failed leaves a hole that Saltelli's and Morris's schemes cannot skip, and is reported.

The tornado needs no special design: for each parameter it compares the mean outcome
of the runs in the lowest and the highest fifth of that parameter's values (all other
parameters varying as sampled), so it works on any random, Latin, Sobol or grid study.

With one run per point and independent seeds, the model's own randomness can swamp the
parameters in Sobol indices (every S1 inside its interval around 0, totals above 1) while a
tornado of the same runs, which averages hundreds of runs per tail, still shows clear effects.
:func:`noise_warnings` says when a table of indices looks like that, and what to change in the
spec (``seeds: common``, more ``replications``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.study import parameter_names
from analysis.study_tables import numeric

#: Bootstrap resamples for the confidence intervals.
RESAMPLES = 1000
#: How far Sobol indices may stray past what a share of variance can be (ST above 1, the S1 sum above 1,
#: ST below S1) before :func:`noise_warnings` takes it for estimation noise rather than rounding.
NOISE_TOLERANCE = 0.05


def _problem(names: Sequence[str]) -> dict:
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def sobol_indices(y: np.ndarray, names: Sequence[str], second_order: bool = False, conf_level: float = 0.95,
                  seed: int = 0) -> pd.DataFrame:
    """First-order and total Sobol indices with bootstrap confidence intervals (SALib).

    Args:
        y: Outcomes at the points of a Saltelli design, in the order SALib made them.
        names: Parameter names, in the design's column order.
        second_order: Whether the design was made with second-order points.
        conf_level: Confidence level of the intervals.
        seed: Seed of the bootstrap.

    Returns:
        ``parameter, S1, S1_conf, ST, ST_conf`` (``*_conf``: half-width of the interval).
        All NaN when the outcome does not vary.
    """
    from SALib.analyze import sobol

    y = np.asarray(y, dtype=float)
    if not np.nanvar(y) > 0:
        nan = [np.nan] * len(names)
        return pd.DataFrame({"parameter": list(names), "S1": nan, "S1_conf": nan, "ST": nan, "ST_conf": nan})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = sobol.analyze(_problem(names), y, calc_second_order=second_order, num_resamples=RESAMPLES,
                            conf_level=conf_level, seed=seed)
    return pd.DataFrame({"parameter": list(names), "S1": res["S1"], "S1_conf": res["S1_conf"],
                         "ST": res["ST"], "ST_conf": res["ST_conf"]})


def noise_warnings(indices: pd.DataFrame, tolerance: float = NOISE_TOLERANCE, seeds: str | None = None,
                   replications: int | None = None, advice: bool = True) -> list[str]:
    """Why a table of Sobol indices cannot be told apart from run-to-run noise, one sentence per sign; empty if none.

    A share of variance lies in ``[0, 1]``, first-order shares add up to at most 1, and a
    parameter's total index is at least its first-order one. An estimate that breaks these by
    more than ``tolerance``, or a table where no first-order index is distinguishable from 0,
    comes from the Saltelli estimators' noise, not from the model's parameters. The signs:

    - every S1's confidence interval contains 0 (``|S1| <= S1_conf``);
    - an ST above ``1 + tolerance``;
    - S1 summing to more than ``1 + tolerance``;
    - an ST below its S1 by more than ``tolerance``;
    - an S1 below ``-tolerance`` with its interval below 0 as well.

    A pure function of the table, for any report (Markdown, HTML) to call.

    Args:
        indices: ``parameter, S1, S1_conf, ST, ST_conf`` as :func:`sobol_indices` returns them.
        tolerance: Slack on the bounds above.
        seeds: The study's ``seeds:`` rule, to tailor the advice (``per_run``, ``common``, ``replication``).
        replications: The study's ``replications:``, to tailor the advice.
        advice: Whether to end a non-empty list with :func:`noise_advice`.

    Returns:
        Sentences naming the parameters and values concerned; the advice last. Empty for a clean
        table, and for one of NaN (an outcome that never varies, which has nothing to apportion).

    Example:
        >>> noisy = pd.DataFrame({"parameter": ["a", "b"], "S1": [0.02, -0.03], "S1_conf": [0.2, 0.2],
        ...                       "ST": [1.1, 0.9], "ST_conf": [0.3, 0.3]})
        >>> len(noise_warnings(noisy, advice=False))
        2
        >>> clean = noisy.assign(S1=[0.6, 0.3], S1_conf=0.05, ST=[0.65, 0.35], ST_conf=0.05)
        >>> noise_warnings(clean)
        []
    """
    table = indices.dropna(subset=["S1", "ST"])
    if table.empty:
        return []
    names = table["parameter"].astype(str).to_numpy()
    s1, st = table["S1"].to_numpy(dtype=float), table["ST"].to_numpy(dtype=float)
    s1_conf = table["S1_conf"].fillna(np.inf).to_numpy(dtype=float)

    def listed(mask: np.ndarray, values: np.ndarray) -> str:
        return ", ".join(f"{n} ({v:.2f})" for n, v in zip(names[mask], values[mask], strict=True))

    found = []
    if (np.abs(s1) <= s1_conf).all():
        found.append("No first-order index is distinguishable from 0: every S1 lies within its confidence interval "
                     f"of 0 (largest S1 {s1.max():.2f}, narrowest interval +/-{s1_conf.min():.2f}); in a stochastic "
                     "model this is most likely run-to-run noise rather than an outcome made of interactions alone.")
    above = st > 1 + tolerance
    if above.any():
        found.append(f"Total index above 1, more than all of the variance: {listed(above, st)}.")
    if s1.sum() > 1 + tolerance:
        found.append(f"The first-order indices add up to {s1.sum():.2f}, more than all of the variance.")
    below = st < s1 - tolerance
    if below.any():
        found.append("Total index below the first-order one: "
                     + ", ".join(f"{n} (ST {t:.2f} < S1 {f:.2f})"
                                 for n, t, f in zip(names[below], st[below], s1[below], strict=True)) + ".")
    negative = (s1 < -tolerance) & (s1 + s1_conf < 0)
    if negative.any():
        found.append(f"Negative first-order index, a negative share of variance: {listed(negative, s1)}.")
    if found and advice:
        found.append(noise_advice(seeds, replications))
    return found


def noise_advice(seeds: str | None = None, replications: int | None = None) -> str:
    """What to change in a Sobol study's spec when its indices are lost in the run-to-run noise.

    Args:
        seeds: The study's ``seeds:`` rule, if known.
        replications: The study's ``replications:``, if known.

    Example:
        >>> noise_advice("common", 4).startswith("Raise `replications:`")
        True
    """
    more = max(4, 4 * (replications or 1))
    reps = (f"raise `replications:` (now {replications}) to {more} or more" if replications
            else f"raise `replications:` to {more} or more")
    why = ("each design point's outcome is the mean of its replications, so the noise's share of the variance "
           "falls with their number")
    if seeds == "common":
        return (f"{reps[0].upper() + reps[1:]} ({why}); the study already uses common random numbers (`seeds: common`). "
                "Then run the sweep again into a new folder.")
    return ("Use common random numbers and more replications: set `seeds: common` in the spec, so that replication r "
            "of every design point runs on the same seed (economy/sweep/seeds.py) and the points differ by their "
            f"parameters rather than by their shocks, and {reps} ({why}). Then run the sweep again into a new folder.")


def morris_indices(x_unit: np.ndarray, y: np.ndarray, names: Sequence[str], levels: int = 4, conf_level: float = 0.95,
                   seed: int = 0) -> pd.DataFrame:
    """Morris elementary-effect measures (SALib) on a unit-cube Morris design.

    Effects are per unit of a parameter's position in ``[0, 1]`` (its whole range), so
    parameters measured in different units compare directly.

    Returns:
        ``parameter, mu, mu_star, mu_star_conf, sigma``, by decreasing ``mu_star``.
    """
    from SALib.analyze import morris

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = morris.analyze(_problem(names), np.asarray(x_unit, dtype=float), np.asarray(y, dtype=float),
                             num_resamples=RESAMPLES, conf_level=conf_level, num_levels=levels, seed=seed)
    out = pd.DataFrame({"parameter": list(names), "mu": res["mu"], "mu_star": res["mu_star"],
                        "mu_star_conf": res["mu_star_conf"], "sigma": res["sigma"]})
    return out.sort_values("mu_star", ascending=False, ignore_index=True)


def point_means(runs: pd.DataFrame, metric: str, n_points: int, scenario: str | None = None) -> np.ndarray:
    """Each design point's mean outcome over its successful replications (NaN where none succeeded)."""
    ok = runs[runs.status == "ok"] if "status" in runs.columns else runs
    if scenario is not None:
        ok = ok[ok.scenario == scenario]
    means = numeric(ok[metric]).groupby(ok.point_id.to_numpy()).mean()
    return means.reindex(range(n_points)).to_numpy(dtype=float)


def sweep_sobol(runs: pd.DataFrame, manifest: dict, metric: str, scenario: str | None = None, seed: int = 0) -> pd.DataFrame:
    """Sobol indices of one metric of a stored Sobol study.

    Raises:
        ValueError: If the study is not a Sobol design, or a design point has no successful run.
    """
    sampler = manifest["spec"]["sampler"]
    if sampler["kind"] != "sobol":
        raise ValueError(f"Sobol indices need a sobol design; this study used {sampler['kind']!r}")
    y = point_means(runs, metric, manifest["points"], scenario)
    _no_holes(y, metric)
    return sobol_indices(y, parameter_names(manifest), second_order=sampler.get("second_order", False), seed=seed)


def sweep_morris(runs: pd.DataFrame, design: pd.DataFrame, manifest: dict, metric: str, scenario: str | None = None,
                 seed: int = 0) -> pd.DataFrame:
    """Morris measures of one metric of a stored Morris study.

    Raises:
        ValueError: If the study is not a Morris design, or a design point has no successful run.
    """
    sampler = manifest["spec"]["sampler"]
    if sampler["kind"] != "morris":
        raise ValueError(f"Morris measures need a morris design; this study used {sampler['kind']!r}")
    names = parameter_names(manifest)
    y = point_means(runs, metric, manifest["points"], scenario)
    _no_holes(y, metric)
    x = design.sort_values("point_id")[[f"unit:{n}" for n in names]].to_numpy(dtype=float)
    return morris_indices(x, y, names, levels=sampler.get("levels", 4), seed=seed)


def _no_holes(y: np.ndarray, metric: str) -> None:
    holes = np.flatnonzero(np.isnan(y))
    if holes.size:
        raise ValueError(f"{holes.size} design point(s) have no successful run with a value of {metric} "
                         f"(first: point {int(holes[0])}); the design's scheme needs every point")


def tornado_data(runs: pd.DataFrame, parameters: Sequence[str], metric: str, tail: float = 0.2) -> pd.DataFrame:
    """Mean outcome when each parameter is in its lowest vs its highest ``tail`` of values.

    Args:
        runs: Stored runs.
        parameters: Parameter columns to include (non-numeric ones are skipped).
        metric: The outcome.
        tail: Share of runs in each tail (by the parameter's quantiles).

    Returns:
        ``parameter, low, high, low_value, high_value, swing, base`` by decreasing swing
        (``high - low`` in absolute value); ``base`` is the mean over all runs.
    """
    ok = runs[runs.status == "ok"] if "status" in runs.columns else runs
    y = numeric(ok[metric])
    rows = []
    for p in parameters:
        if p not in ok.columns or not pd.api.types.is_numeric_dtype(ok[p]) or pd.api.types.is_bool_dtype(ok[p]):
            continue
        x = ok[p].astype(float)
        lo, hi = x.quantile(tail), x.quantile(1 - tail)
        if not lo < hi:
            continue
        low, high = y[x <= lo].mean(), y[x >= hi].mean()
        rows.append({"parameter": p, "low": low, "high": high, "low_value": x[x <= lo].mean(), "high_value": x[x >= hi].mean(),
                     "swing": abs(high - low), "base": y.mean()})
    out = pd.DataFrame(rows, columns=["parameter", "low", "high", "low_value", "high_value", "swing", "base"])
    return out.sort_values("swing", ascending=False, ignore_index=True)
