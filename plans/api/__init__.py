"""feedback/: the feedback channel through the API.

Lists hold what `plans.selectors.feedback_visible` lets the user see (rep: own; manager: own and
subtree; executive and admin: all) and accept `?status=&category=&org_unit=&mine=1`; every list
exports with `?format=csv|xlsx`. A detail outside the scope is 403, an unknown id 404. The
author of an anonymous item is null for everyone but admins and the author. Writes go through
`plans.services`; bad input is a structured 400.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from plans import selectors, services
from plans.models import Feedback, FeedbackResponse
from salesgoals.api.base import ExportMixin, bad_request
from salesgoals.api.calendar import _inline_enum
from salesgoals.api.pagination import StandardPagination


@extend_schema_field(_inline_enum(Feedback.Status.choices), component_name="FeedbackStatusEnum")
class FeedbackStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Feedback.Status.choices, **kwargs)


@extend_schema_field(_inline_enum(Feedback.Category.choices), component_name="FeedbackCategoryEnum")
class FeedbackCategoryField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Feedback.Category.choices, **kwargs)


@extend_schema_field(_inline_enum(Feedback.Subject.choices), component_name="FeedbackSubjectEnum")
class FeedbackSubjectField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Feedback.Subject.choices, **kwargs)


def _viewer(serializer: serializers.Serializer) -> Any:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class ResponseOut(serializers.ModelSerializer):
    author = serializers.SerializerMethodField(help_text="Null when hidden by anonymity.")
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = FeedbackResponse
        fields = ["id", "author", "author_name", "text", "created_at"]
        read_only_fields = fields

    def _shown(self, response: FeedbackResponse) -> bool:
        return selectors.author_shown(_viewer(self), response.feedback, response.author_id)

    def get_author(self, response: FeedbackResponse) -> int | None:
        return response.author_id if self._shown(response) else None

    def get_author_name(self, response: FeedbackResponse) -> str | None:
        return response.author.display if self._shown(response) else None


class FeedbackOut(serializers.ModelSerializer):
    author = serializers.SerializerMethodField(help_text="Null when hidden by anonymity.")
    author_name = serializers.SerializerMethodField()
    org_unit_name = serializers.CharField(
        source="org_unit.name", read_only=True, allow_null=True, default=None
    )
    status = FeedbackStatusField(read_only=True)
    category = FeedbackCategoryField(read_only=True)
    subject_type = FeedbackSubjectField(read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Feedback
        fields = [
            "id",
            "title",
            "text",
            "category",
            "category_label",
            "subject_type",
            "plan",
            "action_plan",
            "task",
            "org_unit",
            "org_unit_name",
            "author",
            "author_name",
            "anonymous",
            "status",
            "status_label",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _shown(self, item: Feedback) -> bool:
        return selectors.author_shown(_viewer(self), item)

    def get_author(self, item: Feedback) -> int | None:
        return item.author_id if self._shown(item) else None

    def get_author_name(self, item: Feedback) -> str | None:
        return item.author.display if self._shown(item) else None


class FeedbackDetailOut(FeedbackOut):
    responses = serializers.SerializerMethodField()
    next_statuses = serializers.SerializerMethodField(
        help_text="The statuses you may set now (`feedback/{id}/status/`)."
    )

    class Meta(FeedbackOut.Meta):
        fields = [*FeedbackOut.Meta.fields, "responses", "next_statuses"]
        read_only_fields = fields

    @extend_schema_field(ResponseOut(many=True))
    def get_responses(self, item: Feedback) -> list[dict[str, Any]]:
        rows = selectors.feedback_responses(item)
        return ResponseOut(rows, many=True, context=self.context).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_next_statuses(self, item: Feedback) -> list[str]:
        return selectors.feedback_next_statuses(_viewer(self), item)


class FeedbackIn(serializers.Serializer):
    category = FeedbackCategoryField()
    subject_type = FeedbackSubjectField(
        required=False,
        help_text="Default: `task`, `action_plan` or `target_plan` when one is given, "
        "else `general`.",
    )
    plan = serializers.IntegerField(required=False, allow_null=True, help_text="Target plan id.")
    action_plan = serializers.IntegerField(
        required=False, allow_null=True, help_text="Action plan id (subject `action_plan`)."
    )
    task = serializers.IntegerField(
        required=False, allow_null=True, help_text="Task id (subject `task`; implies its plan)."
    )
    title = serializers.CharField(max_length=200)
    text = serializers.CharField()
    anonymous = serializers.BooleanField(
        required=False, default=False, help_text="Hide the author from everyone but admins."
    )


class RespondIn(serializers.Serializer):
    text = serializers.CharField()


class StatusIn(serializers.Serializer):
    status = FeedbackStatusField()


class FeedbackViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Feedback and suggestions in your scope, with their threads."""

    queryset = Feedback.objects.all()
    serializer_class = FeedbackOut
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = StandardPagination
    filter_backends: list[Any] = []

    def get_queryset(self):
        params = self.request.query_params
        return selectors.feedback_visible(
            self.request.user,
            status=params.get("status"),
            category=params.get("category"),
            org_unit=params.get("org_unit"),
            mine=params.get("mine") in ("1", "true", "yes"),
        )

    def _item(self, pk: Any) -> Feedback:
        return selectors.feedback_get_for_user(user=self.request.user, pk=pk)

    def _run(self, fn, **kwargs: Any) -> Any:
        try:
            return fn(**kwargs)
        except DjangoValidationError as error:
            raise bad_request(error) from error

    def _detail(self, item: Feedback) -> dict[str, Any]:
        item = self._item(item.pk)
        return FeedbackDetailOut(item, context=self.get_serializer_context()).data

    @extend_schema(
        summary="Feedback in your scope",
        description="Add `?format=csv` or `?format=xlsx` to export every row in scope.",
        parameters=[
            OpenApiParameter("status", str, enum=Feedback.Status.values),
            OpenApiParameter("category", str, enum=Feedback.Category.values),
            OpenApiParameter("org_unit", int, description="That unit and its subtree."),
            OpenApiParameter("mine", bool, description="Only feedback you raised."),
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="One feedback item with its thread (403 outside your scope)",
        responses={200: FeedbackDetailOut},
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self._detail(self._item(pk)))

    @extend_schema(summary="Raise feedback", request=FeedbackIn, responses={201: FeedbackDetailOut})
    def create(self, request: Request) -> Response:
        data = FeedbackIn(data=request.data)
        data.is_valid(raise_exception=True)
        item = self._run(services.feedback_create, actor=request.user, **data.validated_data)
        return Response(self._detail(item), status=status.HTTP_201_CREATED)

    @extend_schema(summary="Reply in the thread", request=RespondIn, responses={201: ResponseOut})
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk: str | None = None) -> Response:
        item = self._item(pk)
        data = RespondIn(data=request.data)
        data.is_valid(raise_exception=True)
        response = self._run(
            services.feedback_respond, actor=request.user, feedback=item, **data.validated_data
        )
        out = ResponseOut(response, context=self.get_serializer_context()).data
        return Response(out, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Move the feedback to another status",
        description="open → acknowledged → actioned → closed. Managers of the subtree, "
        "executives and admins; the author may only close their own.",
        request=StatusIn,
        responses={200: FeedbackDetailOut},
    )
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, pk: str | None = None) -> Response:
        item = self._item(pk)
        data = StatusIn(data=request.data)
        data.is_valid(raise_exception=True)
        item = self._run(
            services.feedback_set_status,
            actor=request.user,
            feedback=item,
            status=data.validated_data["status"],
        )
        return Response(self._detail(item))


def register(router) -> None:
    from plans.api import actions, reports

    router.register("feedback", FeedbackViewSet, basename="feedback")
    actions.register(router)
    reports.register(router)
