"""Dashboard pages: executive, manager and rep dashboards, and the drill-down to the facts.

Thin views: `kpis.dashboards.dashboard_select` decides access and resolves the period, unit,
rep and metric (the same function as the API), the board builders make the data, and the
templates render tables (each number links to the drill-down) and plotly charts (figure JSON
embedded with `json_script`, drawn by static/js/salesgoals.js with the local plotly.js).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kpis.dashboards import BUILDERS, DashboardError, Selection, dashboard_select
from kpis.dashboards.boards import period_info, period_label
from kpis.dashboards.drill import drill_cell
from salesgoals import scope
from salesgoals.models import Metric, OrgUnit, Period, PeriodKind, Role, User

PER_PAGE = 50
PARAMS = ("period", "period_kind", "org_unit", "rep", "metric")
BLOCKING = ("no_fiscal_year", "no_unit")  # nothing below the notice would make sense


def boards_for(user: User) -> list[tuple[str, str]]:
    """The dashboards a user may open, as (board, title), in the order of the tabs."""
    boards = []
    if scope.sees_everything(user):
        boards.append(("executive", _("Executive")))
    if scope.sees_everything(user) or user.role == Role.MANAGER:
        boards.append(("manager", _("Team")))
    boards.append(("rep", _("My numbers")))
    return boards


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The role's own dashboard: executives the company, managers their team, reps theirs."""
    board = boards_for(request.user)[0][0]
    query = request.GET.urlencode()
    url = reverse(f"dashboards:{board}")
    return redirect(f"{url}?{query}" if query else url)


def _link(request: HttpRequest, board: str, **changes: Any) -> str:
    """This page's query with some choices changed (None drops one)."""
    query = {k: request.GET.get(k) for k in PARAMS if request.GET.get(k)}
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    url = reverse(f"dashboards:{board}")
    return f"{url}?{urlencode(query)}" if query else url


def _pickers(request: HttpRequest, sel: Selection) -> dict[str, Any]:
    """Period (kind tabs, a list of the fiscal year's periods, previous/next), unit, rep and
    metric choices, as links and options built once."""
    board = sel.board
    out: dict[str, Any] = {"kinds": [], "options": [], "units": [], "reps": []}
    if sel.period is not None:
        day = sel.reference_day
        for period in sel.containing(day) if day else []:
            out["kinds"].append(
                {
                    "kind": period.kind,
                    "title": PeriodKind(period.kind).label,
                    "url": _link(request, board, period=period.pk, period_kind=None),
                    "current": period.kind == sel.period.kind,
                }
            )
        out["kinds"].sort(key=lambda k: ["year", "quarter", "month", "week"].index(k["kind"]))
        out["options"] = [
            {"id": p.pk, "label": period_label(p), "selected": p.pk == sel.period.pk}
            for p in sel.periods_of(sel.period.kind)
        ]
        for name, period in (("previous", sel.prev_period), ("next", sel.next_period)):
            out[name] = (
                {"url": _link(request, board, period=period.pk), "label": period_label(period)}
                if period
                else None
            )
    if board in ("executive", "manager"):
        units = scope.visible_units(sel.user).order_by("path").only("name", "path", "depth")
        top = min((u.depth for u in units), default=1)
        out["units"] = [
            {
                "id": u.pk,
                "label": "\u2003" * (u.depth - top) + u.name,
                "selected": sel.unit is not None and u.pk == sel.unit.pk,
            }
            for u in units
        ]
    if board == "rep" and (scope.sees_everything(sel.user) or sel.user.role == Role.MANAGER):
        people = (
            scope.visible_users(sel.user)
            .filter(is_active=True)
            .select_related("org_unit")
            .order_by("org_unit__path", "display_name", "username")
        )
        out["reps"] = [
            {
                "id": p.pk,
                "label": f"{p.display} · {p.org_unit.name}" if p.org_unit_id else p.display,
                "selected": sel.rep is not None and p.pk == sel.rep.pk,
            }
            for p in people
        ]
    out["metrics"] = [
        {
            "code": m.code,
            "label": m.localized_name,
            "selected": sel.metric is not None and m.pk == sel.metric.pk,
        }
        for m in sel.metrics
    ]
    out["hidden"] = {
        k: request.GET[k]
        for k in ("rep", "org_unit")
        if request.GET.get(k) and not out["units" if k == "org_unit" else "reps"]
    }
    return out


