"""Every text of every figure a run draws lies inside the figure: no title, label, legend or note is clipped.

The figures are drawn from the golden runs' tables (tests/golden/, no model is run), laid out
as :func:`analysis.figures.save_figure` lays them out for the file.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from analysis.figures.render import build_figure, figure_names  # noqa: E402
from analysis.figures.style import _DPI  # noqa: E402
from analysis.results import load_results  # noqa: E402

GOLDEN = Path(__file__).resolve().parent / "golden"


def _outside(fig: Figure) -> list[str]:
    """The texts drawn (in part) outside ``fig``, each with its box in pixels."""
    fig.set_dpi(_DPI)
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
        fig.set_layout_engine(None)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    # a tick outside an axis's view is not drawn, nor are the ticks of a hidden axis, but their labels exist
    undrawn: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            ticks = [*axis.majorTicks, *axis.minorTicks]
            shown = axis._update_ticks() if ax.axison and axis.get_visible() else []
            drawn = {id(label) for tick in shown for label in (tick.label1, tick.label2)}
            undrawn |= {id(label) for tick in ticks for label in (tick.label1, tick.label2) if id(label) not in drawn}
    problems = []
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip() or id(text) in undrawn:
            continue
        box = text.get_window_extent(renderer)
        if box.x0 < -0.5 or box.y0 < -0.5 or box.x1 > fig.bbox.x1 + 0.5 or box.y1 > fig.bbox.y1 + 0.5:
            problems.append(f"{text.get_text()!r} at {[round(v) for v in box.extents]} in {fig.bbox.extents}")
    return problems


@pytest.mark.parametrize(("case", "which"), [("baseline", "all"), ("contagion", "standard")])
def test_no_text_of_a_figure_is_clipped(case: str, which: str) -> None:
    """Titles, axis and tick labels, legends, node labels and notes of each figure fit inside the image."""
    results = load_results(GOLDEN / case)
    names = figure_names(results, which)
    assert len(names) >= 8
    problems = {name: found for name in names if (found := _outside(build_figure(results, name)))}
    assert not problems, problems
