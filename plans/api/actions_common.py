"""Pieces shared by the strategies/, action-plans/ and tasks/ endpoints: enum fields, the
service call that turns errors into structured 400s and 403s, and the writable list base."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied
from rest_framework.request import Request

from plans.models import PlanStatus, Strategy, Task
from salesgoals.api.base import ExportMixin, bad_request
from salesgoals.api.calendar import _inline_enum
from salesgoals.api.pagination import StandardPagination


@extend_schema_field(_inline_enum(PlanStatus.choices), component_name="PlanStatusEnum")
class PlanStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=PlanStatus.choices, **kwargs)


@extend_schema_field(_inline_enum(Strategy.Kind.choices), component_name="StrategyKindEnum")
class StrategyKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Strategy.Kind.choices, **kwargs)


@extend_schema_field(_inline_enum(Task.Status.choices), component_name="TaskStatusEnum")
class TaskStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Task.Status.choices, **kwargs)


def flag(request: Request, name: str) -> bool:
    return request.query_params.get(name) in ("1", "true", "yes")


def run(fn, **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except DjangoValidationError as error:
        raise bad_request(error) from error
    except PermissionDenied as error:
        raise DRFPermissionDenied(str(error) or None) from error


def current_values(item: Any, names: list[str]) -> dict[str, Any]:
    values = {}
    for name in names:
        field = item._meta.get_field(name)
        values[name] = getattr(item, field.attname)
    return values


class WritableViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = StandardPagination
    filter_backends: list[Any] = []

    def _validated(self, serializer_class, partial: bool = False) -> dict[str, Any]:
        data = serializer_class(data=self.request.data, partial=partial)
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)
