"""Serializers of `reports/` (see `plans.api.reports`): the report, its comments, its KPI
snapshot rows as decimal strings, the inputs of the actions and the review-meeting agenda."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from plans.models import PeriodicReport, ReportComment
from plans.selectors import reports as selectors
from salesgoals.api.calendar import _inline_enum
from salesgoals.api.schema import DECIMAL_STRING_OR_NULL

__all__ = [
    "AgendaOut",
    "CommentOut",
    "ReportDetailOut",
    "ReportIn",
    "ReportOut",
    "SectionsIn",
    "SnapshotRowOut",
    "TextIn",
]


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

    @extend_schema_field(DECIMAL_STRING_OR_NULL)
    def get_actual(self, row: dict) -> str | None:
        return self._figure(row, "actual")

    @extend_schema_field(DECIMAL_STRING_OR_NULL)
    def get_target(self, row: dict) -> str | None:
        return self._figure(row, "target")

    @extend_schema_field(DECIMAL_STRING_OR_NULL)
    def get_variance(self, row: dict) -> str | None:
        return self._figure(row, "variance")

    @extend_schema_field(DECIMAL_STRING_OR_NULL)
    def get_variance_pct(self, row: dict) -> str | None:
        return _dec(selectors.percent(row.get("variance_bp")))

    @extend_schema_field(DECIMAL_STRING_OR_NULL)
    def get_attainment(self, row: dict) -> str | None:
        return _dec(selectors.percent(row.get("attainment_bp")))

    @extend_schema_field(DECIMAL_STRING_OR_NULL)
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
