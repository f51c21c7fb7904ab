"""Recommendation rules fire on the right people and not on others; recommendations become
assignments or are dismissed, once."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from salesgoals.models import Metric
from tests.factories import UserFactory
from tests.training.conftest import make_quiz_course, month, put_cell
from training import services
from training.models import Assignment, Recommendation, RecommendationRule

ON = datetime.date(2026, 5, 10)  # last complete months: Feb, Mar, Apr 2026


def _rule(admin, course, metric: str, condition: str, months: int = 2, threshold=None):
    return services.rule_save(
        actor=admin,
        name=f"{metric} {condition}",
        metric=metric,
        condition=condition,
        months=months,
        threshold=threshold,
        course=course.pk,
    )


@pytest.fixture
def team(org):
    """Team A: rep A plus three more reps, so the team median is meaningful."""
    extra = [UserFactory(display_name=f"Rep A{i}", org_unit=org.team_a) for i in (2, 3, 4)]
    return [org.rep, *extra]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("march", "april", "fires"),
    [
        (1000, 1000, True),  # below the team median (3000) both months
        (1000, 5000, False),  # recovered in the last month
        (5000, 1000, False),  # only one month below
        (3000, 1000, False),  # at the median is not below
    ],
)
def test_conversion_below_team_median_two_months(org, team, march, april, fires):
    course = make_quiz_course(org.admin).course
    _rule(org.admin, course, "conversion_rate", "below_team_median")
    rep, _a2, _a3, _a4 = team
    for user, (m, a) in zip(
        team, [(march, april), (3000, 3000), (3000, 3000), (4000, 4000)], strict=True
    ):
        put_cell(user, "conversion_rate", month(2026, 3), m)
        put_cell(user, "conversion_rate", month(2026, 4), a)
    # Someone in another team with a low rate is compared with their own team, alone: no median.
    put_cell(org.rep_b, "conversion_rate", month(2026, 3), 100)
    put_cell(org.rep_b, "conversion_rate", month(2026, 4), 100)

    made = services.recommendations_compute(on=ON)

    assert {r.user_id for r in made} == ({rep.pk} if fires else set())
    if fires:
        rec = made[0]
        assert rec.course == course
        assert rec.period == month(2026, 4)
        assert rec.evidence["values"] == [1000, 1000]
        assert rec.evidence["medians"] == [3000, 3000]
        assert "10.0%" in rec.reason
        assert "30.0%" in rec.reason
        assert rep.notifications.filter(title__contains="Consultative selling").exists()
        assert org.manager.notifications.filter(title__contains=rep.display).exists()


@pytest.mark.django_db
def test_median_ignores_ratio_without_denominator(org, team):
    course = make_quiz_course(org.admin).course
    _rule(org.admin, course, "conversion_rate", "below_team_median")
    rep, a2, a3, a4 = team
    for period in (month(2026, 3), month(2026, 4)):
        put_cell(rep, "conversion_rate", period, 0, denominator=0)  # closed no deals: no value
        for user, v in ((a2, 3000), (a3, 4000), (a4, 2000)):
            put_cell(user, "conversion_rate", period, v)
    made = services.recommendations_compute(on=ON)
    assert {r.user_id for r in made} == {a4.pk}  # 2000 < median(2000, 3000, 4000) = 3000


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("series", "fires"),
    [
        ((9000, 8500, 8000), True),  # two months down
        ((9000, 8000, 8000), False),  # flat in the last month
        ((8000, 8500, 8000), False),  # up then down
        ((9000, 8500, None), False),  # a month missing
    ],
)
def test_retention_falling_two_months(org, series, fires):
    course = make_quiz_course(org.admin).course
    _rule(org.admin, course, "retention_rate", "falling")
    for number, value in zip((2, 3, 4), series, strict=True):
        if value is not None:
            put_cell(org.rep, "retention_rate", month(2026, number), value)
        put_cell(org.rep_b, "retention_rate", month(2026, number), 8000)  # steady: never fires
    made = services.recommendations_compute(on=ON)
    assert {r.user_id for r in made} == ({org.rep.pk} if fires else set())


@pytest.mark.django_db
@pytest.mark.parametrize(("actual", "fires"), [(7900, True), (8000, False), (12000, False)])
def test_attainment_below_threshold_last_month(org, actual, fires):
    course = make_quiz_course(org.admin).course
    _rule(org.admin, course, "revenue", "attainment_below", months=1, threshold=80)
    put_cell(org.rep, "revenue", month(2026, 4), actual, target=10000)
    put_cell(org.rep_c, "revenue", month(2026, 4), 20000, target=10000)
    put_cell(org.rep_b, "revenue", month(2026, 4), 100)  # no target: no attainment, never fires
    put_cell(org.rep_b, "revenue", month(2026, 3), 100, target=10000)  # not the last month
    made = services.recommendations_compute(on=ON)
    assert {r.user_id for r in made} == ({org.rep.pk} if fires else set())


@pytest.mark.django_db
def test_compute_is_idempotent_and_skips_people_already_taking_the_course(org, team):
    course = make_quiz_course(org.admin).course
    _rule(org.admin, course, "revenue", "attainment_below", months=1, threshold=80)
    for user in team:
        put_cell(user, "revenue", month(2026, 4), 5000, target=10000)
    services.assign(actor=org.manager, course=course, users=[team[1]])
    first = services.recommendations_compute(on=ON)
    assert {r.user_id for r in first} == {team[0].pk, team[2].pk, team[3].pk}
    assert services.recommendations_compute(on=ON) == []
    assert Recommendation.objects.count() == 3


@pytest.mark.django_db
def test_on_demand_compute_covers_only_the_actors_scope(org):
    course = make_quiz_course(org.admin).course
    _rule(org.admin, course, "revenue", "attainment_below", months=1, threshold=80)
    for user in (org.rep, org.rep_b, org.rep_c):
        put_cell(user, "revenue", month(2026, 4), 5000, target=10000)
    made = services.recommendations_compute(on=ON, actor=org.manager)  # North: reps A and B
    assert {r.user_id for r in made} == {org.rep.pk, org.rep_b.pk}


@pytest.mark.django_db
def test_manager_turns_recommendation_into_assignment_or_dismisses(org):
    course = make_quiz_course(org.admin).course
    _rule(org.admin, course, "revenue", "attainment_below", months=1, threshold=80)
    for user in (org.rep, org.rep_b, org.rep_c):
        put_cell(user, "revenue", month(2026, 4), 5000, target=10000)
    recs = {r.user_id: r for r in services.recommendations_compute(on=ON)}

    rec = services.recommendation_assign(
        actor=org.manager, recommendation=recs[org.rep.pk], due_on=datetime.date(2099, 1, 31)
    )
    assert rec.status == Recommendation.Status.ASSIGNED
    assert rec.assignment.source == Assignment.Source.RECOMMENDATION
    assert rec.assignment.user == org.rep
    assert rec.assignment.due_on == datetime.date(2099, 1, 31)

    services.recommendation_dismiss(actor=org.manager, recommendation=recs[org.rep_b.pk])
    assert Recommendation.objects.get(user=org.rep_b).status == Recommendation.Status.DISMISSED

    with pytest.raises(PermissionDenied):  # South is not the North manager's
        services.recommendation_dismiss(actor=org.manager, recommendation=recs[org.rep_c.pk])
    with pytest.raises(ValidationError, match="already decided"):
        services.recommendation_dismiss(actor=org.manager, recommendation=recs[org.rep.pk])


@pytest.mark.django_db
def test_rules_are_configured_by_admins_only(org):
    course = make_quiz_course(org.admin).course
    with pytest.raises(PermissionDenied):
        _rule(org.manager, course, "revenue", "falling")
    with pytest.raises(ValidationError) as error:
        services.rule_save(
            actor=org.admin,
            name="x",
            metric="revenue",
            condition="attainment_below",
            months=1,
            course=course.pk,
        )
    assert "threshold" in error.value.message_dict
    rule = _rule(org.admin, course, "revenue", "falling", months=3)
    assert rule.metric == Metric.objects.get(code="revenue")
    assert RecommendationRule.objects.get().months == 3


@pytest.mark.django_db
def test_revenue_without_a_cell_in_a_worked_month_counts_as_zero(org):
    course = make_quiz_course(org.admin).course
    _rule(org.admin, course, "revenue", "falling")
    put_cell(org.rep, "revenue", month(2026, 2), 9000)
    put_cell(org.rep, "revenue", month(2026, 3), 5000)  # April: sold nothing, no cell
    org.rep_b.hire_date = datetime.date(2026, 4, 1)  # hired in April: Feb, Mar unknown
    org.rep_b.save()
    put_cell(org.rep_b, "revenue", month(2026, 4), 1000)
    made = services.recommendations_compute(on=ON)
    assert {r.user_id for r in made} == {org.rep.pk}
    assert made[0].evidence["values"] == [9000, 5000, 0]
