"""dashboards/{executive,manager,rep}/: the data behind each dashboard, figures as plotly JSON.

Thin views: query parameters → `kpis.dashboards.dashboard_select` (access and choices) →
the board's builder. Figures are decimal strings in the metric's unit (currency in the base
currency, counts, percentages), each with a `display` text and a `drill_url` to the page that
lists the facts behind it. Outside one's scope is 403, an unknown period/unit/rep 404, a
malformed parameter 400.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from kpis.dashboards import BUILDERS, DashboardError, dashboard_select
from kpis.dashboards.boards import DrillPageLinks
from kpis.dashboards.drill import drill_cell
from kpis.models import OwnerType
from salesgoals.models import PeriodKind

COMMON = """Query: `period` (id; default: the `period_kind` period containing today, month if not
given), `metric` (code of the metric the charts focus on; default revenue).

Response: `period`, `previous_period`, `next_period`, `org_unit`, `rep`, `metric`, `metrics`,
`currency`, `notices` (empty states: `no_fiscal_year`, `no_unit`, `no_targets`, `no_facts`)
and `figures` (plotly JSON: `data` + `layout`). A KPI cell has `actual`, `target`,
`attainment`, `expected_to_date`, `pace`, `status` (on_track / at_risk / behind / no_target),
`required_rate` (per working day left), `forecast`, `pipeline_coverage` as decimal strings,
`display` (the same as text) and `drill_url`."""


class DashboardQuery(serializers.Serializer):
    period = serializers.IntegerField(required=False, min_value=1, help_text="Period id.")
    period_kind = serializers.ChoiceField(
        choices=PeriodKind.choices, required=False, help_text="Default period kind (month)."
    )
    metric = serializers.SlugField(required=False, help_text="Metric code for the charts.")


class UnitQuery(DashboardQuery):
    org_unit = serializers.IntegerField(
        required=False, min_value=1, help_text="Org unit (default: yours or the company)."
    )


class RepQuery(DashboardQuery):
    rep = serializers.IntegerField(
        required=False, min_value=1, help_text="A rep in your scope (default: yourself)."
    )


class _Dashboard(viewsets.ViewSet):
    board = ""
    query_class: type[serializers.Serializer] = DashboardQuery
    permission_classes = [permissions.IsAuthenticated]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]

    def _build(self, request: Request) -> dict[str, Any]:
        query = self.query_class(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            selection = dashboard_select(
                user=request.user, board=self.board, **query.validated_data
            )
        except DashboardError as error:
            raise ValidationError(error.message_dict) from error
        return BUILDERS[self.board](selection)


_ERRORS = {400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT}


class ExecutiveDashboardViewSet(_Dashboard):
    board = "executive"
    query_class = UnitQuery

    @extend_schema(
        summary="Executive dashboard (executives and admins)",
        description=(
            "Attainment per metric of `org_unit` (default: the company), cumulative actual vs "
            "target by week for the fiscal year, breakdown by child unit (`breakdown`), top "
            "and bottom reps (`performers`), the lead → deal → won `funnel` and retention by "
            "month.\n\n" + COMMON
        ),
        parameters=[UnitQuery],
        responses={200: OpenApiTypes.OBJECT, **_ERRORS},
    )
    def list(self, request: Request) -> Response:
        return Response(self._build(request))


class ManagerDashboardViewSet(_Dashboard):
    board = "manager"
    query_class = UnitQuery

    @extend_schema(
        summary="Manager dashboard: reps by metrics, coloured by pace",
        description=(
            "For managers (a unit of their subtree, default the unit they manage) and "
            "executives/admins. `unit_row`: the unit's cells; `reps`: each rep with one cell "
            "per metric; figure `pace`.\n\n" + COMMON
        ),
        parameters=[UnitQuery],
        responses={200: OpenApiTypes.OBJECT, **_ERRORS},
    )
    def list(self, request: Request) -> Response:
        return Response(self._build(request))


class RepDashboardViewSet(_Dashboard):
    board = "rep"
    query_class = RepQuery

    @extend_schema(
        summary="Rep dashboard: my numbers by week, month, quarter and year",
        description=(
            "Your own numbers, or those of a rep in your scope (`rep`). `columns`: the week, "
            "month, quarter and year around the chosen period; `rows`: one per metric with a "
            "cell per column; `focus`: the chosen metric in the chosen period; figures "
            "`attainment` and `weekly`.\n\n" + COMMON
        ),
        parameters=[RepQuery],
        responses={200: OpenApiTypes.OBJECT, **_ERRORS},
    )
    def list(self, request: Request) -> Response:
        return Response(self._build(request))


class DrillQuery(serializers.Serializer):
    metric = serializers.SlugField(help_text="Metric code.")
    owner_type = serializers.ChoiceField(choices=OwnerType.choices, help_text="rep or unit.")
    owner = serializers.IntegerField(min_value=1, help_text="The rep's or unit's id.")
    period = serializers.IntegerField(min_value=1, help_text="Period id.")
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=500)


class DrillViewSet(viewsets.ViewSet):
    permission_classes = [permissions.IsAuthenticated]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]

    @extend_schema(
        summary="The facts behind one KPI cell (drill-down)",
        description=(
            "`metric`, `owner_type` (rep/unit), `owner` and `period` name the cell. Deal metrics "
            "list one row per credit share (`share`, `credited`), other metrics the facts; "
            "amounts are decimal strings in the base currency with `display` texts. `cell` is "
            "the KPI cell itself. Paged by `page` and `page_size` (up to 500). 403 when the "
            "owner is outside your scope; rows you may not see are left out."
        ),
        parameters=[DrillQuery],
        responses={200: OpenApiTypes.OBJECT, **_ERRORS},
    )
    def list(self, request: Request) -> Response:
        query = DrillQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = dict(query.validated_data)
        try:
            found = drill_cell(
                user=request.user,
                per_page=values.pop("page_size", 50),
                links=DrillPageLinks(),
                **values,
            )
        except DashboardError as error:
            raise ValidationError(error.message_dict) from error
        return Response(found.as_dict())


def register(router: Any) -> None:
    router.register(
        "dashboards/executive", ExecutiveDashboardViewSet, basename="dashboard-executive"
    )
    router.register("dashboards/manager", ManagerDashboardViewSet, basename="dashboard-manager")
    router.register("dashboards/rep", RepDashboardViewSet, basename="dashboard-rep")
    router.register("dashboards/drill", DrillViewSet, basename="dashboard-drill")
