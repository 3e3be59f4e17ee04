"""Tests for the contagion-story figures in analysis.figures (issue 3).

Small hand-made tables only; nothing is written outside pytest's ``tmp_path`` and no model is run.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

from analysis.figures import (  # noqa: E402
    CHANNEL_COLORS,
    contract_web,
    default_timeline,
    losses_by_channel,
    save_standard_figures,
    spreads_and_sentiment,
    standard_figures,
    worst_quarter,
)
from analysis.results import load_results  # noqa: E402

QUARTERS: list[str] = ["2026Q1", "2026Q2", "2026Q3", "2026Q4", "2027Q1"]

# entity -> (name, role, status per quarter)
ENTITIES: dict[str, tuple[str, str, list[str]]] = {
    "a": ("Alpha Labs (a detail)", "lab", ["defaulted"] * 5),
    "b": ("Beta Cloud", "neocloud", ["distressed", "defaulted", "defaulted", "defaulted", "defaulted"]),
    "c": ("Gamma", "neocloud", ["healthy", "healthy", "defaulted", "defaulted", "defaulted"]),
    "d": ("Delta", "hyperscaler", ["healthy", "healthy", "healthy", "defaulted", "defaulted"]),
    "e": ("Epsilon", "chipmaker", ["healthy", "healthy", "healthy", "healthy", "defaulted"]),
    "r": ("Rho", "lab", ["healthy", "healthy", "rescued", "rescued", "healthy"]),
    "h": ("Eta", "hyperscaler", ["healthy"] * 5),
    "banks": ("Banks", "lender", ["healthy"] * 5),
}


def _balance_sheets(entities: dict[str, tuple[str, str, list[str]]] = ENTITIES) -> pd.DataFrame:
    """Rows for each entity and quarter with status, debt, spread and market value."""
    rows = []
    for i, entity in enumerate(entities):
        name, role, statuses = entities[entity]
        for t, quarter in enumerate(QUARTERS):
            rows.append(
                {
                    "quarter": quarter,
                    "entity": entity,
                    "name": name,
                    "role": role,
                    "status": statuses[t],
                    "debt": 10.0 * (i + 1),
                    "credit_spread_bp": 100.0 + 10 * t if statuses[t] != "defaulted" else 0.0,
                    "market_value": 50.0 + i,
                    "total_assets": 100.0,
                }
            )
    return pd.DataFrame(rows)


def _cascade() -> pd.DataFrame:
    """Five defaults: a fundamental; b after a (payment) and sentiment; c after a lender; d after e, who fails later; e."""
    return pd.DataFrame(
        [
            ("2026Q1", 1, "a", "", "fundamental", 5.0),
            ("2026Q2", 1, "b", "a", "payment", 6.0),
            ("2026Q2", 1, "b", "market sentiment", "confidence", 2.0),
            ("2026Q3", 1, "c", "banks", "credit", 4.0),
            ("2026Q4", 1, "d", "e", "demand", 3.0),
            ("2027Q1", 1, "e", "", "fundamental", 1.0),
        ],
        columns=["quarter", "round", "entity", "caused_by", "channel", "amount"],
    )


def _system() -> pd.DataFrame:
    """System indicators with a running default count."""
    return pd.DataFrame(
        {
            "quarter": QUARTERS,
            "sentiment": [0.5, 0.2, -0.3, -0.6, -0.8],
            "gpu_price_index": [1.0, 0.95, 0.9, 0.85, 0.8],
            "resale_factor": [1.0, 1.0, 0.8, 1.0, 1.0],
            "avg_credit_spread_bp": [150.0, 170.0, 220.0, 260.0, 300.0],
            "defaults": [1, 2, 3, 4, 5],
            "rescues": [0, 0, 1, 1, 0],
        }
    )


def _losses(holders: int = 3) -> pd.DataFrame:
    """Losses by ``holders`` holders over two channels; holder k loses k+1 through payment and 1 through equity."""
    rows = []
    for k in range(holders):
        rows.append(("2026Q2", f"h{k}", "a", "loan", "payment", float(k + 1)))
        rows.append(("2026Q3", f"h{k}", "b", "stake", "equity", 1.0))
    return pd.DataFrame(rows, columns=["quarter", "holder", "source", "kind", "channel", "amount"])


def _by_gid(fig: Figure, gid: str) -> list:
    """Every artist in the figure whose gid is ``gid``."""
    return [a for a in fig.findobj() if getattr(a, "get_gid", lambda: None)() == gid]


def _texts(fig: Figure) -> str:
    """All text in the figure, joined."""
    return " | ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


# ----------------------------------------------------------------------------- default_timeline


def test_default_timeline_markers_and_rows() -> None:
    """There is one default marker per default, one rescue star per rescue spell and one row per such entity."""
    fig = default_timeline(_cascade(), _balance_sheets())
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    defaults = _by_gid(fig, "default")
    assert sum(len(c.get_offsets()) for c in defaults) == 5
    rescues = _by_gid(fig, "rescue")
    assert sum(len(c.get_offsets()) for c in rescues) == 1
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["Alpha Labs", "Beta Cloud", "Gamma", "Rho", "Delta", "Epsilon"]
    assert fig.axes[0].get_xlabel() == "Quarter"


def test_default_timeline_marker_colour_is_main_channel() -> None:
    """Each default is coloured by its largest channel: b's payment beats its confidence."""
    fig = default_timeline(_cascade(), _balance_sheets())
    colours = {to_hex(c.get_facecolor()[0]) for c in _by_gid(fig, "default")}
    expected = {CHANNEL_COLORS[c] for c in ("fundamental", "payment", "credit", "demand")}
    assert colours == expected
    assert CHANNEL_COLORS["confidence"] not in colours


