"""Thin, idempotent Celery entry points for the core."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation

from .models import Notification


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_notification_email_task(*, notification_id: int) -> bool:
    """E-mail one notification; a second delivery of the same task sends nothing."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("recipient")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if notification is None:
            return False
        recipient = notification.recipient
        with translation.override(recipient.language or settings.LANGUAGE_CODE):
            body = notification.body
            if notification.link:
                body = f"{body}\n\n{notification.link}"
            send_mail(
                subject=f"[SalesGoals] {notification.title}",
                message=body,
                from_email=None,
                recipient_list=[recipient.email],
            )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return True


@shared_task(acks_late=True)
def purge_read_notifications_task(*, days: int = 180) -> int:
    cutoff = timezone.now() - datetime.timedelta(days=days)
    deleted, _ = Notification.objects.filter(read_at__lt=cutoff).delete()
    return deleted


@shared_task(acks_late=True)
def relay_pending_tasks_task(*, min_age_seconds: float = 30.0) -> dict[str, int]:
    """Beat, every minute: send the tasks a broker outage (or a crash) left in PostgreSQL."""
    from . import dispatch

    return dispatch.relay_pending(min_age_seconds=min_age_seconds)


@shared_task(acks_late=True)
def ping_task(*, value: int) -> int:
    """Round-trip check used by health checks and the worker integration test."""
    return value * 2
