"""Log-in lock-out (django-axes): username + IP, on the log-in page and the token API alike."""

from __future__ import annotations

import datetime

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.core.management import call_command

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Secret-123"
LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"
LIMIT = settings.AXES_FAILURE_LIMIT


def fail_logins(client, username: str, times: int, **extra) -> None:
    for _ in range(times):
        response = client.post(LOGIN, {"username": username, "password": "wrong"}, **extra)
        assert response.status_code in (200, 429)


def is_signed_in(client) -> bool:
    return client.get("/").status_code == 200


def test_settings_lock_by_username_and_ip_for_a_cool_off() -> None:
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert datetime.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert 3 <= LIMIT <= 10
    assert "axes.middleware.AxesMiddleware" in settings.MIDDLEWARE
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_failures_below_the_limit_show_the_form_and_the_right_password_still_works(client):
    UserFactory(username="bob")
    fail_logins(client, "bob", LIMIT - 1)
    response = client.post(LOGIN, {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302
    assert is_signed_in(client)
    # A successful log-in forgets the failures (AXES_RESET_ON_SUCCESS).
    assert not AccessAttempt.objects.filter(username="bob", failures_since_start__gt=0).exists()


def test_limit_failures_lock_the_account_and_refuse_the_right_password(client) -> None:
    # Given a person who mistyped their password as many times as allowed
    UserFactory(username="bob")
    fail_logins(client, "bob", LIMIT)

    # When they now type the right password
    response = client.post(LOGIN, {"username": "bob", "password": PASSWORD})

    # Then the lock-out page answers (429) with how long to wait, and nobody is signed in
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    text = response.content.decode()
    assert "Too many failed log-in attempts" in text
    assert "Try again in 15\xa0minutes" in text
    assert not is_signed_in(client)


def test_the_lock_out_page_is_translated(client) -> None:
    UserFactory(username="bob")
    fail_logins(client, "bob", LIMIT)
    response = client.post(
        LOGIN, {"username": "bob", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 429
    text = response.content.decode()
    assert "登录失败次数过多" in text
    assert "15\xa0分钟" in text
    assert 'lang="zh-hans"' in text


def test_lock_is_per_username_and_ip(client, django_user_model) -> None:
    UserFactory(username="bob")
    UserFactory(username="carol")
    fail_logins(client, "bob", LIMIT)
    other_ip = {"REMOTE_ADDR": "10.9.8.7"}

    # Another person from the same address is not affected …
    assert client.post(LOGIN, {"username": "carol", "password": PASSWORD}).status_code == 302
    client.logout()
    # … nor the same person from another address.
    response = client.post(LOGIN, {"username": "bob", "password": PASSWORD}, **other_ip)
    assert response.status_code == 302
    client.logout()
    # The locked pair stays locked.
    assert client.post(LOGIN, {"username": "bob", "password": PASSWORD}).status_code == 429


def test_token_endpoint_counts_failures_and_is_locked_too(api_client, client) -> None:
    # Given a script guessing a password through the token API
    UserFactory(username="bob")
    for _ in range(LIMIT):
        response = api_client.post(TOKEN, {"username": "bob", "password": "x"}, format="json")
        assert response.status_code == 400

    # When the right password comes
    response = api_client.post(TOKEN, {"username": "bob", "password": PASSWORD}, format="json")

    # Then it is refused with a structured 429 and no token
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "locked_out"
    assert "Too many failed log-in attempts" in body["detail"]
    assert body["retry_after"] == 15 * 60
    assert "token" not in body
    # And the same username + IP is locked on the log-in page as well
    assert client.post(LOGIN, {"username": "bob", "password": PASSWORD}).status_code == 429


def test_page_failures_lock_the_token_endpoint(api_client, client) -> None:
    UserFactory(username="bob")
    fail_logins(client, "bob", LIMIT)
    response = api_client.post(TOKEN, {"username": "bob", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"


def test_retrying_while_locked_does_not_restart_the_cool_off(client) -> None:
    UserFactory(username="bob")
    fail_logins(client, "bob", LIMIT)
    locked_at = AccessAttempt.objects.get(username="bob").attempt_time
    fail_logins(client, "bob", 3)
    client.post(LOGIN, {"username": "bob", "password": PASSWORD})
    attempt = AccessAttempt.objects.get(username="bob")
    assert attempt.attempt_time == locked_at
    assert attempt.failures_since_start == LIMIT


def test_the_lock_ends_after_the_cool_off(client) -> None:
    UserFactory(username="bob")
    fail_logins(client, "bob", LIMIT)
    assert client.post(LOGIN, {"username": "bob", "password": PASSWORD}).status_code == 429

    # 14 minutes later: still locked
    AccessAttempt.objects.filter(username="bob").update(
        attempt_time=AccessAttempt.objects.get(username="bob").attempt_time
        - datetime.timedelta(minutes=14)
    )
    assert client.post(LOGIN, {"username": "bob", "password": PASSWORD}).status_code == 429

    # 16 minutes after the last failure: the right password works again
    AccessAttempt.objects.filter(username="bob").update(
        attempt_time=AccessAttempt.objects.get(username="bob").attempt_time
        - datetime.timedelta(minutes=2)
    )
    assert client.post(LOGIN, {"username": "bob", "password": PASSWORD}).status_code == 302
    assert is_signed_in(client)


def test_an_admin_can_unlock_at_once(client) -> None:
    UserFactory(username="bob")
    UserFactory(username="dave")
    fail_logins(client, "bob", LIMIT)
    fail_logins(client, "dave", LIMIT)

    call_command("axes_reset_username", "bob")
    assert client.post(LOGIN, {"username": "bob", "password": PASSWORD}).status_code == 302
    client.logout()
    assert client.post(LOGIN, {"username": "dave", "password": PASSWORD}).status_code == 429

    reset(username="dave")
    assert client.post(LOGIN, {"username": "dave", "password": PASSWORD}).status_code == 302
