import pytest
from django.core import mail
from django.urls import reverse

from salesgoals import services
from salesgoals.models import Notification
from salesgoals.tasks import send_notification_email_task
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_notification_is_emailed_after_commit(django_capture_on_commit_callbacks) -> None:
    rep = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        note = services.notification_send(
            recipient=rep, title="Behind pace", body="Revenue is at 40%.", email=True
        )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [rep.email]
    assert "Behind pace" in mail.outbox[0].subject
    note.refresh_from_db()
    assert note.emailed_at is not None


def test_email_task_is_idempotent() -> None:
    rep = UserFactory()
    note = services.notification_send(recipient=rep, title="Hello")
    assert send_notification_email_task(notification_id=note.pk) is True
    assert send_notification_email_task(notification_id=note.pk) is False
    assert len(mail.outbox) == 1


def test_no_email_when_user_opted_out(django_capture_on_commit_callbacks) -> None:
    rep = UserFactory(email_notifications=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_send(recipient=rep, title="Quiet", email=True)
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=rep).count() == 1


def test_dedupe_key_sends_once() -> None:
    rep = UserFactory()
    first = services.notification_send(recipient=rep, title="50%", dedupe_key="m:2026-01:50")
    again = services.notification_send(recipient=rep, title="50%", dedupe_key="m:2026-01:50")
    assert first is not None
    assert again is None
    assert Notification.objects.filter(recipient=rep).count() == 1


def test_notification_page_lists_only_own_and_marks_read(client) -> None:
    rep, other = UserFactory(), UserFactory()
    services.notification_send(recipient=rep, title="Mine")
    services.notification_send(recipient=other, title="Not yours")
    client.force_login(rep)
    page = client.get(reverse("notifications")).content.decode()
    assert "Mine" in page
    assert "Not yours" not in page
    client.post(reverse("notifications-read"))
    assert not Notification.objects.filter(recipient=rep, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).exists()


def test_notification_pages_need_login(client) -> None:
    assert client.get(reverse("notifications")).status_code == 302
    assert client.post(reverse("notifications-read")).status_code == 302
