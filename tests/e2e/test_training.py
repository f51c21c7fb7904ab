"""A manager turns a recommended course into an assignment; the rep works through it, fails
the quiz once, passes on the retake and is certified — training in the browser."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from salesgoals.metric_catalog import seed_metrics
from salesgoals.models import Metric, Period, PeriodKind
from salesgoals.services import fiscal_year_generate
from tests.factories import UserFactory
from tests.training.conftest import make_quiz_course, put_cell
from training import services
from training.models import Assignment, Certification, Recommendation

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


@pytest.fixture(autouse=True)
def _metrics(transactional_db) -> None:
    if not Metric.objects.exists():  # a browser test before this one flushed the catalog
        seed_metrics(Metric)


def test_manager_assigns_recommended_course_and_rep_completes_it(
    page, live_server, demo_users, log_in, screenshot
):
    today = timezone.localdate()
    for year in {today.year - 1, today.year}:
        fiscal_year_generate(year=year)
    last_month = (
        Period.objects.filter(kind=PeriodKind.MONTH, end__lt=today).order_by("-start").first()
    )
    rep, manager = demo_users["rep"], demo_users["manager"]
    qc = make_quiz_course(demo_users["admin"])
    services.rule_save(
        actor=demo_users["admin"],
        name="Revenue attainment under 80%",
        metric=Metric.objects.get(code="revenue"),
        condition="attainment_below",
        months=1,
        threshold=80,
        course=qc.course.pk,
    )
    put_cell(rep, "revenue", last_month, 6_500_000, target=10_000_000)  # 65%

    # The manager checks the KPIs, sees the recommendation and assigns it with a due date
    log_in("manager")
    page.goto(f"{live_server.url}/training/recommendations/")
    expect(page.get_by_test_id("recommendations-empty")).to_be_visible()
    page.get_by_test_id("recompute").click()
    row = page.get_by_test_id("recommendation-row")
    expect(row).to_contain_text("Consultative selling")
    expect(row).to_contain_text("65%")
    due = today + datetime.timedelta(days=14)
    row.get_by_test_id("rec-due").fill(due.isoformat())
    screenshot("manager-recommendation")
    row.get_by_test_id("rec-assign").click()
    expect(page.locator(".flash-success, [role=status]").first).to_contain_text("assigned")
    rec = Recommendation.objects.get(user=rep)
    assert rec.status == Recommendation.Status.ASSIGNED
    assignment = rec.assignment
    assert assignment.due_on == due
    page.goto(f"{live_server.url}/training/team/")
    expect(page.get_by_test_id("assignment-row")).to_contain_text("Consultative selling")
    screenshot("manager-team-progress")
    page.context.clear_cookies()

    # The rep finds it in My training, reads the first module and takes the quiz
    log_in("rep")
    page.goto(f"{live_server.url}/training/my/")
    expect(page.get_by_test_id("assignment-row")).to_contain_text("Consultative selling")
    page.get_by_test_id("assignment-row").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/training/assignments/{assignment.pk}/"))
    page.get_by_test_id("complete-module").click()
    expect(page.get_by_test_id("module-done")).to_have_count(1)
    page.get_by_test_id("take-quiz").click()
    for qid, options in qc.wrong.items():  # first attempt: all wrong
        for option in options:
            page.check(f"input[name='q{qid}'][value='{option}']")
    page.get_by_test_id("quiz-submit").click()
    expect(page.get_by_test_id("quiz-failed")).to_be_visible()
    expect(page.get_by_test_id("quiz-score")).to_have_text("0%")
    page.get_by_test_id("quiz-retry").click()
    for qid, options in qc.right.items():
        for option in options:
            page.check(f"input[name='q{qid}'][value='{option}']")
    screenshot("rep-quiz")
    page.get_by_test_id("quiz-submit").click()
    expect(page.get_by_test_id("quiz-passed")).to_be_visible()
    expect(page.get_by_test_id("quiz-score")).to_have_text("100%")
    screenshot("rep-quiz-passed")
    page.get_by_test_id("back-to-course").click()
    expect(page.get_by_test_id("assignment-status")).to_have_text("Completed")
    expect(page.get_by_test_id("assignment-score")).to_have_text("100%")
    expect(page.get_by_test_id("assignment-certification")).to_be_visible()
    screenshot("rep-completed")

    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.COMPLETED
    assert Certification.objects.filter(user=rep, course=qc.course).exists()

    # In Chinese, My training lists the certification
    page.goto(f"{live_server.url}/training/my/")
    page.get_by_test_id("lang-zh-hans").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("certification")).to_contain_text("Consultative selling")
    screenshot("rep-my-training-zh")
    assert manager.pk != rep.pk


def test_manager_reads_effectiveness_and_fills_a_gap_from_the_skills_matrix(
    page, live_server, demo_users, log_in, screenshot
):
    today = timezone.localdate()
    for year in {today.year - 1, today.year}:
        fiscal_year_generate(year=year)
    months = list(
        Period.objects.filter(kind=PeriodKind.MONTH, end__lt=today).order_by("-start")[:5]
    )[::-1]
    rep, manager = demo_users["rep"], demo_users["manager"]
    peer = UserFactory(username="peer", display_name="Peer", org_unit=rep.org_unit)
    qc = make_quiz_course(demo_users["admin"])
    Assignment.objects.create(
        user=rep,
        course=qc.course,
        status=Assignment.Status.COMPLETED,
        completed_on=months[2].start,
    )
    for period, (rep_value, peer_value) in zip(
        months, [(3, 4), (4, 4), (5, 4), (9, 5), (10, 5)], strict=True
    ):
        put_cell(rep, "deals_won", period, rep_value)
        put_cell(peer, "deals_won", period, peer_value)

    log_in("manager")
    page.goto(f"{live_server.url}/training/effectiveness/?metric=deals_won&months=2")
    row = page.get_by_test_id("effect-row").first
    expect(row).to_contain_text("Consultative selling")
    # rep: 3.5 before, 9.5 after (+6.0); peer: 4.0 → 5.0 (+1.0); difference 5.0
    expect(row.locator("td").nth(4)).to_have_text("6.0")
    expect(row.locator("td").nth(8)).to_have_text("1.0")
    expect(row.locator("td").nth(9)).to_have_text("5.0")
    expect(page.get_by_test_id("effect-chart").locator(".main-svg").first).to_be_visible()
    screenshot("effectiveness")

    page.goto(f"{live_server.url}/training/skills/")
    expect(page.get_by_test_id("matrix-row").first).to_be_visible()
    gap = (
        page.get_by_test_id("matrix-row").filter(has_text="Peer").get_by_test_id("matrix-cell-none")
    )
    screenshot("skills-matrix")
    gap.first.click()
    expect(page.locator("#id_course")).to_have_value(str(qc.course.pk))
    page.get_by_test_id("assign-submit").click()
    expect(page.get_by_test_id("assignment-row").filter(has_text="Peer")).to_contain_text(
        "Consultative selling"
    )
    assert Assignment.objects.filter(user=peer, course=qc.course, assigned_by=manager).exists()
