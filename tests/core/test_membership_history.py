"""A person's unit as of a date: moving a rep never drags their history along."""

import datetime

import pytest

from salesgoals import selectors, services
from salesgoals.models import OrgMembership, Role
from tests.factories import unit

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def teams():
    return unit("Team A"), unit("Team B"), unit("Team C")


def test_first_unit_covers_all_the_past(teams) -> None:
    team_a, _, _ = teams
    rep = services.user_create(username="r", role=Role.REP, org_unit=team_a)
    assert selectors.unit_as_of(rep, D(2001, 5, 1)) == team_a
    assert selectors.unit_as_of(rep, D(2030, 5, 1)) == team_a


def test_move_mid_year_keeps_the_old_unit_before_the_move(teams) -> None:
    team_a, team_b, _ = teams
    rep = services.user_create(username="r", role=Role.REP, org_unit=team_a)
    services.user_move(user=rep, org_unit=team_b, effective_date=D(2026, 7, 1))
    assert selectors.unit_as_of(rep, D(2026, 6, 30)) == team_a
    assert selectors.unit_as_of(rep, D(2026, 7, 1)) == team_b
    rep.refresh_from_db()
    assert rep.org_unit == team_b


def test_update_with_new_unit_records_history(teams) -> None:
    team_a, team_b, team_c = teams
    rep = services.user_create(username="r", role=Role.REP, org_unit=team_a)
    services.user_update(user=rep, org_unit=team_b, effective_date=D(2026, 3, 1))
    services.user_update(user=rep, org_unit=team_c, effective_date=D(2026, 9, 1))
    got = selectors.unit_ids_as_of(
        [(rep.pk, D(2026, 2, 28)), (rep.pk, D(2026, 3, 1)), (rep.pk, D(2026, 12, 1))]
    )
    assert got == {
        (rep.pk, D(2026, 2, 28)): team_a.pk,
        (rep.pk, D(2026, 3, 1)): team_b.pk,
        (rep.pk, D(2026, 12, 1)): team_c.pk,
    }


def test_two_moves_on_one_day_keep_one_open_membership(teams) -> None:
    team_a, team_b, team_c = teams
    rep = services.user_create(username="r", role=Role.REP, org_unit=team_a)
    services.user_move(user=rep, org_unit=team_b, effective_date=D(2026, 5, 1))
    services.user_move(user=rep, org_unit=team_c, effective_date=D(2026, 5, 1))
    assert OrgMembership.objects.filter(user=rep, valid_to__isnull=True).count() == 1
    assert selectors.unit_as_of(rep, D(2026, 4, 30)) == team_a
    assert selectors.unit_as_of(rep, D(2026, 5, 1)) == team_c


def test_moving_back_the_same_day_restores_the_old_membership(teams) -> None:
    team_a, team_b, _ = teams
    rep = services.user_create(username="r", role=Role.REP, org_unit=team_a)
    services.user_move(user=rep, org_unit=team_b, effective_date=D(2026, 5, 1))
    services.user_move(user=rep, org_unit=team_a, effective_date=D(2026, 5, 1))
    assert list(OrgMembership.objects.filter(user=rep).values_list("org_unit", "valid_to")) == [
        (team_a.pk, None)
    ]
