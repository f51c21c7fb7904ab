"""Reads of `crm_sync`: pre-joined querysets for the pages and the API, and reconciliation."""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth

from kpis.models import Deal, Order, Payment, Source

from .models import Connection, CrmUser, ObjectMapping, Provider, SyncError, SyncRun

SOURCE = {Provider.ZOHO: Source.ZOHO, Provider.FXIAOKE: Source.FXIAOKE}


def connections() -> QuerySet[Connection]:
    return (
        Connection.objects.select_related("default_owner")
        .prefetch_related("mappings")
        .order_by("name")
    )


def runs(connection: Connection | None = None) -> QuerySet[SyncRun]:
    qs = SyncRun.objects.select_related("connection", "requested_by")
    return qs.filter(connection=connection) if connection is not None else qs


def run_errors(run: SyncRun) -> QuerySet[SyncError]:
    return SyncError.objects.filter(run=run).order_by("pk")


def mappings(connection: Connection) -> QuerySet[ObjectMapping]:
    return ObjectMapping.objects.filter(connection=connection).order_by("order", "crm_object")


def crm_users(connection: Connection, *, unmapped: bool = False) -> QuerySet[CrmUser]:
    qs = CrmUser.objects.filter(connection=connection).select_related("user")
    return qs.filter(user__isnull=True) if unmapped else qs


def active_run(connection: Connection) -> SyncRun | None:
    return runs(connection).filter(status__in=SyncRun.ACTIVE).first()


# --- Reconciliation ---------------------------------------------------------------------------

RECON = {
    "deal": (Deal, "close_date", "won"),
    "order": (Order, "order_date", None),
    "payment": (Payment, "payment_date", None),
}


def local_monthly(connection: Connection, kind: str) -> dict[datetime.date, tuple[int, int]]:
    """Per month: (count, Σ original amount in minor units) of this CRM's live facts."""
    model, date_field, _won = RECON[kind]
    rows = (
        model.objects.alive()
        .filter(source=SOURCE[connection.provider])
        .annotate(month=TruncMonth(date_field))
        .values("month")
        .annotate(n=Count("pk"), total=Sum("original_amount_minor"))
    )
    return {_as_date(r["month"]): (r["n"], r["total"] or 0) for r in rows}


def _as_date(value: Any) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def compare_monthly(
    crm: dict[datetime.date, tuple[int, int]], local: dict[datetime.date, tuple[int, int]]
) -> list[dict[str, Any]]:
    months = sorted(set(crm) | set(local), reverse=True)
    table: list[dict[str, Any]] = []
    for month in months:
        c, lo = crm.get(month, (0, 0)), local.get(month, (0, 0))
        table.append(
            {
                "month": month,
                "crm_count": c[0],
                "crm_total": c[1],
                "local_count": lo[0],
                "local_total": lo[1],
                "matches": c == lo,
            }
        )
    return table


def group_monthly(rows: list[tuple[datetime.date, int]]) -> dict[datetime.date, tuple[int, int]]:
    result: dict[datetime.date, list[int]] = defaultdict(lambda: [0, 0])
    for day, minor in rows:
        bucket = result[day.replace(day=1)]
        bucket[0] += 1
        bucket[1] += minor
    return {k: (v[0], v[1]) for k, v in result.items()}
