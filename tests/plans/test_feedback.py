"""The feedback channel (反馈机制): scope per role, workflow, anonymity, notifications, API."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from plans import selectors, services
from plans.models import Feedback
from salesgoals.models import Notification
from salesgoals.services import fiscal_year_generate
from tests.core.org_fixtures import Org, org_fixture  # noqa: F401
from tests.targets.plan_fixtures import make_plan

pytestmark = pytest.mark.django_db


def raise_feedback(user, **kwargs) -> Feedback:
    values = {"category": "market_change", "title": "Price war", "text": "A rival cut prices."}
    values.update(kwargs)
    return services.feedback_create(actor=user, **values)


def api_list(client, user, query: str = "") -> list[dict]:
    client.force_authenticate(user)
    response = client.get(f"/api/v1/feedback/{query}")
    assert response.status_code == 200
    return response.json()["results"]


# --- Scope ---------------------------------------------------------------------------------


def test_visible_per_role(org: Org) -> None:
    mine = raise_feedback(org.rep, title="A")
    team_b = raise_feedback(org.rep_b, title="B")
    south = raise_feedback(org.rep_c, title="C")

    def titles(user):
        return set(selectors.feedback_visible(user).values_list("title", flat=True))

    assert titles(org.rep) == {"A"}
    assert titles(org.manager) == {"A", "B"}
    assert titles(org.manager_south) == {"C"}
    assert titles(org.executive) == titles(org.admin) == {"A", "B", "C"}
    assert {mine.org_unit, team_b.org_unit, south.org_unit} == {
        org.team_a,
        org.team_b,
        org.team_c,
    }


def test_api_scope_and_filters(org: Org, api_client) -> None:
    a = raise_feedback(org.rep, title="A", category="competitor")
    raise_feedback(org.rep_b, title="B")
    c = raise_feedback(org.rep_c, title="C")
    raise_feedback(org.manager, title="M", category="process")

    assert [r["title"] for r in api_list(api_client, org.rep)] == ["A"]
    assert {r["title"] for r in api_list(api_client, org.manager)} == {"A", "B", "M"}
    assert [r["title"] for r in api_list(api_client, org.manager, "?mine=1")] == ["M"]
    assert [r["title"] for r in api_list(api_client, org.manager, "?category=competitor")] == ["A"]
    assert [r["title"] for r in api_list(api_client, org.manager, f"?org_unit={org.team_b.pk}")]
    assert api_list(api_client, org.executive, f"?org_unit={org.south.pk}")[0]["id"] == c.pk
    services.feedback_set_status(actor=org.manager, feedback=a, status="acknowledged")
    assert [r["title"] for r in api_list(api_client, org.manager, "?status=acknowledged")] == ["A"]

    api_client.force_authenticate(org.rep)
    assert api_client.get(f"/api/v1/feedback/{a.pk}/").status_code == 200
    assert api_client.get(f"/api/v1/feedback/{c.pk}/").status_code == 403
    assert api_client.get("/api/v1/feedback/999999/").status_code == 404
    api_client.force_authenticate(org.manager_south)
    assert api_client.get(f"/api/v1/feedback/{a.pk}/").status_code == 403
    assert api_client.post(f"/api/v1/feedback/{a.pk}/respond/", {"text": "x"}).status_code == 403


def test_pages_scope(org: Org, client) -> None:
    a = raise_feedback(org.rep, title="Team A item")
    c = raise_feedback(org.rep_c, title="South item")

    client.force_login(org.rep)
    page = client.get(reverse("plans:feedback-list"))
    assert page.status_code == 200
    assert "Team A item" in page.content.decode()
    assert "South item" not in page.content.decode()
    assert client.get(reverse("plans:feedback-detail", args=[c.pk])).status_code == 403
    assert client.get(reverse("plans:feedback-detail", args=[999999])).status_code == 404

    client.force_login(org.manager)
    body = client.get(reverse("plans:feedback-list")).content.decode()
    assert "Team A item" in body
    assert "South item" not in body
    assert client.get(reverse("plans:feedback-detail", args=[a.pk])).status_code == 200

    client.force_login(org.manager_south)
    body = client.get(reverse("plans:feedback-list") + "?status=closed").content.decode()
    assert 'data-testid="feedback-empty"' in body


def test_csv_export_is_scoped(org: Org, api_client) -> None:
    raise_feedback(org.rep, title="North one")
    raise_feedback(org.rep_c, title="South one")
    api_client.force_authenticate(org.manager)
    response = api_client.get("/api/v1/feedback/?format=csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["title"] for r in rows] == ["North one"]
    assert api_client.get("/api/v1/feedback/?format=xlsx").status_code == 200


# --- Creating ------------------------------------------------------------------------------


def test_create_through_page_and_plan_preselect(org: Org, client) -> None:
    fiscal_year_generate(year=2025)
    fiscal_year_generate(year=2026)
    plan = make_plan(org)
    client.force_login(org.rep)
    plan_page = client.get(reverse("targets:plan", args=[plan.pk])).content.decode()
    link = reverse("plans:feedback-create") + f"?plan={plan.pk}"
    assert f'href="{link}" data-testid="raise-feedback"' in plan_page
    form = client.get(link).content.decode()
    assert f'<option value="{plan.pk}" selected>' in form
    response = client.post(
        reverse("plans:feedback-create"),
        {"category": "customer_need", "plan": plan.pk, "title": "Need", "text": "More stock."},
    )
    item = Feedback.objects.get()
    assert response.status_code == 302
    assert (item.plan, item.subject_type, item.author) == (plan, "target_plan", org.rep)
    bad = client.post(reverse("plans:feedback-create"), {"category": "process", "title": " "})
    assert bad.status_code == 200
    assert 'data-testid="error-title"' in bad.content.decode()


def test_api_create_and_400s(org: Org, api_client) -> None:
    api_client.force_authenticate(org.rep)
    ok = api_client.post(
        "/api/v1/feedback/",
        {"category": "resources", "title": "Demo kits", "text": "We need two more."},
        format="json",
    )
    assert ok.status_code == 201
    assert ok.json()["subject_type"] == "general"
    assert ok.json()["status"] == "open"
    assert ok.json()["org_unit"] == org.team_a.pk

    bad = api_client.post("/api/v1/feedback/", {"category": "weather", "title": ""}, format="json")
    assert bad.status_code == 400
    assert {"category", "title", "text"} <= set(bad.json())
    no_plan = api_client.post(
        "/api/v1/feedback/",
        {"category": "other", "title": "t", "text": "x", "plan": 424242},
        format="json",
    )
    assert no_plan.status_code == 400
    assert "plan" in no_plan.json()
    no_subject = api_client.post(
        "/api/v1/feedback/",
        {"category": "other", "title": "t", "text": "x", "subject_type": "target_plan"},
        format="json",
    )
    assert no_subject.status_code == 400
    assert "plan" in no_subject.json()
    item = Feedback.objects.get()
    empty = api_client.post(f"/api/v1/feedback/{item.pk}/respond/", {"text": " "}, format="json")
    assert empty.status_code == 400
    assert "text" in empty.json()
    status = api_client.post(f"/api/v1/feedback/{item.pk}/status/", {"status": "x"}, format="json")
    assert status.status_code == 400
    assert "status" in status.json()


def test_plan_outside_scope_is_rejected(org: Org) -> None:
    fiscal_year_generate(year=2025)
    fiscal_year_generate(year=2026)
    plan = make_plan(org, org_unit=org.south, value=1_000_000_00)
    with pytest.raises(ValidationError) as error:
        raise_feedback(org.rep, plan=plan)
    assert "plan" in error.value.message_dict


# --- Workflow ------------------------------------------------------------------------------


def test_workflow_per_role(org: Org, api_client) -> None:
    item = raise_feedback(org.rep)
    # The author may not acknowledge their own item; an outside manager sees nothing.
    with pytest.raises(PermissionDenied):
        services.feedback_set_status(actor=org.rep, feedback=item, status="acknowledged")
    with pytest.raises(PermissionDenied):
        services.feedback_set_status(actor=org.manager_south, feedback=item, status="closed")
    api_client.force_authenticate(org.rep)
    url = f"/api/v1/feedback/{item.pk}/status/"
    assert api_client.post(url, {"status": "actioned"}, format="json").status_code == 403

    api_client.force_authenticate(org.manager)
    done = api_client.post(url, {"status": "acknowledged"}, format="json")
    assert done.status_code == 200
    assert done.json()["next_statuses"] == ["actioned", "closed"]
    back = api_client.post(url, {"status": "open"}, format="json")
    assert back.status_code == 400
    services.feedback_set_status(actor=org.executive, feedback=item, status="actioned")
    api_client.force_authenticate(org.rep)
    assert api_client.get(f"/api/v1/feedback/{item.pk}/").json()["next_statuses"] == ["closed"]
    assert api_client.post(url, {"status": "closed"}, format="json").status_code == 200
    item.refresh_from_db()
    assert item.status == "closed"
    with pytest.raises(ValidationError):
        services.feedback_respond(actor=org.manager, feedback=item, text="late")
    assert item.history.count() == 4


def test_thread_and_page_buttons(org: Org, client) -> None:
    item = raise_feedback(org.rep_b)
    client.force_login(org.manager)
    page = client.get(reverse("plans:feedback-detail", args=[item.pk])).content.decode()
    assert 'data-testid="status-acknowledged"' in page
    assert 'data-testid="reply-form"' in page
    client.post(reverse("plans:feedback-respond", args=[item.pk]), {"text": "On it."})
    client.post(reverse("plans:feedback-status", args=[item.pk]), {"status": "acknowledged"})
    item.refresh_from_db()
    assert item.status == "acknowledged"
    assert item.responses.get().author == org.manager

    client.force_login(org.rep_b)
    page = client.get(reverse("plans:feedback-detail", args=[item.pk])).content.decode()
    assert "On it." in page
    assert 'data-testid="status-closed"' in page
    assert 'data-testid="status-actioned"' not in page
    # Another rep of the same manager cannot reply (they do not see it).
    client.force_login(org.rep)
    assert (
        client.post(reverse("plans:feedback-respond", args=[item.pk]), {"text": "x"}).status_code
        == 403
    )


# --- Anonymity -----------------------------------------------------------------------------


def test_anonymous_author_hidden_except_admin(org: Org, api_client, client) -> None:
    item = raise_feedback(org.rep, anonymous=True, category="process", title="Idea")
    services.feedback_respond(actor=org.rep, feedback=item, text="More detail")

    api_client.force_authenticate(org.manager)
    seen = api_client.get(f"/api/v1/feedback/{item.pk}/").json()
    assert seen["author"] is None
    assert seen["author_name"] is None
    assert seen["responses"][0]["author"] is None
    export = api_client.get("/api/v1/feedback/?format=csv").content.decode("utf-8-sig")
    assert "Rep A" not in export

    client.force_login(org.manager)
    assert (
        "Rep A" not in client.get(reverse("plans:feedback-detail", args=[item.pk])).content.decode()
    )
    assert "Rep A" not in client.get(reverse("plans:feedback-list")).content.decode()
    notice = Notification.objects.get(recipient=org.manager)
    assert "Rep A" not in notice.body

    api_client.force_authenticate(org.admin)
    seen = api_client.get(f"/api/v1/feedback/{item.pk}/").json()
    assert seen["author"] == org.rep.pk
    assert seen["author_name"] == "Rep A"
    client.force_login(org.admin)
    assert "Rep A" in client.get(reverse("plans:feedback-detail", args=[item.pk])).content.decode()


# --- Notifications -------------------------------------------------------------------------


def test_notifications_sent_once(org: Org) -> None:
    item = raise_feedback(org.rep)
    # Team A has no manager of its own: the North manager is the nearest one up.
    assert list(Notification.objects.values_list("recipient", flat=True)) == [org.manager.pk]

    services.feedback_respond(actor=org.manager, feedback=item, text="Tell me more")
    services.feedback_respond(actor=org.rep, feedback=item, text="Here")
    services.feedback_respond(actor=org.executive, feedback=item, text="Noted")
    to = Notification.objects.filter(title__startswith="Reply")
    assert sorted(to.values_list("recipient__username", flat=True)) == ["m", "m", "r", "r"]

    services.feedback_set_status(actor=org.manager, feedback=item, status="acknowledged")
    status_notes = Notification.objects.filter(dedupe_key=f"feedback:{item.pk}:status:acknowledged")
    assert list(status_notes.values_list("recipient", flat=True)) == [org.rep.pk]

    # Sending the same notices again (a retried task, a double click) adds nothing.
    before = Notification.objects.count()
    for recipient in (org.manager, org.rep):
        for key in (f"feedback:{item.pk}:new", f"feedback:{item.pk}:status:acknowledged"):
            from salesgoals.services import notification_send

            notification_send(recipient=recipient, title="again", dedupe_key=key)
    assert Notification.objects.filter(title="again").count() == 2  # only the unsent pairs
    assert Notification.objects.count() == before + 2


def test_manager_feedback_goes_up_and_executives_without_manager(org: Org) -> None:
    raise_feedback(org.manager, title="From the manager")
    # North's manager is the author, so it goes up to Acme, which has no manager: executives.
    assert list(Notification.objects.values_list("recipient", flat=True)) == [org.executive.pk]


def test_navigation_links_to_inbox(org: Org, client) -> None:
    client.force_login(org.rep)
    body = client.get(reverse("home")).content.decode()
    assert reverse("plans:home") in body  # the area opens on the rep's tasks
    body = client.get(reverse("plans:home"), follow=True).content.decode()
    assert reverse("plans:feedback-list") in body  # the inbox is one click away in the sub-nav


# --- Demo ----------------------------------------------------------------------------------


def test_demo_feedback_threads() -> None:
    import datetime

    from salesgoals.demo import seed_all

    ctx = seed_all(today=datetime.date(2026, 11, 27), apps=("plans",))
    items = Feedback.objects.all()
    assert 6 <= items.count() <= 8
    assert set(items.values_list("status", flat=True)) == set(Feedback.Status.values)
    assert items.filter(anonymous=True).exists()
    assert all(item.org_unit_id for item in items)
    rep = ctx.logins["rep"]
    assert selectors.feedback_visible(rep).filter(author=rep).count() == 3
    assert Notification.objects.filter(dedupe_key__startswith="feedback").exists()
