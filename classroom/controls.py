"""The controls panel: scenario, levers, reset / step / play, the quarter, the instructor shocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import solara

from classroom import levers
from classroom.i18n import scenario_name, t
from economy.shocks import Shock


def _format(lever: levers.Lever, value: float) -> str:
    return f"{value:.2%}" if lever.percent else f"{value:g}"


@solara.component
def Levers(lang: str, values: dict[str, Any], on_values: Callable[[dict[str, Any]], None]) -> None:
    """Sliders for the levers the scenario has; their bounds are the levers' valid ranges."""

    def setter(key: str) -> Callable[[Any], None]:
        return lambda value: on_values({**values, key: value})

    solara.Text(t(lang, "levers"), style={"font-weight": "bold"})
    for lever in levers.LEVERS:
        if lever.id not in values:
            continue  # a scenario without the company this lever moves
        value = min(lever.high, max(lever.low, float(values[lever.id])))
        # the label above the slider (a Vuetify slider squeezes a long label beside it)
        solara.Text(f"{t(lang, 'lever.' + lever.id)}: {_format(lever, value)}", style={"font-size": "0.9em"})
        solara.SliderFloat(t(lang, "lever.short." + lever.id), value=value, min=lever.low, max=lever.high,
                           step=lever.step, on_value=setter(lever.id), thumb_label=False)
    if "rescue_policy" in values:
        names = {t(lang, "policy." + p): p for p in levers.POLICIES}
        solara.Select(t(lang, "lever.rescue_policy"), values=list(names),
                      value=t(lang, "policy." + values["rescue_policy"]),
                      on_value=lambda name: setter("rescue_policy")(names[name]))
    low, high = levers.SEED_RANGE
    solara.Text(f"{t(lang, 'lever.seed')}: {int(values.get('seed', 0))}", style={"font-size": "0.9em"})
    solara.SliderInt(t(lang, "lever.short.seed"), value=int(values.get("seed", 0)), min=low, max=high,
                     on_value=setter("seed"), thumb_label=False)


@solara.component
def ScenarioPicker(lang: str, scenario: str, on_scenario: Callable[[str], None]) -> None:
    """The scenario menu over configs/baseline.yaml and configs/scenarios/*.yaml (and any extra files)."""
    names = {scenario_name(lang, stem): stem for stem in levers.scenario_files()}
    solara.Select(t(lang, "scenario"), values=list(names), value=scenario_name(lang, scenario),
                  on_value=lambda name: on_scenario(names[name]))


@solara.component
def RunButtons(lang: str, running: bool, playing: bool, speed: float, on_reset: Callable[[], None],
               on_step: Callable[[], None], on_play: Callable[[bool], None], on_speed: Callable[[float], None]) -> None:
    """Reset, Step, Play/Pause and the play speed."""
    with solara.Row():
        solara.Button(t(lang, "reset"), on_click=on_reset, color="primary", outlined=True)
        solara.Button(t(lang, "step"), on_click=on_step, disabled=playing or not running, color="primary")
        solara.Button(t(lang, "pause") if playing else t(lang, "play"), on_click=lambda: on_play(not playing),
                      disabled=not running and not playing, color="secondary")
    solara.Text(f"{t(lang, 'speed')}: {speed:g}", style={"font-size": "0.9em"})
    solara.SliderFloat(t(lang, "speed.short"), value=speed, min=0.5, max=4.0, step=0.5, on_value=on_speed,
                       thumb_label=False)


@solara.component
def Shocks(lang: str, enabled: bool, on_shock: Callable[[str], None]) -> None:
    """One button per instructor shock; each takes effect from the next quarter."""
    solara.Text(t(lang, "shocks"), style={"font-weight": "bold"})
    with solara.Column(gap="4px"):
        for shock in Shock:
            solara.Button(t(lang, "shock." + shock.value), on_click=lambda s=shock.value: on_shock(s),
                          disabled=not enabled, color="error", text=True, small=True,
                          style={"justify-content": "flex-start"})
