"""`audit/`: the merged audit history (admins only), filtered, paged, exported as csv/xlsx."""

from __future__ import annotations

from typing import Any

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from salesgoals import scope
from salesgoals.api.base import ExportMixin

from .filters import AuditFilter, audit_filter
from .selectors import describe, describe_all, entry_rows

#: Exports hold every matching entry up to this many (newest first).
EXPORT_MAX = 100_000


class IsAuditor(permissions.IsAuthenticated):
    """The audit history shows every area's changes: admins only."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return super().has_permission(request, view) and scope.is_admin(request.user)


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField()
    new = serializers.CharField()


class EntrySerializer(serializers.Serializer):
    date = serializers.DateTimeField()
    model = serializers.CharField(help_text="app_label.modelname")
    model_label = serializers.CharField()
    object_id = serializers.IntegerField()
    object = serializers.CharField()
    action = serializers.CharField(help_text="+ created, ~ changed, - deleted")
    action_label = serializers.CharField()
    user_id = serializers.IntegerField(allow_null=True)
    user = serializers.CharField()
    reason = serializers.CharField()
    history_id = serializers.IntegerField()
    changes = ChangeSerializer(many=True)


class EntryExportSerializer(serializers.Serializer):
    """One flat row per entry for csv/xlsx: the changes as "field: old → new; …"."""

    date = serializers.DateTimeField()
    user = serializers.CharField()
    model = serializers.CharField(source="model_label")
    object_id = serializers.IntegerField()
    object = serializers.CharField()
    action = serializers.CharField(source="action_label")
    reason = serializers.CharField()
    changes = serializers.CharField(source="changes_text")


class AuditViewSet(ExportMixin, viewsets.GenericViewSet):
    """Every change to targets, revisions, payouts, CRM settings and the org, newest first.

    Filters: `model` (app_label.modelname), `area`, `object_id`, `user`, `action` (+ ~ -, or
    created/changed/deleted; repeat or comma-separate), `date_from`, `date_to`, `reason`.
    """

    permission_classes = [IsAuditor]
    serializer_class = EntrySerializer
    filterset_class = AuditFilter
    filter_backends = [DjangoFilterBackend]  # documents the filters; applied per table below

    def get_queryset(self):
        filterset = audit_filter(self.request.query_params, self.request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return entry_rows(filterset)

    def filter_queryset(self, queryset):
        return queryset  # the filters went into every branch of the union

    @extend_schema(responses=EntrySerializer(many=True))
    def list(self, request: Request) -> Response:
        rows = self.get_queryset()
        page = self.paginate_queryset(rows)
        if page is not None:
            return self.get_paginated_response(EntrySerializer(describe(page), many=True).data)
        entries = describe_all(rows, limit=EXPORT_MAX)
        return Response(EntryExportSerializer(entries, many=True).data)


def register(router: BaseRouter) -> None:
    router.register("audit", AuditViewSet, basename="audit")
