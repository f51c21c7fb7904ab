"""Org tree and people: every write to OrgUnit and User goes through here.

Errors are `OrgError`s keyed by field (`{"parent": ["…"]}`), so forms can show them next to
the field and the API can return them as a structured 400.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.db.models import ProtectedError, RestrictedError
from django.db.models.deletion import Collector
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from salesgoals.models import OrgMembership, OrgUnit, Role, User
from salesgoals.security import user_sign_out_everywhere

__all__ = [
    "USER_EDITABLE_FIELDS",
    "OrgError",
    "org_unit_change",
    "org_unit_create",
    "org_unit_delete",
    "org_unit_move",
    "org_unit_set_manager",
    "org_unit_update",
    "user_create",
    "user_move",
    "user_update",
]


class OrgError(ValidationError):
    """A change to the organisation that would break it (cycle, unknown parent …)."""


def _check_kind(kind: str) -> None:
    if kind not in OrgUnit.Kind.values:
        raise OrgError({"kind": [_("Choose a valid kind of unit.")]})


def _check_code_free(code: str | None, *, exclude_pk: int | None = None) -> None:
    if not code:
        return
    others = OrgUnit.objects.filter(code=code)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise OrgError({"code": [_("Another unit already uses this code.")]})


def _check_name_free_under(
    parent: OrgUnit, name: str, *, field: str, exclude_pk: int | None = None
) -> None:
    """Sibling names are unique, so a unit can always be told apart when choosing a parent."""
    siblings = OrgUnit.objects.filter(
        path__startswith=parent.path, depth=parent.depth + 1, name__iexact=name
    )
    if exclude_pk is not None:
        siblings = siblings.exclude(pk=exclude_pk)
    if siblings.exists():
        raise OrgError(
            {
                field: [
                    _("“%(parent)s” already has a unit named “%(name)s”.")
                    % {
                        "parent": parent.name,
                        "name": name,
                    }
                ]
            }
        )


def _check_manager(manager: User | None) -> None:
    if manager is None:
        return
    if manager.role == Role.REP:
        raise OrgError({"manager": [_("A sales rep cannot manage a unit; change the role first.")]})
    if not manager.is_active:
        raise OrgError({"manager": [_("An inactive person cannot manage a unit.")]})


def _parent_of(unit: OrgUnit) -> OrgUnit | None:
    return OrgUnit.objects.get_parent(unit, update=True)


@transaction.atomic
def org_unit_create(
    *,
    name: str,
    parent: OrgUnit | None,
    kind: str = OrgUnit.Kind.TEAM,
    code: str | None = None,
    manager: User | None = None,
) -> OrgUnit:
    """Add a unit under `parent`; only the company (the single root) has no parent."""
    name = (name or "").strip()
    if not name:
        raise OrgError({"name": [_("A unit needs a name.")]})
    _check_kind(kind)
    _check_code_free(code)
    _check_manager(manager)
    fields = {"name": name, "kind": kind, "code": code or None, "manager": manager}
    if parent is None:
        if OrgUnit.objects.get_root_nodes().exists():
            raise OrgError({"parent": [_("Only the company itself has no parent unit.")]})
        return OrgUnit.objects.add_root(create_kwargs=fields)
    # Sorted inserts may have shifted the parent's path since it was loaded.
    parent.refresh_from_db()
    _check_name_free_under(parent, name, field="name")
    return OrgUnit.objects.add_child(parent, create_kwargs=fields)


@transaction.atomic
def org_unit_update(
    *,
    unit: OrgUnit,
    name: str | None = None,
    kind: str | None = None,
    code: str | None = None,
    is_active: bool | None = None,
) -> OrgUnit:
    """Rename, re-kind, re-code or (de)activate a unit. `None` leaves a field unchanged."""
    unit.refresh_from_db()
    changed: list[str] = []
    if name is not None:
        name = name.strip()
        if not name:
            raise OrgError({"name": [_("A unit needs a name.")]})
        parent = _parent_of(unit)
        if parent is not None:
            _check_name_free_under(parent, name, field="name", exclude_pk=unit.pk)
        unit.name = name
        changed.append("name")
    if kind is not None:
        _check_kind(kind)
        unit.kind = kind
        changed.append("kind")
    if code is not None:
        _check_code_free(code, exclude_pk=unit.pk)
        unit.code = code or None
        changed.append("code")
    if is_active is not None:
        if not is_active and unit.is_active:
            _check_can_deactivate(unit)
        unit.is_active = is_active
        changed.append("is_active")
    if changed:
        unit.save(update_fields=changed)
    return unit


def _check_can_deactivate(unit: OrgUnit) -> None:
    if User.objects.filter(org_unit__in=unit.subtree(), is_active=True).exists():
        raise OrgError(
            {"is_active": [_("Move the active people out of this unit before deactivating it.")]}
        )
    if unit.subtree().exclude(pk=unit.pk).filter(is_active=True).exists():
        raise OrgError({"is_active": [_("Deactivate or move its active sub-units first.")]})


@transaction.atomic
def org_unit_move(*, unit: OrgUnit, new_parent: OrgUnit) -> OrgUnit:
    """Move a unit (with its subtree) under another unit. Facts keep their historic unit."""
    unit.refresh_from_db()
    new_parent.refresh_from_db()
    if unit.is_root():
        raise OrgError({"parent": [_("The company unit cannot be moved.")]})
    if new_parent.path.startswith(unit.path):
        raise OrgError({"parent": [_("A unit cannot be moved under itself or its own subtree.")]})
    current = _parent_of(unit)
    if current is not None and current.pk == new_parent.pk:
        return unit
    _check_name_free_under(new_parent, unit.name, field="parent")
    OrgUnit.objects.move(unit, new_parent, pos="sorted-child")
    unit.refresh_from_db()
    return unit


@transaction.atomic
def org_unit_set_manager(*, unit: OrgUnit, manager: User | None) -> OrgUnit:
    """Assign (or clear) the unit's manager: an active person who is not a sales rep."""
    _check_manager(manager)
    unit.manager = manager
    unit.save(update_fields=["manager"])
    return unit


