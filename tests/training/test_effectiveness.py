"""The effectiveness report against a hand computation on a small data set."""

from __future__ import annotations

import datetime

import pytest

from salesgoals.models import Metric
from tests.factories import UserFactory
from tests.training.conftest import make_quiz_course, month, put_cell
from training.models import Assignment, Course
from training.selectors.effectiveness import course_effects, effects_figure

TODAY = datetime.date(2026, 8, 10)


def _completed(user, course, day):
    return Assignment.objects.create(
        user=user, course=course, status=Assignment.Status.COMPLETED, completed_on=day
    )


@pytest.mark.django_db
def test_effectiveness_matches_hand_computation(org):
    metric = Metric.objects.get(code="deals_won")
    course = make_quiz_course(org.admin).course
    other = Course.objects.create(code="other", title="Other course")
    rep_d = UserFactory(
        display_name="Rep D", org_unit=org.team_c, leave_date=datetime.date(2026, 2, 28)
    )
    _completed(org.rep, course, datetime.date(2026, 3, 15))
    _completed(org.rep_b, course, datetime.date(2026, 4, 10))
    Assignment.objects.create(user=org.rep_c, course=course)  # open: not a completer
    series = {
        org.rep: {1: 10, 2: 20, 3: 99, 4: 30, 5: 50},  # before (Jan, Feb) 15, after (Apr, May) 40
        org.rep_b: {2: 10, 3: 10, 4: 77, 5: 20, 6: 40},  # before 10, after 30
        org.rep_c: {1: 10, 4: 14, 5: 16},  # comparison: February sold nothing (0), so
        # before (10 + 0) / 2 = 5, after 15
        rep_d: {1: 8},  # left in February: no month after, left out
    }
    for user, values in series.items():
        for number, value in values.items():
            put_cell(user, "deals_won", month(2026, number), value)

    effects = {
        e.course.code: e
        for e in course_effects(org.executive, metric=metric, months=2, today=TODAY)
    }

    e = effects[course.code]
    assert e.completers == 2
    assert e.before == pytest.approx(12.5)  # (15 + 10) / 2
    assert e.after == pytest.approx(35.0)  # (40 + 30) / 2
    assert e.change == pytest.approx(22.5)
    assert e.median_month == month(2026, 3).label  # median of March and April, rounded down
    assert e.comparison == 1
    assert e.comparison_before == pytest.approx(5.0)
    assert e.comparison_after == pytest.approx(15.0)
    assert e.comparison_change == pytest.approx(10.0)
    assert e.effect == pytest.approx(12.5)
    assert effects[other.code].completers == 0
    assert effects[other.code].effect is None

    figure = effects_figure(metric, list(effects.values()))
    assert [list(trace["y"]) for trace in figure["data"]] == [[22.5], [10.0]]


@pytest.mark.django_db
def test_effectiveness_is_scoped_to_the_viewer(org):
    metric = Metric.objects.get(code="deals_won")
    course = make_quiz_course(org.admin).course
    _completed(org.rep, course, datetime.date(2026, 3, 15))
    for user in (org.rep, org.rep_b, org.rep_c):
        for number, value in {1: 10, 2: 10, 4: 20, 5: 20}.items():
            put_cell(user, "deals_won", month(2026, number), value)
    (manager_view,) = course_effects(
        org.manager, metric=metric, months=2, courses=[course], today=TODAY
    )
    (executive_view,) = course_effects(
        org.executive, metric=metric, months=2, courses=[course], today=TODAY
    )
    assert manager_view.comparison == 1  # North: rep B only
    assert executive_view.comparison == 2  # rep B and rep C
    assert manager_view.change == pytest.approx(10.0)
    assert manager_view.effect == pytest.approx(0.0)


@pytest.mark.django_db
def test_effectiveness_api_and_page(org, api_client, client):
    course = make_quiz_course(org.admin).course
    _completed(org.rep, course, datetime.date(2026, 3, 15))
    api_client.force_authenticate(org.executive)
    response = api_client.get("/api/v1/courses/effectiveness/?metric=deals_won&months=2")
    assert response.status_code == 200
    assert response.json()[0]["course"] == course.code
    csv = api_client.get("/api/v1/courses/effectiveness/?metric=deals_won&format=csv")
    assert csv.status_code == 200
    assert csv.content.decode("utf-8-sig").startswith("course,course_title,completers")
    bad = api_client.get("/api/v1/courses/effectiveness/?metric=nope")
    assert bad.status_code == 400
    client.force_login(org.manager)
    page = client.get("/training/effectiveness/", {"metric": "deals_won", "months": 2})
    assert page.status_code == 200
    assert page.context["metric"].code == "deals_won"
