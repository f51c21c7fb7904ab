"""The timeline (Gantt) of an action plan as a plotly figure (a plain dict for `json_script`).

One horizontal bar per task from its start to the end of its due date, coloured by status
(one trace per status, so the legend explains the colours); overdue tasks get a red outline
(a trace of its own, named in the legend); milestones are diamonds on their due date; arrows
run from each dependency's end to the task's start; a dashed line marks today. Drawn in the
browser by `static/js/salesgoals.js`.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils.translation import gettext as _

from plans.models import ActionPlan, Task
from plans.selectors.actions import is_overdue, today

DAY_MS = 24 * 3600 * 1000
COLOURS = {
    Task.Status.TODO: "#8a94a6",
    Task.Status.IN_PROGRESS: "#1f6feb",
    Task.Status.BLOCKED: "#d97706",
    Task.Status.DONE: "#1a7f37",
    Task.Status.CANCELLED: "#c5cad3",
}
OVERDUE = "#c0392b"


def _label(number: int, task: Task) -> str:
    title = task.title if len(task.title) <= 38 else task.title[:37] + "…"
    return f"{number}. {title}"


def _hover(task: Task) -> str:
    return "<br>".join(
        [
            f"<b>{task.title}</b>",
            _("Owner: %(name)s") % {"name": task.owner.display},
            _("%(start)s → %(due)s")
            % {"start": task.start_date.isoformat(), "due": task.due_date.isoformat()},
            _("Status: %(status)s · %(progress)s %%")
            % {"status": task.get_status_display(), "progress": task.progress},
        ]
    )


def gantt_figure(plan: ActionPlan, tasks: list[Task], day: datetime.date | None = None) -> dict:
    day = day or today()
    labels = {task.pk: _label(i, task) for i, task in enumerate(tasks, start=1)}
    index = {task.pk: i for i, task in enumerate(tasks)}
    data: list[dict[str, Any]] = []
    for status, name in Task.Status.choices:
        bars = [t for t in tasks if t.status == status and not t.is_milestone]
        if not bars:
            continue
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": str(name),
                "y": [labels[t.pk] for t in bars],
                "base": [t.start_date.isoformat() for t in bars],
                "x": [((t.due_date - t.start_date).days + 1) * DAY_MS for t in bars],
                "text": [f"{t.progress} %" for t in bars],
                "textposition": "inside",
                "insidetextanchor": "start",
                "hovertext": [_hover(t) for t in bars],
                "hoverinfo": "text",
                "marker": {"color": COLOURS[status], "line": {"width": 0}},
            }
        )
    late = [t for t in tasks if not t.is_milestone and is_overdue(t, day)]
    if late:
        # Outlines over the overdue bars: their own legend entry explains the red frame.
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": _("Overdue"),
                "y": [labels[t.pk] for t in late],
                "base": [t.start_date.isoformat() for t in late],
                "x": [((t.due_date - t.start_date).days + 1) * DAY_MS for t in late],
                "hoverinfo": "skip",
                "marker": {"color": "rgba(0,0,0,0)", "line": {"color": OVERDUE, "width": 3}},
            }
        )
    milestones = [t for t in tasks if t.is_milestone]
    if milestones:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": _("Milestone"),
                "y": [labels[t.pk] for t in milestones],
                "x": [(t.due_date + datetime.timedelta(days=1)).isoformat() for t in milestones],
                "hovertext": [_hover(t) for t in milestones],
                "hoverinfo": "text",
                "marker": {
                    "symbol": "diamond",
                    "size": 16,
                    "color": [COLOURS[t.status] for t in milestones],
                    "line": {
                        "color": [OVERDUE if is_overdue(t, day) else "#333" for t in milestones],
                        "width": 2,
                    },
                },
            }
        )
    arrows = []
    for task in tasks:
        for dep in task.depends_on.all():
            if dep.pk not in index:
                continue
            arrows.append(
                {
                    "x": task.start_date.isoformat(),
                    "y": index[task.pk],
                    "ax": (dep.due_date + datetime.timedelta(days=1)).isoformat(),
                    "ay": index[dep.pk],
                    "xref": "x",
                    "yref": "y",
                    "axref": "x",
                    "ayref": "y",
                    "showarrow": True,
                    "arrowhead": 2,
                    "arrowsize": 1,
                    "arrowwidth": 1.5,
                    "arrowcolor": "#55606e",
                    "text": "",
                }
            )
    order = [labels[t.pk] for t in tasks]
    layout = {
        "barmode": "overlay",
        "height": max(260, 44 * len(tasks) + 120),
        "margin": {"l": 240, "r": 20, "t": 30, "b": 40},
        "xaxis": {
            "type": "date",
            "range": [
                (min([plan.start_date, *(t.start_date for t in tasks)])).isoformat(),
                (
                    max([plan.end_date, *(t.due_date for t in tasks)]) + datetime.timedelta(days=2)
                ).isoformat(),
            ],
        },
        "yaxis": {
            "type": "category",
            "categoryorder": "array",
            "categoryarray": order,
            "autorange": "reversed",
        },
        "legend": {"orientation": "h", "y": -0.12},
        "annotations": arrows,
        "shapes": [
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": day.isoformat(),
                "x1": day.isoformat(),
                "y0": 0,
                "y1": 1,
                "line": {"color": OVERDUE, "width": 1.5, "dash": "dash"},
            }
        ],
        "plot_bgcolor": "#ffffff",
        "paper_bgcolor": "#ffffff",
    }
    return {"data": data, "layout": layout}
