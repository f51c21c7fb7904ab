"""Scoped reads of assignments, progress and certifications.

A rep sees their own; a manager their subtree's and their own; executives and admins all
(`salesgoals.scope.visible_users`). Out-of-scope details are 403, unknown ones 404.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone

from salesgoals import scope
from salesgoals.ids import is_id
from salesgoals.models import OrgUnit, User
from training.models import Assignment, Certification, Module, QuizAttempt
from training.selectors.access import can_view_person


def _cert_expiry() -> Subquery:
    latest = Certification.objects.filter(assignment=OuterRef("pk")).order_by("-issued_on")
    return Subquery(latest.values("expires_on")[:1])


def _person_scope(user: User, field: str = "user") -> Q | None:
    """None = everyone."""
    if scope.sees_everything(user):
        return None
    return Q(**{f"{field}__in": scope.visible_users(user).values("pk")}) | Q(
        **{f"{field}_id": user.pk}
    )


def assignments_visible(
    user: User,
    *,
    status: str | None = None,
    course: Any = None,
    category: str | None = None,
    org_unit: Any = None,
    person: Any = None,
    mine: bool = False,
    overdue: bool = False,
) -> QuerySet[Assignment]:
    if not user.is_authenticated or not user.is_active:
        return Assignment.objects.none()
    today = timezone.localdate()
    items = Assignment.objects.select_related("user", "user__org_unit", "course").annotate(
        modules_total=Count("course__modules", distinct=True),
        modules_done=Count("completions", distinct=True),
        certification_expires_on=_cert_expiry(),
    )
    q = _person_scope(user)
    if q is not None:
        items = items.filter(q)
    if status == "overdue" or overdue:
        items = items.filter(status__in=Assignment.OPEN_STATUSES, due_on__lt=today)
    elif status == "open":
        items = items.filter(status__in=Assignment.OPEN_STATUSES)
    elif status:
        items = items.filter(status=status)
    if course:
        key = "course_id" if is_id(course) else "course__code"
        items = items.filter(**{key: course})
    if category:
        items = items.filter(course__category=category)
    if org_unit:
        unit = OrgUnit.objects.filter(pk=org_unit).first() if is_id(org_unit) else None
        if unit is None:
            return Assignment.objects.none()
        items = items.filter(user__org_unit__path__startswith=unit.path)
    if person:
        items = items.filter(user_id=person) if is_id(person) else items.none()
    if mine:
        items = items.filter(user_id=user.pk)
    rank = Case(
        When(status__in=Assignment.OPEN_STATUSES, then=Value(0)),
        When(status=Assignment.Status.COMPLETED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return items.order_by(rank, F("due_on").asc(nulls_last=True), "-completed_on", "pk")


def assignment_counts(user: User) -> dict[str, int]:
    """Open, overdue and completed assignments in the user's scope, in one query."""
    if not user.is_authenticated or not user.is_active:
        return {"open": 0, "overdue": 0, "completed": 0}
    today = timezone.localdate()
    items = Assignment.objects.all()
    q = _person_scope(user)
    if q is not None:
        items = items.filter(q)
    is_open = Q(status__in=Assignment.OPEN_STATUSES)
    return items.aggregate(
        open=Count("pk", filter=is_open),
        overdue=Count("pk", filter=is_open & Q(due_on__lt=today)),
        completed=Count("pk", filter=Q(status=Assignment.Status.COMPLETED)),
    )


def assignment_get_for_user(*, user: User, pk: Any) -> Assignment:
    """The assignment with its course, modules and the person's progress; 404/403."""
    item = get_object_or_404(
        Assignment.objects.select_related("user", "course", "assigned_by")
        .annotate(
            modules_total=Count("course__modules", distinct=True),
            modules_done=Count("completions", distinct=True),
            certification_expires_on=_cert_expiry(),
        )
        .prefetch_related(
            Prefetch(
                "course__modules",
                queryset=Module.objects.select_related("quiz")
                .prefetch_related("materials")
                .order_by("order", "pk"),
            ),
        ),
        pk=pk,
    )
    if not can_view_person(user, item.user):
        raise PermissionDenied
    return item


def module_progress(assignment: Assignment) -> list[dict[str, Any]]:
    """Each module of the course with done?, its quiz, the best and last attempt."""
    done = set(assignment.completions.values_list("module_id", flat=True))
    attempts: dict[int, list[QuizAttempt]] = {}
    for attempt in assignment.attempts.order_by("-submitted_at", "-pk"):
        attempts.setdefault(attempt.quiz_id, []).append(attempt)
    rows = []
    for module in assignment.course.modules.all():
        quiz = getattr(module, "quiz", None) if hasattr(module, "quiz") else None
        tries = attempts.get(quiz.pk, []) if quiz else []
        rows.append(
            {
                "module": module,
                "quiz": quiz,
                "done": module.pk in done,
                "attempts": len(tries),
                "best": max((a.score for a in tries), default=None),
                "last": tries[0] if tries else None,
            }
        )
    return rows


def is_overdue(assignment: Assignment, today: datetime.date | None = None) -> bool:
    today = today or timezone.localdate()
    return assignment.is_open and assignment.due_on is not None and assignment.due_on < today


def certifications_visible(
    user: User,
    *,
    course: Any = None,
    person: Any = None,
    expiring_within: int | None = None,
    valid_only: bool = False,
) -> QuerySet[Certification]:
    if not user.is_authenticated or not user.is_active:
        return Certification.objects.none()
    today = timezone.localdate()
    items = Certification.objects.select_related("user", "course")
    q = _person_scope(user)
    if q is not None:
        items = items.filter(q)
    if course:
        key = "course_id" if is_id(course) else "course__code"
        items = items.filter(**{key: course})
    if person:
        items = items.filter(user_id=person) if is_id(person) else items.none()
    if valid_only or expiring_within is not None:
        items = items.filter(issued_on__lte=today).filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=today)
        )
    if expiring_within is not None:
        # More than a century ahead is "any time" (and keeps the date in range).
        days = min(expiring_within, 36500)
        items = items.filter(expires_on__lte=today + datetime.timedelta(days=days))
    return items.order_by("expires_on", "-issued_on", "pk")


def latest_certification(user: User, course_id: int) -> Certification | None:
    return (
        Certification.objects.filter(user=user, course_id=course_id)
        .order_by("-issued_on", "-pk")
        .first()
    )
