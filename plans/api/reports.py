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
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from plans.api.reports_serializers import (
    AgendaOut,
    CommentOut,
    ReportDetailOut,
    ReportIn,
    ReportOut,
    SectionsIn,
    TextIn,
)
from plans.models import PeriodicReport
from plans.selectors import reports as selectors
from plans.services import reports as services
from salesgoals import scope
from salesgoals.api.base import ExportMixin, bad_request
from salesgoals.api.pagination import StandardPagination
from salesgoals.ids import is_id
from salesgoals.models import OrgUnit, Period, Role


def _pk(value: Any, model: type, field: str) -> Any:
    if value in (None, ""):
        return None
    item = model.objects.filter(pk=value).first() if is_id(value) else None
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
