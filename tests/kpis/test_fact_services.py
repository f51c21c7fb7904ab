"""Fact services: credit shares, money in minor units, FX, idempotent upserts, soft delete,
historic units, scope of writes, and the dirty keys of the old and the new state."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from kpis import selectors, services
from kpis.models import Activity, Customer, Deal, DealShare, DirtyKey, Lead, Order, Payment
from salesgoals import money
from salesgoals import services as core_services
from salesgoals.models import Metric
from tests.core.org_fixtures import Org
from tests.factories import UserFactory
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

CLOSE = DAY + datetime.timedelta(days=30)


def keys(fact: str | None = None) -> set[tuple[str, int, int, datetime.date]]:
    rows = DirtyKey.objects.all()
    if fact:
        rows = rows.filter(fact=fact)
    return set(rows.values_list("fact", "user_id", "org_unit_id", "day"))


def clear_keys() -> None:
    DirtyKey.objects.all().delete()


def shares_of(deal: Deal) -> set[tuple[int, int, int]]:
    return set(
        DealShare.objects.filter(deal=deal).values_list("user_id", "org_unit_id", "share_bp")
    )


# --- Money --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "minor"),
    [
        ("0", 0),
        ("0.01", 1),
        ("1234.56", 123456),
        ("1234.565", 123457),  # half up
        ("1234.564", 123456),
        ("0.005", 1),
        ("99999999999.99", 9999999999999),
    ],
)
def test_to_minor_rounds_half_up_and_is_exact(amount: str, minor: int) -> None:
    assert money.to_minor(Decimal(amount)) == minor
    assert money.from_minor(minor) == Decimal(amount).quantize(Decimal("0.01"), "ROUND_HALF_UP")


def test_format_money_has_thousands_separators() -> None:
    assert money.format_money(123456789) == "¥1,234,567.89"
    assert money.format_money(-5, "USD") == "-$0.05"
    assert money.format_money(100, "CHF") == "1.00 CHF"
    assert money.format_money(None) == "—"


def test_deal_amount_is_stored_in_exact_minor_units(org: Org) -> None:
    deal = make_deal(org.rep, amount="0.10")
    other = make_deal(org.rep, amount="0.20")
    assert (deal.amount_minor, other.amount_minor) == (10, 20)
    assert deal.original_amount_minor == 10
    assert deal.currency == "CNY"
    assert deal.exchange_rate == 1
    total = sum(Deal.objects.values_list("amount_minor", flat=True))
    assert money.from_minor(total) == Decimal("0.30")  # no float anywhere


def test_foreign_currency_is_converted_once_at_the_stored_rate(org: Org) -> None:
    deal = make_deal(org.rep, amount="33.33", currency="usd", exchange_rate=Decimal("7.12345678"))
    deal.refresh_from_db()
    assert deal.currency == "USD"
    assert deal.original_amount_minor == 3333
    assert deal.exchange_rate == Decimal("7.12345678")
    # 33.33 * 7.12345678 = 237.4248…, rounded half up once.
    assert deal.amount_minor == 23742
    order = make_order(org.rep, amount="1000.00", currency="EUR", exchange_rate=Decimal("7.805"))
    assert (order.amount_minor, order.original_amount_minor) == (780500, 100000)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"currency": "USD"}, "exchange_rate"),  # a foreign amount needs its rate
        ({"currency": "CNY", "exchange_rate": Decimal("2")}, "exchange_rate"),
        ({"currency": "US", "exchange_rate": Decimal("7")}, "currency"),
        ({"currency": "USD", "exchange_rate": Decimal("0")}, "exchange_rate"),
        ({"amount": "1e20"}, "amount"),
    ],
)
def test_bad_money_is_a_field_error_and_writes_nothing(org: Org, kwargs: dict, field: str) -> None:
    with pytest.raises(services.FactError) as error:
        make_deal(org.rep, **kwargs)
    assert field in error.value.message_dict
    assert not Deal.objects.exists()
    assert not DirtyKey.objects.exists()


# --- Credit shares ----------------------------------------------------------------------------


def test_new_deal_credits_its_owner_fully(org: Org) -> None:
    deal = make_deal(org.rep)
    assert shares_of(deal) == {(org.rep.pk, org.team_a.pk, 10000)}
    assert deal.org_unit == org.team_a


@pytest.mark.parametrize(
    "split",
    [
        [6000, 3999],  # 99.99%
        [6000, 4001],
        [10000, 0],  # a zero share
        [12000, -2000],
    ],
)
def test_shares_must_be_positive_and_sum_to_exactly_100_percent(org: Org, split: list) -> None:
    shares = [(org.rep, split[0]), (org.rep_b, split[1])]
    with pytest.raises(services.FactError) as error:
        make_deal(org.rep, shares=shares)
    assert "shares" in error.value.message_dict
    assert not Deal.objects.exists()
    assert not DealShare.objects.exists()


def test_one_share_per_person(org: Org) -> None:
    with pytest.raises(services.FactError, match="only one share"):
        make_deal(org.rep, shares=[(org.rep, 5000), (org.rep, 5000)])


def test_shared_deal_keeps_each_reps_unit(org: Org) -> None:
    deal = make_deal(org.rep, shares=[(org.rep, 6000), (org.rep_b, 4000)])
    assert shares_of(deal) == {
        (org.rep.pk, org.team_a.pk, 6000),
        (org.rep_b.pk, org.team_b.pk, 4000),
    }


def test_update_without_shares_keeps_a_split_but_follows_a_sole_owner(org: Org) -> None:
    split = make_deal(org.rep, shares=[(org.rep, 6000), (org.rep_b, 4000)], external_id="d1")
    make_deal(org.rep, external_id="d1", amount="2000.00", source="manual")
    assert len(shares_of(split)) == 2
    sole = make_deal(org.rep, external_id="d2")
    make_deal(org.rep_b, external_id="d2")
    assert shares_of(sole) == {(org.rep_b.pk, org.team_b.pk, 10000)}


# --- Idempotent upserts -------------------------------------------------------------------


def test_upsert_by_source_and_external_id_is_idempotent(org: Org) -> None:
    first = make_deal(org.rep, source="zoho", external_id="Z-1", amount="100.00")
    second = make_deal(org.rep, source="zoho", external_id="Z-1", amount="150.00")
    assert first.pk == second.pk
    assert Deal.objects.get().amount_minor == 15000
    other_source = make_deal(org.rep, source="fxiaoke", external_id="Z-1")
    assert other_source.pk != first.pk
    assert Deal.objects.count() == 2


def test_unchanged_resend_writes_no_dirty_keys(org: Org) -> None:
    customer = make_customer(org.rep, source="import", external_id="C-9")
    make_deal(org.rep, source="zoho", external_id="Z-1", customer=customer)
    make_order(org.rep, source="zoho", external_id="O-1", customer=customer)
    make_activity(org.rep, source="zoho", external_id="A-1")
    clear_keys()
    make_customer(org.rep, source="import", external_id="C-9")
    make_deal(org.rep, source="zoho", external_id="Z-1", customer=customer)
    make_order(org.rep, source="zoho", external_id="O-1", customer=customer)
    make_activity(org.rep, source="zoho", external_id="A-1")
    assert not DirtyKey.objects.exists()


def test_manual_entries_get_a_generated_external_id(org: Org) -> None:
    first, second = make_activity(org.rep), make_activity(org.rep)
    assert first.source == second.source == "manual"
    assert first.external_id.startswith("manual-")
    assert first.external_id != second.external_id


def test_crm_facts_need_an_external_id(org: Org) -> None:
    with pytest.raises(services.FactError) as error:
        make_activity(org.rep, source="zoho")
    assert "external_id" in error.value.message_dict


# --- Soft delete --------------------------------------------------------------------------


def test_soft_delete_hides_the_fact_and_marks_its_keys(org: Org) -> None:
    deal = make_deal(org.rep, status=Deal.Status.WON)
    clear_keys()
    services.fact_soft_delete(fact=deal)
    deal.refresh_from_db()
    assert deal.deleted_at is not None
    assert not Deal.objects.alive().exists()
    assert not selectors.deal_list(user=org.admin).exists()
    assert keys("deal") == {
        ("deal", org.rep.pk, org.team_a.pk, CLOSE),
        ("deal", org.rep.pk, org.team_a.pk, DAY),
    }
    clear_keys()
    services.fact_soft_delete(fact=deal)  # again: nothing changes
    assert not DirtyKey.objects.exists()


def test_resync_revives_a_soft_deleted_fact(org: Org) -> None:
    activity = make_activity(org.rep, source="zoho", external_id="A-1")
    services.fact_soft_delete(fact=activity)
    make_activity(org.rep, source="zoho", external_id="A-1")
    assert Activity.objects.alive().count() == 1


def test_references_to_deleted_facts_are_kept_for_crm_order(org: Org) -> None:
    # A CRM may send a deal after deleting its customer: the sync must not fail.
    customer = make_customer(org.rep, source="zoho", external_id="C-1")
    services.fact_soft_delete(fact=customer)
    deal = make_deal(org.rep, source="zoho", external_id="D-1", customer=customer)
    assert deal.customer_id == customer.pk


# --- Org unit as of the fact's date -----------------------------------------------------------


def _move_on(org: Org, day: datetime.date) -> None:
    """Rep A moves from team A to team B on `day` (factories record no history: start it)."""
    core_services.user_move(user=org.rep, org_unit=org.team_a, effective_date=DAY)
    core_services.user_move(user=org.rep, org_unit=org.team_b, effective_date=day)
    org.rep.refresh_from_db()


def test_rep_moving_team_keeps_past_facts_with_the_old_team(org: Org) -> None:
    deal = make_deal(org.rep, external_id="d1", name="Old deal", close_date=DAY)
    activity = make_activity(org.rep, source="zoho", external_id="A-1")
    moved_on = datetime.date(2026, 4, 1)
    _move_on(org, moved_on)
    org.rep.refresh_from_db()
    # Re-sent or edited: the history stays in team A.
    make_deal(org.rep, external_id="d1", name="Renamed deal", close_date=DAY)
    make_activity(org.rep, source="zoho", external_id="A-1", subject="Edited")
    deal.refresh_from_db()
    activity.refresh_from_db()
    assert (deal.org_unit, activity.org_unit) == (org.team_a, org.team_a)
    assert shares_of(deal) == {(org.rep.pk, org.team_a.pk, 10000)}
    # New facts take the unit as of their own date.
    assert make_activity(org.rep, activity_date=DAY).org_unit == org.team_a
    assert make_activity(org.rep, activity_date=moved_on).org_unit == org.team_b
    # Moving a deal's close date past the move credits the new team.
    later = datetime.date(2026, 5, 4)
    make_deal(org.rep, external_id="d1", name="Renamed deal", close_date=later)
    deal.refresh_from_db()
    assert deal.org_unit == org.team_b
    assert shares_of(deal) == {(org.rep.pk, org.team_b.pk, 10000)}


def test_bulk_import_takes_units_from_the_history(org: Org) -> None:
    _move_on(org, datetime.date(2026, 4, 1))
    before = Activity(owner=org.rep, subject="March", activity_date=DAY)
    after = Activity(owner=org.rep, subject="May", activity_date=datetime.date(2026, 5, 4))
    services.facts_bulk_import(activities=[before, after], record_outbox=False)
    units = dict(Activity.objects.values_list("subject", "org_unit_id"))
    assert units == {"March": org.team_a.pk, "May": org.team_b.pk}


# --- Dirty keys: old and new state --------------------------------------------------------


def test_new_fact_marks_its_keys(org: Org) -> None:
    make_order(org.rep)
    make_payment(org.rep_b)
    make_activity(org.rep_c)
    assert keys() == {
        ("order", org.rep.pk, org.team_a.pk, DAY),
        ("payment", org.rep_b.pk, org.team_b.pk, DAY),
        ("activity", org.rep_c.pk, org.team_c.pk, DAY),
    }


def test_owner_and_date_move_marks_old_and_new_keys(org: Org) -> None:
    make_order(org.rep, source="import", external_id="O-1")
    clear_keys()
    later = DAY + datetime.timedelta(days=40)
    make_order(org.rep_c, source="import", external_id="O-1", order_date=later)
    assert keys("order") == {
        ("order", org.rep.pk, org.team_a.pk, DAY),
        ("order", org.rep_c.pk, org.team_c.pk, later),
    }
    assert Order.objects.get().org_unit == org.team_c


def test_deal_keys_follow_shares_and_both_dates(org: Org) -> None:
    make_deal(org.rep, external_id="d1")
    assert keys("deal") == {
        ("deal", org.rep.pk, org.team_a.pk, DAY),
        ("deal", org.rep.pk, org.team_a.pk, CLOSE),
    }
    clear_keys()
    new_close = CLOSE + datetime.timedelta(days=10)
    make_deal(
        org.rep,
        external_id="d1",
        close_date=new_close,
        shares=[(org.rep_b, 7000), (org.rep_c, 3000)],
    )
    assert keys("deal") == {
        # old state: rep A 100%, created DAY, closing CLOSE
        ("deal", org.rep.pk, org.team_a.pk, DAY),
        ("deal", org.rep.pk, org.team_a.pk, CLOSE),
        # new state: rep B 70% and rep C 30%, closing later
        ("deal", org.rep_b.pk, org.team_b.pk, DAY),
        ("deal", org.rep_b.pk, org.team_b.pk, new_close),
        ("deal", org.rep_c.pk, org.team_c.pk, DAY),
        ("deal", org.rep_c.pk, org.team_c.pk, new_close),
    }


def test_share_change_alone_marks_old_and_new_holders(org: Org) -> None:
    make_deal(org.rep, external_id="d1", shares=[(org.rep, 5000), (org.rep_b, 5000)])
    clear_keys()
    make_deal(org.rep, external_id="d1", shares=[(org.rep, 5000), (org.rep_c, 5000)])
    assert {(u, d) for _f, u, _o, d in keys("deal")} == {
        (user.pk, day) for user in (org.rep, org.rep_b, org.rep_c) for day in (DAY, CLOSE)
    }


def test_lead_keys_cover_creation_and_conversion(org: Org) -> None:
    converted = DAY + datetime.timedelta(days=5)
    services.lead_upsert(
        owner=org.rep,
        name="Lead",
        created_date=DAY,
        status=Lead.Status.CONVERTED,
        converted_date=converted,
    )
    assert keys("lead") == {
        ("lead", org.rep.pk, org.team_a.pk, DAY),
        ("lead", org.rep.pk, org.team_a.pk, converted),
    }


def test_converted_lead_needs_a_conversion_date(org: Org) -> None:
    with pytest.raises(services.FactError) as error:
        services.lead_upsert(
            owner=org.rep, name="Lead", created_date=DAY, status=Lead.Status.CONVERTED
        )
    assert "converted_date" in error.value.message_dict


def test_winning_a_deal_marks_the_customers_first_won_date(org: Org) -> None:
    customer = make_customer(org.rep, created_date=DAY - datetime.timedelta(days=100))
    deal = make_deal(org.rep, customer=customer)
    clear_keys()
    won_on = DAY + datetime.timedelta(days=3)
    deal = services.deal_mark_won(deal=deal, close_date=won_on)
    assert (deal.status, deal.probability, deal.close_date) == ("won", 100, won_on)
    assert ("customer", org.rep.pk, org.team_a.pk, won_on) in keys()
    assert ("deal", org.rep.pk, org.team_a.pk, CLOSE) in keys()  # the old close date
    assert ("deal", org.rep.pk, org.team_a.pk, won_on) in keys()
    assert selectors.customer_first_won_dates([customer.pk]) == {customer.pk: won_on}
    # An earlier order makes that the first date; both are marked.
    clear_keys()
    earlier = DAY - datetime.timedelta(days=1)
    make_order(org.rep, customer=customer, order_date=earlier)
    assert ("customer", org.rep.pk, org.team_a.pk, won_on) in keys()
    assert ("customer", org.rep.pk, org.team_a.pk, earlier) in keys()


def test_mark_lost_today_by_default(org: Org) -> None:
    deal = services.deal_mark_lost(deal=make_deal(org.rep, close_date=DAY))
    assert (deal.status, deal.probability) == ("lost", 0)
    assert deal.close_date == timezone.localdate()


# --- Writes within scope -------------------------------------------------------------------


def test_rep_writes_only_for_themself(org: Org) -> None:
    assert make_activity(org.rep, by=org.rep).owner == org.rep
    with pytest.raises(PermissionDenied):
        make_activity(org.rep_b, by=org.rep)
    other = make_deal(org.rep_b)
    with pytest.raises(PermissionDenied):
        services.deal_mark_won(deal=other, by=org.rep)
    with pytest.raises(PermissionDenied):
        services.fact_soft_delete(fact=other, by=org.rep)
    assert Deal.objects.get(pk=other.pk).status == "open"
    assert Activity.objects.count() == 1


def test_manager_writes_within_the_subtree_only(org: Org) -> None:
    make_activity(org.rep_b, by=org.manager)
    with pytest.raises(PermissionDenied):
        make_activity(org.rep_c, by=org.manager)
    # Moving a fact out of the subtree is a write outside it.
    make_order(org.rep, source="import", external_id="O-1")
    with pytest.raises(PermissionDenied):
        make_order(org.rep_c, source="import", external_id="O-1", by=org.manager)
    assert Order.objects.get().owner == org.rep
    # Executives and admins write anywhere.
    make_payment(org.rep_c, by=org.executive)
    make_payment(org.rep_c, by=org.admin)
    assert Payment.objects.count() == 2


def test_rep_cannot_give_credit_to_a_colleague(org: Org) -> None:
    with pytest.raises(services.FactError) as error:
        make_deal(org.rep, shares=[(org.rep, 5000), (org.rep_b, 5000)], by=org.rep)
    assert "shares" in error.value.message_dict
    # The manager can; the rep can then still edit the deal and keep the split.
    deal = make_deal(
        org.rep, shares=[(org.rep, 5000), (org.rep_b, 5000)], by=org.manager, external_id="d1"
    )
    make_deal(org.rep, amount="3000.00", external_id="d1", by=org.rep)
    make_deal(
        org.rep,
        shares=[(org.rep, 4000), (org.rep_b, 6000)],
        external_id="d1",
        by=org.rep,
    )
    assert shares_of(deal) == {
        (org.rep.pk, org.team_a.pk, 4000),
        (org.rep_b.pk, org.team_b.pk, 6000),
    }


# --- Bulk import ----------------------------------------------------------------------------


def test_bulk_import_saves_in_dependency_order_and_marks_keys(org: Org) -> None:
    customer = Customer(
        source="import", external_id="C1", owner=org.rep, name="C", created_date=DAY
    )
    deal = Deal(
        source="import",
        external_id="D1",
        owner=org.rep,
        name="D",
        customer=customer,
        status="won",
        created_date=DAY,
        close_date=CLOSE,
        amount_minor=710000,
        currency="USD",
        original_amount_minor=100000,
        exchange_rate=Decimal("7.1"),
    )
    order = Order(
        source="import",
        external_id="O1",
        owner=org.rep,
        customer=customer,
        deal=deal,
        order_date=CLOSE,
        amount_minor=710000,
        currency="USD",
        original_amount_minor=100000,
        exchange_rate=Decimal("7.1"),
    )
    payment = Payment(
        owner=org.rep,
        customer=customer,
        order=order,
        payment_date=CLOSE + datetime.timedelta(days=30),
        amount_minor=710000,
        currency="USD",
        original_amount_minor=100000,
        exchange_rate=Decimal("7.1"),
    )
    activity = Activity(
        owner=org.rep,
        customer=customer,
        deal=deal,
        subject="Visit",
        kind="visit",
        activity_date=DAY,
    )
    lead = Lead(
        owner=org.rep,
        name="L",
        status=Lead.Status.CONVERTED,
        created_date=DAY,
        converted_date=DAY,
        customer=customer,
    )
    counts = services.facts_bulk_import(
        customers=[customer],
        leads=[lead],
        deals=[deal],
        orders=[order],
        payments=[payment],
        activities=[activity],
    )
    assert counts["deal"] == counts["order"] == counts["dealshare"] == counts["payment"] == 1
    assert Order.objects.get().deal_id == deal.pk
    assert shares_of(deal) == {(org.rep.pk, org.team_a.pk, 10000)}
    stored = Payment.objects.get()
    assert (stored.order_id, stored.customer_id, stored.org_unit_id) == (
        order.pk,
        customer.pk,
        org.team_a.pk,
    )
    assert (stored.exchange_rate, stored.currency, stored.payment_date) == (
        Decimal("7.1"),
        "USD",
        payment.payment_date,
    )
    assert stored.external_id.startswith("manual-")
    assert stored.created_at is not None
    assert stored.deleted_at is None
    stored_activity = Activity.objects.get()
    assert (stored_activity.kind, stored_activity.deal_id, stored_activity.subject) == (
        "visit",
        deal.pk,
        "Visit",
    )
    assert Lead.objects.get().customer_id == customer.pk
    assert ("deal", org.rep.pk, org.team_a.pk, CLOSE) in keys()
    assert ("customer", org.rep.pk, org.team_a.pk, CLOSE) in keys()
    assert ("payment", org.rep.pk, org.team_a.pk, payment.payment_date) in keys()
    assert ("activity", org.rep.pk, org.team_a.pk, DAY) in keys()


def test_bulk_import_checks_shares(org: Org) -> None:
    deal = Deal(
        owner=org.rep,
        name="D",
        created_date=DAY,
        close_date=CLOSE,
        amount_minor=1,
        original_amount_minor=1,
    )
    share = DealShare(deal=deal, user=org.rep, share_bp=9000)
    with pytest.raises(services.FactError):
        services.facts_bulk_import(deals=[deal], shares=[share], record_outbox=False)
    assert not Deal.objects.exists()


def test_every_fact_kind_maps_to_a_metric_fact() -> None:
    assert {services.fact_kind(m) for m in (Customer, Lead, Deal, Order, Payment, Activity)} == set(
        Metric.Fact.values
    )


# --- Drill-down: the facts behind a KPI cell ------------------------------------------------


def _numerator(drill: selectors.FactDrilldown) -> int:
    """The cell's numerator (1/10000 of the base unit, as `kpis.rollup` stores it)."""
    code = drill.metric.code
    if drill.via_shares:
        won = [s for s in drill.rows if s.deal.status == "won" or code == "pipeline_created"]
        if code in ("deals_won", "conversion_rate"):
            return sum(s.share_bp for s in won)
        return sum(s.deal.amount_minor * s.share_bp for s in won)
    if code in ("orders", "payments"):
        return sum(f.amount_minor for f in drill.rows) * 10000
    return len(drill.rows) * 10000


