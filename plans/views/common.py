"""Pieces shared by the plans pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _


def status_post(
    request: HttpRequest, item: Any, set_status: Callable[..., Any], detail: str
) -> HttpResponse:
    """Apply a status form's choice through `set_status(status=…)` and go back to the item's
    page (`detail` is its URL name) with the outcome as a message."""
    try:
        item = set_status(status=request.POST.get("status", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("Status set to %(status)s.") % {"status": item.get_status_display()}
        )
    return redirect(detail, pk=item.pk)
