"""A plan's life: create, update, submit, return, approve, activate, close, acknowledge.

Status workflow: draft → submitted → approved → active → closed (a submitted plan can be
returned to draft). Role checks live in `targets.rules`; each step is one transaction with an
audit event, and approval publishes the numbers to `kpis` after commit.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from salesgoals import dispatch
from salesgoals.history import recorded
from salesgoals.models import Role, User
from salesgoals.services import notification_send
from targets import rules
from targets.models import PlanEvent, TargetLine, TargetPlan
from targets.services.allocation import plan_decompose, verify_plan
from targets.services.audit import event_record, plan_fields
from targets.smart import PlanDraft, SmartReport, smart_validate

__all__ = [
    "plan_acknowledge",
    "plan_activate",
    "plan_approve",
    "plan_close",
    "plan_create",
    "plan_return",
    "plan_submit",
    "plan_update",
    "plans_activate_due",
    "plans_verify",
    "smart_check",
]


def _raise_for(report: SmartReport, draft: PlanDraft) -> None:
    errors: dict[str, list[str]] = {}
    for issue in report.errors:
        errors.setdefault(issue["field"], []).append(issue["message"])
    if report.warnings and not draft.warnings_reason.strip():
        errors.setdefault("warnings_reason", []).append(
            _("Explain why this target is right despite the warnings.")
        )
    if errors:
        raise ValidationError(errors)


def smart_check(draft: PlanDraft, *, today: datetime.date | None = None) -> SmartReport:
    return smart_validate(draft, today=today)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


@recorded(gettext_noop("Created"))
@transaction.atomic
def plan_create(*, actor: User, draft: PlanDraft, today: datetime.date | None = None) -> TargetPlan:
    """Validate (SMART), create the plan as a draft and split it down to every rep and week."""
    report = smart_validate(draft, today=today)
    _raise_for(report, draft)
    assert draft.metric is not None
    assert draft.fiscal_year is not None
    assert draft.org_unit is not None
    assert draft.value is not None
    probe = TargetPlan(org_unit=draft.org_unit)
    _require(rules.can_manage(actor, probe), _("You may only set targets for units you manage."))
    plan = TargetPlan.objects.create(
        metric=draft.metric,
        fiscal_year=draft.fiscal_year,
        org_unit=draft.org_unit,
        value=draft.value,
        description=draft.description.strip(),
        objective=draft.objective.strip(),
        parent=draft.parent,
        period_method=draft.period_method,
        owner_method=draft.owner_method,
        profile=draft.profile,
        over_assignment_bp=draft.over_assignment_bp,
        warnings_reason=draft.warnings_reason.strip() if report.warnings else "",
        created_by=actor,
    )
    event_record(plan=plan, action=PlanEvent.Action.CREATED, actor=actor, after=_jsonable(plan))
    plan_decompose(plan=plan, actor=actor, force=True)
    return plan


def _jsonable(plan: TargetPlan) -> dict:
    return {k: v for k, v in plan_fields(plan).items()}


@recorded(gettext_noop("Updated"))
@transaction.atomic
def plan_update(
    *, plan: TargetPlan, actor: User, draft: PlanDraft, today: datetime.date | None = None
) -> TargetPlan:
    """Change a draft's fields; a new value or method re-splits it (locks are kept)."""
    plan = TargetPlan.objects.select_for_update(of=("self",)).get(pk=plan.pk)
    _require(rules.can_manage(actor, plan), _("You may not change this plan."))
    if not plan.is_editable:
        raise ValidationError({"status": [_("Only a draft can be changed.")]})
    draft.plan_id = plan.pk
    if (draft.metric, draft.fiscal_year, draft.org_unit) != (
        plan.metric,
        plan.fiscal_year,
        plan.org_unit,
    ):
        raise ValidationError(
            {"metric": [_("Metric, year and unit are fixed; create a new plan instead.")]}
        )
    report = smart_validate(draft, today=today)
    _raise_for(report, draft)
    before = _jsonable(plan)
    resplit = (
        draft.value != plan.value
        or draft.period_method != plan.period_method
        or draft.owner_method != plan.owner_method
        or draft.profile != plan.profile
        or draft.over_assignment_bp != plan.over_assignment_bp
    )
    plan.value = draft.value
    plan.description = draft.description.strip()
    plan.objective = draft.objective.strip()
    plan.parent = draft.parent
    plan.period_method = draft.period_method
    plan.owner_method = draft.owner_method
    plan.profile = draft.profile
    plan.over_assignment_bp = draft.over_assignment_bp
    plan.warnings_reason = draft.warnings_reason.strip() if report.warnings else ""
    plan.save()
    after = _jsonable(plan)
    changed = {k for k in after if after[k] != before[k]}
    event_record(
        plan=plan,
        action=PlanEvent.Action.UPDATED,
        actor=actor,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    if resplit:
        plan_decompose(plan=plan, actor=actor)
    return plan


def _transition(plan: TargetPlan, expected: tuple[str, ...]) -> TargetPlan:
    locked = (
        TargetPlan.objects.select_for_update(of=("self",))
        .select_related("metric", "org_unit", "fiscal_year")
        .get(pk=plan.pk)
    )
    if locked.status not in expected:
        raise ValidationError(
            {
                "status": [
                    _("This plan is %(status)s; that step is not possible now.")
                    % {"status": locked.get_status_display()}
                ]
            }
        )
    return locked


def _move(
    plan: TargetPlan,
    *,
    to: str,
    action: str,
    actor: User | None,
    fields: dict | None = None,
    note: str = "",
) -> None:
    """Change the status (and the given fields), save, and record the step in the audit trail."""
    before = plan.status
    plan.status = to
    for name, value in (fields or {}).items():
        setattr(plan, name, value)
    plan.save(update_fields=["status", *(fields or {}), "updated_at"])
    event_record(
        plan=plan,
        action=action,
        actor=actor,
        before={"status": before},
        after={"status": to},
        note=note,
    )


def _plan_link(plan: TargetPlan) -> str:
    return reverse("targets:plan", args=[plan.pk])


@recorded(gettext_noop("Submitted"))
@transaction.atomic
def plan_submit(*, plan: TargetPlan, actor: User) -> TargetPlan:
    plan = _transition(plan, (TargetPlan.Status.DRAFT,))
    _require(rules.can_manage(actor, plan), _("You may not submit this plan."))
    problems = verify_plan(plan)
    if problems:
        raise ValidationError(
            {"cells": [_("The cells do not add up: %(first)s") % {"first": problems[0]}]}
        )
    _move(
        plan,
        to=TargetPlan.Status.SUBMITTED,
        action=PlanEvent.Action.SUBMITTED,
        actor=actor,
        fields={"submitted_by": actor, "submitted_at": timezone.now()},
    )
    approvers = User.objects.filter(is_active=True, role__in=[Role.EXECUTIVE]).exclude(pk=actor.pk)
    for approver in approvers[:20]:
        notification_send(
            recipient=approver,
            title=_("Target plan to approve: %(plan)s") % {"plan": plan},
            link=_plan_link(plan),
            dedupe_key=f"plan-submitted:{plan.pk}:{plan.version}:{plan.submitted_at:%s}",
        )
    return plan


@recorded(lambda kw: str(kw.get("reason") or "").strip() or gettext_noop("Returned to draft"))
@transaction.atomic
def plan_return(*, plan: TargetPlan, actor: User, reason: str) -> TargetPlan:
    """An approver sends a submitted plan back to draft with a reason."""
    plan = _transition(plan, (TargetPlan.Status.SUBMITTED,))
    _require(rules.can_approve(actor, plan), _("You may not approve or return this plan."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the plan goes back to draft.")]})
    _move(
        plan,
        to=TargetPlan.Status.DRAFT,
        action=PlanEvent.Action.RETURNED,
        actor=actor,
        note=reason.strip(),
    )
    if plan.submitted_by_id:
        notification_send(
            recipient=plan.submitted_by,
            title=_("Target plan returned: %(plan)s") % {"plan": plan},
            body=reason.strip(),
            link=_plan_link(plan),
        )
    return plan


def _schedule_publish(plan: TargetPlan) -> None:
    from targets.tasks import publish_plan_task

    plan_id, version = plan.pk, plan.version
    dispatch.send(publish_plan_task, args=(plan_id, version))


@recorded(gettext_noop("Approved"))
@transaction.atomic
def plan_approve(
    *, plan: TargetPlan, actor: User, today: datetime.date | None = None
) -> TargetPlan:
    """Approve a submitted plan; it is active at once when its year has begun. Publishes."""
    today = today or timezone.localdate()
    plan = _transition(plan, (TargetPlan.Status.SUBMITTED,))
    _require(rules.can_approve(actor, plan), _("You may not approve this plan."))
    _move(
        plan,
        to=(
            TargetPlan.Status.ACTIVE
            if plan.fiscal_year.start <= today
            else TargetPlan.Status.APPROVED
        ),
        action=PlanEvent.Action.APPROVED,
        actor=actor,
        fields={"approved_by": actor, "approved_at": timezone.now()},
    )
    _schedule_publish(plan)
    return plan


@recorded(gettext_noop("Activated"))
@transaction.atomic
def plan_activate(*, plan: TargetPlan, actor: User | None) -> TargetPlan:
    plan = _transition(plan, (TargetPlan.Status.APPROVED,))
    if actor is not None:
        _require(rules.can_manage(actor, plan), _("You may not activate this plan."))
    _move(plan, to=TargetPlan.Status.ACTIVE, action=PlanEvent.Action.ACTIVATED, actor=actor)
    return plan


@recorded(lambda kw: str(kw.get("note") or "").strip() or gettext_noop("Closed"))
@transaction.atomic
def plan_close(*, plan: TargetPlan, actor: User, note: str = "") -> TargetPlan:
    """Close a plan (its year is over, or it is withdrawn); published numbers stay in kpis."""
    plan = _transition(
        plan,
        (
            TargetPlan.Status.DRAFT,
            TargetPlan.Status.APPROVED,
            TargetPlan.Status.ACTIVE,
        ),
    )
    _require(rules.can_manage(actor, plan), _("You may not close this plan."))
    _move(plan, to=TargetPlan.Status.CLOSED, action=PlanEvent.Action.CLOSED, actor=actor, note=note)
    return plan


@recorded(gettext_noop("Acknowledged"))
@transaction.atomic
def plan_acknowledge(*, plan: TargetPlan, actor: User) -> TargetLine:
    """A rep confirms they have seen their targets of the current version."""
    plan = TargetPlan.objects.get(pk=plan.pk)
    if not plan.is_published:
        raise ValidationError({"status": [_("Only approved targets can be acknowledged.")]})
    line = plan.lines.filter(owner_type="rep", owner_id=actor.pk).first()
    if line is None:
        raise PermissionDenied(_("This plan has no targets of yours to acknowledge."))
    if line.acknowledged_version == plan.version:
        return line
    line.acknowledged_version = plan.version
    line.acknowledged_at = timezone.now()
    line.save(update_fields=["acknowledged_version", "acknowledged_at"])
    event_record(
        plan=plan,
        action=PlanEvent.Action.ACKNOWLEDGED,
        actor=actor,
        after={"version": plan.version},
    )
    return line


def plans_activate_due(today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    due = TargetPlan.objects.filter(
        status=TargetPlan.Status.APPROVED, fiscal_year__start__lte=today
    )
    count = 0
    for plan in due:
        plan_activate(plan=plan, actor=None)
        count += 1
    return count


def plans_verify() -> dict[str, int]:
    """Check every open plan's invariants; notify the admins of each broken one (once a day)."""
    broken = 0
    plans = TargetPlan.objects.exclude(status=TargetPlan.Status.CLOSED).select_related(
        "metric", "fiscal_year", "org_unit", "profile"
    )
    checked = 0
    today = timezone.localdate()
    for plan in plans:
        checked += 1
        problems = verify_plan(plan)
        if not problems:
            continue
        broken += 1
        for admin in User.objects.filter(is_active=True, role=Role.ADMIN):
            notification_send(
                recipient=admin,
                title=_("Target plan cells do not add up: %(plan)s") % {"plan": plan},
                body="\n".join(problems[:10]),
                link=_plan_link(plan),
                level="warning",
                dedupe_key=f"plan-verify:{plan.pk}:{today.isoformat()}",
            )
    return {"checked": checked, "broken": broken}
