"""The fiscal calendar page: what each role sees, admin forms, refusals and their messages."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from salesgoals import services
from salesgoals.models import CalendarDay, CompanySettings, FiscalYear, Period, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("calendar")


@pytest.fixture
def years():
    return [services.fiscal_year_generate(year=y) for y in (2025, 2026, 2027)]


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role=Role.ADMIN))
    return client


def _page(client, **params) -> str:
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def test_needs_login(client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER, Role.EXECUTIVE, Role.ADMIN])
def test_every_role_sees_the_calendar(client, years, role) -> None:
    client.force_login(UserFactory(role=role))
    page = _page(client, year=2025)
    assert 'data-testid="period-tree"' in page
    assert "FY2025 Q1" in page
    assert "January 2025" in page
    # A clipped gregorian week: Saturday 1 Feb 2025 is the rest of week 5.
    assert "W05 · Feb 1" in page
    # Holidays and make-up workdays with their tags.
    assert 'data-testid="official-2025-01-29"' in page
    assert 'data-testid="official-2025-01-26"' in page
    assert "make-up workday" in page
    # Admin tools only for admins.
    assert ('data-testid="calendar-admin"' in page) == (role == Role.ADMIN)


def test_defaults_to_the_year_containing_today(client, years) -> None:
    client.force_login(UserFactory(role=Role.REP))
    response = client.get(URL)
    today = datetime.date.today()
    expected = FiscalYear.objects.filter(start__lte=today, end__gte=today).first()
    shown = response.context["fiscal_year"]
    assert shown == (expected or years[-1])


def test_provisional_year_is_tagged_and_explained(client, years) -> None:
    client.force_login(UserFactory(role=Role.REP))
    page = _page(client, year=2027)
    assert 'data-testid="provisional-note"' in page
    assert "has not published" in page
    assert 'data-testid="recount"' not in page  # admins only
    assert 'data-testid="provisional-note"' not in _page(client, year=2025)


def test_empty_state_without_fiscal_years(client) -> None:
    client.force_login(UserFactory(role=Role.REP))
    page = _page(client)
    assert 'data-testid="calendar-empty"' in page
    assert "ask your administrator" in page


def test_admin_empty_state_offers_generation(admin_client) -> None:
    page = _page(admin_client)
    assert 'data-testid="calendar-empty"' in page
    assert 'data-testid="generate"' in page


def test_admin_generates_a_year(admin_client, years) -> None:
    response = admin_client.post(reverse("calendar-generate"), {"year": 2028}, follow=True)
    assert response.redirect_chain[-1][0].endswith("?year=2028")
    assert FiscalYear.objects.filter(year=2028).exists()
    page = response.content.decode()
    assert "FY2028 generated with" in page
    # The suggestion moves on to the next year.
    assert response.context["generate_form"].initial["year"] == 2029


def test_generation_errors_are_shown_next_to_the_field(admin_client, years) -> None:
    response = admin_client.post(reverse("calendar-generate"), {"year": 2026})
    assert response.status_code == 400
    assert response.context["generate_form"].errors["year"] == ["Fiscal year 2026 already exists."]
    assert "Fiscal year 2026 already exists." in response.content.decode()

    response = admin_client.post(reverse("calendar-generate"), {"year": "next"})
    assert response.status_code == 400
    assert "year" in response.context["generate_form"].errors


def test_admin_adds_and_removes_a_company_day(admin_client, years) -> None:
    june = Period.objects.get(fiscal_year__year=2025, kind="month", number=6)
    response = admin_client.post(
        reverse("calendar-day-add"),
        {"date": "2025-06-13", "kind": "closed", "note": "Company offsite"},
        follow=True,
    )
    assert response.redirect_chain[-1][0].endswith("?year=2025")
    page = response.content.decode()
    assert 'data-testid="override-2025-06-13"' in page
    assert "Company offsite" in page
    june_after = Period.objects.get(pk=june.pk)
    assert june_after.working_days == june.working_days - 1

    day = CalendarDay.objects.get(date=datetime.date(2025, 6, 13))
    response = admin_client.post(reverse("calendar-day-remove", args=[day.pk]), follow=True)
    assert response.status_code == 200
    assert not CalendarDay.objects.exists()
    assert Period.objects.get(pk=june.pk).working_days == june.working_days


def test_company_day_errors_are_shown_next_to_the_field(admin_client, years) -> None:
    response = admin_client.post(
        reverse("calendar-day-add"), {"date": "2025-10-01", "kind": "closed"}
    )
    assert response.status_code == 400
    errors = response.context["day_form"].errors
    assert "already a day off" in errors["date"][0]
    assert "already a day off" in response.content.decode()

    response = admin_client.post(reverse("calendar-day-add"), {"date": "", "kind": "closed"})
    assert response.status_code == 400
    assert "date" in response.context["day_form"].errors


def test_admin_updates_the_calendar_settings(admin_client, years) -> None:
    data = {
        "fiscal_year_start_month": 4,
        "week_start": 6,
        "calendar_type": "445",
        "holiday_region": "CN",
    }
    response = admin_client.post(reverse("calendar-settings"), data, follow=True)
    assert response.status_code == 200
    assert "apply to fiscal years generated from now on" in response.content.decode()
    settings = CompanySettings.load()
    assert (settings.fiscal_year_start_month, settings.week_start, settings.calendar_type) == (
        4,
        6,
        "445",
    )
    # Existing years keep their shape.
    assert FiscalYear.objects.get(year=2025).calendar_type == "gregorian"


def test_settings_errors_are_shown(admin_client) -> None:
    data = {
        "fiscal_year_start_month": 13,
        "week_start": 0,
        "calendar_type": "gregorian",
        "holiday_region": "XX",
    }
    response = admin_client.post(reverse("calendar-settings"), data)
    assert response.status_code == 400
    errors = response.context["settings_form"].errors
    assert set(errors) == {"fiscal_year_start_month", "holiday_region"}
    assert CompanySettings.load().fiscal_year_start_month == 1


def test_admin_recounts_a_year(admin_client, years) -> None:
    Period.objects.filter(fiscal_year=years[0]).update(working_days=0)
    response = admin_client.post(reverse("calendar-recompute", args=[2025]), follow=True)
    assert response.status_code == 200
    assert Period.objects.get(fiscal_year=years[0], kind="year").working_days > 240


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER, Role.EXECUTIVE])
def test_non_admin_posts_are_forbidden(client, years, role) -> None:
    client.force_login(UserFactory(role=role))
    day = services.calendar_day_set(date=datetime.date(2025, 6, 13), kind="closed")
    posts = [
        (reverse("calendar-generate"), {"year": 2028}),
        (reverse("calendar-day-add"), {"date": "2025-06-12", "kind": "closed"}),
        (reverse("calendar-day-remove", args=[day.pk]), {}),
        (
            reverse("calendar-settings"),
            {
                "fiscal_year_start_month": 4,
                "week_start": 0,
                "calendar_type": "gregorian",
                "holiday_region": "CN",
            },
        ),
        (reverse("calendar-recompute", args=[2025]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert not FiscalYear.objects.filter(year=2028).exists()
    assert CalendarDay.objects.count() == 1
    assert CompanySettings.load().fiscal_year_start_month == 1


def test_page_query_count_does_not_grow_with_periods(
    client, years, django_assert_max_num_queries
) -> None:
    client.force_login(UserFactory(role=Role.ADMIN))
    for day in (6, 9, 10, 11, 12):
        services.calendar_day_set(date=datetime.date(2025, 6, day), kind="closed")
    with django_assert_max_num_queries(10):
        assert client.get(URL, {"year": 2025}).status_code == 200


def test_page_in_chinese(client, years) -> None:
    client.force_login(UserFactory(role=Role.REP))
    response = client.get(URL, {"year": 2025}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "春节" in response.content.decode()
