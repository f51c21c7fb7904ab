"""org-units/ and users/: shapes, filters, writes through the services, exports, query counts."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from salesgoals import services
from salesgoals.models import OrgUnit, Role, User
from tests.core.org_fixtures import Org, org_fixture  # noqa: F401
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UNITS = "/api/v1/org-units/"
USERS = "/api/v1/users/"


@pytest.fixture
def as_admin(api_client: APIClient, org: Org) -> APIClient:
    api_client.force_authenticate(org.admin)
    return api_client


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- Org units: reads ------------------------------------------------------------------------


def test_unit_shape(as_admin: APIClient, org: Org) -> None:
    UserFactory(role=Role.REP, org_unit=org.team_a, is_active=False)
    body = as_admin.get(f"{UNITS}{org.team_a.pk}/").json()
    assert body == {
        "id": org.team_a.pk,
        "name": "Team A",
        "code": None,
        "kind": "team",
        "parent": org.north.pk,
        "manager": None,
        "manager_name": None,
        "path": OrgUnit.objects.get(pk=org.team_a.pk).path,
        "depth": 3,
        "numchild": 0,
        "is_active": True,
        "member_count": 1,  # the inactive rep is not counted
        "rep_count": 1,
    }
    north = as_admin.get(f"{UNITS}{org.north.pk}/").json()
    assert (north["manager"], north["manager_name"]) == (org.manager.pk, "Manager North")
    assert (north["member_count"], north["rep_count"]) == (1, 0)
    assert as_admin.get(f"{UNITS}{org.company.pk}/").json()["parent"] is None


def test_unit_list_is_paginated_in_tree_order(as_admin: APIClient, org: Org) -> None:
    body = as_admin.get(UNITS, {"page_size": 2}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 6
    assert [row["name"] for row in body["results"]] == ["Acme", "North"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"parent": "north"}, {"team_a", "team_b"}),
        ({"parent": "company"}, {"north", "south"}),
        ({"kind": "region"}, {"north", "south"}),
        ({"depth": 1}, {"company"}),
        ({"search": "team"}, {"team_a", "team_b", "team_c"}),
        ({"search": "SOUTH"}, {"south"}),
        ({"is_active": "false"}, set()),
    ],
)
def test_unit_filters(as_admin: APIClient, org: Org, params: dict, expected: set[str]) -> None:
    if "parent" in params:
        params = {"parent": getattr(org, params["parent"]).pk}
    assert ids(as_admin.get(UNITS, params)) == {getattr(org, name).pk for name in expected}


def test_unknown_parent_filter_is_empty(as_admin: APIClient, org: Org) -> None:
    assert ids(as_admin.get(UNITS, {"parent": 999999})) == set()


def test_filters_never_widen_the_scope(api_client: APIClient, org: Org) -> None:
    api_client.force_authenticate(org.manager)
    assert ids(api_client.get(UNITS, {"parent": org.south.pk})) == set()
    assert ids(api_client.get(UNITS, {"kind": "region"})) == {org.north.pk}


def test_unit_list_query_count_does_not_grow(
    api_client: APIClient, org: Org, django_assert_max_num_queries
) -> None:
    for index in range(30):
        team = services.org_unit_create(name=f"Extra {index}", parent=org.north)
        services.org_unit_set_manager(unit=team, manager=org.manager)
        UserFactory(org_unit=team)
    api_client.force_authenticate(org.manager)
    # 1 managed roots, 1 count, 1 page (manager joined; parent and counts as subqueries)
    with django_assert_max_num_queries(3):
        response = api_client.get(UNITS, {"page_size": 100})
    assert response.json()["count"] == 33


# --- Org units: writes ------------------------------------------------------------------------


def test_create_unit(as_admin: APIClient, org: Org) -> None:
    response = as_admin.post(
        UNITS,
        {
            "name": "Team D",
            "parent": org.south.pk,
            "code": "team-d",
            "manager": org.manager_south.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["kind"], body["parent"], body["code"]) == (
        "Team D",
        "team",
        org.south.pk,
        "team-d",
    )
    assert body["manager_name"] == "Manager South"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "X", "parent": 999999}, "parent"),
        ({"name": "X", "parent": None}, "parent"),  # the company already exists
        ({"name": "", "parent": "north"}, "name"),
        ({"name": "Team A", "parent": "north"}, "name"),
        ({"name": "X", "parent": "north", "kind": "galaxy"}, "kind"),
        ({"name": "X", "parent": "north", "code": "has space"}, "code"),
        ({"name": "X", "parent": "north", "manager": "rep"}, "manager"),
        ({"parent": "north"}, "name"),
    ],
)
def test_create_unit_errors_are_structured(
    as_admin: APIClient, org: Org, payload: dict, field: str
) -> None:
    payload = dict(payload)
    if isinstance(payload.get("parent"), str):
        payload["parent"] = getattr(org, payload["parent"]).pk
    if payload.get("manager") == "rep":
        payload["manager"] = org.rep.pk
    before = OrgUnit.objects.count()
    response = as_admin.post(UNITS, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert isinstance(body[field], list)
    assert all(isinstance(message, str) and message for message in body[field])
    assert OrgUnit.objects.count() == before


def test_patch_renames_moves_and_sets_manager(as_admin: APIClient, org: Org) -> None:
    response = as_admin.patch(
        f"{UNITS}{org.team_a.pk}/",
        {"name": "Alpha", "parent": org.south.pk, "manager": org.manager_south.pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["parent"], body["manager"], body["depth"]) == (
        "Alpha",
        org.south.pk,
        org.manager_south.pk,
        3,
    )


def test_patch_into_own_subtree_is_a_400(as_admin: APIClient, org: Org) -> None:
    response = as_admin.patch(f"{UNITS}{org.north.pk}/", {"parent": org.team_a.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "parent": ["A unit cannot be moved under itself or its own subtree."]
    }


def test_patch_is_all_or_nothing(as_admin: APIClient, org: Org) -> None:
    response = as_admin.patch(
        f"{UNITS}{org.team_a.pk}/", {"parent": org.south.pk, "manager": org.rep.pk}, format="json"
    )
    assert response.status_code == 400
    assert "manager" in response.json()
    assert OrgUnit.objects.get_parent(OrgUnit.objects.get(pk=org.team_a.pk)).pk == org.north.pk


def test_put_is_not_offered(as_admin: APIClient, org: Org) -> None:
    assert as_admin.put(f"{UNITS}{org.team_a.pk}/", {"name": "X"}).status_code == 405


def test_delete_empty_unit(as_admin: APIClient, org: Org) -> None:
    empty = services.org_unit_create(name="Empty", parent=org.south)
    assert as_admin.delete(f"{UNITS}{empty.pk}/").status_code == 204
    assert not OrgUnit.objects.filter(pk=empty.pk).exists()


@pytest.mark.parametrize(
    ("which", "message"),
    [
        ("team_a", "Move the people of this unit to another unit first."),
        ("south", "Move or delete its sub-units first."),
        ("company", "The company unit cannot be deleted."),
    ],
)
def test_delete_unit_with_people_or_children_is_a_400(
    as_admin: APIClient, org: Org, which: str, message: str
) -> None:
    unit = getattr(org, which)
    response = as_admin.delete(f"{UNITS}{unit.pk}/")
    assert response.status_code == 400
    assert response.json() == {"detail": [message]}
    assert OrgUnit.objects.filter(pk=unit.pk).exists()


# --- Users: reads ------------------------------------------------------------------------------


def test_user_shape(as_admin: APIClient, org: Org) -> None:
    User.objects.filter(pk=org.rep.pk).update(zoho_user_id="z-9", first_name="Ann")
    body = as_admin.get(f"{USERS}{org.rep.pk}/").json()
    assert body == {
        "id": org.rep.pk,
        "username": "r",
        "display_name": "Rep A",
        "display": "Rep A",
        "first_name": "Ann",
        "last_name": "",
        "role": "rep",
        "org_unit": org.team_a.pk,
        "org_unit_name": "Team A",
        "email": "r@example.com",
        "is_active": True,
        "hire_date": "2023-01-01",
        "leave_date": None,
        "zoho_user_id": "z-9",
        "fxiaoke_user_id": "",
    }
    assert "password" not in body


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"role": "manager"}, {"manager", "manager_south"}),
        ({"org_unit": "north"}, {"manager", "rep", "rep_b"}),  # subtree by default
        ({"org_unit": "north", "subtree": "false"}, {"manager"}),
        ({"org_unit": "team_a", "subtree": "true"}, {"rep"}),
        ({"search": "rep "}, {"rep", "rep_b", "rep_c"}),
        ({"search": "RB@example"}, {"rep_b"}),
        ({"is_active": "false"}, {"gone"}),
    ],
)
def test_user_filters(as_admin: APIClient, org: Org, params: dict, expected: set[str]) -> None:
    gone = UserFactory(username="gone", org_unit=org.team_c, is_active=False)
    params = dict(params)
    if "org_unit" in params:
        params["org_unit"] = getattr(org, params["org_unit"]).pk
    want = {gone.pk if name == "gone" else getattr(org, name).pk for name in expected}
    assert ids(as_admin.get(USERS, params)) == want


def test_org_unit_filter_outside_scope_matches_nobody(api_client: APIClient, org: Org) -> None:
    api_client.force_authenticate(org.manager)
    assert ids(api_client.get(USERS, {"org_unit": org.south.pk})) == set()
    assert ids(api_client.get(USERS, {"org_unit": org.company.pk})) == {
        org.manager.pk,
        org.rep.pk,
        org.rep_b.pk,
    }


def test_user_list_query_count_does_not_grow(
    api_client: APIClient, org: Org, django_assert_max_num_queries
) -> None:
    UserFactory.create_batch(40, org_unit=org.team_b)
    api_client.force_authenticate(org.manager)
    # 1 managed roots, 1 count, 1 page (home unit joined)
    with django_assert_max_num_queries(3):
        response = api_client.get(USERS, {"page_size": 100})
    assert response.json()["count"] == 43


# --- Users: writes ------------------------------------------------------------------------------


def test_create_user(as_admin: APIClient, org: Org) -> None:
    response = as_admin.post(
        USERS,
        {
            "username": "newrep",
            "password": "a-Long-enough-pass-9",
            "display_name": "New Rep",
            "role": "rep",
            "org_unit": org.team_c.pk,
            "hire_date": "2025-02-03",
            "fxiaoke_user_id": "fx-7",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert "password" not in body
    assert (body["org_unit_name"], body["hire_date"], body["fxiaoke_user_id"]) == (
        "Team C",
        "2025-02-03",
        "fx-7",
    )
    assert User.objects.get(username="newrep").check_password("a-Long-enough-pass-9")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "r"}, "username"),
        ({"username": "bad name!"}, "username"),
        ({"username": "x", "password": "123"}, "password"),
        ({"username": "x", "role": "boss"}, "role"),
        ({"username": "x", "org_unit": None}, "org_unit"),
        ({"username": "x", "email": "not-an-email"}, "email"),
        ({"username": "x", "hire_date": "2025-02-03", "leave_date": "2025-02-01"}, "leave_date"),
    ],
)
def test_create_user_errors_are_structured(
    as_admin: APIClient, org: Org, payload: dict, field: str
) -> None:
    payload = {"org_unit": org.team_a.pk, **payload}
    before = User.objects.count()
    response = as_admin.post(USERS, payload, format="json")
    assert response.status_code == 400
    assert isinstance(response.json()[field], list)
    assert User.objects.count() == before


def test_patch_user(as_admin: APIClient, org: Org) -> None:
    response = as_admin.patch(
        f"{USERS}{org.rep.pk}/",
        {"org_unit": org.team_b.pk, "leave_date": "2025-06-30", "zoho_user_id": "z-1"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["org_unit"], body["leave_date"], body["zoho_user_id"]) == (
        org.team_b.pk,
        "2025-06-30",
        "z-1",
    )


def test_patch_user_ignores_password_and_username(as_admin: APIClient, org: Org) -> None:
    response = as_admin.patch(
        f"{USERS}{org.rep.pk}/", {"password": "x", "username": "hacked"}, format="json"
    )
    assert response.status_code == 200
    rep = User.objects.get(pk=org.rep.pk)
    assert rep.username == "r"
    assert rep.check_password("pw-Secret-123")


def test_patch_manager_to_rep_while_managing_is_a_400(as_admin: APIClient, org: Org) -> None:
    response = as_admin.patch(f"{USERS}{org.manager.pk}/", {"role": "rep"}, format="json")
    assert response.status_code == 400
    assert "role" in response.json()


def test_users_cannot_be_deleted(as_admin: APIClient, org: Org) -> None:
    assert as_admin.delete(f"{USERS}{org.rep_c.pk}/").status_code == 405
    assert User.objects.filter(pk=org.rep_c.pk).exists()


# --- Exports ------------------------------------------------------------------------------------


def test_csv_export_has_every_row_in_scope_and_honours_filters(
    api_client: APIClient, org: Org
) -> None:
    UserFactory.create_batch(60, org_unit=org.team_b)
    api_client.force_authenticate(org.manager)
    response = api_client.get(USERS, {"format": "csv", "role": "rep"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 62  # not one page: 60 + rep + rep_b, no manager, nobody from South
    assert {"id", "username", "role", "org_unit", "org_unit_name", "email"} <= set(rows[0])
    assert "password" not in rows[0]
    assert {row["role"] for row in rows} == {"rep"}


def test_xlsx_export_of_units(as_admin: APIClient, org: Org) -> None:
    response = as_admin.get(UNITS, {"format": "xlsx", "kind": "team"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    header = values[0]
    names = sorted(row[header.index("name")] for row in values[1:])
    assert names == ["Team A", "Team B", "Team C"]


def test_admin_cannot_demote_themselves(as_admin: APIClient, org: Org) -> None:
    response = as_admin.patch(f"{USERS}{org.admin.pk}/", {"role": "executive"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"role": ["You cannot take away your own admin role."]}
