"""Pages of the market change log: list, log (or from a feedback item), detail with the linked
revisions and "Propose revision", and edit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from plans import selectors as feedback_selectors
from plans.forms.reports import MarketChangeForm, ProposeRevisionForm, next_month_start
from plans.models import MarketChange
from plans.selectors import market as selectors
from plans.services import market as services
from salesgoals import scope
from salesgoals.forms import apply_service_error
from salesgoals.ids import is_id
from salesgoals.models import Metric

FILTERS = ("category", "org_unit", "metric")


@login_required
def market_list(request: HttpRequest) -> HttpResponse:
    filters = {k: request.GET.get(k) or "" for k in FILTERS}
    items = selectors.market_changes_visible(request.user, **filters)
    page = Paginator(items, 25).get_page(request.GET.get("page"))
    query = {k: v for k, v in filters.items() if v}
    api = reverse("market-change-list")
    context = {
        "page": page,
        "filters": filters,
        "filtered": bool(query),
        "categories": MarketChange.Category.choices,
        "metrics": Metric.objects.filter(is_active=True).order_by("sort_order"),
        "units": scope.visible_units(request.user).order_by("path"),
        "can_create": selectors.market_can_create(request.user),
        "exports": {fmt: f"{api}?{urlencode({**query, 'format': fmt})}" for fmt in ("csv", "xlsx")},
    }
    return render(request, "plans/market/list.html", context)


def _impacts(form: MarketChangeForm) -> list[services.Impact]:
    return [services.Impact(metric, bp) for metric, bp in form.impacts()]


@login_required
def market_create(request: HttpRequest) -> HttpResponse:
    if not selectors.market_can_create(request.user):
        raise PermissionDenied
    feedback = None
    feedback_id = request.GET.get("feedback") or request.POST.get("feedback")
    if feedback_id and is_id(feedback_id):
        feedback = feedback_selectors.feedback_get_for_user(user=request.user, pk=feedback_id)
    today = timezone.localdate()
    initial = {"date": today, "effective_from": next_month_start(today)}
    if feedback is not None:
        initial.update(
            title=feedback.title,
            description=feedback.text,
            org_unit=feedback.org_unit_id,
            date=timezone.localtime(feedback.created_at).date(),
        )
    form = MarketChangeForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        impacts = _impacts(form)
        if not form.errors:
            try:
                change = services.market_change_create(
                    actor=request.user,
                    impacts=impacts,
                    feedback=feedback,
                    **{k: form.cleaned_data[k] for k in _FIELDS},
                )
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                messages.success(request, _("Market change logged."))
                return redirect("plans:market-detail", pk=change.pk)
    context = {"form": form, "feedback": feedback, "change": None}
    return render(request, "plans/market/form.html", context, status=400 if form.errors else 200)


_FIELDS = ("date", "org_unit", "category", "title", "description", "effective_from")


@login_required
def market_edit(request: HttpRequest, pk: int) -> HttpResponse:
    change = selectors.market_change_get_for_user(user=request.user, pk=pk)
    if not selectors.market_can_edit(request.user, change):
        raise PermissionDenied
    form = MarketChangeForm(
        request.POST or None, user=request.user, initial=MarketChangeForm.initial_from(change)
    )
    if request.method == "POST" and form.is_valid():
        impacts = _impacts(form)
        if not form.errors:
            try:
                services.market_change_update(
                    actor=request.user,
                    market_change=change,
                    impacts=impacts,
                    **{k: form.cleaned_data[k] for k in _FIELDS},
                )
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                messages.success(request, _("Market change saved."))
                return redirect("plans:market-detail", pk=change.pk)
    context = {"form": form, "feedback": change.feedback, "change": change}
    return render(request, "plans/market/form.html", context, status=400 if form.errors else 200)


def _detail_context(request: HttpRequest, change: MarketChange, form=None) -> dict:
    plans = selectors.plans_for_change(request.user, change)
    return {
        "change": change,
        "impacts": [
            (impact, services.percent_text(impact.impact_bp)) for impact in change.impacts.all()
        ],
        "links": [link.revision for link in change.revision_links.all()],
        "can_edit": selectors.market_can_edit(request.user, change),
        "form": form or ProposeRevisionForm(plans=plans),
        "can_propose": plans.exists(),
        "feedback_visible": change.feedback is not None
        and feedback_selectors.feedback_can_view(request.user, change.feedback),
    }


@login_required
def market_detail(request: HttpRequest, pk: int) -> HttpResponse:
    change = selectors.market_change_get_for_user(user=request.user, pk=pk)
    return render(request, "plans/market/detail.html", _detail_context(request, change))


@login_required
@require_POST
def market_propose(request: HttpRequest, pk: int) -> HttpResponse:
    change = selectors.market_change_get_for_user(user=request.user, pk=pk)
    form = ProposeRevisionForm(request.POST, plans=selectors.plans_for_change(request.user, change))
    if form.is_valid():
        plan = form.cleaned_data["plan"]
        try:
            revision = services.market_change_propose_revision(
                actor=request.user,
                market_change=change,
                plan=plan,
                effective_date=form.cleaned_data["effective_date"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            text = _("Revision r%(number)s proposed for approval.")
            messages.success(request, text % {"number": revision.number})
            return redirect("targets:revision", pk=plan.pk, number=revision.number)
    context = _detail_context(request, change, form)
    return render(request, "plans/market/detail.html", context, status=400)


urlpatterns = [
    path("market-changes/", market_list, name="market-list"),
    path("market-changes/new/", market_create, name="market-create"),
    path("market-changes/<int:pk>/", market_detail, name="market-detail"),
    path("market-changes/<int:pk>/edit/", market_edit, name="market-edit"),
    path("market-changes/<int:pk>/propose/", market_propose, name="market-propose"),
]
