"""Reads of the plans app, always through `salesgoals.scope`.

Feedback: a rep sees their own; a manager sees their own and everything raised in their
subtree; executives and admins see all. Handling (acknowledge, action, close, respond) is for
the managers of the item's subtree, executives and admins — never the author's own item, except
that the author may respond to it and close it. The author of an anonymous item is shown only to
admins (and to the author).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from plans.models import Feedback, FeedbackResponse
from salesgoals import scope
from salesgoals.ids import is_id
from salesgoals.models import OrgUnit, Role, User

#: status → statuses it may move to.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Feedback.Status.OPEN: (
        Feedback.Status.ACKNOWLEDGED,
        Feedback.Status.ACTIONED,
        Feedback.Status.CLOSED,
    ),
    Feedback.Status.ACKNOWLEDGED: (Feedback.Status.ACTIONED, Feedback.Status.CLOSED),
    Feedback.Status.ACTIONED: (Feedback.Status.CLOSED,),
    Feedback.Status.CLOSED: (),
}


def _visible_q(user: User) -> Q | None:
    """None = everything."""
    if scope.sees_everything(user):
        return None
    own = Q(author_id=user.pk)
    if user.role == Role.MANAGER:
        roots = scope.managed_roots(user)
        if roots:
            return own | OrgUnit.subtree_q(roots, "org_unit__path")
    return own


def feedback_visible(
    user: User,
    *,
    status: str | None = None,
    category: str | None = None,
    org_unit: Any = None,
    mine: bool = False,
) -> QuerySet[Feedback]:
    """Feedback in the user's scope; `org_unit` keeps that unit's subtree."""
    if not user.is_authenticated or not user.is_active:
        return Feedback.objects.none()
    items = Feedback.objects.select_related("author", "org_unit", "plan", "plan__metric")
    q = _visible_q(user)
    if q is not None:
        items = items.filter(q)
    if status:
        items = items.filter(status=status)
    if category:
        items = items.filter(category=category)
    if org_unit:
        unit = OrgUnit.objects.filter(pk=org_unit).first() if is_id(org_unit) else None
        if unit is None:
            return Feedback.objects.none()
        items = items.filter(OrgUnit.subtree_q([unit.path], "org_unit__path"))
    if mine:
        items = items.filter(author_id=user.pk)
    return items


def feedback_can_view(user: User, item: Feedback) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if scope.sees_everything(user) or item.author_id == user.pk:
        return True
    return feedback_can_handle(user, item)


def feedback_can_handle(user: User, item: Feedback) -> bool:
    """Acknowledge, action, close and answer: managers of the subtree, executives, admins."""
    if not user.is_authenticated or not user.is_active or item.author_id == user.pk:
        return False
    if scope.sees_everything(user):
        return True
    if user.role != Role.MANAGER or item.org_unit is None:
        return False
    return any(item.org_unit.path.startswith(p) for p in scope.managed_roots(user))


def feedback_can_respond(user: User, item: Feedback) -> bool:
    if item.status == Feedback.Status.CLOSED:
        return False
    return item.author_id == user.pk or feedback_can_handle(user, item)


def feedback_next_statuses(user: User, item: Feedback) -> list[str]:
    """The statuses this user may move the item to now."""
    allowed = TRANSITIONS[item.status]
    if feedback_can_handle(user, item):
        return list(allowed)
    if item.author_id == user.pk and Feedback.Status.CLOSED in allowed:
        return [Feedback.Status.CLOSED]
    return []


def feedback_get_for_user(*, user: User, pk: Any) -> Feedback:
    """The item, or 404 when unknown and 403 when outside the user's scope."""
    item = get_object_or_404(
        Feedback.objects.select_related(
            "author", "org_unit", "plan", "plan__metric", "action_plan", "task"
        ),
        pk=pk,
    )
    if not feedback_can_view(user, item):
        raise PermissionDenied
    return item


def feedback_responses(item: Feedback) -> QuerySet[FeedbackResponse]:
    return item.responses.select_related("author")


def author_shown(user: User, item: Feedback, author_id: int | None = None) -> bool:
    """May `user` see who wrote the item (or a response by `author_id`)?"""
    if author_id is not None and author_id != item.author_id:
        return True
    return not item.anonymous or scope.is_admin(user) or item.author_id == user.pk


def author_name(user: User, item: Feedback, author: User | None = None) -> str | None:
    """The display name, or None when hidden by anonymity."""
    author = author or item.author
    if not author_shown(user, item, author.pk):
        return None
    return author.display
