"""crm/connections/ (secrets write-only, test/ and sync/ actions), crm/mappings/, crm/users/,
crm/runs/: CRM sync through the API. Admins only (everyone else gets 403); writes go through
`crm_sync.services`, whose validation errors become structured 400s.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from salesgoals import scope
from salesgoals.api.base import ExportMixin
from salesgoals.models import User

from . import selectors, services
from .models import Connection, CrmUser, ObjectMapping, Provider, SyncError, SyncRun


class IsCrmAdmin(permissions.IsAuthenticated):
    """CRM connections are configuration: admins only, for reads too."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and scope.is_admin(request.user)


def _service(call: Any, **kwargs: Any) -> Any:
    try:
        return call(**kwargs)
    except DjangoValidationError as error:
        detail = error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages}
        raise ValidationError(detail) from None


@extend_schema_serializer(component_name="CrmMapping")
class MappingSerializer(serializers.ModelSerializer):
    fact_kind = serializers.CharField(
        read_only=True, help_text="customer, lead, deal, order, payment or activity"
    )

    class Meta:
        model = ObjectMapping
        fields = [
            "id",
            "connection",
            "crm_object",
            "fact_kind",
            "enabled",
            "field_map",
            "stage_map",
            "activity_kind",
        ]
        read_only_fields = ["id", "connection", "crm_object", "fact_kind"]


@extend_schema_serializer(component_name="CrmConnection")
class ConnectionSerializer(serializers.ModelSerializer):
    secrets = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        write_only=True,
        required=False,
        help_text="Write-only: Zoho client_secret, refresh_token; Fxiaoke app_secret, "
        "permanent_code. Empty values keep the stored secret.",
    )
    secrets_set = serializers.SerializerMethodField(help_text="Names of the secrets stored.")
    # Empty until a token response named one, so not always a URI.
    api_domain = serializers.CharField(
        read_only=True, help_text="API domain from the token response (empty before one)."
    )
    default_owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    mappings = MappingSerializer(many=True, read_only=True)

    class Meta:
        model = Connection
        fields = [
            "id",
            "provider",
            "name",
            "region",
            "accounts_url",
            "api_url",
            "client_id",
            "run_as_user",
            "objects_enabled",
            "schedule_minutes",
            "enabled",
            "default_owner",
            "exchange_rates",
            "secrets",
            "secrets_set",
            "mappings",
            "api_domain",
            "last_run_at",
            "last_status",
            "last_error",
            "last_tested_at",
            "last_test_ok",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "api_domain",
            "last_run_at",
            "last_status",
            "last_error",
            "last_tested_at",
            "last_test_ok",
            "created_at",
        ]

    def get_secrets_set(self, connection: Connection) -> list[str]:
        return connection.secret_names()


@extend_schema_serializer(component_name="CrmConnectionUpdate")
class ConnectionUpdateSerializer(ConnectionSerializer):
    class Meta(ConnectionSerializer.Meta):
        read_only_fields = [*ConnectionSerializer.Meta.read_only_fields, "provider"]


@extend_schema_serializer(component_name="CrmSyncError")
class SyncErrorSerializer(serializers.ModelSerializer):
    class Meta:
        model = SyncError
        fields = ["crm_object", "external_id", "message", "created_at"]


@extend_schema_field(
    {"type": "string", "description": "One of: " + ", ".join(SyncRun.Status.values)}
)
class RunStatusField(serializers.CharField):
    """The run's status; its own schema so it does not collide with other `status` enums."""


@extend_schema_serializer(component_name="CrmRun")
class RunSerializer(serializers.ModelSerializer):
    status = RunStatusField(read_only=True)
    percent = serializers.IntegerField(read_only=True, allow_null=True)
    connection_name = serializers.CharField(source="connection.name", read_only=True)

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "connection",
            "connection_name",
            "status",
            "trigger",
            "full",
            "created_at",
            "started_at",
            "finished_at",
            "current_object",
            "pages",
            "fetched",
            "created",
            "updated",
            "deleted",
            "failed",
            "total",
            "percent",
            "cursor",
            "error",
        ]
        read_only_fields = fields


@extend_schema_serializer(component_name="CrmRunDetail")
class RunDetailSerializer(RunSerializer):
    errors = serializers.SerializerMethodField()

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "errors"]
        read_only_fields = fields

    def get_errors(self, run: SyncRun) -> list[dict[str, Any]]:
        rows = selectors.run_errors(run)[:500]
        return SyncErrorSerializer(rows, many=True).data


