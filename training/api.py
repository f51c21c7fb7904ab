"""The training API: courses/ (modules nested), assignments/ (with complete-module and
quiz-attempt), certifications/, recommendations/ and recommendation-rules/.

Scope: the catalogue is read by everyone and written by admins; assignments, certifications
and recommendations are seen in the person's scope (rep: own; manager: subtree; executives
and admins: all) — a detail outside it is 403, an unknown id 404. Every list exports with
`?format=csv|xlsx`. Writes go through `training.services`; bad input is a structured 400.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from salesgoals.api.base import ExportMixin, bad_request
from salesgoals.api.pagination import StandardPagination
from salesgoals.models import Metric, OrgUnit, User
from training import selectors, services
from training.api_common import flag as _flag
from training.api_common import run as _run
from training.api_recommendations import RecommendationViewSet, RuleViewSet
from training.models import Assignment, Certification, Course
from training.selectors.access import can_configure, is_leader
from training.selectors.catalogue import modules_prefetch
from training.selectors.effectiveness import course_effects
from training.serializers import (
    AssignIn,
    AssignmentDetailOut,
    AssignmentOut,
    CertificationIn,
    CertificationOut,
    CompleteModuleIn,
    CourseIn,
    CourseOut,
    EffectivenessRowOut,
    ModuleIn,
    ModuleOut,
    QuizAttemptIn,
    QuizAttemptOut,
)


class CourseViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The course catalogue with modules, materials and quizzes (correct answers: admins)."""

    queryset = Course.objects.all()
    serializer_class = CourseOut
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = StandardPagination
    filter_backends: list[Any] = []

    def get_queryset(self):
        params = self.request.query_params
        return selectors.courses_visible(
            self.request.user,
            category=params.get("category"),
            q=params.get("q"),
            include_inactive=_flag(params.get("inactive")),
        ).prefetch_related(modules_prefetch())

    def _course(self, pk: Any) -> Course:
        course = get_object_or_404(Course.objects.prefetch_related(modules_prefetch()), pk=pk)
        if not course.active and not can_configure(self.request.user):
            raise Http404
        return course

    def _admin(self) -> None:
        if not can_configure(self.request.user):
            raise ApiPermissionDenied

    @extend_schema(
        summary="The course catalogue",
        description="Add `?format=csv` or `?format=xlsx` to export every row.",
        parameters=[
            OpenApiParameter("category", str, enum=Course.Category.values),
            OpenApiParameter("q", str, description="Title or code contains."),
            OpenApiParameter("inactive", bool, description="Admins: include retired courses."),
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One course with its modules")
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(CourseOut(self._course(pk), context=self.get_serializer_context()).data)

    @extend_schema(summary="Create a course (admins)", request=CourseIn, responses={201: CourseOut})
    def create(self, request: Request) -> Response:
        self._admin()
        data = CourseIn(data=request.data)
        data.is_valid(raise_exception=True)
        course = _run(services.course_create, actor=request.user, **data.validated_data)
        out = CourseOut(self._course(course.pk), context=self.get_serializer_context()).data
        return Response(out, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Change a course (admins)", request=CourseIn, responses={200: CourseOut})
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        self._admin()
        course = self._course(pk)
        data = CourseIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        _run(services.course_update, actor=request.user, course=course, **data.validated_data)
        return Response(CourseOut(self._course(pk), context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Add a module at the end of the course (admins)",
        request=ModuleIn,
        responses={201: ModuleOut},
    )
    @action(detail=True, methods=["post"])
    def modules(self, request: Request, pk: str | None = None) -> Response:
        self._admin()
        course = self._course(pk)
        data = ModuleIn(data=request.data)
        data.is_valid(raise_exception=True)
        module = _run(
            services.module_save, actor=request.user, course=course, **data.validated_data
        )
        return Response(
            ModuleOut(module, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Effectiveness: each course's KPI change, completers vs the others",
        description="Means over people of their monthly values in the metric's stored unit "
        "(minor units, counts or basis points). Managers: their subtree; executives: all.",
        parameters=[
            OpenApiParameter("metric", str, description="Metric code (default revenue)."),
            OpenApiParameter("months", int, description="Months before and after (default 3)."),
        ],
        responses={200: EffectivenessRowOut(many=True)},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def effectiveness(self, request: Request) -> Response:
        if not is_leader(request.user):
            raise ApiPermissionDenied
        code = request.query_params.get("metric") or "revenue"
        metric = Metric.objects.filter(code=code).first()
        if metric is None:
            raise bad_request(DjangoValidationError({"metric": ["Unknown metric."]}))
        try:
            months = max(1, min(12, int(request.query_params.get("months") or 3)))
        except ValueError:
            months = 3
        effects = course_effects(request.user, metric=metric, months=months)
        return Response(EffectivenessRowOut([e.as_dict() for e in effects], many=True).data)


class AssignmentViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Assignments in your scope: due, completion, score, certification expiry."""

    queryset = Assignment.objects.all()
    serializer_class = AssignmentOut
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = StandardPagination
    filter_backends: list[Any] = []

    def get_queryset(self):
        params = self.request.query_params
        return selectors.assignments_visible(
            self.request.user,
            status=params.get("status"),
            course=params.get("course"),
            category=params.get("category"),
            org_unit=params.get("org_unit"),
            person=params.get("user"),
            mine=_flag(params.get("mine")),
        )

    def _item(self, pk: Any) -> Assignment:
        return selectors.assignment_get_for_user(user=self.request.user, pk=pk)

    def _detail(self, pk: Any) -> dict[str, Any]:
        return AssignmentDetailOut(self._item(pk), context=self.get_serializer_context()).data

    @extend_schema(
        summary="Assignments in your scope",
        description="Add `?format=csv` or `?format=xlsx` to export every row in scope.",
        parameters=[
            OpenApiParameter("status", str, enum=[*Assignment.Status.values, "open", "overdue"]),
            OpenApiParameter("course", str, description="Course id or code."),
            OpenApiParameter("category", str, enum=Course.Category.values),
            OpenApiParameter("org_unit", int, description="People of that unit's subtree."),
            OpenApiParameter("user", int, description="One person."),
            OpenApiParameter("mine", bool, description="Only your own."),
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="One assignment with module progress", responses={200: AssignmentDetailOut}
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self._detail(pk))

    @extend_schema(
        summary="Assign a course to people and/or a unit",
        description="Managers: people and units of their subtree; anyone: themselves. Returns "
        "the open assignments of these people (new or already there).",
        request=AssignIn,
        responses={201: AssignmentOut(many=True)},
    )
    def create(self, request: Request) -> Response:
        data = AssignIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        course = Course.objects.filter(pk=values["course"]).first()
        if course is None:
            raise bad_request(DjangoValidationError({"course": ["Unknown course."]}))
        users = list(User.objects.filter(pk__in=values["users"]))
        if len(users) != len(set(values["users"])):
            raise bad_request(DjangoValidationError({"users": ["Unknown user."]}))
        unit = None
        if values.get("org_unit"):
            unit = OrgUnit.objects.filter(pk=values["org_unit"]).first()
            if unit is None:
                raise bad_request(DjangoValidationError({"org_unit": ["Unknown org unit."]}))
        made = _run(
            services.assign,
            actor=request.user,
            course=course,
            users=users,
            unit=unit,
            due_on=values.get("due_on"),
            note=values.get("note", ""),
        )
        rows = selectors.assignments_visible(request.user).filter(pk__in=[a.pk for a in made])
        return Response(
            AssignmentOut(rows, many=True, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Mark a module without a quiz done (the assignee only)",
        request=CompleteModuleIn,
        responses={200: AssignmentDetailOut},
    )
    @action(detail=True, methods=["post"], url_path="complete-module")
    def complete_module(self, request: Request, pk: str | None = None) -> Response:
        item = self._item(pk)
        data = CompleteModuleIn(data=request.data)
        data.is_valid(raise_exception=True)
        _run(
            services.module_complete,
            actor=request.user,
            assignment=item,
            module=data.validated_data["module"],
        )
        return Response(self._detail(pk))

    @extend_schema(
        summary="Submit a quiz attempt (graded on the server; the assignee only)",
        request=QuizAttemptIn,
        responses={201: QuizAttemptOut},
    )
    @action(detail=True, methods=["post"], url_path="quiz-attempt")
    def quiz_attempt(self, request: Request, pk: str | None = None) -> Response:
        item = self._item(pk)
        data = QuizAttemptIn(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = _run(
            services.quiz_submit,
            actor=request.user,
            assignment=item,
            module=data.validated_data["module"],
            answers=data.validated_data["answers"],
        )
        return Response(QuizAttemptOut(attempt).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel an open assignment", request=None, responses={200: AssignmentDetailOut}
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        _run(services.assignment_cancel, actor=request.user, assignment=self._item(pk))
        return Response(self._detail(pk))


class CertificationViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Certifications in your scope."""

    queryset = Certification.objects.all()
    serializer_class = CertificationOut
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = StandardPagination
    filter_backends: list[Any] = []

    def get_queryset(self):
        params = self.request.query_params
        within = params.get("expiring_within")
        return selectors.certifications_visible(
            self.request.user,
            course=params.get("course"),
            person=params.get("user"),
            expiring_within=int(within) if within and within.isdecimal() else None,
            valid_only=_flag(params.get("valid")),
        )

    @extend_schema(
        summary="Certifications in your scope",
        parameters=[
            OpenApiParameter("course", str, description="Course id or code."),
            OpenApiParameter("user", int),
            OpenApiParameter("valid", bool, description="Only those valid today."),
            OpenApiParameter("expiring_within", int, description="Valid, expiring within N days."),
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Record a certification earned elsewhere (admins)",
        request=CertificationIn,
        responses={201: CertificationOut},
    )
    def create(self, request: Request) -> Response:
        data = CertificationIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        user = User.objects.filter(pk=values["user"]).first()
        course = Course.objects.filter(pk=values["course"]).first()
        if user is None or course is None:
            field = "user" if user is None else "course"
            raise bad_request(DjangoValidationError({field: ["Unknown id."]}))
        cert = _run(
            services.certification_issue,
            actor=request.user,
            user=user,
            course=course,
            issued_on=values["issued_on"],
            expires_on=values.get("expires_on"),
        )
        return Response(CertificationOut(cert).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("courses", CourseViewSet, basename="course")
    router.register("assignments", AssignmentViewSet, basename="assignment")
    router.register("certifications", CertificationViewSet, basename="certification")
    router.register("recommendations", RecommendationViewSet, basename="recommendation")
    router.register("recommendation-rules", RuleViewSet, basename="recommendation-rule")
