"""kpis/: rolled-up KPI cells (read-only), scoped by `kpis.selectors.kpi`.

Figures are decimal strings in the metric's unit: currency in the base currency ("1234.56"),
counts as counts (a deal shared 50/50 counts "0.50" for each rep), rates, attainment, pace and
coverage as percentages ("95.25"). Lists are one query per page; exports (`?format=csv|xlsx`)
contain every cell in scope.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets

from kpis.models import KpiValue, OwnerType
from kpis.rollup import SCALE
from kpis.selectors import kpi as selectors
from salesgoals import fiscal
from salesgoals.api.base import ExportMixin, IdFilter
from salesgoals.api.calendar import PeriodKindField, _inline_enum
from salesgoals.api.schema import DECIMAL_STRING
from salesgoals.models import Metric, PeriodKind

_CENT = Decimal("0.01")

# How numerator and denominator are scaled, per metric: value ÷ divisor is in the unit named.
_MONEY_SCALED = 100 * SCALE  # minor units · 10000 → base currency
_COUNT_SCALED = SCALE  # count · 10000 → count
_PARTS: dict[str, tuple[int, int | None]] = {
    "revenue": (_MONEY_SCALED, None),
    "orders": (_MONEY_SCALED, None),
    "payments": (_MONEY_SCALED, None),
    "pipeline_created": (_MONEY_SCALED, None),
    "deals_won": (_COUNT_SCALED, None),
    "new_customers": (_COUNT_SCALED, None),
    "activities": (_COUNT_SCALED, None),
    "conversion_rate": (_COUNT_SCALED, _COUNT_SCALED),
    "avg_deal_size": (_MONEY_SCALED, _COUNT_SCALED),
    "retention_rate": (1, 1),
}


def _dec(value: int | None, divisor: int) -> str | None:
    if value is None:
        return None
    return str((Decimal(value) / divisor).quantize(_CENT, rounding=ROUND_HALF_UP))


def _parts(metric: Metric) -> tuple[int, int | None]:
    if metric.code in _PARTS:
        return _PARTS[metric.code]
    if metric.unit == Metric.Unit.CURRENCY:
        return (_MONEY_SCALED, None if metric.is_additive else _COUNT_SCALED)
    return (_COUNT_SCALED, None if metric.is_additive else _COUNT_SCALED)


def _unit_divisor(metric: Metric) -> int:
    """Divisor from the stored target/actual unit to the shown unit."""
    if metric.unit == Metric.Unit.CURRENCY:
        return 100  # minor units
    if metric.unit == Metric.Unit.PERCENT:
        return 100  # basis points → percent
    return 1


@extend_schema_field(DECIMAL_STRING)
class _Figure(serializers.Field):
    """A cell figure rendered as a decimal string (or null), computed from the whole cell."""

    def __init__(self, compute: Any, **kwargs: Any) -> None:
        self.compute = compute
        kwargs.update(source="*", read_only=True, allow_null=True)
        super().__init__(**kwargs)

    def to_representation(self, value: KpiValue) -> str | None:
        return self.compute(value)


def _actual(cell: KpiValue) -> str | None:
    metric = cell.metric
    if metric.unit == Metric.Unit.COUNT and metric.is_additive:
        return _dec(cell.numerator, SCALE)  # shared deals count fractionally
    return _dec(cell.actual, _unit_divisor(metric))


def _target_like(name: str) -> Any:
    def compute(cell: KpiValue) -> str | None:
        return _dec(getattr(cell, name), _unit_divisor(cell.metric))

    return compute


def _bp(name: str) -> Any:
    def compute(cell: KpiValue) -> str | None:
        return _dec(getattr(cell, name), 100)

    return compute


def _numerator(cell: KpiValue) -> str | None:
    return _dec(cell.numerator, _parts(cell.metric)[0])


def _denominator(cell: KpiValue) -> str | None:
    divisor = _parts(cell.metric)[1]
    return None if divisor is None else _dec(cell.denominator, divisor)


def _open_pipeline(cell: KpiValue) -> str | None:
    return _dec(cell.open_pipeline, _parts(cell.metric)[0]) if cell.open_pipeline else None


def _forecast(cell: KpiValue) -> str | None:
    return _dec(cell.forecast, _unit_divisor(cell.metric))


@extend_schema_field(_inline_enum(OwnerType.choices), component_name="KpiOwnerTypeEnum")
class OwnerTypeField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=OwnerType.choices, **kwargs)


@extend_schema_field(_inline_enum(KpiValue.Status.choices), component_name="KpiStatusEnum")
class StatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=KpiValue.Status.choices, **kwargs)


class KpiPeriodSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = PeriodKindField(read_only=True)
    label = serializers.SerializerMethodField(help_text="The label in the request's language.")
    start = serializers.DateField(read_only=True)
    end = serializers.DateField(read_only=True)

    def get_label(self, obj: Any) -> str:
        return fiscal.display_label(obj.kind, obj.number, obj.start, obj.end, obj.fiscal_year)


class KpiValueSerializer(serializers.ModelSerializer):
    metric = serializers.CharField(source="metric.code", read_only=True)
    metric_name = serializers.CharField(source="metric.localized_name", read_only=True)
    unit = serializers.CharField(source="metric.unit", read_only=True)
    owner_type = OwnerTypeField(read_only=True)
    owner_name = serializers.CharField(read_only=True, allow_null=True)
    period = KpiPeriodSerializer(read_only=True)
    actual = _Figure(_actual, help_text="In the metric's unit (currency, count, or percent).")
    numerator = _Figure(_numerator, help_text="Σ numerator (money or count).")
    denominator = _Figure(_denominator, help_text="Σ denominator; null for sums.")
    target = _Figure(_target_like("target"))
    attainment = _Figure(_bp("attainment_bp"), help_text="Actual ÷ target, in percent.")
    expected_to_date = _Figure(_target_like("expected_to_date"))
    pace = _Figure(_bp("pace_bp"), help_text="Actual ÷ expected-to-date, in percent.")
    status = StatusField(read_only=True)
    required_rate = _Figure(
        _target_like("required_rate"), help_text="Still needed per working day left."
    )
    forecast = _Figure(_forecast)
    open_pipeline = _Figure(_open_pipeline, help_text="Open deals closing in the period.")
    pipeline_coverage = _Figure(
        _bp("pipeline_coverage_bp"), help_text="Open pipeline ÷ remaining target, in percent."
    )

    class Meta:
        model = KpiValue
        fields = [
            "id",
            "metric",
            "metric_name",
            "unit",
            "owner_type",
            "owner_id",
            "owner_name",
            "period",
            "actual",
            "numerator",
            "denominator",
            "target",
            "attainment",
            "expected_to_date",
            "pace",
            "status",
            "required_rate",
            "forecast",
            "open_pipeline",
            "pipeline_coverage",
            "computed_at",
        ]
        read_only_fields = fields


class KpiValueFilter(filters.FilterSet):
    metric = filters.CharFilter(field_name="metric__code", help_text="Metric code.")
    period = IdFilter(field_name="period_id")
    period_kind = filters.ChoiceFilter(field_name="period__kind", choices=PeriodKind.choices)
    owner_type = filters.ChoiceFilter(choices=OwnerType.choices)
    owner = IdFilter(field_name="owner_id", help_text="A rep's or unit's id.")
    org_unit = IdFilter(
        method="filter_org_unit", help_text="Cells of this unit's subtree (units and reps)."
    )

    class Meta:
        model = KpiValue
        fields = ["metric", "period", "period_kind", "owner_type", "owner", "org_unit"]

    def filter_org_unit(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return selectors.kpi_values_in_unit(queryset, int(value))


@extend_schema_view(
    list=extend_schema(
        summary="KPI values in your scope",
        description="Add `?format=csv` or `?format=xlsx` to export every row in scope.",
    ),
    retrieve=extend_schema(summary="One KPI value (403 outside your scope)"),
)
class KpiValueViewSet(
    ExportMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = KpiValueSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = KpiValueFilter

    def get_queryset(self) -> QuerySet[KpiValue]:
        return selectors.kpi_values_for_user(user=self.request.user).select_related(
            "period__fiscal_year"
        )

    def get_object(self) -> KpiValue:
        return selectors.kpi_value_get_for_user(user=self.request.user, pk=self.kwargs["pk"])


def register(router: Any) -> None:
    router.register("kpis", KpiValueViewSet, basename="kpi-value")
