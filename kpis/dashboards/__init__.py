"""Dashboards: the executive, manager and rep views of the KPI cells, with plotly figures.

`dashboard_select` checks access and resolves the choices of a request (period, unit, rep,
metric); `executive_dashboard`, `manager_dashboard` and `rep_dashboard` build the data. The
API (`kpis.api_dashboards`) returns it as JSON, the pages (`kpis.views_dashboards`) render it.
"""

from .boards import executive_dashboard, manager_dashboard, rep_dashboard
from .selection import BOARDS, DashboardError, Selection, dashboard_select

BUILDERS = {
    "executive": executive_dashboard,
    "manager": manager_dashboard,
    "rep": rep_dashboard,
}

__all__ = [
    "BOARDS",
    "BUILDERS",
    "DashboardError",
    "Selection",
    "dashboard_select",
    "executive_dashboard",
    "manager_dashboard",
    "rep_dashboard",
]
