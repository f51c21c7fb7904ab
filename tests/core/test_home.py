import pytest
from django.urls import reverse

from salesgoals.models import Role
from tests.factories import UserFactory, unit

pytestmark = pytest.mark.django_db


def test_home_needs_login(client) -> None:
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize(
    ("role", "sees", "hidden"),
    [
        (Role.REP, ["area-targets", "area-org"], ["admin-setup", "area-crm", "area-users"]),
        (Role.MANAGER, ["scope-summary", "area-org", "area-users"], ["admin-setup", "area-crm"]),
        (Role.EXECUTIVE, ["scope-summary", "area-org"], ["admin-setup", "area-crm"]),
        (Role.ADMIN, ["admin-setup", "area-crm", "area-org"], ["scope-summary"]),
    ],
)
def test_home_is_role_aware(client, role, sees, hidden) -> None:
    team = unit("Team A")
    client.force_login(UserFactory(role=role, org_unit=team))
    page = client.get(reverse("home")).content.decode()
    for testid in sees:
        assert f'data-testid="{testid}"' in page
    for testid in hidden:
        assert f'data-testid="{testid}"' not in page


def test_home_says_honestly_when_no_fiscal_year_covers_today(client) -> None:
    client.force_login(UserFactory(role=Role.EXECUTIVE))
    page = client.get(reverse("home")).content.decode()
    assert "No fiscal year covers today yet." in page


def test_area_not_built_shows_empty_state_without_numbers(client) -> None:
    client.force_login(UserFactory(role=Role.REP))
    response = client.get(reverse("area", args=["targets"]))
    assert response.status_code == 200
    assert b'data-testid="area-empty"' in response.content


def test_area_outside_role_is_404(client) -> None:
    client.force_login(UserFactory(role=Role.REP))
    assert client.get(reverse("area", args=["crm"])).status_code == 404
    assert client.get(reverse("area", args=["nonsense"])).status_code == 404


def test_home_query_count_does_not_grow_with_people(client, django_assert_max_num_queries) -> None:
    team = unit("Team A")
    UserFactory.create_batch(30, org_unit=team)
    client.force_login(UserFactory(role=Role.ADMIN, org_unit=team))
    with django_assert_max_num_queries(20):
        assert client.get(reverse("home")).status_code == 200


def test_home_shows_working_days_of_the_current_periods(client, django_assert_max_num_queries):
    from django.utils import timezone

    from salesgoals import services
    from salesgoals.models import Period

    today = timezone.localdate()
    services.fiscal_year_generate(year=today.year)
    client.force_login(UserFactory(role=Role.REP))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("home"))
    rows = {row["period"].kind: row for row in response.context["time_progress"]}
    assert set(rows) == {"week", "month", "quarter", "year"}
    year = Period.objects.get(kind="year", fiscal_year__year=today.year)
    assert rows["year"]["total"] == year.working_days
    assert rows["year"]["elapsed"] + rows["year"]["left"] == year.working_days


@pytest.mark.parametrize(
    "model",
    [
        "user",
        "orgunit",
        "fiscalyear",
        "period",
        "calendarday",
        "metric",
        "notification",
        "companysettings",
    ],
)
def test_django_admin_has_every_core_model(client, model) -> None:
    client.force_login(UserFactory(role=Role.ADMIN))
    assert client.get(reverse(f"admin:salesgoals_{model}_changelist")).status_code == 200
