"""The training demo: a catalogue with quizzes, assignments in every state, scores,
certifications (some expiring soon) and recommendations from the demo KPIs — and fast."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from salesgoals.demo import seed_all
from training import demo
from training.models import Assignment, Certification, Course, QuizAttempt, Recommendation
from training.selectors.effectiveness import course_effects

pytestmark = pytest.mark.django_db


def test_training_demo() -> None:
    today = timezone.localdate()
    ctx = seed_all(today=today, apps=("kpis",))
    demo.seed(ctx)

    assert Course.objects.count() == len(demo.CATALOGUE)
    assert Course.objects.filter(modules__quiz__isnull=False).distinct().count() >= 3
    statuses = set(Assignment.objects.values_list("status", flat=True))
    assert statuses == set(Assignment.Status.values)
    assert Assignment.objects.filter(
        status__in=Assignment.OPEN_STATUSES, due_on__lt=today
    ).exists()  # overdue
    assert QuizAttempt.objects.filter(passed=False).exists()
    assert QuizAttempt.objects.filter(passed=True).exists()
    soon = today + datetime.timedelta(days=30)
    assert Certification.objects.filter(expires_on__gte=today, expires_on__lte=soon).exists()
    assert Certification.objects.filter(expires_on__lt=today).exists()
    assert Recommendation.objects.exists()
    rep = ctx.logins["rep"]
    assert set(Assignment.objects.filter(user=rep).values_list("status", flat=True)) == {
        "completed",
        "in_progress",
        "assigned",
    }
    assert Certification.objects.filter(user=rep, expires_on__lte=soon).exists()

    effects = course_effects(ctx.logins["executive"], metric=_revenue(), months=3)
    assert any(e.effect is not None for e in effects)


def _revenue():
    from salesgoals.models import Metric

    return Metric.objects.get(code="revenue")
