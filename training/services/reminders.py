"""Reminders of training: certifications about to expire and assignments gone overdue.

Both go through `notification_send` with a `dedupe_key`, so running the daily task again
sends nothing new: a renewal reminder once per certification (skipped when it was renewed),
an overdue reminder once per assignment and due date. The person's nearest manager hears too.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from salesgoals.services import notification_send
from training.models import Assignment, Certification
from training.selectors.access import nearest_manager
from training.services.assignments import RENEWAL_NOTICE_DAYS


def certification_reminders_send(*, on: datetime.date | None = None) -> int:
    """Tell holders whose certification expires within RENEWAL_NOTICE_DAYS; once each.

    A certification that has been renewed (a newer one in the same course) is skipped. The
    holder's managers hear of it too. Returns how many notifications were created.
    """
    on = on or timezone.localdate()
    horizon = on + datetime.timedelta(days=RENEWAL_NOTICE_DAYS)
    expiring = Certification.objects.filter(
        expires_on__gte=on, expires_on__lte=horizon, user__is_active=True
    ).select_related("user", "user__org_unit", "course")
    sent = 0
    for cert in expiring:
        renewed = Certification.objects.filter(
            user_id=cert.user_id, course_id=cert.course_id, issued_on__gt=cert.issued_on
        ).exists()
        if renewed:
            continue
        link = reverse("training:course-detail", args=[cert.course.code])
        title = _("Certification expires soon: %(course)s") % {"course": cert.course.title}
        body = _(
            "%(person)s's certification expires on %(date)s. Retake the course to renew it."
        ) % {
            "person": cert.user.display,
            "date": cert.expires_on.isoformat(),
        }
        recipients = [cert.user]
        manager = nearest_manager(cert.user)
        if manager is not None:
            recipients.append(manager)
        for recipient in recipients:
            with transaction.atomic():
                made = notification_send(
                    recipient=recipient,
                    title=title,
                    body=body,
                    link=link,
                    dedupe_key=f"training:cert-renewal:{cert.pk}",
                    email=True,
                )
            sent += made is not None
    return sent


def overdue_reminders_send(*, on: datetime.date | None = None) -> int:
    """Tell the assignee (and their manager) once when an open assignment passes its due
    date. Returns how many notifications were created."""
    on = on or timezone.localdate()
    overdue = Assignment.objects.filter(
        status__in=Assignment.OPEN_STATUSES, due_on__lt=on, user__is_active=True
    ).select_related("user", "user__org_unit", "course")
    sent = 0
    for assignment in overdue:
        link = reverse("training:assignment-detail", args=[assignment.pk])
        title = _("Training overdue: %(course)s") % {"course": assignment.course.title}
        body = _("%(person)s's course was due on %(date)s.") % {
            "person": assignment.user.display,
            "date": assignment.due_on.isoformat(),
        }
        recipients = [assignment.user]
        manager = nearest_manager(assignment.user)
        if manager is not None and manager.pk != assignment.assigned_by_id:
            recipients.append(manager)
        elif assignment.assigned_by and assignment.assigned_by_id != assignment.user_id:
            recipients.append(assignment.assigned_by)
        for recipient in recipients:
            made = notification_send(
                recipient=recipient,
                title=title,
                body=body,
                link=link,
                dedupe_key=f"training:overdue:{assignment.pk}:{assignment.due_on.isoformat()}",
            )
            sent += made is not None
    return sent
