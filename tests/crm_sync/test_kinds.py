"""Every mapped kind becomes the right fact: leads, orders (deal lookup), activities."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crm_sync.models import SyncRun
from kpis.models import Activity, Customer, Deal, Lead, Order, Payment, Source
from tests.crm_sync.conftest import fx_connection, run_now, zoho_connection

pytestmark = pytest.mark.django_db


def test_zoho_leads_orders_and_activities(org, zoho) -> None:
    rep = zoho.add_user("Rep A", "r@example.com")
    owner = zoho.owner(rep)
    account = zoho.put("Accounts", {"Account_Name": "Acme", "Owner": owner,
                                    "Created_Time": "2026-01-05T09:00:00+08:00"})  # fmt: skip
    deal = zoho.add_deal(rep, Decimal("900.00"), stage="Closed Won",
                         Account_Name={"id": account, "name": "Acme"})  # fmt: skip
    zoho.put("Leads", {"Full_Name": "Li Lei", "Company": "Li Co", "Lead_Status": "Contacted",
                       "Owner": owner, "Created_Time": "2026-03-01T10:00:00+08:00",
                       "Converted_Date_Time": "2026-03-09T10:00:00+08:00"})  # fmt: skip
    zoho.put("Leads", {"Last_Name": "Han", "Lead_Status": "Junk Lead", "Owner": owner,
                       "Created_Time": "2026-03-02T10:00:00+08:00"})  # fmt: skip
    zoho.put("Sales_Orders", {"Subject": "SO-1", "Grand_Total": Decimal("450.50"), "Owner": owner,
                              "Deal_Name": {"id": deal, "name": "Deal 1"},
                              "Created_Time": "2026-11-20T23:30:00+00:00"})  # fmt: skip
    zoho.put("Calls", {"Subject": "Intro call", "Call_Start_Time": "2026-11-02T09:00:00+08:00",
                       "Owner": owner})  # fmt: skip
    zoho.put("Events", {"Event_Title": "Site visit", "Start_DateTime": "2026-11-03T14:00:00+08:00",
                        "Owner": owner})  # fmt: skip
    zoho.put("Tasks", {"Subject": "Send quote", "Due_Date": None, "Owner": owner,
                       "Created_Time": "2026-11-04T08:00:00+08:00"})  # fmt: skip

    run = run_now(zoho_connection(zoho))

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    converted = Lead.objects.get(name="Li Lei")
    assert (converted.status, converted.converted_date) == (
        Lead.Status.CONVERTED, datetime.date(2026, 3, 9),
    )  # fmt: skip
    assert Lead.objects.get(name="Han").status == Lead.Status.DISQUALIFIED
    order = Order.objects.get(source=Source.ZOHO)
    assert order.deal == Deal.objects.get(external_id=deal)
    assert order.customer == Customer.objects.get(external_id=account)  # from the deal
    assert order.order_date == datetime.date(2026, 11, 21)  # 23:30 UTC is the 21st in Shanghai
    assert order.amount_minor == 45050
    kinds = dict(Activity.objects.values_list("subject", "kind"))
    assert kinds == {"Intro call": "call", "Site visit": "meeting", "Send quote": "other"}
    assert Activity.objects.get(subject="Send quote").activity_date == datetime.date(2026, 11, 4)


def test_fxiaoke_orders_payments_and_foreign_currency(org, fxiaoke) -> None:
    rep = fxiaoke.add_user("Rep A", "r@example.com")
    account = fxiaoke.put(
        "AccountObj", {"name": "华东", "owner": [rep], "create_time": 1767571200000}
    )
    order = fxiaoke.put("SalesOrderObj", {"name": "SO-9", "order_amount": "1000.00",
                                          "order_time": 1763337600000, "account_id": account,
                                          "owner": [rep], "mc_currency": "USD",
                                          "mc_exchange_rate": "7.1234"})  # fmt: skip
    fxiaoke.put("PaymentObj", {"name": "P-1", "payment_amount": "250.25",
                               "payment_time": 1763337600000, "order_id": order,
                               "owner": [rep]})  # fmt: skip

    run = run_now(fx_connection(fxiaoke))

    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    so = Order.objects.get(source=Source.FXIAOKE)
    assert (so.currency, so.original_amount_minor, so.amount_minor) == ("USD", 100000, 712340)
    payment = Payment.objects.get(source=Source.FXIAOKE)
    assert payment.order == so
    assert payment.customer.name == "华东"  # from the order
    assert payment.amount_minor == 25025
