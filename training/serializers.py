"""Serializers of the training API (input and output shapes; rules live in services)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from salesgoals.api.calendar import _inline_enum
from training.models import (
    Assignment,
    Certification,
    Course,
    Material,
    Module,
    Question,
    QuizAttempt,
    Recommendation,
    RecommendationRule,
)
from training.selectors.access import can_configure


def _enum(choices: list[tuple[str, Any]], name: str) -> type[serializers.ChoiceField]:
    @extend_schema_field(_inline_enum(choices), component_name=name)
    class Field(serializers.ChoiceField):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(choices=choices, **kwargs)

    Field.__name__ = name.replace("Enum", "Field")
    return Field


CourseCategoryField = _enum(Course.Category.choices, "CourseCategoryEnum")
AssignmentStatusField = _enum(Assignment.Status.choices, "AssignmentStatusEnum")
AssignmentSourceField = _enum(Assignment.Source.choices, "AssignmentSourceEnum")
MaterialKindField = _enum(Material.Kind.choices, "MaterialKindEnum")
RecommendationStatusField = _enum(Recommendation.Status.choices, "RecommendationStatusEnum")
RuleConditionField = _enum(RecommendationRule.Condition.choices, "RuleConditionEnum")


def _viewer(serializer: serializers.Serializer) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class MaterialOut(serializers.ModelSerializer):
    kind = MaterialKindField(read_only=True)
    href = serializers.SerializerMethodField()

    class Meta:
        model = Material
        fields = ["id", "kind", "title", "href"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_href(self, material: Material) -> str:
        href = material.href
        request = self.context.get("request")
        if href and href.startswith("/") and request is not None:
            return request.build_absolute_uri(href)
        return href


class OptionOut(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    correct = serializers.BooleanField(
        required=False, help_text="Only for admins (the quiz is graded on the server)."
    )


class QuestionOut(serializers.ModelSerializer):
    options = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = ["id", "order", "text", "options"]
        read_only_fields = fields

    @extend_schema_field(OptionOut(many=True))
    def get_options(self, question: Question) -> list[dict[str, Any]]:
        admin = can_configure(_viewer(self))
        rows = []
        for option in question.options.all():
            row: dict[str, Any] = {"id": option.pk, "text": option.text}
            if admin:
                row["correct"] = option.correct
            rows.append(row)
        return rows


class QuizOut(serializers.Serializer):
    pass_mark = serializers.IntegerField()
    questions = QuestionOut(many=True, read_only=True)


class ModuleOut(serializers.ModelSerializer):
    materials = MaterialOut(many=True, read_only=True)
    quiz = serializers.SerializerMethodField()

    class Meta:
        model = Module
        fields = ["id", "order", "title", "body", "minutes", "materials", "quiz"]
        read_only_fields = fields

    @extend_schema_field(QuizOut(allow_null=True))
    def get_quiz(self, module: Module) -> dict[str, Any] | None:
        quiz = getattr(module, "quiz", None)
        if quiz is None:
            return None
        return QuizOut(quiz, context=self.context).data


class CourseOut(serializers.ModelSerializer):
    category = CourseCategoryField(read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    modules = ModuleOut(many=True, read_only=True)

    class Meta:
        model = Course
        fields = [
            "id",
            "code",
            "title",
            "description",
            "category",
            "category_label",
            "certifying",
            "certification_valid_months",
            "active",
            "modules",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CourseIn(serializers.Serializer):
    code = serializers.SlugField(max_length=60, required=False)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    category = CourseCategoryField(required=False)
    certifying = serializers.BooleanField(required=False)
    certification_valid_months = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=120
    )
    active = serializers.BooleanField(required=False)


class ModuleIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(required=False, allow_blank=True, default="")
    minutes = serializers.IntegerField(required=False, min_value=0, default=15)


class EffectivenessRowOut(serializers.Serializer):
    course = serializers.CharField(help_text="Course code.")
    course_title = serializers.CharField()
    completers = serializers.IntegerField()
    before = serializers.FloatField(allow_null=True, help_text="Metric's stored unit.")
    after = serializers.FloatField(allow_null=True)
    change = serializers.FloatField(allow_null=True)
    comparison = serializers.IntegerField()
    comparison_before = serializers.FloatField(allow_null=True)
    comparison_after = serializers.FloatField(allow_null=True)
    comparison_change = serializers.FloatField(allow_null=True)
    effect = serializers.FloatField(allow_null=True, help_text="change − comparison_change")
    median_month = serializers.CharField(allow_null=True)


class AssignmentOut(serializers.ModelSerializer):
    user_name = serializers.CharField(source="user.display", read_only=True)
    org_unit = serializers.IntegerField(source="user.org_unit_id", read_only=True, allow_null=True)
    course_code = serializers.CharField(source="course.code", read_only=True)
    course_title = serializers.CharField(source="course.title", read_only=True)
    status = AssignmentStatusField(read_only=True)
    source = AssignmentSourceField(read_only=True)
    due = serializers.DateField(source="due_on", read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()
    modules_total = serializers.IntegerField(read_only=True)
    modules_done = serializers.IntegerField(read_only=True)
    completion = serializers.SerializerMethodField(help_text="Share of modules done, in %.")
    certification_expires_on = serializers.DateField(read_only=True, allow_null=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "user",
            "user_name",
            "org_unit",
            "course",
            "course_code",
            "course_title",
            "due",
            "status",
            "source",
            "overdue",
            "modules_total",
            "modules_done",
            "completion",
            "score",
            "completed_on",
            "certification_expires_on",
            "assigned_by",
            "note",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_overdue(self, item: Assignment) -> bool:
        from training.selectors import is_overdue

        return is_overdue(item)

    @extend_schema_field(OpenApiTypes.INT)
    def get_completion(self, item: Assignment) -> int:
        total = getattr(item, "modules_total", 0) or 0
        return round(100 * (getattr(item, "modules_done", 0) or 0) / total) if total else 0


class ModuleProgressOut(serializers.Serializer):
    module = serializers.IntegerField()
    title = serializers.CharField()
    has_quiz = serializers.BooleanField()
    pass_mark = serializers.IntegerField(allow_null=True)
    done = serializers.BooleanField()
    attempts = serializers.IntegerField()
    best_score = serializers.IntegerField(allow_null=True)


class AssignmentDetailOut(AssignmentOut):
    modules = serializers.SerializerMethodField()

    class Meta(AssignmentOut.Meta):
        fields = [*AssignmentOut.Meta.fields, "modules"]
        read_only_fields = fields

    @extend_schema_field(ModuleProgressOut(many=True))
    def get_modules(self, item: Assignment) -> list[dict[str, Any]]:
        from training.selectors import module_progress

        return [
            {
                "module": row["module"].pk,
                "title": row["module"].title,
                "has_quiz": row["quiz"] is not None,
                "pass_mark": row["quiz"].pass_mark if row["quiz"] else None,
                "done": row["done"],
                "attempts": row["attempts"],
                "best_score": row["best"],
            }
            for row in module_progress(item)
        ]


class AssignIn(serializers.Serializer):
    course = serializers.IntegerField(help_text="Course id.")
    users = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, help_text="User ids."
    )
    org_unit = serializers.IntegerField(
        required=False, allow_null=True, help_text="Assign every active person of the subtree."
    )
    due_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class CompleteModuleIn(serializers.Serializer):
    module = serializers.IntegerField()


class QuizAttemptIn(serializers.Serializer):
    module = serializers.IntegerField()
    answers = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text='{"<question id>": [<chosen option ids>]}',
    )


class QuizAttemptOut(serializers.ModelSerializer):
    assignment_status = AssignmentStatusField(source="assignment.status", read_only=True)

    class Meta:
        model = QuizAttempt
        fields = [
            "id",
            "assignment",
            "quiz",
            "correct",
            "total",
            "score",
            "passed",
            "submitted_at",
            "assignment_status",
        ]
        read_only_fields = fields


class CertificationOut(serializers.ModelSerializer):
    user_name = serializers.CharField(source="user.display", read_only=True)
    course_code = serializers.CharField(source="course.code", read_only=True)
    course_title = serializers.CharField(source="course.title", read_only=True)

    class Meta:
        model = Certification
        fields = [
            "id",
            "user",
            "user_name",
            "course",
            "course_code",
            "course_title",
            "issued_on",
            "expires_on",
            "assignment",
        ]
        read_only_fields = fields


class CertificationIn(serializers.Serializer):
    user = serializers.IntegerField()
    course = serializers.IntegerField()
    issued_on = serializers.DateField()
    expires_on = serializers.DateField(required=False, allow_null=True)


class RecommendationOut(serializers.ModelSerializer):
    user_name = serializers.CharField(source="user.display", read_only=True)
    course_code = serializers.CharField(source="course.code", read_only=True)
    course_title = serializers.CharField(source="course.title", read_only=True)
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    metric = serializers.CharField(source="rule.metric.code", read_only=True)
    month = serializers.CharField(source="period.label", read_only=True)
    status = RecommendationStatusField(read_only=True)
    reason = serializers.SerializerMethodField()

    class Meta:
        model = Recommendation
        fields = [
            "id",
            "user",
            "user_name",
            "course",
            "course_code",
            "course_title",
            "rule",
            "rule_name",
            "metric",
            "period",
            "month",
            "reason",
            "evidence",
            "status",
            "assignment",
            "decided_by",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_reason(self, rec: Recommendation) -> str:
        from training.services import explain

        return explain(rec.rule, rec.evidence)


class RecommendationAssignIn(serializers.Serializer):
    due_on = serializers.DateField(required=False, allow_null=True)


class RuleOut(serializers.ModelSerializer):
    metric = serializers.CharField(source="metric.code", read_only=True)
    condition = RuleConditionField(read_only=True)

    class Meta:
        model = RecommendationRule
        fields = ["id", "name", "metric", "condition", "months", "threshold", "course", "active"]
        read_only_fields = fields


class RuleIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    metric = serializers.CharField(help_text="Metric code.")
    condition = RuleConditionField()
    months = serializers.IntegerField(min_value=1, max_value=12, default=2)
    threshold = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    course = serializers.IntegerField(help_text="Course id.")
    active = serializers.BooleanField(required=False, default=True)
