"""Catalogue pages: browse courses, a course's detail, and (admins) build courses, modules,
materials and quizzes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salesgoals.forms import apply_service_error
from training import selectors, services
from training.forms import CourseForm, MaterialForm, ModuleForm, QuestionForm, QuizForm
from training.models import Assignment, Course, Material, Module, Question
from training.selectors.access import can_configure, is_leader
from training.views.common import export_links, require_admin, run


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    filters = {k: request.GET.get(k) or "" for k in ("category", "q", "inactive")}
    courses = selectors.courses_visible(
        request.user,
        category=filters["category"],
        q=filters["q"],
        include_inactive=filters["inactive"] == "1",
    )
    page = Paginator(courses, 24).get_page(request.GET.get("page"))
    open_ids = set(
        Assignment.objects.filter(
            user=request.user, status__in=Assignment.OPEN_STATUSES
        ).values_list("course_id", flat=True)
    )
    query = {k: v for k, v in filters.items() if v and k != "inactive"}
    return render(
        request,
        "training/catalogue.html",
        {
            "page": page,
            "filters": filters,
            "filtered": any(filters.values()),
            "categories": Course.Category.choices,
            "open_ids": open_ids,
            "can_configure": can_configure(request.user),
            "exports": export_links("course-list", query),
        },
    )


@login_required
def course_detail(request: HttpRequest, code: str) -> HttpResponse:
    course = selectors.course_get(user=request.user, code=code)
    mine = (
        Assignment.objects.filter(user=request.user, course=course)
        .exclude(status=Assignment.Status.CANCELLED)
        .order_by("-created_at")
        .first()
    )
    return render(
        request,
        "training/course_detail.html",
        {
            "course": course,
            "modules": course.modules.all(),
            "mine": mine,
            "certification": selectors.latest_certification(request.user, course.pk),
            "today": timezone.localdate(),
            "can_configure": can_configure(request.user),
            "is_leader": is_leader(request.user),
        },
    )


@login_required
@require_POST
def course_enrol(request: HttpRequest, code: str) -> HttpResponse:
    course = selectors.course_get(user=request.user, code=code)
    try:
        (assignment,) = services.assign(actor=request.user, course=course, users=[request.user])
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("training:course-detail", code=course.code)
    messages.success(request, _("You are enrolled. Work through the modules below."))
    return redirect("training:assignment-detail", pk=assignment.pk)


def _course_initial(course: Course) -> dict:
    return {
        "title": course.title,
        "code": course.code,
        "category": course.category,
        "description": course.description,
        "certifying": course.certifying,
        "certification_valid_months": course.certification_valid_months,
        "active": course.active,
    }


@login_required
def course_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    require_admin(request)
    course = get_object_or_404(Course, code=code) if code else None
    initial = _course_initial(course) if course else {"active": True}
    form = CourseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if course is None:
                course = services.course_create(actor=request.user, **form.cleaned_data)
            else:
                course = services.course_update(
                    actor=request.user, course=course, **form.cleaned_data
                )
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Course saved."))
            return redirect("training:course-detail", code=course.code)
    return render(request, "training/course_form.html", {"form": form, "course": course})


@login_required
def module_edit(
    request: HttpRequest, code: str | None = None, pk: int | None = None
) -> HttpResponse:
    """Create a module (``code``) or edit one (``pk``) with its materials and quiz."""
    require_admin(request)
    module = get_object_or_404(Module.objects.select_related("course"), pk=pk) if pk else None
    course = module.course if module else get_object_or_404(Course, code=code)
    initial = (
        {
            "title": module.title,
            "body": module.body,
            "minutes": module.minutes,
            "order": module.order,
        }
        if module
        else {"minutes": 15}
    )
    form = ModuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            module = services.module_save(
                actor=request.user, course=course, module=module, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            messages.success(request, _("Module saved."))
            return redirect("training:module-edit", pk=module.pk)
    quiz = selectors.quiz_of(module) if module else None
    context = {
        "form": form,
        "course": course,
        "module": module,
        "materials": module.materials.all() if module else [],
        "material_form": MaterialForm(),
        "quiz": quiz,
        "quiz_form": QuizForm(initial={"pass_mark": quiz.pass_mark if quiz else 70}),
        "questions": quiz.questions.prefetch_related("options") if quiz else [],
        "question_form": QuestionForm(),
    }
    return render(request, "training/module_form.html", context)


@login_required
@require_POST
def module_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_admin(request)
    module = get_object_or_404(Module.objects.select_related("course"), pk=pk)
    code = module.course.code
    services.module_delete(actor=request.user, module=module)
    messages.success(request, _("Module deleted."))
    return redirect("training:course-detail", code=code)


@login_required
@require_POST
def material_add(request: HttpRequest, pk: int) -> HttpResponse:
    require_admin(request)
    module = get_object_or_404(Module, pk=pk)
    form = MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        run(
            request,
            services.material_add,
            _("Material added."),
            actor=request.user,
            module=module,
            title=form.cleaned_data["title"],
            file=form.cleaned_data["file"],
            url=form.cleaned_data["url"],
        )
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("training:module-edit", pk=module.pk)


@login_required
@require_POST
def material_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_admin(request)
    material = get_object_or_404(Material, pk=pk)
    module_id = material.module_id
    services.material_delete(actor=request.user, material=material)
    messages.success(request, _("Material removed."))
    return redirect("training:module-edit", pk=module_id)


@login_required
@require_POST
def quiz_set(request: HttpRequest, pk: int) -> HttpResponse:
    require_admin(request)
    module = get_object_or_404(Module, pk=pk)
    run(
        request,
        services.quiz_set,
        _("Quiz saved."),
        actor=request.user,
        module=module,
        pass_mark=request.POST.get("pass_mark"),
    )
    return redirect("training:module-edit", pk=module.pk)


@login_required
@require_POST
def quiz_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_admin(request)
    module = get_object_or_404(Module, pk=pk)
    quiz = selectors.quiz_of(module)
    if quiz is not None:
        services.quiz_delete(actor=request.user, quiz=quiz)
        messages.success(request, _("Quiz removed."))
    return redirect("training:module-edit", pk=module.pk)


@login_required
@require_POST
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    require_admin(request)
    module = get_object_or_404(Module, pk=pk)
    quiz = selectors.quiz_of(module)
    form = QuestionForm(request.POST)
    if quiz is None:
        messages.error(request, _("Add a quiz to the module first."))
    elif form.is_valid():
        run(
            request,
            services.question_add,
            _("Question added."),
            actor=request.user,
            quiz=quiz,
            text=form.cleaned_data["text"],
            options=form.options(),
        )
    else:
        messages.error(request, _("Write the question."))
    return redirect("training:module-edit", pk=module.pk)


@login_required
@require_POST
def question_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_admin(request)
    question = get_object_or_404(Question.objects.select_related("quiz"), pk=pk)
    module_id = question.quiz.module_id
    services.question_delete(actor=request.user, question=question)
    messages.success(request, _("Question removed."))
    return redirect("training:module-edit", pk=module_id)
