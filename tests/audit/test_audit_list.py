"""The audit page, API and exports: admins only, merged newest first, filters, pages,
exports with every matching entry, and a query count that does not grow with the rows."""

from __future__ import annotations

import datetime
import io

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from crm_sync import services as crm
from crm_sync.models import Connection, ObjectMapping
from salesgoals import services as core
from salesgoals.history import acting
from salesgoals.models import Role
from tests.core.org_fixtures import Org, org_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

API = "/api/v1/audit/"


def _connections(org: Org, count: int, start: int = 0) -> list[Connection]:
    with acting(org.admin):
        return [
            crm.connection_create(provider="zoho", name=f"Zoho {start + i}", region="cn")
            for i in range(count)
        ]


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER, Role.EXECUTIVE])
def test_only_admins_see_the_page_api_and_exports(org: Org, client, api_client, role) -> None:
    _connections(org, 1)
    user = org.actor(role)
    client.force_login(user)
    assert client.get(reverse("audit:list")).status_code == 403
    api_client.force_authenticate(user)
    for params in ({}, {"format": "csv"}, {"format": "xlsx"}, {"model": "crm_sync.connection"}):
        response = api_client.get(API, params)
        assert response.status_code == 403, params
        assert b"Zoho" not in response.content
    home = client.get(reverse("home")).content.decode()
    assert reverse("audit:list") not in home


def test_anonymous_is_refused(org: Org, client, api_client) -> None:
    assert client.get(reverse("audit:list")).status_code == 302  # to the login page
    assert api_client.get(API).status_code in (401, 403)


def test_merged_newest_first_with_user_reason_and_diff(org: Org, api_client) -> None:
    (connection,) = _connections(org, 1)
    with acting(org.admin, "Weekly is enough"):
        crm.connection_update(connection=connection, schedule_minutes=10080)
    core.org_unit_set_manager(unit=org.team_a, manager=org.manager)
    api_client.force_authenticate(org.admin)
    body = api_client.get(API, {"page_size": 500}).json()
    results = body["results"]
    assert body["count"] == len(results)
    dates = [r["date"] for r in results]
    assert dates == sorted(dates, reverse=True)
    assert {r["model"] for r in results} >= {
        "crm_sync.connection",
        "crm_sync.objectmapping",
        "salesgoals.orgunit",
        "salesgoals.user",
    }
    assert results[0]["model"] == "salesgoals.orgunit"  # the latest change comes first
    assert results[0]["changes"] == [
        {"field": "manager", "label": "manager", "old": "", "new": "Manager North"}
    ]
    update = next(r for r in results if r["model"] == "crm_sync.connection" and r["action"] == "~")
    assert update["user"] == "Admin"
    assert update["user_id"] == org.admin.pk
    assert update["reason"] == "Weekly is enough"
    assert update["object"] == "Zoho 0"
    assert update["object_id"] == connection.pk
    assert {
        "field": "schedule_minutes",
        "label": "sync every (minutes)",
        "old": "60",
        "new": "10080",
    } in update["changes"]


def test_filters(org: Org, api_client) -> None:
    first, second = _connections(org, 2)
    crm.connection_update(connection=second, schedule_minutes=30)  # no user: a system change
    mapping = ObjectMapping.objects.filter(connection=first).first()
    mapping_id = mapping.pk
    with acting(org.executive):
        mapping.delete()
    api_client.force_authenticate(org.admin)

    def ids(**params) -> list[tuple[str, int, str]]:
        body = api_client.get(API, {"page_size": 500, **params})
        assert body.status_code == 200, body.content
        return [(r["model"], r["object_id"], r["action"]) for r in body.json()["results"]]

    connections = ids(model="crm_sync.connection")
    assert sorted(connections) == sorted(
        [
            ("crm_sync.connection", first.pk, "+"),
            ("crm_sync.connection", second.pk, "+"),
            ("crm_sync.connection", second.pk, "~"),
        ]
    )
    assert {m for m, _, _ in ids(area="crm")} == {"crm_sync.connection", "crm_sync.objectmapping"}
    assert ids(model="crm_sync.connection", object_id=second.pk) == [
        ("crm_sync.connection", second.pk, "~"),
        ("crm_sync.connection", second.pk, "+"),
    ]
    assert ids(action="-") == [("crm_sync.objectmapping", mapping_id, "-")]
    assert ids(action="deleted") == ids(action="-")
    assert ids(model="crm_sync.connection", action="+") == ids(
        model="crm_sync.connection", action="created"
    )  # a bare "+" arrives as a space
    assert {a for _, _, a in ids(area="crm", action="+,~")} == {"+", "~"}
    raw = api_client.get(f"{API}?model=crm_sync.connection&action=+&page_size=500").json()
    assert {r["action"] for r in raw["results"]} == {"+"}  # "+" unencoded arrives as " "
    assert ids(user=org.executive.pk) == [("crm_sync.objectmapping", mapping_id, "-")]
    today = timezone.localdate()
    assert len(ids(date_from=today.isoformat(), date_to=today.isoformat(), area="crm")) == len(
        ids(area="crm")
    )
    assert ids(date_to=(today - datetime.timedelta(days=1)).isoformat(), area="crm") == []
    assert ids(date_from=(today + datetime.timedelta(days=1)).isoformat()) == []
    bad = api_client.get(API, {"date_from": "yesterday"})
    assert bad.status_code == 400
    assert "date_from" in bad.json()
    assert api_client.get(API, {"model": "auth.permission"}).status_code == 400
    assert api_client.get(API, {"action": "x"}).status_code == 400


