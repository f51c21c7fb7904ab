"""incentive-plans/ and statements/ (+ what-if, approve, pay, recompute, compute).

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
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from incentives import selectors, services
from incentives.api.fields import LineKindField, MinorUnitsField, StatementStatusField
from incentives.models import PLAN_PERIOD_KINDS, IncentivePlan, Statement, StatementLine
from salesgoals import scope
from salesgoals.api.base import ExportMixin, bad_request
from salesgoals.api.calendar import _inline_enum
from salesgoals.api.pagination import StandardPagination
from salesgoals.models import OrgUnit, Period, Role


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
        if str(params.get("org_unit") or "").isdigit():
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
        data = dict(request.data)
        data.setdefault("org_unit", None)
        try:
            services.plan_check(data)
        except DjangoValidationError as error:
            return Response({"errors": error.message_dict})
        return Response({"errors": {}})


# --- Statements -----------------------------------------------------------------------------


class StatementLineOut(serializers.ModelSerializer):
    kind = LineKindField(read_only=True)
    amount = MinorUnitsField(source="amount_minor")
    inputs = serializers.DictField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = StatementLine
        fields = [
            "id",
            "position",
            "kind",
            "component_key",
            "label",
            "inputs",
            "formula",
            "amount",
            "achieved",
            "adjusts",
        ]
        read_only_fields = fields


class StatementOut(serializers.ModelSerializer):
    status = StatementStatusField(read_only=True)
    person_name = serializers.CharField(source="person.display", read_only=True)
    org_unit_name = serializers.CharField(
        source="person.org_unit.name", read_only=True, allow_null=True, default=None
    )
    period_label = serializers.CharField(source="period.label", read_only=True)
    plan_name = serializers.CharField(source="plan.__str__", read_only=True)
    total = MinorUnitsField(source="total_minor")

    class Meta:
        model = Statement
        fields = [
            "id",
            "person",
            "person_name",
            "org_unit_name",
            "period",
            "period_label",
            "plan",
            "plan_name",
            "status",
            "total",
            "computed_at",
            "approved_by",
            "approved_at",
            "paid_by",
            "paid_at",
        ]
        read_only_fields = fields


class StatementDetailOut(StatementOut):
    lines = serializers.SerializerMethodField()

    class Meta(StatementOut.Meta):
        fields = [*StatementOut.Meta.fields, "lines"]
        read_only_fields = fields

    @extend_schema_field(StatementLineOut(many=True))
    def get_lines(self, statement: Statement) -> list[dict[str, Any]]:
        return StatementLineOut(selectors.statement_lines(statement), many=True).data


class StatementWhatIfIn(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=0, help_text="More to close by period end."
    )
    period = serializers.PrimaryKeyRelatedField(
        queryset=Period.objects.all(), required=False, allow_null=True, default=None
    )


class StatementWhatIfLineOut(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()
    label = serializers.CharField()
    inputs = serializers.DictField(child=serializers.CharField())
    formula = serializers.CharField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2, coerce_to_string=True)
    achieved = serializers.BooleanField(allow_null=True)


class StatementWhatIfOut(serializers.Serializer):
    plan = serializers.IntegerField()
    period = serializers.IntegerField()
    period_label = serializers.CharField()
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)
    current_total = serializers.DecimalField(max_digits=16, decimal_places=2)
    total = serializers.DecimalField(max_digits=16, decimal_places=2)
    difference = serializers.DecimalField(max_digits=16, decimal_places=2)
    current_lines = StatementWhatIfLineOut(many=True)
    lines = StatementWhatIfLineOut(many=True)


class StatementComputeIn(serializers.Serializer):
    plan = serializers.IntegerField()
    period = serializers.IntegerField()


class StatementComputeOut(serializers.Serializer):
    computed = serializers.IntegerField()


def _line_dict(line) -> dict[str, Any]:
    return {
        "key": line.key,
        "kind": line.kind,
        "label": line.label,
        "inputs": line.inputs,
        "formula": line.formula,
        "amount": line.amount,
        "achieved": line.achieved,
    }


class StatementViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Incentive statements in your scope, with their lines (inputs, formula, amount)."""

    queryset = Statement.objects.all()
    serializer_class = StatementOut
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = StandardPagination
    filter_backends: list[Any] = []

    def get_queryset(self):
        params = self.request.query_params
        return selectors.statements_visible(
            self.request.user,
            period=params.get("period"),
            status=params.get("status"),
            person=params.get("person"),
            org_unit=params.get("org_unit"),
            plan=params.get("plan"),
        )

    def _item(self, pk: Any) -> Statement:
        return selectors.statement_get_for_user(user=self.request.user, pk=pk)

    def _detail(self, statement: Statement) -> Response:
        return Response(StatementDetailOut(self._item(statement.pk)).data)

    @extend_schema(
        summary="Statements in your scope",
        description="Add `?format=csv` or `?format=xlsx` for a payroll export of every row.",
        parameters=[
            OpenApiParameter("period", int),
            OpenApiParameter("status", str, enum=Statement.Status.values),
            OpenApiParameter("person", int),
            OpenApiParameter("org_unit", int, description="People of that unit's subtree."),
            OpenApiParameter("plan", int, description="Any version of that plan."),
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One statement with its lines", responses={200: StatementDetailOut})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self._detail(self._item(pk))

    @extend_schema(
        summary="Approve a draft (managers of the subtree, executives, admins)",
        request=None,
        responses={200: StatementDetailOut},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        statement = _run(services.statement_approve, actor=request.user, statement=self._item(pk))
        return self._detail(statement)

    @extend_schema(
        summary="Mark an approved statement paid (admins)",
        request=None,
        responses={200: StatementDetailOut},
    )
    @action(detail=True, methods=["post"])
    def pay(self, request: Request, pk: str | None = None) -> Response:
        statement = _run(services.statement_mark_paid, actor=request.user, statement=self._item(pk))
        return self._detail(statement)

    @extend_schema(
        summary="Recompute a draft from the latest KPIs",
        request=None,
        responses={200: StatementDetailOut},
    )
    @action(detail=True, methods=["post"])
    def recompute(self, request: Request, pk: str | None = None) -> Response:
        statement = self._item(pk)
        if not selectors.statement_can_recompute(request.user, statement):
            raise PermissionDenied
        _run(services.statement_compute, person=statement.person, period=statement.period)
        return self._detail(statement)

    @extend_schema(
        summary="Compute a plan's statements for a period (admins)",
        request=StatementComputeIn,
        responses={200: StatementComputeOut},
    )
    @action(detail=False, methods=["post"])
    def compute(self, request: Request) -> Response:
        if not scope.is_admin(request.user):
            raise PermissionDenied
        data = StatementComputeIn(data=request.data)
        data.is_valid(raise_exception=True)
        plan = get_object_or_404(IncentivePlan, pk=data.validated_data["plan"], is_current=True)
        period = get_object_or_404(Period, pk=data.validated_data["period"])
        done = _run(services.statements_compute, plan=plan, period=period)
        return Response({"computed": len(done)})

    @extend_schema(
        summary="What-if: what you would earn if you closed `amount` more by period end",
        description="The same calculation as statements, on your current inputs plus one "
        "deal of `amount` (revenue + amount, one more deal won). Without `period`, the "
        "current period of the plan that applies to you.",
        request=StatementWhatIfIn,
        responses={200: StatementWhatIfOut},
    )
    @action(detail=False, methods=["post"], url_path="what-if")
    def what_if(self, request: Request) -> Response:
        data = StatementWhatIfIn(data=request.data)
        data.is_valid(raise_exception=True)
        result = _run(
            services.what_if,
            person=request.user,
            extra=data.validated_data["amount"],
            period=data.validated_data["period"],
        )
        out = {
            "plan": result.plan.pk,
            "period": result.period.pk,
            "period_label": result.period.label,
            "amount": result.extra,
            "current_total": result.base_total,
            "total": result.total,
            "difference": result.difference,
            "current_lines": [_line_dict(x) for x in result.base],
            "lines": [_line_dict(x) for x in result.lines],
        }
        return Response(StatementWhatIfOut(out).data)


def register(router) -> None:
    from incentives.api import recognition

    router.register("incentive-plans", IncentivePlanViewSet, basename="incentive-plan")
    router.register("statements", StatementViewSet, basename="statement")
    recognition.register(router)
