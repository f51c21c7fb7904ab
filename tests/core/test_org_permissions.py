"""The permission matrix for org units and people, on the API and on the pages.

role (rep, manager, executive, admin) by object (own, in subtree, outside) by action
(list, read, write). With the org of `org_fixtures`:

- own: the actor's home unit / the actor's own user record;
- subtree: Team B / rep RB (below manager M's region North);
- outside: region South / rep RC.

A rep sees their own unit and record, a manager their subtree, executives and admins all;
only admins write (org units and people are configuration).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from salesgoals import scope
from salesgoals.models import OrgUnit, Role, User
from tests.core.org_fixtures import Org, org_fixture, user_form_data  # noqa: F401

pytestmark = pytest.mark.django_db

ROLES = [Role.REP, Role.MANAGER, Role.EXECUTIVE, Role.ADMIN]
PLACES = ["own", "subtree", "outside"]
ACTIONS = ["list", "read", "write"]

SEES = {
    Role.REP: {"own"},
    Role.MANAGER: {"own", "subtree"},
    Role.EXECUTIVE: {"own", "subtree", "outside"},
    Role.ADMIN: {"own", "subtree", "outside"},
}
WRITES = {Role.REP: set(), Role.MANAGER: set(), Role.EXECUTIVE: set(), Role.ADMIN: set(PLACES)}


def expected(role: str, place: str, action: str) -> bool:
    return place in (WRITES if action == "write" else SEES)[role]


def target_unit(org: Org, role: str, place: str) -> OrgUnit:
    return {"own": org.actor(role).org_unit, "subtree": org.team_b, "outside": org.south}[place]


def target_user(org: Org, role: str, place: str) -> User:
    return {"own": org.actor(role), "subtree": org.rep_b, "outside": org.rep_c}[place]


# --- The scope module itself ---------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("place", PLACES)
def test_scope_functions_follow_the_matrix(org: Org, role: str, place: str) -> None:
    actor = org.actor(role)
    unit, person = target_unit(org, role, place), target_user(org, role, place)
    sees = expected(role, place, "read")
    writes = expected(role, place, "write")
    assert scope.visible_units(actor).filter(pk=unit.pk).exists() is sees
    assert scope.visible_users(actor).filter(pk=person.pk).exists() is sees
    assert scope.can_view(actor, unit) is sees
    assert scope.can_view(actor, person) is sees
    assert scope.can_edit(actor, unit) is writes
    assert scope.can_edit(actor, person) is writes


# --- API -----------------------------------------------------------------------------------


def _api_unit(client: APIClient, org: Org, role: str, unit: OrgUnit, action: str) -> bool:
    if action == "list":
        response = client.get("/api/v1/org-units/", {"page_size": 500})
        assert response.status_code == 200
        return unit.pk in {row["id"] for row in response.json()["results"]}
    url = f"/api/v1/org-units/{unit.pk}/"
    if action == "read":
        response = client.get(url)
    else:
        response = client.patch(url, {"name": "Renamed"}, format="json")
    assert response.status_code in (200, 403), response.content
    return response.status_code == 200


def _api_user(client: APIClient, org: Org, role: str, user: User, action: str) -> bool:
    if action == "list":
        response = client.get("/api/v1/users/", {"page_size": 500})
        assert response.status_code == 200
        return user.pk in {row["id"] for row in response.json()["results"]}
    url = f"/api/v1/users/{user.pk}/"
    if action == "read":
        response = client.get(url)
    else:
        response = client.patch(url, {"display_name": "Renamed"}, format="json")
    assert response.status_code in (200, 403), response.content
    return response.status_code == 200


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("action", ACTIONS)
def test_api_org_units(api_client: APIClient, org: Org, role: str, place: str, action: str) -> None:
    unit = target_unit(org, role, place)
    api_client.force_authenticate(org.actor(role))
    allowed = _api_unit(api_client, org, role, unit, action)
    assert allowed is expected(role, place, action)
    renamed = OrgUnit.objects.get(pk=unit.pk).name == "Renamed"
    assert renamed is (action == "write" and allowed)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("action", ACTIONS)
def test_api_users(api_client: APIClient, org: Org, role: str, place: str, action: str) -> None:
    person = target_user(org, role, place)
    api_client.force_authenticate(org.actor(role))
    allowed = _api_user(api_client, org, role, person, action)
    assert allowed is expected(role, place, action)
    renamed = User.objects.get(pk=person.pk).display_name == "Renamed"
    assert renamed is (action == "write" and allowed)


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER, Role.EXECUTIVE])
def test_api_create_and_delete_are_admin_only(api_client: APIClient, org: Org, role: str) -> None:
    api_client.force_authenticate(org.actor(role))
    created = api_client.post(
        "/api/v1/org-units/", {"name": "New", "parent": org.team_a.pk}, format="json"
    )
    assert created.status_code == 403
    new_user = api_client.post(
        "/api/v1/users/", {"username": "new", "org_unit": org.team_a.pk}, format="json"
    )
    assert new_user.status_code == 403
    empty = OrgUnit.objects.add_child(org.team_a, create_kwargs={"name": "Empty"})
    assert api_client.delete(f"/api/v1/org-units/{empty.pk}/").status_code == 403
    assert OrgUnit.objects.filter(pk=empty.pk).exists()
    assert not User.objects.filter(username="new").exists()
    assert not OrgUnit.objects.filter(name="New").exists()


def test_api_needs_authentication(api_client: APIClient, org: Org) -> None:
    assert api_client.get("/api/v1/org-units/").status_code in (401, 403)
    assert api_client.get(f"/api/v1/users/{org.rep.pk}/").status_code in (401, 403)


def test_api_unknown_ids_are_404_even_for_admins(api_client: APIClient, org: Org) -> None:
    api_client.force_authenticate(org.admin)
    assert api_client.get("/api/v1/org-units/999999/").status_code == 404
    assert api_client.get("/api/v1/users/999999/").status_code == 404
    assert api_client.patch("/api/v1/org-units/999999/", {"name": "x"}).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_api_exports_are_scoped(api_client: APIClient, org: Org, fmt: str) -> None:
    api_client.force_authenticate(org.manager)
    users = api_client.get("/api/v1/users/", {"format": fmt})
    units = api_client.get("/api/v1/org-units/", {"format": fmt})
    assert users.status_code == units.status_code == 200
    if fmt == "csv":
        assert "Rep B" in users.content.decode()
        assert "Rep C" not in users.content.decode()
        assert "Team B" in units.content.decode()
        assert "South" not in units.content.decode()


# --- Pages ---------------------------------------------------------------------------------


def _page_unit(client: Client, org: Org, unit: OrgUnit, action: str) -> bool:
    if action == "list":
        response = client.get(reverse("org-tree"))
        assert response.status_code == 200
        return f'data-testid="unit-{unit.pk}"' in response.content.decode()
    if action == "read":
        response = client.get(reverse("org-unit-detail", args=[unit.pk]))
        assert response.status_code in (200, 403)
        return response.status_code == 200
    data = {"edit-name": "Renamed", "edit-kind": unit.kind, "edit-code": "", "edit-is_active": "on"}
    response = client.post(reverse("org-unit-update", args=[unit.pk]), data)
    assert response.status_code in (302, 403), response.content
    return response.status_code == 302


def _page_user(client: Client, org: Org, user: User, action: str) -> bool:
    if action == "list":
        response = client.get(reverse("user-list"))
        assert response.status_code == 200
        return f'data-testid="person-{user.pk}"' in response.content.decode()
    if action == "read":
        response = client.get(reverse("user-detail", args=[user.pk]))
        assert response.status_code in (200, 403)
        return response.status_code == 200
    data = user_form_data(user, display_name="Renamed")
    response = client.post(reverse("user-update", args=[user.pk]), data)
    assert response.status_code in (302, 403), response.content
    return response.status_code == 302


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("action", ACTIONS)
def test_pages_org_units(client: Client, org: Org, role: str, place: str, action: str) -> None:
    unit = target_unit(org, role, place)
    client.force_login(org.actor(role))
    allowed = _page_unit(client, org, unit, action)
    assert allowed is expected(role, place, action)
    renamed = OrgUnit.objects.get(pk=unit.pk).name == "Renamed"
    assert renamed is (action == "write" and allowed)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("action", ACTIONS)
def test_pages_users(client: Client, org: Org, role: str, place: str, action: str) -> None:
    person = target_user(org, role, place)
    client.force_login(org.actor(role))
    allowed = _page_user(client, org, person, action)
    assert allowed is expected(role, place, action)
    renamed = User.objects.get(pk=person.pk).display_name == "Renamed"
    assert renamed is (action == "write" and allowed)


ADMIN_POSTS = [
    ("org-unit-create", False),
    ("org-unit-add-child", True),
    ("org-unit-move", True),
    ("org-unit-manager", True),
    ("org-unit-move-member", True),
    ("org-unit-delete", True),
    ("user-create", False),
]


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER, Role.EXECUTIVE])
@pytest.mark.parametrize(("url_name", "takes_pk"), ADMIN_POSTS)
def test_every_change_page_is_403_for_non_admins(
    client: Client, org: Org, role: str, url_name: str, takes_pk: bool
) -> None:
    client.force_login(org.actor(role))
    url = reverse(url_name, args=[org.team_a.pk] if takes_pk else [])
    before = (OrgUnit.objects.count(), User.objects.count())
    assert client.post(url, {"add-name": "X", "add-kind": "team"}).status_code == 403
    assert client.get(url).status_code == 403
    assert (OrgUnit.objects.count(), User.objects.count()) == before


def test_pages_need_login(client: Client, org: Org) -> None:
    for url in [
        reverse("org-tree"),
        reverse("user-list"),
        reverse("org-unit-detail", args=[org.team_a.pk]),
        reverse("user-detail", args=[org.rep.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


def test_pages_unknown_ids_are_404(client: Client, org: Org) -> None:
    client.force_login(org.admin)
    assert client.get(reverse("org-unit-detail", args=[999999])).status_code == 404
    assert client.get(reverse("user-detail", args=[999999])).status_code == 404


def test_inactive_account_sees_nothing(org: Org) -> None:
    org.manager.is_active = False
    assert not scope.visible_units(org.manager).exists()
    assert not scope.visible_users(org.manager).exists()
    assert not scope.can_view(org.manager, org.team_a)


def test_managing_a_second_unit_extends_the_scope(api_client: APIClient, org: Org) -> None:
    # M's home unit is North; assigning M as manager of Team C adds that subtree, no more.
    OrgUnit.objects.filter(pk=org.team_c.pk).update(manager=org.manager)
    api_client.force_authenticate(org.manager)
    ids = {row["id"] for row in api_client.get("/api/v1/org-units/").json()["results"]}
    assert ids == {org.north.pk, org.team_a.pk, org.team_b.pk, org.team_c.pk}
    assert api_client.get(f"/api/v1/users/{org.rep_c.pk}/").status_code == 200
    assert api_client.get(f"/api/v1/org-units/{org.south.pk}/").status_code == 403


def test_rep_sees_own_record_not_colleagues(api_client: APIClient, org: Org) -> None:
    colleague = User.objects.create(username="colleague", org_unit=org.team_a)
    api_client.force_authenticate(org.rep)
    ids = {row["id"] for row in api_client.get("/api/v1/users/").json()["results"]}
    assert ids == {org.rep.pk}
    assert api_client.get(f"/api/v1/users/{colleague.pk}/").status_code == 403
