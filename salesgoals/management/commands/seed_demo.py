from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from salesgoals.demo import demo_allowed, seed_all
from salesgoals.models import User


class Command(BaseCommand):
    help = "Load the deterministic demo company (never in production mode)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any user exists already."
        )

    def handle(self, *args, **options) -> None:
        if not demo_allowed():
            raise CommandError("Demo data is never loaded in production mode (DJANGO_DEBUG=0).")
        if User.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already has data; demo data not loaded.")
                return
            raise CommandError("The database is not empty; seed_demo runs on an empty database.")
        with transaction.atomic():
            ctx = seed_all()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo company loaded: {len(ctx.regions)} regions, {len(ctx.teams)} teams, "
                f"{len(ctx.reps)} reps, {len(ctx.fiscal_years)} fiscal years."
            )
        )
