"""Charts of the target pages (plotly JSON, drawn by the local plotly.js)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from kpis.dashboards.figures import Figure, _layout, _out
from salesgoals.models import Metric
from targets.units import from_stored

__all__ = ["baseline_chart"]


def baseline_chart(metric: Metric, months: list[dict[str, Any]], value: int | None) -> Figure:
    """Last year's actual per month, and the proposed target in last year's monthly shape."""
    labels = [m["period"] for m in months]
    actuals = [float(from_stored(metric, m["actual"])) for m in months]
    total = sum(m["actual"] for m in months)
    fig = go.Figure()
    fig.add_bar(x=labels, y=actuals, name=_("Last year's actual"), marker_color="#9fb3c8")
    if value and total > 0:
        shaped = [float(from_stored(metric, round(value * m["actual"] / total))) for m in months]
        fig.add_scatter(
            x=labels,
            y=shaped,
            name=_("This target, same shape"),
            mode="lines+markers",
            line={"color": "#1f6feb", "width": 3},
        )
    fig.update_layout(_layout(_("Baseline: last year by month"), height=280))
    return _out(fig)
