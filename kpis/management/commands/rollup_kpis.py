"""`manage.py rollup_kpis`: drain the KPI outbox, or `--full` to rebuild from the facts."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kpis import rollup


class Command(BaseCommand):
    help = "Drain the KPI outbox (default) or rebuild every KPI cell from the facts (--full)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="Recompute from the facts.")
        parser.add_argument("--fiscal-year", type=int, help="With --full: only this year.")
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["full"]:
            stats = rollup.full_recompute(fiscal_year=options["fiscal_year"])
        else:
            stats = rollup.drain_outbox(batch_size=options["batch_size"])
        self.stdout.write(json.dumps(stats, default=str))
