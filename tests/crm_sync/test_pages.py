"""CRM pages: admins only; setup form (secrets never rendered), test, sync with progress,
run history with per-record errors, user and field mapping, reconciliation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from crm_sync.models import Connection, CrmUser, ObjectMapping, SyncRun
from salesgoals.models import Role
from tests.crm_sync.conftest import ZOHO_SECRETS, run_now, zoho_connection

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER, Role.EXECUTIVE])
def test_pages_are_for_admins_only(org, zoho, role) -> None:
    connection = zoho_connection(zoho)
    run = run_now(connection)
    client = _client(org.actor(role))
    urls = [
        reverse("crm_sync:home"),
        reverse("crm_sync:create"),
        reverse("crm_sync:detail", args=[connection.pk]),
        reverse("crm_sync:edit", args=[connection.pk]),
        reverse("crm_sync:users", args=[connection.pk]),
        reverse("crm_sync:mappings", args=[connection.pk]),
        reverse("crm_sync:reconcile", args=[connection.pk]),
        reverse("crm_sync:run", args=[run.pk]),
        reverse("crm_sync:progress", args=[run.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("crm_sync:sync", args=[connection.pk])).status_code == 403
    assert SyncRun.objects.count() == 1


def test_admin_sets_up_tests_and_syncs(org, zoho, django_capture_on_commit_callbacks) -> None:
    owner = zoho.add_user("Rep A", "r@example.com")
    zoho.add_deal(owner, Decimal("10.00"))
    zoho.add_deal(zoho.add_user("Stranger", "s@elsewhere.example"), Decimal("5.00"))
    client = _client(org.admin)
    assert b"new-zoho" in client.get(reverse("crm_sync:home")).content

    # A bad form shows the errors next to the fields and saves nothing
    bad = client.post(
        reverse("crm_sync:create") + "?provider=zoho",
        {"provider": "zoho", "name": "", "region": "cn", "schedule_minutes": "2"},
    )
    assert bad.status_code == 200
    assert b'data-testid="error-name"' in bad.content
    bad = client.post(
        reverse("crm_sync:create") + "?provider=zoho",
        {"provider": "zoho", "name": "Zoho", "region": "cn", "schedule_minutes": "2"},
    )
    assert b'data-testid="error-schedule_minutes"' in bad.content
    assert not Connection.objects.exists()

    response = client.post(
        reverse("crm_sync:create") + "?provider=zoho",
        {
            "provider": "zoho",
            "name": "Zoho CN",
            "region": "cn",
            "client_id": zoho.client_id,
            "accounts_url": zoho.url,
            "objects_enabled": ["Deals"],
            "schedule_minutes": "60",
            "enabled": "on",
            "secret_client_secret": ZOHO_SECRETS["client_secret"],
            "secret_refresh_token": ZOHO_SECRETS["refresh_token"],
        },
    )
    connection = Connection.objects.get()
    assert response.status_code == 302
    edit = client.get(reverse("crm_sync:edit", args=[connection.pk])).content.decode()
    assert ZOHO_SECRETS["client_secret"] not in edit
    assert 'data-testid="secret-set"' in edit

    tested = client.post(reverse("crm_sync:test", args=[connection.pk]), HTTP_HX_REQUEST="true")
    assert b'data-ok="1"' in tested.content

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("crm_sync:sync", args=[connection.pk]), HTTP_HX_REQUEST="true")
    run = SyncRun.objects.get()
    progress = client.get(reverse("crm_sync:progress", args=[run.pk])).content.decode()
    assert 'data-status="partial"' in progress
    assert "hx-trigger" not in progress
    page = client.get(reverse("crm_sync:run", args=[run.pk])).content.decode()
    assert "Stranger" in page  # the skipped record says why

    detail = client.get(reverse("crm_sync:detail", args=[connection.pk])).content.decode()
    assert 'data-testid="run-row"' in detail
    assert 'data-testid="unmapped-link"' in detail

    # Map the stranger by hand
    stranger = CrmUser.objects.get(name="Stranger")
    client.post(
        reverse("crm_sync:users", args=[connection.pk]),
        {"crm_user": stranger.pk, "username": org.rep_b.username},
    )
    stranger.refresh_from_db()
    assert stranger.user == org.rep_b


def test_user_mapping_page_queries_do_not_grow_with_rows(
    org, zoho, django_assert_max_num_queries
) -> None:
    connection = zoho_connection(zoho)
    for i in range(30):
        CrmUser.objects.create(
            connection=connection,
            external_id=f"u{i}",
            name=f"U{i}",
            user=org.rep if i % 2 else None,
        )
    client = _client(org.admin)
    # session, user, connection, count, page of CRM users (+ users), people, navigation …
    with django_assert_max_num_queries(14):
        response = client.get(reverse("crm_sync:users", args=[connection.pk]))
    assert response.content.count(b'data-testid="crm-user"') == 30


def test_an_unknown_crm_field_is_shown_next_to_the_field(org, zoho) -> None:
    connection = zoho_connection(zoho)
    deals = ObjectMapping.objects.get(connection=connection, crm_object="Deals")
    client = _client(org.admin)
    data = {**deals.field_map, "amount": "Amount_Typo", "enabled": "on",
            "stage_map": "Closed Won = won\nClosed Lost = lost"}  # fmt: skip
    response = client.post(reverse("crm_sync:mapping", args=[connection.pk, deals.pk]), data)
    assert response.status_code == 200
    assert b'data-testid="error-amount"' in response.content
    assert b"Amount_Typo" in response.content
    data["amount"] = "Amount"
    data["stage_map"] = "Closed Won = won\nLost = lost"
    response = client.post(reverse("crm_sync:mapping", args=[connection.pk, deals.pk]), data)
    assert response.status_code == 302
    deals.refresh_from_db()
    assert deals.stage_map == {"Closed Won": "won", "Lost": "lost"}


def test_reconciliation_compares_months(org, zoho) -> None:
    owner = zoho.add_user("Rep A", "r@example.com")
    zoho.add_deal(owner, Decimal("10.00"), Closing_Date="2026-10-03")
    zoho.add_deal(owner, Decimal("20.00"), Closing_Date="2026-11-03")
    connection = zoho_connection(zoho, objects_enabled=["Deals"])
    run_now(connection)
    zoho.add_deal(owner, Decimal("30.00"), Closing_Date="2026-11-20")  # not synced yet
    client = _client(org.admin)
    page = client.post(reverse("crm_sync:reconcile", args=[connection.pk])).content.decode()
    assert page.count('data-matches="1"') == 1  # October
    assert page.count('data-matches="0"') == 1  # November: 2 in the CRM, 1 here
