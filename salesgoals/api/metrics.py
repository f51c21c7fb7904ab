"""metrics/: the metric catalog (read for everyone, written by admins)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from rest_framework import permissions, serializers, viewsets

from salesgoals import scope
from salesgoals.models import Metric

from .base import ExportMixin


class MetricSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="localized_name", read_only=True)
    name_en = serializers.CharField(source="name")

    class Meta:
        model = Metric
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "name_zh",
            "description",
            "unit",
            "aggregation",
            "direction",
            "fact",
            "date_field",
            "filters",
            "is_system",
            "is_active",
        ]
        read_only_fields = ["is_system"]


class IsAdminOrReadOnly(permissions.IsAuthenticated):
    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.method in permissions.SAFE_METHODS or scope.is_admin(request.user)


class MetricFilter(filters.FilterSet):
    class Meta:
        model = Metric
        fields = ["code", "unit", "aggregation", "direction", "is_active"]


class MetricViewSet(ExportMixin, viewsets.ModelViewSet):
    queryset = Metric.objects.all()
    serializer_class = MetricSerializer
    permission_classes = [IsAdminOrReadOnly]
    filterset_class = MetricFilter
    lookup_field = "code"

    def perform_destroy(self, instance: Metric) -> None:
        if instance.is_system:
            raise serializers.ValidationError({"detail": _("Built-in metrics cannot be deleted.")})
        instance.delete()


def register(router) -> None:
    router.register("metrics", MetricViewSet, basename="metric")
