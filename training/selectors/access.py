"""Who may do what in training — decided from `salesgoals.scope` and nowhere else.

- The catalogue is read by everyone signed in; courses, modules, materials, quizzes and
  recommendation rules are configured by admins.
- Assignments, progress, certifications and recommendations are seen in the person's scope:
  a rep their own, a manager their subtree (and their own), executives and admins everyone.
- A course may be assigned to a person by an admin or executive (anyone), a manager (people of
  their subtree) and the person themselves (self-enrolment).
- Modules are completed and quizzes taken only by the assignee.
"""

from __future__ import annotations

from django.db.models import QuerySet

from salesgoals import scope
from salesgoals.models import OrgUnit, Role, User


def can_configure(user: User) -> bool:
    """Courses, modules, quizzes and recommendation rules."""
    return scope.is_admin(user)


def is_leader(user: User) -> bool:
    """Managers, executives and admins see team pages."""
    return user.is_authenticated and (user.role != Role.REP or user.is_superuser)


def people_visible(user: User) -> QuerySet[User]:
    return scope.visible_users(user)


def can_view_person(actor: User, person: User | int) -> bool:
    pk = person.pk if isinstance(person, User) else int(person)
    if not actor.is_authenticated or not actor.is_active:
        return False
    if pk == actor.pk or scope.sees_everything(actor):
        return True
    return people_visible(actor).filter(pk=pk).exists()


def can_assign(actor: User, person: User) -> bool:
    """May the actor assign a course to this person?"""
    if not actor.is_authenticated or not actor.is_active:
        return False
    if person.pk == actor.pk or scope.sees_everything(actor):
        return True
    if actor.role != Role.MANAGER:
        return False
    return can_view_person(actor, person)


def can_assign_unit(actor: User, unit: OrgUnit) -> bool:
    if scope.sees_everything(actor):
        return True
    if actor.role != Role.MANAGER:
        return False
    return scope.editable_units(actor).filter(pk=unit.pk).exists()


def nearest_manager(person: User) -> User | None:
    """The manager of the person's home unit, else of the nearest unit above (not themselves)."""
    unit = person.org_unit
    if unit is None:
        return None
    step = OrgUnit.steplen
    paths = [unit.path[:n] for n in range(step, len(unit.path) + 1, step)]
    for above in (
        OrgUnit.objects.filter(path__in=paths).select_related("manager").order_by("-depth")
    ):
        manager = above.manager
        if manager is not None and manager.pk != person.pk and manager.is_active:
            return manager
    return None
