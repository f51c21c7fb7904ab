"""The data behind the executive, manager and rep dashboards.

Each builder takes a checked `Selection` and returns a JSON-ready dict (tables as rows of
figures, charts as plotly JSON). Reads go through `kpis.selectors` (scoped); every cell of a
dashboard comes from one `KpiValue` query over the period set it needs, pivoted here, so the
query count is the same for 3 reps or 3,000.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from kpis.models import Deal, KpiValue, Lead, OwnerType
from kpis.selectors import facts_visible, kpi_values_visible
from salesgoals import fiscal, money
from salesgoals.models import Metric, OrgUnit, Period, PeriodKind, Role, User

from . import figures
from . import numbers as num
from .selection import KIND_ORDER, Selection

__all__ = ["executive_dashboard", "manager_dashboard", "rep_dashboard"]

PERFORMERS = 5
STATUS_RANK = {"behind": 0, "at_risk": 1, "on_track": 2}
Key = tuple[str, int, int, int]  # (owner_type, owner_id, metric_id, period_id)


# --- shared pieces ---------------------------------------------------------------------------


def period_label(period: Period) -> str:
    return fiscal.display_label(
        period.kind, period.number, period.start, period.end, period.fiscal_year
    )


def _short_label(period: Period) -> str:
    """Compact axis label: "W05" for weeks, the full label otherwise."""
    label = period_label(period)
    return label.split(" · ")[0] if period.kind == PeriodKind.WEEK else label


def period_info(period: Period | None) -> dict[str, Any] | None:
    if period is None:
        return None
    return {
        "id": period.pk,
        "kind": period.kind,
        "label": period_label(period),
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "fiscal_year": period.fiscal_year.year,
    }


def unit_info(unit: OrgUnit | None) -> dict[str, Any] | None:
    if unit is None:
        return None
    return {"id": unit.pk, "name": unit.name, "kind": unit.kind}


def person_info(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    unit = user.org_unit if user.org_unit_id else None
    return {
        "id": user.pk,
        "name": user.display,
        "org_unit": unit_info(unit),
    }


def metric_info(metric: Metric) -> dict[str, Any]:
    return {"code": metric.code, "name": metric.localized_name, "unit": metric.unit}


def _pivot(cells: Iterable[KpiValue]) -> dict[Key, KpiValue]:
    return {(c.owner_type, c.owner_id, c.metric_id, c.period_id): c for c in cells}


class DrillLinks(Protocol):
    def url(self, metric: Metric, owner_type: str, owner_id: int, period: Period) -> str: ...


class DrillPageLinks:
    """Links from a figure to the facts behind it (the drill-down page)."""

    def __init__(self) -> None:
        self.base = reverse("dashboards:drill")

    def url(self, metric: Metric, owner_type: str, owner_id: int, period: Period) -> str:
        # Codes are slugs and the rest are numbers: nothing to escape (and grids are big).
        return (
            f"{self.base}?metric={metric.code}&owner_type={owner_type}"
            f"&owner={int(owner_id)}&period={int(period.pk)}"
        )


_VALUE_FIELDS = ("actual", "target", "expected_to_date", "required_rate", "forecast")
_PERCENT_FIELDS = ("attainment", "pace", "pipeline_coverage")


class Labels:
    """Metric names and status words in the active language, looked up once per build."""

    def __init__(self) -> None:
        self._metrics: dict[int | None, str] = {}
        self.statuses = {value: str(label) for value, label in KpiValue.Status.choices}

    def metric(self, metric: Metric) -> str:
        if metric.pk not in self._metrics:
            self._metrics[metric.pk] = metric.localized_name
        return self._metrics[metric.pk]


def cell_view(
    metric: Metric,
    cell: KpiValue | None,
    *,
    owner_type: str,
    owner_id: int,
    period: Period,
    drill: DrillLinks,
    labels: Labels | None = None,
) -> dict[str, Any]:
    """One KPI cell as the API and the tables show it (a missing cell is zero, no target)."""
    labels = labels or Labels()
    status = cell.status if cell else KpiValue.Status.NO_TARGET
    if cell is None:
        values: dict[str, int | None] = dict.fromkeys(_VALUE_FIELDS)
        percents: dict[str, int | None] = dict.fromkeys(_PERCENT_FIELDS)
        values["actual"] = 0
    else:
        values = {
            "actual": num.actual_hundredths(metric, cell),
            "target": num.hundredths(metric, cell.target),
            "expected_to_date": num.hundredths(metric, cell.expected_to_date),
            "required_rate": num.hundredths(metric, cell.required_rate),
            "forecast": num.hundredths(metric, cell.forecast),
        }
        percents = {
            "attainment": cell.attainment_bp,
            "pace": cell.pace_bp,
            "pipeline_coverage": cell.pipeline_coverage_bp,
        }
    row: dict[str, Any] = {
        "metric": metric.code,
        "metric_name": labels.metric(metric),
        "unit": metric.unit,
        "period": period.pk,
        "owner_type": owner_type,
        "owner_id": owner_id,
    }
    display: dict[str, str] = {}
    for key, value in values.items():
        row[key] = num.decimal_text(value)
        display[key] = num.show_hundredths(metric, value)
    for key, value in percents.items():
        row[key] = num.decimal_text(value)
        display[key] = num.show_bp(value)
    row["status"] = str(status)
    row["status_label"] = labels.statuses[status]
    row["has_target"] = values["target"] is not None
    row["display"] = display
    row["drill_url"] = drill.url(metric, owner_type, owner_id, period)
    return row


def _notices(sel: Selection, rows: list[dict[str, Any]], *, who: bool = True) -> list[dict]:
    notes = []
    if sel.period is None:
        notes.append(
            {
                "code": "no_fiscal_year",
                "text": _("No fiscal year has been generated yet, so there is nothing to show."),
            }
        )
        return notes
    if not who:
        notes.append(
            {"code": "no_unit", "text": _("There is no org unit in your scope to show yet.")}
        )
        return notes
    if not any(r["has_target"] for r in rows):
        notes.append(
            {
                "code": "no_targets",
                "text": _(
                    "No targets are published for this period yet: attainment and pace appear "
                    "as soon as they are."
                ),
            }
        )
    if not any(Decimal(r["actual"] or 0) for r in rows):
        notes.append(
            {"code": "no_facts", "text": _("Nothing has been recorded for this period yet.")}
        )
    return notes


def _base(sel: Selection) -> dict[str, Any]:
    return {
        "board": sel.board,
        "period": period_info(sel.period),
        "previous_period": period_info(sel.prev_period),
        "next_period": period_info(sel.next_period),
        "today": sel.today.isoformat(),
        "currency": money.base_currency(),
        "metric": metric_info(sel.metric) if sel.metric else None,
        "metrics": [metric_info(m) for m in sel.metrics],
        "org_unit": unit_info(sel.unit),
        "rep": person_info(sel.rep),
        "figures": {},
    }


def _hover(label: str, value: str) -> str:
    return f"{label}: {value}"


def _rank_key(row: dict[str, Any]) -> tuple:
    attainment = row["attainment"]
    return (
        attainment is not None,
        Decimal(attainment) if attainment is not None else Decimal(0),
        Decimal(row["actual"] or 0),
    )


def _reps_in(unit: OrgUnit) -> QuerySet[User]:
    return (
        User.objects.filter(role=Role.REP, is_active=True, org_unit__path__startswith=unit.path)
        .select_related("org_unit")
        .order_by("org_unit__path", "display_name", "username")
    )


def _attainment_rows(rows: list[dict[str, Any]], labels: list[str]) -> list[dict[str, Any]]:
    out = []
    for row, label in zip(rows, labels, strict=True):
        if row["attainment"] is None:
            continue
        out.append(
            {
                "label": label,
                "attainment": float(Decimal(row["attainment"])),
                "status": row["status"],
                "text": row["display"]["attainment"],
                "hover": (
                    f"{label}<br>{_('Actual')}: {row['display']['actual']}"
                    f"<br>{_('Target')}: {row['display']['target']}"
                    f"<br>{_('Pace')}: {row['display']['pace']}"
                ),
            }
        )
    return out


# --- executive -------------------------------------------------------------------------------


def executive_dashboard(sel: Selection) -> dict[str, Any]:
    """Company (or unit) attainment per metric, cumulative actual vs target, breakdown by the
    unit's children, top and bottom reps, the lead → deal → won funnel, retention by month."""
    out = _base(sel)
    out.update(kpis=[], breakdown=[], performers={"top": [], "bottom": []}, funnel=None)
    if sel.period is None or sel.unit is None or sel.metric is None:
        out["notices"] = _notices(sel, [], who=sel.unit is not None)
        return out
    unit, period, focus, drill = sel.unit, sel.period, sel.metric, DrillPageLinks()
    labels = Labels()
    retention = next((m for m in sel.metrics if m.code == "retention_rate"), None)
    weeks = sel.periods_of(PeriodKind.WEEK)
    months = sel.periods_of(PeriodKind.MONTH)
    children = list(
        OrgUnit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1).order_by("name")
    )
    reps = _reps_in(unit)
    wanted = (
        Q(owner_type=OwnerType.UNIT, owner_id__in=[unit.pk, *(c.pk for c in children)])
        & Q(period=period)
    ) | Q(
        owner_type=OwnerType.UNIT, owner_id=unit.pk, metric=focus, period__in=[w.pk for w in weeks]
    )
    if retention is not None:
        wanted |= Q(
            owner_type=OwnerType.UNIT,
            owner_id=unit.pk,
            metric=retention,
            period__in=[m.pk for m in months],
        )
    wanted |= Q(
        owner_type=OwnerType.REP, owner_id__in=reps.values("pk"), metric=focus, period=period
    )
    cells = _pivot(kpi_values_visible(sel.user).filter(wanted))
    reps_list = list(reps)

    def view(metric: Metric, owner_type: str, owner_id: int, p: Period) -> dict[str, Any]:
        return cell_view(
            metric,
            cells.get((owner_type, owner_id, metric.pk, p.pk)),
            owner_type=owner_type,
            owner_id=owner_id,
            period=p,
            drill=drill,
            labels=labels,
        )

    kpis = [view(m, OwnerType.UNIT, unit.pk, period) for m in sel.metrics]
    out["kpis"] = kpis
    out["notices"] = _notices(sel, kpis)
    breakdown = []
    for child in children:
        row = view(focus, OwnerType.UNIT, child.pk, period)
        row["org_unit"] = unit_info(child)
        breakdown.append(row)
    out["breakdown"] = breakdown

    ranked = []
    for rep in reps_list:
        row = view(focus, OwnerType.REP, rep.pk, period)
        row["rep"] = person_info(rep)
        ranked.append(row)
    ranked.sort(key=_rank_key, reverse=True)
    # Rank by attainment among reps who have a target; a new hire without one is neither a
    # top nor a bottom performer. Without any targets, rank everyone by actual.
    with_target = [row for row in ranked if row["attainment"] is not None]
    pool = with_target or ranked
    top = pool[:PERFORMERS]
    rest = pool[PERFORMERS:]
    out["performers"] = {"top": top, "bottom": list(reversed(rest[-PERFORMERS:]))}

    leads = (
        facts_visible(sel.user, Lead)
        .filter(
            org_unit__path__startswith=unit.path,
            created_date__gte=period.start,
            created_date__lte=period.end,
        )
        .count()
    )
    deal_counts = (
        facts_visible(sel.user, Deal)
        .filter(org_unit__path__startswith=unit.path)
        .aggregate(
            created=Count(
                "pk", filter=Q(created_date__gte=period.start, created_date__lte=period.end)
            ),
            won=Count(
                "pk",
                filter=Q(
                    status=Deal.Status.WON,
                    close_date__gte=period.start,
                    close_date__lte=period.end,
                ),
            ),
        )
    )
    out["funnel"] = {
        "leads": leads,
        "deals": deal_counts["created"] or 0,
        "won": deal_counts["won"] or 0,
    }

    figs = out["figures"]
    names = [m.localized_name for m in sel.metrics]
    bars = _attainment_rows(kpis, names)
    if bars:
        figs["attainment"] = figures.attainment_bars(
            bars, _("Attainment by metric — %(period)s") % {"period": period_label(period)}
        )
    figs["cumulative"] = _cumulative_figure(sel, weeks, cells, focus, unit)
    if breakdown:
        figs["breakdown"] = _breakdown_figure(focus, breakdown, children, period)
    funnel_counts = [out["funnel"]["leads"], out["funnel"]["deals"], out["funnel"]["won"]]
    if any(funnel_counts):
        figs["funnel"] = figures.funnel(
            [_("Leads"), _("Deals created"), _("Deals won")],
            funnel_counts,
            _("Funnel — %(period)s") % {"period": period_label(period)},
        )
    if retention is not None:
        trend = _retention_figure(sel, months, cells, retention, unit)
        if trend is not None:
            figs["retention"] = trend
    return out


