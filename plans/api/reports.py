"""reports/: periodic reports and reviews (定期汇报) through the API; market-changes/ lives in
`plans.api.market` and is registered from here.

Lists hold what `plans.selectors.reports.reports_visible` lets the user see (author; managers
of the report's unit's subtree; executives and admins) and accept
`?status=&kind=&period=&author=&org_unit=&owner_type=&mine=1`; every list exports with
`?format=csv|xlsx`. A detail outside the scope is 403, an unknown id 404. Figures of the KPI
snapshot are decimal strings in the metric's unit (money in the base currency, rates,
attainment, pace and variance % as percentages). Writes go through
`plans.services.reports`; bad input is a structured 400.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from plans.models import PeriodicReport, ReportComment
from plans.selectors import reports as selectors
from plans.services import reports as services
from salesgoals import scope
from salesgoals.api.base import ExportMixin, bad_request
from salesgoals.api.calendar import _inline_enum
from salesgoals.api.pagination import StandardPagination
from salesgoals.models import OrgUnit, Period, Role


@extend_schema_field(_inline_enum(PeriodicReport.Status.choices), component_name="ReportStatusEnum")
class ReportStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=PeriodicReport.Status.choices, **kwargs)


@extend_schema_field(
    _inline_enum(PeriodicReport.OwnerType.choices), component_name="ReportOwnerTypeEnum"
)
class ReportOwnerTypeField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=PeriodicReport.OwnerType.choices, **kwargs)


@extend_schema_field(
    _inline_enum(ReportComment.Kind.choices), component_name="ReportCommentKindEnum"
)
class CommentKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ReportComment.Kind.choices, **kwargs)


def _dec(value: Any) -> str | None:
    return None if value is None else str(value)


class SnapshotRowOut(serializers.Serializer):
    """One metric of the KPI snapshot."""

    metric = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    owner_type = serializers.CharField()
    owner_id = serializers.IntegerField()
    owner_name = serializers.CharField(required=False)
    actual = serializers.SerializerMethodField()
    target = serializers.SerializerMethodField()
    variance = serializers.SerializerMethodField(help_text="actual − target, in the unit.")
    variance_pct = serializers.SerializerMethodField(help_text="attainment − 100%.")
    attainment = serializers.SerializerMethodField()
    pace = serializers.SerializerMethodField()
    status = serializers.CharField()

    def _figure(self, row: dict, name: str) -> str | None:
        return _dec(selectors.figure(row.get("unit", "count"), row.get(name)))

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_actual(self, row: dict) -> str | None:
        return self._figure(row, "actual")

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_target(self, row: dict) -> str | None:
        return self._figure(row, "target")

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_variance(self, row: dict) -> str | None:
        return self._figure(row, "variance")

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_variance_pct(self, row: dict) -> str | None:
        return _dec(selectors.percent(row.get("variance_bp")))

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_attainment(self, row: dict) -> str | None:
        return _dec(selectors.percent(row.get("attainment_bp")))

    @extend_schema_field(OpenApiTypes.DECIMAL)
    def get_pace(self, row: dict) -> str | None:
        return _dec(selectors.percent(row.get("pace_bp")))


class CommentOut(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.display", read_only=True)
    kind = CommentKindField(read_only=True)

    class Meta:
        model = ReportComment
        fields = ["id", "author", "author_name", "kind", "text", "created_at"]
        read_only_fields = fields


class ReportOut(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.display", read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    period_kind = serializers.CharField(source="period.kind", read_only=True)
    period_label = serializers.CharField(source="period.label", read_only=True)
    status = ReportStatusField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    owner_type = ReportOwnerTypeField(read_only=True)
    kpi_snapshot = serializers.SerializerMethodField(
        help_text="Frozen on submit; live while a draft."
    )
    manager_comment = serializers.SerializerMethodField(
        help_text="The latest comment by someone other than the author."
    )

    class Meta:
        model = PeriodicReport
        fields = [
            "id",
            "author",
            "author_name",
            "owner_type",
            "org_unit",
            "org_unit_name",
            "period",
            "period_kind",
            "period_label",
            "achievements",
            "problems",
            "help_needed",
            "next_steps",
            "kpi_snapshot",
            "manager_comment",
            "status",
            "status_label",
            "submitted_at",
            "signed_off_by",
            "signed_off_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SnapshotRowOut(many=True))
    def get_kpi_snapshot(self, report: PeriodicReport) -> list[dict[str, Any]]:
        return SnapshotRowOut(selectors.report_snapshot(report), many=True).data

    @extend_schema_field(OpenApiTypes.STR)
    def get_manager_comment(self, report: PeriodicReport) -> str | None:
        comments = [c for c in report.comments.all() if c.author_id != report.author_id and c.text]
        return comments[-1].text if comments else None


class ReportDetailOut(ReportOut):
    comments = CommentOut(many=True, read_only=True)
    actions = serializers.SerializerMethodField(
        help_text="What you may do now: edit, submit, comment, sign_off, return."
    )

    class Meta(ReportOut.Meta):
        fields = [*ReportOut.Meta.fields, "comments", "actions"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, report: PeriodicReport) -> list[str]:
        user = self.context["request"].user
        out = []
        if selectors.report_can_edit(user, report):
            out += ["edit", "submit"]
        if selectors.report_can_comment(user, report):
            out.append("comment")
        if (
            selectors.report_can_review(user, report)
            and report.status == PeriodicReport.Status.SUBMITTED
        ):
            out += ["sign_off", "return"]
        return out


class ReportIn(serializers.Serializer):
    period = serializers.IntegerField(help_text="A week, month or quarter period id.")
    owner_type = ReportOwnerTypeField(required=False, default=PeriodicReport.OwnerType.REP)
    org_unit = serializers.IntegerField(
        required=False, allow_null=True, help_text="The team, for a team report."
    )
    achievements = serializers.CharField(required=False, allow_blank=True, default="")
    problems = serializers.CharField(required=False, allow_blank=True, default="")
    help_needed = serializers.CharField(required=False, allow_blank=True, default="")
    next_steps = serializers.CharField(required=False, allow_blank=True, default="")


class SectionsIn(serializers.Serializer):
    achievements = serializers.CharField(required=False, allow_blank=True)
    problems = serializers.CharField(required=False, allow_blank=True)
    help_needed = serializers.CharField(required=False, allow_blank=True)
    next_steps = serializers.CharField(required=False, allow_blank=True)


class TextIn(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")


class AgendaReportOut(serializers.Serializer):
    id = serializers.IntegerField()
    author_name = serializers.CharField(source="author.display")
    period_label = serializers.CharField(source="period.label")
    problems = serializers.CharField()
    help_needed = serializers.CharField()


class AgendaFeedbackOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    category = serializers.CharField()
    status = serializers.CharField()


class AgendaMissingOut(serializers.Serializer):
    rep = serializers.IntegerField()
    rep_name = serializers.CharField()
    period = serializers.IntegerField()
    period_label = serializers.CharField()


class AgendaOut(serializers.Serializer):
    org_unit = serializers.IntegerField()
    period = serializers.IntegerField()
    variances = SnapshotRowOut(many=True)
    reports = AgendaReportOut(many=True)
    feedback = AgendaFeedbackOut(many=True)
    missing = AgendaMissingOut(many=True)


def _pk(value: Any, model: type, field: str) -> Any:
    if value in (None, ""):
        return None
    item = model.objects.filter(pk=value).first() if str(value).isdigit() else None
    if item is None:
        raise bad_request(DjangoValidationError({field: [_("Unknown id.")]}))
    return item


class ReportViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Weekly, monthly and quarterly reports in your scope, with their KPI snapshot."""

    queryset = PeriodicReport.objects.all()
    serializer_class = ReportOut
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = StandardPagination
    filter_backends: list[Any] = []

    def get_queryset(self):
        params = self.request.query_params
        return selectors.reports_visible(
            self.request.user,
            status=params.get("status"),
            kind=params.get("kind"),
            period=params.get("period"),
            author=params.get("author"),
            org_unit=params.get("org_unit"),
            owner_type=params.get("owner_type"),
            mine=params.get("mine") in ("1", "true", "yes"),
        ).prefetch_related("comments")

    def _item(self, pk: Any) -> PeriodicReport:
        return selectors.report_get_for_user(user=self.request.user, pk=pk)

    def _run(self, fn, **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except DjangoValidationError as error:
            raise bad_request(error) from error

    def _detail(self, report: PeriodicReport, code: int = status.HTTP_200_OK) -> Response:
        report = self._item(report.pk)
        data = ReportDetailOut(report, context=self.get_serializer_context()).data
        return Response(data, status=code)

    @extend_schema(
        summary="Reports in your scope",
        description="Add `?format=csv` or `?format=xlsx` to export every row in scope.",
        parameters=[
            OpenApiParameter("status", str, enum=PeriodicReport.Status.values),
            OpenApiParameter("kind", str, enum=list(selectors.REPORT_KINDS)),
            OpenApiParameter("period", int),
            OpenApiParameter("author", int),
            OpenApiParameter("org_unit", int, description="That unit and its subtree."),
            OpenApiParameter("owner_type", str, enum=PeriodicReport.OwnerType.values),
            OpenApiParameter("mine", bool, description="Only reports you wrote."),
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="One report with its comments (403 outside your scope)",
        responses={200: ReportDetailOut},
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return self._detail(self._item(pk))

    @extend_schema(
        summary="Start a report (a draft)", request=ReportIn, responses={201: ReportDetailOut}
    )
    def create(self, request: Request) -> Response:
        data = ReportIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["period"] = _pk(values["period"], Period, "period")
        values["org_unit"] = _pk(values.get("org_unit"), OrgUnit, "org_unit")
        report = self._run(services.report_create, actor=request.user, **values)
        return self._detail(report, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change the sections of a draft or returned report (its author)",
        request=SectionsIn,
        responses={200: ReportDetailOut},
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        report = self._item(pk)
        data = SectionsIn(data=request.data)
        data.is_valid(raise_exception=True)
        report = self._run(
            services.report_update, actor=request.user, report=report, **data.validated_data
        )
        return self._detail(report)

    @extend_schema(
        summary="Submit: the KPI snapshot is frozen into the report",
        request=None,
        responses={200: ReportDetailOut},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        report = self._run(services.report_submit, actor=request.user, report=self._item(pk))
        return self._detail(report)

    @extend_schema(
        summary="Sign the report off (a manager above the author)",
        request=TextIn,
        responses={200: ReportDetailOut},
    )
    @action(detail=True, methods=["post"], url_path="sign-off")
    def sign_off(self, request: Request, pk: str | None = None) -> Response:
        data = TextIn(data=request.data)
        data.is_valid(raise_exception=True)
        report = self._run(
            services.report_sign_off,
            actor=request.user,
            report=self._item(pk),
            text=data.validated_data["text"],
        )
        return self._detail(report)

    @extend_schema(
        summary="Return the report to its author with a comment",
        request=TextIn,
        responses={200: ReportDetailOut},
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        data = TextIn(data=request.data)
        data.is_valid(raise_exception=True)
        report = self._run(
            services.report_return,
            actor=request.user,
            report=self._item(pk),
            text=data.validated_data["text"],
        )
        return self._detail(report)

    @extend_schema(
        summary="Comment on the report (the author and the reviewers)",
        request=TextIn,
        responses={201: CommentOut},
    )
    @action(detail=True, methods=["post"])
    def comment(self, request: Request, pk: str | None = None) -> Response:
        data = TextIn(data=request.data)
        data.is_valid(raise_exception=True)
        comment = self._run(
            services.report_comment,
            actor=request.user,
            report=self._item(pk),
            text=data.validated_data["text"],
        )
        return Response(CommentOut(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The review-meeting agenda of a unit and period",
        description="Largest variances first (by |attainment − 100%|), then reports naming "
        "problems or asking for help, open feedback and missing weekly reports.",
        parameters=[
            OpenApiParameter("org_unit", int, required=True),
            OpenApiParameter("period", int, required=True),
        ],
        responses={200: AgendaOut},
    )
    @action(detail=False, methods=["get"], url_path="review-agenda", pagination_class=None)
    def review_agenda(self, request: Request) -> Response:
        params = request.query_params
        unit = _pk(params.get("org_unit"), OrgUnit, "org_unit")
        period = _pk(params.get("period"), Period, "period")
        if unit is None or period is None:
            raise bad_request(
                DjangoValidationError({"detail": [_("Give the org unit and the period.")]})
            )
        unit = get_object_or_404(OrgUnit, pk=unit.pk)
        if request.user.role == Role.REP and not request.user.is_superuser:
            raise PermissionDenied
        if not scope.visible_units(request.user).filter(pk=unit.pk).exists():
            raise PermissionDenied
        agenda = selectors.review_agenda(user=request.user, unit=unit, period=period)
        data = {
            "org_unit": unit.pk,
            "period": period.pk,
            "variances": agenda.variances,
            "reports": agenda.reports,
            "feedback": agenda.feedback,
            "missing": [
                {"rep": r.pk, "rep_name": r.display, "period": w.pk, "period_label": w.label}
                for r, w in agenda.missing
            ],
        }
        return Response(AgendaOut(data).data)


def register(router) -> None:
    from plans.api import market

    router.register("reports", ReportViewSet, basename="report")
    market.register(router)
