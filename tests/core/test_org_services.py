"""Org services: the tree stays a tree, managers are eligible, people's dates make sense."""

from __future__ import annotations

import datetime

import pytest

from salesgoals import services
from salesgoals.models import OrgUnit, Role, User
from salesgoals.services import OrgError
from tests.core.org_fixtures import Org, org_fixture  # noqa: F401
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def fresh(unit: OrgUnit) -> OrgUnit:
    return OrgUnit.objects.get(pk=unit.pk)


def errors_of(excinfo: pytest.ExceptionInfo[OrgError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# --- Subtree ------------------------------------------------------------------------------


def test_subtree_is_one_query(org: Org, django_assert_num_queries) -> None:
    north = fresh(org.north)
    with django_assert_num_queries(1):
        units = list(north.subtree())
    assert {u.pk for u in units} == {org.north.pk, org.team_a.pk, org.team_b.pk}


def test_subtree_q_covers_several_roots_in_one_query(org: Org, django_assert_num_queries) -> None:
    paths = [fresh(org.team_a).path, fresh(org.south).path]
    with django_assert_num_queries(1):
        units = list(OrgUnit.objects.filter(OrgUnit.subtree_q(paths)))
    assert {u.pk for u in units} == {org.team_a.pk, org.south.pk, org.team_c.pk}


# --- Create -------------------------------------------------------------------------------


def test_create_adds_a_child_under_the_parent(org: Org) -> None:
    team = services.org_unit_create(name="  Team D ", parent=org.south, code="team-d")
    assert team.name == "Team D"
    assert team.kind == OrgUnit.Kind.TEAM
    assert OrgUnit.objects.get_parent(fresh(team)).pk == org.south.pk
    assert fresh(org.south).numchild == 2


def test_only_one_company(org: Org) -> None:
    with pytest.raises(OrgError) as excinfo:
        services.org_unit_create(name="Other Co", parent=None, kind=OrgUnit.Kind.COMPANY)
    assert "parent" in errors_of(excinfo)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "   "}, "name"),
        ({"name": "X", "kind": "galaxy"}, "kind"),
        ({"name": "Team A"}, "name"),  # a sibling already has that name
        ({"name": "team a"}, "name"),  # names are compared without case
    ],
)
def test_create_rejects_bad_input(org: Org, kwargs: dict, field: str) -> None:
    before = OrgUnit.objects.count()
    with pytest.raises(OrgError) as excinfo:
        services.org_unit_create(parent=org.north, **kwargs)
    assert field in errors_of(excinfo)
    assert OrgUnit.objects.count() == before


def test_create_rejects_a_taken_code(org: Org) -> None:
    services.org_unit_create(name="D", parent=org.south, code="dup")
    with pytest.raises(OrgError) as excinfo:
        services.org_unit_create(name="E", parent=org.south, code="dup")
    assert "code" in errors_of(excinfo)


def test_same_name_is_fine_under_another_parent(org: Org) -> None:
    assert services.org_unit_create(name="Team A", parent=org.south).name == "Team A"


# --- Move ---------------------------------------------------------------------------------


def test_move_takes_the_subtree_along(org: Org) -> None:
    services.org_unit_move(unit=org.north, new_parent=org.south)
    south = fresh(org.south)
    assert {u.pk for u in south.subtree()} == {
        org.south.pk,
        org.team_c.pk,
        org.north.pk,
        org.team_a.pk,
        org.team_b.pk,
    }
    assert fresh(org.team_a).depth == 4
    assert fresh(org.company).numchild == 1
    assert not any(OrgUnit.objects.find_problems())


@pytest.mark.parametrize("target", ["self", "child"])
def test_move_prevents_cycles(org: Org, target: str) -> None:
    new_parent = org.north if target == "self" else org.team_a
    before = {u.pk: u.path for u in OrgUnit.objects.all()}
    with pytest.raises(OrgError) as excinfo:
        services.org_unit_move(unit=org.north, new_parent=new_parent)
    assert "parent" in errors_of(excinfo)
    assert {u.pk: u.path for u in OrgUnit.objects.all()} == before


def test_move_of_the_company_is_refused(org: Org) -> None:
    with pytest.raises(OrgError):
        services.org_unit_move(unit=org.company, new_parent=org.team_c)


def test_move_refuses_a_name_clash_under_the_new_parent(org: Org) -> None:
    services.org_unit_create(name="Team A", parent=org.south)
    with pytest.raises(OrgError) as excinfo:
        services.org_unit_move(unit=org.team_a, new_parent=org.south)
    assert "parent" in errors_of(excinfo)


def test_move_to_the_current_parent_changes_nothing(org: Org) -> None:
    path = fresh(org.team_a).path
    services.org_unit_move(unit=org.team_a, new_parent=org.north)
    assert fresh(org.team_a).path == path


