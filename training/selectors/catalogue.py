"""Catalogue reads: courses with their modules, materials and quizzes."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from salesgoals.models import User
from training.models import Course, Material, Module, Question, Quiz
from training.selectors.access import can_configure


def courses_visible(
    user: User, *, category: str | None = None, q: str | None = None, include_inactive: bool = False
) -> QuerySet[Course]:
    """The catalogue (everyone signed in); inactive courses only for admins who ask."""
    if not user.is_authenticated or not user.is_active:
        return Course.objects.none()
    courses = Course.objects.annotate(
        module_count=Count("modules", distinct=True),
        quiz_count=Count("modules__quiz", distinct=True),
    )
    if not (include_inactive and can_configure(user)):
        courses = courses.filter(active=True)
    if category:
        courses = courses.filter(category=category)
    if q:
        courses = courses.filter(Q(title__icontains=q) | Q(code__icontains=q))
    return courses.order_by("category", "title", "pk")


def modules_prefetch() -> Prefetch:
    questions = Question.objects.prefetch_related("options")
    return Prefetch(
        "modules",
        queryset=Module.objects.select_related("quiz")
        .prefetch_related(
            Prefetch("materials", queryset=Material.objects.order_by("pk")),
            Prefetch("quiz__questions", queryset=questions),
        )
        .order_by("order", "pk"),
    )


def course_get(*, user: User, code: str) -> Course:
    """One course by code with modules, materials and quiz questions (404 when unknown or
    inactive for non-admins)."""
    courses = Course.objects.prefetch_related(modules_prefetch())
    if not can_configure(user):
        courses = courses.filter(active=True)
    return get_object_or_404(courses, code=code)


def quiz_of(module: Module) -> Quiz | None:
    """The module's quiz or None (works with the prefetch above)."""
    try:
        return module.quiz
    except Module.quiz.RelatedObjectDoesNotExist:
        return None
