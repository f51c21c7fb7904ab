"""Plotly figures (as JSON) of the incentives pages: the payout curve of the plan builder."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from incentives.engine import Component, Tiered, curve

COLOURS = ("#1d4ed8", "#b45309", "#047857", "#7c3aed")


def payout_curve(components: list[Component], upto: int = 200) -> dict[str, Any]:
    """Payout vs attainment 0–`upto`% for every tiered component (amounts as strings)."""
    data = []
    tiered = [c for c in components if isinstance(c, Tiered)]
    for i, component in enumerate(tiered):
        points = curve(component, upto=upto)
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": component.label,
                "x": [str(a) for a, _ in points],
                "y": [str(p) for _, p in points],
                "line": {"color": COLOURS[i % len(COLOURS)], "width": 3, "shape": "linear"},
                "hovertemplate": "%{x}% → %{y:,.2f}<extra></extra>",
            }
        )
    shapes = [
        {
            "type": "line",
            "x0": 100,
            "x1": 100,
            "y0": 0,
            "y1": 1,
            "yref": "paper",
            "line": {"dash": "dot", "color": "#9ca3af"},
        }
    ]
    return {
        "data": data,
        "layout": {
            "title": {"text": _("Payout by attainment")},
            "xaxis": {
                "title": {"text": _("Attainment (%)")},
                "range": [0, upto],
                "dtick": 20 if upto <= 200 else 50,
            },
            "yaxis": {"title": {"text": _("Payout")}, "rangemode": "tozero", "tickformat": ","},
            "margin": {"l": 70, "r": 20, "t": 50, "b": 50},
            "height": 360,
            "shapes": shapes,
            "showlegend": len(data) > 1,
            "font": {"family": "system-ui, sans-serif"},
        },
    }


def payout_curve_with_marker(
    components: list[Component], attainment: str | None, payout: str | None, label: str
) -> dict[str, Any] | None:
    """The payout curve with the person's own point on it (statement pages)."""
    upto = 200
    if attainment not in (None, "—"):
        upto = max(200, int(Decimal(attainment) / 10 + 2) * 10)
    figure = payout_curve(components, upto=upto)
    if not figure["data"]:
        return None
    if attainment not in (None, "—") and payout is not None:
        figure["data"].append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": label,
                "x": [attainment],
                "y": [payout],
                "text": [label],
                "textposition": "top left",
                "marker": {"size": 13, "color": "#dc2626", "line": {"width": 2, "color": "#fff"}},
                "hovertemplate": "%{x}% → %{y:,.2f}<extra></extra>",
            }
        )
    figure["layout"]["showlegend"] = False
    figure["layout"]["height"] = 300
    return figure
