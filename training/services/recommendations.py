"""Recommendation rules and the recommendations they produce.

A rule names a metric, a condition and a course. Conditions, over the last complete months
(monthly `Period`s that ended before the day of computing):

- ``below_team_median``: the person's value is below the median of their team (the reps of
  their home unit with a value that month) in each of the last ``months`` months;
- ``falling``: the value went down month on month ``months`` times in a row (so ``months`` + 1
  months are read);
- ``attainment_below``: attainment (actual ÷ target) is below ``threshold`` % in each of the
  last ``months`` months.

A month without a value (a ratio with nothing to divide, or no cell before the person was
hired) never fires; an additive metric without a cell in a month the person worked is 0. The
computation is idempotent: one recommendation per (person, rule, last month); nobody gets a
course they are already taking, have an open recommendation for, or finished after the lag
began. KPI values come only through `training.selectors.kpi_source` (i.e. `kpis.selectors`).
"""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from salesgoals.ids import is_id
from salesgoals.models import Metric, Period, Role, User
from salesgoals.services import notification_send
from training.models import Assignment, Course, Recommendation, RecommendationRule
from training.selectors import kpi_source
from training.selectors.access import can_assign, can_configure, nearest_manager, people_visible
from training.services.assignments import assign


@dataclass(frozen=True)
class Finding:
    user_id: int
    reason: str
    evidence: dict[str, Any]


def _fmt(metric: Metric, value: float | int | None) -> str:
    if value is None:
        return "—"
    if metric.unit == Metric.Unit.PERCENT:
        return f"{value / 100:.1f}%"
    if metric.unit == Metric.Unit.CURRENCY:
        return f"{value / 100:,.0f}"
    return f"{value:,.0f}"


def explain(rule: RecommendationRule, evidence: dict[str, Any]) -> str:
    """The reason of a recommendation in the current language, from its stored evidence."""
    metric = rule.metric
    n = rule.months
    if rule.condition == RecommendationRule.Condition.BELOW_TEAM_MEDIAN:
        return _(
            "%(metric)s below the team median for %(n)s months (%(values)s vs %(medians)s)."
        ) % {
            "metric": metric.localized_name,
            "n": n,
            "values": ", ".join(_fmt(metric, v) for v in evidence.get("values", [])),
            "medians": ", ".join(_fmt(metric, v) for v in evidence.get("medians", [])),
        }
    if rule.condition == RecommendationRule.Condition.FALLING:
        return _("%(metric)s fell %(n)s months in a row (%(values)s).") % {
            "metric": metric.localized_name,
            "n": n,
            "values": " → ".join(_fmt(metric, v) for v in evidence.get("values", [])),
        }
    return _("%(metric)s attainment below %(limit)s%% (%(values)s).") % {
        "metric": metric.localized_name,
        "limit": rule.threshold,
        "values": ", ".join(f"{a / 100:.0f}%" for a in evidence.get("attainment_bp", [])),
    }


def evaluate_rule(
    rule: RecommendationRule,
    *,
    months: list[Period],
    people: dict[int, int | None],
    cells: dict[tuple[int, int], kpi_source.Cell],
) -> list[Finding]:
    """Who the rule fires on. ``people``: user id → home unit id (the team for the median);
    ``months``: complete months, oldest first (only the last ones the rule needs are read).
    Pure: no queries."""
    need = rule.months
    found: list[tuple[int, dict[str, Any]]] = []

    def value(uid: int, month: Period) -> int | None:
        cell = cells.get((uid, month.pk))
        return cell.actual if cell else None

    if rule.condition == RecommendationRule.Condition.BELOW_TEAM_MEDIAN:
        window = months[-need:]
        if len(window) < need:
            return []
        teams: dict[int | None, list[int]] = defaultdict(list)
        for uid, unit_id in people.items():
            teams[unit_id].append(uid)
        medians: dict[tuple[int | None, int], float] = {}
        for unit_id, members in teams.items():
            for month in window:
                values = [v for u in members if (v := value(u, month)) is not None]
                if len(values) >= 2:
                    medians[(unit_id, month.pk)] = statistics.median(values)
        for uid, unit_id in people.items():
            mine = [value(uid, m) for m in window]
            meds = [medians.get((unit_id, m.pk)) for m in window]
            pairs = zip(mine, meds, strict=True)
            if all(v is not None and md is not None and v < md for v, md in pairs):
                found.append((uid, {"values": mine, "medians": meds}))
    elif rule.condition == RecommendationRule.Condition.FALLING:
        window = months[-(need + 1) :]
        if len(window) < need + 1:
            return []
        for uid in people:
            series = [value(uid, m) for m in window]
            if any(v is None for v in series):
                continue
            if all(series[i] < series[i - 1] for i in range(1, len(series))):
                found.append((uid, {"values": series}))
    elif rule.condition == RecommendationRule.Condition.ATTAINMENT_BELOW:
        window = months[-need:]
        if len(window) < need or rule.threshold is None:
            return []
        limit = rule.threshold * 100
        for uid in people:
            atts = [
                cell.attainment_bp if (cell := cells.get((uid, m.pk))) else None for m in window
            ]
            if all(a is not None and a < limit for a in atts):
                found.append((uid, {"attainment_bp": atts}))
    else:
        return []
    labels = [m.label for m in window]
    return [
        Finding(uid, explain(rule, evidence), {"months": labels, **evidence})
        for uid, evidence in found
    ]


