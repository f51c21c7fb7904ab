"""tasks/: action-plan tasks through the API (see `plans.api.actions`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from plans.api.actions_common import (
    TaskStatusField,
    WritableViewSet,
    current_values,
    flag,
    run,
)
from plans.models import Task
from plans.selectors import actions as sel
from plans.services import actions as services


class TaskOut(serializers.ModelSerializer):
    status = TaskStatusField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    owner_name = serializers.CharField(source="owner.display", read_only=True)
    plan_title = serializers.CharField(source="plan.title", read_only=True)
    depends_on = serializers.SerializerMethodField()
    is_overdue = serializers.SerializerMethodField()
    budget = serializers.IntegerField(read_only=True, help_text="Minor units.")

    class Meta:
        model = Task
        fields = [
            "id",
            "plan",
            "plan_title",
            "title",
            "description",
            "owner",
            "owner_name",
            "start_date",
            "due_date",
            "is_milestone",
            "budget",
            "hours",
            "materials",
            "depends_on",
            "status",
            "status_label",
            "blocked_reason",
            "progress",
            "is_overdue",
            "completed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_depends_on(self, task: Task) -> list[int]:
        return sorted(d.pk for d in task.depends_on.all())

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_is_overdue(self, task: Task) -> bool:
        return sel.is_overdue(task)


class TaskIn(serializers.Serializer):
    plan = serializers.IntegerField(help_text="Action plan id (create only).")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.IntegerField(help_text="User id.")
    start_date = serializers.DateField(required=False, allow_null=True)
    due_date = serializers.DateField()
    is_milestone = serializers.BooleanField(required=False, default=False)
    budget = serializers.IntegerField(required=False, min_value=0, help_text="Minor units.")
    hours = serializers.DecimalField(max_digits=7, decimal_places=1, required=False, min_value=0)
    materials = serializers.CharField(required=False, allow_blank=True)
    depends_on = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Task ids of the same plan."
    )
    status = TaskStatusField(required=False)
    progress = serializers.IntegerField(required=False, min_value=0, max_value=100)
    blocked_reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class TaskStatusIn(serializers.Serializer):
    status = TaskStatusField(required=False)
    progress = serializers.IntegerField(required=False, min_value=0, max_value=100)
    blocked_reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


PLANNING_FIELDS = [
    "title",
    "description",
    "owner",
    "start_date",
    "due_date",
    "is_milestone",
    "budget",
    "hours",
    "materials",
]
MOVING_FIELDS = ("status", "progress", "blocked_reason")


class TaskViewSet(WritableViewSet):
    """Action-plan tasks in your scope (and your own)."""

    queryset = Task.objects.all()
    serializer_class = TaskOut

    def get_queryset(self):
        params = self.request.query_params
        names = ("status", "owner", "plan", "org_unit", "due_before", "due_after")
        filters = {k: params.get(k) for k in names}
        for name in ("overdue", "blocked", "open", "mine"):
            filters[name] = flag(self.request, name)
        return sel.tasks_visible(self.request.user, **filters)

    def _item(self, pk: Any) -> Task:
        return sel.task_get_for_user(user=self.request.user, pk=pk)

    def _out(self, item: Task) -> dict[str, Any]:
        item = Task.objects.select_related("plan", "owner").get(pk=item.pk)
        return TaskOut(item, context=self.get_serializer_context()).data

    def _move(self, item: Task, data: dict[str, Any]) -> Task:
        moving = {k: data[k] for k in MOVING_FIELDS if k in data}
        if not moving:
            # Nothing to move still needs the right to move it (an empty body must not
            # answer 200 to someone the service would refuse).
            if not sel.task_can_move(self.request.user, item):
                raise DRFPermissionDenied(
                    "Only the task's owner and the plan's managers may move it."
                )
            return item
        return run(services.task_set_status, actor=self.request.user, task=item, **moving)

    @extend_schema(
        summary="Tasks in your scope",
        description="Add `?format=csv` or `?format=xlsx` to export every row in scope.",
        parameters=[
            OpenApiParameter("status", str, description="One status or a comma list."),
            OpenApiParameter("owner", int),
            OpenApiParameter("plan", int),
            OpenApiParameter("org_unit", int, description="The plan's unit and its subtree."),
            OpenApiParameter("overdue", bool, description="Open and past the due date."),
            OpenApiParameter("blocked", bool),
            OpenApiParameter("open", bool, description="Not done or cancelled."),
            OpenApiParameter("mine", bool, description="Only your own tasks."),
            OpenApiParameter("due_before", OpenApiTypes.DATE, description="Due on or before."),
            OpenApiParameter("due_after", OpenApiTypes.DATE, description="Due on or after."),
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One task (403 outside your scope)", responses={200: TaskOut})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self._out(self._item(pk)))

    @extend_schema(summary="Add a task to a plan", request=TaskIn, responses={201: TaskOut})
    def create(self, request: Request) -> Response:
        data = self._validated(TaskIn)
        plan = sel.action_plan_get_for_user(user=request.user, pk=data.pop("plan"))
        moving = {k: data.pop(k) for k in MOVING_FIELDS if k in data}
        item = run(services.task_create, actor=request.user, plan=plan, **data)
        item = self._move(item, moving)
        return Response(self._out(item), status=status.HTTP_201_CREATED)

    def _save(self, item: Task, data: dict[str, Any]) -> Task:
        data.pop("plan", None)
        moving = {k: data.pop(k) for k in MOVING_FIELDS if k in data}
        if data:
            if not sel.plan_can_manage(self.request.user, item.plan):
                raise DRFPermissionDenied(
                    "You may change only the status, progress and blocked reason of this task."
                )
            current = {
                **current_values(item, PLANNING_FIELDS),
                "depends_on": [d.pk for d in item.depends_on.all()],
            }
            item = run(
                services.task_save,
                actor=self.request.user,
                plan=item.plan,
                task=item,
                **{**current, **data},
            )
        return self._move(item, moving)

    @extend_schema(summary="Replace a task", request=TaskIn, responses={200: TaskOut})
    def update(self, request: Request, pk: str | None = None) -> Response:
        item = self._item(pk)
        return Response(self._out(self._save(item, self._validated(TaskIn))))

    @extend_schema(
        summary="Change some fields of a task",
        description="The task's owner may change only `status`, `progress` and "
        "`blocked_reason`; the plan's managers everything.",
        request=TaskIn,
        responses={200: TaskOut},
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        item = self._item(pk)
        return Response(self._out(self._save(item, self._validated(TaskIn, partial=True))))

    @extend_schema(
        summary="Move a task: status, progress, why it is blocked",
        description="A task waiting for unfinished dependencies cannot start or finish. "
        "Done sets progress to 100. Only the plan's managers cancel.",
        request=TaskStatusIn,
        responses={200: TaskOut},
    )
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, pk: str | None = None) -> Response:
        item = self._item(pk)
        data = self._validated(TaskStatusIn)
        return Response(self._out(self._move(item, data)))
