"""The demo's reports and market change: a quarter of weekly reports in every state and a
market change whose revision of the payments plan was approved and published."""

from __future__ import annotations

import datetime

import pytest

from plans.models import MarketChange, PeriodicReport, ReportComment
from salesgoals.demo import seed_all
from targets.models import TargetRevision
from targets.services import verify_plan

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 27)


def test_demo_reports_and_market_change() -> None:
    ctx = seed_all(today=TODAY, apps=("kpis", "targets"))
    from plans import demo as plans_demo

    plans_demo.seed(ctx)
    rep = ctx.logins["rep"]
    weekly = PeriodicReport.objects.filter(period__kind="week")
    assert weekly.values("period").distinct().count() == 13
    assert weekly.filter(author=rep).count() == 13
    statuses = set(weekly.values_list("status", flat=True))
    assert statuses == {"submitted", "signed_off"}
    assert ReportComment.objects.filter(kind="returned").exists()
    assert ReportComment.objects.filter(kind="comment").exists()
    assert all(r.kpi_snapshot for r in weekly.filter(author=rep))  # rolled-up demo KPIs
    assert PeriodicReport.objects.filter(owner_type="unit", status="signed_off").count() == 3
    change = MarketChange.objects.get()
    assert change.feedback is not None
    (link,) = change.revision_links.select_related("revision__plan")
    revision = link.revision
    assert revision.status == TargetRevision.Status.APPROVED
    assert revision.plan.metric.code == "payments"
    assert revision.plan.published_version == revision.plan.version == 2
    assert verify_plan(revision.plan) == []
