"""SMART validation of a target plan: errors block, warnings explain and need a reason.

Specific — a metric, an org unit and a description; Measurable — a number in the metric's
unit; Achievable — compared with the baseline (the same scope's actual last year and its
current run-rate): a warning when growth exceeds the configured bound (default +50%) or is
negative; Relevant — it rolls up to a parent plan or a company objective; Time-bound — a
generated fiscal year that has not ended.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kpis.selectors import actuals_for
from salesgoals.models import FiscalYear, Metric, OrgUnit, Period, PeriodKind
from targets.models import OwnerType, PeriodMethod, PlanningSettings, SplitProfile, TargetPlan
from targets.units import format_value

__all__ = ["Baseline", "PlanDraft", "SmartReport", "smart_validate"]

MIN_DESCRIPTION = 15
CRITERIA = {
    "S": gettext_lazy("Specific"),
    "M": gettext_lazy("Measurable"),
    "A": gettext_lazy("Achievable"),
    "R": gettext_lazy("Relevant"),
    "T": gettext_lazy("Time-bound"),
}


@dataclass
class PlanDraft:
    metric: Metric | None
    fiscal_year: FiscalYear | None
    org_unit: OrgUnit | None
    value: int | None
    description: str = ""
    objective: str = ""
    parent: TargetPlan | None = None
    period_method: str = PeriodMethod.WORKING_DAYS
    owner_method: str = "even"
    profile: SplitProfile | None = None
    over_assignment_bp: int = 10000
    warnings_reason: str = ""
    plan_id: int | None = None  # when re-validating an existing plan


@dataclass
class Baseline:
    last_year: int | None = None
    run_rate: int | None = None
    year_to_date: int | None = None
    months: list[dict[str, Any]] = field(default_factory=list)  # last year's monthly actuals


@dataclass
class SmartReport:
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    baseline: Baseline = field(default_factory=Baseline)

    @staticmethod
    def _issue(criterion: str, field_name: str, message: str) -> dict[str, str]:
        return {
            "criterion": criterion,
            "criterion_label": str(CRITERIA[criterion]),
            "field": field_name,
            "message": str(message),
        }

    def error(self, criterion: str, field_name: str, message: str) -> None:
        self.errors.append(self._issue(criterion, field_name, message))

    def warn(self, criterion: str, field_name: str, message: str) -> None:
        self.warnings.append(self._issue(criterion, field_name, message))

    def as_dict(self) -> dict[str, Any]:
        return {"errors": self.errors, "warnings": self.warnings, "baseline": asdict(self.baseline)}

    @property
    def blocking(self) -> list[dict[str, str]]:
        return self.errors


def _baseline(draft: PlanDraft, today: datetime.date) -> Baseline:
    metric, unit, fiscal_year = draft.metric, draft.org_unit, draft.fiscal_year
    baseline = Baseline()
    if metric is None or unit is None or fiscal_year is None:
        return baseline
    previous = list(
        Period.objects.filter(
            fiscal_year__year=fiscal_year.year - 1, kind__in=[PeriodKind.YEAR, PeriodKind.MONTH]
        ).order_by("start")
    )
    current = list(Period.objects.filter(fiscal_year=fiscal_year, kind=PeriodKind.YEAR))
    actuals = actuals_for(
        metric=metric, period_ids=[p.pk for p in previous + current], owner_type=OwnerType.UNIT
    )
    for period in previous:
        value = actuals.get((OwnerType.UNIT, unit.pk, period.pk))
        if period.kind == PeriodKind.YEAR:
            baseline.last_year = value
        else:
            baseline.months.append(
                {"period": period.label, "number": period.number, "actual": value or 0}
            )
    if not previous:
        baseline.months = []
    year = current[0] if current else None
    if year is not None and year.start <= today:
        to_date = actuals.get((OwnerType.UNIT, unit.pk, year.pk), 0)
        baseline.year_to_date = to_date
        elapsed = min(today, year.end)
        from salesgoals import workdays

        worked = workdays.working_days_between(
            year.start, elapsed, region=fiscal_year.holiday_region
        )
        if worked and metric.is_additive:
            baseline.run_rate = round(to_date * year.working_days / worked)
        elif not metric.is_additive:
            baseline.run_rate = to_date
    return baseline


def _growth_warnings(report: SmartReport, draft: PlanDraft, bound_bp: int) -> None:
    metric, value, baseline = draft.metric, draft.value, report.baseline
    assert metric is not None
    assert value is not None
    shown = {"bound": f"{bound_bp / 100:g}%"}
    if baseline.last_year:
        growth_bp = round((value - baseline.last_year) * 10000 / baseline.last_year)
        context = {
            **shown,
            "growth": f"{growth_bp / 100:+.1f}%",
            "baseline": format_value(metric, baseline.last_year),
        }
        if growth_bp > bound_bp:
            report.warn(
                "A",
                "value",
                _(
                    "This is %(growth)s on last year's actual of %(baseline)s, more than the "
                    "%(bound)s that is usually achievable."
                )
                % context,
            )
        elif growth_bp < 0 and metric.direction == Metric.Direction.HIGHER:
            report.warn(
                "A",
                "value",
                _("This is %(growth)s below last year's actual of %(baseline)s.") % context,
            )
    elif baseline.last_year == 0 or baseline.last_year is None:
        report.warn(
            "A",
            "value",
            _("There is no actual for this scope last year to compare with."),
        )
    if baseline.run_rate and value > baseline.run_rate * (10000 + bound_bp) / 10000:
        report.warn(
            "A",
            "value",
            _(
                "The current run-rate projects %(run_rate)s for the year; "
                "this target is far above it."
            )
            % {"run_rate": format_value(metric, baseline.run_rate)},
        )


def smart_validate(draft: PlanDraft, *, today: datetime.date | None = None) -> SmartReport:
    """Check a plan (new or changed) without saving anything."""
    today = today or timezone.localdate()
    report = SmartReport()
    rules = PlanningSettings.load()
    # Specific
    if draft.metric is None:
        report.error("S", "metric", _("Choose what is measured."))
    elif not draft.metric.is_active:
        report.error("S", "metric", _("This metric is no longer in use."))
    if draft.org_unit is None:
        report.error("S", "org_unit", _("Choose whose target this is."))
    elif not draft.org_unit.is_active:
        report.error("S", "org_unit", _("This unit is no longer active."))
    description = (draft.description or "").strip()
    if not description:
        report.error("S", "description", _("Describe the target: what, for whom, and how."))
    elif len(description) < MIN_DESCRIPTION:
        report.warn("S", "description", _("A fuller description helps the team understand it."))
    # Measurable
    if draft.value is None:
        report.error("M", "value", _("Enter the annual value."))
    elif draft.value <= 0:
        report.error("M", "value", _("The annual value must be above zero."))
    elif (
        draft.metric is not None
        and draft.metric.unit == Metric.Unit.PERCENT
        and draft.value > 10000
    ):
        report.error("M", "value", _("A rate cannot exceed 100%."))
    if not 10000 <= draft.over_assignment_bp <= rules.max_over_assignment_bp:
        report.error(
            "M",
            "over_assignment",
            _("Over-assignment must be between 100%% and %(max)s%%.")
            % {"max": f"{rules.max_over_assignment_bp / 100:g}"},
        )
    if draft.period_method == PeriodMethod.PROFILE and draft.profile is None:
        report.error("M", "profile", _("Choose a profile for the profile split."))
    # Time-bound
    if draft.fiscal_year is None:
        report.error("T", "fiscal_year", _("Choose the fiscal year."))
    else:
        if draft.fiscal_year.end < today:
            report.error("T", "fiscal_year", _("This fiscal year has already ended."))
        if not Period.objects.filter(fiscal_year=draft.fiscal_year).exists():
            report.error("T", "fiscal_year", _("This fiscal year has no periods yet."))
        if draft.fiscal_year.is_provisional:
            report.warn(
                "T",
                "fiscal_year",
                _(
                    "The official holidays of this year are not all published; "
                    "working days may change."
                ),
            )
    # Relevant
    parent = draft.parent
    if parent is None and not (draft.objective or "").strip():
        report.error(
            "R", "objective", _("Link the target to a parent plan or a company objective.")
        )
    if parent is not None and draft.org_unit is not None:
        if parent.metric_id != getattr(
            draft.metric, "pk", None
        ) or parent.fiscal_year_id != getattr(draft.fiscal_year, "pk", None):
            report.error("R", "parent", _("The parent plan must have the same metric and year."))
        elif (
            not draft.org_unit.path.startswith(parent.org_unit.path)
            or draft.org_unit.pk == parent.org_unit_id
        ):
            report.error("R", "parent", _("The parent plan must cover a unit above this one."))
        else:
            line = parent.lines.filter(
                owner_type=OwnerType.UNIT, owner_id=draft.org_unit.pk
            ).first()
            year = Period.objects.filter(
                fiscal_year=parent.fiscal_year, kind=PeriodKind.YEAR
            ).first()
            if line is not None and year is not None and draft.value is not None:
                assigned = line.value_of(year.pk)
                if draft.metric is not None and draft.metric.is_additive and draft.value < assigned:
                    report.warn(
                        "R",
                        "value",
                        _("The parent plan assigns %(assigned)s to this unit; this is less.")
                        % {"assigned": format_value(draft.metric, assigned)},
                    )
    if draft.metric and draft.fiscal_year and draft.org_unit:
        clash = TargetPlan.objects.filter(
            metric=draft.metric, fiscal_year=draft.fiscal_year, org_unit=draft.org_unit
        ).exclude(status=TargetPlan.Status.CLOSED)
        if draft.plan_id:
            clash = clash.exclude(pk=draft.plan_id)
        if clash.exists():
            report.error(
                "S",
                "org_unit",
                _("There is already an open plan for this metric, unit and year."),
            )
    # Achievable
    report.baseline = _baseline(draft, today)
    if draft.metric is not None and draft.value is not None and draft.value > 0:
        _growth_warnings(report, draft, rules.growth_warning_bp)
    return report