def test_move_keeps_members_with_their_unit(org: Org) -> None:
    services.org_unit_move(unit=org.team_a, new_parent=org.south)
    rep = User.objects.select_related("org_unit").get(pk=org.rep.pk)
    assert rep.org_unit_id == org.team_a.pk
    assert rep.org_unit.path.startswith(fresh(org.south).path)


# --- Manager ------------------------------------------------------------------------------


def test_manager_assignment_accepts_managers_and_executives(org: Org) -> None:
    services.org_unit_set_manager(unit=org.team_a, manager=org.manager)
    assert fresh(org.team_a).manager_id == org.manager.pk
    services.org_unit_set_manager(unit=org.team_a, manager=org.executive)
    assert fresh(org.team_a).manager_id == org.executive.pk
    services.org_unit_set_manager(unit=org.team_a, manager=None)
    assert fresh(org.team_a).manager_id is None


def test_a_rep_cannot_manage_a_unit(org: Org) -> None:
    with pytest.raises(OrgError) as excinfo:
        services.org_unit_set_manager(unit=org.team_a, manager=org.rep)
    assert "manager" in errors_of(excinfo)
    assert fresh(org.team_a).manager_id is None


def test_an_inactive_person_cannot_manage_a_unit(org: Org) -> None:
    gone = UserFactory(role=Role.MANAGER, org_unit=org.north, is_active=False)
    with pytest.raises(OrgError) as excinfo:
        services.org_unit_set_manager(unit=org.team_a, manager=gone)
    assert "manager" in errors_of(excinfo)


# --- Update, change, delete ----------------------------------------------------------------


def test_update_renames_and_recodes(org: Org) -> None:
    services.org_unit_update(unit=org.team_a, name="Alpha", code="alpha", kind="department")
    unit = fresh(org.team_a)
    assert (unit.name, unit.code, unit.kind) == ("Alpha", "alpha", "department")
    services.org_unit_update(unit=unit, code="")
    assert fresh(unit).code is None


def test_rename_to_a_sibling_name_is_refused(org: Org) -> None:
    with pytest.raises(OrgError) as excinfo:
        services.org_unit_update(unit=org.team_a, name="Team B")
    assert "name" in errors_of(excinfo)


def test_a_unit_with_active_people_cannot_be_deactivated(org: Org) -> None:
    with pytest.raises(OrgError) as excinfo:
        services.org_unit_update(unit=org.north, is_active=False)
    assert "is_active" in errors_of(excinfo)
    empty = services.org_unit_create(name="Empty", parent=org.south)
    assert services.org_unit_update(unit=empty, is_active=False).is_active is False


def test_change_is_all_or_nothing(org: Org) -> None:
    # The move succeeds, then the rename fails: the move must be rolled back too.
    path = fresh(org.team_a).path
    with pytest.raises(OrgError):
        services.org_unit_change(unit=org.team_a, parent=org.south, name="Team C")
    unit = fresh(org.team_a)
    assert (unit.path, unit.name) == (path, "Team A")


def test_change_moves_renames_and_sets_manager(org: Org) -> None:
    unit = services.org_unit_change(
        unit=org.team_a, parent=org.south, name="Alpha", manager=org.manager_south
    )
    unit = fresh(unit)
    assert OrgUnit.objects.get_parent(unit).pk == org.south.pk
    assert (unit.name, unit.manager_id) == ("Alpha", org.manager_south.pk)


def test_delete_an_empty_unit(org: Org) -> None:
    empty = services.org_unit_create(name="Empty", parent=org.south)
    services.org_unit_delete(unit=empty)
    assert not OrgUnit.objects.filter(pk=empty.pk).exists()
    assert fresh(org.south).numchild == 1


@pytest.mark.parametrize("which", ["company", "north", "team_a"])
def test_delete_refuses_units_with_children_people_or_the_company(org: Org, which: str) -> None:
    unit = getattr(org, which)
    with pytest.raises(OrgError) as excinfo:
        services.org_unit_delete(unit=unit)
    assert errors_of(excinfo)["detail"]
    assert OrgUnit.objects.filter(pk=unit.pk).exists()


# --- People -------------------------------------------------------------------------------


def test_user_create_with_password_and_crm_ids(org: Org) -> None:
    user = services.user_create(
        username="newbie",
        role=Role.REP,
        org_unit=org.team_b,
        password="a-Long-enough-pass-9",
        hire_date=datetime.date(2024, 3, 1),
        zoho_user_id="z-1",
        fxiaoke_user_id="fx-1",
    )
    assert user.check_password("a-Long-enough-pass-9")
    assert (user.zoho_user_id, user.fxiaoke_user_id) == ("z-1", "fx-1")
    assert not user.is_staff


def test_user_create_without_password_cannot_log_in(org: Org) -> None:
    user = services.user_create(username="nopass", org_unit=org.team_a)
    assert not user.has_usable_password()


