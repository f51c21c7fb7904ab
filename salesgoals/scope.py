"""Who may see and change what: the one scope module used by every page, API and export.

Rules (PRODUCT.md): a rep sees their own data; a manager sees and edits their subtree; an
executive sees everything; an admin sees everything and configures. Organisation and people
(org units, users) are configuration: only admins change them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from .models import OrgUnit, Role, User


def sees_everything(user: User) -> bool:
    return user.is_authenticated and (
        user.role in (Role.EXECUTIVE, Role.ADMIN) or user.is_superuser
    )


def is_admin(user: User) -> bool:
    return user.is_authenticated and (user.role == Role.ADMIN or user.is_superuser)


def managed_roots(user: User) -> list[str]:
    """Paths of the units whose subtree the user manages (their home unit for a manager)."""
    if not user.is_authenticated:
        return []
    mine = Q(manager=user)
    if user.role == Role.MANAGER and user.org_unit_id:
        mine |= Q(pk=user.org_unit_id)
    paths = set(OrgUnit.objects.filter(mine).values_list("path", flat=True))
    # Drop paths already covered by a shorter one.
    return [p for p in sorted(paths) if not any(p != q and p.startswith(q) for q in paths)]


def visible_units(user: User) -> QuerySet[OrgUnit]:
    """Org units the user may see: all, their managed subtrees, or their own unit (rep)."""
    if not user.is_authenticated or not user.is_active:
        return OrgUnit.objects.none()
    if sees_everything(user):
        return OrgUnit.objects.all()
    if user.role == Role.MANAGER:
        return OrgUnit.objects.filter(OrgUnit.subtree_q(managed_roots(user)))
    if user.org_unit_id:
        return OrgUnit.objects.filter(pk=user.org_unit_id)
    return OrgUnit.objects.none()


def editable_units(user: User) -> QuerySet[OrgUnit]:
    """Units whose owned data (targets, plans, facts) the user may change."""
    if not user.is_authenticated or not user.is_active:
        return OrgUnit.objects.none()
    if sees_everything(user):
        return OrgUnit.objects.all()
    if user.role == Role.MANAGER:
        return OrgUnit.objects.filter(OrgUnit.subtree_q(managed_roots(user)))
    return OrgUnit.objects.none()


def visible_users(user: User) -> QuerySet[User]:
    """People the user may see: everyone, the members of their subtree, or only themselves."""
    if not user.is_authenticated or not user.is_active:
        return User.objects.none()
    if sees_everything(user):
        return User.objects.all()
    if user.role == Role.MANAGER:
        roots = managed_roots(user)
        return User.objects.filter(OrgUnit.subtree_q(roots, "org_unit__path") | Q(pk=user.pk))
    return User.objects.filter(pk=user.pk)


def scope_unit(obj: Any) -> OrgUnit | None:
    """The org unit an object belongs to, for scope checks."""
    if isinstance(obj, OrgUnit):
        return obj
    if isinstance(obj, User):
        return obj.org_unit
    unit = getattr(obj, "org_unit", None)
    if unit is None and getattr(obj, "owner", None) is not None:
        unit = getattr(obj.owner, "org_unit", None)
    return unit


def scope_owner(obj: Any) -> User | None:
    if isinstance(obj, User):
        return obj
    owner = getattr(obj, "owner", None)
    return owner if isinstance(owner, User) else None


def _in_paths(unit: OrgUnit | None, paths: list[str]) -> bool:
    return unit is not None and any(unit.path.startswith(p) for p in paths)


def can_view(user: User, obj: Any) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if sees_everything(user):
        return True
    owner = scope_owner(obj)
    if owner is not None and owner.pk == user.pk:
        return True
    if user.role == Role.MANAGER:
        return _in_paths(scope_unit(obj), managed_roots(user))
    if isinstance(obj, OrgUnit):
        return obj.pk == user.org_unit_id
    return False


def can_edit(user: User, obj: Any) -> bool:
    """May the user change this object?

    Org units and users are configuration (admins only). Owned data: admins and executives
    anywhere, managers inside their subtree, reps only what they own.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if isinstance(obj, OrgUnit | User):
        return is_admin(user)
    if sees_everything(user):
        return True
    if user.role == Role.MANAGER:
        return _in_paths(scope_unit(obj), managed_roots(user))
    owner = scope_owner(obj)
    return owner is not None and owner.pk == user.pk
