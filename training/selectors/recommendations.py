"""Scoped reads of recommendations (rep: own; manager: subtree; executives, admins: all)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from salesgoals import scope
from salesgoals.ids import is_id
from salesgoals.models import OrgUnit, User
from training.models import Recommendation, RecommendationRule
from training.selectors.access import can_view_person


def recommendations_visible(
    user: User,
    *,
    status: str | None = None,
    course: Any = None,
    org_unit: Any = None,
    person: Any = None,
) -> QuerySet[Recommendation]:
    if not user.is_authenticated or not user.is_active:
        return Recommendation.objects.none()
    items = Recommendation.objects.select_related(
        "user", "user__org_unit", "course", "rule", "rule__metric", "period", "assignment"
    )
    if not scope.sees_everything(user):
        items = items.filter(user__in=scope.visible_users(user).values("pk"))
    if status:
        items = items.filter(status=status)
    if course:
        key = "course_id" if is_id(course) else "course__code"
        items = items.filter(**{key: course})
    if org_unit:
        unit = OrgUnit.objects.filter(pk=org_unit).first() if is_id(org_unit) else None
        if unit is None:
            return Recommendation.objects.none()
        items = items.filter(user__org_unit__path__startswith=unit.path)
    if person:
        items = items.filter(user_id=person) if is_id(person) else items.none()
    return items.order_by("status", "-period__start", "user__display_name", "pk")


def recommendation_get_for_user(*, user: User, pk: Any) -> Recommendation:
    item = get_object_or_404(
        Recommendation.objects.select_related("user", "course", "rule", "rule__metric", "period"),
        pk=pk,
    )
    if not can_view_person(user, item.user):
        raise PermissionDenied
    return item


def rules_all() -> QuerySet[RecommendationRule]:
    return RecommendationRule.objects.select_related("metric", "course").order_by("name", "pk")
