"""Two beat processes firing the same schedule at once send each alert, digest and reminder once.

Two threads, each with its own PostgreSQL connection, run the periodic notification tasks in
the same order, started together at a barrier before each task (two `celery beat` processes
by mistake, or one beat and an admin's manual run). Notifications carry a `dedupe_key` unique
per recipient, so the slower insert fails and sends nothing; the e-mail task marks
`emailed_at` under a row lock.
"""

from __future__ import annotations

import datetime
import threading
from collections import Counter

import pytest
from celery._state import _set_task_join_will_block
from django.core import mail
from django.db import connection, connections

from salesgoals.celery import app
from salesgoals.models import Notification
from tests.conftest import need_service
from tests.fakes.zoho import FakeZoho
from tests.faults.world import build_world

pytestmark = [
    pytest.mark.faults,
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
]

SCHEDULE = [
    ("kpis.tasks_alerts.pace_alerts_task", {}),
    ("kpis.tasks_alerts.weekly_digest_task", {}),
    ("plans.tasks.task_reminders_task", {}),
    ("plans.tasks.report_reminders_task", {}),
    ("training.tasks.certification_reminders_task", {}),
    ("targets.tasks.verify_plans_task", {}),
    ("incentives.tasks.close_periods_task", "last-quarter"),
]


def test_two_beats_at_once_send_every_notification_and_email_once() -> None:
    need_service("PostgreSQL (row locks across connections)", connection.vendor == "postgresql")
    app.loader.import_default_modules()
    with FakeZoho() as zoho:
        world = build_world(zoho)
    closing = (world.last_quarter.end + datetime.timedelta(days=1)).isoformat()
    mail.outbox = []
    before = set(Notification.objects.values_list("pk", flat=True))
    barrier = threading.Barrier(2, timeout=60)
    errors: list[BaseException] = []

    def beat() -> None:
        try:
            for name, kwargs in SCHEDULE:
                if kwargs == "last-quarter":
                    kwargs = {"today": closing}
                barrier.wait()
                app.tasks[name].apply(kwargs=kwargs, throw=True)
        except BaseException as error:
            errors.append(error)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=150)
    # Celery's "inside a task" flag is one global that eager runs set and restore; two
    # threads interleaving leave it set, which would break later tests' result.get().
    _set_task_join_will_block(False)

    assert errors == []
    sent = Notification.objects.exclude(pk__in=before)
    # Then there was something to send...
    kinds = Counter(n.dedupe_key.split(":", 1)[0] for n in sent)
    expected = ("kpi-pace", "kpi-digest", "plan-task", "report-missing", "training", "statement")
    for prefix in expected:
        assert any(k.startswith(prefix) for k in kinds), (prefix, kinds)
    # ...and each notification exists once
    rows = list(sent.values_list("recipient_id", "dedupe_key", "title", "body"))
    assert len(rows) == len(set(rows))
    keyed = [(r, k) for r, k, _t, _b in rows if k]
    assert len(keyed) == len(set(keyed))
    # And each e-mail went out once
    letters = [(m.to[0], m.subject, m.body) for m in mail.outbox]
    assert letters
    assert len(letters) == len(set(letters))
    assert len(letters) == sent.filter(emailed_at__isnull=False).count()
