"""Writes of periodic reports and reviews (定期汇报).

A report is created as a draft by its author (a rep about themselves, a manager about a team of
their subtree) for a week, month or quarter; it is edited while a draft or returned; submitting
freezes the KPI snapshot (read through `kpis.selectors`) into the report, so later rollups never
change it. Someone above the author signs it off or returns it with a comment; the author and
the reviewers comment in a thread. Every write is one transaction and raises `ValidationError`
with a field dict on bad input (`PermissionDenied` outside one's rights). Notifications go
through `notification_send` with a `dedupe_key`: submitted → the nearest manager above the
author; comment → the other participants; signed off / returned → the author; a missing
report → the rep once per week (`reports_remind_missing`, run by a beat task).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from plans.models import PeriodicReport, ReportComment
from plans.selectors import reports as selectors
from salesgoals.models import OrgUnit, Period, PeriodKind, Role, User
from salesgoals.services import notification_send

__all__ = [
    "SECTIONS",
    "report_comment",
    "report_create",
    "report_return",
    "report_sign_off",
    "report_submit",
    "report_update",
    "reports_remind_missing",
]

SECTIONS = ("achievements", "problems", "help_needed", "next_steps")


def _link(report: PeriodicReport) -> str:
    return reverse("plans:report-detail", args=[report.pk])


def _reviewers_of(report: PeriodicReport) -> list[User]:
    """The nearest manager above the author (excluding the author), else the executives."""
    unit = report.org_unit
    step = OrgUnit.steplen
    paths = [unit.path[:n] for n in range(step, len(unit.path) + 1, step)]
    if report.owner_type == PeriodicReport.OwnerType.UNIT:
        paths = paths[:-1]  # a team report goes to the manager above the team
    line = OrgUnit.objects.filter(path__in=paths).select_related("manager").order_by("-depth")
    for above in line:
        manager = above.manager
        if manager is not None and manager.pk != report.author_id and manager.is_active:
            return [manager]
    return list(
        User.objects.filter(is_active=True, role=Role.EXECUTIVE).exclude(pk=report.author_id)
    )


def _clean_sections(sections: dict[str, str | None]) -> dict[str, str]:
    return {name: (sections.get(name) or "").strip() for name in SECTIONS}


@transaction.atomic
def report_create(
    *,
    actor: User,
    period: Period | None,
    owner_type: str = PeriodicReport.OwnerType.REP,
    org_unit: OrgUnit | None = None,
    achievements: str = "",
    problems: str = "",
    help_needed: str = "",
    next_steps: str = "",
) -> PeriodicReport:
    """A draft report of the actor (rep report) or of a team of their subtree (team report)."""
    errors: dict[str, list[str]] = {}
    if period is None:
        errors["period"] = [_("Choose the period of the report.")]
    elif period.kind not in selectors.REPORT_KINDS:
        errors["period"] = [_("A report covers a week, a month or a quarter.")]
    elif period.start > timezone.localdate():
        errors["period"] = [_("This period has not started yet.")]
    if owner_type == PeriodicReport.OwnerType.REP:
        unit = actor.org_unit
        if unit is None:
            errors["org_unit"] = [_("You have no org unit; ask an admin to place you in one.")]
    elif owner_type == PeriodicReport.OwnerType.UNIT:
        unit = org_unit
        if unit is None:
            errors["org_unit"] = [_("Choose the team the report is about.")]
        elif not selectors.report_team_units(actor).filter(pk=unit.pk).exists():
            raise PermissionDenied(_("You may not write reports for this team."))
    else:
        errors["owner_type"] = [_("Unknown kind of report.")]
        unit = None
    if not errors and period is not None:
        duplicate = PeriodicReport.objects.filter(period=period, owner_type=owner_type)
        duplicate = (
            duplicate.filter(author=actor)
            if owner_type == PeriodicReport.OwnerType.REP
            else duplicate.filter(org_unit=unit)
        )
        if duplicate.exists():
            errors["period"] = [_("There is already a report for this period.")]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return PeriodicReport.objects.create(
                author=actor,
                owner_type=owner_type,
                org_unit=unit,
                period=period,
                **_clean_sections(
                    {
                        "achievements": achievements,
                        "problems": problems,
                        "help_needed": help_needed,
                        "next_steps": next_steps,
                    }
                ),
            )
    except IntegrityError as error:  # a concurrent create of the same report
        raise ValidationError(
            {"period": [_("There is already a report for this period.")]}
        ) from error


def _locked(report: PeriodicReport) -> PeriodicReport:
    return (
        PeriodicReport.objects.select_for_update(of=("self",))
        .select_related("author", "org_unit", "period")
        .get(pk=report.pk)
    )


@transaction.atomic
def report_update(*, actor: User, report: PeriodicReport, **sections: str) -> PeriodicReport:
    """Change the sections of a draft or returned report (its author only)."""
    report = _locked(report)
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise ValidationError({name: [_("Unknown section.")] for name in sorted(unknown)})
    if report.author_id != actor.pk:
        raise PermissionDenied(_("Only the author edits a report."))
    if not report.is_editable:
        raise ValidationError(
            {"status": [_("A submitted report cannot be changed unless it is returned.")]}
        )
    cleaned = _clean_sections(sections)
    for name in sections:
        setattr(report, name, cleaned[name])
    report.save(update_fields=[*sections, "updated_at"])
    return report


@transaction.atomic
def report_submit(*, actor: User, report: PeriodicReport) -> PeriodicReport:
    """Submit: the KPI snapshot is frozen into the report; the reviewer is told once."""
    report = _locked(report)
    if report.author_id != actor.pk:
        raise PermissionDenied(_("Only the author submits a report."))
    if not report.is_editable:
        raise ValidationError({"status": [_("This report has already been submitted.")]})
    if not any(getattr(report, name).strip() for name in SECTIONS):
        raise ValidationError(
            {"achievements": [_("Write at least one section before submitting.")]}
        )
    report.kpi_snapshot = selectors.kpi_snapshot(
        user=report.author,
        owner_type=report.owner_type,
        owner_id=report.owner_id,
        period=report.period,
    )
    report.status = PeriodicReport.Status.SUBMITTED
    report.submitted_at = timezone.now()
    report.save(update_fields=["kpi_snapshot", "status", "submitted_at", "updated_at"])
    rounds = report.comments.filter(kind=ReportComment.Kind.RETURNED).count()
    for recipient in _reviewers_of(report):
        notification_send(
            recipient=recipient,
            title=_("Report to review: %(period)s") % {"period": report.period.label},
            body=_("%(author)s submitted a report.") % {"author": report.author.display},
            link=_link(report),
            dedupe_key=f"report:{report.pk}:submitted:{rounds}",
        )
    return report


def _notify_participants(report: PeriodicReport, actor: User, comment: ReportComment) -> None:
    ids = set(report.comments.values_list("author_id", flat=True)) | {report.author_id}
    ids |= {u.pk for u in _reviewers_of(report)}
    for recipient in User.objects.filter(pk__in=ids - {actor.pk}, is_active=True):
        notification_send(
            recipient=recipient,
            title=_("Comment on the report %(period)s") % {"period": report.period.label},
            body=_("%(author)s commented.") % {"author": actor.display},
            link=_link(report),
            dedupe_key=f"report-comment:{comment.pk}",
        )


@transaction.atomic
def report_comment(*, actor: User, report: PeriodicReport, text: str) -> ReportComment:
    """A comment in the report's thread: the author and the reviewers."""
    report = _locked(report)
    if not selectors.report_can_view(actor, report):
        raise PermissionDenied
    if not selectors.report_can_comment(actor, report):
        raise PermissionDenied(_("Only the author and the reviewers comment on a report."))
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Write a comment.")]})
    comment = ReportComment.objects.create(report=report, author=actor, text=text)
    report.save(update_fields=["updated_at"])
    _notify_participants(report, actor, comment)
    return comment


