"""Periodic reports: pre-fill from the period's KPI values, frozen snapshot, workflow and scope
per role, the review agenda ordered by variance, and reminders sent once."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kpis.models import KpiValue
from plans import services as feedback_services
from plans.models import PeriodicReport, ReportComment
from plans.selectors import reports as selectors
from plans.services import reports as services
from plans.tasks import report_reminders_task
from salesgoals.models import Notification, Role
from tests.factories import UserFactory
from tests.plans.report_fixtures import (  # noqa: F401
    cell,
    month,
    org_fixture,
    submitted,
    week,
)

pytestmark = pytest.mark.django_db


def test_prefill_matches_the_kpi_values_of_the_period(org):
    w = week()
    cell("revenue", "rep", org.rep.pk, w, 80_000_00, 100_000_00)
    cell("deals_won", "rep", org.rep.pk, w, 3, 2)
    cell("revenue", "rep", org.rep.pk, month(), 999, 1000)  # another period
    cell("revenue", "rep", org.rep_b.pk, w, 5, 10)  # another rep
    report = services.report_create(actor=org.rep, period=w, achievements="Two wins.")
    rows = {row["metric"]: row for row in selectors.report_snapshot(report)}
    assert set(rows) == {"revenue", "deals_won"}
    assert rows["revenue"]["actual"] == 80_000_00
    assert rows["revenue"]["target"] == 100_000_00
    assert rows["revenue"]["variance"] == -20_000_00
    assert rows["revenue"]["attainment_bp"] == 8000
    assert rows["revenue"]["variance_bp"] == -2000
    assert rows["deals_won"]["variance"] == 1


def test_submit_freezes_the_snapshot(org):
    w = week()
    value = cell("revenue", "rep", org.rep.pk, w, 80_000_00, 100_000_00)
    report = submitted(org)
    assert report.status == PeriodicReport.Status.SUBMITTED
    KpiValue.objects.filter(pk=value.pk).update(actual=120_000_00)  # a later rollup
    report.refresh_from_db()
    (row,) = selectors.report_snapshot(report)
    assert row["actual"] == 80_000_00
    assert report.kpi_snapshot[0]["actual"] == 80_000_00


def test_team_report_reads_the_unit_cells(org):
    w = week()
    cell("revenue", "unit", org.team_a.pk, w, 50, 100)
    cell("revenue", "rep", org.rep.pk, w, 7, 10)
    report = services.report_create(
        actor=org.manager, period=w, owner_type="unit", org_unit=org.team_a, achievements="x"
    )
    (row,) = selectors.report_snapshot(report)
    assert (row["owner_type"], row["owner_id"], row["actual"]) == ("unit", org.team_a.pk, 50)
    with pytest.raises(PermissionDenied):  # not a team of the rep's
        services.report_create(actor=org.rep, period=w, owner_type="unit", org_unit=org.team_a)
    with pytest.raises(PermissionDenied):  # outside the manager's subtree
        services.report_create(actor=org.manager, period=w, owner_type="unit", org_unit=org.team_c)


def test_create_rules(org):
    services.report_create(actor=org.rep, period=week(), achievements="x")
    with pytest.raises(ValidationError) as error:
        services.report_create(actor=org.rep, period=week(), achievements="again")
    assert "period" in error.value.message_dict
    year = week().fiscal_year.periods.get(kind="year")
    with pytest.raises(ValidationError) as error:
        services.report_create(actor=org.rep, period=year)
    assert "period" in error.value.message_dict
    with pytest.raises(ValidationError):  # nothing written yet
        services.report_submit(
            actor=org.rep, report=services.report_create(actor=org.rep, period=month())
        )


# role → (may view, may comment, may sign off) a rep's report in Team A (North)
MATRIX = {
    "author": (True, True, False),
    "teammate": (False, False, False),
    "manager": (True, True, True),
    "manager_south": (False, False, False),
    "executive": (True, True, True),
    "admin": (True, True, True),
}


@pytest.mark.parametrize("who", MATRIX)
def test_scope_and_workflow_per_role(org, who):
    report = submitted(org)
    actors = {
        "author": org.rep,
        "teammate": UserFactory(username="mate", org_unit=org.team_a),
        "manager": org.manager,
        "manager_south": org.manager_south,
        "executive": org.executive,
        "admin": org.admin,
    }
    actor = actors[who]
    view, comment, sign = MATRIX[who]
    assert selectors.reports_visible(actor).filter(pk=report.pk).exists() == view
    assert selectors.report_can_view(actor, report) == view
    if comment:
        services.report_comment(actor=actor, report=report, text="Looks good")
    else:
        with pytest.raises(PermissionDenied):
            services.report_comment(actor=actor, report=report, text="Hi")
    if sign:
        services.report_sign_off(actor=actor, report=report)
        report.refresh_from_db()
        assert report.status == PeriodicReport.Status.SIGNED_OFF
        assert report.signed_off_by == actor
    else:
        with pytest.raises(PermissionDenied):
            services.report_sign_off(actor=actor, report=report)


def test_return_edit_and_resubmit(org):
    report = submitted(org)
    with pytest.raises(ValidationError):  # the author cannot edit a submitted report
        services.report_update(actor=org.rep, report=report, achievements="more")
    with pytest.raises(ValidationError):  # a return needs a comment
        services.report_return(actor=org.manager, report=report, text=" ")
    services.report_return(actor=org.manager, report=report, text="Add the pipeline numbers.")
    report.refresh_from_db()
    assert report.status == PeriodicReport.Status.RETURNED
    with pytest.raises(PermissionDenied):  # only the author edits
        services.report_update(actor=org.manager, report=report, achievements="x")
    services.report_update(actor=org.rep, report=report, achievements="Pipeline ¥1.2m.")
    services.report_submit(actor=org.rep, report=report)
    services.report_sign_off(actor=org.manager, report=report, text="Thanks")
    report.refresh_from_db()
    assert report.status == PeriodicReport.Status.SIGNED_OFF
    kinds = list(report.comments.values_list("kind", flat=True))
    assert kinds == [ReportComment.Kind.RETURNED, ReportComment.Kind.SIGNED_OFF]
    with pytest.raises(ValidationError):  # decided already
        services.report_return(actor=org.manager, report=report, text="late")
    # The manager heard of both submissions, the rep of the return and the sign-off.
    assert (
        Notification.objects.filter(recipient=org.manager, link__contains="/reports/").count() == 2
    )
    assert Notification.objects.filter(recipient=org.rep).count() == 2


def test_team_report_is_signed_off_above_the_team(org):
    report = services.report_create(
        actor=org.manager, period=week(), owner_type="unit", org_unit=org.north, achievements="x"
    )
    services.report_submit(actor=org.manager, report=report)
    with pytest.raises(PermissionDenied):  # never one's own
        services.report_sign_off(actor=org.manager, report=report)
    other = UserFactory(username="m2", role=Role.MANAGER, org_unit=org.north)
    with pytest.raises(PermissionDenied):  # a manager of the team itself is not above it
        services.report_sign_off(actor=other, report=report)
    services.report_sign_off(actor=org.executive, report=report)
    assert Notification.objects.filter(recipient=org.executive).exists()


def test_review_agenda_orders_by_variance_and_lists_open_problems(org):
    m = month()
    cell("revenue", "rep", org.rep.pk, m, 95, 100)  # -5%
    cell("revenue", "rep", org.rep_b.pk, m, 60, 100)  # -40%
    cell("deals_won", "unit", org.team_a.pk, m, 13, 10)  # +30%
    cell("revenue", "unit", org.north.pk, m, 155, 200)  # -22.5%
    cell("revenue", "rep", org.rep_c.pk, m, 1, 100)  # South: not on North's agenda
    cell("activities", "rep", org.rep.pk, m, 40, None)  # no target
    submitted(org, problems="A competitor cut prices.")
    submitted_b = services.report_create(actor=org.rep_b, period=week(), achievements="Calls")
    services.report_submit(actor=org.rep_b, report=submitted_b)  # no problems
    feedback_services.feedback_create(
        actor=org.rep, category="resources", title="Need demo kit", text="Two demos clash."
    )
    agenda = selectors.review_agenda(user=org.manager, unit=org.north, period=m)
    order = [(r["owner_type"], r["owner_id"], r["variance_bp"]) for r in agenda.variances]
    assert order == [
        ("rep", org.rep_b.pk, -4000),
        ("unit", org.team_a.pk, 3000),
        ("unit", org.north.pk, -2250),
        ("rep", org.rep.pk, -500),
    ]
    assert [r.author for r in agenda.reports] == [org.rep]
    assert [f.title for f in agenda.feedback] == ["Need demo kit"]


def test_reminders_are_sent_once_per_rep_and_week(org, monkeypatch):
    day = datetime.date(2026, 3, 16)  # a Monday: the week of 9–15 March has ended
    submitted(org, period=week(datetime.date(2026, 3, 12)))
    gone = UserFactory(username="gone", org_unit=org.team_a, is_active=False)
    assert services.reports_remind_missing(today=day) == 2  # rep_b and rep_c, not rep
    assert services.reports_remind_missing(today=day) == 0
    notes = Notification.objects.filter(dedupe_key__startswith="report-missing:")
    assert {n.recipient for n in notes} == {org.rep_b, org.rep_c}
    assert not notes.filter(recipient=gone).exists()
    next_week = datetime.date(2026, 3, 23)
    monkeypatch.setattr(services.timezone, "localdate", lambda: next_week)
    assert report_reminders_task() == {"sent": 3}  # the task: the week of 16–22 March
    assert report_reminders_task() == {"sent": 0}  # run twice, sent once
