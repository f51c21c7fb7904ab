"""strategies/, action-plans/, tasks/: how targets get reached, through the API.

Lists hold what `plans.selectors.actions` lets the user see and export with
`?format=csv|xlsx`. A detail outside the scope is 403, an unknown id 404. Writes go through
`plans.services.actions` (managers in their subtree, admins everywhere; executives read);
a task's owner may PATCH only its `status`, `progress` and `blocked_reason` (or POST
`tasks/{id}/status/`). Bad input is a structured 400. Money (`budget`) is in minor units.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from plans.api.actions_common import (
    PlanStatusField,
    StrategyKindField,
    WritableViewSet,
    current_values,
    flag,
    run,
)
from plans.api.actions_tasks import TaskOut, TaskViewSet
from plans.models import ActionPlan, PlanStatus, Strategy
from plans.selectors import actions as sel
from plans.services import actions as services

# --- Strategies ----------------------------------------------------------------------------


class StrategyOut(serializers.ModelSerializer):
    kind = StrategyKindField(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status = PlanStatusField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    owner_name = serializers.CharField(source="owner.display", read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    action_plan_count = serializers.IntegerField(source="plan_count", read_only=True, default=0)
    budget = serializers.IntegerField(read_only=True, help_text="Minor units.")

    class Meta:
        model = Strategy
        fields = [
            "id",
            "name",
            "kind",
            "kind_label",
            "goal",
            "owner",
            "owner_name",
            "org_unit",
            "org_unit_name",
            "target_plan",
            "period",
            "start_date",
            "end_date",
            "budget",
            "expected_contribution",
            "status",
            "status_label",
            "action_plan_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class StrategyIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = StrategyKindField()
    goal = serializers.CharField()
    owner = serializers.IntegerField(help_text="User id.")
    org_unit = serializers.IntegerField(help_text="The scope: an org unit id.")
    target_plan = serializers.IntegerField(required=False, allow_null=True)
    period = serializers.IntegerField(
        required=False, allow_null=True, help_text="A fiscal period id; sets the dates."
    )
    start_date = serializers.DateField(required=False, allow_null=True)
    end_date = serializers.DateField(required=False, allow_null=True)
    budget = serializers.IntegerField(required=False, min_value=0, help_text="Minor units.")
    expected_contribution = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="In the target metric's unit: minor units, a count, or basis points.",
    )


class PlanStatusIn(serializers.Serializer):
    status = PlanStatusField()


STRATEGY_FIELDS = [
    "name",
    "kind",
    "goal",
    "owner",
    "org_unit",
    "target_plan",
    "period",
    "start_date",
    "end_date",
    "budget",
    "expected_contribution",
]


class StrategyViewSet(WritableViewSet):
    """Sales strategies in your scope."""

    queryset = Strategy.objects.all()
    serializer_class = StrategyOut

    def get_queryset(self):
        params = self.request.query_params
        return sel.strategies_visible(
            self.request.user,
            **{k: params.get(k) for k in ("status", "kind", "owner", "org_unit", "target_plan")},
        )

    def _item(self, pk: Any) -> Strategy:
        return sel.strategy_get_for_user(user=self.request.user, pk=pk)

    def _out(self, item: Strategy) -> dict[str, Any]:
        item = sel.strategies_visible(self.request.user).get(pk=item.pk)
        return StrategyOut(item, context=self.get_serializer_context()).data

    @extend_schema(
        summary="Strategies in your scope",
        description="Add `?format=csv` or `?format=xlsx` to export every row in scope.",
        parameters=[
            OpenApiParameter("status", str, enum=PlanStatus.values),
            OpenApiParameter("kind", str, enum=Strategy.Kind.values),
            OpenApiParameter("owner", int),
            OpenApiParameter("org_unit", int, description="That unit and its subtree."),
            OpenApiParameter("target_plan", int),
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One strategy (403 outside your scope)", responses={200: StrategyOut})
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self._out(self._item(pk)))

    @extend_schema(summary="Create a strategy", request=StrategyIn, responses={201: StrategyOut})
    def create(self, request: Request) -> Response:
        data = self._validated(StrategyIn)
        item = run(services.strategy_create, actor=request.user, **data)
        return Response(self._out(item), status=status.HTTP_201_CREATED)

    @extend_schema(summary="Replace a strategy", request=StrategyIn, responses={200: StrategyOut})
    def update(self, request: Request, pk: str | None = None) -> Response:
        item = self._item(pk)
        data = self._validated(StrategyIn)
        item = run(services.strategy_save, actor=request.user, strategy=item, **data)
        return Response(self._out(item))

    @extend_schema(
        summary="Change some fields of a strategy", request=StrategyIn, responses={200: StrategyOut}
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        item = self._item(pk)
        data = {
            **current_values(item, STRATEGY_FIELDS),
            **self._validated(StrategyIn, partial=True),
        }
        if "period" not in request.data and (
            "start_date" in request.data or "end_date" in request.data
        ):
            data["period"] = None
        item = run(services.strategy_save, actor=request.user, strategy=item, **data)
        return Response(self._out(item))

    @extend_schema(
        summary="Move the strategy to another status",
        description="draft → active → done; cancel; reopen. Managers of its unit and admins.",
        request=PlanStatusIn,
        responses={200: StrategyOut},
    )
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, pk: str | None = None) -> Response:
        item = self._item(pk)
        data = self._validated(PlanStatusIn)
        item = run(
            services.strategy_set_status, actor=request.user, strategy=item, status=data["status"]
        )
        return Response(self._out(item))


# --- Action plans --------------------------------------------------------------------------


class ActionPlanOut(serializers.ModelSerializer):
    status = PlanStatusField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    owner_name = serializers.CharField(source="owner.display", read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    rep_name = serializers.CharField(
        source="rep.display", read_only=True, default=None, allow_null=True
    )
    progress = serializers.SerializerMethodField(help_text="Mean progress % of its tasks.")
    task_count = serializers.IntegerField(read_only=True, default=0)
    done_task_count = serializers.IntegerField(source="done_count", read_only=True, default=0)
    open_task_count = serializers.IntegerField(source="open_count", read_only=True, default=0)
    overdue_task_count = serializers.IntegerField(source="overdue_count", read_only=True, default=0)
    blocked_task_count = serializers.IntegerField(source="blocked_count", read_only=True, default=0)
    budget = serializers.IntegerField(
        source="task_budget", read_only=True, default=0, help_text="Σ task budgets, minor units."
    )
    hours = serializers.DecimalField(
        source="task_hours", max_digits=9, decimal_places=1, read_only=True, default=0
    )

    class Meta:
        model = ActionPlan
        fields = [
            "id",
            "title",
            "description",
            "org_unit",
            "org_unit_name",
            "rep",
            "rep_name",
            "owner",
            "owner_name",
            "strategy",
            "target_plan",
            "start_date",
            "end_date",
            "status",
            "status_label",
            "progress",
            "task_count",
            "done_task_count",
            "open_task_count",
            "overdue_task_count",
            "blocked_task_count",
            "budget",
            "hours",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_progress(self, plan: ActionPlan) -> int:
        return sel.plan_progress(plan)


class ActionPlanDetailOut(ActionPlanOut):
    tasks = serializers.SerializerMethodField()

    class Meta(ActionPlanOut.Meta):
        fields = [*ActionPlanOut.Meta.fields, "tasks"]
        read_only_fields = fields

    @extend_schema_field(TaskOut(many=True))
    def get_tasks(self, plan: ActionPlan) -> list[dict[str, Any]]:
        return TaskOut(sel.plan_tasks(plan), many=True, context=self.context).data


class ActionPlanIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    org_unit = serializers.IntegerField(help_text="The team: an org unit id.")
    rep = serializers.IntegerField(
        required=False, allow_null=True, help_text="For one rep of the team; null = team plan."
    )
    owner = serializers.IntegerField(help_text="Who leads the plan (user id).")
    strategy = serializers.IntegerField(required=False, allow_null=True)
    target_plan = serializers.IntegerField(required=False, allow_null=True)
    start_date = serializers.DateField()
    end_date = serializers.DateField()


PLAN_FIELDS = [
    "title",
    "description",
    "org_unit",
    "rep",
    "owner",
    "strategy",
    "target_plan",
    "start_date",
    "end_date",
]


class ActionPlanViewSet(WritableViewSet):
    """Action plans in your scope, with their tasks' rollup."""

    queryset = ActionPlan.objects.all()
    serializer_class = ActionPlanOut

    def get_queryset(self):
        params = self.request.query_params
        names = ("status", "owner", "rep", "org_unit", "strategy", "target_plan")
        filters = {k: params.get(k) for k in names}
        filters["overdue"] = flag(self.request, "overdue")
        filters["mine"] = flag(self.request, "mine")
        return sel.action_plans_visible(self.request.user, **filters)

    def _item(self, pk: Any) -> ActionPlan:
        return sel.action_plan_get_for_user(user=self.request.user, pk=pk)

    def _out(self, item: ActionPlan) -> dict[str, Any]:
        item = self._item(item.pk)
        return ActionPlanDetailOut(item, context=self.get_serializer_context()).data

    @extend_schema(
        summary="Action plans in your scope",
        description="Add `?format=csv` or `?format=xlsx` to export every row in scope.",
        parameters=[
            OpenApiParameter("status", str, enum=PlanStatus.values),
            OpenApiParameter("owner", int),
            OpenApiParameter("rep", int),
            OpenApiParameter("org_unit", int, description="That unit and its subtree."),
            OpenApiParameter("strategy", int),
            OpenApiParameter("target_plan", int),
            OpenApiParameter("overdue", bool, description="Plans with an overdue task."),
            OpenApiParameter("mine", bool, description="Led by you, for you, or with your task."),
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="One action plan with its tasks (403 outside your scope)",
        responses={200: ActionPlanDetailOut},
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self._out(self._item(pk)))

    @extend_schema(
        summary="Create an action plan", request=ActionPlanIn, responses={201: ActionPlanDetailOut}
    )
    def create(self, request: Request) -> Response:
        data = self._validated(ActionPlanIn)
        item = run(services.action_plan_create, actor=request.user, **data)
        return Response(self._out(item), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Replace an action plan", request=ActionPlanIn, responses={200: ActionPlanDetailOut}
    )
    def update(self, request: Request, pk: str | None = None) -> Response:
        item = self._item(pk)
        data = self._validated(ActionPlanIn)
        item = run(services.action_plan_save, actor=request.user, plan=item, **data)
        return Response(self._out(item))

    @extend_schema(
        summary="Change some fields of an action plan",
        request=ActionPlanIn,
        responses={200: ActionPlanDetailOut},
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        item = self._item(pk)
        data = {**current_values(item, PLAN_FIELDS), **self._validated(ActionPlanIn, partial=True)}
        item = run(services.action_plan_save, actor=request.user, plan=item, **data)
        return Response(self._out(item))

    @extend_schema(
        summary="Move the action plan to another status",
        description="draft → active → done (only when no task is open); cancel (cancels its "
        "open tasks); reopen. Managers of its team and admins.",
        request=PlanStatusIn,
        responses={200: ActionPlanDetailOut},
    )
    @action(detail=True, methods=["post"], url_path="status")
    def set_status(self, request: Request, pk: str | None = None) -> Response:
        item = self._item(pk)
        data = self._validated(PlanStatusIn)
        item = run(
            services.action_plan_set_status, actor=request.user, plan=item, status=data["status"]
        )
        return Response(self._out(item))


def register(router) -> None:
    router.register("strategies", StrategyViewSet, basename="strategy")
    router.register("action-plans", ActionPlanViewSet, basename="action-plan")
    router.register("tasks", TaskViewSet, basename="task")
