"""Pace alerts, milestones and the weekly digest: who hears what, and only once."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from kpis import alerts, rollup, services
from kpis.models import KpiValue, OwnerType
from kpis.tasks_alerts import pace_alerts_task, weekly_digest_task
from salesgoals.models import Notification
from tests.kpis.dashboard_fixtures import TODAY, period, won_deal
from tests.kpis.dashboard_fixtures import no_drain_on_commit as no_drain_on_commit
from tests.kpis.dashboard_fixtures import org_fixture as org_fixture
from tests.kpis.dashboard_fixtures import sales_fixture as sales_fixture

pytestmark = pytest.mark.django_db


def keys(prefix: str, user: Any) -> list[str]:
    return sorted(
        Notification.objects.filter(recipient=user, dedupe_key__startswith=prefix).values_list(
            "dedupe_key", flat=True
        )
    )


def revenue_cell(owner_type: str, owner_id: int) -> KpiValue:
    return KpiValue.objects.get(
        metric__code="revenue", owner_type=owner_type, owner_id=owner_id, period=period("month")
    )


def with_alerts(settings: Any, **pace: Any) -> None:
    settings.SALESGOALS = {**settings.SALESGOALS, "PACE_ALERTS": pace}


# --- pace alerts ---------------------------------------------------------------------------


def test_pace_alerts_reach_the_rep_and_their_manager_once(
    sales, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    # Given May: rep B ¥10,000 and rep C ¥0 of ¥80,000 — far behind; rep A ¥60,000 ahead
    org = sales
    assert revenue_cell(OwnerType.REP, org.rep_b.pk).pace_bp < 7000
    assert revenue_cell(OwnerType.REP, org.rep.pk).status == KpiValue.Status.ON_TRACK

    # When the alerts run
    with django_capture_on_commit_callbacks(execute=True):
        first = alerts.pace_alerts_send(today=TODAY)

    # Then rep B and their manager (North) hear of rep B, rep C and South's manager of rep C,
    # with the most severe threshold crossed only
    may = period("month")
    cell_b = revenue_cell(OwnerType.REP, org.rep_b.pk)
    key_b = f"kpi-pace:{cell_b.metric_id}:rep:{org.rep_b.pk}:{may.pk}:7000"
    assert keys("kpi-pace", org.rep_b) == [key_b]
    assert key_b in keys("kpi-pace", org.manager)
    assert len(keys("kpi-pace", org.rep_c)) == 1
    assert len(keys("kpi-pace", org.manager_south)) == 1
    assert keys("kpi-pace", org.rep) == []  # on track
    note = Notification.objects.get(recipient=org.rep_b, dedupe_key=key_b)
    assert note.level == Notification.Level.ALERT
    assert "Revenue" in note.title
    assert "May 2026" in note.title
    assert "¥10,000" in note.body
    assert "¥80,000" in note.body
    assert note.link == f"/dashboards/rep/?rep={org.rep_b.pk}&period={may.pk}"
    # And North's own cell (¥70,000 of ¥160,000) alerts North's manager; the company has
    # no manager, so nobody hears of its cell
    north = revenue_cell(OwnerType.UNIT, org.north.pk)
    assert any(
        k.startswith(f"kpi-pace:{north.metric_id}:unit:{org.north.pk}:{may.pk}:")
        for k in keys("kpi-pace", org.manager)
    )
    assert first["sent"] == 5
    # And everything went out by e-mail too
    assert first["sent"] == Notification.objects.filter(dedupe_key__startswith="kpi-pace").count()
    assert len(mailoutbox) == first["sent"]
    assert {m.to[0] for m in mailoutbox} >= {org.rep_b.email, org.manager.email}

    # When the alerts run again the same period
    with django_capture_on_commit_callbacks(execute=True):
        again = alerts.pace_alerts_send(today=TODAY + datetime.timedelta(days=1))

    # Then nothing new is sent
    assert again["sent"] == 0
    assert len(mailoutbox) == first["sent"]


def test_each_threshold_is_alerted_once_and_never_a_milder_one_after(sales, settings) -> None:
    org = sales
    cell = revenue_cell(OwnerType.REP, org.rep_b.pk)
    prefix = f"kpi-pace:{cell.metric_id}:rep:{org.rep_b.pk}:{cell.period_id}"

    # Given only the 85% threshold: rep B hears of it
    with_alerts(settings, thresholds=[8500])
    alerts.pace_alerts_send(today=TODAY)
    assert keys("kpi-pace", org.rep_b) == [f"{prefix}:8500"]

    # When a 70% threshold is added: the new, more severe threshold is sent once
    with_alerts(settings, thresholds=[8500, 7000])
    alerts.pace_alerts_send(today=TODAY)
    alerts.pace_alerts_send(today=TODAY)
    assert keys("kpi-pace", org.rep_b) == [f"{prefix}:7000", f"{prefix}:8500"]


def test_a_milder_threshold_does_not_follow_a_severe_one(sales, settings) -> None:
    org = sales
    with_alerts(settings, thresholds=[7000])
    alerts.pace_alerts_send(today=TODAY)
    assert [k.rsplit(":", 1)[1] for k in keys("kpi-pace", org.rep_b)] == ["7000"]

    with_alerts(settings, thresholds=[8500, 7000])
    alerts.pace_alerts_send(today=TODAY)
    assert [k.rsplit(":", 1)[1] for k in keys("kpi-pace", org.rep_b)] == ["7000"]


def test_no_alert_before_enough_of_the_period_has_passed(sales, settings) -> None:
    with_alerts(settings, min_elapsed=0.99)
    assert alerts.pace_alerts_send(today=TODAY) == {"cells": 0, "sent": 0}
    assert not Notification.objects.exists()


def test_each_new_period_alerts_again(sales) -> None:
    org = sales
    alerts.pace_alerts_send(today=TODAY)
    june = period("month", datetime.date(2026, 6, 20))
    services.targets_store(
        metric=revenue_cell(OwnerType.REP, org.rep_b.pk).metric,
        rows=[(OwnerType.REP, org.rep_b.pk, june.pk, 5_000_000)],
        source_ref="june",
        today=datetime.date(2026, 6, 20),
    )
    alerts.pace_alerts_send(today=datetime.date(2026, 6, 20))
    periods = {k.split(":")[4] for k in keys("kpi-pace", org.rep_b)}
    assert periods == {str(period("month").pk), str(june.pk)}


def test_the_task_runs_alerts_and_milestones(sales) -> None:
    result = pace_alerts_task()
    assert set(result) == {"pace", "milestones"}


# --- milestones ----------------------------------------------------------------------------


def test_milestones_at_50_90_100_once_each(sales, django_capture_on_commit_callbacks) -> None:
    org = sales
    # Given rep A at ¥60,000 of ¥80,000 (75%)
    alerts.milestones_send(today=TODAY)
    cell = revenue_cell(OwnerType.REP, org.rep.pk)
    prefix = f"kpi-milestone:{cell.metric_id}:rep:{org.rep.pk}:{cell.period_id}"
    assert keys("kpi-milestone", org.rep) == [f"{prefix}:5000"]
    assert not [k for k in keys("kpi-milestone", org.manager) if ":rep:" in k]
    note = Notification.objects.get(dedupe_key=f"{prefix}:5000")
    assert note.title == "Milestone: 50% of your Revenue target for May 2026"
    assert note.level == Notification.Level.SUCCESS

    # When a ¥13,000 deal takes rep A to 91%, then a ¥10,000 deal past 100%
    won_deal(org.rep, "13000.00")
    rollup.full_recompute(today=TODAY)
    alerts.milestones_send(today=TODAY)
    assert keys("kpi-milestone", org.rep)[-1] == f"{prefix}:9000"
    big = won_deal(org.rep, "10000.00")
    rollup.full_recompute(today=TODAY)
    with django_capture_on_commit_callbacks(execute=True):
        alerts.milestones_send(today=TODAY)

    # Then each level was sent once, and the manager heard of 100%
    assert keys("kpi-milestone", org.rep) == [
        f"{prefix}:10000",
        f"{prefix}:5000",
        f"{prefix}:9000",
    ]
    assert f"{prefix}:10000" in keys("kpi-milestone", org.manager)

    # And falling back below 100% and re-running sends nothing
    services.fact_soft_delete(fact=big)
    rollup.full_recompute(today=TODAY)
    assert alerts.milestones_send(today=TODAY)["sent"] == 0


def test_a_jump_straight_to_100_sends_only_100(sales) -> None:
    org = sales
    won_deal(org.rep_b, "75000.00")  # ¥85,000 of ¥80,000
    rollup.full_recompute(today=TODAY)
    alerts.milestones_send(today=TODAY)
    assert [k.rsplit(":", 1)[1] for k in keys("kpi-milestone", org.rep_b)] == ["10000"]


# --- weekly digest -------------------------------------------------------------------------


def test_weekly_digest_has_each_persons_numbers_once_a_week(
    sales, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    org = sales
    # When the digest runs on Wednesday 20 May (the week of Monday 18 May)
    with django_capture_on_commit_callbacks(execute=True):
        result = alerts.weekly_digest_send(today=TODAY)

    # Then the rep's digest has their week and month with target, attainment and pace
    note = Notification.objects.get(recipient=org.rep, dedupe_key="kpi-digest:2026-05-18")
    assert "W21" in note.title
    assert "May 2026:" in note.body
    cell = revenue_cell(OwnerType.REP, org.rep.pk)
    pace = f"{Decimal(cell.pace_bp) / 100:.1f}%"
    assert f"Revenue: ¥60,000 of ¥80,000 (75.0%), pace {pace} — On track" in note.body
    assert "Activities: 1" in note.body
    # And the manager's digest is about their unit, the executive's about the company
    manager_note = Notification.objects.get(recipient=org.manager, dedupe_key__startswith="kpi")
    assert "== North ==" in manager_note.body
    assert "Revenue: ¥70,000 of ¥160,000" in manager_note.body
    exec_note = Notification.objects.get(recipient=org.executive)
    assert "== Acme ==" in exec_note.body
    # And admins get none; every digest also went by e-mail
    assert not Notification.objects.filter(recipient=org.admin).exists()
    assert result["sent"] == 6  # 3 reps, 2 managers, 1 executive
    assert len(mailoutbox) == result["sent"]
    assert any("Revenue: ¥60,000" in m.body for m in mailoutbox)

    # When it runs again in the same week: nothing; the next week: again
    assert weekly_digest_send_on(datetime.date(2026, 5, 22))["sent"] == 0
    assert weekly_digest_send_on(datetime.date(2026, 5, 26))["sent"] == result["sent"]
    assert Notification.objects.filter(recipient=org.rep).count() == 2


def weekly_digest_send_on(day: datetime.date) -> dict[str, int]:
    return alerts.weekly_digest_send(today=day)


def test_digest_says_so_when_nothing_was_recorded(org) -> None:
    alerts.weekly_digest_send(today=TODAY)
    note = Notification.objects.get(recipient=org.rep_c)
    assert "Nothing recorded yet." in note.body


def test_digest_task_is_idempotent(sales) -> None:
    first = weekly_digest_task()
    assert weekly_digest_task()["sent"] == 0
    assert first["sent"] == first["people"]
