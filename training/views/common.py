"""Small helpers shared by the training pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from training.selectors.access import can_configure, is_leader


def require_admin(request: HttpRequest) -> None:
    if not can_configure(request.user):
        raise PermissionDenied


def require_leader(request: HttpRequest) -> None:
    if not is_leader(request.user):
        raise PermissionDenied


def run(request: HttpRequest, fn: Callable[..., Any], success: str = "", **kwargs: Any) -> Any:
    """Call a service; its ValidationError messages become flash errors (returns None)."""
    try:
        result = fn(**kwargs)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return None
    if success:
        messages.success(request, success)
    return result if result is not None else True


def export_links(api_name: str, query: dict[str, str]) -> dict[str, str]:
    api = reverse(api_name)
    return {fmt: f"{api}?{urlencode({**query, 'format': fmt})}" for fmt in ("csv", "xlsx")}
