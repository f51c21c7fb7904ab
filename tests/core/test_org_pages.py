"""Org tree and people pages: what each role sees, and the admin forms (plain and htmx)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from salesgoals import services
from salesgoals.models import OrgUnit, Role, User
from tests.core.org_fixtures import Org, org_fixture, user_form_data  # noqa: F401
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def admin_client(client: Client, org: Org) -> Client:
    client.force_login(org.admin)
    return client


def page(client: Client, url: str, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, testid: str) -> str:
    """The markup of the element with this data-testid (up to the end of the page)."""
    start = html.index(f'data-testid="{testid}"')
    return html[start:]


def unit_html(html: str, unit: OrgUnit) -> str:
    """The tree item of one unit, including everything nested in it."""
    start = html.rindex("<li", 0, html.index(f'data-testid="unit-{unit.pk}"'))
    depth, index = 0, start
    for match in re.finditer(r"<(/?)li\b", html[start:]):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            index = start + match.end()
            break
    return html[start:index]


# --- Org tree -------------------------------------------------------------------------------


def test_tree_nests_units_and_lists_people(client: Client, org: Org) -> None:
    client.force_login(org.executive)
    html = page(client, reverse("org-tree"))
    north = unit_html(html, org.north)
    assert f'data-testid="unit-{org.team_a.pk}"' in north
    assert f'data-testid="unit-{org.team_b.pk}"' in north
    assert f'data-testid="unit-{org.team_c.pk}"' not in north
    team_a = unit_html(html, org.team_a)
    assert "Rep A" in team_a
    assert "1 rep" in team_a
    assert "Rep B" not in team_a
    assert "manager: Manager North" in north
    tree = section(html, "org-tree")
    tree = tree[: tree.index("</main>")]
    assert len(re.findall(r"<li\b", tree)) == tree.count("</li>")
    assert len(re.findall(r"<ul\b", tree)) == tree.count("</ul>")
    assert tree.count("<details") == tree.count("</details>")


def test_tree_children_are_sorted_by_name_after_a_rename(client: Client, org: Org) -> None:
    services.org_unit_update(unit=org.team_a, name="Zulu")
    client.force_login(org.executive)
    html = page(client, reverse("org-tree"))
    assert html.index(f'unit-{org.team_b.pk}"') < html.index(f'unit-{org.team_a.pk}"')


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (Role.REP, {"team_a"}, {"company", "north", "team_b", "south", "team_c"}),
        (Role.MANAGER, {"north", "team_a", "team_b"}, {"company", "south", "team_c"}),
        (Role.EXECUTIVE, {"company", "north", "south", "team_c"}, set()),
    ],
)
def test_tree_shows_the_visible_subtree(
    client: Client, org: Org, role: str, shown: set[str], hidden: set[str]
) -> None:
    client.force_login(org.actor(role))
    html = page(client, reverse("org-tree"))
    for name in shown:
        assert f'data-testid="unit-{getattr(org, name).pk}"' in html
    for name in hidden:
        assert f'data-testid="unit-{getattr(org, name).pk}"' not in html
    assert 'data-testid="org-add"' not in html
    assert 'data-testid="unit-admin"' not in html


def test_rep_sees_own_unit_but_not_colleagues(client: Client, org: Org) -> None:
    UserFactory(display_name="Colleague", org_unit=org.team_a)
    client.force_login(org.rep)
    html = page(client, reverse("org-tree"))
    assert "Rep A" in html
    assert "Colleague" not in html
    assert "2 reps" in html  # the head count is not secret, the names are


def test_person_without_unit_gets_an_honest_empty_state(client: Client, org: Org) -> None:
    client.force_login(UserFactory(role=Role.REP, org_unit=None))
    html = page(client, reverse("org-tree"))
    assert 'data-testid="org-empty"' in html


def test_admin_can_create_the_company_on_an_empty_install(client: Client, db) -> None:
    admin = UserFactory(role=Role.ADMIN)
    client.force_login(admin)
    html = page(client, reverse("org-tree"))
    assert 'data-testid="org-empty"' in html
    assert "Create the company" in html
    response = client.post(
        reverse("org-unit-create"), {"add-name": "Acme", "add-kind": "company", "add-parent": ""}
    )
    assert response.status_code == 302
    assert OrgUnit.objects.get().name == "Acme"


def test_tree_query_count_does_not_grow(
    client: Client, org: Org, django_assert_max_num_queries
) -> None:
    for index in range(15):
        team = services.org_unit_create(name=f"Extra {index}", parent=org.south)
        UserFactory.create_batch(3, org_unit=team)
    client.force_login(org.admin)
    # session, user, units (parent and counts as subqueries), people, unread notifications
    with django_assert_max_num_queries(7):
        html = page(client, reverse("org-tree"))
    assert "Extra 14" in html


# --- Unit page: reading ----------------------------------------------------------------------


def test_unit_page_shows_subunits_members_and_breadcrumb(client: Client, org: Org) -> None:
    client.force_login(org.manager)
    html = page(client, reverse("org-unit-detail", args=[org.team_a.pk]))
    assert 'data-testid="unit-name">Team A<' in html
    assert reverse("org-unit-detail", args=[org.north.pk]) in html  # breadcrumb
    assert reverse("org-unit-detail", args=[org.company.pk]) not in html  # outside scope
    assert "Rep A" in section(html, "members")
    assert 'data-testid="unit-admin"' not in html


def test_unit_page_query_count_does_not_grow(
    client: Client, org: Org, django_assert_max_num_queries
) -> None:
    for index in range(10):
        services.org_unit_create(name=f"Extra {index}", parent=org.north)
    UserFactory.create_batch(20, org_unit=org.north)
    client.force_login(org.manager)
    # session, user, unit, 3 scope roots (can_view, units, people), ancestors, children,
    # members, notifications
    with django_assert_max_num_queries(10):
        page(client, reverse("org-unit-detail", args=[org.north.pk]))
    client.force_login(org.admin)
    # no scope roots for an admin, but the choices of the admin forms
    with django_assert_max_num_queries(14):
        page(client, reverse("org-unit-detail", args=[org.north.pk]))


# --- Unit page: admin forms -------------------------------------------------------------------


def edit_data(unit: OrgUnit, **overrides: str) -> dict[str, str]:
    data = {"edit-name": unit.name, "edit-kind": unit.kind, "edit-code": unit.code or ""}
    if unit.is_active:
        data["edit-is_active"] = "on"
    data.update(overrides)
    return data


def test_rename_with_plain_post_redirects_with_a_message(admin_client: Client, org: Org) -> None:
    url = reverse("org-unit-update", args=[org.team_a.pk])
    response = admin_client.post(url, edit_data(org.team_a, **{"edit-name": "Alpha"}), follow=True)
    assert response.redirect_chain[-1][0] == reverse("org-unit-detail", args=[org.team_a.pk])
    html = response.content.decode()
    assert "Unit saved." in html
    assert 'data-testid="unit-name">Alpha<' in html


def test_rename_with_htmx_re_renders_only_the_panel(admin_client: Client, org: Org) -> None:
    url = reverse("org-unit-update", args=[org.team_a.pk])
    response = admin_client.post(url, edit_data(org.team_a, **{"edit-name": "Alpha"}), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="unit-panel"')
    assert "<html" not in html
    assert "Unit saved." in html
    assert 'data-testid="unit-name">Alpha<' in html


@pytest.mark.parametrize("htmx", [False, True])
def test_rename_errors_are_shown_next_to_the_field(
    admin_client: Client, org: Org, htmx: bool
) -> None:
    url = reverse("org-unit-update", args=[org.team_a.pk])
    extra = HTMX if htmx else {}
    response = admin_client.post(url, edit_data(org.team_a, **{"edit-name": "Team B"}), **extra)
    assert response.status_code == 200
    form = section(response.content.decode(), "form-edit")
    form = form[: form.index("</form>")]
    assert "errorlist" in form
    assert "“North” already has a unit named “Team B”." in form
    assert 'aria-invalid="true"' in form
    assert OrgUnit.objects.get(pk=org.team_a.pk).name == "Team A"


def test_deactivating_a_unit_with_people_is_explained(admin_client: Client, org: Org) -> None:
    data = edit_data(org.team_a)
    del data["edit-is_active"]
    response = admin_client.post(reverse("org-unit-update", args=[org.team_a.pk]), data)
    assert "Move the active people out of this unit before deactivating it." in (
        response.content.decode()
    )
    assert OrgUnit.objects.get(pk=org.team_a.pk).is_active


def test_add_a_sub_unit(admin_client: Client, org: Org) -> None:
    url = reverse("org-unit-add-child", args=[org.south.pk])
    response = admin_client.post(
        url,
        {"add-name": "Team D", "add-kind": "team", "add-manager": org.manager_south.pk},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Unit “Team D” added." in response.content.decode()
    team = OrgUnit.objects.get(name="Team D")
    assert OrgUnit.objects.get_parent(team).pk == org.south.pk
    assert team.manager_id == org.manager_south.pk


def test_add_a_sub_unit_ignores_a_posted_parent(admin_client: Client, org: Org) -> None:
    url = reverse("org-unit-add-child", args=[org.south.pk])
    admin_client.post(url, {"add-name": "Team D", "add-kind": "team", "add-parent": org.north.pk})
    assert OrgUnit.objects.get_parent(OrgUnit.objects.get(name="Team D")).pk == org.south.pk


def test_add_unit_page_with_preselected_parent(admin_client: Client, org: Org) -> None:
    html = page(admin_client, reverse("org-unit-create"), parent=org.south.pk)
    assert f'<option value="{org.south.pk}" selected>' in html
    response = admin_client.post(
        reverse("org-unit-create"), {"add-name": "", "add-kind": "team", "add-parent": org.south.pk}
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_move_a_unit(admin_client: Client, org: Org) -> None:
    url = reverse("org-unit-move", args=[org.team_a.pk])
    response = admin_client.post(url, {"move-parent": org.south.pk}, follow=True)
    assert "Unit moved under “South”." in response.content.decode()
    assert OrgUnit.objects.get_parent(OrgUnit.objects.get(pk=org.team_a.pk)).pk == org.south.pk


def test_move_form_does_not_offer_the_own_subtree(admin_client: Client, org: Org) -> None:
    html = page(admin_client, reverse("org-unit-detail", args=[org.north.pk]))
    move = section(html, "form-move")
    move = move[: move.index("</form>")]
    assert f'value="{org.south.pk}"' in move
    assert f'value="{org.team_a.pk}"' not in move
    assert f'value="{org.north.pk}"' not in move
    response = admin_client.post(
        reverse("org-unit-move", args=[org.north.pk]), {"move-parent": org.team_a.pk}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in section(response.content.decode(), "form-move")


def test_assign_a_manager(admin_client: Client, org: Org) -> None:
    url = reverse("org-unit-manager", args=[org.team_a.pk])
    response = admin_client.post(url, {"mgr-manager": org.manager.pk}, **HTMX)
    html = response.content.decode()
    assert "Manager saved." in html
    assert 'data-testid="unit-manager">Manager North<' in html
    assert OrgUnit.objects.get(pk=org.team_a.pk).manager_id == org.manager.pk


def test_a_rep_is_not_offered_as_manager(admin_client: Client, org: Org) -> None:
    response = admin_client.post(
        reverse("org-unit-manager", args=[org.team_a.pk]), {"mgr-manager": org.rep.pk}
    )
    assert "Select a valid choice" in section(response.content.decode(), "form-manager")
    assert OrgUnit.objects.get(pk=org.team_a.pk).manager_id is None


def test_move_a_rep_to_another_unit(admin_client: Client, org: Org) -> None:
    url = reverse("org-unit-move-member", args=[org.team_a.pk])
    response = admin_client.post(
        url, {"member-person": org.rep.pk, "member-org_unit": org.team_b.pk}, follow=True
    )
    assert "Rep A moved to “Team B”." in response.content.decode()
    assert User.objects.get(pk=org.rep.pk).org_unit_id == org.team_b.pk


def test_move_member_form_only_offers_the_units_people(admin_client: Client, org: Org) -> None:
    url = reverse("org-unit-move-member", args=[org.team_a.pk])
    response = admin_client.post(
        url, {"member-person": org.rep_c.pk, "member-org_unit": org.team_b.pk}
    )
    assert "Select a valid choice" in section(response.content.decode(), "form-member")
    assert User.objects.get(pk=org.rep_c.pk).org_unit_id == org.team_c.pk


def test_delete_an_empty_unit(admin_client: Client, org: Org) -> None:
    empty = services.org_unit_create(name="Empty", parent=org.south)
    html = page(admin_client, reverse("org-unit-detail", args=[empty.pk]))
    assert 'data-testid="form-delete"' in html
    response = admin_client.post(reverse("org-unit-delete", args=[empty.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("org-unit-detail", args=[org.south.pk])
    assert "Unit “Empty” deleted." in response.content.decode()
    assert not OrgUnit.objects.filter(pk=empty.pk).exists()


def test_delete_with_htmx_redirects_the_browser(admin_client: Client, org: Org) -> None:
    empty = services.org_unit_create(name="Empty", parent=org.south)
    response = admin_client.post(reverse("org-unit-delete", args=[empty.pk]), **HTMX)
    assert response["HX-Redirect"] == reverse("org-unit-detail", args=[org.south.pk])


def test_delete_of_a_unit_with_people_is_refused_with_a_message(
    admin_client: Client, org: Org
) -> None:
    html = page(admin_client, reverse("org-unit-detail", args=[org.team_a.pk]))
    assert 'data-testid="form-delete"' not in html
    response = admin_client.post(reverse("org-unit-delete", args=[org.team_a.pk]), follow=True)
    assert "Move the people of this unit to another unit first." in response.content.decode()
    assert OrgUnit.objects.filter(pk=org.team_a.pk).exists()


def test_change_endpoints_only_accept_post(admin_client: Client, org: Org) -> None:
    for name in ("org-unit-update", "org-unit-move", "org-unit-manager", "org-unit-delete"):
        assert admin_client.get(reverse(name, args=[org.team_a.pk])).status_code == 405


# --- People ----------------------------------------------------------------------------------


def people_ids(html: str) -> set[int]:
    table = section(html, "people") if 'data-testid="people"' in html else ""
    return {int(pk) for pk in re.findall(r'data-testid="person-(\d+)"', table)}


def test_people_page_filters(admin_client: Client, org: Org) -> None:
    url = reverse("user-list")
    assert people_ids(page(admin_client, url, role="rep")) == {
        org.rep.pk,
        org.rep_b.pk,
        org.rep_c.pk,
    }
    assert people_ids(page(admin_client, url, org_unit=org.north.pk)) == {
        org.manager.pk,
        org.rep.pk,
        org.rep_b.pk,
    }
    assert people_ids(page(admin_client, url, search="south")) == {org.manager_south.pk}
    gone = UserFactory(org_unit=org.team_a, is_active=False)
    assert people_ids(page(admin_client, url, is_active="false")) == {gone.pk}


def test_people_page_unit_choices_follow_the_scope(client: Client, org: Org) -> None:
    client.force_login(org.manager)
    html = page(client, reverse("user-list"))
    assert people_ids(html) == {org.manager.pk, org.rep.pk, org.rep_b.pk}
    assert f'<option value="{org.team_b.pk}">' in html
    assert f'<option value="{org.south.pk}">' not in html
    assert 'data-testid="user-add"' not in html


def test_people_page_paginates_and_keeps_filters(admin_client: Client, org: Org) -> None:
    UserFactory.create_batch(60, org_unit=org.team_c)
    html = page(admin_client, reverse("user-list"), role="rep")
    assert len(people_ids(html)) == 50
    assert "page=2" in html
    assert "role=rep&amp;page=2" in html or "role=rep&page=2" in html
    assert len(people_ids(page(admin_client, reverse("user-list"), role="rep", page=2))) == 13


def test_people_page_query_count_does_not_grow(
    client: Client, org: Org, django_assert_max_num_queries
) -> None:
    UserFactory.create_batch(45, org_unit=org.team_b)
    client.force_login(org.manager)
    # session, user, 2 scope roots (people, unit choices), count, page, unit choices,
    # notifications
    with django_assert_max_num_queries(8):
        html = page(client, reverse("user-list"))
    assert len(people_ids(html)) == 48


def test_export_links_carry_the_filters_and_stay_scoped(client: Client, org: Org) -> None:
    client.force_login(org.manager)
    html = page(client, reverse("user-list"), role="rep", page="1")
    link = re.search(r'href="([^"]+)" data-testid="export-csv"', html).group(1)
    link = link.replace("&amp;", "&")
    assert link.startswith(reverse("api-user-list"))
    assert "role=rep" in link
    assert "page=" not in link
    assert "format=csv" in link
    content = client.get(link).content.decode("utf-8-sig")
    assert "Rep B" in content
    assert "Rep C" not in content
    assert "Manager North" not in content
    xlsx = re.search(r'href="([^"]+)" data-testid="export-xlsx"', html).group(1)
    assert client.get(xlsx.replace("&amp;", "&")).status_code == 200


def test_user_detail_page(client: Client, org: Org) -> None:
    client.force_login(org.manager)
    html = page(client, reverse("user-detail", args=[org.manager.pk]))
    assert "Manager North" in html
    assert reverse("org-unit-detail", args=[org.north.pk]) in html  # manages North
    assert 'data-testid="user-edit"' not in html


# --- People: admin forms --------------------------------------------------------------------


def create_data(org: Org, **overrides: str) -> dict[str, str]:
    data = {
        "username": "newrep",
        "password": "a-Long-enough-pass-9",
        "display_name": "New Rep",
        "email": "new@example.com",
        "role": "rep",
        "org_unit": str(org.team_c.pk),
        "hire_date": "2025-02-03",
        "leave_date": "",
        "is_active": "on",
        "zoho_user_id": "z-5",
        "fxiaoke_user_id": "",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_person(admin_client: Client, org: Org) -> None:
    html = page(admin_client, reverse("user-create"), org_unit=org.team_c.pk)
    assert f'<option value="{org.team_c.pk}" selected>' in html
    response = admin_client.post(reverse("user-create"), create_data(org), follow=True)
    person = User.objects.get(username="newrep")
    assert response.redirect_chain[-1][0] == reverse("user-detail", args=[person.pk])
    assert "New Rep added." in response.content.decode()
    assert person.check_password("a-Long-enough-pass-9")
    assert (person.org_unit_id, person.hire_date, person.zoho_user_id) == (
        org.team_c.pk,
        datetime.date(2025, 2, 3),
        "z-5",
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"hire_date": "2025-02-03", "leave_date": "2025-01-01"},
            "leave_date",
            "The leave date cannot be before the hire date.",
        ),
        ({"org_unit": ""}, "org_unit", "A sales rep needs a home unit."),
        ({"username": "r"}, "username", "already exists"),
        ({"password": "123"}, "password", "This password is too short."),
        ({"email": "nope"}, "email", "Enter a valid email address."),
    ],
)
def test_create_person_errors_are_shown_next_to_the_field(
    admin_client: Client, org: Org, overrides: dict, field: str, message: str
) -> None:
    response = admin_client.post(reverse("user-create"), create_data(org, **overrides))
    assert response.status_code == 200
    html = response.content.decode()
    errors = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    assert errors is not None, html
    assert message in errors.group(1)
    assert not User.objects.filter(username="newrep").exists()


def test_admin_edits_a_person(admin_client: Client, org: Org) -> None:
    data = user_form_data(org.rep, org_unit=org.team_b.pk, leave_date="2025-12-31")
    response = admin_client.post(reverse("user-update", args=[org.rep.pk]), data, follow=True)
    assert "Changes saved." in response.content.decode()
    rep = User.objects.get(pk=org.rep.pk)
    assert (rep.org_unit_id, rep.leave_date) == (org.team_b.pk, datetime.date(2025, 12, 31))


def test_demoting_a_manager_who_manages_a_unit_is_explained(admin_client: Client, org: Org) -> None:
    data = user_form_data(org.manager, role="rep")
    response = admin_client.post(reverse("user-update", args=[org.manager.pk]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Manager North manages North; assign another manager first." in html
    assert User.objects.get(pk=org.manager.pk).role == Role.MANAGER


def test_chinese_interface(client: Client, org: Org) -> None:
    client.force_login(org.admin)
    response = client.get(reverse("org-tree"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "zh-hans"


# --- Large organisations --------------------------------------------------------------------


def test_big_trees_load_people_when_a_unit_is_opened(
    client: Client, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("salesgoals.views.org.INLINE_PEOPLE_LIMIT", 2)
    client.force_login(org.executive)
    html = page(client, reverse("org-tree"))
    team_a = unit_html(html, org.team_a)
    people_url = reverse("org-unit-people", args=[org.team_a.pk])
    assert f'hx-get="{people_url}"' in team_a
    assert "1 person in this unit" in team_a
    assert "Rep A" not in html
    fragment = client.get(people_url, **HTMX).content.decode()
    assert f'data-testid="person-{org.rep.pk}"' in fragment
    assert "<html" not in fragment


def test_unit_people_without_javascript_goes_to_the_filtered_people_page(
    client: Client, org: Org
) -> None:
    client.force_login(org.manager)
    response = client.get(reverse("org-unit-people", args=[org.team_a.pk]))
    assert response.status_code == 302
    html = page(client, response["Location"])
    assert people_ids(html) == {org.rep.pk}


def test_unit_people_is_scoped(client: Client, org: Org) -> None:
    UserFactory(display_name="Colleague", org_unit=org.team_a)
    client.force_login(org.rep)
    fragment = client.get(reverse("org-unit-people", args=[org.team_a.pk]), **HTMX)
    assert "Rep A" in fragment.content.decode()
    assert "Colleague" not in fragment.content.decode()
    response = client.get(reverse("org-unit-people", args=[org.team_b.pk]), **HTMX)
    assert response.status_code == 403
