"""Statements: computed lines with inputs and formula, adjustments after payment, what-if
agreement, promotion needing streak and certifications, workflow and badges."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from incentives import services
from incentives.models import BadgeAward, IncentivePlan, Statement, StatementLine
from tests.core.org_fixtures import Org, org_fixture  # noqa: F401
from tests.incentives.helpers import BADGE, COMMISSION, TIERED, make_plan, quarters, set_cell

pytestmark = pytest.mark.django_db

M = 100  # minor units per yuan


def test_statement_lines_show_inputs_formula_and_result(org: Org) -> None:
    q1, *_ = quarters()
    make_plan(org.admin, TIERED, COMMISSION)
    set_cell(org.rep, q1, actual=1_050_000 * M, target=1_000_000 * M)

    statement = services.statement_compute(person=org.rep, period=q1)

    bonus, commission = statement.lines.all()
    assert bonus.amount_minor == 12_500 * M  # 50 + 20 × 2.5 + 5 × 2.5 × 2 = 125% of 10,000
    assert bonus.inputs["attainment_pct"] == "105"
    assert "10000.00 × 125% = 12500.00" in bonus.formula
    assert commission.amount_minor == 11_000 * M  # 1,000,000 × 1% + 50,000 × 2%
    assert statement.total_minor == 23_500 * M
    assert statement.status == Statement.Status.DRAFT
    assert statement.org_unit == org.team_a


def test_reversal_after_payment_is_an_adjustment_next_period(org: Org) -> None:
    q1, q2, q3, _ = quarters()
    make_plan(org.admin, TIERED, COMMISSION)
    set_cell(org.rep, q1, actual=1_050_000 * M, target=1_000_000 * M)
    paid = services.statement_compute(person=org.rep, period=q1)
    services.statement_approve(actor=org.manager, statement=paid)
    services.statement_mark_paid(actor=org.admin, statement=paid)
    paid_lines = list(paid.lines.values_list("formula", "amount_minor"))

    # A 150,000 deal of Q1 is lost after payment: Q1 is now 90% attainment.
    set_cell(org.rep, q1, actual=900_000 * M, target=1_000_000 * M)
    set_cell(org.rep, q2, actual=1_000_000 * M, target=1_000_000 * M)
    services.statement_compute(person=org.rep, period=q1)  # a frozen one is left alone
    nxt = services.statement_compute(person=org.rep, period=q2)
    nxt = services.statement_compute(person=org.rep, period=q2)  # recomputing: still once

    paid.refresh_from_db()
    assert paid.status == Statement.Status.PAID
    assert paid.total_minor == 23_500 * M
    assert list(paid.lines.values_list("formula", "amount_minor")) == paid_lines
    adjustment = nxt.lines.get(kind=StatementLine.Kind.ADJUSTMENT)
    # Q1 recomputed: 50 + 10 × 2.5 = 75% of 10,000 = 7,500 + 9,000 commission = 16,500.
    assert adjustment.adjusts == paid
    assert adjustment.amount_minor == (16_500 - 23_500) * M
    assert adjustment.formula == "16500.00 − 23500.00 = -7000.00"
    assert nxt.total_minor == (10_000 + 10_000 - 7_000) * M

    # Once the adjustment is approved, the next period owes nothing more for Q1.
    services.statement_approve(actor=org.manager, statement=nxt)
    set_cell(org.rep, q3, actual=0, target=1_000_000 * M)
    q3_statement = services.statement_compute(person=org.rep, period=q3)
    assert not q3_statement.lines.filter(kind=StatementLine.Kind.ADJUSTMENT).exists()


def test_adjustment_goes_to_the_earliest_open_statement_only(org: Org) -> None:
    q1, q2, q3, _ = quarters()
    make_plan(org.admin, COMMISSION)
    set_cell(org.rep, q1, actual=500_000 * M, target=None)
    paid = services.statement_compute(person=org.rep, period=q1)
    services.statement_approve(actor=org.executive, statement=paid)
    set_cell(org.rep, q1, actual=400_000 * M, target=None)
    q2s = services.statement_compute(person=org.rep, period=q2)
    q3s = services.statement_compute(person=org.rep, period=q3)
    assert q2s.lines.get(kind="adjustment").amount_minor == -1_000 * M
    assert not q3s.lines.filter(kind="adjustment").exists()


def test_what_if_agrees_with_the_statement(org: Org) -> None:
    q1, *_ = quarters()
    make_plan(org.admin, TIERED, COMMISSION)
    set_cell(org.rep, q1, actual=900_000 * M, target=1_000_000 * M)

    result = services.what_if(person=org.rep, period=q1, extra=Decimal("150000"))
    statement = services.statement_compute(person=org.rep, period=q1)
    assert result.base_total * M == statement.total_minor  # nothing extra = the statement

    set_cell(org.rep, q1, actual=1_050_000 * M, target=1_000_000 * M)  # the deal closes
    closed = services.statement_compute(person=org.rep, period=q1)
    assert result.total * M == closed.total_minor == 23_500 * M
    assert [line.formula for line in result.lines] == list(
        closed.lines.values_list("formula", flat=True)
    )
    assert result.difference == Decimal("7000.00")


def test_what_if_without_a_plan_is_a_clear_error(org: Org) -> None:
    quarters()
    with pytest.raises(ValidationError) as error:
        services.what_if(person=org.rep, extra=Decimal(1))
    assert "No incentive plan" in str(error.value)


def _promotion_plan(org: Org) -> None:
    promotion = {
        "kind": "promotion",
        "key": "promo",
        "label": "Senior rep",
        "metric": "revenue",
        "level_pct": "100",
        "periods": 3,
        "required_course_codes": ["negotiation"],
    }
    make_plan(org.admin, TIERED, promotion)


def _certify(person, code: str, on: datetime.date) -> None:
    from training.models import Certification, Course

    course, _ = Course.objects.get_or_create(code=code, defaults={"title": code})
    Certification.objects.create(user=person, course=course, issued_on=on)


@pytest.mark.parametrize(
    ("attainments", "certified", "eligible"),
    [
        ((100, 110, 120), True, True),
        ((100, 110, 120), False, False),  # the streak alone is not enough
        ((99, 110, 120), True, False),  # the certification alone is not enough
        ((120, 95, 120), True, False),
    ],
)
def test_promotion_needs_streak_and_certification(
    org: Org, attainments: tuple[int, ...], certified: bool, eligible: bool
) -> None:
    periods = quarters()[:3]
    _promotion_plan(org)
    for period, pct in zip(periods, attainments, strict=True):
        set_cell(org.rep, period, actual=pct * 10_000 * M, target=1_000_000 * M)
    if certified:
        _certify(org.rep, "negotiation", datetime.date(YEAR_START, 1, 5))
    statement = services.statement_compute(person=org.rep, period=periods[2])
    line = statement.lines.get(kind="promotion")
    assert line.achieved is eligible
    assert line.inputs["certifications_missing"] == ("—" if certified else "negotiation")


YEAR_START = 2025


def test_badge_rule_awards_once_and_follows_recomputation(org: Org) -> None:
    q1, *_ = quarters()
    make_plan(org.admin, TIERED, BADGE)
    set_cell(org.rep, q1, actual=1_250_000 * M, target=1_000_000 * M)
    services.statement_compute(person=org.rep, period=q1)
    services.statement_compute(person=org.rep, period=q1)
    assert list(BadgeAward.objects.values_list("badge", "source")) == [("Star", "rule")]
    set_cell(org.rep, q1, actual=1_100_000 * M, target=1_000_000 * M)
    services.statement_compute(person=org.rep, period=q1)
    assert not BadgeAward.objects.exists()


def test_workflow_permissions(org: Org) -> None:
    q1, *_ = quarters()
    make_plan(org.admin, COMMISSION)
    set_cell(org.rep, q1, actual=100 * M, target=None)
    statement = services.statement_compute(person=org.rep, period=q1)
    with pytest.raises(PermissionDenied):
        services.statement_approve(actor=org.rep, statement=statement)
    with pytest.raises(PermissionDenied):
        services.statement_approve(actor=org.manager_south, statement=statement)
    with pytest.raises(ValidationError):
        services.statement_mark_paid(actor=org.admin, statement=statement)
    services.statement_approve(actor=org.manager, statement=statement)
    with pytest.raises(PermissionDenied):
        services.statement_mark_paid(actor=org.manager, statement=statement)
    statement = services.statement_mark_paid(actor=org.admin, statement=statement)
    assert statement.status == Statement.Status.PAID
    assert org.rep.notifications.filter(title__contains=q1.label).count() == 1


def test_period_close_computes_everyone_on_the_plan(org: Org) -> None:
    q1, *_ = quarters()
    make_plan(org.admin, COMMISSION)
    for rep in (org.rep, org.rep_b, org.rep_c):
        set_cell(rep, q1, actual=1_000 * M, target=None)
    count = services.close_periods(today=q1.end + datetime.timedelta(days=1))
    assert count == 3
    assert set(Statement.objects.values_list("person__username", flat=True)) == {"r", "rb", "rc"}
    from incentives.tasks import close_periods_task

    assert close_periods_task(today=(q1.end + datetime.timedelta(days=2)).isoformat()) == 3
    assert Statement.objects.count() == 3  # idempotent
    ready = org.rep.notifications.filter(title__contains="is ready")
    assert ready.count() == 1  # told once


def test_batch_and_single_computation_agree_with_adjustments(org: Org) -> None:
    q1, q2, *_ = quarters()
    make_plan(org.admin, TIERED, COMMISSION, BADGE)
    for rep in (org.rep, org.rep_b):
        set_cell(rep, q1, actual=1_250_000 * M, target=1_000_000 * M)
    for statement in services.statements_compute(plan=IncentivePlan.objects.get(), period=q1):
        services.statement_approve(actor=org.executive, statement=statement)
    for rep in (org.rep, org.rep_b):
        set_cell(rep, q1, actual=950_000 * M, target=1_000_000 * M)
        set_cell(rep, q2, actual=1_000_000 * M, target=1_000_000 * M)
    batch = {
        s.person_id: list(s.lines.values_list("kind", "formula", "amount_minor"))
        for s in services.statements_compute(plan=IncentivePlan.objects.get(), period=q2)
    }
    Statement.objects.filter(period=q2).delete()
    single = services.statement_compute(person=org.rep, period=q2)
    assert list(single.lines.values_list("kind", "formula", "amount_minor")) == batch[org.rep.pk]
    adjustment = single.lines.get(kind="adjustment")
    # Q1 was 30,000 (15,000 capped bonus + 15,000); now 8,750 (87.5%) + 9,500 = 18,250.
    assert adjustment.amount_minor == (18_250 - 30_000) * M


def test_what_if_page_with_and_without_htmx(org: Org, client) -> None:
    from django.urls import reverse

    q_now = services.current_period("quarter")
    if q_now is None:
        from django.utils import timezone

        from salesgoals.services import fiscal_year_generate

        fiscal_year_generate(year=timezone.localdate().year)
        q_now = services.current_period("quarter")
    make_plan(org.admin, TIERED)
    set_cell(org.rep, q_now, actual=900_000 * M, target=1_000_000 * M)
    client.force_login(org.rep)
    url = reverse("incentives:what-if")
    partial = client.post(url, {"amount": "100000"}, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert b"<html" not in partial.content
    assert "10,000.00" in partial.content.decode()  # 100% → 10,000
    page = client.post(url, {"amount": "-5"})
    assert page.status_code == 200
    assert b"<html" in page.content
    assert 'aria-invalid="true"' in page.content.decode()


def test_compute_task_for_one_plan_and_period(org: Org) -> None:
    from incentives.tasks import compute_statements_task

    q1, *_ = quarters()
    plan = make_plan(org.admin, COMMISSION)
    set_cell(org.rep, q1, actual=100_000 * M, target=None)
    assert compute_statements_task(plan.pk, q1.pk) == 3
    assert compute_statements_task(plan.pk, 999_999) == 0
    assert Statement.objects.get(person=org.rep).total_minor == 1_000 * M
