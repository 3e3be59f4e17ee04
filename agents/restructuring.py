"""Reorganisation or liquidation of a failed firm (MODEL.md 6a, rung 4): its creditors choose what recovers more.

A court-supervised reorganisation (Chapter 11 in the United States) keeps the business
running: the old shareholders are wiped out (or, if the going concern is worth more than
all claims, keep what is left after them), the debt is cut to what the business can carry,
and the creditors take the firm's shares for the rest of their claims. Liquidation sells
the estate piece by piece. The creditors vote for the plan that recovers more for them:
the going concern net of the cost of reorganising it against the estate sale net of
bankruptcy costs (the "best interests of creditors" test of US Bankruptcy Code s. 1129(a)(7):
no creditor may get less under a plan than in a liquidation).

A plan must be feasible (s. 1129(a)(11): not likely to be followed by another failure):
only a firm in financial, not economic, distress is reorganised, one whose business pays
its way before debt service (this quarter's revenue covers its running costs, suppliers
and compute, or its cash covers the gap for ``reorganisation_runway_quarters``). A firm
whose business loses money at every level of debt is liquidated. A lender or an investor
is not reorganised: its estate is a portfolio of claims, whose going-concern value is what
they sell for.
"""

from __future__ import annotations

from agents.decisions import Liquidate, Reorganise
from economy.config import Distress
from economy.reorganisation import EstateView
from economy.units import money_tol


def recoveries(view: EstateView, params: Distress) -> tuple[float, float]:
    """What the creditors recover in a reorganisation and in a liquidation ($B), each at most their claims.

    Example:
        Claims 100, going concern 80 (72 after the 10% cost of reorganising), estate sale 40:

        >>> recoveries(EstateView("x", 100.0, 100.0, 80.0, 40.0, 60.0, True), Distress())
        (72.0, 40.0)
    """
    value = max(0.0, view.going_concern * (1.0 - params.reorganisation_cost_share))
    return min(view.claims, value), min(view.claims, max(0.0, view.liquidation))


def feasible(view: EstateView, params: Distress) -> bool:
    """Whether the emerged firm can pay its way: its cash covers ``reorganisation_runway_quarters`` of operating shortfall.

    Example:
        >>> feasible(EstateView("x", 100.0, 100.0, 80.0, 40.0, 60.0, True, cash=2.0, operating_surplus=-1.0), Distress())
        False
        >>> feasible(EstateView("x", 100.0, 100.0, 80.0, 40.0, 60.0, True, cash=0.0, operating_surplus=0.5), Distress())
        True
    """
    return view.cash + params.reorganisation_runway_quarters * min(0.0, view.operating_surplus) >= 0.0


def restructure(view: EstateView, params: Distress) -> Reorganise | Liquidate:
    """Reorganise a failed firm when its creditors recover more that way than from selling its estate; else liquidate.

    Only an operating firm whose plan is feasible (:func:`feasible`) can be reorganised.

    The emerged firm keeps debt of ``reorganisation_leverage`` of its reorganised value, no
    more than the claims that can stay debt (loans and outside creditors' claims) and no more
    than leaves its book equity at zero or above (``view.debt_room``).

    Args:
        view: The failed firm's estate as the court sees it.
        params: The distress parameters (``reorganisation*``).

    Returns:
        The decision, with what the creditors recover under it and under the other.

    Example:
        >>> restructure(EstateView("x", 100.0, 100.0, 80.0, 40.0, 60.0, True), Distress())
        Reorganise(entity='x', value=72.0, new_debt=28.8, recovery=72.0, liquidation=40.0)
        >>> restructure(EstateView("x", 100.0, 100.0, 40.0, 50.0, 60.0, True), Distress())
        Liquidate(entity='x', recovery=50.0, reorganised=36.0)
    """
    reorganised, liquidated = recoveries(view, params)
    better = reorganised > liquidated + money_tol(view.claims)
    if not (params.reorganisation and view.operating and better and feasible(view, params)):
        return Liquidate(view.entity, liquidated, reorganised)
    value = max(0.0, view.going_concern * (1.0 - params.reorganisation_cost_share))
    new_debt = max(0.0, min(params.reorganisation_leverage * value, view.debt_claims, view.debt_room))
    return Reorganise(view.entity, value, new_debt, reorganised, liquidated)
