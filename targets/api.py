"""target-plans/ (+ validate, decompose, cells, workflow, revisions, grid.xlsx, import) and
split-profiles/.

Values are decimal strings in the metric's unit: money "1200000.00" (base currency), counts
"12", rates in percent "25.50". Visibility follows `targets.rules`: a plan is listed for
whoever sees its root unit or lies inside it; its cells only for the owners in the caller's
scope. Errors are structured 400s; out-of-scope objects 403, unknown ones 404.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from salesgoals import scope
from salesgoals.api.base import ExportMixin, SlugRelatedField, bad_request
from salesgoals.api.pagination import StandardPagination
from salesgoals.api.schema import DECIMAL_STRING, DECIMAL_STRING_OR_NULL
from salesgoals.models import FiscalYear, Metric, OrgUnit, PeriodKind
from targets import excel, rules, selectors, services
from targets.models import (
    OwnerMethod,
    OwnerType,
    PeriodMethod,
    SplitProfile,
    TargetPlan,
    TargetRevision,
)
from targets.smart import PlanDraft
from targets.units import display_value, to_stored

__all__ = ["register"]


@extend_schema_field(DECIMAL_STRING)
class PercentField(serializers.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=7, decimal_places=2, **kwargs)


class PlanOut(serializers.ModelSerializer):
    metric = serializers.SlugRelatedField(slug_field="code", read_only=True)
    fiscal_year = serializers.SlugRelatedField(slug_field="year", read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    value = serializers.SerializerMethodField()
    over_assignment = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = TargetPlan
        fields = [
            "id",
            "metric",
            "fiscal_year",
            "org_unit",
            "org_unit_name",
            "value",
            "description",
            "objective",
            "parent",
            "status",
            "status_label",
            "version",
            "published_version",
            "period_method",
            "owner_method",
            "profile",
            "over_assignment",
            "warnings_reason",
            "created_by",
            "submitted_by",
            "submitted_at",
            "approved_by",
            "approved_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(DECIMAL_STRING)
    def get_value(self, plan: TargetPlan) -> str:
        return display_value(plan.metric, plan.value)

    @extend_schema_field(DECIMAL_STRING)
    def get_over_assignment(self, plan: TargetPlan) -> str:
        return f"{Decimal(plan.over_assignment_bp) / 100:.2f}"


class PlanIn(serializers.Serializer):
    metric = SlugRelatedField(slug_field="code", queryset=Metric.objects.filter(is_active=True))
    fiscal_year = serializers.SlugRelatedField(slug_field="year", queryset=FiscalYear.objects.all())
    org_unit = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.all())
    value = serializers.DecimalField(max_digits=20, decimal_places=2, min_value=0)
    description = serializers.CharField(allow_blank=True, default="")
    objective = serializers.CharField(allow_blank=True, default="", max_length=200)
    parent = serializers.PrimaryKeyRelatedField(
        queryset=TargetPlan.objects.all(), allow_null=True, required=False
    )
    period_method = serializers.ChoiceField(
        choices=PeriodMethod.choices, default=PeriodMethod.WORKING_DAYS
    )
    owner_method = serializers.ChoiceField(choices=OwnerMethod.choices, default=OwnerMethod.EVEN)
    profile = serializers.PrimaryKeyRelatedField(
        queryset=SplitProfile.objects.all(), allow_null=True, required=False
    )
    over_assignment = PercentField(default=Decimal("100.00"))
    warnings_reason = serializers.CharField(allow_blank=True, default="")

    def draft(self) -> PlanDraft:
        data = self.validated_data
        metric = data["metric"]
        try:
            value = to_stored(metric, data["value"])
        except ValueError as error:
            raise ValidationError({"value": [str(error)]}) from error
        return PlanDraft(
            metric=metric,
            fiscal_year=data["fiscal_year"],
            org_unit=data["org_unit"],
            value=value,
            description=data.get("description", ""),
            objective=data.get("objective", ""),
            parent=data.get("parent"),
            period_method=data.get("period_method", PeriodMethod.WORKING_DAYS),
            owner_method=data.get("owner_method", OwnerMethod.EVEN),
            profile=data.get("profile"),
            over_assignment_bp=int(data.get("over_assignment", Decimal(100)) * 100),
            warnings_reason=data.get("warnings_reason", ""),
        )


class IssueOut(serializers.Serializer):
    criterion = serializers.CharField()
    criterion_label = serializers.CharField()
    field = serializers.CharField()
    message = serializers.CharField()


class ValidateOut(serializers.Serializer):
    errors = IssueOut(many=True)
    warnings = IssueOut(many=True)
    baseline = serializers.DictField()


class DecomposeIn(serializers.Serializer):
    period_method = serializers.ChoiceField(choices=PeriodMethod.choices, required=False)
    owner_method = serializers.ChoiceField(choices=OwnerMethod.choices, required=False)
    profile = serializers.PrimaryKeyRelatedField(
        queryset=SplitProfile.objects.all(), required=False, allow_null=True
    )
    owner = serializers.RegexField(
        r"^unit:\d+$", required=False, help_text="Re-split only below this unit: unit:<id>."
    )


class CellOut(serializers.Serializer):
    owner_type = serializers.CharField()
    owner_id = serializers.IntegerField()
    owner_name = serializers.CharField()
    period = serializers.IntegerField()
    period_label = serializers.CharField()
    kind = serializers.CharField()
    value = serializers.CharField()
    locked = serializers.BooleanField()


class CellIn(serializers.Serializer):
    owner_type = serializers.ChoiceField(choices=OwnerType.choices)
    owner_id = serializers.IntegerField()
    period = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=20, decimal_places=2, required=False)
    locked = serializers.BooleanField(required=False)


class CellsIn(serializers.Serializer):
    cells = CellIn(many=True, allow_empty=False)


class CellsOut(serializers.Serializer):
    changed_cells = serializers.IntegerField()
    cells = CellOut(many=True)


class OwnerOut(serializers.Serializer):
    owner_type = serializers.CharField()
    owner_id = serializers.IntegerField()
    name = serializers.CharField()
    parent_type = serializers.CharField()
    parent_id = serializers.IntegerField(allow_null=True)
    depth = serializers.IntegerField()
    weight = serializers.IntegerField()
    over_assignment = serializers.SerializerMethodField()
    owner_method = serializers.CharField()
    acknowledged_version = serializers.IntegerField()

    @extend_schema_field(DECIMAL_STRING)
    def get_over_assignment(self, line: Any) -> str:
        return f"{Decimal(line.over_assignment_bp) / 100:.2f}"


class OwnerIn(serializers.Serializer):
    owner_type = serializers.ChoiceField(choices=OwnerType.choices)
    owner_id = serializers.IntegerField()
    weight = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)
    over_assignment = PercentField(required=False, min_value=100, max_value=200)
    owner_method = serializers.ChoiceField(
        choices=[("", "plan"), *OwnerMethod.choices], required=False
    )


class OwnersIn(serializers.Serializer):
    owners = OwnerIn(many=True, allow_empty=False)


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, default="")


class RevisionCellIn(serializers.Serializer):
    owner_type = serializers.ChoiceField(choices=OwnerType.choices)
    owner_id = serializers.IntegerField()
    period = serializers.IntegerField()
    value = serializers.DecimalField(max_digits=20, decimal_places=2)


class RevisionIn(serializers.Serializer):
    effective_date = serializers.DateField()
    reason = serializers.CharField()
    mode = serializers.ChoiceField(
        choices=TargetRevision.Mode.choices, default=TargetRevision.Mode.KEEP_PAST
    )
    new_value = serializers.DecimalField(
        max_digits=20, decimal_places=2, required=False, allow_null=True
    )
    cells = RevisionCellIn(many=True, required=False)
    source_ref = serializers.CharField(required=False, allow_blank=True, default="")


class RevisionOut(serializers.ModelSerializer):
    diff = serializers.SerializerMethodField()
    new_value = serializers.SerializerMethodField()
    changed_cells = serializers.SerializerMethodField()

    class Meta:
        model = TargetRevision
        fields = [
            "id",
            "number",
            "effective_date",
            "reason",
            "source_ref",
            "mode",
            "new_value",
            "status",
            "base_version",
            "author",
            "decided_by",
            "decided_at",
            "created_at",
            "changed_cells",
            "diff",
        ]
        read_only_fields = fields

    @extend_schema_field(DECIMAL_STRING_OR_NULL)
    def get_new_value(self, revision: TargetRevision) -> str | None:
        if revision.new_value is None:
            return None
        return display_value(revision.plan.metric, revision.new_value)

    def get_changed_cells(self, revision: TargetRevision) -> int:
        return len(revision.diff)

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_diff(self, revision: TargetRevision) -> list[dict[str, Any]]:
        metric = revision.plan.metric
        return [
            {
                "owner_type": t,
                "owner_id": o,
                "period": p,
                "before": display_value(metric, b) if b is not None else None,
                "after": display_value(metric, a) if a is not None else None,
            }
            for t, o, p, b, a in revision.diff
        ]


class ProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = SplitProfile
        fields = ["id", "name", "description", "month_shares_bp", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_month_shares_bp(self, value: Any) -> list[int]:
        if (
            not isinstance(value, list)
            or len(value) != 12
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)
        ):
            raise ValidationError(_("Give twelve whole, non-negative shares in basis points."))
        if sum(value) != 10000:
            raise ValidationError(
                _("The shares add up to %(sum)s%%; they must total exactly 100%%.")
                % {"sum": f"{sum(value) / 100:g}"}
            )
        return value


class ProfilePermission(permissions.IsAuthenticated):
    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.method in permissions.SAFE_METHODS or scope.sees_everything(request.user)


class SplitProfileViewSet(ExportMixin, viewsets.ModelViewSet):
    """Named monthly distributions (twelve shares totalling 100%) for the profile split."""

    queryset = SplitProfile.objects.all()
    serializer_class = ProfileSerializer
    permission_classes = [ProfilePermission]
    pagination_class = StandardPagination


def _owner_key(value: str | None) -> tuple[str, int] | None:
    if not value:
        return None
    kind, _sep, pk = value.partition(":")
    return (kind, int(pk))


def _cells_out(plan: TargetPlan, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "value": display_value(plan.metric, row["value"])} for row in rows]


class PlanFilterIn(serializers.Serializer):
    metric = serializers.CharField(required=False)
    fiscal_year = serializers.IntegerField(required=False, min_value=1, max_value=9999)
    org_unit = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    status = serializers.CharField(required=False)


class PlanViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Target plans in your scope. `?metric=&fiscal_year=&org_unit=&status=`."""

    serializer_class = PlanOut
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = StandardPagination

    def get_queryset(self):
        params = PlanFilterIn(data=self.request.query_params)
        params.is_valid(raise_exception=True)  # a filter that is not a number is a 400
        return selectors.plans_visible(self.request.user, **params.validated_data).distinct()

    def _plan(self, pk: Any) -> TargetPlan:
        return selectors.plan_get_for_user(user=self.request.user, pk=pk)

    def _run(self, fn, **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except DjangoValidationError as error:
            raise bad_request(error) from error

    @extend_schema(
        parameters=[
            OpenApiParameter("metric", str),
            OpenApiParameter("fiscal_year", int),
            OpenApiParameter("org_unit", int),
            OpenApiParameter("status", str, enum=TargetPlan.Status.values),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(PlanOut(self._plan(pk)).data)

    @extend_schema(request=PlanIn, responses={201: PlanOut})
    def create(self, request: Request) -> Response:
        data = PlanIn(data=request.data)
        data.is_valid(raise_exception=True)
        plan = self._run(services.plan_create, actor=request.user, draft=data.draft())
        return Response(PlanOut(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PlanIn, responses={200: PlanOut})
    def update(self, request: Request, pk: str | None = None) -> Response:
        plan = self._plan(pk)
        data = PlanIn(data=request.data)
        data.is_valid(raise_exception=True)
        plan = self._run(services.plan_update, plan=plan, actor=request.user, draft=data.draft())
        return Response(PlanOut(plan).data)

    @extend_schema(request=PlanIn, responses={200: ValidateOut})
    @action(detail=False, methods=["post"])
    def validate(self, request: Request) -> Response:
        """SMART check of a plan body without saving: errors block, warnings need a reason."""
        data = PlanIn(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(services.smart_check(data.draft()).as_dict())

    @extend_schema(request=DecomposeIn, responses={200: PlanOut})
    @action(detail=True, methods=["post"])
    def decompose(self, request: Request, pk: str | None = None) -> Response:
        """Re-split with the plan's methods (or those given), honouring locks."""
        plan = self._plan(pk)
        data = DecomposeIn(data=request.data)
        data.is_valid(raise_exception=True)
        owner = _owner_key(data.validated_data.get("owner"))
        if owner is None and not rules.can_manage(request.user, plan):
            raise PermissionDenied
        if owner is not None:
            line = plan.lines.filter(owner_type=owner[0], owner_id=owner[1]).first()
            if line is None:
                raise ValidationError({"owner": [_("This unit is not part of the plan.")]})
            child = plan.lines.filter(parent_type=owner[0], parent_id=owner[1]).first()
            if child is not None and not rules.can_edit_line(request.user, plan, child):
                raise PermissionDenied
        self._run(
            services.plan_decompose,
            plan=plan,
            actor=request.user,
            period_method=data.validated_data.get("period_method"),
            owner_method=data.validated_data.get("owner_method"),
            profile=data.validated_data.get("profile"),
            owner=owner,
        )
        plan.refresh_from_db()
        return Response(PlanOut(plan).data)

    @extend_schema(
        methods=["GET"],
        parameters=[
            OpenApiParameter("period_kind", str, enum=PeriodKind.values),
            OpenApiParameter("owner", str, description="unit:<id> (its subtree) or rep:<id>"),
        ],
        responses={200: CellOut(many=True)},
    )
    @extend_schema(methods=["PATCH"], request=CellsIn, responses={200: CellsOut})
    @action(detail=True, methods=["get", "patch"])
    def cells(self, request: Request, pk: str | None = None) -> Response:
        """GET the cells in your scope; PATCH values (locking them) or locks; siblings rebalance."""
        plan = self._plan(pk)
        if request.method == "GET":
            kind = request.query_params.get("period_kind")
            if kind and kind not in PeriodKind.values:
                raise ValidationError({"period_kind": [_("Unknown period kind.")]})
            rows = selectors.cell_rows(
                user=request.user,
                plan=plan,
                period_kind=kind,
                owner=request.query_params.get("owner"),
            )
            page = self.paginate_queryset(rows)
            if page is not None:
                return self.get_paginated_response(_cells_out(plan, page))
            return Response(_cells_out(plan, list(rows)))
        data = CellsIn(data=request.data)
        data.is_valid(raise_exception=True)
        changes = []
        for cell in data.validated_data["cells"]:
            value = cell.get("value")
            if value is not None:
                try:
                    value = to_stored(plan.metric, value)
                except ValueError as error:
                    raise ValidationError({"cells": [str(error)]}) from error
            changes.append(
                services.CellChange(
                    owner=(cell["owner_type"], cell["owner_id"]),
                    period_id=cell["period"],
                    value=value,
                    locked=cell.get("locked"),
                )
            )
        result = self._run(
            services.plan_cells_update, plan=plan, actor=request.user, changes=changes
        )
        labels = dict(plan.fiscal_year.periods.values_list("pk", "label"))
        kinds = dict(plan.fiscal_year.periods.values_list("pk", "kind"))
        lines = {
            line.key: line
            for line in plan.lines.filter(
                owner_id__in={row[1] for row in result["diff"]} | {c.owner[1] for c in changes}
            )
        }
        touched = {(row[0], row[1], row[2]) for row in result["diff"]} | {
            (c.owner[0], c.owner[1], c.period_id) for c in changes
        }
        rows = []
        for owner_type, owner_id, period_id in sorted(touched):
            line = lines.get((owner_type, owner_id))
            if line is None:
                continue
            rows.append(
                {
                    "owner_type": owner_type,
                    "owner_id": owner_id,
                    "owner_name": line.name,
                    "period": period_id,
                    "period_label": labels.get(period_id, ""),
                    "kind": kinds.get(period_id, ""),
                    "value": line.value_of(period_id),
                    "locked": line.is_locked(period_id),
                }
            )
        return Response({"changed_cells": result["changed_cells"], "cells": _cells_out(plan, rows)})

    @extend_schema(methods=["GET"], responses={200: OwnerOut(many=True)})
    @extend_schema(methods=["PATCH"], request=OwnersIn, responses={200: OwnerOut(many=True)})
    @action(detail=True, methods=["get", "patch"])
    def owners(self, request: Request, pk: str | None = None) -> Response:
        """The plan's units and reps in your scope with their split settings; PATCH weights,
        a unit's over-assignment or owner split, and the affected part is re-split."""
        plan = self._plan(pk)
        if request.method == "PATCH":
            data = OwnersIn(data=request.data)
            data.is_valid(raise_exception=True)
            changes = [
                services.OwnerChange(
                    owner=(o["owner_type"], o["owner_id"]),
                    weight=o.get("weight"),
                    over_assignment_bp=(
                        int(o["over_assignment"] * 100) if "over_assignment" in o else None
                    ),
                    owner_method=o.get("owner_method"),
                )
                for o in data.validated_data["owners"]
            ]
            self._run(services.plan_owners_update, plan=plan, actor=request.user, changes=changes)
        lines = plan.lines.filter(rules.lines_visible_q(request.user)).order_by("position")
        page = self.paginate_queryset(lines)
        if page is not None:
            return self.get_paginated_response(OwnerOut(page, many=True).data)
        return Response(OwnerOut(lines, many=True).data)

    def _step(self, fn, pk: str | None, **kwargs: Any) -> Response:
        plan = self._plan(pk)
        result = self._run(fn, plan=plan, actor=self.request.user, **kwargs)
        plan.refresh_from_db()
        return Response(PlanOut(plan).data if result is not None else None)

    @extend_schema(request=None, responses={200: PlanOut})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        return self._step(services.plan_submit, pk)

    @extend_schema(request=None, responses={200: PlanOut})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._step(services.plan_approve, pk)

    @extend_schema(request=ReasonIn, responses={200: PlanOut}, operation_id="target_plans_return")
    @action(detail=True, methods=["post"], url_path="return")
    def send_back(self, request: Request, pk: str | None = None) -> Response:
        data = ReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        return self._step(services.plan_return, pk, reason=data.validated_data["reason"])

    @extend_schema(request=None, responses={200: PlanOut})
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        return self._step(services.plan_activate, pk)

    @extend_schema(request=ReasonIn, responses={200: PlanOut})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        data = ReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        return self._step(services.plan_close, pk, note=data.validated_data["reason"])

    @extend_schema(request=None, responses={200: PlanOut})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        return self._step(services.plan_acknowledge, pk)

    @extend_schema(methods=["GET"], responses={200: RevisionOut(many=True)})
    @extend_schema(methods=["POST"], request=RevisionIn, responses={201: RevisionOut})
    @action(detail=True, methods=["get", "post"])
    def revisions(self, request: Request, pk: str | None = None) -> Response:
        """GET the revisions; POST proposes one (its diff comes back, pending approval)."""
        plan = self._plan(pk)
        if request.method == "GET":
            rows = selectors.revisions_for(plan)
            page = self.paginate_queryset(rows)
            items = page if page is not None else list(rows)
            data = RevisionOut(items, many=True).data
            return self.get_paginated_response(data) if page is not None else Response(data)
        data = RevisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        try:
            new_value = (
                None if body.get("new_value") is None else to_stored(plan.metric, body["new_value"])
            )
            cells = [
                services.RevisionCell(
                    owner=(c["owner_type"], c["owner_id"]),
                    period_id=c["period"],
                    value=to_stored(plan.metric, c["value"]),
                )
                for c in body.get("cells", [])
            ]
        except ValueError as error:
            raise ValidationError({"new_value": [str(error)]}) from error
        revision = self._run(
            services.revision_propose,
            plan=plan,
            actor=request.user,
            effective_date=body["effective_date"],
            reason=body["reason"],
            mode=body["mode"],
            new_value=new_value,
            cells=cells,
            source_ref=body.get("source_ref", ""),
        )
        return Response(RevisionOut(revision).data, status=status.HTTP_201_CREATED)

    def _revision(self, pk: str | None, number: str) -> TargetRevision:
        plan = self._plan(pk)
        revision = plan.revisions.filter(number=number).first()
        if revision is None:
            raise Http404
        return revision

    @extend_schema(request=None, responses={200: RevisionOut})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"revisions/(?P<number>\d+)/approve",
        url_name="revision-approve",
    )
    def revision_approve(
        self, request: Request, pk: str | None = None, number: str = ""
    ) -> Response:
        revision = self._revision(pk, number)
        revision = self._run(services.revision_approve, revision=revision, actor=request.user)
        return Response(RevisionOut(revision).data)

    @extend_schema(request=ReasonIn, responses={200: RevisionOut})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"revisions/(?P<number>\d+)/reject",
        url_name="revision-reject",
    )
    def revision_reject(
        self, request: Request, pk: str | None = None, number: str = ""
    ) -> Response:
        revision = self._revision(pk, number)
        data = ReasonIn(data=request.data)
        data.is_valid(raise_exception=True)
        revision = self._run(
            services.revision_reject,
            revision=revision,
            actor=request.user,
            note=data.validated_data["reason"],
        )
        return Response(RevisionOut(revision).data)

    @extend_schema(
        parameters=[OpenApiParameter("period_kind", str, enum=PeriodKind.values)],
        responses={(200, excel.XLSX): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"], url_path="workbook", renderer_classes=[JSONRenderer])
    def grid_xlsx(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The grid as an Excel workbook (your scope), to edit and import back."""
        plan = self._plan(pk)
        return excel.xlsx_response(plan=plan, user=request.user)

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser, JSONParser],
        renderer_classes=[JSONRenderer, BrowsableAPIRenderer],
    )
    def import_grid(self, request: Request, pk: str | None = None) -> Response:
        """Import an edited grid workbook: all or nothing, with a report of what changed."""
        plan = self._plan(pk)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": [_("Choose the workbook to import.")]})
        report = self._run(excel.grid_import, plan=plan, user=request.user, upload=upload)
        return Response(report)


def register(router: BaseRouter) -> None:
    router.register("target-plans", PlanViewSet, basename="target-plan")
    router.register("split-profiles", SplitProfileViewSet, basename="split-profile")
