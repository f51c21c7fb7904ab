"""The skills matrix: people of a team × courses (or categories), with a status per cell.

Cell status, strongest first: ``certified`` (a valid certification), ``expiring`` (valid but
ending within the renewal notice), ``completed``, ``overdue``, ``in_progress``, ``assigned``,
``expired`` (only expired certifications), ``none``. By category a cell is the share of the
category's courses the person has completed or holds a valid certification in.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesgoals import scope
from salesgoals.models import OrgUnit, User
from training.models import Assignment, Certification, Course

RENEWAL_NOTICE_DAYS = 30

STATUS_ORDER = (
    "certified",
    "expiring",
    "completed",
    "overdue",
    "in_progress",
    "assigned",
    "expired",
    "none",
)
STATUS_LABELS = {
    "certified": _("Certified"),
    "expiring": _("Certification expiring"),
    "completed": _("Completed"),
    "overdue": _("Overdue"),
    "in_progress": _("In progress"),
    "assigned": _("Assigned"),
    "expired": _("Certification expired"),
    "none": _("Not started"),
}


@dataclass
class Matrix:
    people: list[User]
    columns: list[dict[str, Any]]
    rows: list[dict[str, Any]] = field(default_factory=list)
    by: str = "course"


def _statuses(
    people: list[User], courses: list[Course], today: datetime.date
) -> dict[tuple[int, int], str]:
    ids = [p.pk for p in people]
    course_ids = [c.pk for c in courses]
    found: dict[tuple[int, int], set[str]] = {}
    for a in Assignment.objects.filter(user_id__in=ids, course_id__in=course_ids).exclude(
        status=Assignment.Status.CANCELLED
    ):
        if a.status == Assignment.Status.COMPLETED:
            status = "completed"
        elif a.due_on and a.due_on < today:
            status = "overdue"
        else:
            status = a.status
        found.setdefault((a.user_id, a.course_id), set()).add(status)
    soon = today + datetime.timedelta(days=RENEWAL_NOTICE_DAYS)
    for c in Certification.objects.filter(user_id__in=ids, course_id__in=course_ids):
        if c.issued_on > today:
            continue
        if c.expires_on is not None and c.expires_on < today:
            status = "expired"
        elif c.expires_on is not None and c.expires_on <= soon:
            status = "expiring"
        else:
            status = "certified"
        found.setdefault((c.user_id, c.course_id), set()).add(status)
    return {key: next(s for s in STATUS_ORDER if s in statuses) for key, statuses in found.items()}


def skills_matrix(
    user: User,
    *,
    unit: OrgUnit | None = None,
    category: str | None = None,
    by: str = "course",
    today: datetime.date | None = None,
) -> Matrix:
    """People in scope (of ``unit``'s subtree when given) × active courses or categories."""
    today = today or timezone.localdate()
    people_qs = scope.visible_users(user).filter(is_active=True).select_related("org_unit")
    if unit is not None:
        people_qs = people_qs.filter(org_unit__path__startswith=unit.path)
    people = list(people_qs.order_by("org_unit__path", "display_name", "username"))
    courses_qs = Course.objects.filter(active=True)
    if category:
        courses_qs = courses_qs.filter(category=category)
    courses = list(courses_qs.order_by("category", "title"))
    statuses = _statuses(people, courses, today)
    matrix = Matrix(people=people, columns=[], by=by)
    if by == "category":
        cats = [c for c in Course.Category if any(x.category == c.value for x in courses)]
        matrix.columns = [{"key": c.value, "label": c.label} for c in cats]
        for person in people:
            cells = []
            for cat in cats:
                in_cat = [c for c in courses if c.category == cat.value]
                done = sum(
                    statuses.get((person.pk, c.pk)) in ("certified", "expiring", "completed")
                    for c in in_cat
                )
                share = round(100 * done / len(in_cat)) if in_cat else 0
                level = (
                    "full"
                    if share == 100
                    else "partial"
                    if share >= 50
                    else ("low" if share > 0 else "none")
                )
                cells.append({"done": done, "total": len(in_cat), "share": share, "level": level})
            matrix.rows.append({"person": person, "cells": cells})
    else:
        matrix.columns = [
            {"key": c.code, "label": c.title, "course": c, "category": c.get_category_display()}
            for c in courses
        ]
        for person in people:
            cells = []
            for course in courses:
                status = statuses.get((person.pk, course.pk), "none")
                cells.append(
                    {"status": status, "label": STATUS_LABELS[status], "code": course.code}
                )
            matrix.rows.append({"person": person, "cells": cells})
    return matrix


def matrix_status_legend() -> list[tuple[str, Any]]:
    return [(s, STATUS_LABELS[s]) for s in STATUS_ORDER]
