"""Tests for the contagion-story figures in analysis.figures (issue 3).

Small hand-made tables only; nothing is written outside pytest's ``tmp_path`` and no model is run.
"""

from __future__ import annotations

import itertools
import math
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
    KIND_COLORS,
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
    assert "Beta Cloud\ndistressed" in _texts(fig)


# ----------------------------------------------------------------------------- contract_web: readable on a projector

# A crowded web: two lenders lending to everyone in many small loans, long names, firms in trouble at the bottom.
CROWD: dict[str, tuple[str, str, list[str]]] = {
    **{f"lab{i}": (f"Frontier Laboratory Number {i}", "lab", ["healthy"] * 5) for i in range(3)},
    **{f"chip{i}": (f"Semiconductor Company {i}", "chipmaker", ["healthy"] * 5) for i in range(4)},
    **{f"cloud{i}": (f"Hyperscale Cloud Provider {i}", "hyperscaler", ["healthy"] * 5) for i in range(5)},
    **{f"neo{i}": (f"Neocloud Data Centers {i}", "neocloud", ["distressed", "defaulted", "defaulted", "rescued", "rescued"])
       for i in range(5)},
    "fund": ("Sovereign Investment Fund", "investor", ["healthy"] * 5),
    "banks": ("Banks and bond market", "lender", ["healthy"] * 5),
    "private_credit": ("Blue Owl and private credit", "lender", ["healthy", "healthy", "distressed", "healthy", "healthy"]),
    "us_government": ("US federal government", "government", ["healthy"] * 5),
}


def _crowd_contracts() -> pd.DataFrame:
    """Five loans from each lender to each borrower, compute deals between labs and clouds, and a few tiny contracts."""
    rows = []
    borrowers = [e for e, (_, role, _) in CROWD.items() if role not in ("lender", "government")]
    for lender in ("banks", "private_credit"):
        for b in borrowers:
            rows += [(f"{lender}-{b}-{k}", "loan", lender, b, 2.0 + k) for k in range(5)]
    rows += [(f"compute-{i}-{j}", "compute", f"lab{i}", f"cloud{j}", 50.0 + 10 * j) for i in range(3) for j in range(5)]
    rows += [(f"tiny-{i}", "warrant", f"chip{i}", "lab0", 0.01) for i in range(4)]
    rows += [("tiny-neo", "equity_stake", "fund", "neo0", 0.01)]
    frame = pd.DataFrame(rows, columns=["contract_id", "kind", "from_party", "to_party", "amount"])
    return frame.assign(start="2026Q1", ended="")


def _label_problems(fig: Figure) -> list[str]:
    """Labels under a node (or its status ring), over another label, or outside the figure, by their text."""
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_gid() == "label"]
    boxes = [t.get_window_extent(renderer) for t in labels]
    discs = []
    for collection in ax.collections:
        if collection.get_gid() in ("nodes", "status-ring"):
            centres = ax.transData.transform(collection.get_offsets())
            sizes = np.broadcast_to(collection.get_sizes(), (len(centres),))
            discs += [(x, y, math.sqrt(s) / 2 * fig.dpi / 72) for (x, y), s in zip(centres, sizes, strict=True)]
    problems = []
    for text, box in zip(labels, boxes, strict=True):
        for x, y, radius in discs:
            if math.hypot(float(np.clip(x, box.x0, box.x1)) - x, float(np.clip(y, box.y0, box.y1)) - y) < radius:
                problems.append(f"{text.get_text()!r} under a node")
        if box.x0 < 0 or box.y0 < 0 or box.x1 > fig.bbox.x1 or box.y1 > fig.bbox.y1:
            problems.append(f"{text.get_text()!r} outside the figure")
    for i, j in itertools.combinations(range(len(labels)), 2):
        if boxes[i].overlaps(boxes[j]):
            problems.append(f"{labels[i].get_text()!r} over {labels[j].get_text()!r}")
    return problems


@pytest.mark.parametrize("quarter", ["2026Q1", "2026Q2", "2026Q3", "2026Q4"])
def test_contract_web_labels_never_sit_under_a_node_or_each_other(quarter: str) -> None:
    """In a crowded web, every label is clear of every node and ring, of every other label, and inside the figure."""
    fig = contract_web(_crowd_contracts(), _balance_sheets(CROWD), quarter)
    assert len([t for t in fig.axes[0].texts if t.get_gid() == "label"]) >= 20
    assert _label_problems(fig) == []


def test_contract_web_merges_healthy_lenders_and_sums_parallel_contracts() -> None:
    """Two healthy lenders are one "Lenders" node; their ten loans to a borrower are one link; the footnote names them."""
    fig = contract_web(_crowd_contracts(), _balance_sheets(CROWD), "2026Q2")
    texts = _texts(fig)
    assert "Lenders" in texts and "Banks and bond market" not in texts.split("Lenders: ")[0]
    assert "Lenders: Banks and bond market, Blue Owl and private credit" in texts
    nodes = sum(len(c.get_offsets()) for c in _by_gid(fig, "nodes"))
    assert nodes == len(CROWD) - 1
    links = _by_gid(fig, "link")
    loans = [a for a in links if to_hex(a.get_facecolor()) == to_hex(KIND_COLORS["loan"])]
    assert len(loans) == 18  # one per borrower, not 2 lenders x 5 loans x 18 borrowers
    assert len(links) < len(_crowd_contracts()) / 5


def test_contract_web_keeps_a_lender_in_trouble_apart() -> None:
    """A distressed lender keeps its own node and ring, so its status shows; the other lender is alone, so not merged."""
    fig = contract_web(_crowd_contracts(), _balance_sheets(CROWD), "2026Q3")
    texts = _texts(fig)
    assert "Blue Owl and private credit\ndistressed" in texts and "Banks and bond market" in texts
    assert "Lenders:" not in texts
    assert sum(len(c.get_offsets()) for c in _by_gid(fig, "nodes")) == len(CROWD)


def test_contract_web_leaves_out_small_links_but_counts_them() -> None:
    """Links under 0.5% of the headline value are not drawn and are counted in the footnote, unless they touch trouble."""
    fig = contract_web(_crowd_contracts(), _balance_sheets(CROWD), "2026Q2")
    kinds = {to_hex(a.get_facecolor()) for a in _by_gid(fig, "link")}
    assert to_hex(KIND_COLORS["warrant"]) not in kinds  # four tiny warrants between healthy firms
    assert to_hex(KIND_COLORS["equity_stake"]) in kinds  # the tiny stake in a defaulted neocloud stays
    assert "Not drawn: 4 smaller links (4 contracts, \\$0.0B in all)" in _texts(fig)


def test_contract_web_is_readable_on_a_projector() -> None:
    """Labels are at least 12 pt, the title 14 pt, the legend 11 pt, and nothing is cut off at the figure's edges."""
    fig = contract_web(_crowd_contracts(), _balance_sheets(CROWD), "2026Q2")
    labels = [t for t in fig.axes[0].texts if t.get_gid() == "label"]
    assert min(t.get_fontsize() for t in labels) >= 12
    assert fig._suptitle.get_fontsize() >= 14
    assert min(t.get_fontsize() for t in fig.legends[0].get_texts()) >= 11
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    for text in [fig._suptitle, *fig.texts, *fig.legends[0].get_texts()]:
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= fig.bbox.x1 and box.y1 <= fig.bbox.y1, text.get_text()


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
