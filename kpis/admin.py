"""Admin for the kpis tables: for looking things up. Facts are written through the pages, the
API, CRM sync and imports (`kpis.services`), so fact admins are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from salesgoals import money

from .models import (
    Activity,
    Customer,
    Deal,
    DealShare,
    DirtyKey,
    KpiGrain,
    KpiTarget,
    KpiValue,
    Lead,
    Order,
    Payment,
)

FACT_FILTERS = ("source", ("deleted_at", admin.EmptyFieldListFilter), "org_unit")
FACT_SEARCH = ("external_id", "owner__username", "owner__display_name")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows rows without letting anyone bypass the services (dirty keys, shares, scope)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MoneyColumns:
    @admin.display(description=_("amount"), ordering="amount_minor")
    def amount(self, obj: Any) -> str:
        return money.format_money(obj.amount_minor)


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ("name", "owner", "org_unit", "industry", "city", "created_date", "source")
    list_filter = (*FACT_FILTERS, "industry")
    search_fields = ("name", "city", *FACT_SEARCH)
    list_select_related = ("owner", "org_unit")
    date_hierarchy = "created_date"


@admin.register(Lead)
class LeadAdmin(ReadOnlyAdmin):
    list_display = ("name", "company", "status", "owner", "org_unit", "created_date", "source")
    list_filter = ("status", *FACT_FILTERS)
    search_fields = ("name", "company", *FACT_SEARCH)
    list_select_related = ("owner", "org_unit")
    date_hierarchy = "created_date"


class DealShareInline(admin.TabularInline):
    model = DealShare
    fields = ("user", "org_unit", "share_bp")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Deal)
class DealAdmin(MoneyColumns, ReadOnlyAdmin):
    list_display = (
        "name",
        "customer",
        "amount",
        "currency",
        "status",
        "probability",
        "close_date",
        "owner",
        "org_unit",
        "source",
    )
    list_filter = ("status", *FACT_FILTERS, "currency")
    search_fields = ("name", "customer__name", *FACT_SEARCH)
    list_select_related = ("owner", "org_unit", "customer")
    date_hierarchy = "close_date"
    inlines = [DealShareInline]


@admin.register(DealShare)
class DealShareAdmin(ReadOnlyAdmin):
    list_display = ("deal", "user", "org_unit", "share_bp")
    list_filter = ("org_unit",)
    search_fields = ("deal__name", "user__username", "user__display_name")
    list_select_related = ("deal", "user", "org_unit")


@admin.register(Order)
class OrderAdmin(MoneyColumns, ReadOnlyAdmin):
    list_display = ("__str__", "order_date", "customer", "deal", "amount", "owner", "org_unit")
    list_filter = (*FACT_FILTERS, "currency")
    search_fields = ("number", "customer__name", "deal__name", *FACT_SEARCH)
    list_select_related = ("owner", "org_unit", "customer", "deal")
    date_hierarchy = "order_date"


@admin.register(Payment)
class PaymentAdmin(MoneyColumns, ReadOnlyAdmin):
    list_display = ("__str__", "payment_date", "customer", "order", "amount", "owner", "org_unit")
    list_filter = (*FACT_FILTERS, "currency")
    search_fields = ("reference", "customer__name", *FACT_SEARCH)
    list_select_related = ("owner", "org_unit", "customer", "order")
    date_hierarchy = "payment_date"


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("subject", "kind", "activity_date", "customer", "owner", "org_unit", "source")
    list_filter = ("kind", *FACT_FILTERS)
    search_fields = ("subject", "customer__name", *FACT_SEARCH)
    list_select_related = ("owner", "org_unit", "customer")
    date_hierarchy = "activity_date"


@admin.register(DirtyKey)
class DirtyKeyAdmin(ReadOnlyAdmin):
    list_display = ("fact", "user_id", "org_unit_id", "day", "created_at")
    list_filter = ("fact",)
    date_hierarchy = "day"


@admin.register(KpiTarget)
class KpiTargetAdmin(ReadOnlyAdmin):
    list_display = ("metric", "owner_type", "owner_id", "period", "value", "updated_at")
    list_filter = ("metric", "owner_type", "period__kind")
    search_fields = ("source_ref",)
    list_select_related = ("metric", "period")


@admin.register(KpiGrain)
class KpiGrainAdmin(ReadOnlyAdmin):
    list_display = ("metric", "user_id", "org_unit_id", "week", "numerator", "denominator")
    list_filter = ("metric",)
    list_select_related = ("metric", "week")


@admin.register(KpiValue)
class KpiValueAdmin(ReadOnlyAdmin):
    list_display = (
        "metric",
        "owner_type",
        "owner_id",
        "period",
        "actual",
        "target",
        "attainment_bp",
        "pace_bp",
        "status",
        "computed_at",
    )
    list_filter = ("metric", "owner_type", "status", "period__kind")
    list_select_related = ("metric", "period")