@pytest.mark.parametrize(
    "code",
    [
        "revenue",
        "deals_won",
        "pipeline_created",
        "conversion_rate",
        "orders",
        "payments",
        "activities",
        "new_customers",
    ],
)
def test_drilldown_adds_up_to_the_rolled_up_cell(org: Org, code: str) -> None:
    from kpis import rollup
    from kpis.models import KpiValue
    from salesgoals.models import Period

    core_services.fiscal_year_generate(year=2026)
    customer = make_customer(org.rep, created_date=DAY - datetime.timedelta(days=30))
    make_deal(
        org.rep,
        status="won",
        close_date=DAY,
        customer=customer,
        amount="1000.01",
        shares=[(org.rep, 6667), (org.rep_b, 3333)],
    )
    make_deal(org.rep_b, status="won", close_date=DAY, amount="250.00")
    make_deal(org.rep, status="lost", close_date=DAY, amount="99.00")
    make_deal(org.rep_c, status="won", close_date=DAY, amount="77.00")
    make_order(org.rep, customer=customer, amount="800.00")
    make_payment(org.rep_b, amount="300.00")
    make_activity(org.rep)
    make_activity(org.rep_b, kind="visit")
    rollup.full_recompute(today=datetime.date(2026, 11, 27))
    month = Period.objects.get(kind="month", start__lte=DAY, end__gte=DAY)
    for owner_type, owner in [("rep", org.rep), ("rep", org.rep_b), ("unit", org.north)]:
        drill = selectors.facts_for(code, owner_type, owner.pk, month.start, month.end, org.admin)
        cell = KpiValue.objects.filter(
            metric__code=code, owner_type=owner_type, owner_id=owner.pk, period=month
        ).first()
        assert _numerator(drill) == (cell.numerator if cell else 0), (owner_type, owner)


