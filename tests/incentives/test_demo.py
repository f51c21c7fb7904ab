"""The incentives demo: a plan per role, past-quarter statements (paid, approved, drafts with
an adjustment), badges and contests — built on the KPI and target demos."""

from __future__ import annotations

import datetime

import pytest

from incentives.models import BadgeAward, Contest, IncentivePlan, Statement, StatementLine
from salesgoals.demo import seed_all

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 27)


def test_demo_builds_statements_badges_and_contests() -> None:
    ctx = seed_all(today=TODAY, apps=("kpis", "targets", "incentives"))
    assert set(IncentivePlan.objects.values_list("role", flat=True)) == {
        "rep",
        "manager",
        "executive",
    }
    statuses = set(Statement.objects.values_list("period__label", "status").distinct())
    labels = sorted({label for label, _ in statuses})
    assert len(labels) == 3  # Q1–Q3 of 2026
    assert {s for _, s in statuses} == {"paid", "approved", "draft"}
    rep = ctx.logins["rep"]
    adjustment = StatementLine.objects.get(statement__person=rep, kind="adjustment")
    assert adjustment.amount_minor < 0
    assert adjustment.adjusts.status == Statement.Status.PAID
    assert adjustment.statement.status == Statement.Status.APPROVED  # the next quarter
    assert BadgeAward.objects.filter(source="rule").exists()
    assert BadgeAward.objects.filter(source="manual", person=rep).exists()
    assert BadgeAward.objects.filter(source="contest").count() == 3
    assert Contest.objects.filter(status="closed").count() == 1
    assert Statement.objects.filter(person=ctx.logins["manager"]).count() == 3
