"""Reads of periodic reports and reviews (定期汇报), always through `salesgoals.scope`.

Who sees a report: its author; managers whose subtree holds the report's unit (a rep's unit
when written, or the team reported on); executives and admins. Who signs it off or returns it:
someone above the author other than the author — for a rep's report a manager of a subtree that
holds the rep's unit, for a team report a manager of a unit strictly above the team; executives
and admins always. Comments: the author and those who may sign off.

The KPI snapshot of a report is read through `kpis.selectors` only: every metric's cell of the
owner (the author, or the team) for the report's period — actual, target, variance
(actual − target), attainment and pace. The review-meeting agenda orders the cells of a unit's
subtree by |variance %| (attainment − 100%), so revenue in 分 and a count of deals compare.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import formats, timezone
from django.utils.translation import get_language

from kpis.selectors import kpi_values_for_user
from plans.models import Feedback, PeriodicReport, ReportComment
from plans.selectors import feedback_visible
from salesgoals import scope
from salesgoals.ids import is_id
from salesgoals.models import OrgUnit, Period, PeriodKind, Role, User
from salesgoals.money import format_money

__all__ = [
    "REPORT_KINDS",
    "ReviewAgenda",
    "figure",
    "figure_text",
    "kpi_snapshot",
    "missing_reports",
    "percent",
    "report_can_comment",
    "report_can_edit",
    "report_can_review",
    "report_can_view",
    "report_comments",
    "report_get_for_user",
    "report_periods",
    "report_snapshot",
    "report_team_units",
    "reports_visible",
    "review_agenda",
    "snapshot_rows",
]

#: Period kinds a report may cover.
REPORT_KINDS = (PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER)


def _roots(user: User) -> list[str]:
    return scope.managed_roots(user) if user.role == Role.MANAGER else []


def _visible_q(user: User) -> Q | None:
    """None = everything."""
    if scope.sees_everything(user):
        return None
    q = Q(author_id=user.pk)
    roots = _roots(user)
    if roots:
        q |= OrgUnit.subtree_q(roots, "org_unit__path")
    return q


def reports_visible(
    user: User,
    *,
    status: str | None = None,
    kind: str | None = None,
    period: Any = None,
    author: Any = None,
    org_unit: Any = None,
    owner_type: str | None = None,
    mine: bool = False,
) -> QuerySet[PeriodicReport]:
    """Reports in the user's scope, newest period first; `org_unit` keeps its subtree."""
    if not user.is_authenticated or not user.is_active:
        return PeriodicReport.objects.none()
    items = PeriodicReport.objects.select_related("author", "org_unit", "period", "signed_off_by")
    q = _visible_q(user)
    if q is not None:
        items = items.filter(q)
    if status:
        items = items.filter(status=status)
    if kind:
        items = items.filter(period__kind=kind)
    if period and is_id(period):
        items = items.filter(period_id=period)
    if author and is_id(author):
        items = items.filter(author_id=author)
    if owner_type:
        items = items.filter(owner_type=owner_type)
    if org_unit:
        unit = OrgUnit.objects.filter(pk=org_unit).first() if is_id(org_unit) else None
        if unit is None:
            return PeriodicReport.objects.none()
        items = items.filter(OrgUnit.subtree_q([unit.path], "org_unit__path"))
    if mine:
        items = items.filter(author_id=user.pk)
    return items


def report_can_view(user: User, report: PeriodicReport) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if scope.sees_everything(user) or report.author_id == user.pk:
        return True
    return any(report.org_unit.path.startswith(p) for p in _roots(user))


def report_can_review(user: User, report: PeriodicReport) -> bool:
    """Sign off or return: someone above the author, never the author."""
    if not user.is_authenticated or not user.is_active or report.author_id == user.pk:
        return False
    if scope.sees_everything(user):
        return True
    path = report.org_unit.path
    if report.owner_type == PeriodicReport.OwnerType.UNIT:
        return any(path.startswith(p) and path != p for p in _roots(user))
    return any(path.startswith(p) for p in _roots(user))


def report_can_edit(user: User, report: PeriodicReport) -> bool:
    return report.author_id == user.pk and report.is_editable and user.is_active


