"""Celery entry points for KPI alerts and digests: thin and idempotent (dedupe keys)."""

from __future__ import annotations

from celery import shared_task

from . import alerts


@shared_task(acks_late=True)
def pace_alerts_task() -> dict:
    """Pace alerts and milestone notes for the running periods; repeats send nothing new."""
    return {"pace": alerts.pace_alerts_send(), "milestones": alerts.milestones_send()}


@shared_task(acks_late=True)
def weekly_digest_task() -> dict:
    """The weekly progress digest, once per person and week."""
    return alerts.weekly_digest_send()
