"""A rep raises feedback about the market; their manager answers and marks it actioned, and
the rep sees the answer — the feedback loop in the browser, in Chinese and English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from plans.models import Feedback

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def test_rep_raises_feedback_and_manager_answers(page, live_server, demo_users, log_in, screenshot):
    # The rep raises feedback, in Chinese
    log_in("rep")
    page.goto(f"{live_server.url}/plans/feedback/")
    page.get_by_test_id("lang-zh-hans").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("feedback-empty")).to_be_visible()
    page.get_by_test_id("raise-feedback").click()
    page.select_option("#id_category", "competitor")
    page.fill("#id_title", "竞争对手华东降价 8%")
    page.fill("#id_text", "本周三个老客户提到竞争对手报价低 8%，续约有风险，需要价格支持。")
    page.get_by_test_id("feedback-submit").click()
    expect(page.get_by_test_id("feedback-title")).to_have_text("竞争对手华东降价 8%")
    feedback = Feedback.objects.get()
    screenshot("rep-raised-zh")
    page.context.clear_cookies()

    # The manager finds it in the inbox, answers and marks it actioned, in English
    log_in("manager")
    page.goto(f"{live_server.url}/plans/feedback/")
    expect(page.get_by_test_id("feedback-row")).to_contain_text("竞争对手华东降价 8%")
    page.get_by_test_id("feedback-row").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/plans/feedback/{feedback.pk}/"))
    page.get_by_test_id("reply-form").locator("textarea").fill(
        "Approved: up to 5% discount for renewals this quarter."
    )
    page.get_by_test_id("reply-submit").click()
    expect(page.get_by_test_id("feedback-response")).to_contain_text("up to 5% discount")
    page.get_by_test_id("status-actioned").click()
    expect(page.get_by_test_id("feedback-status")).to_contain_text("Actioned")
    screenshot("manager-answered-en")
    page.context.clear_cookies()

    # The rep sees the answer and the new status
    log_in("rep")
    page.goto(f"{live_server.url}/plans/feedback/{feedback.pk}/")
    expect(page.get_by_test_id("feedback-response")).to_contain_text("up to 5% discount")
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.ACTIONED
    assert demo_users["rep"].notifications.filter(title__contains="竞争对手华东降价").exists()