def _review(report: PeriodicReport, actor: User) -> PeriodicReport:
    report = _locked(report)
    if not selectors.report_can_view(actor, report):
        raise PermissionDenied
    if not selectors.report_can_review(actor, report):
        raise PermissionDenied(_("Only a manager above the author signs off or returns a report."))
    if report.status != PeriodicReport.Status.SUBMITTED:
        raise ValidationError({"status": [_("Only a submitted report can be reviewed.")]})
    return report


@transaction.atomic
def report_sign_off(*, actor: User, report: PeriodicReport, text: str = "") -> PeriodicReport:
    """Sign the report off (with an optional closing comment); the author is told."""
    report = _review(report, actor)
    report.status = PeriodicReport.Status.SIGNED_OFF
    report.signed_off_by = actor
    report.signed_off_at = timezone.now()
    report.save(update_fields=["status", "signed_off_by", "signed_off_at", "updated_at"])
    ReportComment.objects.create(
        report=report, author=actor, kind=ReportComment.Kind.SIGNED_OFF, text=(text or "").strip()
    )
    notification_send(
        recipient=report.author,
        title=_("Your report %(period)s was signed off") % {"period": report.period.label},
        body=_("Signed off by %(name)s.") % {"name": actor.display},
        link=_link(report),
        dedupe_key=f"report:{report.pk}:signed-off",
    )
    return report


@transaction.atomic
def report_return(*, actor: User, report: PeriodicReport, text: str) -> PeriodicReport:
    """Return the report to its author with a comment saying what to change."""
    report = _review(report, actor)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("Say what the author should change.")]})
    report.status = PeriodicReport.Status.RETURNED
    report.save(update_fields=["status", "updated_at"])
    comment = ReportComment.objects.create(
        report=report, author=actor, kind=ReportComment.Kind.RETURNED, text=text
    )
    notification_send(
        recipient=report.author,
        title=_("Your report %(period)s was returned") % {"period": report.period.label},
        body=text[:200],
        link=_link(report),
        dedupe_key=f"report-returned:{comment.pk}",
    )
    return report


def reports_remind_missing(*, today: datetime.date | None = None) -> int:
    """Remind every active rep without a report for the last week that ended before `today`.

    Sent once per rep and week (`dedupe_key`), so running it again sends nothing. Returns the
    number of reminders sent now.
    """
    today = today or timezone.localdate()
    week = (
        Period.objects.filter(kind=PeriodKind.WEEK, end__lt=today, working_days__gt=0)
        .order_by("-end", "-pk")
        .first()
    )
    if week is None:
        return 0
    written = PeriodicReport.objects.filter(
        owner_type=PeriodicReport.OwnerType.REP, period=week
    ).values("author_id")
    reps = (
        User.objects.filter(role=Role.REP, is_active=True, org_unit__isnull=False)
        .exclude(pk__in=written)
        .exclude(hire_date__gt=week.end)
        .exclude(leave_date__lt=week.end)
    )
    link = reverse("plans:report-create") + f"?period={week.pk}"
    sent = 0
    for rep in reps.order_by("pk"):
        with transaction.atomic():
            note = notification_send(
                recipient=rep,
                title=_("Your weekly report for %(period)s is missing") % {"period": week.label},
                body=_("Write it now: your KPI snapshot is filled in for you."),
                link=link,
                dedupe_key=f"report-missing:{rep.pk}:{week.pk}",
                email=True,
            )
        sent += note is not None
    return sent