def test_default_timeline_notes_name_main_source() -> None:
    """The note beside a default names the main channel, its source and amount, with dollars escaped from mathtext."""
    texts = _texts(default_timeline(_cascade(), _balance_sheets()))
    assert "payment from Alpha Labs, \\$6.0B (+1 channel, \\$8.0B in all)" in texts
    assert "credit from Banks, \\$4.0B" in texts
    assert "fundamental: its own losses" in texts


def test_default_timeline_arrows_only_from_defaulted_sources() -> None:
    """Arrows are drawn only when the source had already defaulted: a to b, not the lender or a later default."""
    fig = default_timeline(_cascade(), _balance_sheets())
    arrows = [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 1 and arrows[0].get_gid() == "cause"
    (x0, y0), (x1, y1) = arrows[0]._posA_posB  # start at a's default (q0, row 0), end at b's (q1, row 1)
    assert (x0, y0, x1, y1) == (0, 0, 1, 1)


def test_default_timeline_secondary_channel_arrow() -> None:
    """A second channel from a defaulted source adds a second (dashed) arrow."""
    cascade = pd.concat(
        [_cascade(), pd.DataFrame([("2026Q3", 1, "c", "a", "equity", 1.0)], columns=_cascade().columns)],
        ignore_index=True,
    )
    fig = default_timeline(cascade, _balance_sheets())
    arrows = [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 2
    assert sorted(a.get_linestyle() == "solid" for a in arrows) == [False, True]


def test_default_timeline_empty() -> None:
    """Without defaults or rescues the figure says so."""
    healthy = _balance_sheets({"h": ENTITIES["h"]})
    empty = pd.DataFrame(columns=["quarter", "round", "entity", "caused_by", "channel", "amount"])
    fig = default_timeline(empty, healthy)
    assert isinstance(fig, Figure)
    assert "no defaults in this run" in _texts(fig)
    assert not _by_gid(fig, "default")


def test_default_timeline_without_cascade_uses_statuses() -> None:
    """An old folder (no cascade) still shows defaulted entities, with an unrecorded channel."""
    empty = pd.DataFrame(columns=["quarter", "round", "entity", "caused_by", "channel", "amount"])
    fig = default_timeline(empty, _balance_sheets())
    assert sum(len(c.get_offsets()) for c in _by_gid(fig, "default")) == 5
    assert "channel not recorded" in _texts(fig)


# ----------------------------------------------------------------------------- losses_by_channel


def test_losses_by_channel_bars_and_totals() -> None:
    """One stacked bar per holder (largest first) and one total bar per channel that sum to the losses."""
    losses = _losses(3)
    fig = losses_by_channel(losses, names={"h2": "Holder Two"})
    main, side = fig.axes
    assert [t.get_text() for t in main.get_yticklabels()] == ["Holder Two", "h1", "h0"]
    assert len(_by_gid(fig, "holder")) == 3 * 2
    totals = _by_gid(fig, "total")
    assert len(totals) == 2
    assert sum(p.get_width() for p in totals) == pytest.approx(losses["amount"].sum())
    assert [t.get_text() for t in side.get_yticklabels()] == ["payment", "equity"]
    assert "USD" in main.get_xlabel()


def test_losses_by_channel_groups_others() -> None:
    """Only the ten largest holders get a bar; the rest are summed as Others."""
    fig = losses_by_channel(_losses(13))
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(labels) == 11 and labels[-1] == "Others (3)" and labels[0] == "h12"
    widths = [p.get_width() for p in _by_gid(fig, "holder")]
    assert sum(widths) == pytest.approx(_losses(13)["amount"].sum())


def test_losses_by_channel_empty() -> None:
    """An empty losses table gives a figure that says there were none."""
    fig = losses_by_channel(pd.DataFrame(columns=["quarter", "holder", "source", "kind", "channel", "amount"]))
    assert "no losses written off in this run" in _texts(fig)


# ----------------------------------------------------------------------------- spreads_and_sentiment


def test_spreads_and_sentiment_panels() -> None:
    """Top panel has sentiment and both price series; bottom has the average and the five most indebted quoted borrowers."""
    fig = spreads_and_sentiment(_system(), _balance_sheets())
    top, bottom, right = fig.axes
    assert "Market sentiment (left axis)" in [ln.get_label() for ln in top.get_lines()]
    assert {ln.get_label() for ln in right.get_lines()} == {
        "GPU price index (right axis)",
        "Hardware resale factor (right axis)",
    }
    labels = [t.get_text() for t in bottom.get_legend().get_texts()]
    # by peak debt: banks (a lender) is skipped, then h, r, e, d, c; b comes sixth and a is never quoted
    assert labels == ["Debt-weighted average (whole system)", "Eta (quoted)", "Rho (quoted)", "Epsilon (quoted)",
                      "Delta (quoted)", "Gamma (quoted)"]
    assert top.get_shared_x_axes().joined(top, bottom)
    assert bottom.get_xlabel() == "Quarter"


def test_spreads_blank_where_no_quote() -> None:
    """Quarters with a zero quoted spread (after default) are drawn as gaps, not zeros."""
    fig = spreads_and_sentiment(_system(), _balance_sheets(), entities=["c"])
    line = next(ln for ln in fig.axes[1].get_lines() if ln.get_label() == "Gamma (quoted)")
    y = np.asarray(line.get_ydata(), dtype=float)
    assert np.isnan(y[2:]).all() and not np.isnan(y[:2]).any()


def test_spreads_and_sentiment_old_columns() -> None:
    """A system table without spread or resale columns still gives a figure."""
    system = _system().drop(columns=["avg_credit_spread_bp", "resale_factor", "rescues"])
    fig = spreads_and_sentiment(system, _balance_sheets().drop(columns=["credit_spread_bp"]))
    assert "no credit spreads recorded in this run" in _texts(fig)


# ----------------------------------------------------------------------------- worst_quarter


def test_worst_quarter_most_defaults_then_losses() -> None:
    """Two quarters tie on defaults; the one with larger losses wins."""
    cascade = pd.DataFrame(
        {
            "quarter": ["2026Q1", "2026Q2", "2026Q2", "2026Q2", "2026Q4", "2026Q4"],
            "entity": ["a", "b", "b", "c", "d", "e"],
            "caused_by": ["", "a", "x", "", "", ""],
            "channel": ["fundamental", "payment", "equity", "fundamental", "fundamental", "fundamental"],
            "amount": [1.0] * 6,
        }
    )
    losses = pd.DataFrame({"quarter": ["2026Q2", "2026Q4", "2026Q1"], "amount": [5.0, 9.0, 100.0]})
    assert worst_quarter(_system(), cascade, losses) == "2026Q4"
    assert worst_quarter(_system(), cascade, losses.iloc[[0, 2]]) == "2026Q2"


def test_worst_quarter_no_defaults() -> None:
    """Without defaults the quarter with the largest losses wins, and without losses the last quarter."""
    empty = pd.DataFrame(columns=["quarter", "entity", "caused_by", "channel", "amount"])
    system = _system().assign(defaults=0)
    losses = pd.DataFrame({"quarter": ["2026Q2", "2026Q3"], "amount": [1.0, 3.0]})
    assert worst_quarter(system, empty, losses) == "2026Q3"
    assert worst_quarter(system, empty, losses.iloc[0:0]) == "2027Q1"


def test_worst_quarter_from_running_default_count() -> None:
    """With no cascade table the rises of the running system.defaults count are used."""
    empty = pd.DataFrame(columns=["quarter", "entity", "caused_by", "channel", "amount"])
    system = _system().assign(defaults=[0, 1, 1, 3, 3])
    assert worst_quarter(system, empty, pd.DataFrame(columns=["quarter", "amount"])) == "2026Q4"


# ----------------------------------------------------------------------------- contract_web status


def test_contract_web_rings_by_status() -> None:
    """Defaulted, rescued and distressed nodes get red, purple and amber rings and labels."""
    contracts = pd.DataFrame(
        {
            "contract_id": ["x"],
            "kind": ["loan"],
            "from_party": ["banks"],
            "to_party": ["b"],
            "amount": [5.0],
            "start": ["2026Q1"],
            "ended": [""],
        }
    )
    fig = contract_web(contracts, _balance_sheets(), "2026Q3")
    rings = {to_hex(c.get_edgecolor()[0]): len(c.get_offsets()) for c in _by_gid(fig, "status-ring")}
    assert rings == {"#d62728": 3, "#6a3d9a": 1}  # a, b, c defaulted; r rescued
    fig = contract_web(contracts, _balance_sheets(), "2026Q1")
    rings = {to_hex(c.get_edgecolor()[0]): len(c.get_offsets()) for c in _by_gid(fig, "status-ring")}
    assert rings == {"#d62728": 1, "#e6a700": 1}  # a defaulted; b distressed
    assert "Beta Cloud · distressed" in _texts(fig) or "distressed · Beta Cloud" in _texts(fig)


# ----------------------------------------------------------------------------- standard set


def _write_folder(folder: Path, with_contagion: bool) -> Path:
    """Write a results folder from the synthetic tables, optionally without the contagion tables."""
    folder.mkdir()
    _balance_sheets().to_csv(folder / "balance_sheets.csv", index=False)
    pd.DataFrame(
        {
            "contract_id": ["x"],
            "kind": ["loan"],
            "from_party": ["banks"],
            "to_party": ["b"],
            "amount": [5.0],
            "start": ["2026Q1"],
            "end": [""],
            "state": ["active"],
            "ended": [""],
            "tied_to": [""],
            "source": [""],
        }
    ).to_csv(folder / "contracts.csv", index=False)
    _system().to_csv(folder / "system.csv", index=False)
    if with_contagion:
        _cascade().to_csv(folder / "cascade.csv", index=False)
        _losses(3).to_csv(folder / "losses.csv", index=False)
    return folder


def test_save_standard_figures_writes_story_figures(tmp_path: Path) -> None:
    """The four story figures are written next to the older ones."""
    results = load_results(_write_folder(tmp_path / "run", with_contagion=True))
    names = {p.name for p in save_standard_figures(results, tmp_path / "figs")}
    assert {"default_timeline.png", "losses_by_channel.png", "spreads_and_sentiment.png",
            "contract_web_worst.png"} <= names
    for name in names:
        assert (tmp_path / "figs" / name).read_bytes().startswith(b"\x89PNG")


def test_standard_figures_worst_web_title(tmp_path: Path) -> None:
    """The worst-quarter web is drawn at the worst quarter and says so, and pyplot sees none of the figures."""
    plt.close("all")
    results = load_results(_write_folder(tmp_path / "run", with_contagion=True))
    figures = standard_figures(results)
    title = figures["contract_web_worst"].get_suptitle()
    assert title.startswith("Worst quarter of the run, 2026Q2")  # one default each quarter; most losses in 2026Q2
    assert plt.get_fignums() == []


def test_standard_figures_old_folder(tmp_path: Path) -> None:
    """A folder without cascade/losses skips the loss figure but still draws the timeline (from statuses) and the rest."""
    names = set(standard_figures(load_results(_write_folder(tmp_path / "run", with_contagion=False))))
    assert "losses_by_channel" not in names
    assert {"default_timeline", "spreads_and_sentiment", "contract_web_worst"} <= names


def test_standard_figures_healthy_run_skips_contagion(tmp_path: Path) -> None:
    """A run where nobody failed gets neither the timeline nor the loss figure."""
    folder = _write_folder(tmp_path / "run", with_contagion=False)
    _balance_sheets({"h": ENTITIES["h"], "banks": ENTITIES["banks"]}).to_csv(folder / "balance_sheets.csv", index=False)
    _system().assign(defaults=0, rescues=0).to_csv(folder / "system.csv", index=False)
    names = set(standard_figures(load_results(folder)))
    assert "default_timeline" not in names and "losses_by_channel" not in names
    assert "contract_web_worst" in names
