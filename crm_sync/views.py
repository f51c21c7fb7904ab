"""CRM sync pages (admins only): connections with health, setup with "Test connection",
"Sync now" with a live progress bar (htmx polling), run history with per-record errors,
user mapping, field mapping and the monthly reconciliation report.

Views are thin: reads through `crm_sync.selectors`, writes through `crm_sync.services`, whose
field-keyed errors are shown next to the fields.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesgoals import scope
from salesgoals.forms import apply_service_error
from salesgoals.models import User

from . import selectors, services
from .defaults import default_objects
from .forms import ConnectionForm, MappingForm
from .models import Connection, CrmUser, ObjectMapping, Provider, SyncRun
from .services.reconcile import reconcile

PER_PAGE = 25


def _admin(request: HttpRequest) -> None:
    if not scope.is_admin(request.user):
        raise PermissionDenied(_("Only administrators manage CRM connections."))


def _connection(request: HttpRequest, pk: int) -> Connection:
    _admin(request)
    return get_object_or_404(Connection, pk=pk)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    _admin(request)
    rows = []
    unmapped = dict(
        CrmUser.objects.filter(user__isnull=True, active=True)
        .values_list("connection")
        .annotate(n=Count("pk"))
    )
    active = {r.connection_id: r for r in SyncRun.objects.filter(status__in=SyncRun.ACTIVE)}
    for connection in selectors.connections():
        rows.append(
            {
                "connection": connection,
                "unmapped": unmapped.get(connection.pk, 0),
                "active": active.get(connection.pk),
                "health": _health(connection),
            }
        )
    return render(request, "crm_sync/home.html", {"rows": rows, "providers": Provider.choices})


def _health(connection: Connection) -> tuple[str, str]:
    """(css class, label) of a connection's health."""
    if not connection.enabled:
        return "muted", _("Disabled")
    if connection.last_status == SyncRun.Status.FAILED or connection.last_test_ok is False:
        return "bad", _("Failing")
    if connection.last_status == SyncRun.Status.PARTIAL:
        return "warn", _("Some records skipped")
    if connection.last_status == SyncRun.Status.SUCCEEDED:
        return "good", _("Healthy")
    return "muted", _("Not run yet")