def _window_size(rule: RecommendationRule) -> int:
    return (
        rule.months + 1 if rule.condition == RecommendationRule.Condition.FALLING else rule.months
    )


def _zero_fill(
    cells: dict[tuple[int, int], kpi_source.Cell],
    employment: dict[int, tuple[datetime.date | None, datetime.date | None]],
    months: list[Period],
) -> None:
    """An additive metric with no cell in a month the rep worked is 0, not unknown."""
    for pk, (hired, left) in employment.items():
        for month in months:
            worked = (hired is None or hired <= month.end) and (left is None or left >= month.start)
            if worked and (pk, month.pk) not in cells:
                cells[(pk, month.pk)] = kpi_source.Cell(actual=0, attainment_bp=None)


def recommendations_compute(
    *, on: datetime.date | None = None, actor: User | None = None
) -> list[Recommendation]:
    """Run every active rule for the reps in scope (everyone when ``actor`` is None) and store
    new recommendations. Returns the ones created now."""
    on = on or timezone.localdate()
    rules = list(
        RecommendationRule.objects.filter(active=True, course__active=True).select_related(
            "metric", "course"
        )
    )
    if not rules:
        return []
    reps = User.objects.filter(is_active=True, role=Role.REP, org_unit__isnull=False)
    rows = list(reps.values_list("pk", "org_unit_id", "hire_date", "leave_date"))
    people_all = {pk: unit_id for pk, unit_id, _h, _l in rows}
    employment = {pk: (hired, left) for pk, _u, hired, left in rows}
    in_scope = set(people_all)
    if actor is not None:
        in_scope &= set(people_visible(actor).values_list("pk", flat=True))
    if not in_scope:
        return []
    longest = max(_window_size(r) for r in rules)
    months = kpi_source.complete_months(on, longest)
    if not months:
        return []
    last = months[-1]
    created: list[Recommendation] = []
    by_metric: dict[int, list[RecommendationRule]] = defaultdict(list)
    for rule in rules:
        by_metric[rule.metric_id].append(rule)
    for rules_of_metric in by_metric.values():
        metric = rules_of_metric[0].metric
        cells = kpi_source.rep_cells(
            metric=metric, user_ids=people_all, period_ids=[m.pk for m in months]
        )
        if metric.aggregation == Metric.Aggregation.SUM:
            _zero_fill(cells, employment, months)
        for rule in rules_of_metric:
            findings = [
                f
                for f in evaluate_rule(rule, months=months, people=people_all, cells=cells)
                if f.user_id in in_scope
            ]
            created += _store(rule, last, months[-_window_size(rule)], findings)
    return created


@transaction.atomic
def _store(
    rule: RecommendationRule, last: Period, first: Period, findings: list[Finding]
) -> list[Recommendation]:
    if not findings:
        return []
    ids = [f.user_id for f in findings]
    busy = set(
        Assignment.objects.filter(
            course_id=rule.course_id, user_id__in=ids, status__in=Assignment.OPEN_STATUSES
        ).values_list("user_id", flat=True)
    )
    busy |= set(
        Assignment.objects.filter(
            course_id=rule.course_id,
            user_id__in=ids,
            status=Assignment.Status.COMPLETED,
            completed_on__gte=first.start,
        ).values_list("user_id", flat=True)
    )
    busy |= set(
        Recommendation.objects.filter(
            course_id=rule.course_id, user_id__in=ids, status=Recommendation.Status.OPEN
        ).values_list("user_id", flat=True)
    )
    seen = set(
        Recommendation.objects.filter(rule=rule, period=last, user_id__in=ids).values_list(
            "user_id", flat=True
        )
    )
    made = []
    for finding in findings:
        if finding.user_id in busy or finding.user_id in seen:
            continue
        rec = Recommendation.objects.create(
            user_id=finding.user_id,
            rule=rule,
            course_id=rule.course_id,
            period=last,
            reason=finding.reason[:400],
            evidence=finding.evidence,
        )
        made.append(rec)
    users = {
        u.pk: u
        for u in User.objects.filter(pk__in=[r.user_id for r in made]).select_related("org_unit")
    }
    for rec in made:
        person = users[rec.user_id]
        reason = explain(rule, rec.evidence)
        notification_send(
            recipient=person,
            title=_("Recommended course: %(course)s") % {"course": rule.course.title},
            body=reason,
            link=reverse("training:recommendations"),
            dedupe_key=f"training:recommendation:{rec.pk}",
        )
        manager = nearest_manager(person)
        if manager is not None:
            notification_send(
                recipient=manager,
                title=_("Course recommended for %(person)s: %(course)s")
                % {"person": person.display, "course": rule.course.title},
                body=reason,
                link=f"{reverse('training:recommendations')}?status=open",
                dedupe_key=f"training:recommendation:{rec.pk}:manager",
            )
    return made


