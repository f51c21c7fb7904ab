"""incentive-plans/ (here), statements/ (`statements.py`), badges/ and leaderboards/
(`recognition.py`).

Scope through `incentives.selectors`: plans are read by those they concern and configured by
admins; statements are a rep's own, a manager's subtree, everyone's for executives and
admins. Out-of-scope details are 403, unknown ids 404; lists export with `?format=csv|xlsx`
(every row in scope). Money is a decimal string; plan parameters are decimal strings inside
`components` (floats are refused: pass "12.5", not 12.5).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import QueryDict
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from incentives import selectors, services
from incentives.models import PLAN_PERIOD_KINDS, IncentivePlan
from salesgoals.api.base import ExportMixin, bad_request
from salesgoals.api.calendar import _inline_enum
from salesgoals.api.pagination import StandardPagination
from salesgoals.ids import is_id
from salesgoals.models import OrgUnit, Role


@extend_schema_field(_inline_enum(PLAN_PERIOD_KINDS), component_name="PlanPeriodKindEnum")
class PlanPeriodKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=PLAN_PERIOD_KINDS, **kwargs)


@extend_schema_field(
    _inline_enum([("", "Every role"), *Role.choices]), component_name="PlanRoleEnum"
)
class PlanRoleField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[("", "Every role"), *Role.choices], **kwargs)


def _run(fn, **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except DjangoValidationError as error:
        raise bad_request(error) from error


# --- Plans ----------------------------------------------------------------------------------


class IncentivePlanOut(serializers.ModelSerializer):
    role = PlanRoleField(read_only=True)
    period_kind = PlanPeriodKindField(read_only=True)
    org_unit_name = serializers.CharField(
        source="org_unit.name", read_only=True, allow_null=True, default=None
    )
    components = serializers.JSONField(
        read_only=True, help_text="Components with decimal-string parameters (see DOMAIN.md)."
    )

    class Meta:
        model = IncentivePlan
        fields = [
            "id",
            "family",
            "version",
            "is_current",
            "name",
            "description",
            "role",
            "org_unit",
            "org_unit_name",
            "period_kind",
            "components",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class IncentivePlanIn(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    role = PlanRoleField(required=False, allow_blank=True, default="")
    org_unit = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(), required=False, allow_null=True, default=None
    )
    period_kind = PlanPeriodKindField()
    components = serializers.JSONField()
    is_active = serializers.BooleanField(required=False, default=True)


class IncentivePlanPatchIn(IncentivePlanIn):
    name = serializers.CharField(max_length=120, required=False)
    period_kind = PlanPeriodKindField(required=False)
    components = serializers.JSONField(required=False)


class IncentivePlanValidateOut(serializers.Serializer):
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class IncentivePlanViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Incentive plans; admins create and change them (a plan in use gets a new version)."""

    queryset = IncentivePlan.objects.all()
    serializer_class = IncentivePlanOut
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = StandardPagination
    filter_backends: list[Any] = []

    def get_queryset(self):
        params = self.request.query_params
        current = params.get("all_versions") not in ("1", "true", "yes")
        plans = selectors.plans_visible(self.request.user, current_only=current)
        if params.get("role"):
            plans = plans.filter(role=params["role"])
        if params.get("period_kind"):
            plans = plans.filter(period_kind=params["period_kind"])
        if is_id(params.get("org_unit") or ""):
            plans = plans.filter(org_unit_id=params["org_unit"])
        return plans.order_by("name", "-version")

    @extend_schema(
        summary="Incentive plans you may see (current versions unless `all_versions=1`)",
        parameters=[
            OpenApiParameter("role", str, enum=Role.values),
            OpenApiParameter("period_kind", str, enum=[k for k, _ in PLAN_PERIOD_KINDS]),
            OpenApiParameter("org_unit", int),
            OpenApiParameter("all_versions", bool),
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One plan (403 outside your scope)", responses={200: IncentivePlanOut})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(
            IncentivePlanOut(selectors.plan_get_for_user(user=request.user, pk=pk)).data
        )

    @extend_schema(
        summary="Create a plan (admins)", request=IncentivePlanIn, responses={201: IncentivePlanOut}
    )
    def create(self, request: Request) -> Response:
        data = IncentivePlanIn(data=request.data)
        data.is_valid(raise_exception=True)
        plan = _run(services.plan_create, actor=request.user, **data.validated_data)
        return Response(IncentivePlanOut(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a plan (admins); a plan with statements gets a new version",
        description="Answers with the plan row that holds the change: the same id, or the new "
        "version's id when the plan was in use.",
        request=IncentivePlanPatchIn,
        responses={200: IncentivePlanOut},
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        plan = selectors.plan_get_for_user(user=request.user, pk=pk)
        data = IncentivePlanPatchIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        saved = _run(services.plan_update, actor=request.user, plan=plan, **data.validated_data)
        return Response(IncentivePlanOut(saved).data)

    @extend_schema(
        summary="Validate a plan without saving",
        request=IncentivePlanIn,
        responses={200: IncentivePlanValidateOut},
    )
    @action(detail=False, methods=["post"])
    def validate(self, request: Request) -> Response:
        if not selectors.plan_can_edit(request.user):
            raise PermissionDenied
        data = request.data
        if isinstance(data, QueryDict):
            data = data.dict()  # a form: one value per field, like JSON
        if not isinstance(data, dict):
            IncentivePlanIn(data=data).is_valid(raise_exception=True)  # 400: not an object
        data = {**data}
        data.setdefault("org_unit", None)
        try:
            services.plan_check(data)
        except DjangoValidationError as error:
            return Response({"errors": error.message_dict})
        return Response({"errors": {}})


def register(router) -> None:
    from incentives.api import recognition, statements

    router.register("incentive-plans", IncentivePlanViewSet, basename="incentive-plan")
    router.register("statements", statements.StatementViewSet, basename="statement")
    recognition.register(router)