def _cumulative_figure(
    sel: Selection, weeks: list[Period], cells: dict[Key, KpiValue], metric: Metric, unit: OrgUnit
) -> dict[str, Any] | None:
    if not weeks:
        return None
    labels, actual, target, hover_a, hover_t = [], [], [], [], []
    run_actual = Decimal(0)
    run_target = Decimal(0)
    any_target = False
    additive = metric.is_additive
    for week in weeks:
        cell = cells.get((OwnerType.UNIT, unit.pk, metric.pk, week.pk))
        value = num.actual_of(metric, cell)
        goal = num.scaled(metric, cell.target) if cell else None
        any_target = any_target or goal is not None
        labels.append(_short_label(week))
        if additive:
            run_actual += value
            run_target += goal or 0
            shown_actual, shown_target = run_actual, run_target
        else:
            shown_actual, shown_target = value, goal
        started = week.start <= sel.today
        actual.append(num.chart(shown_actual) if started else None)
        target.append(num.chart(shown_target))
        hover_a.append(num.show(metric, shown_actual) if started else num.DASH)
        hover_t.append(num.show(metric, shown_target))
    if not any_target:
        target = [None] * len(target)
    title = (
        _("Cumulative %(metric)s vs target, week by week — %(year)s")
        if additive
        else _("%(metric)s by week — %(year)s")
    ) % {"metric": metric.localized_name, "year": period_label(sel.periods_of("year")[0])}
    return figures.cumulative(labels, actual, target, hover_a, hover_t, title, _unit_title(metric))