def _lock_open(actor: User, recommendation: Recommendation) -> Recommendation:
    rec = (
        Recommendation.objects.select_for_update()
        .select_related("user", "course")
        .get(pk=recommendation.pk)
    )
    if not can_assign(actor, rec.user):
        raise PermissionDenied(_("This recommendation is outside your scope."))
    if rec.status != Recommendation.Status.OPEN:
        raise ValidationError({"status": [_("This recommendation was already decided.")]})
    return rec


@transaction.atomic
def recommendation_assign(
    *, actor: User, recommendation: Recommendation, due_on: datetime.date | None = None
) -> Recommendation:
    """Turn a recommendation into an assignment of its course."""
    rec = _lock_open(actor, recommendation)
    (assignment,) = assign(
        actor=actor,
        course=rec.course,
        users=[rec.user],
        due_on=due_on,
        note=rec.reason[:300],
        source=Assignment.Source.RECOMMENDATION,
    )
    rec.status = Recommendation.Status.ASSIGNED
    rec.assignment = assignment
    rec.decided_by = actor
    rec.decided_at = timezone.now()
    rec.save()
    return rec


@transaction.atomic
def recommendation_dismiss(*, actor: User, recommendation: Recommendation) -> Recommendation:
    rec = _lock_open(actor, recommendation)
    rec.status = Recommendation.Status.DISMISSED
    rec.decided_by = actor
    rec.decided_at = timezone.now()
    rec.save()
    return rec


def _rule_fields(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    out["name"] = (data.get("name") or "").strip()
    if not out["name"]:
        errors["name"] = [_("Give the rule a name.")]
    metric = data.get("metric")
    if not isinstance(metric, Metric):
        metric = Metric.objects.filter(code=metric).first() if metric else None
    if metric is None:
        errors["metric"] = [_("Choose a metric.")]
    out["metric"] = metric
    course = data.get("course")
    if not isinstance(course, Course):
        course = Course.objects.filter(pk=course).first() if is_id(course or "") else None
    if course is None:
        errors["course"] = [_("Choose a course.")]
    out["course"] = course
    out["condition"] = data.get("condition")
    if out["condition"] not in RecommendationRule.Condition.values:
        errors["condition"] = [_("Choose a condition.")]
    try:
        out["months"] = int(data.get("months") or 0)
    except (TypeError, ValueError):
        out["months"] = 0
    if not 1 <= out["months"] <= 12:
        errors["months"] = [_("Enter between 1 and 12 months.")]
    threshold = data.get("threshold")
    out["threshold"] = int(threshold) if is_id(threshold or "") else None
    if out["condition"] == RecommendationRule.Condition.ATTAINMENT_BELOW and not (
        out["threshold"] and 1 <= out["threshold"] <= 500
    ):
        errors["threshold"] = [_("Enter the attainment threshold in percent (1–500).")]
    out["active"] = bool(data.get("active", True))
    if errors:
        raise ValidationError(errors)
    return out


@transaction.atomic
def rule_save(
    *, actor: User, rule: RecommendationRule | None = None, **data: Any
) -> RecommendationRule:
    if not can_configure(actor):
        raise PermissionDenied(_("Only admins configure recommendation rules."))
    fields = _rule_fields(data)
    rule = rule or RecommendationRule()
    for key, value in fields.items():
        setattr(rule, key, value)
    rule.save()
    return rule


@transaction.atomic
def rule_delete(*, actor: User, rule: RecommendationRule) -> None:
    if not can_configure(actor):
        raise PermissionDenied(_("Only admins configure recommendation rules."))
    rule.delete()
