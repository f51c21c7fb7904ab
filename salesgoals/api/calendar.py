"""fiscal-years/, periods/ and calendar-days/ (company working-day overrides)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from salesgoals import fiscal, scope, services
from salesgoals.models import CalendarDay, FiscalYear, Period, PeriodKind

from .base import ExportMixin, IdFilter


class AdminWritesOrReadOnly(permissions.IsAuthenticated):
    """Every signed-in user reads the calendar; only admins change it."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        return request.method in permissions.SAFE_METHODS or scope.is_admin(request.user)


def _inline_enum(choices: list[tuple[str, Any]]) -> dict[str, Any]:
    return {
        "type": "string",
        "enum": [value for value, _label in choices],
        "description": "\n".join(f"* `{value}` - {label}" for value, label in choices),
    }


# Inline enums: several resources have a "kind" field, and named enum components would collide.
@extend_schema_field(_inline_enum(PeriodKind.choices), component_name="PeriodKindEnum")
class PeriodKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=PeriodKind.choices, **kwargs)


@extend_schema_field(_inline_enum(CalendarDay.Kind.choices), component_name="CalendarDayKindEnum")
class CalendarDayKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=CalendarDay.Kind.choices, **kwargs)


def _as_drf_error(error: services.CalendarError, field: str) -> serializers.ValidationError:
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(error.message_dict)
    return serializers.ValidationError({field: error.messages})


# --- fiscal years ----------------------------------------------------------------------------


class FiscalYearSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()

    class Meta:
        model = FiscalYear
        fields = [
            "id",
            "year",
            "label",
            "start",
            "end",
            "calendar_type",
            "start_month",
            "week_start",
            "holiday_region",
            "is_provisional",
        ]
        read_only_fields = fields

    def get_label(self, obj: FiscalYear) -> str:
        return fiscal.fiscal_year_label(obj.year, obj.start_month)


class FiscalYearCreateSerializer(serializers.Serializer):
    year = serializers.IntegerField(
        min_value=1900,
        max_value=2200,
        help_text="Calendar year in which the fiscal year starts; periods are generated "
        "from the current company calendar settings.",
    )


class FiscalYearFilter(filters.FilterSet):
    class Meta:
        model = FiscalYear
        fields = ["year", "is_provisional"]


@extend_schema_view(
    create=extend_schema(
        request=FiscalYearCreateSerializer,
        responses={201: FiscalYearSerializer},
        description="Generate a fiscal year with all its periods (admins only).",
    )
)
class FiscalYearViewSet(
    ExportMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = FiscalYear.objects.all()
    serializer_class = FiscalYearSerializer
    permission_classes = [AdminWritesOrReadOnly]
    filterset_class = FiscalYearFilter

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = FiscalYearCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            fiscal_year = services.fiscal_year_generate(year=data.validated_data["year"])
        except services.CalendarError as error:
            raise _as_drf_error(error, "year") from error
        return Response(FiscalYearSerializer(fiscal_year).data, status=status.HTTP_201_CREATED)


# --- periods ---------------------------------------------------------------------------------


class PeriodSerializer(serializers.ModelSerializer):
    fiscal_year = serializers.IntegerField(source="fiscal_year.year", read_only=True)
    kind = PeriodKindField(read_only=True)
    display_label = serializers.SerializerMethodField(
        help_text="The label in the request's language."
    )

    class Meta:
        model = Period
        fields = [
            "id",
            "fiscal_year",
            "kind",
            "number",
            "start",
            "end",
            "parent",
            "label",
            "display_label",
            "working_days",
        ]
        read_only_fields = fields

    def get_display_label(self, obj: Period) -> str:
        return fiscal.display_label(obj.kind, obj.number, obj.start, obj.end, obj.fiscal_year)


class PeriodFilter(filters.FilterSet):
    fiscal_year = filters.NumberFilter(
        field_name="fiscal_year__year", help_text="Fiscal year (the year number, e.g. 2026)."
    )
    kind = filters.ChoiceFilter(choices=PeriodKind.choices)
    parent = IdFilter(field_name="parent_id", help_text="Id of the parent period.")
    contains = filters.DateFilter(
        method="filter_contains", help_text="Only periods that contain this date."
    )

    class Meta:
        model = Period
        fields = ["fiscal_year", "kind", "parent", "contains"]

    def filter_contains(self, queryset: QuerySet[Period], name: str, value) -> QuerySet[Period]:
        return queryset.filter(start__lte=value, end__gte=value)


class PeriodViewSet(ExportMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = PeriodSerializer
    filterset_class = PeriodFilter

    def get_queryset(self) -> QuerySet[Period]:
        # Longest first among periods starting on the same day: year, quarter, month, week.
        return Period.objects.select_related("fiscal_year").order_by("start", "-end", "id")


# --- company overrides -----------------------------------------------------------------------


class CalendarDaySerializer(serializers.ModelSerializer):
    kind = CalendarDayKindField()

    class Meta:
        model = CalendarDay
        fields = ["id", "date", "kind", "note"]
        # The service upserts by date; the model's unique check would refuse that first.
        extra_kwargs = {"date": {"validators": []}}


class CalendarDayFilter(filters.FilterSet):
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte")
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = CalendarDay
        fields = ["kind", "date_from", "date_to"]


class CalendarDayViewSet(ExportMixin, viewsets.ModelViewSet):
    """Company closed days and extra working days on top of the official calendar."""

    queryset = CalendarDay.objects.all()
    serializer_class = CalendarDaySerializer
    permission_classes = [AdminWritesOrReadOnly]
    filterset_class = CalendarDayFilter

    def perform_create(self, serializer: CalendarDaySerializer) -> None:
        data = serializer.validated_data
        try:
            serializer.instance = services.calendar_day_set(
                date=data["date"], kind=data["kind"], note=data.get("note", "")
            )
        except services.CalendarError as error:
            raise _as_drf_error(error, "date") from error

    def perform_update(self, serializer: CalendarDaySerializer) -> None:
        old: CalendarDay = serializer.instance
        data = {"date": old.date, "kind": old.kind, "note": old.note, **serializer.validated_data}
        try:
            if data["date"] != old.date:
                services.calendar_day_remove(date=old.date)
            serializer.instance = services.calendar_day_set(
                date=data["date"], kind=data["kind"], note=data["note"]
            )
        except services.CalendarError as error:
            raise _as_drf_error(error, "date") from error

    def perform_destroy(self, instance: CalendarDay) -> None:
        services.calendar_day_remove(date=instance.date)


def register(router) -> None:
    router.register("fiscal-years", FiscalYearViewSet, basename="fiscal-year")
    router.register("periods", PeriodViewSet, basename="period")
    router.register("calendar-days", CalendarDayViewSet, basename="calendar-day")