def _unit_title(metric: Metric) -> str:
    if metric.unit == Metric.Unit.CURRENCY:
        return money.base_currency()
    if metric.unit == Metric.Unit.PERCENT:
        return "%"
    return _("count")


def _breakdown_figure(
    metric: Metric, rows: list[dict[str, Any]], children: list[OrgUnit], period: Period
) -> dict[str, Any]:
    labels = [c.name for c in children]
    return figures.actual_vs_target(
        labels,
        [num.chart(Decimal(r["actual"])) for r in rows],
        [num.chart(Decimal(r["target"])) if r["target"] else None for r in rows],
        [r["status"] for r in rows],
        [f"{r['display']['actual']} · {r['display']['attainment']}" for r in rows],
        [r["display"]["target"] for r in rows],
        _("%(metric)s by unit — %(period)s")
        % {"metric": metric.localized_name, "period": period_label(period)},
        _unit_title(metric),
    )


def _retention_figure(
    sel: Selection,
    months: list[Period],
    cells: dict[Key, KpiValue],
    metric: Metric,
    unit: OrgUnit,
) -> dict[str, Any] | None:
    shown = [m for m in months if m.start <= sel.today]
    labels, values, targets, hover = [], [], [], []
    for month in shown:
        cell = cells.get((OwnerType.UNIT, unit.pk, metric.pk, month.pk))
        value = num.actual_of(metric, cell) if cell and cell.denominator else None
        goal = num.scaled(metric, cell.target) if cell else None
        labels.append(_short_label(month))
        values.append(num.chart(value))
        targets.append(num.chart(goal))
        hover.append(num.show_percent(value))
    if not any(v is not None for v in values):
        return None
    return figures.rate_trend(
        labels,
        values,
        targets,
        hover,
        _("%(metric)s by month") % {"metric": metric.localized_name},
    )


