"""Serializer fields shared by the incentives API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incentives.models import BadgeAward, Statement, StatementLine
from salesgoals.api.calendar import _inline_enum
from salesgoals.api.schema import DECIMAL_STRING
from salesgoals.money import from_minor


@extend_schema_field(DECIMAL_STRING)
class MinorUnitsField(serializers.Field):
    """Integer minor units rendered as a decimal string: 123456 → "1234.56"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: int) -> str:
        return str(from_minor(value))


@extend_schema_field(_inline_enum(Statement.Status.choices), component_name="StatementStatusEnum")
class StatementStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Statement.Status.choices, **kwargs)


@extend_schema_field(
    _inline_enum(StatementLine.Kind.choices), component_name="StatementLineKindEnum"
)
class LineKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=StatementLine.Kind.choices, **kwargs)


@extend_schema_field(_inline_enum(BadgeAward.Source.choices), component_name="BadgeSourceEnum")
class BadgeSourceField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=BadgeAward.Source.choices, **kwargs)
