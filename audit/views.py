"""The audit page (admins only): the merged history with filters, pages and export links."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from salesgoals import scope

from .filters import audit_filter, audit_params
from .selectors import describe, entry_rows

PER_PAGE = 50


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    if not scope.is_admin(request.user):
        raise PermissionDenied(_("Only administrators read the audit history."))
    params = audit_params(request.GET)
    filterset = audit_filter(request.GET, request)
    page = entries = None
    if filterset.is_valid():
        page = Paginator(entry_rows(filterset), PER_PAGE).get_page(request.GET.get("page"))
        entries = describe(list(page.object_list))
    query = [(k, v) for k in params for v in params.getlist(k) if k not in ("page", "format") and v]
    api = reverse("audit-list")
    return render(
        request,
        "audit/list.html",
        {
            "filter": filterset,
            "page": page,
            "entries": entries,
            "filtered": bool(query),
            "exports": {
                fmt: f"{api}?{urlencode([*query, ('format', fmt)])}" for fmt in ("csv", "xlsx")
            },
        },
    )
