"""The effectiveness report: does a course move the KPI of those who complete it?

For each course and a chosen metric, over the reps in the viewer's scope:

- **completers**: reps with a completed assignment of the course (their first completion).
  For each, ``before`` = mean of their monthly values over the N complete months before the
  month of completion, ``after`` = over the N months after it (the month of completion itself
  is left out); people without a value on both sides are left out.
- **comparison group**: reps in scope who never completed the course, measured over the same
  calendar windows around the completers' median completion month.
- An additive metric (revenue, counts) is 0 in a month without a cell while the rep was
  employed; a ratio without a cell (nothing to divide) is left out of the means.
- Each group's numbers are means over people (each person weighs the same); ``change`` =
  after − before and ``effect`` = completers' change − comparison change (a
  difference-in-differences).

Values are the metric's stored units (minor units, counts or basis points); KPI cells come
through `training.selectors.kpi_source` (i.e. `kpis.selectors`); the arithmetic is pandas.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from django.utils import timezone
from django.utils.translation import gettext as _

from salesgoals import scope
from salesgoals.models import Metric, Period, PeriodKind, Role, User
from training.models import Assignment, Course
from training.selectors import kpi_source


@dataclass
class CourseEffect:
    course: Course
    completers: int
    before: float | None
    after: float | None
    change: float | None
    comparison: int
    comparison_before: float | None
    comparison_after: float | None
    comparison_change: float | None
    effect: float | None
    median_month: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "course": self.course.code,
            "course_title": self.course.title,
            "completers": self.completers,
            "before": self.before,
            "after": self.after,
            "change": self.change,
            "comparison": self.comparison,
            "comparison_before": self.comparison_before,
            "comparison_after": self.comparison_after,
            "comparison_change": self.comparison_change,
            "effect": self.effect,
            "median_month": self.median_month,
        }


def _num(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _window_means(values: pd.DataFrame, users: list[int], k: int, n: int) -> pd.DataFrame:
    """Per user: mean over month positions [k-n, k-1] and [k+1, k+n] (NaN skipped)."""
    cols = values.columns
    before_cols = [c for c in cols if k - n <= c <= k - 1]
    after_cols = [c for c in cols if k + 1 <= c <= k + n]
    frame = values.reindex(index=users)
    return pd.DataFrame(
        {
            "before": frame[before_cols].mean(axis=1) if before_cols else math.nan,
            "after": frame[after_cols].mean(axis=1) if after_cols else math.nan,
        },
        index=users,
    ).dropna()


def _zero_fill_employed(grid: pd.DataFrame, month_list: list[Period]) -> pd.DataFrame:
    """An additive metric with no cell in a month the rep was employed is 0 (nothing sold),
    not unknown; months outside their employment stay empty."""
    employment = User.objects.filter(pk__in=list(grid.index)).values_list(
        "pk", "hire_date", "leave_date"
    )
    starts = [m.start for m in month_list]
    ends = [m.end for m in month_list]
    mask = pd.DataFrame(False, index=grid.index, columns=grid.columns)
    for pk, hired, left in employment:
        mask.loc[pk] = [
            (hired is None or hired <= end) and (left is None or left >= start)
            for start, end in zip(starts, ends, strict=True)
        ]
    return grid.where(~(grid.isna() & mask), 0.0)


def course_effects(
    user: User,
    *,
    metric: Metric,
    months: int = 3,
    courses: list[Course] | None = None,
    today: datetime.date | None = None,
) -> list[CourseEffect]:
    today = today or timezone.localdate()
    if courses is None:
        courses = list(Course.objects.filter(active=True).order_by("category", "title"))
    population = list(
        scope.visible_users(user).filter(role=Role.REP).values_list("pk", flat=True).order_by("pk")
    )
    month_list = list(Period.objects.filter(kind=PeriodKind.MONTH, end__lt=today).order_by("start"))
    empty = [CourseEffect(c, 0, None, None, None, 0, None, None, None, None, None) for c in courses]
    if not population or not month_list:
        return empty
    completions = pd.DataFrame(
        list(
            Assignment.objects.filter(
                status=Assignment.Status.COMPLETED,
                completed_on__isnull=False,
                user_id__in=population,
                course__in=courses,
            ).values("user_id", "course_id", "completed_on")
        ),
        columns=["user_id", "course_id", "completed_on"],
    )
    cells = kpi_source.rep_cells(
        metric=metric, user_ids=population, period_ids=[m.pk for m in month_list], actor=user
    )
    position = {m.pk: i for i, m in enumerate(month_list)}
    values = pd.DataFrame(
        [
            {"user_id": uid, "k": position[pid], "value": cell.actual}
            for (uid, pid), cell in cells.items()
            if cell.actual is not None
        ],
        columns=["user_id", "k", "value"],
    )
    grid = values.pivot_table(index="user_id", columns="k", values="value", aggfunc="first")
    grid = grid.astype(float).reindex(index=population, columns=range(len(month_list)))
    if metric.aggregation == Metric.Aggregation.SUM:
        grid = _zero_fill_employed(grid, month_list)

    ends = pd.Series([m.end for m in month_list])

    def month_index(day: datetime.date) -> int:
        # The month containing ``day``: the count of months ended before it. Completions in
        # the running month map past the list (no "after" yet).
        return int((ends < day).sum())

    results: list[CourseEffect] = []
    for course in courses:
        done = completions[completions.course_id == course.pk]
        if done.empty:
            results.append(CourseEffect(course, 0, *([None] * 3), 0, *([None] * 5)))
            continue
        first = done.groupby("user_id")["completed_on"].min()
        ks = first.map(month_index)
        rows = []
        for uid, k in ks.items():
            means = _window_means(grid, [uid], k, months)
            if not means.empty:
                rows.append(means.iloc[0])
        treated = pd.DataFrame(rows)
        median_k = math.floor(ks.median())
        others = [u for u in population if u not in set(first.index)]
        control = _window_means(grid, others, median_k, months)
        before = _num(treated["before"].mean()) if not treated.empty else None
        after = _num(treated["after"].mean()) if not treated.empty else None
        c_before = _num(control["before"].mean()) if not control.empty else None
        c_after = _num(control["after"].mean()) if not control.empty else None
        change = after - before if before is not None and after is not None else None
        c_change = c_after - c_before if c_before is not None and c_after is not None else None
        effect = change - c_change if change is not None and c_change is not None else None
        label = month_list[median_k].label if 0 <= median_k < len(month_list) else None
        results.append(
            CourseEffect(
                course,
                len(treated),
                before,
                after,
                change,
                len(control),
                c_before,
                c_after,
                c_change,
                effect,
                label,
            )
        )
    return results


def display_value(metric: Metric, value: float | None) -> str:
    """A stored-unit number as people read it (money in major units, rates in %)."""
    if value is None:
        return "—"
    if metric.unit == Metric.Unit.PERCENT:
        return f"{value / 100:.1f}%"
    if metric.unit == Metric.Unit.CURRENCY:
        return f"{value / 100:,.0f}"
    return f"{value:,.1f}"


def _scaled(metric: Metric, value: float | None) -> float | None:
    if value is None:
        return None
    if metric.unit in (Metric.Unit.PERCENT, Metric.Unit.CURRENCY):
        return round(value / 100, 2)
    return round(value, 2)


def effects_figure(metric: Metric, effects: list[CourseEffect]) -> dict[str, Any]:
    """Grouped bars per course: the KPI change of completers vs the comparison group."""
    shown = [e for e in effects if e.change is not None or e.comparison_change is not None]
    labels = [e.course.title for e in shown]
    fig = go.Figure(
        data=[
            go.Bar(
                name=_("Completed the course"),
                x=labels,
                y=[_scaled(metric, e.change) for e in shown],
                marker={"color": "#2e7d32"},
            ),
            go.Bar(
                name=_("Comparison group"),
                x=labels,
                y=[_scaled(metric, e.comparison_change) for e in shown],
                marker={"color": "#90a4ae"},
            ),
        ],
        layout={
            "template": "none",
            "barmode": "group",
            "title": {
                "text": _("Change in %(metric)s after the course (after − before)")
                % {"metric": metric.localized_name},
                "x": 0,
                "xanchor": "left",
                "font": {"size": 15},
            },
            "height": 360,
            "margin": {"l": 50, "r": 10, "t": 40, "b": 60},
            "legend": {"orientation": "h", "y": -0.2, "x": 0},
            "yaxis": {"gridcolor": "#e6ebf1", "zerolinecolor": "#9aa5b1", "automargin": True},
            "xaxis": {"automargin": True},
        },
    )
    return fig.to_plotly_json()
