"""What every CRM provider offers the sync engine, and the HTTP plumbing they share.

The providers are the only modules that speak HTTP to a CRM. They turn the CRM's error
envelopes into the exceptions below; `Http.call` retries rate limits (honouring the CRM's
`retry_after` when given) and transient failures with exponential backoff, and the providers
refresh an expired token once and retry. Sleeping goes through an injectable function so
tests never wait.
"""

from __future__ import annotations

import datetime
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from django.conf import settings
from django.core.cache import cache

from crm_sync import crypto
from crm_sync.models import Connection

log = logging.getLogger("crm_sync")

Sleep = Callable[[float], None]


def conf(key: str, default: Any) -> Any:
    return getattr(settings, "CRM_SYNC", {}).get(key, default)


class CrmError(Exception):
    """An answer of the CRM we cannot go on with. `str()` never contains a secret."""

    def __init__(self, message: str, *, code: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class CrmAuthError(CrmError):
    """Credentials are wrong or revoked (not fixed by retrying)."""


class TokenExpired(CrmError):
    """The access token was refused: refresh once and retry."""


class RateLimited(CrmError):
    def __init__(self, message: str, *, code: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class Transient(CrmError):
    """5xx, timeouts, "system busy": retried with backoff."""


class CursorExpired(CrmError):
    """A page token or similar position is no longer valid: restart the pass."""


@dataclass
class Page:
    records: list[dict[str, Any]]
    next: dict[str, Any] | None  # position of the next page; None when this was the last
    total: int | None = None


@dataclass
class CrmUserInfo:
    external_id: str
    name: str
    email: str
    active: bool


@dataclass
class Http:
    """One httpx client per provider instance, with retries and timing for the benchmark."""

    sleep: Sleep = time.sleep
    timeout: float = 30.0
    seconds_in_http: float = 0.0
    seconds_waited: float = 0.0  # the sync's own thread blocked on the CRM (for the bench)
    calls: int = 0
    waits: list[float] = field(default_factory=list)
    client: httpx.Client = field(
        default_factory=lambda: httpx.Client(timeout=float(conf("HTTP_TIMEOUT", 30.0)))
    )

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None and retry_after >= 0:
            return float(retry_after)
        base = float(conf("BACKOFF_SECONDS", 1.0))
        return min(base * (2**attempt), float(conf("BACKOFF_MAX_SECONDS", 60.0))) * (
            1 + random.random() / 10
        )

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.sleep(max(0.0, seconds))

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        started = time.perf_counter()
        self.calls += 1
        try:
            return self.client.request(method, url, **kwargs)
        except httpx.TimeoutException as error:
            raise Transient(f"The CRM did not answer in time ({type(error).__name__}).") from None
        except httpx.TransportError as error:
            raise Transient(f"Cannot reach the CRM ({type(error).__name__}).") from None
        finally:
            spent = time.perf_counter() - started
            self.seconds_in_http += spent
            if threading.current_thread() is threading.main_thread():
                self.seconds_waited += spent

    def retrying(self, attempt_call: Callable[[], Any]) -> Any:
        """Run `attempt_call` again on rate limits and transient errors, with backoff."""
        retries = int(conf("MAX_RETRIES", 5))
        attempt = 0
        while True:
            try:
                return attempt_call()
            except RateLimited as error:
                if attempt >= retries:
                    raise
                log.warning("CRM rate limit (%s); backing off", error.code)
                self.wait(self.backoff(attempt, error.retry_after))
            except Transient as error:
                if attempt >= retries:
                    raise
                log.warning("CRM transient error: %s; retrying", error)
                self.wait(self.backoff(attempt, None))
            attempt += 1

    def close(self) -> None:
        self.client.close()


def parse_json(response: httpx.Response) -> Any:
    """JSON with exact decimals (numbers never pass through float)."""
    if not response.content:
        return None
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError:
        raise CrmError(
            f"The CRM answered HTTP {response.status_code} with something that is not JSON.",
            status=response.status_code,
        ) from None


# --- Tokens shared across workers ---------------------------------------------------------


class TokenStore:
    """Access tokens in the shared cache (Redis in production), encrypted, per connection.

    `single_flight` lets one process refresh while the others wait for its token, so a
    connection never asks the CRM for tokens concurrently.
    """

    def __init__(self, connection: Connection, sleep: Sleep) -> None:
        self.key = f"crm_sync:token:{connection.pk}:{_fingerprint(connection)}"
        self.lock_key = f"crm_sync:token-lock:{connection.pk}"
        self.sleep = sleep

    def get(self) -> dict[str, Any] | None:
        token = cache.get(self.key)
        if not token:
            return None
        text = crypto.decrypt_text(token)
        if text is None:
            return None
        data = json.loads(text)
        if data.get("expires_at", 0) <= time.time():
            return None
        return data

    def put(self, data: dict[str, Any]) -> None:
        timeout = max(1, int(data["expires_at"] - time.time()))
        cache.set(self.key, crypto.encrypt_text(json.dumps(data)), timeout=timeout)

    def forget(self, access_token: str | None = None) -> None:
        current = self.get()
        if current is None or access_token is None or current.get("token") == access_token:
            cache.delete(self.key)

    @contextmanager
    def single_flight(self, wait_seconds: float = 15.0) -> Iterator[bool]:
        """Yields True when this process holds the refresh lock, False when another did the
        refresh meanwhile (the caller then reads the token again)."""
        deadline = time.monotonic() + wait_seconds
        while not cache.add(self.lock_key, "1", timeout=int(wait_seconds) + 5):
            if time.monotonic() > deadline:
                raise Transient("Another worker is still refreshing the CRM token.")
            time.sleep(0.05)
            if self.get() is not None:
                yield False
                return
        try:
            yield True
        finally:
            cache.delete(self.lock_key)


def _fingerprint(connection: Connection) -> str:
    """Changes when credentials or hosts change, so an old token is never reused."""
    import hashlib

    text = "|".join(
        [
            connection.secrets_encrypted,
            connection.accounts_url,
            connection.api_url,
            connection.region,
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- Values -------------------------------------------------------------------------------


def local_date(moment: datetime.datetime) -> datetime.date:
    from django.utils import timezone

    return timezone.localtime(moment).date()


def ms_to_datetime(ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(int(ms) / 1000, tz=datetime.UTC)


def datetime_to_ms(moment: datetime.datetime) -> int:
    return int(moment.timestamp() * 1000)
