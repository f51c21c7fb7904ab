"""An admin connects the fake Zoho CRM in the browser, tests the connection, syncs, watches
the progress bar finish, and the synced won deal shows on the rep's dashboard."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kpis import rollup
from tests.e2e.test_kpi_journey import month_with_targets  # noqa: F401 - a fixture
from tests.fakes.zoho import FakeZoho

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


@pytest.fixture
def zoho():
    with FakeZoho() as fake:
        yield fake


def test_admin_connects_zoho_syncs_and_the_deal_reaches_the_dashboard(
    page,
    live_server,
    month_with_targets,  # noqa: F811 - the fixture imported above
    zoho,
    log_in,
    screenshot,
) -> None:
    today = timezone.localdate()
    rep = month_with_targets["rep"]
    crm_rep = zoho.add_user("Rep", rep.email)
    zoho.add_deal(crm_rep, Decimal("66000.00"), stage="Closed Won",
                  Closing_Date=today.isoformat(),
                  Created_Time=f"{today.replace(day=1).isoformat()}T09:00:00+08:00",
                  Deal_Name="Yangtze Logistics")  # fmt: skip
    zoho.add_deal(crm_rep, Decimal("12000.00"), Closing_Date=today.isoformat(),
                  Created_Time=f"{today.replace(day=1).isoformat()}T09:00:00+08:00")  # fmt: skip

    # Given the admin on the CRM sync page, with nothing connected yet
    log_in("admin")
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="CRM sync").first.click()
    expect(page.get_by_test_id("connections-empty")).to_be_visible()
    screenshot("empty")

    # When they connect Zoho CRM (the fake's token URL as override) and save
    page.get_by_test_id("new-zoho").click()
    page.fill("#id_name", "Zoho CN")
    page.select_option("#id_region", "cn")
    page.fill("#id_client_id", zoho.client_id)
    page.fill("#id_accounts_url", zoho.url)
    page.fill("#id_secret_client_secret", zoho.client_secret)
    page.fill("#id_secret_refresh_token", zoho.refresh_token)
    page.check("#id_enabled")
    screenshot("setup")
    page.get_by_test_id("connection-save").click()
    expect(page).to_have_url(re.compile(r"/crm/\d+/$"))

    # And test the connection
    page.get_by_test_id("test-connection").click()
    expect(page.get_by_test_id("test-result")).to_contain_text("Connected to Zoho CRM")

    # And sync now: the progress bar runs to the end
    page.get_by_test_id("sync-now").click()
    progress = page.get_by_test_id("sync-progress")
    expect(progress).to_have_attribute("data-status", "succeeded", timeout=60_000)
    expect(page.get_by_test_id("progress-bar")).to_have_attribute("value", "100")
    expect(progress).to_contain_text("2 records")
    screenshot("synced")
    page.reload()
    expect(page.get_by_test_id("run-row").first).to_have_attribute("data-status", "succeeded")

    # Then the settings page never shows the secret again
    page.get_by_test_id("tab-settings").click()
    expect(page.locator("#id_secret_client_secret")).to_have_value("")
    assert zoho.client_secret not in page.content()

    # And the won deal is on the rep's dashboard
    rollup.drain_outbox()
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    log_in("rep")
    page.goto(f"{live_server.url}/dashboards/")
    expect(page.get_by_test_id("focus-actual")).to_have_text("¥66,000")
    screenshot("rep-dashboard")
