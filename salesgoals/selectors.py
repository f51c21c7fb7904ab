"""Core reads shared by pages and the API."""

from __future__ import annotations

import datetime

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Length, Substr

from .models import (
    FiscalYear,
    Notification,
    OrgMembership,
    OrgUnit,
    Period,
    PeriodKind,
    Role,
    User,
)


def periods_containing(day: datetime.date) -> dict[str, Period]:
    """The year, quarter, month and week that contain `day` (empty if no fiscal year does)."""
    rows = Period.objects.filter(start__lte=day, end__gte=day).select_related("fiscal_year")
    return {p.kind: p for p in rows}


def fiscal_year_for(day: datetime.date) -> FiscalYear | None:
    return FiscalYear.objects.filter(start__lte=day, end__gte=day).first()


def period_tree(fiscal_year: FiscalYear) -> list[Period]:
    """All periods of a year in display order (year, then each quarter's months and weeks)."""
    order = {PeriodKind.YEAR: 0, PeriodKind.QUARTER: 1, PeriodKind.MONTH: 2, PeriodKind.WEEK: 3}
    periods = list(Period.objects.filter(fiscal_year=fiscal_year))
    return sorted(periods, key=lambda p: (p.start, order[p.kind]))


def notifications_for(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def _count_of(queryset: QuerySet) -> Coalesce:
    counted = queryset.order_by().values("org_unit").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def org_units_annotated(queryset: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
    """Parent id and head counts as subqueries, manager joined: one query per page."""
    parent_path = Substr(OuterRef("path"), 1, Length(OuterRef("path")) - OrgUnit.steplen)
    parents = OrgUnit.objects.order_by().filter(path=parent_path).values("pk")[:1]
    members = User.objects.filter(org_unit=OuterRef("pk"), is_active=True)
    # Only what the API and pages show: SQLite parses every datetime column it returns.
    fields = ["path", "depth", "numchild", "name", "code", "kind", "is_active"]
    manager = ["manager__username", "manager__display_name", "manager__first_name"]
    return (
        queryset.select_related("manager")
        .only(*fields, *manager, "manager__last_name")
        .annotate(
            parent_pk=Subquery(parents, output_field=IntegerField()),
            member_count=_count_of(members),
            rep_count=_count_of(members.filter(role=Role.REP)),
        )
    )


def unit_as_of(user: User, day: datetime.date) -> OrgUnit | None:
    """The unit `user` belonged to on `day` (their current unit when no history covers it)."""
    membership = (
        OrgMembership.objects.select_related("org_unit")
        .filter(user=user, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .first()
    )
    return membership.org_unit if membership else user.org_unit


def unit_ids_as_of(pairs: list[tuple[int, datetime.date]]) -> dict[tuple[int, datetime.date], int]:
    """Bulk `unit_as_of` for (user id, day) pairs: one query, for imports and CRM sync."""
    user_ids = {user_id for user_id, _ in pairs}
    history: dict[int, list[tuple[datetime.date, datetime.date | None, int]]] = {}
    for row in OrgMembership.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "valid_from", "valid_to", "org_unit_id"
    ):
        history.setdefault(row[0], []).append(row[1:])
    current = dict(User.objects.filter(pk__in=user_ids).values_list("pk", "org_unit_id"))
    result = {}
    for user_id, day in pairs:
        unit_id = current.get(user_id)
        for start, end, candidate in history.get(user_id, []):
            if start <= day and (end is None or day <= end):
                unit_id = candidate
                break
        result[(user_id, day)] = unit_id
    return result
