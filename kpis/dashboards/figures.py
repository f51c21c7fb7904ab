"""Plotly figures of the dashboards, as JSON-ready dicts (`fig.to_plotly_json()`).

The page draws them with the local plotly.js (static/js/salesgoals.js). Titles and labels are
translated in the active language; hover texts carry the formatted figures, so a chart shows
the same "¥1,234,568" and "95.3%" as the tables beside it.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from django.utils.translation import gettext as _

GREEN = "#2e9d5b"
AMBER = "#d99a1e"
RED = "#d0453a"
BLUE = "#1d6fb8"
GREY = "#9aa5b1"
LIGHT = "#c9d8ea"
STATUS_COLOURS = {"on_track": GREEN, "at_risk": AMBER, "behind": RED, "no_target": GREY}
FONT = (
    'system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", '
    '"Noto Sans CJK SC", sans-serif'
)

Figure = dict[str, Any]


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    axis = {"gridcolor": "#e6ebf1", "zerolinecolor": "#cfd6de", "automargin": True}
    layout: dict[str, Any] = {
        "template": "none",
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        "font": {"family": FONT, "size": 12, "color": "#2c3440"},
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "height": 320,
        "legend": {"orientation": "h", "y": -0.15, "x": 0},
        "xaxis": dict(axis),
        "yaxis": dict(axis),
        "hoverlabel": {"font": {"family": FONT}},
        "separators": ".,",
    }
    for key, value in extra.items():
        if key in ("xaxis", "yaxis") and isinstance(value, dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


def _out(fig: go.Figure) -> Figure:
    return fig.to_plotly_json()


def attainment_bars(rows: list[dict[str, Any]], title: str) -> Figure:
    """Horizontal bars: attainment % per row (metric, unit or rep), coloured by pace status.

    Each row: `label`, `attainment` (float %), `status`, `hover` (text).
    """
    rows = list(reversed(rows))  # plotly draws the first category at the bottom
    fig = go.Figure(
        go.Bar(
            x=[r["attainment"] for r in rows],
            y=[r["label"] for r in rows],
            orientation="h",
            marker={"color": [STATUS_COLOURS.get(r["status"], GREY) for r in rows]},
            text=[r["text"] for r in rows],
            textposition="auto",
            hovertext=[r["hover"] for r in rows],
            hoverinfo="text",
            name=_("Attainment"),
        ),
        layout=_layout(
            title,
            height=max(200, 60 + 34 * len(rows)),
            xaxis={
                "ticksuffix": "%",
                "range": [0, max([110.0, *(r["attainment"] * 1.08 for r in rows)])],
            },
            shapes=[
                {
                    "type": "line",
                    "x0": 100,
                    "x1": 100,
                    "yref": "paper",
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": "#2c3440", "dash": "dot", "width": 1},
                }
            ],
            showlegend=False,
        ),
    )
    return _out(fig)


def cumulative(
    labels: list[str],
    actual: list[float | None],
    target: list[float | None],
    hover_actual: list[str],
    hover_target: list[str],
    title: str,
    y_title: str,
) -> Figure:
    """Cumulative actual against cumulative target, week by week through the fiscal year."""
    fig = go.Figure(
        [
            go.Scatter(
                x=labels,
                y=target,
                name=_("Target"),
                mode="lines",
                line={"color": GREY, "dash": "dash", "width": 2},
                hovertext=hover_target,
                hoverinfo="text+name",
            ),
            go.Scatter(
                x=labels,
                y=actual,
                name=_("Actual"),
                mode="lines+markers",
                line={"color": BLUE, "width": 3},
                marker={"size": 4},
                hovertext=hover_actual,
                hoverinfo="text+name",
            ),
        ],
        layout=_layout(
            title,
            yaxis={"title": {"text": y_title}, "rangemode": "tozero"},
            xaxis={"type": "category", "nticks": 13},
            hovermode="x unified",
        ),
    )
    return _out(fig)


def actual_vs_target(
    labels: list[str],
    actual: list[float | None],
    target: list[float | None],
    statuses: list[str],
    hover_actual: list[str],
    hover_target: list[str],
    title: str,
    y_title: str,
    *,
    target_as_line: bool = False,
) -> Figure:
    """Bars of actual per category (coloured by status) with the target beside or as a line."""
    target_trace = (
        go.Scatter(
            x=labels,
            y=target,
            name=_("Target"),
            mode="lines+markers",
            line={"color": "#2c3440", "dash": "dot", "width": 2},
            hovertext=hover_target,
            hoverinfo="text+name",
        )
        if target_as_line
        else go.Bar(
            x=labels,
            y=target,
            name=_("Target"),
            marker={"color": LIGHT},
            hovertext=hover_target,
            hoverinfo="text+name",
        )
    )
    fig = go.Figure(
        [
            go.Bar(
                x=labels,
                y=actual,
                name=_("Actual"),
                marker={"color": [STATUS_COLOURS.get(s, BLUE) for s in statuses]},
                hovertext=hover_actual,
                hoverinfo="text+name",
            ),
            target_trace,
        ],
        layout=_layout(
            title,
            barmode="group",
            yaxis={"title": {"text": y_title}, "rangemode": "tozero"},
            xaxis={"type": "category"},
        ),
    )
    return _out(fig)


def funnel(stages: list[str], counts: list[int], title: str) -> Figure:
    fig = go.Figure(
        go.Funnel(
            y=stages,
            x=counts,
            textinfo="value",
            marker={"color": [BLUE, "#4a8fd0", GREEN]},
            connector={"fillcolor": "#e6ebf1", "line": {"color": "#cfd6de"}},
        ),
        layout=_layout(title, height=300, showlegend=False),
    )
    return _out(fig)


def rate_trend(
    labels: list[str],
    values: list[float | None],
    targets: list[float | None],
    hover: list[str],
    title: str,
) -> Figure:
    traces: list[Any] = [
        go.Scatter(
            x=labels,
            y=values,
            name=_("Actual"),
            mode="lines+markers",
            line={"color": BLUE, "width": 3},
            connectgaps=False,
            hovertext=hover,
            hoverinfo="text+name",
        )
    ]
    if any(t is not None for t in targets):
        traces.append(
            go.Scatter(
                x=labels,
                y=targets,
                name=_("Target"),
                mode="lines",
                line={"color": GREY, "dash": "dash"},
            )
        )
    fig = go.Figure(
        traces,
        layout=_layout(
            title,
            yaxis={"ticksuffix": "%", "rangemode": "tozero"},
            xaxis={"type": "category"},
        ),
    )
    return _out(fig)


def status_grid(
    people: list[str],
    metrics: list[str],
    codes: list[list[int | None]],
    texts: list[list[str]],
    title: str,
) -> Figure:
    """Reps by metrics, each cell coloured by its pace status (0 behind, 1 at risk, 2 on track)."""
    scale = [
        [0.0, RED],
        [1 / 3, RED],
        [1 / 3, AMBER],
        [2 / 3, AMBER],
        [2 / 3, GREEN],
        [1.0, GREEN],
    ]
    fig = go.Figure(
        go.Heatmap(
            z=codes,
            x=metrics,
            y=people,
            text=texts,
            texttemplate="%{text}",
            hoverinfo="text",
            colorscale=scale,
            zmin=-0.5,
            zmax=2.5,
            showscale=False,
            xgap=2,
            ygap=2,
        ),
        layout=_layout(
            title,
            height=max(220, 90 + 30 * len(people)),
            yaxis={"autorange": "reversed", "type": "category", "showgrid": False},
            xaxis={"side": "top", "type": "category", "showgrid": False},
            margin={"l": 10, "r": 10, "t": 80, "b": 10},
            plot_bgcolor="#f3f5f8",
        ),
    )
    return _out(fig)
