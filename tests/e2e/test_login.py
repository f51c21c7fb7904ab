"""Logging in, as each role, in both languages, and with a wrong password — in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

CJK = re.compile(r"[\u4e00-\u9fff]")
ROLE_LABELS = {
    "admin": "Admin",
    "executive": "Executive",
    "manager": "Sales manager",
    "rep": "Sales rep",
}


@pytest.mark.parametrize("username", list(ROLE_LABELS))
def test_each_role_logs_in_to_its_home_page(
    page, live_server, demo_users, log_in, screenshot, username
) -> None:
    # Given the login page
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))  # home needs a login

    # When the demo user logs in
    log_in(username)

    # Then their own home page greets them with their name and role
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_test_id("home-title")).to_contain_text(username.capitalize())
    expect(page.get_by_test_id("home-role")).to_contain_text(ROLE_LABELS[username])
    expect(page.get_by_test_id("home-role")).to_contain_text("Team A")
    expect(page.get_by_test_id("user-menu")).to_have_text(username.capitalize())
    screenshot("home")

    # And they can log out again
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_test_id("login-submit")).to_be_visible()


def test_switching_to_chinese_changes_the_interface(
    page, live_server, demo_users, log_in, screenshot
) -> None:
    # Given a rep on the English home page
    log_in("rep")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("lang-en")).to_be_disabled()
    english_text = page.locator("body").inner_text()
    english_logout = page.get_by_test_id("logout").text_content().strip()
    assert english_logout == "Log out"
    screenshot("home-en")

    # When they pick 中文
    page.get_by_test_id("lang-zh-hans").click()
    page.wait_for_load_state()

    # Then the same page comes back in Chinese, and the switch shows the new state
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("lang-zh-hans")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("lang-zh-hans")).to_be_disabled()
    expect(page.get_by_test_id("lang-en")).to_be_enabled()
    chinese_text = page.locator("body").inner_text()
    assert chinese_text != english_text
    assert len(CJK.findall(chinese_text)) > len(CJK.findall(english_text))
    # The role comes from our catalogue, in the glossary's words (see tests/core/test_i18n.py)
    expect(page.get_by_test_id("home-role")).to_contain_text("销售代表")
    # "Log out" is translated by our catalogue, or else by Django admin's ("注销").
    chinese_logout = page.get_by_test_id("logout").text_content().strip()
    assert chinese_logout != english_logout
    assert CJK.search(chinese_logout)
    screenshot("home-zh-hans")

    # And the choice sticks after logging out: the login page is Chinese too
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("login-submit")).to_have_text(CJK)
    screenshot("login-zh-hans")

    # And English comes back with one click
    page.get_by_test_id("lang-en").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("login-submit")).to_have_text("Log in")


def test_wrong_password_shows_a_clear_message(
    page, live_server, demo_users, log_in, screenshot
) -> None:
    # Given the login page
    page.goto(f"{live_server.url}/accounts/login/")

    # When the rep mistypes the password
    log_in("rep", "not-the-password")

    # Then they stay on the login page with a clear message and their username kept
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    error = page.get_by_test_id("login-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Please enter a correct username and password")
    expect(page.locator("#id_username")).to_have_value("rep")
    expect(page.locator("#id_password")).to_have_value("")
    expect(page.get_by_test_id("home-title")).to_have_count(0)
    screenshot("error")

    # And the right password still works afterwards
    log_in("rep")
    expect(page.get_by_test_id("home-title")).to_be_visible()