def test_drilldown_lists_credit_shares_and_respects_scope(org: Org) -> None:
    from django.http import Http404

    deal = make_deal(
        org.rep_b, status="won", close_date=DAY, shares=[(org.rep_b, 5000), (org.rep, 5000)]
    )
    make_deal(org.rep_c, status="won", close_date=DAY)
    drill = selectors.facts_for("revenue", "unit", org.north.pk, DAY, DAY, org.manager)
    assert drill.via_shares
    assert {(s.deal_id, s.user_id, s.share_bp) for s in drill.rows} == {
        (deal.pk, org.rep_b.pk, 5000),
        (deal.pk, org.rep.pk, 5000),
    }
    mine = selectors.facts_for("revenue", "rep", org.rep.pk, DAY, DAY, org.rep)
    assert [(s.deal_id, s.user_id) for s in mine.rows] == [(deal.pk, org.rep.pk)]
    with pytest.raises(PermissionDenied):
        selectors.facts_for("revenue", "rep", org.rep_b.pk, DAY, DAY, org.rep)
    with pytest.raises(PermissionDenied):
        selectors.facts_for("revenue", "unit", org.south.pk, DAY, DAY, org.manager)
    with pytest.raises(Http404):
        selectors.facts_for("no_such_metric", "rep", org.rep.pk, DAY, DAY, org.admin)
    with pytest.raises(Http404):
        selectors.facts_for("revenue", "team", org.rep.pk, DAY, DAY, org.admin)
    # A rep looking at their own unit sees only the facts they may see.
    make_activity(org.rep)
    teammate = UserFactory(username="ra2", org_unit=org.team_a)
    make_activity(teammate)
    team = selectors.facts_for("activities", "unit", org.team_a.pk, DAY, DAY, org.rep)
    assert {a.owner_id for a in team.rows} == {org.rep.pk}
    manager_view = selectors.facts_for("activities", "unit", org.team_a.pk, DAY, DAY, org.manager)
    assert {a.owner_id for a in manager_view.rows} == {org.rep.pk, teammate.pk}


def test_retention_drilldown_marks_retained_customers(org: Org) -> None:
    from salesgoals.models import Period

    core_services.fiscal_year_generate(year=2026)
    kept = make_customer(org.rep, name="Kept", created_date=datetime.date(2026, 1, 5))
    gone = make_customer(org.rep, name="Gone", created_date=datetime.date(2026, 1, 5))
    make_order(org.rep, customer=kept, order_date=datetime.date(2026, 2, 10))
    make_order(org.rep, customer=gone, order_date=datetime.date(2026, 2, 11))
    make_order(org.rep, customer=kept, order_date=datetime.date(2026, 3, 3))
    march = Period.objects.get(kind="month", start__lte=DAY, end__gte=DAY)
    drill = selectors.facts_for(
        "retention_rate", "rep", org.rep.pk, march.start, march.end, org.rep
    )
    assert drill.previous == (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    assert {(c.name, c.retained) for c in drill.rows} == {("Kept", True), ("Gone", False)}
