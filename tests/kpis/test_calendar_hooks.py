"""KPI cells follow the calendar: new fiscal years roll up, changed working days re-derive pace."""

import datetime

import pytest

from kpis import rollup
from kpis.models import KpiValue
from kpis.services import deal_mark_won, deal_upsert
from salesgoals import services
from salesgoals.models import CalendarDay, Period
from tests.factories import UserFactory, unit

pytestmark = pytest.mark.django_db


def test_generating_a_year_rolls_up_facts_already_dated_in_it(
    django_capture_on_commit_callbacks,
) -> None:
    rep = UserFactory(org_unit=unit("Team A"))
    deal = deal_upsert(
        owner=rep,
        name="Early bird",
        amount=1000,
        created_date=datetime.date(2031, 1, 5),
        close_date=datetime.date(2031, 1, 10),
    )
    deal_mark_won(deal=deal, close_date=datetime.date(2031, 1, 10))
    rollup.drain_outbox()
    assert not KpiValue.objects.filter(metric__code="revenue").exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.fiscal_year_generate(year=2031)

    cell = KpiValue.objects.get(
        metric__code="revenue", owner_type="rep", owner_id=rep.pk, period__kind="year"
    )
    assert cell.actual == 100000


def test_a_company_day_off_refreshes_the_cells_of_its_periods(
    django_capture_on_commit_callbacks, monkeypatch
) -> None:
    services.fiscal_year_generate(year=2026)
    refreshed: list[list[int]] = []
    monkeypatch.setattr(
        "kpis.rollup.refresh_derived", lambda *, period_ids: refreshed.append(period_ids)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.calendar_day_set(
            date=datetime.date(2026, 3, 10), kind=CalendarDay.Kind.CLOSED, note="Offsite"
        )
    expected = sorted(
        Period.objects.filter(
            start__lte=datetime.date(2026, 3, 10), end__gte=datetime.date(2026, 3, 10)
        ).values_list("pk", flat=True)
    )
    assert refreshed == [expected]


def test_bulk_loads_can_suspend_the_hooks(django_capture_on_commit_callbacks) -> None:
    from salesgoals import hooks

    with django_capture_on_commit_callbacks() as callbacks, hooks.suspended():
        services.fiscal_year_generate(year=2030)
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        services.fiscal_year_generate(year=2031)
    assert len(callbacks) == 1
