"""Redis down: pages still serve, writes still commit, and the queued work follows later.

"Down" is a proxy in front of the shared Redis that the test closes (connection refused) or
turns into a black hole (connections accepted, never answered: only timeouts end the wait).
The cache, the broker and the result store of this process go through it; the server itself
is never touched. The 2-second bound per request is the timeout guarantee of the settings
(connect 0.5 s, read 1 s, one immediate retry, then `salesgoals.dispatch` keeps the task in
PostgreSQL), not a speed measure.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from crm_sync.models import SyncRun
from kpis.models import Activity, Deal, DirtyKey, KpiTarget, KpiValue, Source
from kpis.tasks import drain_outbox_task
from salesgoals import cache as redis_cache
from salesgoals import dispatch
from salesgoals.models import Metric, PendingTask
from salesgoals.tasks import ping_task, relay_pending_tasks_task
from targets import services as target_services
from targets.models import TargetPlan
from tests.crm_sync.conftest import zoho_connection
from tests.fakes.zoho import FakeZoho
from tests.faults.conftest import run_queued
from tests.targets.plan_fixtures import make_plan

pytestmark = [
    pytest.mark.faults,
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
]

BOUND = 2.0  # seconds: the most a request may wait on a dead Redis


def timed(call: Any) -> tuple[Any, float]:
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def log_activity(client: Client, subject: str) -> Any:
    return client.post(
        "/kpis/activities/log/",
        {
            "quick-subject": subject,
            "quick-kind": "call",
            "quick-activity_date": "2026-03-16",
            "quick-customer": "",
        },
    )


def test_redis_down_pages_serve_writes_commit_and_the_work_follows(org, through_proxy, redis_proxy):
    # Given a submitted target plan, a CRM connection and signed-in people
    with FakeZoho() as zoho:
        owner = zoho.add_user("Rep A", org.rep.email or "r@example.com")
        for i in range(30):
            zoho.add_deal(owner, Decimal(f"{100 + i}.25"))
        connection = zoho_connection(zoho, objects_enabled=["Deals"])
        plan = make_plan(org)
        target_services.plan_submit(plan=plan, actor=org.executive)
        run_queued(through_proxy, through_proxy.faults_queue)  # what setting up queued
        rep, admin = login(org.rep), login(org.admin)

        pages = ("/", "/kpis/", "/kpis/activities/", "/targets/", "/dashboards/rep/")
        normal = {url: timed(lambda url=url: rep.get(url))[1] for url in pages}

        # When Redis refuses connections
        redis_proxy.down()

        # Then pages answer in time (compared with the same page just before, so a busy
        # machine's own slowness is not counted as waiting on Redis)
        for url in pages:
            response, seconds = timed(lambda url=url: rep.get(url))
            assert response.status_code == 200, url
            assert seconds - normal[url] < BOUND, (url, seconds, normal[url])

        # And a fact logged on the page commits, its rollup key waiting in the outbox
        response, seconds = timed(lambda: log_activity(rep, "Called while Redis was down"))
        assert (response.status_code, seconds < BOUND) == (302, True), seconds
        activity = Activity.objects.get(subject="Called while Redis was down")
        assert DirtyKey.objects.filter(fact="activity", user_id=org.rep.pk).exists()

        # And approving the plan (which queues its publishing) answers and commits
        response, seconds = timed(
            lambda: admin.post(f"/api/v1/target-plans/{plan.pk}/approve/", format="json")
        )
        assert response.status_code == 200, response.content[:500]
        assert seconds < BOUND, seconds
        plan.refresh_from_db()
        assert plan.status in (TargetPlan.Status.APPROVED, TargetPlan.Status.ACTIVE)
        assert not KpiTarget.objects.filter(source_ref=f"target-plan:{plan.pk}").exists()

        # And a task sent while the broker refuses (no cache call before it this time) is
        # kept, with the error, instead of raising
        redis_cache.reset()
        dispatch.reset()
        _, seconds = timed(lambda: dispatch.send(ping_task, kwargs={"value": 1}))
        assert seconds < BOUND, seconds
        kept = PendingTask.objects.get(task="salesgoals.tasks.ping_task", kwargs={"value": 1})
        assert kept.attempts == 1
        assert kept.last_error

        # When Redis hangs instead (accepts, never answers)
        dispatch.reset()
        redis_cache.reset()
        redis_proxy.blackhole()

        # Then the cache reads as a miss in time, the next calls fail at once
        value, seconds = timed(lambda: cache.get("faults:probe"))
        assert value is None
        assert seconds < BOUND, seconds
        tried = redis_proxy.accepted
        for i in range(5):
            cache.set(f"faults:probe:{i}", "1")
        assert redis_proxy.accepted == tried

        # And a publish to the silent broker gives up within the bound
        dispatch.reset()
        redis_cache.reset()
        _, seconds = timed(lambda: dispatch.send(ping_task, kwargs={"value": 2}))
        assert seconds < BOUND, seconds
        assert PendingTask.objects.get(kwargs={"value": 2}).attempts == 1

        # And "Sync now" (an API write, behind cache-backed throttles) answers and commits
        dispatch.reset()
        redis_cache.reset()
        response, seconds = timed(
            lambda: admin.post(f"/api/v1/crm/connections/{connection.pk}/sync/", {})
        )
        assert response.status_code == 202, response.content[:500]
        assert seconds < BOUND, seconds
        run = SyncRun.objects.get(pk=response.json()["run"])
        assert run.status == SyncRun.Status.QUEUED

        # And nothing that was to be queued is lost: it waits in PostgreSQL
        pending = set(PendingTask.objects.values_list("task", flat=True))
        assert {"targets.tasks.publish_plan_task", "crm_sync.tasks.sync_run_task"} <= pending

        # When Redis is back, the beat's next drain and relay run (a worker takes the tasks)
        redis_proxy.up()
        redis_cache.reset()  # the next beat run is a minute later: the breakers closed long ago
        dispatch.reset()
        drained = drain_outbox_task.apply(throw=True).result
        assert drained.get("keys", 0) >= 1, drained
        relayed = relay_pending_tasks_task.apply(kwargs={"min_age_seconds": 0}, throw=True).result
        assert relayed["failed"] == 0, relayed
        assert relayed["sent"] >= 4, relayed
        ran = run_queued(through_proxy, through_proxy.faults_queue)

        # Then the pending work is done, once
        assert {
            "targets.tasks.publish_plan_task",
            "crm_sync.tasks.sync_run_task",
            "salesgoals.tasks.ping_task",
        } <= set(ran)
        assert not PendingTask.objects.exists()
        activities = Metric.objects.get(code="activities")
        cell = KpiValue.objects.get(
            metric=activities,
            owner_type="rep",
            owner_id=org.rep.pk,
            period__kind="month",
            period__start__lte=activity.activity_date,
            period__end__gte=activity.activity_date,
        )
        assert cell.actual == 1
        assert KpiTarget.objects.filter(source_ref=f"target-plan:{plan.pk}").exists()
        run.refresh_from_db()
        assert run.status == SyncRun.Status.SUCCEEDED, run.error
        assert Deal.objects.alive().filter(source=Source.ZOHO).count() == 30
