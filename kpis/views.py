"""Log progress: pages where reps (and managers for their reps) record what happened.

Quick-log an activity, create and update deals (credit shares for managers), mark deals won
or lost, record orders and payments, keep customers and leads. Every list has filters,
pagination and scoped CSV/XLSX export links (the API). Views are thin: reads through
`kpis.selectors`, writes through `kpis.services` with `by=` the user, so a write outside the
user's scope is 403. Forms work as plain POST → redirect; with htmx the quick log prepends
the new row and won/lost replace the deal's row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from kpis import selectors, services
from kpis.api import api_list_name
from kpis.forms import (
    FILTERSETS,
    ActivityForm,
    CustomerForm,
    DealCloseForm,
    DealForm,
    FactForm,
    LeadForm,
    OrderForm,
    PaymentForm,
    initial_for,
    share_formset,
    writable_people,
)
from kpis.models import Activity, Customer, Deal, Fact, Lead, Order, Payment
from salesgoals import money, scope
from salesgoals.forms import apply_service_error
from salesgoals.models import Role, User

PER_PAGE = 50


@dataclass(frozen=True)
class Kind:
    """One kind of fact as the pages show it."""

    slug: str
    model: type[Fact]
    form: type[FactForm]
    upsert: Callable[..., Any]
    title: Promise
    add: Promise
    saved: Promise
    empty: Promise


KINDS: dict[str, Kind] = {
    "activities": Kind(
        "activities",
        Activity,
        ActivityForm,
        services.activity_upsert,
        gettext_lazy("Activities"),
        gettext_lazy("Log an activity"),
        gettext_lazy("Activity logged."),
        gettext_lazy("No activities yet. Log a call, visit or meeting above."),
    ),
    "deals": Kind(
        "deals",
        Deal,
        DealForm,
        services.deal_upsert,
        gettext_lazy("Deals"),
        gettext_lazy("Add a deal"),
        gettext_lazy("Deal saved."),
        gettext_lazy("No deals here yet."),
    ),
    "orders": Kind(
        "orders",
        Order,
        OrderForm,
        services.order_upsert,
        gettext_lazy("Sales orders"),
        gettext_lazy("Record a sales order"),
        gettext_lazy("Sales order saved."),
        gettext_lazy("No sales orders here yet."),
    ),
    "payments": Kind(
        "payments",
        Payment,
        PaymentForm,
        services.payment_upsert,
        gettext_lazy("Payments collected"),
        gettext_lazy("Record a payment"),
        gettext_lazy("Payment saved."),
        gettext_lazy("No payments collected here yet."),
    ),
    "customers": Kind(
        "customers",
        Customer,
        CustomerForm,
        services.customer_upsert,
        gettext_lazy("Customers"),
        gettext_lazy("Add a customer"),
        gettext_lazy("Customer saved."),
        gettext_lazy("No customers here yet."),
    ),
    "leads": Kind(
        "leads",
        Lead,
        LeadForm,
        services.lead_upsert,
        gettext_lazy("Leads"),
        gettext_lazy("Add a lead"),
        gettext_lazy("Lead saved."),
        gettext_lazy("No leads here yet."),
    ),
}
KIND_OF_MODEL: dict[type[Model], Kind] = {k.model: k for k in KINDS.values()}


# --- Helpers ------------------------------------------------------------------------------


def _can_log(user: User) -> bool:
    return writable_people(user).exists()


def _gives_credit(user: User) -> bool:
    """Managers and above split a deal's credit; a rep's deals credit themself."""
    return scope.sees_everything(user) or user.role == Role.MANAGER


def _percent(share_bp: int) -> str:
    return f"{money.from_minor(share_bp).normalize():f}%"


def _labels(rows: list[Any], user: User | None = None) -> None:
    """Text made once per row: amounts (thousands separators, base currency), credit
    shares, and whether the user may change the row."""
    base = money.base_currency()
    editable = selectors.facts_editable(user, rows) if user is not None else set()
    for row in rows:
        row.editable = row.pk in editable
        if hasattr(row, "amount_minor"):
            row.amount_label = money.format_money(row.amount_minor)
            row.original_label = (
                money.format_money(row.original_amount_minor, row.currency)
                if row.currency != base
                else ""
            )
        if isinstance(row, Deal):
            shares = list(row.shares.all())
            row.share_label = (
                ", ".join(f"{s.user.display} {_percent(s.share_bp)}" for s in shares)
                if len(shares) > 1
                else ""
            )


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


def _list_context(request: HttpRequest, kind: Kind) -> dict[str, Any]:
    user = request.user
    queryset = selectors.fact_list(user=user, model=kind.model)
    filterset = FILTERSETS[kind.model](request.GET or None, queryset=queryset, request=request)
    filterset.limit_to_scope(user)
    rows = filterset.qs
    if filterset.is_bound and not filterset.is_valid():
        rows = rows.none()
    page: Page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    _labels(list(page.object_list), user)
    query = {k: v for k, v in request.GET.items() if k not in ("page", "format") and v}
    api = reverse(api_list_name(kind.model))
    return {
        "kind": kind,
        "kinds": KINDS,
        "filter": filterset,
        "page": page,
        "exports": {fmt: f"{api}?{urlencode({**query, 'format': fmt})}" for fmt in ("csv", "xlsx")},
        "can_log": _can_log(user),
        "gives_credit": _gives_credit(user),
        "list_url": reverse(f"kpis:{kind.slug}"),
        "here": request.get_full_path(),
    }


def _fact_list(request: HttpRequest, slug: str, **extra: Any) -> HttpResponse:
    kind = KINDS[slug]
    context = {**_list_context(request, kind), **extra}
    return render(request, f"kpis/{slug}_list.html", context)


# --- Hub ----------------------------------------------------------------------------------


@login_required
def progress(request: HttpRequest) -> HttpResponse:
    """Log progress: the quick activity log and a card per kind of fact."""
    user = request.user
    cards = [
        {
            "kind": kind,
            "url": reverse(f"kpis:{kind.slug}"),
            "count": selectors.facts_visible(user, kind.model).count(),
        }
        for kind in KINDS.values()
    ]
    can_log = _can_log(user)
    context = {
        "kinds": KINDS,
        "cards": cards,
        "can_log": can_log,
        "quick_form": ActivityForm(user=user, quick=True, prefix="quick") if can_log else None,
    }
    return render(request, "kpis/progress.html", context)


# --- Lists --------------------------------------------------------------------------------


@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    quick = ActivityForm(user=request.user, quick=True, prefix="quick")
    return _fact_list(request, "activities", quick_form=quick)


@login_required
def deal_list(request: HttpRequest) -> HttpResponse:
    return _fact_list(request, "deals")


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    return _fact_list(request, "orders")


@login_required
def payment_list(request: HttpRequest) -> HttpResponse:
    return _fact_list(request, "payments")


@login_required
def customer_list(request: HttpRequest) -> HttpResponse:
    return _fact_list(request, "customers")


@login_required
def lead_list(request: HttpRequest) -> HttpResponse:
    return _fact_list(request, "leads")


# --- Quick log ----------------------------------------------------------------------------


@login_required
@require_POST
def activity_log(request: HttpRequest) -> HttpResponse:
    """The quick log: with htmx the new row is prepended and the form is reset."""
    user = request.user
    form = ActivityForm(request.POST, user=user, quick=True, prefix="quick")
    if form.is_valid():
        try:
            activity = services.activity_log(**form.service_kwargs(), by=user)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            if request.htmx:
                row = selectors.fact_detail_queryset(Activity).get(pk=activity.pk)
                _labels([row], user)
                context = {
                    "row": row,
                    "quick_form": ActivityForm(user=user, quick=True, prefix="quick"),
                    "oob": True,
                }
                return render(request, "kpis/_activity_logged.html", context)
            messages.success(request, _("Activity logged."))
            return redirect(_next_url(request, reverse("kpis:activities")))
    if request.htmx:
        response = render(request, "kpis/_quick_log.html", {"quick_form": form})
        return reswap(retarget(response, "#quick-log"), "outerHTML")
    if not _can_log(user):
        raise PermissionDenied
    return _fact_list(request, "activities", quick_form=form)


# --- Create and edit ----------------------------------------------------------------------


def _initial_from_query(request: HttpRequest, form_class: type[FactForm]) -> dict[str, Any]:
    """`?customer=…&deal=…&order=…` pre-fill a new fact (links from a deal's page)."""
    initial: dict[str, Any] = {}
    for name in form_class.related:
        value = request.GET.get(name, "")
        if value.isdigit():
            initial[name] = int(value)
    owner = request.GET.get("owner", "")
    if owner.isdigit():
        initial["owner"] = int(owner)
    return initial


def _fact_form(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    kind = KINDS[slug]
    user = request.user
    fact = (
        selectors.fact_get_for_user(user=user, model=kind.model, pk=pk, edit=True) if pk else None
    )
    if fact is None and not _can_log(user):
        raise PermissionDenied
    initial = initial_for(fact) if fact else _initial_from_query(request, kind.form)
    if fact is None:
        initial.setdefault("owner", user.pk)
    data = request.POST if request.method == "POST" else None
    form = kind.form(data, user=user, initial=initial)
    shares = None
    if kind.model is Deal and _gives_credit(user):
        shares = share_formset(data, user=user, deal=fact)
    share_errors: list[str] = []
    if data is not None and form.is_valid() and (shares is None or shares.is_valid()):
        values = form.service_kwargs()
        if shares is not None:
            values["shares"] = shares.shares()
        if fact is not None:
            values.update(source=fact.source, external_id=fact.external_id)
        try:
            saved = kind.upsert(**values, by=user)
        except ValidationError as error:
            if hasattr(error, "error_dict") and "shares" in error.error_dict:
                share_errors = [m for e in error.error_dict.pop("shares") for m in e.messages]
            if not hasattr(error, "error_dict") or error.error_dict:
                apply_service_error(form, error)
        else:
            messages.success(request, str(kind.saved))
            if kind.model is Deal:
                return redirect("kpis:deal-detail", pk=saved.pk)
            return redirect(_next_url(request, reverse(f"kpis:{slug}")))
    context = {
        "kind": kind,
        "fact": fact,
        "form": form,
        "shares": shares,
        "share_errors": share_errors,
        "cancel": _next_url(request, reverse(f"kpis:{slug}")),
    }
    return render(request, "kpis/fact_form.html", context)


@login_required
def fact_create(request: HttpRequest, slug: str) -> HttpResponse:
    return _fact_form(request, slug)


@login_required
def fact_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _fact_form(request, slug, pk)


@login_required
@require_POST
def fact_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    kind = KINDS[slug]
    fact = selectors.fact_get_for_user(user=request.user, model=kind.model, pk=pk, edit=True)
    services.fact_soft_delete(fact=fact, by=request.user)
    messages.success(request, _("“%(name)s” deleted.") % {"name": fact})
    return redirect(reverse(f"kpis:{slug}"))


# --- Deals --------------------------------------------------------------------------------


@login_required
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    deal = selectors.fact_get_for_user(user=user, model=Deal, pk=pk)
    _labels([deal], user)
    orders = list(selectors.order_list(user=user).filter(deal=deal))
    payments = list(selectors.payment_list(user=user).filter(order__deal=deal))
    activities = list(selectors.activity_list(user=user).filter(deal=deal)[:20])
    _labels(orders)
    _labels(payments)
    shares = [
        {
            "share": s,
            "percent": _percent(s.share_bp),
            "credit": money.format_money(deal.amount_minor * s.share_bp // 10000),
        }
        for s in deal.shares.all()
    ]
    context = {
        "kinds": KINDS,
        "kind": KINDS["deals"],
        "deal": deal,
        "shares": shares,
        "orders": orders,
        "payments": payments,
        "activities": activities,
        "can_edit": deal.editable,
        "close_form": DealCloseForm(),
    }
    return render(request, "kpis/deal_detail.html", context)


def _deal_close(request: HttpRequest, pk: int, status: str) -> HttpResponse:
    user = request.user
    deal = selectors.fact_get_for_user(user=user, model=Deal, pk=pk, edit=True)
    form = DealCloseForm(request.POST)
    mark = services.deal_mark_won if status == Deal.Status.WON else services.deal_mark_lost
    if form.is_valid():
        try:
            deal = mark(deal=deal, close_date=form.cleaned_data["close_date"], by=user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            text = _("“%(name)s” marked won.") if status == "won" else _("“%(name)s” marked lost.")
            messages.success(request, text % {"name": deal.name})
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    if request.htmx and request.POST.get("row"):
        row = selectors.fact_detail_queryset(Deal).get(pk=deal.pk)
        _labels([row], user)
        context = {"row": row, "gives_credit": _gives_credit(user), "here": _next_url(request, "")}
        return render(request, "kpis/_deal_row.html", context)
    return redirect(_next_url(request, reverse("kpis:deal-detail", args=[deal.pk])))


@login_required
@require_POST
def deal_won(request: HttpRequest, pk: int) -> HttpResponse:
    return _deal_close(request, pk, Deal.Status.WON)


@login_required
@require_POST
def deal_lost(request: HttpRequest, pk: int) -> HttpResponse:
    return _deal_close(request, pk, Deal.Status.LOST)