# --- manager ---------------------------------------------------------------------------------


def manager_dashboard(sel: Selection) -> dict[str, Any]:
    """Reps by metrics for the period, each cell coloured by pace, with the unit's own row."""
    out = _base(sel)
    out.update(unit_row=[], reps=[])
    if sel.period is None or sel.unit is None:
        out["notices"] = _notices(sel, [], who=sel.unit is not None)
        return out
    unit, period, drill = sel.unit, sel.period, DrillPageLinks()
    labels = Labels()
    reps = _reps_in(unit)
    cells = _pivot(
        kpi_values_visible(sel.user).filter(
            Q(owner_type=OwnerType.UNIT, owner_id=unit.pk)
            | Q(owner_type=OwnerType.REP, owner_id__in=reps.values("pk")),
            period=period,
        )
    )

    def row_for(owner_type: str, owner_id: int) -> list[dict[str, Any]]:
        return [
            cell_view(
                m,
                cells.get((owner_type, owner_id, m.pk, period.pk)),
                owner_type=owner_type,
                owner_id=owner_id,
                period=period,
                drill=drill,
                labels=labels,
            )
            for m in sel.metrics
        ]

    out["unit_row"] = row_for(OwnerType.UNIT, unit.pk)
    rep_rows = []
    all_cells: list[dict[str, Any]] = list(out["unit_row"])
    for rep in reps:
        row: dict[str, Any] = dict(person_info(rep) or {})
        row["cells"] = row_for(OwnerType.REP, rep.pk)
        rep_rows.append(row)
        all_cells.extend(row["cells"])
    out["reps"] = rep_rows
    out["notices"] = _notices(sel, all_cells)
    targeted = [
        i for i, _m in enumerate(sel.metrics) if any(r["cells"][i]["has_target"] for r in rep_rows)
    ]
    if rep_rows and targeted:
        codes, texts = [], []
        for row in rep_rows:
            line_codes, line_texts = [], []
            for i in targeted:
                cell = row["cells"][i]
                line_codes.append(STATUS_RANK.get(cell["status"]))
                line_texts.append(
                    cell["display"]["pace"] if cell["pace"] is not None else cell["status_label"]
                )
            codes.append(line_codes)
            texts.append(line_texts)
        out["figures"]["pace"] = figures.status_grid(
            [r["name"] for r in rep_rows],
            [sel.metrics[i].localized_name for i in targeted],
            codes,
            texts,
            _("Pace by rep — %(period)s") % {"period": period_label(period)},
        )
    return out