def test_pages_and_exports(org: Org, api_client) -> None:
    _connections(org, 3)
    api_client.force_authenticate(org.admin)
    everything = api_client.get(API, {"model": "crm_sync.objectmapping", "page_size": 500}).json()
    total = everything["count"]
    assert total > 4
    page = api_client.get(API, {"model": "crm_sync.objectmapping", "page_size": 2}).json()
    assert page["count"] == total
    assert len(page["results"]) == 2
    assert page["next"]
    second = api_client.get(
        API, {"model": "crm_sync.objectmapping", "page_size": 2, "page": 2}
    ).json()
    assert [r["history_id"] for r in page["results"] + second["results"]] == [
        r["history_id"] for r in everything["results"][:4]
    ]
    csv = api_client.get(API, {"model": "crm_sync.objectmapping", "format": "csv"})
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0] == "date,user,model,object_id,object,action,reason,changes"
    assert len(lines) == total + 1  # every matching entry, not one page
    assert "Admin" in lines[1]
    xlsx = api_client.get(API, {"model": "crm_sync.objectmapping", "format": "xlsx"})
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == total + 1


def test_page_lists_filters_and_links_exports(org: Org, client) -> None:
    (connection,) = _connections(org, 1)
    client.force_login(org.admin)
    home = client.get(reverse("home")).content.decode()
    assert reverse("audit:list") in home  # in the admin's navigation
    response = client.get(reverse("audit:list"), {"model": "crm_sync.connection"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="audit-row"') == 1
    assert "Zoho 0" in html
    assert "/api/v1/audit/?model=crm_sync.connection&amp;format=csv" in html
    bad = client.get(reverse("audit:list"), {"date_from": "soon"})
    assert bad.status_code == 200
    assert 'data-testid="audit-errors"' in bad.content.decode()
    assert connection.name not in bad.content.decode()


def _list_queries(api_client, client) -> tuple[int, int]:
    with CaptureQueriesContext(db) as api:
        assert api_client.get(API, {"area": "crm", "page_size": 500}).status_code == 200
    with CaptureQueriesContext(db) as page:
        assert client.get(reverse("audit:list"), {"area": "crm"}).status_code == 200
    return len(api), len(page)


def _changes(org: Org, count: int, start: int) -> None:
    connections = _connections(org, count, start=start)
    with acting(org.executive):
        for c in connections:
            crm.connection_update(connection=c, schedule_minutes=120)


def test_query_count_does_not_grow_with_rows(
    org: Org, api_client, client, django_assert_max_num_queries
) -> None:
    """Per model on the page: its rows and their previous versions (2 × connections and
    mappings); the count, the page of the union and the people: 7. The page adds the
    session, the user, and the people of the user filter."""
    api_client.force_authenticate(org.admin)
    client.force_login(org.admin)
    _changes(org, 2, start=0)  # 2 connections (+, ~) and their 12 mappings
    small = _list_queries(api_client, client)
    _changes(org, 10, start=2)  # 6 × as many entries
    large = _list_queries(api_client, client)
    assert large == small
    with django_assert_max_num_queries(7):
        api_client.get(API, {"area": "crm", "page_size": 500})
    with django_assert_max_num_queries(10):
        client.get(reverse("audit:list"), {"area": "crm"})


def test_page_speaks_the_users_language(org: Org, client) -> None:
    _connections(org, 1)
    client.force_login(org.admin)
    response = client.get(reverse("audit:list"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert '<html lang="zh-hans"' in html
    assert "导出" in html  # "Export"
    assert "已创建" in html  # the action "Created"
