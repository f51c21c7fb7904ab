"""The dirty-key outbox: fact services call `mark_dirty` inside their transaction.

Keys are (fact kind, rep id, org unit id, day) for the old and the new state of a fact. A beat
task drains them (see `kpis.rollup`); in the embedded mode (eager Celery) the drain also runs
right after each commit so pages are current.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .bulk import insert_values
from .models import DirtyKey

DirtyTuple = tuple[int, int, datetime.date]  # (user_id, org_unit_id, day)


def mark_dirty(*, fact: str, keys: Iterable[DirtyTuple]) -> int:
    return mark_dirty_groups({fact: keys})


def mark_dirty_groups(groups: Mapping[str, Iterable[DirtyTuple]]) -> int:
    """Record the keys of several fact kinds at once, with at most one drain after commit."""
    now = timezone.now()
    if connection.vendor != "postgresql":
        now = DirtyKey._meta.get_field("created_at").get_db_prep_save(now, connection)
    rows = [
        (str(fact), u, o, d, now)
        for fact, keys in groups.items()
        for u, o, d in sorted({(u, o, d) for u, o, d in keys if d is not None})
    ]
    if not rows:
        return 0
    insert_values(DirtyKey, ("fact", "user_id", "org_unit_id", "day", "created_at"), rows)
    if settings.CELERY_TASK_ALWAYS_EAGER and settings.SALESGOALS.get("DRAIN_ON_COMMIT", True):
        from .tasks import drain_outbox_task

        transaction.on_commit(drain_outbox_task.delay)
    return len(rows)
