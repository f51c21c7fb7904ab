"""Payouts in the audit history: statements, their lines (bulk), adjustments, payment."""

from __future__ import annotations

import datetime

import pytest
from rest_framework.authtoken.models import Token

from incentives import services
from incentives.models import Statement, StatementLine
from incentives.tasks import close_periods_task
from tests.audit.helpers import changed, entry_of, history
from tests.core.org_fixtures import Org, org_fixture  # noqa: F401
from tests.incentives.helpers import COMMISSION, TIERED, make_plan, quarters, set_cell

pytestmark = pytest.mark.django_db

M = 100


def test_period_close_task_records_statements_and_lines_as_system(org: Org) -> None:
    q1, *_ = quarters()
    make_plan(org.admin, TIERED, COMMISSION)
    set_cell(org.rep, q1, actual=1_050_000 * M, target=1_000_000 * M)
    assert close_periods_task(today=(q1.end + datetime.timedelta(days=1)).isoformat()) >= 1
    statement = Statement.objects.get(person=org.rep, period=q1)
    (row,) = history(Statement, id=statement.pk)
    assert (row.history_type, row.history_user, row.history_change_reason) == (
        "+",
        None,
        "Statement computed",
    )
    lines = history(StatementLine, statement_id=statement.pk)
    assert sorted(h.component_key for h in lines) == ["bonus", "commission"]
    assert {(h.history_type, h.history_user_id, h.history_change_reason) for h in lines} == {
        ("+", None, "Statement computed")
    }
    assert {h.id for h in lines} == set(statement.lines.values_list("pk", flat=True))


def test_recompute_updates_lines_in_place_and_records_only_what_changed(org: Org) -> None:
    q1, *_ = quarters()
    make_plan(org.admin, TIERED, COMMISSION)
    set_cell(org.rep, q1, actual=1_050_000 * M, target=1_000_000 * M)
    statement = services.statement_compute(person=org.rep, period=q1)
    ids = set(statement.lines.values_list("pk", flat=True))
    services.statement_compute(person=org.rep, period=q1)  # same inputs: no line changes
    assert not history(StatementLine, statement_id=statement.pk, history_type="~")
    set_cell(org.rep, q1, actual=1_050_000 * M, target=2_000_000 * M)  # bonus gone, same sales
    services.statement_compute(person=org.rep, period=q1)
    assert set(statement.lines.values_list("pk", flat=True)) == ids
    (bonus,) = history(StatementLine, statement_id=statement.pk, history_type="~")
    assert bonus.component_key == "bonus"
    diff = changed(entry_of(bonus))
    assert diff["amount_minor"] == ("12500.00", "0.00")  # money shown in currency units
    assert "formula" in diff


def test_adjustment_lines_are_created_then_deleted_with_history(org: Org) -> None:
    q1, q2, *_ = quarters()
    make_plan(org.admin, COMMISSION)
    set_cell(org.rep, q1, actual=500_000 * M, target=None)
    paid = services.statement_compute(person=org.rep, period=q1)
    services.statement_approve(actor=org.executive, statement=paid)
    set_cell(org.rep, q1, actual=400_000 * M, target=None)
    q2s = services.statement_compute(person=org.rep, period=q2)
    adjustment = q2s.lines.get(kind="adjustment")
    (created,) = history(StatementLine, id=adjustment.pk)
    assert (created.history_type, created.adjusts_id, created.amount_minor) == (
        "+",
        paid.pk,
        -1_000 * M,
    )
    set_cell(org.rep, q1, actual=500_000 * M, target=None)  # the lost deal is back
    services.statement_compute(person=org.rep, period=q2)
    assert not q2s.lines.filter(kind="adjustment").exists()
    (deleted,) = history(StatementLine, id=adjustment.pk, history_type="-")
    assert deleted.amount_minor == -1_000 * M  # the line as it was
    entry = entry_of(deleted)
    assert entry.action == "-"
    assert entry.object.startswith(q1.label)


def test_approval_and_payment_through_the_api_record_the_token_user(org: Org, api_client) -> None:
    q1, *_ = quarters()
    make_plan(org.admin, COMMISSION)
    set_cell(org.rep, q1, actual=100_000 * M, target=None)
    statement = services.statement_compute(person=org.rep, period=q1)
    for user, step in ((org.manager, "approve"), (org.admin, "pay")):
        token = Token.objects.create(user=user)
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        response = api_client.post(f"/api/v1/statements/{statement.pk}/{step}/")
        assert response.status_code == 200, response.content
    approved, paid = history(Statement, id=statement.pk, history_type="~")
    assert (approved.history_user, approved.history_change_reason) == (org.manager, "Approved")
    assert (paid.history_user, paid.history_change_reason) == (org.admin, "Marked paid")
    diff = changed(entry_of(paid))
    assert diff["status"] == ("Approved", "Paid")
    assert diff["paid_by"] == ("", "Admin")