def test_admins_get_the_django_admin(org: Org) -> None:
    user = services.user_create(username="boss", role=Role.ADMIN)
    assert user.is_staff
    assert user.is_superuser
    services.user_update(user=user, role=Role.EXECUTIVE)
    user.refresh_from_db()
    assert not user.is_staff
    assert not user.is_superuser


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"username": "R"}, "username"),  # taken, whatever the case
        ({"username": " "}, "username"),
        ({"username": "x", "role": "boss"}, "role"),
        ({"username": "x", "org_unit": None}, "org_unit"),  # a rep needs a unit
        (
            {
                "username": "x",
                "hire_date": datetime.date(2024, 5, 1),
                "leave_date": datetime.date(2024, 4, 30),
            },
            "leave_date",
        ),
    ],
)
def test_user_create_rejects_bad_input(org: Org, kwargs: dict, field: str) -> None:
    kwargs = {"org_unit": org.team_a, **kwargs}
    before = User.objects.count()
    with pytest.raises(OrgError) as excinfo:
        services.user_create(**kwargs)
    assert field in errors_of(excinfo)
    assert User.objects.count() == before


def test_leave_date_on_the_hire_date_is_fine(org: Org) -> None:
    day = datetime.date(2024, 5, 1)
    user = services.user_create(username="oneday", org_unit=org.team_a, hire_date=day)
    services.user_update(user=user, leave_date=day)
    assert User.objects.get(pk=user.pk).leave_date == day


def test_user_update_checks_dates_against_stored_values(org: Org) -> None:
    # The rep was hired on 2023-01-01 (factory default).
    with pytest.raises(OrgError) as excinfo:
        services.user_update(user=org.rep, leave_date=datetime.date(2022, 12, 31))
    assert "leave_date" in errors_of(excinfo)
    assert User.objects.get(pk=org.rep.pk).leave_date is None


def test_user_update_refuses_unknown_fields(org: Org) -> None:
    with pytest.raises(OrgError):
        services.user_update(user=org.rep, is_superuser=True)
    assert not User.objects.get(pk=org.rep.pk).is_superuser


@pytest.mark.parametrize(
    ("change", "field"), [({"role": Role.REP}, "role"), ({"is_active": False}, "is_active")]
)
def test_a_manager_of_units_keeps_the_role_until_replaced(
    org: Org, change: dict, field: str
) -> None:
    with pytest.raises(OrgError) as excinfo:
        services.user_update(user=org.manager, **change)
    assert field in errors_of(excinfo)
    assert "North" in errors_of(excinfo)[field][0]
    services.org_unit_set_manager(unit=org.north, manager=None)
    services.user_update(user=User.objects.get(pk=org.manager.pk), **change)


def test_user_move_and_inactive_units(org: Org) -> None:
    services.user_move(user=org.rep, org_unit=org.team_b)
    assert User.objects.get(pk=org.rep.pk).org_unit_id == org.team_b.pk
    closed = services.org_unit_create(name="Closed", parent=org.south)
    services.org_unit_update(unit=closed, is_active=False)
    with pytest.raises(OrgError):
        services.user_move(user=org.rep, org_unit=closed)
    with pytest.raises(OrgError):
        services.user_update(user=org.rep, org_unit=fresh(closed))
    assert User.objects.get(pk=org.rep.pk).org_unit_id == org.team_b.pk


def test_an_admin_cannot_lock_themselves_out(org: Org) -> None:
    with pytest.raises(OrgError) as excinfo:
        services.user_update(user=org.admin, by=org.admin, role=Role.EXECUTIVE)
    assert "role" in errors_of(excinfo)
    with pytest.raises(OrgError) as excinfo:
        services.user_update(user=org.admin, by=org.admin, is_active=False)
    assert "is_active" in errors_of(excinfo)
    assert User.objects.get(pk=org.admin.pk).role == Role.ADMIN
    other_admin = UserFactory(role=Role.ADMIN)
    services.user_update(user=org.admin, by=other_admin, role=Role.EXECUTIVE)
    assert User.objects.get(pk=org.admin.pk).role == Role.EXECUTIVE


def test_history_of_former_members_blocks_deleting_a_unit(org: Org) -> None:
    # Reorganising never deletes history: a unit someone belonged to is deactivated instead.
    team = services.org_unit_create(name="Short-lived", parent=org.south)
    person = services.user_create(username="mover", org_unit=team)
    services.user_move(user=person, org_unit=org.team_c)
    with pytest.raises(services.OrgError, match="Unit memberships"):
        services.org_unit_delete(unit=team)
    assert OrgUnit.objects.filter(pk=team.pk).exists()
    services.org_unit_update(unit=team, is_active=False)
    assert User.objects.get(pk=person.pk).org_unit_id == org.team_c.pk
