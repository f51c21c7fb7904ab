"""Browser tests: Playwright drives Debian's Chromium against Django's live server.

Playwright's own browser download does not work on our machines, so the tests launch
/usr/bin/chromium. Without it they skip locally and fail under REQUIRE_SERVICES=1 (CI).
Every test saves full-page screenshots into test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from salesgoals import services
from salesgoals.models import Role
from tests.conftest import need_service
from tests.factories import UserFactory, unit

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright sync API + live_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DEMO_PASSWORD = "salesgoals"
# The four demo logins of `seed_demo`, built here so the browser tests never depend on it.
DEMO_ROLES = {
    "admin": Role.ADMIN,
    "executive": Role.EXECUTIVE,
    "manager": Role.MANAGER,
    "rep": Role.REP,
}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    need_service(f"Chromium ({CHROMIUM})", CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK))
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # English first (the browser's Accept-Language decides until the user picks a language);
    # a wide viewport so the whole navigation shows in screenshots.
    return {
        **browser_context_args,
        "locale": "en-US",
        "viewport": {"width": 1280, "height": 900},
        "timezone_id": "Asia/Shanghai",
    }


@pytest.fixture
def demo_users(transactional_db) -> dict:
    """admin, executive, manager (of Team A) and rep (in Team A), password `salesgoals`."""
    team = unit("Team A")
    users = {
        username: UserFactory(
            username=username,
            display_name=username.capitalize(),
            role=role,
            org_unit=team,
            password=DEMO_PASSWORD,
        )
        for username, role in DEMO_ROLES.items()
    }
    services.org_unit_set_manager(unit=team, manager=users["manager"])
    return users


@pytest.fixture
def screenshot(page, request) -> Callable[[str], Path]:
    """`screenshot("step")` saves a full-page PNG named after the test and the step."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")

    def save(step: str) -> Path:
        path = SCREENSHOTS / f"{test_name}--{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def log_in(page, live_server) -> Callable[[str, str], None]:
    """Fill in and submit the login form (the page is left wherever the site sends it)."""

    def submit(username: str, password: str = DEMO_PASSWORD) -> None:
        if "/accounts/login/" not in page.url:
            page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.get_by_test_id("login-submit").click()
        page.wait_for_load_state()

    return submit
