"""API rate limits: per-user writes, per-IP token requests, generous reads; a structured 429."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings as django_settings
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.test import APIClient, APIRequestFactory

from salesgoals import settings as product_settings
from salesgoals.api.auth import ObtainTokenView
from salesgoals.api.throttling import AnonThrottle, TokenThrottle
from tests.conftest import need_service
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WRITE = "/api/v1/deals/"
READ = "/api/v1/metrics/"
TOKEN = "/api/v1/auth/token/"


@pytest.fixture
def rates(settings):
    """Set some rates for one test (the throttles read them on every request)."""

    def apply(**scopes: str | None) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                **scopes,
            },
        }

    return apply


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_throttled(response) -> None:
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled"
    assert body["detail"] == "Too many requests. Please wait a moment and try again."
    assert isinstance(body["retry_after"], int)
    assert 1 <= body["retry_after"] <= 60
    assert int(response["Retry-After"]) >= 1


def test_defaults_are_generous_and_every_api_view_is_throttled() -> None:
    classes = api_settings.DEFAULT_THROTTLE_CLASSES
    assert {c.__name__ for c in classes} == {"AnonThrottle", "UserThrottle", "WritesThrottle"}
    defaults = django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    per_minute = {}
    for scope, rate in defaults.items():
        count, period = rate.split("/")
        assert period == "min"
        per_minute[scope] = int(count)
    # Enough for the test suite, a fast grid session and the 50-user load bench
    assert per_minute["writes"] >= 120
    assert per_minute["user"] >= 1000
    assert per_minute["anon"] >= 100
    assert 20 <= per_minute["token"] <= 120
    assert ObtainTokenView.throttle_classes == [TokenThrottle]


def test_rates_come_from_the_environment_and_off_switches_one_off() -> None:
    assert product_settings._rate(" 30/min ") == "30/min"
    for off in ("off", "OFF", "none", "", "0"):
        assert product_settings._rate(off) is None


def test_writes_are_limited_per_user_and_reads_go_on(rates) -> None:
    # Given a limit of 3 writes a minute
    rates(writes="3/min")
    rep, other = UserFactory(), UserFactory()
    client = signed_in(rep)

    # When a person sends 3 writes (valid or not, each counts) …
    for _ in range(3):
        assert client.post(WRITE, {}, format="json").status_code == 400
    # … then every further POST/PUT/PATCH/DELETE is refused with a structured 429
    assert_throttled(client.post(WRITE, {}, format="json"))
    assert_throttled(client.patch(f"{WRITE}1/", {}, format="json"))
    assert_throttled(client.delete(f"{WRITE}1/"))

    # And reads still work, for them and for everyone else
    assert client.get(READ).status_code == 200
    assert signed_in(other).post(WRITE, {}, format="json").status_code == 400


def test_reads_have_their_own_per_user_limit(rates) -> None:
    rates(user="4/min")
    client = signed_in(UserFactory())
    for _ in range(4):
        assert client.get(READ).status_code == 200
    assert_throttled(client.get(READ))
    assert signed_in(UserFactory()).get(READ).status_code == 200


def test_anonymous_requests_are_limited_per_address(rates) -> None:
    # Every API view but the token endpoint and the schema needs a log-in (refused before any
    # throttle), so the anonymous limit is checked on the throttle itself.
    rates(anon="3/min")
    factory = APIRequestFactory()

    def anonymous(address: str) -> Request:
        return Request(factory.get(READ, REMOTE_ADDR=address))

    throttle = AnonThrottle()
    assert [throttle.allow_request(anonymous("10.0.0.1"), None) for _ in range(4)] == [
        True,
        True,
        True,
        False,
    ]
    assert 0 < throttle.wait() <= 60
    assert AnonThrottle().allow_request(anonymous("10.0.0.2"), None)


def test_token_requests_are_limited_per_address_across_usernames(rates) -> None:
    # Given a limit of 3 token requests a minute
    rates(token="3/min", anon="1000/min")
    UserFactory(username="alice")
    client = APIClient()

    # When a script tries one password for many usernames from one address
    for name in ("a1", "a2", "a3"):
        response = client.post(TOKEN, {"username": name, "password": "x"}, format="json")
        assert response.status_code == 400

    # Then the next request is throttled, even with right credentials
    response = client.post(TOKEN, {"username": "alice", "password": "pw-Secret-123"}, format="json")
    assert_throttled(response)
    assert "token" not in response.json()
    # While another address still gets its token
    other = APIClient(REMOTE_ADDR="10.1.2.3")
    response = other.post(TOKEN, {"username": "alice", "password": "pw-Secret-123"}, format="json")
    assert response.status_code == 200
    assert response.json()["token"]


def test_a_scope_set_to_none_is_off(rates) -> None:
    rates(writes=None, user=None)
    client = signed_in(UserFactory())
    for _ in range(5):
        assert client.post(WRITE, {}, format="json").status_code == 400


@pytest.mark.services
def test_counts_live_in_the_shared_redis_cache(rates) -> None:
    """With REDIS_URL (production, CI) throttle counts are in Redis, shared by every web process."""
    need_service("Redis (REDIS_URL)", bool(product_settings.REDIS_URL))
    from django.core.cache import caches
    from django_redis.cache import RedisCache

    cache = caches["default"]

    assert isinstance(cache, RedisCache)
    rates(writes="2/min")
    rep = UserFactory()
    client = signed_in(rep)
    client.post(WRITE, {}, format="json")
    client.post(WRITE, {}, format="json")
    assert len(cache.get(f"throttle_writes_{rep.pk}")) == 2
    assert_throttled(client.post(WRITE, {}, format="json"))
    # The count is a key in Redis itself (what every other web process reads), with an expiry.
    raw = redis.Redis.from_url(django_settings.CACHES["default"]["LOCATION"])
    keys = raw.keys(f"*:throttle_writes_{rep.pk}")
    assert len(keys) == 1
    assert 0 < raw.ttl(keys[0]) <= 60
