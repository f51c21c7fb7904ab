"""badges/ (list, manual awards) and leaderboards/ (ranked reps for a metric and period).

Recognition is public inside the company: every signed-in user reads badges and
leaderboards (rank, person, unit, actual, target, attainment — never pay). Managers award
badges in their subtree, executives and admins to anyone.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from incentives import selectors, services
from incentives.api.fields import BadgeSourceField
from incentives.leaderboards import leaderboard
from incentives.models import BadgeAward, Contest
from incentives.views.recognition import leaderboard_choice
from salesgoals.api.base import ExportMixin, bad_request
from salesgoals.api.pagination import StandardPagination
from salesgoals.models import Period, User


class BadgeAwardOut(serializers.ModelSerializer):
    source = BadgeSourceField(read_only=True)
    person_name = serializers.CharField(source="person.display", read_only=True)
    period_label = serializers.CharField(
        source="period.label", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = BadgeAward
        fields = [
            "id",
            "person",
            "person_name",
            "badge",
            "source",
            "message",
            "period",
            "period_label",
            "contest",
            "awarded_by",
            "awarded_at",
        ]
        read_only_fields = fields


class BadgeAwardIn(serializers.Serializer):
    person = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    badge = serializers.CharField(max_length=80)
    message = serializers.CharField(required=False, allow_blank=True, default="")
    period = serializers.PrimaryKeyRelatedField(
        queryset=Period.objects.all(), required=False, allow_null=True, default=None
    )


class BadgeViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Badges awarded by plan rules, by hand and in contests (the recognition feed)."""

    queryset = BadgeAward.objects.all()
    serializer_class = BadgeAwardOut
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = StandardPagination
    filter_backends: list[Any] = []

    def get_queryset(self):
        params = self.request.query_params
        return selectors.badges_visible(
            self.request.user, person=params.get("person"), source=params.get("source")
        )

    @extend_schema(
        summary="Badges, newest first",
        parameters=[
            OpenApiParameter("person", int),
            OpenApiParameter("source", str, enum=BadgeAward.Source.values),
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Award a badge by hand, with a message",
        request=BadgeAwardIn,
        responses={201: BadgeAwardOut},
    )
    def create(self, request: Request) -> Response:
        data = BadgeAwardIn(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            award = services.badge_award(actor=request.user, **data.validated_data)
        except DjangoValidationError as error:
            raise bad_request(error) from error
        return Response(BadgeAwardOut(award).data, status=status.HTTP_201_CREATED)


class LeaderboardRowOut(serializers.Serializer):
    rank = serializers.IntegerField()
    top = serializers.BooleanField(help_text="One of the top three.")
    person = serializers.IntegerField(source="person.pk")
    person_name = serializers.CharField(source="person.display")
    org_unit_name = serializers.CharField(source="person.org_unit.name", default=None)
    actual = serializers.DecimalField(max_digits=20, decimal_places=2)
    target = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    attainment = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    badges = serializers.ListField(child=serializers.CharField())


class LeaderboardViewSet(ExportMixin, viewsets.GenericViewSet):
    """Reps ranked by a metric for a period, in the company or a unit's subtree."""

    serializer_class = LeaderboardRowOut
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = StandardPagination
    filter_backends: list[Any] = []

    def get_queryset(self):  # rows are computed, not a queryset
        return []

    @extend_schema(
        summary="A leaderboard",
        description="Defaults: revenue, the current quarter, the whole company, by attainment."
        " `scope=team` ranks your own unit. Add `?format=csv|xlsx` to export.",
        parameters=[
            OpenApiParameter("metric", str),
            OpenApiParameter("period", int),
            OpenApiParameter("org_unit", int),
            OpenApiParameter("scope", str, enum=["company", "team"]),
            OpenApiParameter("rank_by", str, enum=Contest.RankBy.values),
        ],
    )
    def list(self, request: Request) -> Response:
        metric, period, unit, rank_by = leaderboard_choice(request.query_params, request.user)
        rows = (
            leaderboard(metric=metric, period=period, unit=unit, rank_by=rank_by)
            if metric and period
            else []
        )
        page = self.paginate_queryset(rows)
        if page is not None:
            return self.get_paginated_response(LeaderboardRowOut(page, many=True).data)
        return Response(LeaderboardRowOut(rows, many=True).data)


def register(router) -> None:
    router.register("badges", BadgeViewSet, basename="badge")
    router.register("leaderboards", LeaderboardViewSet, basename="leaderboard")
