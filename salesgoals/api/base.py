"""Shared pieces of the API: scope-aware permissions and export-friendly lists."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django_filters import rest_framework as filters
from rest_framework import permissions, serializers
from rest_framework.exceptions import ValidationError

from salesgoals import scope


class ScopedObjectPermission(permissions.IsAuthenticated):
    """Reads need `scope.can_view`, writes need `scope.can_edit` (403 outside scope)."""

    def has_object_permission(self, request, view, obj: Any) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return scope.can_view(request.user, obj)
        return scope.can_edit(request.user, obj)


class ExportMixin:
    """Exports (`?format=csv|xlsx`) contain every row in scope, not one page."""

    def paginate_queryset(self, queryset):
        if getattr(self.request, "accepted_renderer", None) is not None and (
            self.request.accepted_renderer.format in ("csv", "xlsx")
        ):
            return None
        return super().paginate_queryset(queryset)


def bad_request(error: DjangoValidationError) -> ValidationError:
    """A service's `ValidationError` as the API's structured 400: `{"field": [...]}` or
    `{"detail": [...]}`."""
    if hasattr(error, "error_dict"):
        return ValidationError(error.message_dict)
    return ValidationError({"detail": error.messages})


class IdFilter(filters.NumberFilter):
    """An id filter: a whole number in the database's integer range, else a 400 (a fraction
    or a huge number would otherwise reach the query and fail there)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", -(2**63))
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's, with a value holding a NUL character "not found" before any query (a text
    column cannot hold NUL; PostgreSQL fails the lookup instead of matching nothing)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", ""))
        return super().to_internal_value(data)