@login_required
def create(request: HttpRequest) -> HttpResponse:
    _admin(request)
    provider = request.GET.get("provider") or request.POST.get("provider") or Provider.ZOHO
    if provider not in Provider.values:
        provider = Provider.ZOHO
    form = ConnectionForm(
        request.POST or None,
        provider=provider,
        initial={"schedule_minutes": 60, "objects_enabled": default_objects(provider)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            connection = services.connection_create(
                provider=provider, secrets=form.secrets(), **form.values()
            )
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Connection saved. Test it, then sync."))
            return redirect("crm_sync:detail", pk=connection.pk)
    return render(
        request,
        "crm_sync/connection_form.html",
        {"form": form, "provider": provider, "provider_label": Provider(provider).label},
    )


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    connection = _connection(request, pk)
    form = ConnectionForm(
        request.POST or None,
        provider=connection.provider,
        initial=ConnectionForm.initial_for(connection),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.connection_update(
                connection=connection, secrets=form.secrets(), **form.values()
            )
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Connection saved."))
            return redirect("crm_sync:detail", pk=connection.pk)
    return render(
        request,
        "crm_sync/connection_form.html",
        {
            "form": form,
            "connection": connection,
            "provider": connection.provider,
            "provider_label": connection.get_provider_display(),
            "secrets_set": connection.secret_names(),
        },
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    connection = _connection(request, pk)
    page = Paginator(selectors.runs(connection), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "crm_sync/detail.html",
        {
            "connection": connection,
            "health": _health(connection),
            "page": page,
            "active": selectors.active_run(connection),
            "unmapped": selectors.crm_users(connection, unmapped=True).filter(active=True).count(),
            "api_runs": reverse("crm-run-list") + f"?connection={connection.pk}",
        },
    )


@login_required
@require_POST
def test(request: HttpRequest, pk: int) -> HttpResponse:
    connection = _connection(request, pk)
    ok, detail_text = services.connection_test(connection=connection)
    if request.htmx:
        return render(request, "crm_sync/_test_result.html", {"ok": ok, "detail": detail_text})
    (messages.success if ok else messages.error)(request, detail_text)
    return redirect("crm_sync:detail", pk=pk)


@login_required
@require_POST
def sync(request: HttpRequest, pk: int) -> HttpResponse:
    connection = _connection(request, pk)
    run, created = services.sync_request(
        connection=connection, by=request.user, full=request.POST.get("full") == "1"
    )
    if not created:
        messages.info(request, _("A sync of this connection is already running."))
    if request.htmx:
        run.refresh_from_db()
        return render(request, "crm_sync/_progress.html", {"run": run})
    return redirect("crm_sync:detail", pk=pk)


@login_required
def progress(request: HttpRequest, run_pk: int) -> HttpResponse:
    _admin(request)
    run = get_object_or_404(SyncRun.objects.select_related("connection"), pk=run_pk)
    return render(request, "crm_sync/_progress.html", {"run": run})


@login_required
def run_detail(request: HttpRequest, run_pk: int) -> HttpResponse:
    _admin(request)
    run = get_object_or_404(SyncRun.objects.select_related("connection"), pk=run_pk)
    errors = Paginator(selectors.run_errors(run), 50).get_page(request.GET.get("page"))
    return render(request, "crm_sync/run.html", {"run": run, "page": errors})


@login_required
def users(request: HttpRequest, pk: int) -> HttpResponse:
    connection = _connection(request, pk)
    only_unmapped = request.GET.get("unmapped") == "1"
    if request.method == "POST":
        crm_user = get_object_or_404(
            CrmUser, pk=request.POST.get("crm_user"), connection=connection
        )
        username = (request.POST.get("username") or "").strip()
        user = User.objects.filter(username=username, is_active=True).first() if username else None
        if username and user is None:
            messages.error(
                request, _("No active person has the user name “%(u)s”.") % {"u": username}
            )
        else:
            services.crm_user_map(crm_user=crm_user, user=user)
            messages.success(request, _("Mapping of %(name)s saved.") % {"name": crm_user})
        return redirect(request.get_full_path())
    rows = selectors.crm_users(connection, unmapped=only_unmapped).order_by("user", "name")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    # One list of people for the whole page (a <datalist>), not one <select> per row.
    people = User.objects.filter(is_active=True).order_by("display_name", "username")
    return render(
        request,
        "crm_sync/users.html",
        {
            "connection": connection,
            "page": page,
            "only_unmapped": only_unmapped,
            "people": people,
        },
    )


@login_required
def mappings(request: HttpRequest, pk: int) -> HttpResponse:
    connection = _connection(request, pk)
    return render(
        request,
        "crm_sync/mappings.html",
        {"connection": connection, "mappings": selectors.mappings(connection)},
    )


@login_required
def mapping_edit(request: HttpRequest, pk: int, mapping_pk: int) -> HttpResponse:
    connection = _connection(request, pk)
    mapping = get_object_or_404(ObjectMapping, pk=mapping_pk, connection=connection)
    form = MappingForm(
        request.POST or None, mapping=mapping, initial=MappingForm.initial_for(mapping)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.mapping_update(
                mapping=mapping,
                field_map=form.field_map(),
                stage_map=form.cleaned_data["stage_map"],
                enabled=form.cleaned_data["enabled"],
                activity_kind=form.cleaned_data.get("activity_kind"),
            )
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Mapping saved; it applies from the next sync."))
            return redirect("crm_sync:mappings", pk=connection.pk)
    return render(
        request,
        "crm_sync/mapping_form.html",
        {"connection": connection, "mapping": mapping, "form": form},
    )


@login_required
def reconciliation(request: HttpRequest, pk: int) -> HttpResponse:
    connection = _connection(request, pk)
    report: dict[str, Any] | None = None
    if request.method == "POST":
        report = reconcile(connection=connection)
    return render(request, "crm_sync/reconcile.html", {"connection": connection, "report": report})


@login_required
@require_POST
def reset(request: HttpRequest, pk: int) -> HttpResponse:
    connection = _connection(request, pk)
    services.connection_reset(connection=connection)
    messages.success(request, _("The next sync reads everything again."))
    return redirect("crm_sync:detail", pk=pk)
