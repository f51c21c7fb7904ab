"""Writes of incentive plans: validation and versioning.

A plan's components are validated by the engine (bands contiguous from the threshold, caps at
or above the floor, tiers contiguous from zero …) and its metrics against the catalog
(commissions need a currency metric). A plan that has statements is never edited in place:
`plan_update` then writes a new version (same family, version + 1) and retires the old one,
which keeps its statements. Only admins configure plans.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from incentives import selectors
from incentives.engine import Commission, PlanInvalid, parse_components
from incentives.messages import problems_error
from incentives.models import PLAN_PERIOD_KINDS, IncentivePlan
from salesgoals.history import recorded
from salesgoals.models import Metric, OrgUnit, Role, User

EDITABLE = ("name", "description", "role", "org_unit", "period_kind", "components", "is_active")


def _metric_errors(components: list[Any]) -> list[str]:
    codes = {getattr(c, "metric", None) for c in components} - {None}
    units = dict(Metric.objects.filter(code__in=codes).values_list("code", "unit"))
    errors = []
    for i, component in enumerate(components, start=1):
        code = getattr(component, "metric", None)
        if code is None:
            continue
        if code not in units:
            errors.append(_("Component %(n)s: unknown metric “%(code)s”.") % {"n": i, "code": code})
        elif isinstance(component, Commission) and units[code] != Metric.Unit.CURRENCY:
            errors.append(_("Component %(n)s: a commission needs a currency metric.") % {"n": i})
    return errors


def plan_check(data: dict[str, Any]) -> None:
    """Raise `ValidationError` (a field dict) unless the plan's fields and components are valid."""
    errors: dict[str, list[str]] = {}
    if not str(data.get("name") or "").strip():
        errors["name"] = [_("Give the plan a name.")]
    if data.get("role") and data["role"] not in Role.values:
        errors["role"] = [_("Unknown role.")]
    period_kind = data.get("period_kind")
    if not isinstance(period_kind, str) or period_kind not in dict(PLAN_PERIOD_KINDS):
        errors["period_kind"] = [_("Choose month, quarter or year.")]
    try:
        components = parse_components(data.get("components"))
    except PlanInvalid as error:
        errors.update(problems_error(error.problems).message_dict)
    else:
        if not components:
            errors["components"] = [_("Add at least one component.")]
        else:
            metric_errors = _metric_errors(components)
            if metric_errors:
                errors["components"] = metric_errors
    if errors:
        raise ValidationError(errors)


def _authorize(actor: User) -> None:
    if not selectors.plan_can_edit(actor):
        raise PermissionDenied(_("Only admins configure incentive plans."))


def _unit(value: Any) -> OrgUnit | None:
    if value in (None, ""):
        return None
    if isinstance(value, OrgUnit):
        return value
    unit = OrgUnit.objects.filter(pk=value).first()
    if unit is None:
        raise ValidationError({"org_unit": [_("Unknown org unit.")]})
    return unit


@recorded(gettext_noop("Created"))
@transaction.atomic
def plan_create(
    *,
    actor: User,
    name: str,
    period_kind: str,
    components: list[dict[str, Any]],
    description: str = "",
    role: str = "",
    org_unit: OrgUnit | int | None = None,
    is_active: bool = True,
) -> IncentivePlan:
    _authorize(actor)
    data = {
        "name": (name or "").strip(),
        "description": (description or "").strip(),
        "role": role or "",
        "org_unit": _unit(org_unit),
        "period_kind": period_kind,
        "components": components,
        "is_active": bool(is_active),
    }
    plan_check(data)
    return IncentivePlan.objects.create(created_by=actor, **data)


@recorded(gettext_noop("Updated"))
@transaction.atomic
def plan_update(*, actor: User, plan: IncentivePlan, **changes: Any) -> IncentivePlan:
    """Change a plan; one in use (it has statements) gets a new version instead.

    Returns the plan row that now holds the values (the same row or the new version).
    """
    _authorize(actor)
    current = IncentivePlan.objects.select_for_update().get(pk=plan.pk)
    if not current.is_current:
        latest = selectors.plan_versions(current).first()
        raise ValidationError(
            {
                "detail": [
                    _("This is an old version; edit version %(version)s instead.")
                    % {"version": latest.version if latest else current.version}
                ]
            }
        )
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(
            {"detail": [_("Unknown fields: %(fields)s") % {"fields": ", ".join(sorted(unknown))}]}
        )
    data = {field: getattr(current, field) for field in EDITABLE}
    data.update(changes)
    data["name"] = str(data["name"] or "").strip()
    data["role"] = data["role"] or ""
    data["org_unit"] = _unit(data["org_unit"])
    plan_check(data)
    if not selectors.plan_in_use(current):
        for field, value in data.items():
            setattr(current, field, value)
        current.save()
        return current
    current.is_current = False
    current.save(update_fields=["is_current", "updated_at"])
    return IncentivePlan.objects.create(
        family=current.family, version=current.version + 1, created_by=actor, **data
    )