_UNSET: Any = object()


@transaction.atomic
def org_unit_change(
    *,
    unit: OrgUnit,
    name: str | None = None,
    kind: str | None = None,
    code: str | None = None,
    is_active: bool | None = None,
    parent: OrgUnit | None = _UNSET,
    manager: User | None = _UNSET,
) -> OrgUnit:
    """Several changes to one unit at once (the API's PATCH), all or nothing."""
    if parent is not _UNSET:
        if parent is None:
            if not unit.is_root():
                raise OrgError({"parent": [_("Only the company itself has no parent unit.")]})
        else:
            unit = org_unit_move(unit=unit, new_parent=parent)
    unit = org_unit_update(unit=unit, name=name, kind=kind, code=code, is_active=is_active)
    if manager is not _UNSET:
        unit = org_unit_set_manager(unit=unit, manager=manager)
    return unit


@transaction.atomic
def org_unit_delete(*, unit: OrgUnit) -> None:
    """Delete an empty unit. Anything that still points at it (people, sub-units, targets,
    history) blocks the deletion: reorganising never deletes targets or history."""
    unit.refresh_from_db()
    if unit.is_root():
        raise OrgError({"detail": [_("The company unit cannot be deleted.")]})
    if (
        unit.numchild
        or OrgUnit.objects.filter(path__startswith=unit.path, depth__gt=unit.depth).exists()
    ):
        raise OrgError({"detail": [_("Move or delete its sub-units first.")]})
    if User.objects.filter(org_unit=unit).exists():
        raise OrgError({"detail": [_("Move the people of this unit to another unit first.")]})
    used_by = _referencing_models(unit)
    if used_by:
        raise OrgError(
            {
                "detail": [
                    _("This unit is still used by: %(things)s.")
                    % {"things": ", ".join(sorted(used_by))}
                ]
            }
        )
    unit.delete()


def _referencing_models(unit: OrgUnit) -> set[str]:
    """Names of the other kinds of records that deleting the unit would delete or break."""
    collector = Collector(using=router.db_for_write(OrgUnit), origin=unit)
    try:
        collector.collect([unit])
    except (ProtectedError, RestrictedError) as exc:
        objs = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", ())
        return {capfirst(str(obj._meta.verbose_name_plural)) for obj in objs}
    used = {
        capfirst(str(model._meta.verbose_name_plural))
        for model, objs in collector.data.items()
        if objs and not issubclass(model, OrgUnit)
    }
    for queryset in collector.fast_deletes:
        model = queryset.model
        if not issubclass(model, OrgUnit) and queryset.exists():
            used.add(capfirst(str(model._meta.verbose_name_plural)))
    return used


def _check_dates(hire_date: datetime.date | None, leave_date: datetime.date | None) -> None:
    if hire_date and leave_date and leave_date < hire_date:
        raise OrgError({"leave_date": [_("The leave date cannot be before the hire date.")]})


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise OrgError({"role": [_("Choose a valid role.")]})