def _board(request: HttpRequest, board: str) -> HttpResponse:
    try:
        sel = dashboard_select(
            user=request.user, board=board, **{k: request.GET.get(k) or None for k in PARAMS}
        )
    except DashboardError as error:
        for field, problems in error.message_dict.items():
            for problem in problems:
                messages.error(request, f"{field}: {problem}")
        return redirect(f"dashboards:{board}")
    data = BUILDERS[board](sel)
    context = {
        "board": board,
        "boards": boards_for(request.user),
        "sel": sel,
        "data": data,
        "pickers": _pickers(request, sel),
        "figure_ids": [f"fig-{name}" for name in data["figures"]],
        "blocked": any(n["code"] in BLOCKING for n in data["notices"]),
    }
    if board == "manager" and sel.period is not None:
        for row in data["reps"]:
            row["url"] = _link(request, "rep", rep=row["id"], org_unit=None)
    if board == "executive":
        for row in data["performers"]["top"] + data["performers"]["bottom"]:
            row["rep_url"] = _link(request, "rep", rep=row["rep"]["id"], org_unit=None)
        for row in data["breakdown"]:
            row["unit_url"] = _link(request, "executive", org_unit=row["org_unit"]["id"])
    return render(request, f"kpis/dashboard_{board}.html", context)


@login_required
def executive(request: HttpRequest) -> HttpResponse:
    return _board(request, "executive")


@login_required
def manager(request: HttpRequest) -> HttpResponse:
    return _board(request, "manager")


@login_required
def rep(request: HttpRequest) -> HttpResponse:
    return _board(request, "rep")


# --- drill-down ------------------------------------------------------------------------------


@login_required
def drill(request: HttpRequest) -> HttpResponse:
    """The facts (and credit shares) behind one KPI cell, in the viewer's scope."""
    try:
        found = drill_cell(
            user=request.user,
            metric=request.GET.get("metric", ""),
            owner_type=request.GET.get("owner_type", ""),
            owner=request.GET.get("owner"),
            period=request.GET.get("period"),
            page=request.GET.get("page"),
            links=_SelfDrill(request),
        )
    except DashboardError:
        raise Http404(_("Choose a KPI cell to see the facts behind it.")) from None
    owner, period = found.found.owner, found.period
    if isinstance(owner, User):
        back = reverse("dashboards:rep") + "?" + urlencode({"rep": owner.pk, "period": period.pk})
    else:
        query = urlencode({"org_unit": owner.pk, "period": period.pk})
        back = reverse("dashboards:home") + "?" + query
    metric = found.found.metric
    context = {
        "metric": metric,
        "owner": owner,
        "owner_is_unit": isinstance(owner, OrgUnit),
        "period": period,
        "period_info": period_info(period),
        "previous": found.found.previous,
        "via_shares": found.found.via_shares,
        "rows": found.rows,
        "page": found.page,
        "summary": found.cell,
        "back": back,
        "is_retention": metric.code == "retention_rate",
        "is_new_customers": metric.code == "new_customers",
    }
    return render(request, "kpis/dashboard_drill.html", context)


class _SelfDrill:
    """On the drill-down page the cell's own link is the page itself."""

    def __init__(self, request: HttpRequest) -> None:
        self.path = request.get_full_path()

    def url(self, metric: Metric, owner_type: str, owner_id: int, period: Period) -> str:
        return self.path
