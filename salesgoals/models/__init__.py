from .calendar import CalendarDay, CalendarType, CompanySettings, FiscalYear, Period, PeriodKind
from .dispatch import PendingTask
from .metrics import Metric
from .notifications import Notification
from .org import OrgMembership, OrgUnit, Role, User

__all__ = [
    "CalendarDay",
    "CalendarType",
    "CompanySettings",
    "FiscalYear",
    "Metric",
    "Notification",
    "OrgMembership",
    "OrgUnit",
    "PendingTask",
    "Period",
    "PeriodKind",
    "Role",
    "User",
]
