"""An ECharts figure whose updates wait for the library to load (see ``echart.vue``)."""

from __future__ import annotations

import solara


@solara.component_vue("echart.vue")
def EChart(option: dict, attributes: dict | None = None) -> None:
    """A chart of ``option`` (an ECharts option dict); ``attributes`` go on its container (style, class)."""
