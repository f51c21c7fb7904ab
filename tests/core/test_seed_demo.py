import datetime

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import RequestFactory

from salesgoals.demo import seed_all
from salesgoals.models import FiscalYear, OrgUnit, Period, Role, User

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 27)


def fingerprint() -> list[tuple]:
    return list(
        User.objects.order_by("username").values_list(
            "username", "display_name", "role", "org_unit__name", "hire_date", "leave_date"
        )
    )


def test_demo_company_shape() -> None:
    ctx = seed_all(today=TODAY, apps=())
    assert OrgUnit.objects.filter(kind=OrgUnit.Kind.REGION).count() == 3
    assert OrgUnit.objects.filter(kind=OrgUnit.Kind.TEAM).count() == 10
    assert 50 <= User.objects.filter(role=Role.REP).count() <= 70
    assert list(FiscalYear.objects.values_list("year", flat=True)) == [2024, 2025, 2026, 2027]
    assert Period.objects.filter(kind="month", fiscal_year__year=2026).count() == 12
    rep, manager = ctx.logins["rep"], ctx.logins["manager"]
    assert rep.org_unit.manager == manager
    assert all(r.hire_date for r in ctx.reps)


@pytest.mark.parametrize("username", ["admin", "executive", "manager", "rep"])
def test_demo_logins_use_the_documented_password(username) -> None:
    seed_all(today=TODAY, apps=())
    user = authenticate(RequestFactory().post("/"), username=username, password="salesgoals")
    assert user is not None
    assert user.role == username
    assert user.is_staff == (username == "admin")


def test_demo_data_is_deterministic() -> None:
    with transaction.atomic():
        seed_all(today=TODAY, apps=())
        first = fingerprint()
        transaction.set_rollback(True)
    assert not User.objects.exists()
    seed_all(today=TODAY, apps=())
    assert fingerprint() == first


def test_seed_command_if_empty_is_a_no_op_the_second_time(monkeypatch) -> None:
    monkeypatch.setattr("salesgoals.demo.APP_DEMOS", ())
    call_command("seed_demo")
    count = User.objects.count()
    call_command("seed_demo", "--if-empty")
    assert User.objects.count() == count
    with pytest.raises(CommandError):
        call_command("seed_demo")


def test_demo_data_is_refused_in_production(settings) -> None:
    settings.DEBUG = False
    settings.SALESGOALS = {**settings.SALESGOALS, "ALLOW_DEMO_DATA": False}
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
    assert not User.objects.exists()
