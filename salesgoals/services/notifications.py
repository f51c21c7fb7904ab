"""Core writes that are not tied to one screen: notifications."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from salesgoals.models import Notification, User


def notification_send(
    *,
    recipient: User,
    title: str,
    body: str = "",
    link: str = "",
    level: str = Notification.Level.INFO,
    dedupe_key: str = "",
    email: bool = False,
) -> Notification | None:
    """Create an in-app notification; optionally e-mail it after commit.

    With a `dedupe_key` the notification is sent at most once per recipient (alerts "once per
    period and threshold"); a repeat returns None and sends nothing.
    """
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient,
                title=title,
                body=body,
                link=link,
                level=level,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if dedupe_key:
            return None
        raise
    if email and recipient.email and recipient.email_notifications:
        from salesgoals import dispatch
        from salesgoals.tasks import send_notification_email_task

        dispatch.send(send_notification_email_task, kwargs={"notification_id": notification.pk})
    return notification


def notifications_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    from django.utils import timezone

    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
