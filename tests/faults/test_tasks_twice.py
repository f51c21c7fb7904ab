"""Every Celery task of the product, run twice, leaves the state of one run.

The list is the app's registry: a task added without a case here fails
`test_every_task_has_a_case`. Each task runs over a small company with a bit of everything
(`tests.faults.world`), twice, as a redelivered message would; the second run must change no
row of any of our tables (timestamps Django sets on save aside) and send no e-mail.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps
from django.core import mail
from django.db import models, transaction

from salesgoals.celery import app
from tests.fakes.zoho import FakeZoho
from tests.faults.world import World, build_world

pytestmark = [pytest.mark.faults, pytest.mark.timeout(240)]

OUR_APPS = ("salesgoals", "kpis", "targets", "crm_sync", "plans", "incentives", "training")

# task name → its arguments for the world (what beat or the product would send)
CASES: dict[str, Callable[[World], dict[str, Any]]] = {
    "salesgoals.tasks.send_notification_email_task": lambda w: {"notification_id": w.emailed.pk},
    "salesgoals.tasks.purge_read_notifications_task": lambda w: {},
    "salesgoals.tasks.relay_pending_tasks_task": lambda w: {"min_age_seconds": 0},
    "salesgoals.tasks.ping_task": lambda w: {"value": 21},
    "kpis.tasks.drain_outbox_task": lambda w: {},
    "kpis.tasks.full_rollup_task": lambda w: {},
    "kpis.tasks.refresh_periods_task": lambda w: {"period_ids": [w.month.pk]},
    "kpis.tasks_alerts.pace_alerts_task": lambda w: {},
    "kpis.tasks_alerts.weekly_digest_task": lambda w: {},
    "targets.tasks.publish_plan_task": lambda w: {"plan_id": w.plan.pk, "version": w.plan.version},
    "targets.tasks.activate_plans_task": lambda w: {},
    "targets.tasks.verify_plans_task": lambda w: {},
    "incentives.tasks.close_periods_task": lambda w: {
        "today": (w.last_quarter.end + datetime.timedelta(days=1)).isoformat()
    },
    "incentives.tasks.compute_statements_task": lambda w: {
        "plan_id": w.incentive_plan.pk,
        "period_id": w.last_quarter.pk,
    },
    "crm_sync.tasks.sync_run_task": lambda w: {"run_id": w.run.pk},
    "crm_sync.tasks.sync_due_task": lambda w: {},
    "plans.tasks.task_reminders_task": lambda w: {},
    "plans.tasks.report_reminders_task": lambda w: {},
    "training.tasks.compute_recommendations_task": lambda w: {},
    "training.tasks.certification_reminders_task": lambda w: {},
}


def product_tasks() -> set[str]:
    app.loader.import_default_modules()
    return {name for name in app.tasks if name.split(".", 1)[0] in OUR_APPS}


def test_every_task_has_a_case() -> None:
    assert product_tasks() == set(CASES)


# Fields that say when something last ran, not what it produced.
LAST_RUN = {"incentives.Statement.computed_at"}


def _volatile(field: models.Field) -> bool:
    if f"{field.model._meta.label}.{field.name}" in LAST_RUN:
        return True
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def snapshot() -> dict[str, list[tuple]]:
    """Every row of our apps' tables (history tables included), minus save timestamps."""
    state = {}
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS or not model._meta.managed:
            continue
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if not _volatile(f) and f.attname not in ("history_date",)
        ]
        state[model._meta.label] = sorted(model._base_manager.values_list(*names), key=repr)
    return state


def diff(before: dict, after: dict) -> dict[str, Any]:
    out = {}
    for label in before:
        if before[label] != after[label]:
            gone = [r for r in before[label] if r not in after[label]]
            new = [r for r in after[label] if r not in before[label]]
            out[label] = {"gone": gone[:3], "new": new[:3], "counts": (len(gone), len(new))}
    return out


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """Built once for the module inside a transaction rolled back at the end; each test runs
    in a savepoint of it (pytest-django's `db`)."""
    with django_db_blocker.unblock(), FakeZoho() as zoho:
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world(zoho)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.parametrize("name", sorted(CASES))
def test_running_a_task_twice_leaves_the_state_of_one_run(
    name: str, world: World, db: None, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.CRM_SYNC = {**settings.CRM_SYNC, "BACKOFF_SECONDS": 0.0, "OVERLAP_SECONDS": 1}
    assert name in product_tasks()
    task, kwargs = app.tasks[name], CASES[name](world)
    mail.outbox = []

    # Given the task ran once
    with django_capture_on_commit_callbacks(execute=True):
        task.apply(kwargs=kwargs, throw=True)
    once, mails = snapshot(), len(mail.outbox)

    # When it runs again (a redelivered message, a second beat)
    with django_capture_on_commit_callbacks(execute=True):
        task.apply(kwargs=kwargs, throw=True)

    # Then nothing changed and nothing more was sent
    assert diff(once, snapshot()) == {}
    assert len(mail.outbox) == mails
