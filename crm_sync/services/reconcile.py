"""Reconciliation: per month, the CRM's counts and amounts against the local facts.

Reads the CRM's deals, orders and payments in full (on request, up to `RECONCILE_MAX`
records per object) and groups them by the month of the date the facts are filed under.
"""

from __future__ import annotations

import datetime
from typing import Any

from crm_sync import selectors
from crm_sync.models import Connection
from crm_sync.providers import CrmError, provider_for
from crm_sync.providers.base import conf
from crm_sync.providers.common import RecordError
from salesgoals import money

from .ingest import DATE_FIELD, _first
from .sync import _fields, mappings_to_sync

KINDS = ("deal", "order", "payment")


def reconcile(*, connection: Connection) -> dict[str, Any]:
    """{"tables": {kind: [month rows]}, "error": str, "truncated": [objects]}."""
    limit = int(conf("RECONCILE_MAX", 50_000))
    provider = provider_for(connection)
    tables: dict[str, list[dict[str, Any]]] = {}
    truncated: list[str] = []
    error = ""
    try:
        for mapping in mappings_to_sync(connection):
            if mapping.fact_kind not in KINDS or mapping.fact_kind in tables:
                continue
            rows: list[tuple[datetime.date, int]] = []
            pos: dict[str, Any] = {}
            fields = _fields(mapping)
            date_spec = mapping.field_map.get(DATE_FIELD[mapping.fact_kind], "")
            if mapping.fact_kind == "deal":
                date_spec = "|".join(
                    s for s in (date_spec, mapping.field_map.get("created_date", "")) if s
                )
            seen = 0
            while True:
                page = provider.fetch(mapping.crm_object, fields, None, pos)
                for record in page.records:
                    if provider.is_deleted(record):
                        continue
                    try:
                        day = _first(provider, record, date_spec, "date")
                        amount = _first(
                            provider, record, mapping.field_map.get("amount", ""), "decimal"
                        )
                    except RecordError:
                        continue
                    if day is not None:
                        rows.append((day, money.to_minor(amount or 0)))
                seen += len(page.records)
                if page.next is None:
                    break
                if seen >= limit:
                    truncated.append(mapping.crm_object)
                    break
                pos = page.next
            tables[mapping.fact_kind] = selectors.compare_monthly(
                selectors.group_monthly(rows),
                selectors.local_monthly(connection, mapping.fact_kind),
            )
    except CrmError as failure:
        error = str(failure)
    finally:
        provider.close()
    return {"tables": tables, "error": error, "truncated": truncated}
