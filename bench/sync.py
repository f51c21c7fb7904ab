"""CRM sync benchmark: prints JSON.

Serves N deals from each fake CRM (tests/fakes, real HTTP on 127.0.0.1, in this process)
and runs a first (full) sync of them into a throwaway test database, then an incremental
sync after 1% of the deals changed. Reports, per provider:
- records/s overall (wall time) and of our side: wall time minus the time the sync waited
  for the CRM (pages are fetched in the background while the previous one is written, so
  only the waits count; they include the fake server building its answers in this same
  process);
- the share of wall time spent in our code; the HTTP calls made;
- that the local deals equal the CRM's (count and amount sum).
The time inside `kpis.services` (the fact writes, not ours) is reported on its own. The KPI
outbox drain is switched off during the sync and timed separately afterwards.

Usage:
    .venv/bin/python bench/sync.py                       # 100,000 deals per CRM, SQLite
    DATABASE_URL=postgres://salesgoals:salesgoals@127.0.0.1:5432/salesgoals \\
        .venv/bin/python bench/sync.py --deals 100000
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
from decimal import Decimal
from typing import Any

from _setup import test_database
from django.conf import settings
from django.db import connection
from django.db.models import Sum


def _org(reps: int) -> list[Any]:
    from salesgoals.models import Role, User
    from tests.factories import UserFactory, unit

    team = unit("CRM bench team")
    return [
        UserFactory(username=f"bench{i}", email=f"bench{i}@example.com", role=Role.REP,
                    org_unit=team)
        for i in range(reps)
    ] or list(User.objects.none())  # fmt: skip


def _seed(fake: Any, provider: str, users: list[Any], deals: int) -> None:
    rng = random.Random(11)
    crm_users = [fake.add_user(u.display, u.email) for u in users]
    for i in range(deals):
        owner = crm_users[i % len(crm_users)]
        cents = rng.randint(10_000, 50_000_000)
        if provider == "zoho":
            fake.add_deal(owner, Decimal(cents) / 100,
                          Closing_Date=f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
                          Created_Time="2026-01-01T09:00:00+08:00")  # fmt: skip
        else:
            fake.add_deal(owner, f"{cents // 100}.{cents % 100:02d}",
                          close_date=1767225600000 + (i % 330) * 86_400_000,
                          create_time=1767225600000)  # fmt: skip


def _crm_sum(fake: Any, provider: str) -> tuple[int, int]:
    from salesgoals import money

    if provider == "zoho":
        rows = fake.alive("Deals")
        return len(rows), sum(money.to_minor(Decimal(str(r["Amount"]))) for r in rows)
    rows = fake.alive("NewOpportunityObj")
    return len(rows), sum(money.to_minor(Decimal(r["amount"])) for r in rows)


KPIS_SECONDS = [0.0]


def _time_kpis_services() -> None:
    """Count the time spent inside kpis.services (the fact writes we do not own)."""
    from crm_sync.services import ingest

    def timed(fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                KPIS_SECONDS[0] += time.perf_counter() - started

        return wrapper

    ingest.facts.facts_bulk_import = timed(ingest.facts.facts_bulk_import)
    ingest.facts.fact_soft_delete = timed(ingest.facts.fact_soft_delete)
    for kind, fn in list(ingest.UPSERTS.items()):
        ingest.UPSERTS[kind] = timed(fn)


def _bench_provider(provider: str, users: list[Any], deals: int) -> dict[str, Any]:
    from crm_sync import services
    from crm_sync.models import SyncRun
    from crm_sync.providers import provider_for
    from kpis.models import Deal, Source
    from kpis.tasks import drain_outbox_task
    from tests.fakes.fxiaoke import FakeFxiaoke
    from tests.fakes.zoho import FakeZoho

    fake = FakeZoho() if provider == "zoho" else FakeFxiaoke()
    started = time.perf_counter()
    _seed(fake, provider, users, deals)
    seed_seconds = time.perf_counter() - started
    fake.start()
    try:
        if provider == "zoho":
            conn = services.connection_create(
                provider="zoho", name="bench zoho", region="cn", accounts_url=fake.url,
                client_id=fake.client_id, enabled=True, objects_enabled=["Deals"],
                secrets={"client_secret": fake.client_secret, "refresh_token": fake.refresh_token},
            )  # fmt: skip
            source, obj = Source.ZOHO, "Deals"
        else:
            conn = services.connection_create(
                provider="fxiaoke", name="bench fxiaoke", region="fxiaoke", api_url=fake.url,
                client_id=fake.app_id, run_as_user="FSUID_BENCH", enabled=True,
                objects_enabled=["NewOpportunityObj"],
                secrets={"app_secret": fake.app_secret, "permanent_code": fake.permanent_code},
            )  # fmt: skip
            source, obj = Source.FXIAOKE, "NewOpportunityObj"
        result: dict[str, Any] = {"deals": deals, "seed_fake_s": round(seed_seconds, 2)}
        for label in ("full", "incremental"):
            if label == "incremental":
                ids = list(fake.records[obj])[: max(1, deals // 100)]
                for rid in ids:
                    if provider == "zoho":
                        fake.update(obj, rid, Amount=Decimal("1.23"))
                    else:
                        fake.update(obj, rid, amount="1.23")
            providers: list[Any] = []

            def factory(c: Any, providers: list[Any] = providers) -> Any:
                providers.append(provider_for(c))
                return providers[-1]

            run = SyncRun.objects.create(connection=conn, trigger="manual")
            KPIS_SECONDS[0] = 0.0
            t0 = time.perf_counter()
            run = services.run_sync(run_id=run.pk, provider_factory=factory)
            wall = time.perf_counter() - t0
            http = providers[0].http.seconds_in_http
            ours = max(wall - providers[0].http.seconds_waited, 1e-9)
            alive = Deal.objects.alive().filter(source=source)
            local = (alive.count(), alive.aggregate(s=Sum("original_amount_minor"))["s"] or 0)
            result[label] = {
                "status": run.status,
                "fetched": run.fetched,
                "created": run.created,
                "updated": run.updated,
                "wall_s": round(wall, 2),
                "http_s": round(http, 2),
                "waited_for_crm_s": round(providers[0].http.seconds_waited, 2),
                "http_calls": providers[0].http.calls,
                "records_per_s_overall": round(run.fetched / wall),
                "records_per_s_our_side": round(run.fetched / ours),
                "share_of_wall_in_our_code": round(ours / wall, 3),
                "kpis_services_s": round(KPIS_SECONDS[0], 2),
                "crm_sync_own_s": round(ours - KPIS_SECONDS[0], 2),
                "records_per_s_crm_sync_alone": round(
                    run.fetched / max(ours - KPIS_SECONDS[0], 1e-9)
                ),
                "matches_crm": local == _crm_sum(fake, provider),
            }
        t0 = time.perf_counter()
        drain_outbox_task()
        result["outbox_drain_after_sync_s"] = round(time.perf_counter() - t0, 2)
        return result
    finally:
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--providers", default="zoho,fxiaoke")
    args = parser.parse_args()
    settings.SALESGOALS = {**settings.SALESGOALS, "DRAIN_ON_COMMIT": False}
    # The fakes have no per-interface limit: no 0.2 s spacing of Fxiaoke calls here.
    settings.CRM_SYNC = {**settings.CRM_SYNC, "FXIAOKE_MIN_INTERVAL": 0.0}
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per request
    _time_kpis_services()
    with test_database():
        users = _org(args.reps)
        report = {"database": connection.vendor, "results": {}}
        for provider in args.providers.split(","):
            report["results"][provider] = _bench_provider(provider, users, args.deals)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
