"""Publishing: an approved plan's cells become target numbers in `kpis` (attainment, pace).

Runs after commit as a task (`targets.tasks.publish_plan_task`): the numbers go to
`kpis.services.targets_store` under the plan's `source_ref`, replacing what an earlier version
published, and each rep is told once per version that there are targets to acknowledge.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kpis.services.targets import targets_clear, targets_store
from salesgoals.history import recorded
from salesgoals.models import User
from salesgoals.services import notification_send
from targets.models import OwnerType, PlanEvent, TargetPlan
from targets.services.audit import event_record

__all__ = ["plan_publish", "plan_unpublish"]


@recorded(gettext_noop("Published"))
@transaction.atomic
def plan_publish(
    *, plan_id: int, version: int | None = None, today: datetime.date | None = None
) -> dict[str, int]:
    """Publish the plan's current cells; a stale `version` (superseded meanwhile) or one
    already published is skipped, so running the task twice changes nothing."""
    plan = (
        TargetPlan.objects.select_for_update(of=("self",)).select_related("metric").get(pk=plan_id)
    )
    if not plan.is_published or (version is not None and version != plan.version):
        return {"stored": 0, "skipped": 1}
    if version is not None and plan.published_version == version:
        return {"stored": 0, "skipped": 1}  # already published (a task run twice)
    lines = list(plan.lines.only("owner_type", "owner_id", "values"))
    rows = [
        (line.owner_type, line.owner_id, int(period_id), int(value))
        for line in lines
        for period_id, value in line.values.items()
    ]
    result = targets_store(
        metric=plan.metric, rows=rows, source_ref=plan.source_ref, replace=True, today=today
    )
    plan.published_version = plan.version
    plan.save(update_fields=["published_version", "updated_at"])
    event_record(
        plan=plan,
        action=PlanEvent.Action.PUBLISHED,
        actor=None,
        after={"version": plan.version, "cells": result["stored"]},
    )
    rep_ids = [line.owner_id for line in lines if line.owner_type == OwnerType.REP]
    link = reverse("targets:mine")
    for rep in User.objects.filter(pk__in=rep_ids, is_active=True):
        notification_send(
            recipient=rep,
            title=_("New targets to acknowledge: %(plan)s") % {"plan": plan.metric},
            link=link,
            dedupe_key=f"targets-published:{plan.pk}:{plan.version}",
        )
    return {"stored": result["stored"], "skipped": 0}


def plan_unpublish(*, plan: TargetPlan) -> dict[str, int]:
    return targets_clear(source_ref=plan.source_ref)
