"""Report pages: list with missing reports, write → submit, detail with comments and sign-off,
review meeting; scope per role (403 outside, 404 unknown)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from plans.models import PeriodicReport
from tests.factories import UserFactory
from tests.plans.report_fixtures import cell, month, org_fixture, submitted, week  # noqa: F401

pytestmark = pytest.mark.django_db


def test_rep_writes_a_report_with_its_snapshot(org, client):
    cell("revenue", "rep", org.rep.pk, week(), 80_000_00, 100_000_00)
    client.force_login(org.rep)
    page = client.get(reverse("plans:report-create") + f"?period={week().pk}")
    assert page.status_code == 200
    preview = client.get(reverse("plans:report-snapshot"), {"period": week().pk})
    assert "¥80,000" in preview.content.decode()  # htmx: the snapshot before starting
    client.force_login(org.rep_b)  # another rep's preview shows their own cells only
    preview = client.get(reverse("plans:report-snapshot"), {"period": week().pk})
    assert 'data-testid="snapshot-empty"' in preview.content.decode()
    client.force_login(org.rep)
    response = client.post(reverse("plans:report-create"), {"period": week().pk})
    report = PeriodicReport.objects.get()
    assert response.url == reverse("plans:report-edit", args=[report.pk])
    edit = client.get(response.url)
    html = edit.content.decode()
    assert 'data-testid="kpi-snapshot"' in html
    assert "¥80,000" in html
    assert "-20.00%" in html
    response = client.post(
        reverse("plans:report-edit", args=[report.pk]),
        {
            "achievements": "Two wins",
            "problems": "",
            "help_needed": "",
            "next_steps": "",
            "submit": "1",
        },
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "submitted"
    assert report.kpi_snapshot[0]["actual"] == 80_000_00
    # A submitted report cannot be edited any more.
    assert client.get(reverse("plans:report-edit", args=[report.pk])).status_code == 403


def test_empty_submit_shows_the_error_next_to_the_field(org, client):
    client.force_login(org.rep)
    client.post(reverse("plans:report-create"), {"period": week().pk})
    report = PeriodicReport.objects.get()
    response = client.post(
        reverse("plans:report-edit", args=[report.pk]),
        {"achievements": "", "problems": "", "help_needed": "", "next_steps": "", "submit": "1"},
    )
    assert response.status_code == 400
    assert 'data-testid="error-achievements"' in response.content.decode()


def test_manager_comments_and_signs_off_in_the_page(org, client):
    report = submitted(org)
    client.force_login(org.manager)
    detail = client.get(reverse("plans:report-detail", args=[report.pk])).content.decode()
    assert 'data-testid="sign-off"' in detail
    client.post(reverse("plans:report-comment", args=[report.pk]), {"text": "Good pipeline"})
    client.post(
        reverse("plans:report-review", args=[report.pk]),
        {"decision": "return", "text": "Add the pipeline"},
    )
    client.force_login(org.rep)
    edit = client.get(reverse("plans:report-edit", args=[report.pk])).content.decode()
    assert "Add the pipeline" in edit
    client.post(reverse("plans:report-submit", args=[report.pk]))
    client.force_login(org.manager)
    response = client.post(
        reverse("plans:report-review", args=[report.pk]), {"decision": "return", "text": ""}
    )
    assert response.status_code == 400
    client.post(
        reverse("plans:report-review", args=[report.pk]), {"decision": "sign_off", "text": "OK"}
    )
    report.refresh_from_db()
    assert report.status == "signed_off"
    html = client.get(reverse("plans:report-detail", args=[report.pk])).content.decode()
    assert "Good pipeline" in html
    assert 'data-testid="sign-off"' not in html


@pytest.mark.parametrize(
    ("who", "code"),
    [("rep", 200), ("mate", 403), ("manager", 200), ("manager_south", 403), ("admin", 200)],
)
def test_detail_scope(org, client, who, code):
    report = submitted(org)
    users = {
        "rep": org.rep,
        "mate": UserFactory(username="mate", org_unit=org.team_a),
        "manager": org.manager,
        "manager_south": org.manager_south,
        "admin": org.admin,
    }
    client.force_login(users[who])
    assert client.get(reverse("plans:report-detail", args=[report.pk])).status_code == code
    assert client.get(reverse("plans:report-detail", args=[99999])).status_code == 404


def test_list_highlights_missing_reports(org, client, monkeypatch):
    from plans.views import reports as views

    monkeypatch.setattr(views.timezone, "localdate", lambda: datetime.date(2026, 3, 18))
    submitted(org, period=week(datetime.date(2026, 3, 10)))
    client.force_login(org.manager)
    html = client.get(reverse("plans:report-list") + "?view=team").content.decode()
    assert html.count('data-testid="report-row"') == 1
    # Rep B missed the four weeks, Rep A the three before 9 March; South is not the manager's.
    assert html.count('data-testid="missing-row"') == 7
    assert "Rep C" not in html
    client.force_login(org.rep)
    html = client.get(reverse("plans:report-list")).content.decode()
    assert html.count('data-testid="missing-row"') == 3


def test_review_meeting_page(org, client):
    m = month()
    cell("revenue", "rep", org.rep.pk, m, 95, 100)
    cell("revenue", "rep", org.rep_b.pk, m, 50, 100)
    submitted(org, problems="Competitor discounting")
    client.force_login(org.manager)
    url = reverse("plans:review-meeting")
    html = client.get(url, {"org_unit": org.north.pk, "period": m.pk}).content.decode()
    assert 'data-testid="variance-chart"' in html
    table = html[html.index('data-testid="kpi-snapshot"') :]
    assert table.index("Rep B") < table.index("Rep A")  # -50% before -5%
    assert "Competitor discounting" in html
    client.force_login(org.rep)
    assert client.get(url).status_code == 403
