"""Pages of the feedback channel: inbox, raise feedback, a thread with replies and status."""

from __future__ import annotations

from functools import partial

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from plans import selectors, services
from plans.forms import FeedbackForm, ResponseForm
from plans.models import Feedback
from plans.selectors import actions_pages as action_pages
from plans.views.common import status_post
from salesgoals import scope
from salesgoals.forms import apply_service_error
from salesgoals.ids import is_id
from salesgoals.models import Role

FILTERS = ("status", "category", "org_unit", "mine")


@login_required
def feedback_list(request: HttpRequest) -> HttpResponse:
    filters = {k: request.GET.get(k) or "" for k in FILTERS}
    items = selectors.feedback_visible(
        request.user,
        status=filters["status"],
        category=filters["category"],
        org_unit=filters["org_unit"],
        mine=filters["mine"] == "1",
    )
    page = Paginator(items, 25).get_page(request.GET.get("page"))
    for item in page.object_list:
        item.author_label = selectors.author_name(request.user, item)
    query = {k: v for k, v in filters.items() if v}
    api = reverse("feedback-list")
    context = {
        "page": page,
        "filters": filters,
        "filtered": bool(query),
        "statuses": Feedback.Status.choices,
        "categories": Feedback.Category.choices,
        "units": scope.visible_units(request.user).order_by("path"),
        "is_handler": request.user.role != Role.REP or request.user.is_superuser,
        "exports": {fmt: f"{api}?{urlencode({**query, 'format': fmt})}" for fmt in ("csv", "xlsx")},
    }
    return render(request, "plans/feedback_list.html", context)


@login_required
def feedback_create(request: HttpRequest) -> HttpResponse:
    initial = {}
    plan_id = request.GET.get("plan")
    if plan_id and is_id(plan_id):
        initial["plan"] = int(plan_id)
    for name in ("action_plan", "task"):
        value = request.GET.get(name)
        if value and is_id(value):
            initial[name] = int(value)
    form = FeedbackForm(request.POST or None, user=request.user, initial=initial)
    subject = action_pages.feedback_subject(
        request.user, form["action_plan"].value(), form["task"].value()
    )
    if subject is not None:  # about an action plan or a task: no target plan to choose
        form.fields["plan"].widget = forms.HiddenInput()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = services.feedback_create(
                actor=request.user,
                category=data["category"],
                title=data["title"],
                text=data["text"],
                plan=data["plan"],
                anonymous=data["anonymous"],
                action_plan=data["action_plan"],
                task=data["task"],
            )
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Thank you — your feedback has been sent."))
            return redirect("plans:feedback-detail", pk=item.pk)
    return render(request, "plans/feedback_form.html", {"form": form, "subject": subject})


def _detail_context(request: HttpRequest, item: Feedback, form: ResponseForm | None = None):
    responses = list(selectors.feedback_responses(item))
    for response in responses:
        response.author_label = selectors.author_name(request.user, item, response.author)
    return {
        "item": item,
        "author_label": selectors.author_name(request.user, item),
        "responses": responses,
        "form": form or ResponseForm(),
        "can_respond": selectors.feedback_can_respond(request.user, item),
        "next_statuses": [
            (code, Feedback.Status(code).label)
            for code in selectors.feedback_next_statuses(request.user, item)
        ],
    }


@login_required
def feedback_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.feedback_get_for_user(user=request.user, pk=pk)
    return render(request, "plans/feedback_detail.html", _detail_context(request, item))


@login_required
@require_POST
def feedback_respond(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.feedback_get_for_user(user=request.user, pk=pk)
    form = ResponseForm(request.POST)
    if form.is_valid():
        try:
            services.feedback_respond(
                actor=request.user, feedback=item, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Reply sent."))
            return redirect("plans:feedback-detail", pk=item.pk)
    context = _detail_context(request, item, form)
    return render(request, "plans/feedback_detail.html", context, status=400)


@login_required
@require_POST
def feedback_status(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.feedback_get_for_user(user=request.user, pk=pk)
    return status_post(
        request,
        item,
        partial(services.feedback_set_status, actor=request.user, feedback=item),
        "plans:feedback-detail",
    )
