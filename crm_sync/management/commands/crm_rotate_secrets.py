"""Re-encrypt every CRM connection's secrets with the first key of FIELD_ENCRYPTION_KEYS."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from crm_sync import services


class Command(BaseCommand):
    help = "Re-encrypt CRM secrets with the current (first) encryption key."

    def handle(self, *args, **options) -> None:
        count = services.secrets_rotate()
        self.stdout.write(f"re-encrypted {count} connection(s)")
