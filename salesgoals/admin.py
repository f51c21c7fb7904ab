from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import (
    CalendarDay,
    CompanySettings,
    FiscalYear,
    Metric,
    Notification,
    OrgMembership,
    OrgUnit,
    PendingTask,
    Period,
    User,
)
from .security import user_sign_out_everywhere


class OrgMembershipInline(admin.TabularInline):
    model = OrgMembership
    extra = 0
    fields = ["org_unit", "valid_from", "valid_to"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class SalesUserAdmin(UserAdmin, SimpleHistoryAdmin):
    inlines = [OrgMembershipInline]
    list_display = ["username", "display_name", "role", "org_unit", "hire_date", "is_active"]
    list_filter = ["role", "is_active", "org_unit"]
    search_fields = ["username", "display_name", "email", "first_name", "last_name"]
    list_select_related = ["org_unit"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (
            _("Sales organisation"),
            {
                "fields": [
                    "role",
                    "display_name",
                    "org_unit",
                    "hire_date",
                    "leave_date",
                    "zoho_user_id",
                    "fxiaoke_user_id",
                    "language",
                    "email_notifications",
                ]
            },
        ),
    ]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            user_sign_out_everywhere(user_id=obj.pk)


@admin.register(OrgUnit)
class OrgUnitAdmin(TreeAdmin, SimpleHistoryAdmin):
    form = movenodeform_factory(OrgUnit)
    list_display = ["name", "kind", "code", "manager", "is_active"]
    list_select_related = ["manager"]
    search_fields = ["name", "code"]


@admin.register(CompanySettings)
class CompanySettingsAdmin(SimpleHistoryAdmin):
    list_display = ["company_name", "fiscal_year_start_month", "calendar_type", "holiday_region"]

    def has_add_permission(self, request) -> bool:
        return not CompanySettings.objects.exists()


class PeriodInline(admin.TabularInline):
    model = Period
    extra = 0
    fields = ["kind", "number", "label", "start", "end", "working_days"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(FiscalYear)
class FiscalYearAdmin(SimpleHistoryAdmin):
    list_display = ["year", "start", "end", "calendar_type", "is_provisional"]


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["label", "kind", "start", "end", "working_days", "fiscal_year"]
    list_filter = ["fiscal_year", "kind"]
    list_select_related = ["fiscal_year"]
    readonly_fields = ["fiscal_year", "kind", "parent", "number", "start", "end", "working_days"]


@admin.register(CalendarDay)
class CalendarDayAdmin(SimpleHistoryAdmin):
    list_display = ["date", "kind", "note"]
    list_filter = ["kind"]


@admin.register(Metric)
class MetricAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "name_zh", "unit", "aggregation", "direction", "is_active"]
    list_filter = ["unit", "aggregation", "is_active"]
    search_fields = ["code", "name", "name_zh"]

    def get_readonly_fields(self, request, obj=None):
        return ["code", "is_system"] if obj and obj.is_system else ["is_system"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "level", "created_at", "read_at", "emailed_at"]
    list_filter = ["level"]
    list_select_related = ["recipient"]
    search_fields = ["title", "recipient__username"]


@admin.register(PendingTask)
class PendingTaskAdmin(admin.ModelAdmin):
    """Tasks the broker has not taken yet (the relay sends them every minute)."""

    list_display = ["task", "created_at", "attempts", "last_error"]
    search_fields = ["task"]
    readonly_fields = ["task", "args", "kwargs", "created_at", "attempts", "last_error"]
