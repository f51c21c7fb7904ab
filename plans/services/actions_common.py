"""Checks shared by the strategy, action-plan and task writes: each adds field errors to a
dict that the write raises as one `ValidationError` (used as `check.<name>`)."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext as _

from plans.models import ActionPlan, PlanStatus, Strategy
from plans.selectors import actions as sel
from salesgoals.ids import is_id
from salesgoals.models import OrgUnit, User
from targets import rules as target_rules
from targets.models import TargetPlan

Errors = dict[str, list[str]]


def add(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def resolve(model: type[Model], value: Any, field: str, errors: Errors) -> Any:
    """An instance from an instance or an id; None stays None; unknown ids are errors."""
    if value is None or value == "" or isinstance(value, model):
        return value or None
    found = model.objects.filter(pk=value).first() if is_id(value) else None
    if found is None:
        add(errors, field, _("Unknown value."))
    return found


def text(value: Any) -> str:
    return (value or "").strip() if isinstance(value, str) or value is None else str(value)


def date(value: Any, field: str, errors: Errors, required: bool = True) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    if value in (None, ""):
        if required:
            add(errors, field, _("Enter a date."))
        return None
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        add(errors, field, _("Enter a valid date."))
        return None


def amount(value: Any, field: str, errors: Errors) -> int:
    """A non-negative whole number of minor units."""
    if value in (None, ""):
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        add(errors, field, _("Enter a whole number of minor units."))
        return 0
    if number < 0:
        add(errors, field, _("Cannot be negative."))
    return number


def person(actor: User, value: Any, field: str, errors: Errors) -> User | None:
    person = resolve(User, value, field, errors)
    if person is None:
        if field not in errors:
            add(errors, field, _("Choose a person."))
        return None
    if not person.is_active:
        add(errors, field, _("%(name)s is no longer active.") % {"name": person.display})
    elif not sel.assignable_people(actor).filter(pk=person.pk).exists():
        add(errors, field, _("This person is outside your scope."))
    return person


def target_plan(actor: User, value: Any, errors: Errors) -> TargetPlan | None:
    plan = resolve(TargetPlan, value, "target_plan", errors)
    if plan is not None and not target_rules.can_view(actor, plan):
        add(errors, "target_plan", _("This target plan is outside your scope."))
    return plan


def unit(actor: User, value: Any, errors: Errors) -> OrgUnit | None:
    unit = resolve(OrgUnit, value, "org_unit", errors)
    if unit is None:
        if "org_unit" not in errors:
            add(errors, "org_unit", _("Choose an org unit."))
    elif not sel.can_manage_unit(actor, unit):
        add(errors, "org_unit", _("You may not plan for this org unit."))
    return unit


def status_change(item: Strategy | ActionPlan, status: str) -> None:
    if status not in PlanStatus.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    if status not in sel.PLAN_TRANSITIONS[item.status]:
        raise ValidationError(
            {
                "status": [
                    _("“%(current)s” cannot become “%(new)s”.")
                    % {"current": item.get_status_display(), "new": PlanStatus(status).label}
                ]
            }
        )