def report_can_comment(user: User, report: PeriodicReport) -> bool:
    return report.author_id == user.pk or report_can_review(user, report)


def report_get_for_user(*, user: User, pk: Any) -> PeriodicReport:
    """The report, or 404 when unknown and 403 when outside the user's scope."""
    report = get_object_or_404(
        PeriodicReport.objects.select_related(
            "author", "org_unit", "period", "period__fiscal_year", "signed_off_by"
        ),
        pk=pk,
    )
    if not report_can_view(user, report):
        raise PermissionDenied
    return report


def report_comments(report: PeriodicReport) -> QuerySet[ReportComment]:
    return report.comments.select_related("author")


def report_team_units(user: User) -> QuerySet[OrgUnit]:
    """Teams the user may write a team report for (managers: their subtree)."""
    if user.role == Role.REP and not user.is_superuser:
        return OrgUnit.objects.none()
    return scope.editable_units(user).order_by("path")


def report_periods(today: datetime.date, *, days: int = 400) -> QuerySet[Period]:
    """Periods a report or a review may cover: weeks, months and quarters that have started,
    from about the last year (newest first within each kind)."""
    order = Case(
        *(When(kind=kind, then=Value(i)) for i, kind in enumerate(REPORT_KINDS)),
        output_field=IntegerField(),
    )
    return (
        Period.objects.filter(
            kind__in=REPORT_KINDS,
            start__lte=today,
            end__gte=today - datetime.timedelta(days=days),
        )
        .annotate(kind_order=order)
        .order_by("kind_order", "-start")
    )


def _cell_row(cell: Any) -> dict[str, Any]:
    metric = cell.metric
    variance = None if cell.target is None else cell.actual - cell.target
    variance_bp = None if cell.attainment_bp is None else cell.attainment_bp - 10000
    return {
        "metric": metric.code,
        "name": metric.name,
        "name_zh": metric.name_zh,
        "unit": metric.unit,
        "direction": metric.direction,
        "owner_type": cell.owner_type,
        "owner_id": cell.owner_id,
        "owner_name": getattr(cell, "owner_name", "") or "",
        "actual": cell.actual,
        "target": cell.target,
        "variance": variance,
        "variance_bp": variance_bp,
        "attainment_bp": cell.attainment_bp,
        "pace_bp": cell.pace_bp,
        "status": cell.status,
    }


def kpi_snapshot(*, user: User, owner_type: str, owner_id: int, period: Period) -> list[dict]:
    """The owner's KPI cells of the period as the `user` may see them, one row per metric."""
    cells = kpi_values_for_user(
        user=user, period=period.pk, owner_type=owner_type, owner=owner_id
    ).filter(metric__is_active=True)
    return [_cell_row(cell) for cell in cells]


def report_snapshot(report: PeriodicReport) -> list[dict]:
    """The frozen snapshot once submitted, else the live one (read in the author's scope)."""
    if report.status != PeriodicReport.Status.DRAFT and report.submitted_at is not None:
        return list(report.kpi_snapshot)
    return kpi_snapshot(
        user=report.author,
        owner_type=report.owner_type,
        owner_id=report.owner_id,
        period=report.period,
    )


def missing_reports(
    user: User, *, periods: list[Period], org_unit: OrgUnit | None = None
) -> list[tuple[User, Period]]:
    """(rep, week) pairs in the user's scope without a report — weeks only (reps write weekly);
    a week with no working day (a clipped Sunday) expects no report."""
    weeks = [p for p in periods if p.kind == PeriodKind.WEEK and p.working_days > 0]
    if not weeks:
        return []
    reps = scope.visible_users(user).filter(role=Role.REP, is_active=True)
    if org_unit is not None:
        reps = reps.filter(org_unit__path__startswith=org_unit.path)
    reps = list(reps.select_related("org_unit").order_by("display_name", "username"))
    written = set(
        PeriodicReport.objects.filter(
            owner_type=PeriodicReport.OwnerType.REP,
            author__in=[r.pk for r in reps],
            period__in=[w.pk for w in weeks],
        ).values_list("author_id", "period_id")
    )
    out = []
    for week in weeks:
        for rep in reps:
            hired = rep.hire_date is None or rep.hire_date <= week.end
            if hired and (rep.pk, week.pk) not in written:
                out.append((rep, week))
    return out


