"""Revisions of approved plans: effective date, reason, frozen past, approval, stored diff.

Periods that ended before the effective date are frozen. `keep_past` keeps their cells;
`reset_to_actuals` sets every rep's frozen cells to that rep's actuals and every unit's to the
sum of its children (so the frozen part stays consistent; this mode needs 100%
over-assignment, because an over-assigned unit's cells cannot be both its reps' sum and their
scaled source). The rest of the year is re-split by the plan's methods with the plan's locks
and the revision's own cell changes. The proposal stores the full diff; approval re-computes
it against the plan as it is then, applies it, bumps the version (reps acknowledge again) and
publishes.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kpis.selectors import actuals_for
from salesgoals.history import recorded
from salesgoals.models import OrgUnit, PeriodKind, User
from targets import rules
from targets.engine import OwnerKey
from targets.models import OwnerType, PlanEvent, TargetPlan, TargetRevision
from targets.services.allocation import _solve, _store, _sync_lines, cells_diff
from targets.services.audit import event_record
from targets.services.inputs import owner_specs, plan_inputs
from targets.units import format_value

__all__ = ["RevisionCell", "revision_approve", "revision_propose", "revision_reject"]


@dataclass(frozen=True)
class RevisionCell:
    owner: OwnerKey
    period_id: int
    value: int


def _frozen_locks(plan: TargetPlan, lines, periods, effective_date, mode) -> dict:
    frozen = [p for p in periods if p.end < effective_date]
    if not frozen:
        return {}
    frozen_ids = {p.pk for p in frozen}
    if mode == TargetRevision.Mode.KEEP_PAST:
        return {(line.key, pid): line.value_of(pid) for line in lines for pid in frozen_ids}
    if any(
        line.over_assignment_bp != 10000 for line in lines if line.owner_type == OwnerType.UNIT
    ) or (plan.over_assignment_bp != 10000):
        raise ValidationError(
            {
                "mode": [
                    _(
                        "Reset to actuals needs an over-assignment of %(pct)s everywhere; "
                        "keep the past instead."
                    )
                    % {"pct": "100%"}
                ]
            }
        )
    weeks = [p for p in frozen if p.kind == PeriodKind.WEEK]
    actuals = actuals_for(
        metric=plan.metric, period_ids=[w.pk for w in weeks], owner_type=OwnerType.REP
    )
    values: dict[tuple[OwnerKey, int], int] = {}
    children: dict[OwnerKey, list[OwnerKey]] = defaultdict(list)
    for line in lines:
        if line.parent_key is not None:
            children[line.parent_key].append(line.key)
    for line in reversed(lines):  # leaves before their parents
        for week in weeks:
            if not children.get(line.key):
                value = actuals.get((line.owner_type, line.owner_id, week.pk), 0)
                values[(line.key, week.pk)] = (
                    max(0, value) if line.owner_type == OwnerType.REP else 0
                )
            else:
                values[(line.key, week.pk)] = sum(values[(c, week.pk)] for c in children[line.key])
    children_of: dict[int, list[int]] = defaultdict(list)
    for period in periods:
        if period.parent_id is not None:
            children_of[period.parent_id].append(period.pk)
    for kind in (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR):
        for period in (p for p in frozen if p.kind == kind):
            for line in lines:
                values[(line.key, period.pk)] = sum(
                    values.get((line.key, child), 0) for child in children_of[period.pk]
                )
    return values


def _compute(plan: TargetPlan, revision: TargetRevision):
    specs = owner_specs(plan)
    lines = _sync_lines(plan, specs)
    inputs0 = plan_inputs(plan, lines=lines, specs=specs)
    periods = inputs0.periods
    locks = _frozen_locks(plan, lines, periods, revision.effective_date, revision.mode)
    frozen_ids = {p.pk for p in periods if p.end < revision.effective_date}
    by_key = {line.key: line for line in lines}
    for owner_type, owner_id, period_id, value in revision.cell_changes:
        key = (owner_type, int(owner_id))
        if key not in by_key:
            raise ValidationError(
                {"cells": [_("%(owner)s is not part of this plan.") % {"owner": owner_id}]}
            )
        if int(period_id) in frozen_ids:
            raise ValidationError(
                {"cells": [_("Periods that ended before the effective date cannot change.")]}
            )
        locks[(key, int(period_id))] = int(value)
    total = plan.value if revision.new_value is None else revision.new_value
    root = (OwnerType.UNIT, plan.org_unit_id)
    year = next(p for p in periods if p.kind == PeriodKind.YEAR)
    frozen_months = {p.pk for p in periods if p.kind == PeriodKind.MONTH and p.pk in frozen_ids}
    frozen_total = sum(locks.get((root, pid), 0) for pid in frozen_months)
    # Only an additive total holds the ended months' values; a rate is not their sum.
    if plan.metric.is_additive and year.pk not in frozen_ids and total < frozen_total:
        raise ValidationError(
            {
                "new_value": [
                    _(
                        "The periods before the effective date already hold %(frozen)s; "
                        "the new value cannot be less."
                    )
                    % {"frozen": format_value(plan.metric, frozen_total)}
                ]
            }
        )
    inputs = plan_inputs(plan, lines=lines, specs=specs, total=total, extra_locks=locks)
    allocation = _solve(plan, inputs)
    return lines, inputs0.current, allocation


def _check_dates(plan: TargetPlan, effective_date: datetime.date) -> None:
    fy = plan.fiscal_year
    if not fy.start <= effective_date <= fy.end:
        raise ValidationError(
            {"effective_date": [_("The effective date must fall in the plan's fiscal year.")]}
        )


@recorded(lambda kw: str(kw.get("reason") or "").strip())
@transaction.atomic
def revision_propose(
    *,
    plan: TargetPlan,
    actor: User,
    effective_date: datetime.date,
    reason: str,
    mode: str = TargetRevision.Mode.KEEP_PAST,
    new_value: int | None = None,
    cells: list[RevisionCell] | None = None,
    source_ref: str = "",
    unit: OrgUnit | None = None,
) -> TargetRevision:
    """Propose a change to an approved plan; returns the revision with its diff.

    `unit`: the one unit whose branch the cells change (a market change's); a manager of it
    inside the plan may then propose too (`rules.can_propose_revision`)."""
    plan = (
        TargetPlan.objects.select_for_update(of=("self",))
        .select_related("metric", "fiscal_year", "org_unit", "profile")
        .get(pk=plan.pk)
    )
    if not rules.can_propose_revision(actor, plan, unit):
        raise PermissionDenied(_("You may not revise this plan."))
    if not plan.is_published:
        raise ValidationError({"status": [_("Only approved or active plans are revised.")]})
    errors: dict[str, list[str]] = {}
    if not reason.strip():
        errors["reason"] = [_("Give the reason for the revision.")]
    if mode not in TargetRevision.Mode.values:
        errors["mode"] = [_("Unknown mode.")]
    if new_value is not None and new_value < 0:
        errors["new_value"] = [_("A target cannot be negative.")]
    if new_value is None and not cells:
        errors["new_value"] = [_("Give a new annual value or cells to change.")]
    if errors:
        raise ValidationError(errors)
    _check_dates(plan, effective_date)
    number = (plan.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    revision = TargetRevision(
        plan=plan,
        number=number,
        effective_date=effective_date,
        reason=reason.strip(),
        source_ref=source_ref[:80],
        mode=mode,
        new_value=new_value,
        cell_changes=[[c.owner[0], c.owner[1], c.period_id, c.value] for c in cells or []],
        base_version=plan.version,
        author=actor,
    )
    _lines, before, allocation = _compute(plan, revision)
    revision.diff = cells_diff(before, allocation)
    revision.save()
    event_record(
        plan=plan,
        action=PlanEvent.Action.REVISION_PROPOSED,
        actor=actor,
        after={"revision": number, "changed_cells": len(revision.diff)},
        note=revision.reason,
    )
    return revision


@recorded(lambda kw: kw["revision"].reason)
@transaction.atomic
def revision_approve(*, revision: TargetRevision, actor: User) -> TargetRevision:
    revision = TargetRevision.objects.select_for_update(of=("self",)).get(pk=revision.pk)
    plan = (
        TargetPlan.objects.select_for_update(of=("self",))
        .select_related("metric", "fiscal_year", "org_unit", "profile")
        .get(pk=revision.plan_id)
    )
    if revision.status != TargetRevision.Status.PROPOSED:
        raise ValidationError({"status": [_("This revision has already been decided.")]})
    if not rules.can_decide_revision(actor, plan, revision):
        raise PermissionDenied(_("You may not approve this revision."))
    lines, _before, allocation = _compute(plan, revision)
    # The revision's own cell changes stay locked; frozen cells are locked only for the split.
    by_key = {line.key: line for line in lines}
    touched = set()
    for owner_type, owner_id, period_id, _value in revision.cell_changes:
        line = by_key[(owner_type, int(owner_id))]
        line.locked = sorted({*line.locked, int(period_id)})
        touched.add(line.key)
    revision.diff = _store(plan, lines, allocation, touched=touched)
    old = {"value": plan.value, "version": plan.version}
    if revision.new_value is not None:
        plan.value = revision.new_value
    plan.version += 1
    plan.save(update_fields=["value", "version", "updated_at"])
    revision.status = TargetRevision.Status.APPROVED
    revision.decided_by = actor
    revision.decided_at = timezone.now()
    revision.save()
    event_record(
        plan=plan,
        action=PlanEvent.Action.REVISION_APPROVED,
        actor=actor,
        before=old,
        after={
            "value": plan.value,
            "version": plan.version,
            "revision": revision.number,
            "changed_cells": len(revision.diff),
        },
        note=revision.reason,
    )
    from targets.services.plans import _schedule_publish

    _schedule_publish(plan)
    return revision


@recorded(lambda kw: str(kw.get("note") or "").strip() or gettext_noop("Revision rejected"))
@transaction.atomic
def revision_reject(*, revision: TargetRevision, actor: User, note: str = "") -> TargetRevision:
    revision = TargetRevision.objects.select_for_update(of=("self",)).get(pk=revision.pk)
    plan = revision.plan
    if revision.status != TargetRevision.Status.PROPOSED:
        raise ValidationError({"status": [_("This revision has already been decided.")]})
    if not rules.can_decide_revision(actor, plan, revision, approve=False):
        raise PermissionDenied(_("You may not decide on this revision."))
    revision.status = TargetRevision.Status.REJECTED
    revision.decided_by = actor
    revision.decided_at = timezone.now()
    revision.save()
    event_record(
        plan=plan,
        action=PlanEvent.Action.REVISION_REJECTED,
        actor=actor,
        after={"revision": revision.number},
        note=note,
    )
    return revision
