"""What a dashboard shows and whether the user may see it: period, org unit, rep, metric.

One function, `dashboard_select`, serves the API and the pages, so both decide alike:
- executive: executives and admins, for any unit (default: the company);
- manager: managers for a unit of their subtree (default: the unit they manage), and
  executives/admins for any unit (default: the first unit below the company);
- rep: a person's own numbers, or a rep in the viewer's scope (`rep=`).
Anything else is `PermissionDenied` (403); an unknown period, unit or person is `Http404`;
a malformed choice is a `DashboardError` (400).

Without `period`, the period of `period_kind` (default month) that contains today is shown;
when no fiscal year covers today, the latest one that started before (or else the first).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from salesgoals import scope
from salesgoals.models import FiscalYear, Metric, OrgUnit, Period, PeriodKind, Role, User

__all__ = ["BOARDS", "DashboardError", "Selection", "dashboard_select"]

BOARDS = ("executive", "manager", "rep")
DEFAULT_KIND = PeriodKind.MONTH
DEFAULT_METRIC = "revenue"
KIND_ORDER = {PeriodKind.YEAR: 0, PeriodKind.QUARTER: 1, PeriodKind.MONTH: 2, PeriodKind.WEEK: 3}


class DashboardError(ValidationError):
    """A query parameter that is not a valid choice (400 with the field named)."""


@dataclass
class Selection:
    board: str
    user: User
    today: datetime.date
    metrics: list[Metric]
    metric: Metric | None
    period: Period | None = None
    fiscal_year: FiscalYear | None = None
    fy_periods: list[Period] = field(default_factory=list)
    prev_period: Period | None = None
    next_period: Period | None = None
    unit: OrgUnit | None = None
    rep: User | None = None

    def periods_of(self, kind: str) -> list[Period]:
        return [p for p in self.fy_periods if p.kind == kind]

    def containing(self, day: datetime.date) -> list[Period]:
        """The periods of the fiscal year that contain `day`, year first."""
        found = [p for p in self.fy_periods if p.start <= day <= p.end]
        return sorted(found, key=lambda p: KIND_ORDER[p.kind])

    @property
    def reference_day(self) -> datetime.date | None:
        """Today when it lies in the period, else the period's nearest end."""
        if self.period is None:
            return None
        return min(max(self.today, self.period.start), self.period.end)


def int_param(name: str, value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError:
        raise DashboardError({name: [_("A whole number is required.")]}) from None


def _period(period_id: int | None, kind: str, today: datetime.date) -> Period | None:
    periods = Period.objects.select_related("fiscal_year")
    if period_id is not None:
        found = periods.filter(pk=period_id).first()
        if found is None:
            raise Http404(_("Unknown period."))
        return found
    of_kind = periods.filter(kind=kind)
    return (
        of_kind.filter(start__lte=today, end__gte=today).first()
        or of_kind.filter(start__lte=today).order_by("-start").first()
        or of_kind.order_by("start").first()
    )


def _fill_calendar(sel: Selection, period: Period) -> None:
    fiscal_year = period.fiscal_year
    periods = list(Period.objects.filter(fiscal_year=fiscal_year))
    for p in periods:
        p.fiscal_year = fiscal_year  # labels need it; no query per period
    periods.sort(key=lambda p: (p.start, KIND_ORDER[p.kind]))
    sel.period, sel.fiscal_year, sel.fy_periods = period, fiscal_year, periods
    same = [p for p in periods if p.kind == period.kind]
    index = next(i for i, p in enumerate(same) if p.pk == period.pk)
    sel.prev_period = same[index - 1] if index > 0 else None
    sel.next_period = same[index + 1] if index + 1 < len(same) else None
    adjacent = Period.objects.select_related("fiscal_year").filter(kind=period.kind)
    if sel.prev_period is None:
        sel.prev_period = adjacent.filter(end__lt=period.start).order_by("-end").first()
    if sel.next_period is None:
        sel.next_period = adjacent.filter(start__gt=period.end).order_by("start").first()


def _unit(user: User, board: str, unit_id: int | None) -> OrgUnit | None:
    if board == "executive":
        if not scope.sees_everything(user):
            raise PermissionDenied
    elif board == "manager" and not (user.role == Role.MANAGER or scope.sees_everything(user)):
        raise PermissionDenied
    if unit_id is not None:
        unit = OrgUnit.objects.filter(pk=unit_id).first()
        if unit is None:
            raise Http404(_("Unknown org unit."))
        if not scope.can_view(user, unit):  # a manager: only inside the managed subtree
            raise PermissionDenied
        return unit
    if scope.sees_everything(user):
        root = OrgUnit.objects.get_root_nodes().first()
        if board == "manager" and root is not None:
            # A team board: the company's whole rep grid (every rep × metric) is the executive
            # board's job and grows with headcount; start at the first unit below the root.
            return root.get_children().filter(is_active=True).first() or root
        return root
    roots = scope.managed_roots(user)
    return OrgUnit.objects.filter(path=roots[0]).first() if roots else None


def _rep(user: User, rep_id: int | None) -> User:
    if rep_id is None or rep_id == user.pk:
        if user.org_unit_id:
            user = User.objects.select_related("org_unit").get(pk=user.pk)
        return user
    rep = User.objects.select_related("org_unit").filter(pk=rep_id).first()
    if rep is None:
        raise Http404(_("Unknown person."))
    if not scope.can_view(user, rep):
        raise PermissionDenied
    return rep


def dashboard_select(
    *,
    user: User,
    board: str,
    period: object = None,
    period_kind: str | None = None,
    org_unit: object = None,
    rep: object = None,
    metric: str | None = None,
    today: datetime.date | None = None,
) -> Selection:
    """Check access and resolve the request's choices (see the module docstring)."""
    if board not in BOARDS:
        raise Http404
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied
    kind = period_kind or DEFAULT_KIND
    if kind not in PeriodKind.values:
        raise DashboardError({"period_kind": [_("Choose year, quarter, month or week.")]})
    period_id = int_param("period", period)
    unit_id = int_param("org_unit", org_unit)
    rep_id = int_param("rep", rep)
    today = today or timezone.localdate()

    unit = None
    person = None
    if board == "rep":
        person = _rep(user, rep_id)
    else:
        unit = _unit(user, board, unit_id)

    metrics = list(Metric.objects.filter(is_active=True).order_by("sort_order", "code"))
    chosen = metric or DEFAULT_METRIC
    focus = next((m for m in metrics if m.code == chosen), None)
    if focus is None and metric:
        raise DashboardError({"metric": [_("Unknown metric.")]})
    focus = focus or (metrics[0] if metrics else None)

    sel = Selection(
        board=board, user=user, today=today, metrics=metrics, metric=focus, unit=unit, rep=person
    )
    found = _period(period_id, kind, today)
    if found is not None:
        _fill_calendar(sel, found)
    return sel
