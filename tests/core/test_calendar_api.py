"""fiscal-years/, periods/ and calendar-days/: permissions, shapes, filters, exports."""

from __future__ import annotations

import datetime

import pytest

from salesgoals import services
from salesgoals.models import CalendarDay, FiscalYear, Period, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FISCAL_YEARS = "/api/v1/fiscal-years/"
PERIODS = "/api/v1/periods/"
DAYS = "/api/v1/calendar-days/"


@pytest.fixture
def admin(api_client):
    api_client.force_authenticate(UserFactory(role=Role.ADMIN))
    return api_client


@pytest.fixture
def rep(api_client):
    api_client.force_authenticate(UserFactory(role=Role.REP))
    return api_client


@pytest.fixture
def fy2025():
    return services.fiscal_year_generate(year=2025)


def test_anonymous_is_refused(api_client) -> None:
    assert api_client.get(FISCAL_YEARS).status_code in (401, 403)
    assert api_client.get(PERIODS).status_code in (401, 403)


def test_admin_generates_a_year_with_its_periods(admin) -> None:
    response = admin.post(FISCAL_YEARS, {"year": 2026}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["year"] == 2026
    assert body["label"] == "FY2026"
    assert body["start"] == "2026-01-01"
    assert body["end"] == "2026-12-31"
    assert body["calendar_type"] == "gregorian"
    assert body["holiday_region"] == "CN"
    assert body["is_provisional"] is False
    fiscal_year = FiscalYear.objects.get(year=2026)
    assert fiscal_year.periods.filter(kind="month").count() == 12
    assert fiscal_year.periods.filter(kind="quarter").count() == 4


@pytest.mark.parametrize("role", [Role.REP, Role.MANAGER, Role.EXECUTIVE])
def test_only_admins_write(api_client, role, fy2025) -> None:
    api_client.force_authenticate(UserFactory(role=role))
    assert api_client.get(FISCAL_YEARS).status_code == 200
    assert api_client.post(FISCAL_YEARS, {"year": 2026}, format="json").status_code == 403
    assert not FiscalYear.objects.filter(year=2026).exists()
    day = {"date": "2025-06-13", "kind": "closed", "note": "x"}
    assert api_client.post(DAYS, day, format="json").status_code == 403
    assert not CalendarDay.objects.exists()


def test_duplicate_year_is_a_400_on_the_year_field(admin, fy2025) -> None:
    response = admin.post(FISCAL_YEARS, {"year": 2025}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["year"]
    assert "already exists" in body["year"][0]


def test_gap_with_a_neighbour_is_a_400(admin, fy2025) -> None:
    services.company_calendar_update(fiscal_year_start_month=4)
    response = admin.post(FISCAL_YEARS, {"year": 2026}, format="json")
    assert response.status_code == 400
    assert "no fiscal year" in response.json()["year"][0]
    assert not FiscalYear.objects.filter(year=2026).exists()


def test_bad_year_is_a_400(admin) -> None:
    assert admin.post(FISCAL_YEARS, {}, format="json").status_code == 400
    response = admin.post(FISCAL_YEARS, {"year": "soon"}, format="json")
    assert response.status_code == 400
    assert "year" in response.json()


def test_fiscal_years_filter_by_year(rep, fy2025) -> None:
    services.fiscal_year_generate(year=2026)
    body = rep.get(FISCAL_YEARS, {"year": 2026}).json()
    assert [row["year"] for row in body["results"]] == [2026]
    detail = rep.get(f"{FISCAL_YEARS}{fy2025.pk}/").json()
    assert detail["label"] == "FY2025"


def test_periods_list_shape_and_filters(rep, fy2025) -> None:
    services.fiscal_year_generate(year=2026)
    body = rep.get(PERIODS, {"fiscal_year": 2025, "kind": "month"}).json()
    assert body["count"] == 12
    first = body["results"][0]
    assert set(first) >= {
        "id",
        "fiscal_year",
        "kind",
        "number",
        "start",
        "end",
        "parent",
        "label",
        "working_days",
    }
    assert first["fiscal_year"] == 2025
    assert first["label"] == "2025-01"
    assert first["start"] == "2025-01-01"
    assert first["working_days"] == 19
    quarter = Period.objects.get(fiscal_year=fy2025, kind="quarter", number=1)
    assert first["parent"] == quarter.pk

    children = rep.get(PERIODS, {"parent": quarter.pk}).json()
    assert [row["label"] for row in children["results"]] == ["2025-01", "2025-02", "2025-03"]

    containing = rep.get(PERIODS, {"contains": "2025-10-01"}).json()
    assert [row["kind"] for row in containing["results"]] == ["year", "quarter", "month", "week"]


def test_periods_are_paginated(rep, fy2025) -> None:
    body = rep.get(PERIODS, {"fiscal_year": 2025, "page_size": 10}).json()
    assert body["count"] == Period.objects.filter(fiscal_year=fy2025).count()
    assert len(body["results"]) == 10
    assert body["next"]


def test_periods_are_read_only(admin, fy2025) -> None:
    period = Period.objects.filter(fiscal_year=fy2025).first()
    assert admin.post(PERIODS, {}, format="json").status_code == 405
    assert admin.delete(f"{PERIODS}{period.pk}/").status_code == 405


def test_periods_list_query_count_does_not_grow(rep, fy2025, django_assert_max_num_queries):
    services.fiscal_year_generate(year=2026)
    # session-less token auth: count, page of rows (with the fiscal year joined), and slack.
    with django_assert_max_num_queries(4):
        response = rep.get(PERIODS, {"page_size": 500})
    assert response.status_code == 200
    assert len(response.json()["results"]) > 100


def test_periods_export_csv(rep, fy2025) -> None:
    response = rep.get(PERIODS, {"fiscal_year": 2025, "kind": "quarter", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("id,fiscal_year,kind,number,start,end,parent,label")
    assert len(lines) == 1 + 4
    assert "FY2025 Q1" in lines[1]


def test_fiscal_years_export_xlsx(rep, fy2025) -> None:
    response = rep.get(FISCAL_YEARS, {"format": "xlsx"})
    assert response.status_code == 200
    assert response.content[:2] == b"PK"


def test_calendar_days_admin_write_recounts_periods(admin, fy2025) -> None:
    month = Period.objects.get(fiscal_year=fy2025, kind="month", number=6)
    before = month.working_days
    response = admin.post(
        DAYS, {"date": "2025-06-13", "kind": "closed", "note": "Offsite"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "closed"
    month.refresh_from_db()
    assert month.working_days == before - 1

    pk = response.json()["id"]
    listed = admin.get(DAYS, {"date_from": "2025-06-01", "date_to": "2025-06-30"}).json()
    assert [row["date"] for row in listed["results"]] == ["2025-06-13"]

    moved = admin.patch(f"{DAYS}{pk}/", {"date": "2025-06-12"}, format="json")
    assert moved.status_code == 200, moved.content
    assert CalendarDay.objects.get().date == datetime.date(2025, 6, 12)
    month.refresh_from_db()
    assert month.working_days == before - 1

    assert admin.delete(f"{DAYS}{CalendarDay.objects.get().pk}/").status_code == 204
    month.refresh_from_db()
    assert month.working_days == before


def test_calendar_day_that_changes_nothing_is_a_400(admin) -> None:
    response = admin.post(DAYS, {"date": "2025-10-01", "kind": "closed"}, format="json")
    assert response.status_code == 400
    assert "date" in response.json()
    response = admin.post(DAYS, {"date": "2025-10-02", "kind": "sometimes"}, format="json")
    assert response.status_code == 400
    assert "kind" in response.json()


def test_everyone_reads_calendar_days(rep) -> None:
    services.calendar_day_set(date=datetime.date(2025, 6, 13), kind="closed")
    body = rep.get(DAYS).json()
    assert body["count"] == 1
    assert body["results"][0]["date"] == "2025-06-13"


# --- the services behind the endpoints ------------------------------------------------------


def test_generation_refuses_overlaps_and_gaps(fy2025) -> None:
    services.company_calendar_update(fiscal_year_start_month=7)
    with pytest.raises(services.CalendarError) as error:
        services.fiscal_year_generate(year=2024)  # Jul 2024 - Jun 2025 overlaps FY2025
    assert "overlap" in error.value.message_dict["year"][0]

    services.company_calendar_update(fiscal_year_start_month=1, calendar_type="445")
    with pytest.raises(services.CalendarError) as error:
        # Starts on Monday 29 Dec 2025, overlapping FY2025's last days.
        services.fiscal_year_generate(year=2026)
    assert "overlap" in error.value.message_dict["year"][0]
    with pytest.raises(services.CalendarError) as error:
        # Ends on Sunday 29 Dec 2024, leaving 30-31 Dec 2024 uncovered before FY2025.
        services.fiscal_year_generate(year=2024)
    assert "would end on" in error.value.message_dict["year"][0]
    assert FiscalYear.objects.count() == 1


def test_week_based_generation_copies_the_settings_in() -> None:
    services.company_calendar_update(
        fiscal_year_start_month=4, week_start=6, calendar_type="445", holiday_region="cn"
    )
    fiscal_year = services.fiscal_year_generate(year=2026)
    assert (fiscal_year.start, fiscal_year.end) == (
        datetime.date(2026, 3, 29),
        datetime.date(2027, 4, 3),
    )
    assert (fiscal_year.calendar_type, fiscal_year.start_month, fiscal_year.week_start) == (
        "445",
        4,
        6,
    )
    assert fiscal_year.holiday_region == "CN"
    assert fiscal_year.is_provisional  # January to April 2027 is not published yet
    assert fiscal_year.periods.filter(kind="week").count() == 53
    last_month = fiscal_year.periods.get(kind="month", number=12)
    assert last_month.children.count() == 6
    # Later settings changes do not touch it.
    services.company_calendar_update(calendar_type="gregorian")
    fiscal_year.refresh_from_db()
    assert fiscal_year.calendar_type == "445"


def test_settings_update_validates_every_field() -> None:
    with pytest.raises(services.CalendarError) as error:
        services.company_calendar_update(
            fiscal_year_start_month=0, week_start=7, calendar_type="13x4", holiday_region="XX"
        )
    assert set(error.value.message_dict) == {
        "fiscal_year_start_month",
        "week_start",
        "calendar_type",
        "holiday_region",
    }
