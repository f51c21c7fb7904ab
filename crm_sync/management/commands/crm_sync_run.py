"""Run a sync of one connection in this process (operations, and the kill/resume test)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from crm_sync import services
from crm_sync.models import Connection, SyncRun


class Command(BaseCommand):
    help = "Sync one CRM connection now, in this process (resumes where a killed run stopped)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--connection", type=int, required=True, help="connection id")
        parser.add_argument("--full", action="store_true", help="read everything again")

    def handle(self, *args, connection: int, full: bool, **options) -> None:
        conn = Connection.objects.get(pk=connection)
        run = SyncRun.objects.create(connection=conn, trigger=SyncRun.Trigger.MANUAL, full=full)
        run = services.run_sync(run_id=run.pk)
        self.stdout.write(
            f"run {run.pk}: {run.status} fetched={run.fetched} created={run.created} "
            f"updated={run.updated} deleted={run.deleted} failed={run.failed}"
        )
