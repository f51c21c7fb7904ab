"""API rate limits and the structured 429.

Scopes (rates in `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`, set from the environment in
settings' Security block):
- `anon`, `user`: every request, per client IP / per signed-in user — generous, against
  runaway scripts rather than people;
- `writes`: POST/PUT/PATCH/DELETE per signed-in user;
- `token`: `POST auth/token/` per client IP (password guessing across many usernames; axes
  locks a single username + IP after a few failures).

Rates are read on every request (not at import like DRF's own classes), so a settings change
(tests, `override_settings`) applies at once. A rate of `None` switches a scope off.
"""

from __future__ import annotations

import math
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions, throttling
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class _LiveRateMixin:
    scope: str

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def __init__(self) -> None:
        # DRF's __init__ reads the rate from a class attribute frozen at import time.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)


class AnonThrottle(_LiveRateMixin, throttling.AnonRateThrottle):
    scope = "anon"


class UserThrottle(_LiveRateMixin, throttling.UserRateThrottle):
    scope = "user"


class WritesThrottle(_LiveRateMixin, throttling.SimpleRateThrottle):
    """POST/PUT/PATCH/DELETE per signed-in user; reads and anonymous requests pass."""

    scope = "writes"

    def get_cache_key(self, request, view) -> str | None:
        if request.method in SAFE_METHODS or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class TokenThrottle(_LiveRateMixin, throttling.SimpleRateThrottle):
    """`auth/token/` per client IP."""

    scope = "token"

    def get_cache_key(self, request, view) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def exception_handler(exc: Exception, context: dict[str, Any]):
    """DRF's handler; a 429 says what happened, its code and when to come back."""
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.Throttled):
        wait = None if exc.wait is None else max(1, math.ceil(exc.wait))
        response.data = {
            "detail": _("Too many requests. Please wait a moment and try again."),
            "code": "throttled",
            "retry_after": wait,
        }
    return response
