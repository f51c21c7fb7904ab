from .calendar import CalendarDay, CalendarType, CompanySettings, FiscalYear, Period, PeriodKind
from .metrics import Metric
from .notifications import Notification
from .org import OrgUnit, Role, User

__all__ = [
    "CalendarDay",
    "CalendarType",
    "CompanySettings",
    "FiscalYear",
    "Metric",
    "Notification",
    "OrgUnit",
    "Period",
    "PeriodKind",
    "Role",
    "User",
]
