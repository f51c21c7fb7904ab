"""Shared pieces of the training tests: the org of `tests.core.org_fixtures`, the fiscal
years 2025–2026, KPI cells written directly, and a small course with a quiz."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest

from kpis.models import KpiValue, OwnerType
from salesgoals.models import Metric, Period, PeriodKind, User
from salesgoals.services import fiscal_year_generate
from tests.core.org_fixtures import Org, build_org
from training import services
from training.models import Course, Module, Quiz


@pytest.fixture(name="org")
def org_fixture(db: None) -> Org:
    fiscal_year_generate(year=2025)
    fiscal_year_generate(year=2026)
    return build_org()


def month(year: int, number: int) -> Period:
    return Period.objects.get(
        kind=PeriodKind.MONTH, start__year=year, start__month=number, start__day=1
    )


def put_cell(
    user: User,
    metric_code: str,
    period: Period,
    actual: int,
    *,
    denominator: int = 10,
    target: int | None = None,
) -> KpiValue:
    """A rep's monthly cell (rates in basis points; attainment from the target)."""
    metric = Metric.objects.get(code=metric_code)
    attainment = actual * 10000 // target if target else None
    return KpiValue.objects.update_or_create(
        metric=metric,
        period=period,
        owner_type=OwnerType.REP,
        owner_id=user.pk,
        defaults={
            "numerator": actual,
            "denominator": denominator,
            "actual": actual,
            "target": target,
            "attainment_bp": attainment,
        },
    )[0]


@dataclass
class QuizCourse:
    course: Course
    reading: Module
    quizzed: Module
    quiz: Quiz
    right: dict[str, list[int]]
    wrong: dict[str, list[int]]


def make_quiz_course(
    admin: User, *, code: str = "consultative-selling", certifying: bool = True
) -> QuizCourse:
    """Two modules (a reading, then one with a 3-question quiz, pass mark 70%)."""
    course = services.course_create(
        actor=admin,
        code=code,
        title="Consultative selling",
        category=Course.Category.SALES_SKILLS,
        certifying=certifying,
        certification_valid_months=12 if certifying else None,
    )
    reading = services.module_save(actor=admin, course=course, title="Discovery questions")
    quizzed = services.module_save(actor=admin, course=course, title="Handling objections")
    quiz = services.quiz_set(actor=admin, module=quizzed, pass_mark=70)
    q1 = services.question_add(
        actor=admin, quiz=quiz, text="First step?", options=[("Listen", True), ("Pitch", False)]
    )
    q2 = services.question_add(
        actor=admin,
        quiz=quiz,
        text="Pick both",
        options=[("Ask why", True), ("Confirm need", True), ("Discount", False)],
    )
    q3 = services.question_add(
        actor=admin, quiz=quiz, text="Price first?", options=[("No", True), ("Yes", False)]
    )
    opts = {q.pk: list(q.options.order_by("order")) for q in (q1, q2, q3)}
    right = {str(q.pk): [o.pk for o in opts[q.pk] if o.correct] for q in (q1, q2, q3)}
    wrong = {str(q.pk): [o.pk for o in opts[q.pk] if not o.correct][:1] for q in (q1, q2, q3)}
    return QuizCourse(course, reading, quizzed, quiz, right, wrong)


D = datetime.date
