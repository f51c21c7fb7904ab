"""Demo data: a disabled connection per CRM with a short run history (no network calls).

`manage.py crm_fake_server --provider zoho --connect` starts a fake CRM and points the demo
connection at it, so "Test connection" and "Sync now" can be tried by hand.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from . import crypto, services
from .models import Connection, CrmUser, Provider, SyncError, SyncRun

DEMO = {
    Provider.ZOHO: {
        "name": "Zoho CRM (demo)",
        "region": "cn",
        "client_id": "1000.CLIENT",
        "secrets": {"client_secret": "zoho-client-secret", "refresh_token": "1000.refresh.token"},
    },
    Provider.FXIAOKE: {
        "name": "纷享销客 (demo)",
        "region": "fxiaoke",
        "client_id": "FSAID_fake",
        "run_as_user": "FSUID_ADMIN",
        "secrets": {"app_secret": "fx-app-secret", "permanent_code": "FX-PERMANENT"},
    },
}


def seed(ctx: Any) -> dict[str, int]:
    try:
        crypto.encrypt({"probe": "1"})
    except ImproperlyConfigured:
        return {"crm_connections": 0}  # no FIELD_ENCRYPTION_KEY outside the embedded mode
    now = timezone.now()
    created = 0
    for provider, values in DEMO.items():
        if Connection.objects.filter(name=values["name"]).exists():
            continue
        connection = services.connection_create(
            provider=provider, enabled=False, schedule_minutes=60, **values
        )
        created += 1
        reps = list(ctx.reps[:4])
        for i, rep in enumerate(reps):
            CrmUser.objects.create(
                connection=connection,
                external_id=f"demo-{provider}-{i}",
                name=rep.display,
                email=rep.email,
                user=rep,
                mapped_by=CrmUser.MappedBy.EMAIL,
            )
        CrmUser.objects.create(
            connection=connection, external_id=f"demo-{provider}-x", name="Former employee"
        )
        for days, status, failed in ((3, "succeeded", 0), (2, "partial", 1), (1, "succeeded", 0)):
            start = now - datetime.timedelta(days=days)
            run = SyncRun.objects.create(
                connection=connection,
                trigger=SyncRun.Trigger.SCHEDULE,
                status=status,
                started_at=start,
                finished_at=start + datetime.timedelta(seconds=42),
                heartbeat_at=start + datetime.timedelta(seconds=42),
                pages=12,
                fetched=1180 if days == 3 else 37,
                created=1150 if days == 3 else 5,
                updated=30 if days == 3 else 31,
                deleted=0 if days == 3 else 1,
                failed=failed,
                full=days == 3,
            )
            SyncRun.objects.filter(pk=run.pk).update(created_at=start)
            if failed:
                SyncError.objects.create(
                    run=run,
                    crm_object="Deals" if provider == Provider.ZOHO else "NewOpportunityObj",
                    external_id="demo-record",
                    message="The CRM user Former employee is not mapped to anyone here "
                    "(see User mapping).",
                )
        Connection.objects.filter(pk=connection.pk).update(
            last_run_at=now - datetime.timedelta(days=1), last_status="succeeded"
        )
    return {"crm_connections": created}


def point_demo_connection(provider: str, fake: Any) -> str:
    """Point the demo connection of `provider` at a running fake and enable it."""
    values = DEMO[provider]
    connection = Connection.objects.filter(name=values["name"]).first()
    if connection is None:
        connection = services.connection_create(provider=provider, **values)
    url_field = "accounts_url" if provider == Provider.ZOHO else "api_url"
    services.connection_update(
        connection=connection, secrets=values["secrets"], enabled=True, **{url_field: fake.url}
    )
    return connection.name
