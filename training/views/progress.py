"""Progress pages: my training, one assignment with its modules, taking a quiz, team
progress (leaders) and assigning a course to people or a unit."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from salesgoals import scope
from salesgoals.forms import apply_service_error
from salesgoals.ids import is_id
from training import selectors, services
from training.forms import AssignForm
from training.models import Assignment, Course, Module
from training.selectors.access import can_assign, is_leader
from training.views.common import export_links, require_leader, run


def _status_choices() -> list[tuple[str, str]]:
    return [
        ("open", _("Open")),
        ("overdue", _("Overdue")),
        *[(c, str(label)) for c, label in Assignment.Status.choices],
    ]


@login_required
def my_training(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or ""
    items = selectors.assignments_visible(request.user, mine=True, status=status)
    page = Paginator(items, 25).get_page(request.GET.get("page"))
    today = timezone.localdate()
    certifications = selectors.certifications_visible(request.user, person=request.user.pk)
    recs = selectors.recommendations_visible(request.user, person=request.user.pk, status="open")[
        :5
    ]
    return render(
        request,
        "training/my_training.html",
        {
            "page": page,
            "status": status,
            "statuses": _status_choices(),
            "today": today,
            "soon": today + datetime.timedelta(days=services.RENEWAL_NOTICE_DAYS),
            "certifications": certifications,
            "recommendations": recs,
            "exports": export_links("assignment-list", {"mine": "1"}),
        },
    )


@login_required
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.assignment_get_for_user(user=request.user, pk=pk)
    progress = selectors.module_progress(item)
    certification = item.certifications.order_by("-issued_on").first()
    return render(
        request,
        "training/assignment_detail.html",
        {
            "item": item,
            "progress": progress,
            "done_count": sum(1 for r in progress if r["done"]),
            "is_mine": item.user_id == request.user.pk,
            "overdue": selectors.is_overdue(item),
            "certification": certification,
            "can_cancel": item.is_open
            and can_assign(request.user, item.user)
            and (item.user_id != request.user.pk or item.source == Assignment.Source.SELF),
        },
    )


@login_required
@require_POST
def module_complete(request: HttpRequest, pk: int, module: int) -> HttpResponse:
    item = selectors.assignment_get_for_user(user=request.user, pk=pk)
    result = run(
        request,
        services.module_complete,
        actor=request.user,
        assignment=item,
        module=module,
    )
    if result:
        item.refresh_from_db()
        if item.status == Assignment.Status.COMPLETED:
            messages.success(request, _("Course completed — well done!"))
        else:
            messages.success(request, _("Module done."))
    return redirect("training:assignment-detail", pk=item.pk)


@login_required
def quiz_take(request: HttpRequest, pk: int, module: int) -> HttpResponse:
    item = selectors.assignment_get_for_user(user=request.user, pk=pk)
    if item.user_id != request.user.pk:
        raise PermissionDenied
    mod = get_object_or_404(Module.objects.select_related("quiz"), pk=module, course=item.course)
    quiz = selectors.quiz_of(mod)
    if quiz is None:
        return redirect("training:assignment-detail", pk=item.pk)
    questions = list(quiz.questions.prefetch_related("options"))
    attempt = None
    if request.method == "POST":
        answers = {str(q.pk): request.POST.getlist(f"q{q.pk}") for q in questions}
        try:
            attempt = services.quiz_submit(
                actor=request.user, assignment=item, module=mod, answers=answers
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            item.refresh_from_db()
            if attempt.passed and item.status == Assignment.Status.COMPLETED:
                messages.success(request, _("Passed — and the course is complete!"))
            elif attempt.passed:
                messages.success(request, _("Passed."))
            return render(
                request,
                "training/quiz_result.html",
                {"item": item, "module": mod, "quiz": quiz, "attempt": attempt},
            )
    return render(
        request,
        "training/quiz_take.html",
        {"item": item, "module": mod, "quiz": quiz, "questions": questions},
    )


@login_required
@require_POST
def assignment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.assignment_get_for_user(user=request.user, pk=pk)
    run(
        request,
        services.assignment_cancel,
        _("Assignment cancelled."),
        actor=request.user,
        assignment=item,
    )
    return redirect("training:assignment-detail", pk=item.pk)


TEAM_FILTERS = ("status", "course", "category", "org_unit", "person")


@login_required
def team_progress(request: HttpRequest) -> HttpResponse:
    require_leader(request)
    filters = {k: request.GET.get(k) or "" for k in TEAM_FILTERS}
    items = selectors.assignments_visible(request.user, **filters)
    page = Paginator(items, 25).get_page(request.GET.get("page"))
    today = timezone.localdate()
    query = {k: v for k, v in filters.items() if v}
    counts = selectors.assignment_counts(request.user)
    return render(
        request,
        "training/team_progress.html",
        {
            "page": page,
            "filters": filters,
            "filtered": bool(query),
            "statuses": _status_choices(),
            "courses": Course.objects.filter(active=True).order_by("title"),
            "categories": Course.Category.choices,
            "units": scope.visible_units(request.user).order_by("path"),
            "people": scope.visible_users(request.user)
            .filter(is_active=True)
            .order_by("display_name"),
            "today": today,
            "counts": counts,
            "exports": export_links("assignment-list", query),
        },
    )


@login_required
def assign(request: HttpRequest) -> HttpResponse:
    require_leader(request)
    initial = {}
    if request.GET.get("course"):
        initial["course"] = Course.objects.filter(code=request.GET["course"]).first()
    if is_id(person := request.GET.get("person", "")):
        initial["people"] = [int(person)]
    form = AssignForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = services.assign(
                actor=request.user,
                course=data["course"],
                users=list(data["people"]),
                unit=data["unit"],
                due_on=data["due_on"],
                note=data["note"],
            )
        except ValidationError as error:
            apply_service_error(form, error)
        except PermissionDenied as error:
            form.add_error(None, str(error) or _("Outside your scope."))
        else:
            messages.success(
                request,
                ngettext(
                    "%(course)s assigned to %(n)s person.",
                    "%(course)s assigned to %(n)s people.",
                    len(made),
                )
                % {"course": data["course"].title, "n": len(made)},
            )
            return redirect("training:team")
    return render(
        request, "training/assign.html", {"form": form, "is_leader": is_leader(request.user)}
    )
