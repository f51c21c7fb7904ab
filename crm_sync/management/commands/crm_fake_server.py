"""Start a fake Zoho or Fxiaoke server on 127.0.0.1 to try the CRM pages by hand.

    python manage.py crm_fake_server --provider zoho --port 8765 --deals 500

The fakes live in `tests/fakes/` (a development tool: never in production). With
`--connect`, the demo connection of that provider is pointed at the fake and enabled, so
"Test connection" and "Sync now" work against it.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


def seed_fake(fake, provider: str, deals: int, emails: list[str], seed: int = 7) -> None:
    """Users for the given e-mails, a few accounts and `deals` deals (deterministic)."""
    rng = random.Random(seed)
    users = [fake.add_user(email.split("@")[0], email) for email in emails] or [
        fake.add_user("Demo Rep", "rep@example.com")
    ]
    if provider == "zoho":
        accounts = [
            fake.put(
                "Accounts",
                {
                    "Account_Name": f"Account {i}",
                    "Owner": fake.owner(users[i % len(users)]),
                    "Created_Time": "2026-01-05T09:00:00+08:00",
                },
            )
            for i in range(10)
        ]
        stages = ["Qualification", "Negotiation", "Closed Won", "Closed Lost"]
        for i in range(deals):
            fake.add_deal(
                users[i % len(users)],
                Decimal(rng.randint(1000, 500000)) / 100,
                stage=rng.choice(stages),
                Closing_Date=f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}",
                Created_Time="2026-01-02T10:00:00+08:00",
                Account_Name={"id": accounts[i % 10], "name": f"Account {i % 10}"},
            )
    else:
        accounts = [
            fake.put(
                "AccountObj",
                {
                    "name": f"客户 {i}",
                    "owner": [users[i % len(users)]],
                    "create_time": 1767571200000,
                },
            )
            for i in range(10)
        ]
        for i in range(deals):
            fake.add_deal(
                users[i % len(users)],
                f"{rng.randint(1000, 500000) / 100:.2f}",
                status=rng.choice(["running", "running", "won", "lost"]),
                account_id=accounts[i % 10],
                create_time=1767312000000,
                close_date=1767312000000 + rng.randint(0, 320) * 86_400_000,
            )


class Command(BaseCommand):
    help = "Serve a fake Zoho CRM or Fxiaoke on 127.0.0.1 (development only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--provider", choices=["zoho", "fxiaoke"], default="zoho")
        parser.add_argument("--port", type=int, default=0)
        parser.add_argument("--deals", type=int, default=200)
        parser.add_argument("--connect", action="store_true", help="point the demo connection here")

    def handle(self, *args, provider: str, port: int, deals: int, connect: bool, **options) -> None:
        if not settings.DEBUG and not settings.SALESGOALS.get("ALLOW_DEMO_DATA"):
            raise CommandError("The fake CRM servers are for development only.")
        try:
            from tests.fakes.fxiaoke import FakeFxiaoke
            from tests.fakes.zoho import FakeZoho
        except ImportError as error:
            raise CommandError("tests/fakes is not available in this installation.") from error
        from salesgoals.models import User

        fake = FakeZoho() if provider == "zoho" else FakeFxiaoke()
        emails = list(
            User.objects.filter(role="rep", is_active=True)
            .exclude(email="")
            .order_by("pk")
            .values_list("email", flat=True)[:20]
        )
        seed_fake(fake, provider, deals, emails)
        fake.start_on(port) if port else fake.start()
        self.stdout.write(f"fake {provider} listening on {fake.url}")
        if connect:
            from crm_sync.demo import point_demo_connection

            name = point_demo_connection(provider, fake)
            self.stdout.write(f"connection “{name}” now points at the fake and is enabled")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            fake.stop()
