"""crm/ API: admins only (permission matrix), secrets write-only, test/ and sync/ actions."""

from __future__ import annotations

import pytest
from django.db import connection as db

from crm_sync.models import Connection, CrmUser, ObjectMapping, SyncRun
from salesgoals.models import Role
from tests.crm_sync.conftest import ZOHO_SECRETS, run_now, zoho_connection

pytestmark = pytest.mark.django_db

SECRET = ZOHO_SECRETS["client_secret"]


def _body(fake) -> dict:
    return {
        "provider": "zoho",
        "name": "Zoho CN",
        "region": "cn",
        "accounts_url": fake.url,
        "client_id": fake.client_id,
        "secrets": ZOHO_SECRETS,
        "enabled": True,
        "schedule_minutes": 60,
    }


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER, Role.EXECUTIVE])
def test_only_admins_see_or_change_connections(org, zoho, api_client, role) -> None:
    connection = zoho_connection(zoho)
    run = run_now(connection)
    mapping = ObjectMapping.objects.filter(connection=connection).first()
    api_client.force_authenticate(org.actor(role))
    urls = [
        "/api/v1/crm/connections/",
        f"/api/v1/crm/connections/{connection.pk}/",
        "/api/v1/crm/runs/",
        f"/api/v1/crm/runs/{run.pk}/",
        "/api/v1/crm/mappings/",
        "/api/v1/crm/users/",
    ]
    for url in urls:
        assert api_client.get(url).status_code == 403, url
    assert (
        api_client.post("/api/v1/crm/connections/", _body(zoho), format="json").status_code == 403
    )
    assert (
        api_client.patch(f"/api/v1/crm/connections/{connection.pk}/", {"name": "x"}).status_code
        == 403
    )
    assert api_client.post(f"/api/v1/crm/connections/{connection.pk}/sync/").status_code == 403
    assert api_client.post(f"/api/v1/crm/connections/{connection.pk}/test/").status_code == 403
    assert (
        api_client.patch(f"/api/v1/crm/mappings/{mapping.pk}/", {"enabled": False}).status_code
        == 403
    )
    assert SyncRun.objects.count() == 1


def test_anonymous_is_refused(org, api_client) -> None:
    assert api_client.get("/api/v1/crm/connections/").status_code in (401, 403)


def test_admin_creates_tests_and_syncs_without_seeing_secrets(
    org, zoho, api_client, django_capture_on_commit_callbacks
) -> None:
    zoho.add_deal(zoho.add_user("Rep A", "r@example.com"), 100)
    api_client.force_authenticate(org.admin)

    created = api_client.post("/api/v1/crm/connections/", _body(zoho), format="json")
    assert created.status_code == 201, created.content
    assert SECRET not in created.content.decode()
    assert created.json()["secrets_set"] == ["client_secret", "refresh_token"]
    pk = created.json()["id"]

    # Stored encrypted: the raw column does not contain the secret
    with db.cursor() as cursor:
        cursor.execute("SELECT secrets_encrypted FROM crm_sync_connection WHERE id = %s", [pk])
        raw = cursor.fetchone()[0]
    assert SECRET not in raw
    assert ZOHO_SECRETS["refresh_token"] not in raw

    for url in (
        f"/api/v1/crm/connections/{pk}/",
        "/api/v1/crm/connections/",
        "/api/v1/crm/connections/?format=csv",
        "/api/v1/crm/connections/?format=xlsx",
    ):
        response = api_client.get(url)
        assert response.status_code == 200, url
        assert SECRET.encode() not in response.content, url

    tested = api_client.post(f"/api/v1/crm/connections/{pk}/test/")
    assert tested.json()["ok"] is True, tested.json()

    with django_capture_on_commit_callbacks(execute=True):
        queued = api_client.post(f"/api/v1/crm/connections/{pk}/sync/", {}, format="json")
    assert queued.status_code == 202
    run = api_client.get(f"/api/v1/crm/runs/{queued.json()['run']}/").json()
    assert run["status"] == "succeeded", run
    assert (run["created"], run["percent"], run["errors"]) == (1, 100, [])
    history = Connection.history.filter(id=pk)
    assert history.exists()
    assert all(SECRET not in str(vars(h)) for h in history)


def test_validation_errors_are_structured(org, zoho, api_client) -> None:
    api_client.force_authenticate(org.admin)
    body = {**_body(zoho), "region": "mars", "schedule_minutes": 2}
    response = api_client.post("/api/v1/crm/connections/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"region", "schedule_minutes"}
    body = {**_body(zoho), "api_url": "not a url"}
    response = api_client.post("/api/v1/crm/connections/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"api_url"}
    assert not Connection.objects.exists()


def test_empty_secret_keeps_the_stored_one(org, zoho, api_client) -> None:
    connection = zoho_connection(zoho)
    api_client.force_authenticate(org.admin)
    response = api_client.patch(
        f"/api/v1/crm/connections/{connection.pk}/",
        {"secrets": {"client_secret": ""}, "name": "Zoho 2"},
        format="json",
    )
    assert response.status_code == 200, response.content
    connection.refresh_from_db()
    assert connection.secrets()["client_secret"] == SECRET


def test_mapping_is_checked_against_crm_field_metadata(org, zoho, api_client) -> None:
    connection = zoho_connection(zoho)
    deals = ObjectMapping.objects.get(connection=connection, crm_object="Deals")
    api_client.force_authenticate(org.admin)
    bad = api_client.patch(
        f"/api/v1/crm/mappings/{deals.pk}/",
        {"field_map": {**deals.field_map, "amount": "Amount_Typo"}},
        format="json",
    )
    assert bad.status_code == 400
    assert "Amount_Typo" in bad.json()["amount"][0]
    good = api_client.patch(
        f"/api/v1/crm/mappings/{deals.pk}/",
        {"field_map": {**deals.field_map, "amount": "Amount"}, "stage_map": {"Won!": "won"}},
        format="json",
    )
    assert good.status_code == 200, good.content
    assert good.json()["stage_map"] == {"Won!": "won"}


def test_user_mapping_and_unmapped_list(org, zoho, api_client) -> None:
    zoho.add_user("Rep A", "r@example.com")
    zoho.add_user("Stranger", "stranger@elsewhere.example")
    connection = zoho_connection(zoho)
    run_now(connection)
    api_client.force_authenticate(org.admin)
    unmapped = api_client.get("/api/v1/crm/users/?unmapped=true").json()["results"]
    assert [u["name"] for u in unmapped] == ["Stranger"]
    stranger = CrmUser.objects.get(name="Stranger")
    response = api_client.patch(f"/api/v1/crm/users/{stranger.pk}/", {"user": org.rep_c.pk})
    assert response.status_code == 200
    stranger.refresh_from_db()
    assert (stranger.user, stranger.mapped_by) == (org.rep_c, "manual")
    assert CrmUser.objects.get(name="Rep A").mapped_by == "email"


def test_connection_list_queries_do_not_grow(org, zoho, api_client, django_assert_num_queries):
    for i in range(5):
        zoho_connection(zoho, name=f"Zoho {i}")
    api_client.force_authenticate(org.admin)
    # count, connections (+ default owner), their mappings
    with django_assert_num_queries(3):
        response = api_client.get("/api/v1/crm/connections/")
    assert response.json()["count"] == 5
    assert len(response.json()["results"][0]["mappings"]) == 7
