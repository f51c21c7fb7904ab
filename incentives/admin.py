"""Django admin for incentives (read mostly; writes belong to the pages and services)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from incentives.models import BadgeAward, Contest, IncentivePlan, Statement, StatementLine


@admin.register(IncentivePlan)
class IncentivePlanAdmin(SimpleHistoryAdmin):
    list_display = ("name", "version", "is_current", "role", "org_unit", "period_kind", "is_active")
    list_filter = ("is_current", "role", "period_kind", "is_active")
    readonly_fields = ("family", "version", "is_current", "components")


class StatementLineInline(admin.TabularInline):
    model = StatementLine
    fk_name = "statement"
    extra = 0
    can_delete = False
    readonly_fields = ("position", "kind", "label", "inputs", "formula", "amount_minor", "adjusts")


@admin.register(Statement)
class StatementAdmin(SimpleHistoryAdmin):
    list_display = ("person", "period", "plan", "status", "total_minor")
    list_filter = ("status",)
    readonly_fields = ("person", "period", "plan", "total_minor", "computed_at")
    inlines = [StatementLineInline]


@admin.register(BadgeAward)
class BadgeAwardAdmin(SimpleHistoryAdmin):
    list_display = ("badge", "person", "source", "period", "awarded_at")
    list_filter = ("source",)


@admin.register(Contest)
class ContestAdmin(SimpleHistoryAdmin):
    list_display = ("name", "metric", "period", "status", "winners")