@dataclass
class ReviewAgenda:
    unit: OrgUnit
    period: Period
    variances: list[dict[str, Any]]
    reports: list[PeriodicReport]
    feedback: list[Feedback]
    missing: list[tuple[User, Period]]


def review_agenda(*, user: User, unit: OrgUnit, period: Period, limit: int = 10) -> ReviewAgenda:
    """The agenda of a review meeting for a unit and period (the caller checked the unit).

    1. The largest variances of the subtree's KPI cells (units and reps) in the period, by
       |variance %| and then |variance|; cells without a target are left out.
    2. Reports of the subtree inside the period that name problems or ask for help.
    3. Open and acknowledged feedback raised in the subtree.
    4. Weekly reports still missing for the weeks of the period that have ended.
    """
    cells = kpi_values_for_user(user=user, period=period.pk, org_unit=unit.pk).filter(
        target__isnull=False, attainment_bp__isnull=False, metric__is_active=True
    )
    rows = [_cell_row(cell) for cell in cells]
    rows.sort(
        key=lambda r: (-abs(r["variance_bp"]), -abs(r["variance"] or 0), r["metric"], r["owner_id"])
    )
    reports = list(
        reports_visible(user, org_unit=unit.pk)
        .filter(period__start__gte=period.start, period__end__lte=period.end)
        .exclude(status=PeriodicReport.Status.DRAFT)
        .filter(~Q(problems="") | ~Q(help_needed=""))
        .order_by("period__start", "author__display_name")
    )
    feedback = list(
        feedback_visible(user, org_unit=unit.pk).filter(
            status__in=[Feedback.Status.OPEN, Feedback.Status.ACKNOWLEDGED]
        )[:limit]
    )
    weeks = list(
        Period.objects.filter(
            kind=PeriodKind.WEEK,
            start__gte=period.start,
            end__lte=period.end,
            end__lt=timezone.localdate(),
        ).order_by("start")
    )
    return ReviewAgenda(
        unit=unit,
        period=period,
        variances=rows[:limit],
        reports=reports,
        feedback=feedback,
        missing=missing_reports(user, periods=weeks, org_unit=unit),
    )


def figure(unit: str, stored: int | None) -> Decimal | None:
    """A stored figure in the metric's unit as a Decimal (money and rates have two places)."""
    if stored is None:
        return None
    if unit in ("currency", "percent"):
        return Decimal(int(stored)).scaleb(-2).quantize(Decimal("0.01"))
    return Decimal(int(stored))


def percent(bp: int | None) -> Decimal | None:
    """Basis points as a percentage with two places (8000 → 80.00)."""
    return None if bp is None else Decimal(int(bp)).scaleb(-2).quantize(Decimal("0.01"))


def figure_text(unit: str, stored: int | None, *, signed: bool = False) -> str:
    """For pages: grouped digits in the user's locale, with the unit."""
    if stored is None:
        return "—"
    sign = "+" if signed and stored > 0 else ""
    if unit == "currency":
        return sign + format_money(stored, decimals=False)
    if unit == "percent":
        return f"{sign}{figure(unit, stored)}%"
    return sign + formats.number_format(stored, force_grouping=True)


def snapshot_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Snapshot rows with the texts a page shows (metric name in the user's language)."""
    zh = (get_language() or "").startswith("zh")
    out = []
    for row in rows:
        unit = row.get("unit", "count")
        out.append(
            {
                **row,
                "label": (row.get("name_zh") if zh else "") or row.get("name") or row["metric"],
                "actual_text": figure_text(unit, row.get("actual")),
                "target_text": figure_text(unit, row.get("target")),
                "variance_text": figure_text(unit, row.get("variance"), signed=True),
                "attainment": percent(row.get("attainment_bp")),
                "pace": percent(row.get("pace_bp")),
                "variance_pct": percent(row.get("variance_bp")),
            }
        )
    return out
