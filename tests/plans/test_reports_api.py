"""reports/: shape, scope per role, workflow actions, structured 400s, exports, query count."""

from __future__ import annotations

import datetime

import pytest

from plans.models import PeriodicReport
from plans.services import reports as services
from tests.factories import UserFactory
from tests.plans.report_fixtures import cell, month, org_fixture, submitted, week  # noqa: F401

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/"


def test_rep_writes_and_submits_through_the_api(org, api_client):
    cell("revenue", "rep", org.rep.pk, week(), 80_000_00, 100_000_00)
    api_client.force_authenticate(org.rep)
    response = api_client.post(
        URL, {"period": week().pk, "achievements": "Two wins", "problems": "Price war"}
    )
    assert response.status_code == 201, response.data
    body = response.data
    assert body["status"] == "draft"
    assert body["actions"] == ["edit", "submit", "comment"]
    (row,) = body["kpi_snapshot"]
    assert (row["metric"], row["actual"], row["target"]) == ("revenue", "80000.00", "100000.00")
    assert (row["variance"], row["attainment"], row["variance_pct"]) == (
        "-20000.00",
        "80.00",
        "-20.00",
    )
    pk = body["id"]
    response = api_client.patch(f"{URL}{pk}/", {"next_steps": "Call back"}, format="json")
    assert response.data["next_steps"] == "Call back"
    response = api_client.post(f"{URL}{pk}/submit/")
    assert response.status_code == 200
    assert response.data["status"] == "submitted"
    assert api_client.post(f"{URL}{pk}/sign-off/").status_code == 403  # not one's own
    again = api_client.post(URL, {"period": week().pk})
    assert again.status_code == 400
    assert "period" in again.data


def test_manager_comments_returns_and_signs_off(org, api_client):
    report = submitted(org)
    api_client.force_authenticate(org.manager)
    response = api_client.post(f"{URL}{report.pk}/comment/", {"text": "Nice work"})
    assert response.status_code == 201
    assert api_client.post(f"{URL}{report.pk}/return/", {"text": ""}).data == {
        "text": ["Say what the author should change."]
    }
    response = api_client.post(f"{URL}{report.pk}/sign-off/", {"text": "Signed"})
    assert response.status_code == 200
    assert response.data["status"] == "signed_off"
    assert response.data["manager_comment"] == "Signed"
    assert [c["kind"] for c in response.data["comments"]] == ["comment", "signed_off"]


@pytest.mark.parametrize(
    ("who", "listed", "detail"),
    [
        ("rep", 1, 200),
        ("mate", 0, 403),
        ("manager", 1, 200),
        ("manager_south", 0, 403),
        ("executive", 1, 200),
    ],
)
def test_scope_per_role(org, api_client, who, listed, detail):
    report = submitted(org)
    users = {
        "rep": org.rep,
        "mate": UserFactory(username="mate", org_unit=org.team_a),
        "manager": org.manager,
        "manager_south": org.manager_south,
        "executive": org.executive,
    }
    api_client.force_authenticate(users[who])
    assert api_client.get(URL).data["count"] == listed
    assert api_client.get(f"{URL}{report.pk}/").status_code == detail
    assert api_client.get(f"{URL}999999/").status_code == 404


def test_filters_and_exports(org, api_client):
    submitted(org)
    services_report = PeriodicReport.objects.get()
    api_client.force_authenticate(org.manager)
    assert api_client.get(URL, {"status": "draft"}).data["count"] == 0
    assert api_client.get(URL, {"kind": "week"}).data["count"] == 1
    assert api_client.get(URL, {"org_unit": org.team_b.pk}).data["count"] == 0
    assert api_client.get(URL, {"period": services_report.period_id}).data["count"] == 1
    csv = api_client.get(URL, {"format": "csv"})
    assert csv.status_code == 200
    assert "Closed two deals." in csv.content.decode("utf-8-sig")
    xlsx = api_client.get(URL, {"format": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"


def test_list_query_count_does_not_grow(org, api_client, django_assert_max_num_queries):
    for rep in (org.rep, org.rep_b):
        for day in (7, 14, 21):
            report = services.report_create(
                actor=rep, period=week(datetime.date(2026, 3, day)), achievements="x"
            )
            services.report_submit(actor=rep, report=report)
    api_client.force_authenticate(org.executive)
    # session/user, count, page, comments prefetch (the frozen snapshots need no query)
    with django_assert_max_num_queries(6):
        response = api_client.get(URL)
    assert response.data["count"] == 6


def test_review_agenda_endpoint(org, api_client):
    m = month()
    cell("revenue", "rep", org.rep.pk, m, 95, 100)
    cell("revenue", "rep", org.rep_b.pk, m, 50, 100)
    api_client.force_authenticate(org.manager)
    response = api_client.get(f"{URL}review-agenda/", {"org_unit": org.north.pk, "period": m.pk})
    assert response.status_code == 200
    assert [r["owner_id"] for r in response.data["variances"]] == [org.rep_b.pk, org.rep.pk]
    outside = api_client.get(f"{URL}review-agenda/", {"org_unit": org.south.pk, "period": m.pk})
    assert outside.status_code == 403
    api_client.force_authenticate(org.rep)
    mine = api_client.get(f"{URL}review-agenda/", {"org_unit": org.team_a.pk, "period": m.pk})
    assert mine.status_code == 403


@pytest.mark.parametrize(
    ("who", "comment", "sign_off", "edit"),
    [
        ("rep", 201, 403, 400),  # the author: comments; a submitted report is not edited
        ("mate", 403, 403, 403),
        ("manager", 201, 200, 403),
        ("manager_south", 403, 403, 403),
        ("executive", 201, 200, 403),
    ],
)
def test_workflow_per_role(org, api_client, who, comment, sign_off, edit):
    report = submitted(org)
    users = {
        "rep": org.rep,
        "mate": UserFactory(username="mate", org_unit=org.team_a),
        "manager": org.manager,
        "manager_south": org.manager_south,
        "executive": org.executive,
    }
    api_client.force_authenticate(users[who])
    url = f"{URL}{report.pk}/"
    assert api_client.patch(url, {"achievements": "x"}, format="json").status_code == edit
    assert api_client.post(f"{url}comment/", {"text": "Hi"}).status_code == comment
    assert api_client.post(f"{url}sign-off/").status_code == sign_off


def test_team_report_through_the_api(org, api_client):
    api_client.force_authenticate(org.manager)
    body = {"period": week().pk, "owner_type": "unit", "org_unit": org.team_a.pk}
    assert api_client.post(URL, body).status_code == 201
    outside = {**body, "org_unit": org.team_c.pk}
    assert api_client.post(URL, outside).status_code == 403
    assert api_client.post(URL, {**body, "org_unit": 99999}).data == {"org_unit": ["Unknown id."]}
    api_client.force_authenticate(org.rep)
    assert api_client.post(URL, body).status_code == 403