TestOut = inline_serializer(
    "CrmConnectionTest", {"ok": serializers.BooleanField(), "detail": serializers.CharField()}
)
SyncIn = inline_serializer(
    "CrmSyncRequest", {"full": serializers.BooleanField(required=False, default=False)}
)
SyncOut = inline_serializer(
    "CrmSyncQueued",
    {
        "run": serializers.IntegerField(),
        "created": serializers.BooleanField(),
        "status": serializers.CharField(),
    },
)


@extend_schema_view(
    list=extend_schema(summary="CRM connections (admins)"),
    create=extend_schema(summary="Create a connection; secrets are write-only"),
)
class ConnectionViewSet(
    ExportMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsCrmAdmin]
    serializer_class = ConnectionSerializer
    filterset_fields = ["provider", "enabled"]

    def get_queryset(self):
        return selectors.connections()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return ConnectionUpdateSerializer
        return ConnectionSerializer

    def perform_create(self, serializer: ConnectionSerializer) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = _service(services.connection_create, **data)

    def perform_update(self, serializer: ConnectionSerializer) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = _service(
            services.connection_update, connection=serializer.instance, **data
        )

    @extend_schema(request=None, responses=TestOut)
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        ok, detail = services.connection_test(connection=self.get_object())
        return Response({"ok": ok, "detail": detail})

    @extend_schema(request=SyncIn, responses={202: SyncOut})
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, pk: str | None = None) -> Response:
        connection = self.get_object()
        full = bool(request.data.get("full", False)) if hasattr(request.data, "get") else False
        run, created = services.sync_request(
            connection=connection, trigger=SyncRun.Trigger.API, by=request.user, full=full
        )
        return Response(
            {"run": run.pk, "created": created, "status": run.status},
            status=status.HTTP_202_ACCEPTED,
        )


class MappingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsCrmAdmin]
    serializer_class = MappingSerializer
    filterset_fields = ["connection", "fact_kind", "enabled"]

    def get_queryset(self):
        return ObjectMapping.objects.select_related("connection").order_by(
            "connection", "order", "crm_object"
        )

    def perform_update(self, serializer: MappingSerializer) -> None:
        data = serializer.validated_data
        serializer.instance = _service(
            services.mapping_update,
            mapping=serializer.instance,
            field_map=data.get("field_map"),
            stage_map=data.get("stage_map"),
            enabled=data.get("enabled"),
            activity_kind=data.get("activity_kind"),
        )


@extend_schema_serializer(component_name="CrmUser")
class CrmUserSerializer(serializers.ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), allow_null=True
    )
    mapped_by = serializers.ChoiceField(
        choices=CrmUser.MappedBy.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = CrmUser
        fields = ["id", "connection", "external_id", "name", "email", "active", "user", "mapped_by"]
        read_only_fields = [
            "id",
            "connection",
            "external_id",
            "name",
            "email",
            "active",
            "mapped_by",
        ]


class CrmUserViewSet(
    ExportMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The CRM's users and the local person each maps to; `?unmapped=true` lists the rest."""

    permission_classes = [IsCrmAdmin]
    serializer_class = CrmUserSerializer
    filterset_fields = ["connection", "active"]

    def get_queryset(self):
        qs = CrmUser.objects.select_related("user").order_by("connection", "name")
        if self.request.query_params.get("unmapped") in ("1", "true"):
            qs = qs.filter(user__isnull=True)
        return qs

    def perform_update(self, serializer: CrmUserSerializer) -> None:
        serializer.instance = services.crm_user_map(
            crm_user=serializer.instance, user=serializer.validated_data.get("user")
        )


class RunFilter(django_filters.FilterSet):
    status = django_filters.CharFilter(help_text="queued, running, succeeded, partial, failed…")

    class Meta:
        model = SyncRun
        fields = ["connection", "status", "trigger"]


class RunViewSet(ExportMixin, viewsets.ReadOnlyModelViewSet):
    """Sync runs with progress and counts; the detail lists the per-record errors."""

    permission_classes = [IsCrmAdmin]
    filterset_class = RunFilter

    def get_queryset(self):
        return selectors.runs()

    def get_serializer_class(self):
        return RunDetailSerializer if self.action == "retrieve" else RunSerializer


def register(router: BaseRouter) -> None:
    """Add this app's viewsets to the API router."""
    router.register("crm/connections", ConnectionViewSet, basename="crm-connection")
    router.register("crm/mappings", MappingViewSet, basename="crm-mapping")
    router.register("crm/users", CrmUserViewSet, basename="crm-user")
    router.register("crm/runs", RunViewSet, basename="crm-run")


__all__ = ["Provider", "register"]
