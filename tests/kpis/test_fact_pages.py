"""Log-progress pages: quick-log an activity (plain POST and htmx), create and edit deals with
credit shares, mark won/lost, record orders and payments, lists with filters, exports and
empty states, errors next to fields, 403 outside the scope."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kpis.models import Activity, Customer, Deal, DealShare, DirtyKey, Order, Payment
from salesgoals.models import User
from tests.core.org_fixtures import Org
from tests.kpis.fact_fixtures import (
    DAY,
    _no_drain,  # noqa: F401
    make_activity,
    make_customer,
    make_deal,
    make_order,
    org_fixture,  # noqa: F401
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def deal_form(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Factory line upgrade",
        "amount": "1234567.00",
        "currency": "CNY",
        "exchange_rate": "",
        "stage": "Proposal",
        "status": "open",
        "probability": "40",
        "created_date": "2026-03-02",
        "close_date": "2026-05-29",
        "customer": "",
    }
    data.update(overrides)
    return data


def shares_data(*rows: tuple[User | None, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "shares-TOTAL_FORMS": str(len(rows)),
        "shares-INITIAL_FORMS": "0",
        "shares-MIN_NUM_FORMS": "0",
        "shares-MAX_NUM_FORMS": "10",
    }
    for index, (user, share) in enumerate(rows):
        data[f"shares-{index}-user"] = user.pk if user else ""
        data[f"shares-{index}-share"] = share
    return data


# --- Hub and lists -------------------------------------------------------------------------


def test_hub_shows_quick_log_and_counts(org: Org) -> None:
    make_activity(org.rep)
    make_activity(org.rep_c)
    response = login(org.rep).get("/kpis/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="quick-log"' in html
    card = response.context["cards"][0]
    assert (card["kind"].slug, card["count"]) == ("activities", 1)


@pytest.mark.parametrize(
    "slug", ["activities", "deals", "orders", "payments", "customers", "leads"]
)
def test_empty_lists_say_so(org: Org, slug: str) -> None:
    response = login(org.rep).get(f"/kpis/{slug}/")
    assert response.status_code == 200
    assert 'data-testid="facts-empty"' in response.content.decode()


def test_lists_hold_only_the_scope_with_amounts_in_base_currency(org: Org) -> None:
    mine = make_deal(org.rep, name="Mine", amount="1234567.89")
    make_deal(org.rep_b, name="Colleague")
    make_deal(org.rep_c, name="Other region", amount="20.00", currency="USD", exchange_rate="7.2")
    html = login(org.rep).get("/kpis/deals/").content.decode()
    assert f'data-testid="deal-{mine.pk}"' in html
    assert "¥1,234,567.89" in html
    assert "Colleague" not in html
    assert "Other region" not in html
    html = login(org.manager).get("/kpis/deals/").content.decode()
    assert "Colleague" in html
    assert "Other region" not in html
    html = login(org.executive).get("/kpis/deals/").content.decode()
    assert "¥144.00" in html
    assert "$20.00" in html


def test_list_filters_and_export_links(org: Org) -> None:
    won = make_deal(org.rep_b, name="Won deal", status="won")
    make_deal(org.rep_b, name="Open deal")
    response = login(org.manager).get("/kpis/deals/", {"status": "won", "search": "deal"})
    rows = list(response.context["page"].object_list)
    assert rows == [won]
    exports = response.context["exports"]
    assert exports["csv"].startswith("/api/v1/deals/?")
    assert "status=won" in exports["csv"]
    assert "format=csv" in exports["csv"]
    assert "format=xlsx" in exports["xlsx"]
    csv_body = login(org.manager).get(exports["csv"]).content.decode("utf-8-sig")
    assert "Won deal" in csv_body
    assert "Open deal" not in csv_body


def test_rep_filters_have_no_owner_or_unit_choice(org: Org) -> None:
    response = login(org.rep).get("/kpis/activities/")
    fields = response.context["filter"].form.fields
    assert "owner" not in fields
    assert "org_unit" not in fields
    manager_fields = login(org.manager).get("/kpis/activities/").context["filter"].form.fields
    owners = set(manager_fields["owner"].queryset)
    assert org.rep in owners
    assert org.rep_c not in owners


def test_list_pages_are_paginated_and_queries_do_not_grow(org: Org) -> None:
    client = login(org.manager)
    customer = make_customer(org.rep)
    for index in range(3):
        make_deal(
            org.rep,
            name=f"d{index}",
            customer=customer,
            shares=[(org.rep, 5000), (org.rep_b, 5000)],
        )
    with CaptureQueriesContext(connection) as small:
        client.get("/kpis/deals/")
    for index in range(60):
        make_deal(org.rep_b, name=f"e{index}", customer=customer)
    with CaptureQueriesContext(connection) as big:
        response = client.get("/kpis/deals/")
    assert len(big) == len(small)
    assert response.context["page"].paginator.num_pages == 2
    assert len(response.context["page"].object_list) == 50


# --- Quick log -----------------------------------------------------------------------------


def quick(**overrides: Any) -> dict[str, Any]:
    data = {
        "quick-subject": "Called Mr Li about the renewal",
        "quick-kind": "call",
        "quick-activity_date": DAY.isoformat(),
        "quick-customer": "",
    }
    data.update(overrides)
    return data


def test_quick_log_without_javascript(org: Org) -> None:
    response = login(org.rep).post("/kpis/activities/log/", quick())
    assert response.status_code == 302
    assert response["Location"] == "/kpis/activities/"
    activity = Activity.objects.get()
    assert (activity.owner, activity.org_unit, activity.activity_date) == (org.rep, org.team_a, DAY)
    assert activity.source == "manual"
    assert DirtyKey.objects.filter(fact="activity", user_id=org.rep.pk, day=DAY).exists()


def test_quick_log_with_htmx_prepends_the_row_and_resets_the_form(org: Org) -> None:
    client = login(org.rep)
    client.get("/kpis/activities/")
    response = client.post("/kpis/activities/log/", quick(), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    activity = Activity.objects.get()
    assert html.lstrip().startswith(f'<tr data-testid="activity-{activity.pk}">')
    assert "Called Mr Li about the renewal" in html
    assert 'id="quick-log"' in html
    assert 'hx-swap-oob="true"' in html
    assert 'id="facts-empty" hx-swap-oob="delete"' in html


def test_quick_log_errors_next_to_fields(org: Org) -> None:
    client = login(org.rep)
    response = client.post("/kpis/activities/log/", quick(**{"quick-subject": ""}), **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#quick-log"
    assert response["HX-Reswap"] == "outerHTML"
    assert "This field is required." in response.content.decode()
    plain = client.post("/kpis/activities/log/", quick(**{"quick-activity_date": "someday"}))
    assert plain.status_code == 200
    assert plain.context["quick_form"].errors["activity_date"]
    assert not Activity.objects.exists()


def test_rep_cannot_log_for_someone_else(org: Org) -> None:
    login(org.rep).post("/kpis/activities/log/", quick(**{"quick-owner": org.rep_b.pk}))
    assert Activity.objects.get().owner == org.rep  # a rep's form has no owner choice


def test_manager_logs_for_a_rep_in_the_subtree_only(org: Org) -> None:
    client = login(org.manager)
    assert (
        client.post("/kpis/activities/log/", quick(**{"quick-owner": org.rep_b.pk})).status_code
        == 302
    )
    assert Activity.objects.get().owner == org.rep_b
    response = client.post("/kpis/activities/log/", quick(**{"quick-owner": org.rep_c.pk}))
    assert response.status_code == 200
    assert "owner" in response.context["quick_form"].errors
    assert Activity.objects.count() == 1


# --- Deals ---------------------------------------------------------------------------------


def test_rep_creates_a_deal_credited_to_themself(org: Org) -> None:
    client = login(org.rep)
    form_page = client.get("/kpis/deals/new/")
    assert form_page.status_code == 200
    assert form_page.context["shares"] is None  # reps do not split credit
    response = client.post("/kpis/deals/new/", deal_form())
    deal = Deal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/kpis/deals/{deal.pk}/"
    assert (deal.owner, deal.amount_minor, deal.probability) == (org.rep, 123456700, 40)
    assert list(DealShare.objects.values_list("user_id", "share_bp")) == [(org.rep.pk, 10000)]
    detail = client.get(response["Location"]).content.decode()
    assert "¥1,234,567.00" in detail
    assert 'data-testid="mark-won"' in detail


def test_deal_errors_are_shown_next_to_fields(org: Org) -> None:
    client = login(org.rep)
    response = client.post(
        "/kpis/deals/new/", deal_form(close_date="2026-01-01", currency="USD", amount="-1")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "amount" in errors  # the form's own check
    response = client.post("/kpis/deals/new/", deal_form(close_date="2026-01-01", currency="USD"))
    errors = response.context["form"].errors
    assert "close_date" in errors
    assert "exchange_rate" in errors
    html = response.content.decode()
    assert "The close date cannot be before the creation date." in html
    assert not Deal.objects.exists()


def test_manager_splits_credit_and_sees_share_errors(org: Org) -> None:
    client = login(org.manager)
    assert client.get("/kpis/deals/new/").context["shares"] is not None
    bad = {**deal_form(owner=org.rep.pk), **shares_data((org.rep, "60"), (org.rep_b, "30"))}
    response = client.post("/kpis/deals/new/", bad)
    assert response.status_code == 200
    assert "add up to exactly 100%" in " ".join(response.context["share_errors"])
    assert 'data-testid="share-errors"' in response.content.decode()
    assert not Deal.objects.exists()
    good = {
        **deal_form(owner=org.rep.pk),
        **shares_data((org.rep, "60"), (org.rep_b, "40"), (None, "")),
    }
    assert client.post("/kpis/deals/new/", good).status_code == 302
    assert set(DealShare.objects.values_list("user_id", "share_bp")) == {
        (org.rep.pk, 6000),
        (org.rep_b.pk, 4000),
    }


def test_edit_a_deal(org: Org) -> None:
    deal = make_deal(org.rep, name="Old name")
    client = login(org.rep)
    page = client.get(f"/kpis/deals/{deal.pk}/edit/")
    assert page.context["form"].initial["name"] == "Old name"
    response = client.post(f"/kpis/deals/{deal.pk}/edit/", deal_form(name="New name"))
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.name == "New name"
    assert Deal.objects.count() == 1


def test_mark_won_and_lost(org: Org) -> None:
    client = login(org.rep)
    deal = make_deal(org.rep)
    response = client.post(f"/kpis/deals/{deal.pk}/won/", {"close_date": ""})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.close_date) == ("won", timezone.localdate())
    other = make_deal(org.rep, name="Row deal")
    row = client.post(
        f"/kpis/deals/{other.pk}/lost/", {"close_date": "2026-04-01", "row": "1"}, **HTMX
    )
    assert row.status_code == 200
    html = row.content.decode()
    assert html.lstrip().startswith(f'<tr data-testid="deal-{other.pk}"')
    assert "Lost" in html
    assert f'data-testid="won-{other.pk}"' not in html
    assert Deal.objects.get(pk=other.pk).close_date == datetime.date(2026, 4, 1)


def test_record_an_order_and_a_payment_from_the_deal(org: Org) -> None:
    client = login(org.rep)
    customer = make_customer(org.rep)
    deal = make_deal(org.rep, customer=customer, status="won")
    page = client.get(f"/kpis/orders/new/?deal={deal.pk}&customer={customer.pk}")
    assert page.context["form"].initial["deal"] == deal.pk
    response = client.post(
        "/kpis/orders/new/",
        {
            "number": "SO-1",
            "order_date": "2026-04-02",
            "deal": deal.pk,
            "customer": "",
            "amount": "1000.00",
            "currency": "CNY",
        },
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.deal, order.customer, order.amount_minor) == (deal, customer, 100000)
    response = client.post(
        "/kpis/payments/new/",
        {
            "payment_date": "2026-05-02",
            "order": order.pk,
            "customer": "",
            "amount": "400.00",
            "currency": "USD",
            "exchange_rate": "7.1",
            "reference": "BANK-1",
        },
    )
    assert response.status_code == 302
    payment = Payment.objects.get()
    assert (payment.customer, payment.amount_minor, payment.original_amount_minor) == (
        customer,
        284000,
        40000,
    )
    detail = client.get(f"/kpis/deals/{deal.pk}/").content.decode()
    assert "SO-1" in detail
    assert "¥2,840.00" in detail


def test_customers_and_leads_forms(org: Org) -> None:
    client = login(org.rep)
    assert (
        client.post(
            "/kpis/customers/new/", {"name": "Hangzhou Tea", "created_date": "2026-01-05"}
        ).status_code
        == 302
    )
    customer = Customer.objects.get()
    response = client.post(
        "/kpis/leads/new/",
        {"name": "Expo contact", "status": "converted", "created_date": "2026-01-02"},
    )
    assert response.status_code == 200
    assert "converted_date" in response.context["form"].errors
    response = client.post(
        "/kpis/leads/new/",
        {
            "name": "Expo contact",
            "status": "converted",
            "created_date": "2026-01-02",
            "converted_date": "2026-01-05",
            "customer": customer.pk,
        },
    )
    assert response.status_code == 302


# --- Permissions -----------------------------------------------------------------------------


def test_out_of_scope_pages_are_403_and_unknown_404(org: Org) -> None:
    other = make_deal(org.rep_b)
    order = make_order(org.rep_b)
    client = login(org.rep)
    assert client.get(f"/kpis/deals/{other.pk}/").status_code == 403
    assert client.get(f"/kpis/deals/{other.pk}/edit/").status_code == 403
    assert client.post(f"/kpis/deals/{other.pk}/edit/", deal_form()).status_code == 403
    assert client.post(f"/kpis/deals/{other.pk}/won/").status_code == 403
    assert client.post(f"/kpis/orders/{order.pk}/delete/").status_code == 403
    assert client.get("/kpis/deals/999999/").status_code == 404
    assert client.get("/kpis/widgets/new/").status_code == 404
    assert Deal.objects.get(pk=other.pk).status == "open"
    assert Order.objects.get(pk=order.pk).deleted_at is None
    # The manager of the other region cannot either; the rep's own manager can.
    assert login(org.manager_south).post(f"/kpis/deals/{other.pk}/won/").status_code == 403
    assert login(org.manager).post(f"/kpis/deals/{other.pk}/won/").status_code == 302


def test_credited_rep_reads_a_shared_deal_but_cannot_change_it(org: Org) -> None:
    deal = make_deal(org.rep_b, shares=[(org.rep_b, 5000), (org.rep, 5000)])
    client = login(org.rep)
    page = client.get(f"/kpis/deals/{deal.pk}/")
    assert page.status_code == 200
    assert 'data-testid="mark-won"' not in page.content.decode()
    assert client.post(f"/kpis/deals/{deal.pk}/won/").status_code == 403


def test_delete_is_a_soft_delete(org: Org) -> None:
    activity = make_activity(org.rep)
    response = login(org.rep).post(f"/kpis/activities/{activity.pk}/delete/")
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.deleted_at is not None


def test_anonymous_is_sent_to_login(db: None) -> None:
    response = Client().get("/kpis/deals/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_person_without_unit_cannot_log(org: Org) -> None:
    loner = User.objects.create_user(username="loner", password="x", role="rep")
    client = login(loner)
    assert 'data-testid="cannot-log"' in client.get("/kpis/").content.decode()
    assert client.get("/kpis/deals/new/").status_code == 403
    assert client.post("/kpis/activities/log/", quick()).status_code == 403
