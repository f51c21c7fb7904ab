"""Plotly figures (as JSON) of the incentives pages: the payout curve of the plan builder."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from incentives.engine import Component, Tiered, curve

COLOURS = ("#1d4ed8", "#b45309", "#047857", "#7c3aed")


def payout_curve(components: list[Component]) -> dict[str, Any]:
    """Payout vs attainment 0–200% for every tiered component (amounts as decimal strings)."""
    data = []
    tiered = [c for c in components if isinstance(c, Tiered)]
    for i, component in enumerate(tiered):
        points = curve(component)
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
            "xaxis": {"title": {"text": _("Attainment (%)")}, "range": [0, 200], "dtick": 20},
            "yaxis": {"title": {"text": _("Payout")}, "rangemode": "tozero", "tickformat": ","},
            "margin": {"l": 70, "r": 20, "t": 50, "b": 50},
            "height": 360,
            "shapes": shapes,
            "showlegend": len(data) > 1,
            "font": {"family": "system-ui, sans-serif"},
        },
    }
