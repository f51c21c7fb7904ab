"""Sessions: expiry, and what ends them — a password change, a deactivated account."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from salesgoals import services
from salesgoals.models import Role
from salesgoals.security import user_sign_out_everywhere
from tests.factories import UserFactory, company

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Secret-123"
ROOT = Path(__file__).resolve().parents[2]


def signed_in_browser(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content[:300]
    return client


def is_signed_in(client: Client) -> bool:
    response = client.get("/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def assert_refused(response, detail: str) -> None:
    # 403 rather than 401: the first authenticator (session) sends no WWW-Authenticate.
    assert response.status_code in (401, 403)
    assert response.json() == {"detail": detail}


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


# --- expiry ----------------------------------------------------------------------------------
def test_session_cookie_lasts_the_configured_age() -> None:
    UserFactory(username="alice")
    client = Client()
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_expire_at_browser_close_sets_a_session_cookie(settings) -> None:
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    UserFactory(username="alice")
    response = Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie.value
    assert not cookie["max-age"]
    assert not cookie["expires"]


def test_an_expired_session_sends_back_to_the_login_page() -> None:
    UserFactory(username="alice")
    client = signed_in_browser("alice")
    assert is_signed_in(client)
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_session_and_throttle_settings_come_from_the_environment() -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))},
        "DJANGO_SETTINGS_MODULE": "salesgoals.settings",
        "DJANGO_DEBUG": "1",
        "SESSION_COOKIE_AGE": "1800",
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": "1",
        "AXES_FAILURE_LIMIT": "4",
        "AXES_COOLOFF_MINUTES": "30",
        "API_THROTTLE_WRITES": "off",
        "API_THROTTLE_TOKEN": "10/min",
    }
    code = (
        "import json; from salesgoals import settings as s; print(json.dumps(["
        "s.SESSION_COOKIE_AGE, s.SESSION_EXPIRE_AT_BROWSER_CLOSE, s.AXES_FAILURE_LIMIT, "
        "s.AXES_COOLOFF_TIME.total_seconds(), s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    age, at_close, limit, cool_off, rates = json.loads(out.strip().splitlines()[-1])
    assert (age, at_close, limit, cool_off) == (1800, True, 4, 1800.0)
    assert rates["writes"] is None
    assert rates["token"] == "10/min"
    assert rates["user"] == "3000/min"


# --- password change -------------------------------------------------------------------------
def test_changing_the_password_keeps_this_session_and_ends_the_others() -> None:
    # Given a person signed in on a laptop and on a phone
    UserFactory(username="alice")
    laptop, phone = signed_in_browser("alice"), signed_in_browser("alice")
    assert is_signed_in(laptop)
    assert is_signed_in(phone)

    # When they change their password on the laptop
    page = laptop.get("/accounts/password_change/")
    assert page.status_code == 200
    response = laptop.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-Brand-new-pw-77",
            "new_password2": "a-Brand-new-pw-77",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("/accounts/password_change/done/")

    # Then the laptop stays signed in (update_session_auth_hash) …
    assert is_signed_in(laptop)
    assert laptop.get("/accounts/password_change/done/").status_code == 200
    # … and the phone's session no longer authenticates (session auth hash changed)
    assert not is_signed_in(phone)
    # And the new password is the one that works
    assert signed_in_browser("alice", "a-Brand-new-pw-77")


def test_a_password_set_by_an_administrator_ends_the_persons_sessions() -> None:
    alice = UserFactory(username="alice")
    browser = signed_in_browser("alice")
    alice.set_password("reset-by-admin-42")
    alice.save()
    assert not is_signed_in(browser)


# --- deactivation ----------------------------------------------------------------------------
@pytest.fixture
def admin_and_rep():
    acme = company()
    admin = UserFactory(username="boss", role=Role.ADMIN, org_unit=acme)
    rep = UserFactory(username="alice", role=Role.REP, org_unit=acme)
    return admin, rep


def test_deactivating_through_the_api_ends_sessions_and_the_token_at_once(admin_and_rep):
    admin, rep = admin_and_rep
    # Given the rep signed in twice and holding an API token; the admin signed in too
    browsers = [signed_in_browser("alice"), signed_in_browser("alice")]
    api = token_client(rep)
    admin_browser = signed_in_browser("boss")
    assert api.get("/api/v1/metrics/").status_code == 200

    # When an admin deactivates the rep
    admin_api = APIClient()
    admin_api.force_authenticate(admin)
    response = admin_api.patch(f"/api/v1/users/{rep.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 200, response.content

    # Then every session and the token stop working at once, and are gone from the database
    assert not any(is_signed_in(b) for b in browsers)
    assert_refused(api.get("/api/v1/metrics/"), "Invalid token.")
    assert not Token.objects.filter(user=rep).exists()
    sessions = [s.get_decoded().get("_auth_user_id") for s in Session.objects.all()]
    assert str(rep.pk) not in sessions
    # While the admin's own session goes on
    assert is_signed_in(admin_browser)

    # And reactivating does not revive the old session or token
    services.user_update(user=rep, by=admin, is_active=True)
    assert not any(is_signed_in(b) for b in browsers)
    assert_refused(api.get("/api/v1/metrics/"), "Invalid token.")


def test_deactivating_on_the_user_page_ends_the_sessions(admin_and_rep) -> None:
    _admin, rep = admin_and_rep
    browser = signed_in_browser("alice")
    Token.objects.create(user=rep)
    admin_browser = signed_in_browser("boss")

    form = admin_browser.get(f"/org/users/{rep.pk}/edit/")
    assert form.status_code == 200
    data = {
        name: value
        for name, value in form.context["form"].initial.items()
        if value is not None and name != "is_active"
    }
    data["org_unit"] = rep.org_unit_id
    response = admin_browser.post(f"/org/users/{rep.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    rep.refresh_from_db()
    assert not rep.is_active
    assert not is_signed_in(browser)
    assert not Token.objects.filter(user=rep).exists()


def test_an_inactive_account_is_refused_even_when_deactivated_behind_the_services_back(
    admin_and_rep,
) -> None:
    # A raw database change (a script, a restore) skips the clean-up; authentication still
    # refuses an inactive person on their very next request.
    _, rep = admin_and_rep
    browser = signed_in_browser("alice")
    api = token_client(rep)
    type(rep).objects.filter(pk=rep.pk).update(is_active=False)
    assert not is_signed_in(browser)
    assert_refused(api.get("/api/v1/metrics/"), "User inactive or deleted.")


def test_deactivating_in_the_django_admin_deletes_the_token(admin_and_rep) -> None:
    _admin, rep = admin_and_rep
    Token.objects.create(user=rep)
    browser = signed_in_browser("alice")
    admin_browser = signed_in_browser("boss")
    page = admin_browser.get(f"/admin/salesgoals/user/{rep.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None or name in ("is_active", "password"):
            continue
        if isinstance(value, datetime.datetime):
            local = timezone.localtime(value)
            data[f"{name}_0"], data[f"{name}_1"] = local.date(), local.time().replace(microsecond=0)
        elif isinstance(value, (list, tuple)):
            data[name] = [getattr(v, "pk", v) for v in value]
        else:
            data[name] = getattr(value, "pk", value)
    for prefix in ("history", "orgmembership_set", "memberships"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
    response = admin_browser.post(f"/admin/salesgoals/user/{rep.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    rep.refresh_from_db()
    assert not rep.is_active
    assert not Token.objects.filter(user=rep).exists()
    assert not is_signed_in(browser)


def test_sign_out_everywhere_leaves_other_people_alone() -> None:
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    signed_in_browser("alice")
    signed_in_browser("alice")
    bob_browser = signed_in_browser("bob")
    Token.objects.create(user=alice)
    Token.objects.create(user=bob)
    assert user_sign_out_everywhere(user_id=alice.pk) == 2
    assert not Token.objects.filter(user=alice).exists()
    assert Token.objects.filter(user=bob).exists()
    assert is_signed_in(bob_browser)