def _check_home_unit(role: str, org_unit: OrgUnit | None) -> None:
    # A rep without a unit would see nothing and roll up nowhere.
    if role == Role.REP and org_unit is None:
        raise OrgError({"org_unit": [_("A sales rep needs a home unit.")]})


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str = Role.REP,
    org_unit: OrgUnit | None = None,
    password: str | None = None,
    email: str = "",
    display_name: str = "",
    first_name: str = "",
    last_name: str = "",
    hire_date: datetime.date | None = None,
    leave_date: datetime.date | None = None,
    is_active: bool = True,
    zoho_user_id: str = "",
    fxiaoke_user_id: str = "",
    language: str = "",
    email_notifications: bool = True,
) -> User:
    """Create a person. Without a password the account cannot log in until one is set."""
    username = (username or "").strip()
    if not username:
        raise OrgError({"username": [_("A person needs a username.")]})
    if User.objects.filter(username__iexact=username).exists():
        raise OrgError({"username": [_("This username is taken.")]})
    _check_role(role)
    _check_home_unit(role, org_unit)
    _check_dates(hire_date, leave_date)
    user = User(
        username=username,
        role=role,
        org_unit=org_unit,
        email=email,
        display_name=display_name,
        first_name=first_name,
        last_name=last_name,
        hire_date=hire_date,
        leave_date=leave_date,
        is_active=is_active,
        zoho_user_id=zoho_user_id,
        fxiaoke_user_id=fxiaoke_user_id,
        language=language,
        email_notifications=email_notifications,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    if org_unit is not None:
        OrgMembership.objects.create(user=user, org_unit=org_unit, valid_from=EARLIEST)
    return user


# A person's first unit covers everything before any move (facts may be back-dated).
EARLIEST = datetime.date(1900, 1, 1)


def _record_move(user: User, org_unit: OrgUnit, effective: datetime.date) -> None:
    """Close the current membership the day before `effective` and open the new one."""
    current = (
        OrgMembership.objects.select_for_update().filter(user=user, valid_to__isnull=True).first()
    )
    if current is not None:
        if current.org_unit_id == org_unit.pk:
            return
        if current.valid_from >= effective:
            # Moved again on the same day (or back-dated before the last move): replace it.
            current.delete()
            OrgMembership.objects.filter(user=user, valid_from__gte=effective).delete()
            previous = OrgMembership.objects.filter(user=user).order_by("-valid_from").first()
            if previous is not None and previous.org_unit_id == org_unit.pk:
                previous.valid_to = None
                previous.save(update_fields=["valid_to"])
                return
            if previous is not None:
                previous.valid_to = effective - datetime.timedelta(days=1)
                previous.save(update_fields=["valid_to"])
        else:
            current.valid_to = effective - datetime.timedelta(days=1)
            current.save(update_fields=["valid_to"])
    start = effective if OrgMembership.objects.filter(user=user).exists() else EARLIEST
    OrgMembership.objects.create(user=user, org_unit=org_unit, valid_from=start)


USER_EDITABLE_FIELDS = frozenset(
    {
        "role",
        "org_unit",
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
)


def _managed_unit_names(user: User) -> str:
    return ", ".join(OrgUnit.objects.filter(manager=user).values_list("name", flat=True))


@transaction.atomic
def user_update(
    *,
    user: User,
    by: User | None = None,
    effective_date: datetime.date | None = None,
    **changes: Any,
) -> User:
    """Change a person's role, unit, dates, CRM ids … (only `USER_EDITABLE_FIELDS`).

    `by` is the admin making the change: nobody can lock themselves out.
    """
    unknown = set(changes) - USER_EDITABLE_FIELDS
    if unknown:
        raise OrgError({"detail": [_("Unknown fields: %s") % ", ".join(sorted(unknown))]})
    role = changes.get("role", user.role)
    _check_role(role)
    if by is not None and by.pk == user.pk:
        if user.role == Role.ADMIN and role != Role.ADMIN:
            raise OrgError({"role": [_("You cannot take away your own admin role.")]})
        if changes.get("is_active") is False:
            raise OrgError({"is_active": [_("You cannot deactivate your own account.")]})
    _check_home_unit(role, changes.get("org_unit", user.org_unit))
    new_unit = changes.get("org_unit")
    if new_unit is not None and new_unit.pk != user.org_unit_id and not new_unit.is_active:
        raise OrgError({"org_unit": [_("People can only be moved into an active unit.")]})
    _check_dates(
        changes.get("hire_date", user.hire_date), changes.get("leave_date", user.leave_date)
    )
    deactivating = changes.get("is_active") is False and user.is_active
    losing_management = (role == Role.REP and user.role != Role.REP) or deactivating
    if losing_management:
        managed = _managed_unit_names(user)
        if managed:
            field = "role" if role == Role.REP and user.role != Role.REP else "is_active"
            raise OrgError(
                {
                    field: [
                        _("%(name)s manages %(units)s; assign another manager first.")
                        % {
                            "name": user.display,
                            "units": managed,
                        }
                    ]
                }
            )
    if new_unit is not None and new_unit.pk != user.org_unit_id:
        _record_move(user, new_unit, effective_date or timezone.localdate())
    for field, value in changes.items():
        setattr(user, field, value)
    update_fields = list(changes)
    if "role" in changes:
        user.is_staff = user.is_superuser = user.role == Role.ADMIN
        update_fields += ["is_staff", "is_superuser"]
    if update_fields:
        user.save(update_fields=update_fields)
    if deactivating:
        # Their open sessions and API token end now, not when they would have expired.
        user_sign_out_everywhere(user_id=user.pk)
    return user


@transaction.atomic
def user_move(
    *, user: User, org_unit: OrgUnit, effective_date: datetime.date | None = None
) -> User:
    """Move a person to another unit from `effective_date` (default today).

    Facts dated before it keep the old unit (see `selectors.unit_as_of`).
    """
    if not org_unit.is_active:
        raise OrgError({"org_unit": [_("People can only be moved into an active unit.")]})
    _record_move(user, org_unit, effective_date or timezone.localdate())
    user.org_unit = org_unit
    user.save(update_fields=["org_unit"])
    return user
