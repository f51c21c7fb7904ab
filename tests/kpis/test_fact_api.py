"""customers/ … activities/: permission matrix (role x own/subtree/outside x list, read,
write, delete, export), shapes, structured 400s, idempotent posts, deal actions, filters and
query counts that do not grow with rows."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from rest_framework.test import APIClient

from kpis import services
from kpis.models import Activity, Customer, Deal, DirtyKey, Lead, Order, Payment
from salesgoals.models import User
from tests.core.org_fixtures import Org
from tests.kpis.fact_fixtures import (
    DAY,
    _no_drain,  # noqa: F401
    make_activity,
    make_customer,
    make_deal,
    make_order,
    make_payment,
    org_fixture,  # noqa: F401
)

pytestmark = pytest.mark.django_db

API = "/api/v1/"


def make_lead(owner: User, **kw: Any) -> Lead:
    return services.lead_upsert(owner=owner, name=kw.pop("name", "A lead"), created_date=DAY, **kw)


MAKERS: dict[str, Callable[..., Any]] = {
    "customers": make_customer,
    "leads": make_lead,
    "deals": make_deal,
    "orders": make_order,
    "payments": make_payment,
    "activities": make_activity,
}

# A change every resource accepts in a PATCH.
PATCHES: dict[str, dict[str, Any]] = {
    "customers": {"city": "Suzhou"},
    "leads": {"company": "Acme Ltd"},
    "deals": {"stage": "Negotiation"},
    "orders": {"number": "SO-42"},
    "payments": {"reference": "BANK-42"},
    "activities": {"subject": "Visited the plant"},
}

# The smallest body that creates one, for an owner given separately.
BODIES: dict[str, dict[str, Any]] = {
    "customers": {"name": "New customer", "created_date": "2026-03-01"},
    "leads": {"name": "New lead", "created_date": "2026-03-01"},
    "deals": {
        "name": "New deal",
        "amount": "1000.00",
        "created_date": "2026-03-01",
        "close_date": "2026-04-01",
    },
    "orders": {"amount": "500.00", "order_date": "2026-03-01"},
    "payments": {"amount": "300.00", "payment_date": "2026-03-01"},
    "activities": {"subject": "Call", "activity_date": "2026-03-01"},
}

RESOURCES = list(MAKERS)
ROLES = ["rep", "manager", "executive", "admin"]


def owners(org: Org) -> dict[str, User]:
    """own = the rep's; subtree = a rep in the manager's region; outside = the other region."""
    return {"own": org.rep, "subtree": org.rep_b, "outside": org.rep_c}


# What each role may do with facts of each owner (own/subtree/outside are relative to `rep`).
ALLOWED = {
    "rep": {"own": True, "subtree": False, "outside": False},
    "manager": {"own": True, "subtree": True, "outside": False},
    "executive": {"own": True, "subtree": True, "outside": True},
    "admin": {"own": True, "subtree": True, "outside": True},
}


@pytest.fixture
def facts(org: Org) -> dict[str, dict[str, Any]]:
    """One fact of every kind for each of the three owners."""
    return {
        resource: {where: make(owner) for where, owner in owners(org).items()}
        for resource, make in MAKERS.items()
    }


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- Permission matrix ------------------------------------------------------------------------


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("role", ROLES)
def test_list_and_exports_hold_only_the_scope(
    org: Org, facts: dict, resource: str, role: str
) -> None:
    client = client_for(org.actor(role))
    expected = {facts[resource][w].pk for w, ok in ALLOWED[role].items() if ok}
    assert ids(client.get(f"{API}{resource}/")) == expected
    exported = client.get(f"{API}{resource}/", {"format": "csv"})
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert {int(r["id"]) for r in rows} == expected
    book = client.get(f"{API}{resource}/", {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet.max_row == len(expected) + 1


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("where", ["own", "subtree", "outside"])
def test_read_write_delete_follow_the_scope(
    org: Org, facts: dict, resource: str, role: str, where: str
) -> None:
    client = client_for(org.actor(role))
    fact = facts[resource][where]
    url = f"{API}{resource}/{fact.pk}/"
    ok = ALLOWED[role][where]
    assert client.get(url).status_code == (200 if ok else 403)
    assert client.patch(url, PATCHES[resource], format="json").status_code == (200 if ok else 403)
    assert client.delete(url).status_code == (204 if ok else 403)
    assert type(fact).objects.get(pk=fact.pk).deleted_at is not None if ok else True
    if not ok:
        assert type(fact).objects.get(pk=fact.pk).deleted_at is None


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("where", ["own", "subtree", "outside"])
def test_create_for_an_owner_follows_the_scope(
    org: Org, resource: str, role: str, where: str
) -> None:
    client = client_for(org.actor(role))
    owner = owners(org)[where]
    response = client.post(
        f"{API}{resource}/", {**BODIES[resource], "owner": owner.pk}, format="json"
    )
    assert response.status_code == (201 if ALLOWED[role][where] else 403), response.content
    if response.status_code == 201:
        assert response.json()["owner"] == owner.pk


def test_owner_defaults_to_the_caller(org: Org) -> None:
    response = client_for(org.rep).post(f"{API}activities/", BODIES["activities"], format="json")
    assert response.status_code == 201
    assert response.json()["owner"] == org.rep.pk
    assert response.json()["org_unit"] == org.team_a.pk


def test_unknown_and_deleted_are_404(org: Org, facts: dict) -> None:
    client = client_for(org.admin)
    assert client.get(f"{API}deals/999999/").status_code == 404
    deal = facts["deals"]["own"]
    assert client.delete(f"{API}deals/{deal.pk}/").status_code == 204
    assert client.get(f"{API}deals/{deal.pk}/").status_code == 404
    assert deal.pk not in ids(client.get(f"{API}deals/"))


def test_anonymous_is_refused(db: None) -> None:
    assert APIClient().get(f"{API}deals/").status_code in (401, 403)


def test_moving_a_fact_out_of_the_subtree_is_403(org: Org, facts: dict) -> None:
    order = facts["orders"]["subtree"]
    response = client_for(org.manager).patch(
        f"{API}orders/{order.pk}/", {"owner": org.rep_c.pk}, format="json"
    )
    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).owner == org.rep_b


def test_related_facts_outside_the_scope_are_not_found(org: Org, facts: dict) -> None:
    outside_customer = facts["customers"]["outside"]
    response = client_for(org.rep).post(
        f"{API}activities/",
        {**BODIES["activities"], "customer": outside_customer.pk},
        format="json",
    )
    assert response.status_code == 400
    assert "customer" in response.json()


def test_deleted_related_facts_are_not_found(org: Org, facts: dict) -> None:
    customer = facts["customers"]["own"]
    services.fact_soft_delete(fact=customer)
    response = client_for(org.rep).post(
        f"{API}deals/", {**BODIES["deals"], "customer": customer.pk}, format="json"
    )
    assert response.status_code == 400
    assert "customer" in response.json()


def test_shared_deal_is_visible_to_the_credited_rep_but_not_editable(org: Org) -> None:
    deal = make_deal(org.rep_b, shares=[(org.rep_b, 5000), (org.rep, 5000)])
    client = client_for(org.rep)
    assert deal.pk in ids(client.get(f"{API}deals/"))
    assert client.get(f"{API}deals/{deal.pk}/").status_code == 200
    assert client.patch(f"{API}deals/{deal.pk}/", {"stage": "x"}, format="json").status_code == 403


# --- Shapes, money, 400s -----------------------------------------------------------------------


def test_deal_shape_with_nested_shares_and_decimal_strings(org: Org) -> None:
    client = client_for(org.manager)
    body = {
        "name": "Shared",
        "amount": "1234.50",
        "currency": "USD",
        "exchange_rate": "7.10000000",
        "created_date": "2026-03-01",
        "close_date": "2026-04-30",
        "owner": org.rep.pk,
        "shares": [{"user": org.rep.pk, "share": "60.00"}, {"user": org.rep_b.pk, "share": "40"}],
    }
    response = client.post(f"{API}deals/", body, format="json")
    assert response.status_code == 201, response.content
    deal = response.json()
    assert deal["amount"] == "8764.95"  # 1234.50 * 7.1
    assert deal["original_amount"] == "1234.50"
    assert (deal["currency"], deal["exchange_rate"]) == ("USD", "7.10000000")
    assert (deal["status"], deal["probability"], deal["source"]) == ("open", 10, "manual")
    assert deal["external_id"].startswith("manual-")
    assert deal["org_unit_name"] == "Team A"
    assert sorted(deal["shares"], key=lambda s: s["user"]) == [
        {"user": org.rep.pk, "user_name": "Rep A", "org_unit": org.team_a.pk, "share": "60.00"},
        {"user": org.rep_b.pk, "user_name": "Rep B", "org_unit": org.team_b.pk, "share": "40.00"},
    ]
    exported = client.get(f"{API}deals/", {"format": "csv"}).content.decode("utf-8-sig")
    assert "Rep A 60.00%; Rep B 40.00%" in exported


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"shares": [{"user": "rep", "share": "60.00"}, {"user": "rep_b", "share": "30.00"}]},
            "shares",
        ),
        ({"currency": "USD"}, "exchange_rate"),
        ({"close_date": "2026-01-01"}, "close_date"),
        ({"amount": "-5"}, "amount"),
        ({"name": ""}, "name"),
        ({"probability": 120}, "probability"),
    ],
)
def test_bad_deal_is_a_structured_400_and_writes_nothing(
    org: Org, change: dict, field: str
) -> None:
    body = {**BODIES["deals"], **change}
    if "shares" in change:
        body["shares"] = [
            {"user": getattr(org, s["user"]).pk, "share": s["share"]} for s in change["shares"]
        ]
    response = client_for(org.manager).post(f"{API}deals/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert isinstance(response.json()[field], list)
    assert not Deal.objects.exists()
    assert not DirtyKey.objects.exists()


def test_posting_the_same_external_id_again_updates(org: Org) -> None:
    client = client_for(org.admin)
    body = {**BODIES["orders"], "owner": org.rep.pk, "source": "import", "external_id": "SO-1"}
    first = client.post(f"{API}orders/", body, format="json")
    second = client.post(f"{API}orders/", {**body, "amount": "750.00"}, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Order.objects.get().amount_minor == 75000


def test_source_and_external_id_cannot_change(org: Org, facts: dict) -> None:
    order = facts["orders"]["own"]
    response = client_for(org.rep).patch(
        f"{API}orders/{order.pk}/", {"external_id": "other"}, format="json"
    )
    assert response.status_code == 400
    assert "external_id" in response.json()


def test_patch_keeps_unsent_values_and_put_replaces(org: Org, facts: dict) -> None:
    client = client_for(org.rep)
    deal = facts["deals"]["own"]
    patched = client.patch(f"{API}deals/{deal.pk}/", {"amount": "2500.00"}, format="json").json()
    assert (patched["amount"], patched["name"], patched["close_date"]) == (
        "2500.00",
        "Big deal",
        deal.close_date.isoformat(),
    )
    put = client.put(f"{API}deals/{deal.pk}/", BODIES["deals"], format="json")
    assert put.status_code == 200
    assert (put.json()["name"], put.json()["amount"]) == ("New deal", "1000.00")


def test_deal_won_and_lost_actions(org: Org, facts: dict) -> None:
    client = client_for(org.rep)
    deal = facts["deals"]["own"]
    won = client.post(f"{API}deals/{deal.pk}/won/", {"close_date": "2026-03-20"}, format="json")
    assert won.status_code == 200
    assert (won.json()["status"], won.json()["probability"], won.json()["close_date"]) == (
        "won",
        100,
        "2026-03-20",
    )
    lost = client.post(f"{API}deals/{deal.pk}/lost/", {}, format="json")
    assert (lost.json()["status"], lost.json()["close_date"]) == ("lost", "2026-03-20")
    other = facts["deals"]["subtree"]
    assert client.post(f"{API}deals/{other.pk}/won/", {}, format="json").status_code == 403
    assert Deal.objects.get(pk=other.pk).status == "open"


def test_activity_type_field(org: Org) -> None:
    client = client_for(org.rep)
    body = {**BODIES["activities"], "type": "visit"}
    created = client.post(f"{API}activities/", body, format="json").json()
    assert created["type"] == "visit"
    assert Activity.objects.get(pk=created["id"]).kind == "visit"
    assert ids(client.get(f"{API}activities/", {"type": "call"})) == set()


# --- Filters --------------------------------------------------------------------------------


def test_filters(org: Org) -> None:
    won = make_deal(org.rep, name="Won one", status="won", close_date=DAY)
    later = make_deal(org.rep_b, name="Later", close_date=DAY + datetime.timedelta(days=60))
    south = make_deal(org.rep_c, name="South deal", close_date=DAY)
    client = client_for(org.admin)
    url = f"{API}deals/"
    assert ids(client.get(url, {"status": "won"})) == {won.pk}
    assert ids(client.get(url, {"owner": org.rep_b.pk})) == {later.pk}
    assert ids(client.get(url, {"org_unit": org.north.pk})) == {won.pk, later.pk}
    assert ids(client.get(url, {"org_unit": org.south.pk})) == {south.pk}
    assert ids(client.get(url, {"date_from": "2026-04-01"})) == {later.pk}
    assert ids(client.get(url, {"date_to": DAY.isoformat()})) == {won.pk, south.pk}
    assert ids(client.get(url, {"search": "south"})) == {south.pk}
    assert client.get(url, {"date_from": "not-a-date"}).status_code == 400


# --- Query counts ---------------------------------------------------------------------------


def _count(client: APIClient, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("role", ["manager", "admin"])
def test_list_queries_do_not_grow_with_rows(
    org: Org, resource: str, role: str, django_assert_max_num_queries: Any
) -> None:
    client = client_for(org.actor(role))
    make = MAKERS[resource]
    customer = make_customer(org.rep)
    extra: dict[str, Any] = {}
    if resource in ("deals", "orders", "payments", "activities", "leads"):
        extra["customer"] = customer

    def add(n: int) -> None:
        for i in range(n):
            owner = org.rep if i % 2 else org.rep_b
            if resource == "deals":
                make(owner, shares=[(org.rep, 5000), (org.rep_b, 5000)], **extra)
            else:
                make(owner, **({} if resource == "customers" else extra))

    add(3)
    small = _count(client, f"{API}{resource}/")
    small_export = _count(client, f"{API}{resource}/", {"format": "csv"})
    add(30)
    # session/user, scope, count, page, + shares for deals: the same at both sizes
    with django_assert_max_num_queries(small):
        client.get(f"{API}{resource}/")
    with django_assert_max_num_queries(small_export):
        client.get(f"{API}{resource}/", {"format": "csv"})
    assert small <= 6


def test_money_decimal_input_is_exact(org: Org) -> None:
    client = client_for(org.rep)
    for amount in ("0.10", "0.20"):
        client.post(f"{API}payments/", {**BODIES["payments"], "amount": amount}, format="json")
    assert sum(Payment.objects.values_list("amount_minor", flat=True)) == 30
    assert Decimal(client.get(f"{API}payments/").json()["results"][0]["amount"]) in {
        Decimal("0.10"),
        Decimal("0.20"),
    }


def test_customer_list_shape(org: Org) -> None:
    customer = make_customer(org.rep, industry="Retail", city="Shanghai")
    row = client_for(org.rep).get(f"{API}customers/").json()["results"][0]
    assert row["id"] == customer.pk
    assert {k: row[k] for k in ("name", "industry", "city", "owner_name", "org_unit_name")} == {
        "name": "Acme Trading",
        "industry": "Retail",
        "city": "Shanghai",
        "owner_name": "Rep A",
        "org_unit_name": "Team A",
    }
    assert isinstance(Customer.objects.get().created_date, datetime.date)
