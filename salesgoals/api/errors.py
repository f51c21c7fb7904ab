"""API answers outside DRF views: the 404 of an unknown URL (JSON under /api/, as DRF answers
an unknown id; a page elsewhere) and the 400 for NUL characters."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.validators import ProhibitNullCharactersValidator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework.exceptions import NotFound


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)


# An odd number of backslashes before "u0000" is a JSON-escaped NUL character.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


class RefuseNulCharactersMiddleware:
    """A 400 for API requests with a NUL character in the query string or a JSON body.

    No text column can hold one (PostgreSQL refuses it), so a NUL that reaches a lookup
    (`?metric=%00`, a slug in a body) would fail in the database with a 500. Serializer
    `CharField`s already refuse NUL; this covers the lookups that read raw parameters.
    Uploads (multipart) are not looked at: files may contain any byte.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and self._has_nul(request):
            message = str(ProhibitNullCharactersValidator.message)
            return JsonResponse({"detail": message}, status=400)
        return self.get_response(request)

    @staticmethod
    def _has_nul(request: HttpRequest) -> bool:
        if any("\x00" in key or "\x00" in value for key, value in request.GET.items()):
            return True
        if request.content_type == "application/json":
            return bool(_JSON_NUL.search(request.body))
        return False
