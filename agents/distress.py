"""The distress ladder's own rules (MODEL.md 6a): what a firm short of cash can raise before it defaults.

A firm with a committed revolver draws it first, unless its lender is failing itself; after
selling holdings, a firm still short sells part of its fleet into the secondary market, at
most a set share of it in any year.
Any company, not only a lab, can sell new shares when it is short; the round clears at a
price instead of failing outright: the less investors want it (the larger the round
against the firm's value, the more fearful the market), the deeper the discount and so
the dilution of every existing holder.
"""

from __future__ import annotations

import math

from economy.config import Distress
from economy.units import money_tol


def distressed_issue(need: float, market_value: float, sentiment: float, params: Distress) -> tuple[float, float] | None:
    """What a round sold in distress raises and at what discount to the firm's value; None if nothing can be sold.

    Args:
        need: Cash the firm is short ($B).
        market_value: The value of its equity now ($B); a firm worth nothing sells nothing.
        sentiment: Market sentiment (-1..1).
        params: The distress parameters.

    Returns:
        ``(amount, discount)``: the amount raised (at most ``max_issue_share`` of the value)
        and the discount on the value at which the new shares are priced.

    Example:
        >>> distressed_issue(10.0, 100.0, 0.0, Distress())
        (10.0, 0.25)
    """
    if need <= 0 or market_value <= 0:
        return None
    amount = min(need, params.max_issue_share * market_value)
    if amount <= 0:
        return None
    discount = (params.equity_discount + params.equity_discount_per_size * amount / market_value
                + params.fear_discount * max(0.0, -sentiment))
    return amount, min(0.9, discount)


def honours_draw(lender_alive: bool, capital_ratio: float, min_capital_ratio: float) -> bool:
    """Whether a lender lets a borrower in distress draw its committed revolver: yes, unless the lender itself is failing.

    A committed line is the lender's promise, and its borrower draws it exactly when it is in
    trouble, so trouble at the borrower is no reason to refuse. The lender may refuse only under
    the material-adverse-change clause of its own condition: it has failed, or its capital ratio
    is below its floor (it may not lend at all; ``agents.lender.capital_factor``).

    Args:
        lender_alive: Whether the lender is still in business.
        capital_ratio: Its book equity over its assets now.
        min_capital_ratio: The floor below which it puts out no new money.

    Example:
        >>> honours_draw(True, 0.10, 0.08), honours_draw(True, 0.05, 0.08), honours_draw(False, 0.10, 0.08)
        (True, False, False)
    """
    return lender_alive and capital_ratio >= min_capital_ratio


def hardware_sale_room(fleet_gw: float, sold_gw: float, max_share: float) -> float:
    """The share of its fleet a firm may still sell in distress: at most ``max_share`` of its fleet over any four quarters.

    A lender would not accept a firm selling a quarter of its hardware every quarter: the fleet
    serves its customers, and a firm short quarter after quarter has a solvency problem that
    selling more hardware only hides. What it sold in the last four quarters (this one included)
    counts against ``max_share`` of the fleet it would hold had it not sold them; once the year's
    allowance is used, a firm still short goes on to the later rungs (new shares, concessions).

    Args:
        fleet_gw: Its fleet now (GW).
        sold_gw: What it sold in distress in the last four quarters, this one included (GW).
        max_share: The most of its fleet it sells in a year (``world.distress.hardware_sale_share``).

    Returns:
        The share of its fleet now that it may still sell.

    Example:
        A firm that sold 0.1 GW this year and holds 0.9 GW may sell 0.25 * 1.0 - 0.1 = 0.15 GW more, a sixth of
        what it holds; one that sold a quarter of its fleet may sell nothing.

        >>> round(hardware_sale_room(0.9, 0.1, 0.25), 6), hardware_sale_room(0.75, 0.25, 0.25), hardware_sale_room(1.0, 0.0, 0.25)
        (0.166667, 0.0, 0.25)
    """
    if fleet_gw <= 0:
        return 0.0
    # (max_share * (fleet + sold) - sold) / fleet, written without subtracting large near-equal amounts: with a large
    # year's sales against a small fleet that cancellation read a room above the whole fleet, or above a smaller sale's
    room = min(1.0, max_share - (1.0 - max_share) * sold_gw / fleet_gw)
    # float dust left of a used allowance is no allowance: it would sell a sliver and log a sale
    return room if room > 1e-9 else 0.0


def hardware_sale_share(need: float, value: float, liens: float, resale: float, depth: float, max_share: float) -> float:
    """The share of its fleet a firm short of cash sells: enough to cover its need net of the liens released, at most a cap.

    The secondary market is thin (``WorldProcess.fire_sale``): selling hardware worth ``x`` at
    full price fetches ``depth * ln(1 + x * resale / depth)`` when the resale price is already
    ``resale``. Selling hardware pledged to lenders releases their lien only if they are repaid the
    same share of their loans, so the firm keeps the proceeds less that share of the secured debt.
    It sells what covers its need by that reckoning (its own sale alone; others selling at the
    same time lower the price further), never more than ``max_share`` of its fleet, nor past the
    point where selling more would raise less; a fleet that raises nothing net is not sold.

    Args:
        need: Cash the firm is short ($B).
        value: Its fleet at full resale price ($B).
        liens: Principal of the loans secured on the hardware ($B).
        resale: Today's resale price as a share of full value.
        depth: The secondary market's depth ($B; ``world.gpu.fire_sale_depth``; infinite: no price impact).
        max_share: The most of its fleet it may still sell now (``hardware_sale_room``: it needs the rest to serve its
            customers).

    Example:
        1 short, a fleet of 40 unpledged, a market 50 deep: sell x with 50 ln(1 + x / 50) = 1,
        x = 50 (e^0.02 - 1) = 1.0101, 2.5% of the fleet; a fleet worth less than its liens is kept.

        >>> round(hardware_sale_share(1.0, 40.0, 0.0, 1.0, 50.0, 0.25), 6)
        0.025252
        >>> hardware_sale_share(1.0, 40.0, 45.0, 1.0, 50.0, 0.25)
        0.0
    """
    if need <= 0 or value <= 0 or max_share <= 0 or resale <= 0:
        return 0.0
    lien_per_value = liens / value
    thin = math.isfinite(depth)

    def net(x: float) -> float:
        fetched = depth * math.log1p(x * resale / depth) if thin else x * resale
        return fetched - x * lien_per_value

    top = max_share * value
    if lien_per_value > 0 and thin:  # past its peak, the price falls faster than the liens shrink
        top = min(top, max(0.0, depth * (1.0 / lien_per_value - 1.0 / resale)))
    # proceeds within float dust of nothing (liens equal to the resale value) are nothing: no fleet is sold for them
    if top <= 0 or net(top) <= money_tol(value):
        return 0.0
    if net(top) <= need:
        return top / value
    lo, hi = 0.0, top
    for _ in range(100):  # net is increasing up to its peak: bisect for net(x) = need
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if net(mid) < need else (lo, mid)
    return hi / value
