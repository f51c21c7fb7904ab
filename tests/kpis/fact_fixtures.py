"""Fixtures for the fact tests: the org of `tests.core.org_fixtures` and a few facts.

The outbox drain is switched off so tests see the dirty keys a write leaves behind (and do
not depend on the rollup).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from kpis import services
from kpis.models import Activity, Customer, Deal, Order, Payment
from salesgoals.models import User
from tests.core.org_fixtures import Org, build_org

DAY = datetime.date(2026, 3, 16)


@pytest.fixture(autouse=True)
def _no_drain(settings: Any) -> None:
    settings.SALESGOALS = {**settings.SALESGOALS, "DRAIN_ON_COMMIT": False}


@pytest.fixture(name="org")
def org_fixture(db: None) -> Org:
    return build_org()


def make_customer(owner: User, name: str = "Acme Trading", **kw: Any) -> Customer:
    return services.customer_upsert(
        owner=owner, name=name, created_date=kw.pop("created_date", DAY), **kw
    )


def make_deal(owner: User, amount: str = "1000.00", **kw: Any) -> Deal:
    kw.setdefault("created_date", DAY)
    kw.setdefault("close_date", DAY + datetime.timedelta(days=30))
    return services.deal_upsert(
        owner=owner, name=kw.pop("name", "Big deal"), amount=Decimal(amount), **kw
    )


def make_order(owner: User, amount: str = "500.00", **kw: Any) -> Order:
    return services.order_upsert(
        owner=owner, order_date=kw.pop("order_date", DAY), amount=Decimal(amount), **kw
    )


def make_payment(owner: User, amount: str = "300.00", **kw: Any) -> Payment:
    return services.payment_upsert(
        owner=owner, payment_date=kw.pop("payment_date", DAY), amount=Decimal(amount), **kw
    )


def make_activity(owner: User, subject: str = "Call about renewal", **kw: Any) -> Activity:
    return services.activity_upsert(
        owner=owner, subject=subject, activity_date=kw.pop("activity_date", DAY), **kw
    )
