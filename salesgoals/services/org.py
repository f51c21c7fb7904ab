"""Org tree and people: every write to OrgUnit and User goes through here."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesgoals.models import OrgUnit, Role, User

__all__ = [
    "OrgError",
    "org_unit_create",
    "org_unit_move",
    "org_unit_set_manager",
    "org_unit_update",
    "user_create",
    "user_move",
    "user_update",
]


class OrgError(ValidationError):
    """A change to the organisation that would break it (cycle, unknown parent …)."""


@transaction.atomic
def org_unit_create(
    *,
    name: str,
    parent: OrgUnit | None,
    kind: str = OrgUnit.Kind.TEAM,
    code: str | None = None,
    manager: User | None = None,
) -> OrgUnit:
    name = (name or "").strip()
    if not name:
        raise OrgError({"name": [_("A unit needs a name.")]})
    if code and OrgUnit.objects.filter(code=code).exists():
        raise OrgError({"code": [_("Another unit already uses this code.")]})
    fields = {"name": name, "kind": kind, "code": code or None, "manager": manager}
    if parent is None:
        if OrgUnit.get_root_nodes().exists():
            raise OrgError({"parent": [_("Only the company itself has no parent unit.")]})
        return OrgUnit.add_root(**fields)
    parent.refresh_from_db()
    return parent.add_child(**fields)


@transaction.atomic
def org_unit_update(
    *, unit: OrgUnit, name: str | None = None, kind: str | None = None, code: str | None = None
) -> OrgUnit:
    changed = []
    if name is not None:
        if not name.strip():
            raise OrgError({"name": [_("A unit needs a name.")]})
        unit.name = name.strip()
        changed.append("name")
    if kind is not None:
        unit.kind = kind
        changed.append("kind")
    if code is not None:
        if code and OrgUnit.objects.exclude(pk=unit.pk).filter(code=code).exists():
            raise OrgError({"code": [_("Another unit already uses this code.")]})
        unit.code = code or None
        changed.append("code")
    if changed:
        unit.save(update_fields=changed)
    return unit


@transaction.atomic
def org_unit_move(*, unit: OrgUnit, new_parent: OrgUnit) -> OrgUnit:
    """Move a unit (with its subtree) under another unit. Facts keep their historic unit."""
    unit.refresh_from_db()
    new_parent.refresh_from_db()
    if new_parent.path.startswith(unit.path):
        raise OrgError({"parent": [_("A unit cannot be moved under itself or its own subtree.")]})
    if unit.is_root():
        raise OrgError({"parent": [_("The company unit cannot be moved.")]})
    unit.move(new_parent, pos="sorted-child")
    unit.refresh_from_db()
    return unit


@transaction.atomic
def org_unit_set_manager(*, unit: OrgUnit, manager: User | None) -> OrgUnit:
    if manager is not None and manager.role == Role.REP:
        raise OrgError({"manager": [_("A sales rep cannot manage a unit; change the role first.")]})
    unit.manager = manager
    unit.save(update_fields=["manager"])
    return unit


def _check_dates(hire_date: datetime.date | None, leave_date: datetime.date | None) -> None:
    if hire_date and leave_date and leave_date < hire_date:
        raise OrgError({"leave_date": [_("The leave date cannot be before the hire date.")]})


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str = Role.REP,
    org_unit: OrgUnit | None = None,
    password: str | None = None,
    email: str = "",
    display_name: str = "",
    hire_date: datetime.date | None = None,
    leave_date: datetime.date | None = None,
    **extra: str,
) -> User:
    if User.objects.filter(username=username).exists():
        raise OrgError({"username": [_("This username is taken.")]})
    _check_dates(hire_date, leave_date)
    user = User(
        username=username,
        role=role,
        org_unit=org_unit,
        email=email,
        display_name=display_name,
        hire_date=hire_date,
        leave_date=leave_date,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
        **extra,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


USER_EDITABLE_FIELDS = {
    "role",
    "display_name",
    "email",
    "first_name",
    "last_name",
    "hire_date",
    "leave_date",
    "is_active",
    "zoho_user_id",
    "fxiaoke_user_id",
    "language",
    "email_notifications",
}


@transaction.atomic
def user_update(*, user: User, **changes) -> User:
    unknown = set(changes) - USER_EDITABLE_FIELDS - {"org_unit"}
    if unknown:
        raise OrgError({"detail": [_("Unknown fields: %s") % ", ".join(sorted(unknown))]})
    _check_dates(
        changes.get("hire_date", user.hire_date), changes.get("leave_date", user.leave_date)
    )
    for field, value in changes.items():
        setattr(user, field, value)
    if "role" in changes:
        user.is_staff = user.is_superuser = user.role == Role.ADMIN
        changes = {**changes, "is_staff": None, "is_superuser": None}
    user.save(update_fields=list(changes))
    return user


@transaction.atomic
def user_move(*, user: User, org_unit: OrgUnit) -> User:
    """Move a person to another unit. History keeps the unit as of each fact's date."""
    user.org_unit = org_unit
    user.save(update_fields=["org_unit"])
    return user
