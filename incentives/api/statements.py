"""statements/ (+ what-if, approve, pay, recompute, compute): scoped through
`incentives.selectors` (rep own, manager subtree, executives and admins all); lists export
with `?format=csv|xlsx`; money as decimal strings."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from incentives import selectors, services
from incentives.api import _run
from incentives.api.fields import LineKindField, MinorUnitsField, StatementStatusField
from incentives.models import IncentivePlan, Statement, StatementLine
from salesgoals import scope
from salesgoals.api.base import ExportMixin
from salesgoals.api.pagination import StandardPagination
from salesgoals.models import Period


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
