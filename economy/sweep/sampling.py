"""Designs: the points of a study, from the spec's sampler, as unit-cube positions and parameter values.

Every sampler first makes positions in the unit cube ``[0, 1]^D`` (one column per
parameter), with a well-kept library: the full factorial for a grid,
``numpy.random.Generator.random`` for random, ``scipy.stats.qmc.LatinHypercube`` for
Latin hypercubes, ``SALib.sample.sobol`` (Saltelli's scheme) for Sobol indices and
``SALib.sample.morris`` for Morris screening. Each position is then mapped to the
parameter's value: a listed value by equal slices of the interval, a range linearly, a
distribution through its inverse CDF. Keeping the unit positions lets the Sobol and
Morris analyses run on the design exactly as SALib made it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from economy.sweep.seeds import sampler_rng
from economy.sweep.spec import Parameter, SweepSpec


@dataclass(frozen=True)
class Design:
    """The points of a study.

    Attributes:
        names: Parameter names, in spec order.
        unit: Unit-cube positions, shape ``(points, len(names))``.
        columns: Parameter name to the value it takes at each point, as stored in the results
            (a label for labelled values; the factor or shift for ``scale``/``shift`` parameters).
    """

    names: tuple[str, ...]
    unit: np.ndarray
    columns: dict[str, list[Any]]

    @property
    def n_points(self) -> int:
        """The number of points."""
        return int(self.unit.shape[0])

    def point(self, index: int) -> dict[str, Any]:
        """Parameter values at one point."""
        return {name: self.columns[name][index] for name in self.names}


def make_design(spec: SweepSpec, integer: dict[str, bool] | None = None) -> Design:
    """The design a spec asks for (deterministic given the spec's seed).

    Args:
        spec: The validated spec.
        integer: Parameter name to whether its config fields hold whole numbers
            (``set`` values are then rounded, so the results show the value used).
    """
    integer = integer or {}
    params = spec.parameters
    names = tuple(params)
    if spec.sampler.kind == "grid":
        return grid_design(spec, integer)
    unit = unit_sample(spec, len(names))
    columns = {name: values_at(params[name], unit[:, j], integer.get(name, False)) for j, name in enumerate(names)}
    return Design(names=names, unit=unit, columns=columns)


def count_points(spec: SweepSpec) -> int:
    """How many points the spec's design has, computed without making the design.

    Exact for every sampler (the same count :func:`make_design` gives), as a Python
    ``int`` so that absurd studies (10^15 points) are counted, not overflowed or allocated.
    """
    s = spec.sampler
    d = len(spec.parameters)
    if s.kind == "grid":
        points = 1
        for param in spec.parameters.values():
            points *= len(param.choices) if param.values is not None else int(param.steps or 1)
        return points
    if s.kind in ("random", "latin"):
        return int(s.samples)
    if s.kind == "sobol":  # Saltelli: N x (D + 2), or N x (2D + 2) with second-order indices
        return int(s.samples) * ((2 * d + 2) if s.second_order else (d + 2))
    if s.kind == "morris":
        return int(s.trajectories) * (d + 1)
    raise ValueError(f"unknown sampler {s.kind!r}")


def unit_sample(spec: SweepSpec, d: int) -> np.ndarray:
    """Unit-cube positions from the spec's (non-grid) sampler, shape ``(points, d)``."""
    s = spec.sampler
    rng = sampler_rng(spec.seed)
    if s.kind == "random":
        return rng.random((s.samples, d))
    if s.kind == "latin":
        if d == 0:
            return np.zeros((s.samples, 0))
        from scipy.stats import qmc

        return qmc.LatinHypercube(d=d, rng=rng).random(s.samples)
    problem = unit_problem(list(spec.parameters))
    if s.kind == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, s.samples, calc_second_order=s.second_order, scramble=True, seed=rng)
    if s.kind == "morris":
        from SALib.sample import morris

        return morris.sample(problem, s.trajectories, num_levels=s.levels, seed=rng)
    raise ValueError(f"unknown sampler {s.kind!r}")


def unit_problem(names: list[str]) -> dict[str, Any]:
    """A SALib problem over the unit cube with these parameter names."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def grid_design(spec: SweepSpec, integer: dict[str, bool]) -> Design:
    """Every combination of the parameters' grid values, the last parameter varying fastest."""
    names = tuple(spec.parameters)
    levels = [grid_values(spec.parameters[n], integer.get(n, False)) for n in names]
    if not names:  # a Monte Carlo study: one point, replicated
        return Design(names=(), unit=np.zeros((1, 0)), columns={})
    index = np.array(list(itertools.product(*(range(len(v)) for v in levels))), dtype=float)
    unit = index / np.array([max(len(v) - 1, 1) for v in levels], dtype=float)
    columns = {n: [levels[j][int(i)] for i in index[:, j]] for j, n in enumerate(names)}
    return Design(names=names, unit=unit, columns=columns)


def grid_values(param: Parameter, integer: bool = False) -> list[Any]:
    """The values a parameter takes in a grid: its list, or ``steps`` evenly spaced values of its range."""
    if param.values is not None:
        return param.choices
    low, high = param.range
    values = [_tidy(v) for v in np.linspace(low, high, param.steps)]
    return [int(round(v)) for v in values] if integer and param.mode == "set" else values


def values_at(param: Parameter, u: np.ndarray, integer: bool = False) -> list[Any]:
    """A parameter's values at unit-interval positions ``u``."""
    u = np.asarray(u, dtype=float)
    if param.values is not None:
        choices = param.choices
        # Equal slices of [0, 1] to each listed value; u == 1 (a Morris level) falls in the last.
        idx = np.minimum((u * len(choices)).astype(int), len(choices) - 1)
        return [choices[i] for i in idx]
    if param.range is not None:
        low, high = param.range
        x = low + u * (high - low)
    else:
        x = param.distribution.ppf(u)
    if integer and param.mode == "set":
        return [int(round(v)) for v in x]
    return [float(v) for v in x]


def _tidy(x: float) -> float:
    # linspace gives 0.35000000000000003; twelve significant digits read as written.
    return float(f"{x:.12g}")
