"""market-changes/: the market change log and the revisions it proposes.

Lists hold what `plans.selectors.market.market_changes_visible` lets the user see (the changes
of their own units and the units above them; managers also their subtree; executives and admins
all) and accept `?category=&org_unit=&metric=&date_from=&date_to=`; every list exports with
`?format=csv|xlsx`. Impacts are signed percentages as decimal strings ("-10.00"). Managers log
changes for their subtree, executives and admins anywhere. `propose-revision` proposes a
revision of an approved plan through the targets workflow (approved there by someone else).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from plans import selectors as feedback_selectors
from plans.models import Feedback, MarketChange, MarketChangeImpact
from plans.selectors import market as selectors
from plans.services import market as services
from salesgoals.api.base import ExportMixin, SlugRelatedField, bad_request
from salesgoals.api.calendar import _inline_enum
from salesgoals.api.pagination import StandardPagination
from salesgoals.models import Metric, OrgUnit
from targets.models import TargetPlan, TargetRevision


@extend_schema_field(
    _inline_enum(MarketChange.Category.choices), component_name="MarketChangeCategoryEnum"
)
class MarketCategoryField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=MarketChange.Category.choices, **kwargs)


class ImpactOut(serializers.ModelSerializer):
    metric = serializers.CharField(source="metric.code", read_only=True)
    impact = serializers.DecimalField(
        source="percent",
        max_digits=7,
        decimal_places=2,
        read_only=True,
        help_text="Signed percentage: -10.00 = a 10% drop.",
    )

    class Meta:
        model = MarketChangeImpact
        fields = ["metric", "impact"]
        read_only_fields = fields


@extend_schema_field(
    _inline_enum(TargetRevision.Status.choices), component_name="LinkedRevisionStatusEnum"
)
class RevisionStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=TargetRevision.Status.choices, **kwargs)


class LinkedRevisionOut(serializers.ModelSerializer):
    plan_name = serializers.CharField(source="plan.__str__", read_only=True)
    status = RevisionStatusField(read_only=True)

    class Meta:
        model = TargetRevision
        fields = ["id", "plan", "plan_name", "number", "effective_date", "status", "new_value"]
        read_only_fields = fields


class MarketChangeOut(serializers.ModelSerializer):
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    author_name = serializers.CharField(source="author.display", read_only=True)
    category = MarketCategoryField(read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    impact = ImpactOut(source="impacts", many=True, read_only=True)
    revisions = serializers.SerializerMethodField(help_text="The revisions proposed from it.")

    class Meta:
        model = MarketChange
        fields = [
            "id",
            "date",
            "org_unit",
            "org_unit_name",
            "title",
            "description",
            "category",
            "category_label",
            "effective_from",
            "impact",
            "revisions",
            "feedback",
            "author",
            "author_name",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(LinkedRevisionOut(many=True))
    def get_revisions(self, item: MarketChange) -> list[dict[str, Any]]:
        return LinkedRevisionOut(
            [link.revision for link in item.revision_links.all()], many=True
        ).data


class ImpactIn(serializers.Serializer):
    metric = SlugRelatedField(slug_field="code", queryset=Metric.objects.filter(is_active=True))
    impact = serializers.DecimalField(
        max_digits=7, decimal_places=2, help_text="Signed percentage, e.g. -10 or 5.5."
    )


class MarketChangeIn(serializers.Serializer):
    date = serializers.DateField()
    org_unit = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.all())
    title = serializers.CharField(max_length=200)
    description = serializers.CharField()
    category = MarketCategoryField()
    effective_from = serializers.DateField()
    impact = ImpactIn(many=True, help_text="One or more metrics with their expected impact.")
    feedback = serializers.PrimaryKeyRelatedField(
        queryset=Feedback.objects.all(),
        required=False,
        allow_null=True,
        help_text="A feedback item this change was logged from.",
    )


class ProposeIn(serializers.Serializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=TargetPlan.objects.all())
    effective_date = serializers.DateField(
        required=False, allow_null=True, help_text="Default: the change's effective date."
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")


def _impacts(rows: list[dict[str, Any]]) -> list[services.Impact]:
    return [
        services.Impact(row["metric"], int((Decimal(row["impact"]) * 100).to_integral_value()))
        for row in rows
    ]


class MarketChangeViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Market events with their expected impact and the target revisions they led to."""

    queryset = MarketChange.objects.all()
    serializer_class = MarketChangeOut
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = StandardPagination
    filter_backends: list[Any] = []

    def get_queryset(self):
        params = self.request.query_params
        return selectors.market_changes_visible(
            self.request.user,
            category=params.get("category"),
            org_unit=params.get("org_unit"),
            metric=params.get("metric"),
            date_from=_date(params.get("date_from")),
            date_to=_date(params.get("date_to")),
        )

    def _item(self, pk: Any) -> MarketChange:
        return selectors.market_change_get_for_user(user=self.request.user, pk=pk)

    def _run(self, fn, **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except DjangoValidationError as error:
            raise bad_request(error) from error

    def _detail(self, item: MarketChange, code: int = status.HTTP_200_OK) -> Response:
        item = self._item(item.pk)
        return Response(MarketChangeOut(item).data, status=code)

    @extend_schema(
        summary="Market changes in your scope",
        description="Add `?format=csv` or `?format=xlsx` to export every row in scope.",
        parameters=[
            OpenApiParameter("category", str, enum=MarketChange.Category.values),
            OpenApiParameter("org_unit", int, description="That unit and its subtree."),
            OpenApiParameter("metric", str, description="Changes with an impact on it."),
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One market change (403 outside your scope)")
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self._detail(self._item(pk))

    @extend_schema(
        summary="Log a market change", request=MarketChangeIn, responses={201: MarketChangeOut}
    )
    def create(self, request: Request) -> Response:
        data = MarketChangeIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        feedback = values.pop("feedback", None)
        if feedback is not None and not feedback_selectors.feedback_can_view(
            request.user, feedback
        ):
            raise bad_request(
                DjangoValidationError({"feedback": [_("This feedback is outside your scope.")]})
            )
        item = self._run(
            services.market_change_create,
            actor=request.user,
            impacts=_impacts(values.pop("impact")),
            feedback=feedback,
            **values,
        )
        return self._detail(item, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a market change (its revisions keep their cells)",
        request=MarketChangeIn,
        responses={200: MarketChangeOut},
    )
    def update(self, request: Request, pk: str | None = None) -> Response:
        item = self._item(pk)
        data = MarketChangeIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("feedback", None)
        item = self._run(
            services.market_change_update,
            actor=request.user,
            market_change=item,
            impacts=_impacts(values.pop("impact")),
            **values,
        )
        return self._detail(item)

    @extend_schema(
        summary="Propose a target revision from the change's impact",
        description="Scales the change's unit's cells of the plan from the effective date by "
        "the impact on the plan's metric (the units above change by the same amount, the rest "
        "stays) and proposes it in the targets revision workflow. Returns the revision.",
        request=ProposeIn,
        responses={201: LinkedRevisionOut},
    )
    @action(detail=True, methods=["post"], url_path="propose-revision")
    def propose_revision(self, request: Request, pk: str | None = None) -> Response:
        item = self._item(pk)
        data = ProposeIn(data=request.data)
        data.is_valid(raise_exception=True)
        revision = self._run(
            services.market_change_propose_revision,
            actor=request.user,
            market_change=item,
            **data.validated_data,
        )
        return Response(LinkedRevisionOut(revision).data, status=status.HTTP_201_CREATED)


def _date(value: str | None) -> Any:
    from django.utils.dateparse import parse_date

    try:
        return parse_date(value) if value else None
    except ValueError:
        return None


def register(router) -> None:
    router.register("market-changes", MarketChangeViewSet, basename="market-change")