# --- rep -------------------------------------------------------------------------------------


def rep_dashboard(sel: Selection) -> dict[str, Any]:
    """A person's numbers for the week, month, quarter and year around the chosen period,
    with pace, required rate per working day and forecast; weekly trend of one metric."""
    out = _base(sel)
    out.update(columns=[], rows=[], focus=None)
    rep = sel.rep
    if sel.period is None or rep is None or sel.metric is None:
        out["notices"] = _notices(sel, [])
        return out
    period, focus, drill = sel.period, sel.metric, DrillPageLinks()
    labels = Labels()
    day = sel.reference_day
    assert day is not None
    out["reference_day"] = day.isoformat()
    columns = sorted(sel.containing(day), key=lambda p: -KIND_ORDER[p.kind])  # week first
    quarter = next((p for p in columns if p.kind == PeriodKind.QUARTER), None)
    weeks = [
        w
        for w in sel.periods_of(PeriodKind.WEEK)
        if quarter is not None and quarter.start <= w.start <= quarter.end
    ]
    cells = _pivot(
        kpi_values_visible(sel.user).filter(
            Q(period__in=[p.pk for p in {*columns, period}])
            | Q(metric=focus, period__in=[w.pk for w in weeks]),
            owner_type=OwnerType.REP,
            owner_id=rep.pk,
        )
    )

    def view(metric: Metric, p: Period) -> dict[str, Any]:
        return cell_view(
            metric,
            cells.get((OwnerType.REP, rep.pk, metric.pk, p.pk)),
            owner_type=OwnerType.REP,
            owner_id=rep.pk,
            period=p,
            drill=drill,
            labels=labels,
        )

    out["columns"] = [period_info(p) for p in columns]
    rows = []
    flat: list[dict[str, Any]] = []
    for metric in sel.metrics:
        line = [view(metric, p) for p in columns]
        flat.extend(line)
        rows.append({**metric_info(metric), "cells": line})
    out["rows"] = rows
    out["focus"] = view(focus, period)
    out["notices"] = _notices(sel, [*flat, out["focus"]])

    month = next((p for p in columns if p.kind == PeriodKind.MONTH), period)
    month_rows = [view(m, month) for m in sel.metrics]
    bars = _attainment_rows(month_rows, [m.localized_name for m in sel.metrics])
    if bars:
        out["figures"]["attainment"] = figures.attainment_bars(
            bars, _("Attainment by metric — %(period)s") % {"period": period_label(month)}
        )
    week_rows = [view(focus, w) for w in weeks]
    if any(r["has_target"] or Decimal(r["actual"] or 0) for r in week_rows):
        started = [w.start <= sel.today for w in weeks]
        out["figures"]["weekly"] = figures.actual_vs_target(
            [_short_label(w) for w in weeks],
            [
                num.chart(Decimal(r["actual"])) if s else None
                for r, s in zip(week_rows, started, strict=True)
            ],
            [num.chart(Decimal(r["target"])) if r["target"] else None for r in week_rows],
            [r["status"] for r in week_rows],
            [f"{r['display']['actual']} · {r['display']['pace']}" for r in week_rows],
            [r["display"]["target"] for r in week_rows],
            _("%(metric)s by week — %(period)s")
            % {"metric": focus.localized_name, "period": period_label(quarter)},
            _unit_title(focus),
            target_as_line=True,
        )
    return out
