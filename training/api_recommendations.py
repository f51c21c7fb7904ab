"""recommendations/ and recommendation-rules/ of the training API (see `training.api`)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from salesgoals.api.base import ExportMixin
from salesgoals.api.pagination import StandardPagination
from training import selectors, services
from training.api_common import run as _run
from training.models import Recommendation, RecommendationRule
from training.selectors.access import is_leader
from training.serializers import RecommendationAssignIn, RecommendationOut, RuleIn, RuleOut


class RecommendationViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Courses recommended from lagging KPIs, in your scope."""

    queryset = Recommendation.objects.all()
    serializer_class = RecommendationOut
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = StandardPagination
    filter_backends: list[Any] = []

    def get_queryset(self):
        params = self.request.query_params
        return selectors.recommendations_visible(
            self.request.user,
            status=params.get("status"),
            course=params.get("course"),
            org_unit=params.get("org_unit"),
            person=params.get("user"),
        )

    def _item(self, pk: Any) -> Recommendation:
        return selectors.recommendation_get_for_user(user=self.request.user, pk=pk)

    def _out(self, pk: Any) -> dict[str, Any]:
        return RecommendationOut(self._item(pk), context=self.get_serializer_context()).data

    @extend_schema(
        summary="Recommendations in your scope",
        parameters=[
            OpenApiParameter("status", str, enum=Recommendation.Status.values),
            OpenApiParameter("course", str, description="Course id or code."),
            OpenApiParameter("org_unit", int),
            OpenApiParameter("user", int),
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One recommendation")
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self._out(pk))

    @extend_schema(
        summary="Turn the recommendation into an assignment",
        request=RecommendationAssignIn,
        responses={200: RecommendationOut},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        item = self._item(pk)
        data = RecommendationAssignIn(data=request.data)
        data.is_valid(raise_exception=True)
        _run(
            services.recommendation_assign,
            actor=request.user,
            recommendation=item,
            due_on=data.validated_data.get("due_on"),
        )
        return Response(self._out(pk))

    @extend_schema(
        summary="Dismiss the recommendation", request=None, responses={200: RecommendationOut}
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: str | None = None) -> Response:
        _run(services.recommendation_dismiss, actor=request.user, recommendation=self._item(pk))
        return Response(self._out(pk))

    @extend_schema(
        summary="Run the rules now for the people in your scope (leaders)",
        request=None,
        responses={201: RecommendationOut(many=True)},
    )
    @action(detail=False, methods=["post"], pagination_class=None)
    def compute(self, request: Request) -> Response:
        if not is_leader(request.user):
            raise ApiPermissionDenied
        made = services.recommendations_compute(actor=request.user)
        rows = selectors.recommendations_visible(request.user).filter(pk__in=[r.pk for r in made])
        out = RecommendationOut(rows, many=True, context=self.get_serializer_context()).data
        return Response(out, status=status.HTTP_201_CREATED)


class RuleViewSet(
    ExportMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Recommendation rules: metric, condition and course (read: leaders; write: admins)."""

    queryset = RecommendationRule.objects.all()
    serializer_class = RuleOut
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = StandardPagination
    filter_backends: list[Any] = []

    def get_queryset(self):
        if not is_leader(self.request.user):
            raise ApiPermissionDenied
        return selectors.rules_all()

    def _save(self, request: Request, rule: RecommendationRule | None, code: int) -> Response:
        data = RuleIn(data=request.data)
        data.is_valid(raise_exception=True)
        rule = _run(services.rule_save, actor=request.user, rule=rule, **data.validated_data)
        return Response(RuleOut(rule).data, status=code)

    @extend_schema(summary="Create a rule (admins)", request=RuleIn, responses={201: RuleOut})
    def create(self, request: Request) -> Response:
        return self._save(request, None, status.HTTP_201_CREATED)

    @extend_schema(summary="Replace a rule (admins)", request=RuleIn, responses={200: RuleOut})
    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._save(request, get_object_or_404(RecommendationRule, pk=pk), status.HTTP_200_OK)

    @extend_schema(summary="Delete a rule (admins)", responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        rule = get_object_or_404(RecommendationRule, pk=pk)
        _run(services.rule_delete, actor=request.user, rule=rule)
        return Response(status=status.HTTP_204_NO_CONTENT)
