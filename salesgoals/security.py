"""Session and login safety that Django and its packages do not do on their own.

- `lockout_response` / `lockout_message`: django-axes' answer to a locked-out log-in (the
  page, or JSON for the API), saying how long the cool-off lasts in the reader's language.
- `PermissionsPolicyMiddleware`: the `Permissions-Policy` header (Django has no setting for it;
  CSP comes from django-csp, the other headers from Django's own middleware).
- `user_sign_out_everywhere`: ends every session and deletes the API token of a person, called
  when an account is deactivated. Authentication already refuses inactive users on the next
  request (`ModelBackend.get_user`, DRF `TokenAuthentication`); deleting what they held makes
  reactivating the account not bring old browser sessions or leaked tokens back to life.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from importlib import import_module

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.timesince import timesince
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token

__all__ = [
    "PermissionsPolicyMiddleware",
    "lockout_message",
    "lockout_response",
    "user_sign_out_everywhere",
]


def lockout_message(cool_off: datetime.timedelta | None) -> str:
    """What a locked-out person is told (the log-in page and the token API say the same)."""
    if not cool_off:
        return gettext(
            "Too many failed log-in attempts. Ask your administrator to unlock the account."
        )
    start = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    return gettext(
        "Too many failed log-in attempts. Try again in %(wait)s "
        "or ask your administrator to unlock the account."
    ) % {"wait": timesince(start, start + cool_off)}


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """django-axes' answer to a locked-out log-in (`AXES_LOCKOUT_CALLABLE`): the page, or JSON."""
    cool_off = get_cool_off(request)
    message = lockout_message(cool_off)
    status = settings.AXES_HTTP_RESPONSE_CODE
    if request.path.startswith("/api/") or request.headers.get("x-requested-with") == (
        "XMLHttpRequest"
    ):
        return JsonResponse({"detail": message, "code": "locked_out"}, status=status)
    return render(request, "registration/locked_out.html", {"message": message}, status=status)


class PermissionsPolicyMiddleware:
    """Adds `settings.PERMISSIONS_POLICY` ({feature: [allowlist]}) to every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = ", ".join(
            f"{feature}=({' '.join(allow)})"
            for feature, allow in getattr(settings, "PERMISSIONS_POLICY", {}).items()
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


def user_sign_out_everywhere(*, user_id: int) -> int:
    """Delete the person's API token and every stored session of theirs; returns sessions ended.

    Sessions are found in the database (the `db` and `cached_db` engines; `cached_db` also
    forgets the cached copy through `SessionStore.delete`). With a cache-only engine sessions
    cannot be listed: they still stop working at once, because an inactive user is never
    loaded from a session.
    """
    Token.objects.filter(user_id=user_id).delete()
    engine = settings.SESSION_ENGINE
    if engine not in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    ):
        return 0
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    store_class = import_module(engine).SessionStore
    ended = 0
    wanted = str(user_id)
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = store_class().decode(session.session_data)
        if str(data.get(SESSION_KEY)) == wanted:
            store_class(session_key=session.session_key).delete()
            ended += 1
    return ended
