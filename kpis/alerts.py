"""Pace alerts, milestone notes and the weekly digest: notifications about KPI cells.

Each is sent in-app and by e-mail (`salesgoals.services.notification_send`) at most once,
through its `dedupe_key`:
- pace alert: per cell (metric, owner, period), recipient and threshold — when the pace of a
  running period with a target falls below a threshold after a share of its working days
  has passed. The owner (a rep, or a unit's manager) and their manager are told. Only the
  most severe threshold crossed is sent, and not once a more severe one went out, so a
  recovering pace never brings a milder alert after a harsher one.
- milestone: per cell, recipient and level — attainment reached 50%, 90% or 100% of the
  target of a running period (the highest level reached; managers hear of 100%).
- weekly digest: per person and week — their numbers (reps their own, managers their
  units', executives the company's) for the week just ended and its month, with pace.

Settings (`settings.SALESGOALS`, all optional):
    "PACE_ALERTS": {"thresholds": [8500, 7000], "min_elapsed": 0.25,
                    "period_kinds": ["month", "quarter"]}     # pace in basis points
    "MILESTONES": {"levels": [5000, 9000, 10000], "period_kinds": ["month", "quarter", "year"]}
    "DIGEST": {"period_kinds": ["week", "month"]}
Texts are written in each recipient's language.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kpis.dashboards import numbers as num
from kpis.models import KpiValue, OwnerType
from salesgoals import fiscal, workdays
from salesgoals.models import CompanySettings, Metric, Notification, OrgUnit, Period, Role, User
from salesgoals.services import notification_send

__all__ = [
    "alert_settings",
    "milestones_send",
    "pace_alerts_send",
    "weekly_digest_send",
]

PACE_PREFIX = "kpi-pace"
MILESTONE_PREFIX = "kpi-milestone"
DIGEST_PREFIX = "kpi-digest"


@dataclass(frozen=True)
class AlertSettings:
    thresholds: tuple[int, ...]  # pace, basis points, descending
    min_elapsed: float
    pace_kinds: tuple[str, ...]
    milestones: tuple[int, ...]  # attainment, basis points, ascending
    milestone_kinds: tuple[str, ...]
    digest_kinds: tuple[str, ...]


def alert_settings() -> AlertSettings:
    conf = getattr(settings, "SALESGOALS", {})
    pace = conf.get("PACE_ALERTS", {})
    milestones = conf.get("MILESTONES", {})
    digest = conf.get("DIGEST", {})
    return AlertSettings(
        thresholds=tuple(
            sorted((int(t) for t in pace.get("thresholds", (8500, 7000))), reverse=True)
        ),
        min_elapsed=float(pace.get("min_elapsed", 0.25)),
        pace_kinds=tuple(pace.get("period_kinds", ("month", "quarter"))),
        milestones=tuple(sorted(int(m) for m in milestones.get("levels", (5000, 9000, 10000)))),
        milestone_kinds=tuple(milestones.get("period_kinds", ("month", "quarter", "year"))),
        digest_kinds=tuple(digest.get("period_kinds", ("week", "month"))),
    )


# --- who hears about a cell ------------------------------------------------------------------


class _People:
    """Org units and their managers, loaded once: who owns a cell and who manages them."""

    def __init__(self) -> None:
        units = OrgUnit.objects.values_list("id", "path", "manager_id", "name")
        self.units = {pk: (path, manager, name) for pk, path, manager, name in units}
        self.by_path = {path: pk for pk, (path, _m, _n) in self.units.items()}
        self.users: dict[int, User] = {}

    def chain(self, unit_id: int | None) -> Iterator[int]:
        """The unit and its ancestors, nearest first."""
        if unit_id not in self.units:
            return
        path = self.units[unit_id][0]
        for end in range(len(path), 0, -OrgUnit.steplen):
            pk = self.by_path.get(path[:end])
            if pk is not None:
                yield pk

    def manager_above(self, unit_id: int | None, *, not_user: int | None) -> int | None:
        for pk in self.chain(unit_id):
            manager = self.units[pk][1]
            if manager is not None and manager != not_user:
                return manager
        return None

    def load_users(self, ids: Iterable[int]) -> None:
        wanted = set(ids) - set(self.users)
        if wanted:
            for user in User.objects.filter(pk__in=wanted, is_active=True).select_related(
                "org_unit"
            ):
                self.users[user.pk] = user

    def recipients(self, owner_type: str, owner_id: int) -> tuple[int | None, int | None]:
        """(owner, their manager) as user ids; a unit is owned by its manager."""
        if owner_type == OwnerType.REP:
            rep = self.users.get(owner_id)
            unit = rep.org_unit_id if rep else None
            return owner_id, self.manager_above(unit, not_user=owner_id)
        if owner_id not in self.units:
            return None, None
        owner = self.units[owner_id][1]
        parent = next(iter(list(self.chain(owner_id))[1:]), None)
        return owner, self.manager_above(parent, not_user=owner)

    def owner_name(self, owner_type: str, owner_id: int) -> str:
        if owner_type == OwnerType.REP:
            user = self.users.get(owner_id)
            return user.display if user else str(owner_id)
        return self.units.get(owner_id, ("", None, str(owner_id)))[2]


def _language(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def _label(period: Period) -> str:
    return fiscal.display_label(
        period.kind, period.number, period.start, period.end, period.fiscal_year
    )


def _link(owner_type: str, owner_id: int, period: Period) -> str:
    if owner_type == OwnerType.REP:
        return reverse("dashboards:rep") + "?" + urlencode({"rep": owner_id, "period": period.pk})
    return reverse("dashboards:home") + "?" + urlencode({"org_unit": owner_id, "period": period.pk})


def _sent(keys: Iterable[str]) -> set[tuple[int, str]]:
    """(recipient id, dedupe key) pairs already sent among these keys."""
    keys = list(set(keys))
    found: set[tuple[int, str]] = set()
    for i in range(0, len(keys), 500):
        found.update(
            Notification.objects.filter(dedupe_key__in=keys[i : i + 500]).values_list(
                "recipient_id", "dedupe_key"
            )
        )
    return found


def _cell_key(prefix: str, cell: KpiValue, level: int) -> str:
    return f"{prefix}:{cell.metric_id}:{cell.owner_type}:{cell.owner_id}:{cell.period_id}:{level}"


def _running(kinds: Iterable[str], today: datetime.date) -> list[Period]:
    return list(
        Period.objects.filter(kind__in=list(kinds), start__lte=today, end__gte=today)
        .select_related("fiscal_year")
        .order_by("start")
    )


# --- pace alerts -----------------------------------------------------------------------------


def _elapsed(period: Period, today: datetime.date) -> float:
    if period.working_days <= 0:
        return (today - period.start).days / max(1, period.days)
    done = workdays.working_days_between(period.start, today - datetime.timedelta(days=1))
    return min(done, period.working_days) / period.working_days


def pace_alerts_send(*, today: datetime.date | None = None) -> dict[str, int]:
    """Alert owners and their managers about cells whose pace fell below a threshold."""
    today = today or timezone.localdate()
    conf = alert_settings()
    if not conf.thresholds:
        return {"cells": 0, "sent": 0}
    periods = {
        p.pk: p for p in _running(conf.pace_kinds, today) if _elapsed(p, today) >= conf.min_elapsed
    }
    cells = list(
        KpiValue.objects.filter(
            period_id__in=list(periods),
            pace_bp__isnull=False,
            pace_bp__lt=conf.thresholds[0],
            target__isnull=False,
        )
        .exclude(status=KpiValue.Status.NO_TARGET)
        .select_related("metric")
        .order_by("period_id", "metric_id", "owner_type", "owner_id")
    )
    people = _People()
    people.load_users(c.owner_id for c in cells if c.owner_type == OwnerType.REP)
    plans = []
    for cell in cells:
        level = min(t for t in conf.thresholds if cell.pace_bp < t)
        owner, manager = people.recipients(cell.owner_type, cell.owner_id)
        for recipient in (owner, manager):
            if recipient is not None:
                plans.append((cell, level, recipient, recipient == owner))
    people.load_users(r for _c, _l, r, _o in plans)
    keys = [_cell_key(PACE_PREFIX, c, t) for c, _l, _r, _o in plans for t in conf.thresholds]
    done = _sent(keys)
    sent = 0
    for cell, level, recipient_id, is_owner in plans:
        recipient = people.users.get(recipient_id)
        if recipient is None:
            continue
        severe = [t for t in conf.thresholds if t <= level]
        if any((recipient_id, _cell_key(PACE_PREFIX, cell, t)) in done for t in severe):
            continue
        period = periods[cell.period_id]
        with translation.override(_language(recipient)):
            title, body = _pace_text(cell, period, level, is_owner, people)
        made = notification_send(
            recipient=recipient,
            title=title,
            body=body,
            link=_link(cell.owner_type, cell.owner_id, period),
            level=Notification.Level.ALERT
            if level == conf.thresholds[-1]
            else Notification.Level.WARNING,
            dedupe_key=_cell_key(PACE_PREFIX, cell, level),
            email=True,
        )
        sent += made is not None
    return {"cells": len(cells), "sent": sent}


def _pace_text(
    cell: KpiValue, period: Period, level: int, is_owner: bool, people: _People
) -> tuple[str, str]:
    metric = cell.metric
    values = {
        "metric": metric.localized_name,
        "period": _label(period),
        "pace": num.show_percent(num.percent_of_bp(cell.pace_bp)),
        "threshold": num.show_percent(Decimal(level) / 100),
        "actual": num.show(metric, num.actual_of(metric, cell)),
        "expected": num.show(metric, num.scaled(metric, cell.expected_to_date)),
        "target": num.show(metric, num.scaled(metric, cell.target)),
        "needed": num.show(metric, num.scaled(metric, cell.required_rate)),
        "name": people.owner_name(cell.owner_type, cell.owner_id),
    }
    if is_owner and cell.owner_type == OwnerType.REP:
        title = _("Your %(metric)s is behind pace: %(pace)s in %(period)s") % values
    else:
        title = _("%(name)s: %(metric)s is behind pace, %(pace)s in %(period)s") % values
    body = (
        _(
            "Pace fell below %(threshold)s: %(actual)s so far against %(expected)s expected by "
            "now (target %(target)s for %(period)s)."
        )
        % values
    )
    if cell.required_rate:
        body += " " + _("%(needed)s per working day is needed to reach the target.") % values
    return title, body


# --- milestones ------------------------------------------------------------------------------


def milestones_send(*, today: datetime.date | None = None) -> dict[str, int]:
    """Tell owners when attainment reaches a milestone; managers hear of 100%."""
    today = today or timezone.localdate()
    conf = alert_settings()
    if not conf.milestones:
        return {"cells": 0, "sent": 0}
    periods = {p.pk: p for p in _running(conf.milestone_kinds, today)}
    cells = list(
        KpiValue.objects.filter(
            period_id__in=list(periods),
            attainment_bp__gte=conf.milestones[0],
            target__gt=0,
            metric__direction=Metric.Direction.HIGHER,
        )
        .select_related("metric")
        .order_by("period_id", "metric_id", "owner_type", "owner_id")
    )
    people = _People()
    people.load_users(c.owner_id for c in cells if c.owner_type == OwnerType.REP)
    top = conf.milestones[-1]
    plans = []
    for cell in cells:
        level = max(m for m in conf.milestones if cell.attainment_bp >= m)
        owner, manager = people.recipients(cell.owner_type, cell.owner_id)
        if owner is not None:
            plans.append((cell, level, owner, True))
        if manager is not None and level == top:
            plans.append((cell, level, manager, False))
    people.load_users(r for _c, _l, r, _o in plans)
    done = _sent(
        _cell_key(MILESTONE_PREFIX, c, m) for c, _l, _r, _o in plans for m in conf.milestones
    )
    sent = 0
    for cell, level, recipient_id, is_owner in plans:
        recipient = people.users.get(recipient_id)
        if recipient is None:
            continue
        higher = [m for m in conf.milestones if m >= level]
        if any((recipient_id, _cell_key(MILESTONE_PREFIX, cell, m)) in done for m in higher):
            continue
        period = periods[cell.period_id]
        with translation.override(_language(recipient)):
            title, body = _milestone_text(cell, period, level, is_owner, people)
        made = notification_send(
            recipient=recipient,
            title=title,
            body=body,
            link=_link(cell.owner_type, cell.owner_id, period),
            level=Notification.Level.SUCCESS,
            dedupe_key=_cell_key(MILESTONE_PREFIX, cell, level),
            email=True,
        )
        sent += made is not None
    return {"cells": len(cells), "sent": sent}


def _milestone_text(
    cell: KpiValue, period: Period, level: int, is_owner: bool, people: _People
) -> tuple[str, str]:
    metric = cell.metric
    values = {
        "metric": metric.localized_name,
        "period": _label(period),
        "level": num.show_percent(Decimal(level) / 100).replace(".0%", "%"),
        "attainment": num.show_percent(num.percent_of_bp(cell.attainment_bp)),
        "actual": num.show(metric, num.actual_of(metric, cell)),
        "target": num.show(metric, num.scaled(metric, cell.target)),
        "name": people.owner_name(cell.owner_type, cell.owner_id),
    }
    if is_owner and cell.owner_type == OwnerType.REP:
        title = _("Milestone: %(level)s of your %(metric)s target for %(period)s") % values
    else:
        title = _("%(name)s reached %(level)s of the %(metric)s target for %(period)s") % values
    body = _("%(actual)s of %(target)s: %(attainment)s attainment.") % values
    return title, body


# --- weekly digest ---------------------------------------------------------------------------


def _week_start(day: datetime.date) -> datetime.date:
    periods = Period.objects.filter(start__lte=day, end__gte=day).select_related("fiscal_year")
    found = next(iter(periods), None)
    first = found.fiscal_year.week_start if found else CompanySettings.load().week_start
    return day - datetime.timedelta(days=(day.weekday() - first) % 7)


def _digest_people() -> list[User]:
    return list(
        User.objects.filter(
            is_active=True, role__in=[Role.REP, Role.MANAGER, Role.EXECUTIVE]
        ).select_related("org_unit")
    )


def weekly_digest_send(*, today: datetime.date | None = None) -> dict[str, int]:
    """Each rep, manager and executive gets their numbers of the week just ended (the week
    containing yesterday) and its month, once per week."""
    today = today or timezone.localdate()
    day = today - datetime.timedelta(days=1)
    conf = alert_settings()
    periods = [
        p
        for p in Period.objects.filter(
            kind__in=list(conf.digest_kinds), start__lte=day, end__gte=day
        ).select_related("fiscal_year")
    ]
    order = {"week": 0, "month": 1, "quarter": 2, "year": 3}
    periods.sort(key=lambda p: order[p.kind])
    if not periods:
        return {"people": 0, "sent": 0}
    key = f"{DIGEST_PREFIX}:{_week_start(day).isoformat()}"
    people = _digest_people()
    done = {r for r, _k in _sent([key])}
    people = [p for p in people if p.pk not in done]
    owners: dict[int, list[tuple[str, int]]] = {}
    managed: dict[int, list[int]] = defaultdict(list)
    for pk, manager in OrgUnit.objects.filter(manager__isnull=False).values_list(
        "pk", "manager_id"
    ):
        managed[manager].append(pk)
    roots = list(OrgUnit.objects.get_root_nodes().values_list("pk", flat=True))
    for person in people:
        if person.role == Role.REP:
            owners[person.pk] = [(OwnerType.REP, person.pk)]
        elif person.role == Role.MANAGER:
            units = managed.get(person.pk) or ([person.org_unit_id] if person.org_unit_id else [])
            owners[person.pk] = [(OwnerType.UNIT, u) for u in units]
        else:
            owners[person.pk] = [(OwnerType.UNIT, u) for u in roots]
    wanted = Q(pk__in=[])
    reps = [o for pairs in owners.values() for t, o in pairs if t == OwnerType.REP]
    units = [o for pairs in owners.values() for t, o in pairs if t == OwnerType.UNIT]
    if reps:
        wanted |= Q(owner_type=OwnerType.REP, owner_id__in=reps)
    if units:
        wanted |= Q(owner_type=OwnerType.UNIT, owner_id__in=units)
    cells: dict[tuple[str, int, int], list[KpiValue]] = defaultdict(list)
    for cell in (
        KpiValue.objects.filter(wanted, period__in=periods)
        .select_related("metric")
        .order_by("metric__sort_order", "metric__code")
    ):
        cells[(cell.owner_type, cell.owner_id, cell.period_id)].append(cell)
    unit_names = dict(OrgUnit.objects.filter(pk__in=units).values_list("pk", "name"))
    sent = 0
    for person in people:
        with translation.override(_language(person)):
            title = _("Your week in numbers: %(period)s") % {"period": _label(periods[0])}
            body = _digest_body(person, owners[person.pk], periods, cells, unit_names)
        made = notification_send(
            recipient=person,
            title=title,
            body=body,
            link=reverse("dashboards:home"),
            level=Notification.Level.INFO,
            dedupe_key=key,
            email=True,
        )
        sent += made is not None
    return {"people": len(people), "sent": sent}


def _digest_line(cell: KpiValue) -> str:
    metric = cell.metric
    values = {
        "metric": metric.localized_name,
        "actual": num.show(metric, num.actual_of(metric, cell)),
        "target": num.show(metric, num.scaled(metric, cell.target)),
        "attainment": num.show_percent(num.percent_of_bp(cell.attainment_bp)),
        "pace": num.show_percent(num.percent_of_bp(cell.pace_bp)),
        "status": str(KpiValue.Status(cell.status).label),
    }
    if cell.target is None:
        return _("%(metric)s: %(actual)s") % values
    if cell.pace_bp is None:
        return _("%(metric)s: %(actual)s of %(target)s (%(attainment)s)") % values
    return (
        _("%(metric)s: %(actual)s of %(target)s (%(attainment)s), pace %(pace)s — %(status)s")
        % values
    )


def _digest_body(
    person: User,
    owners: list[tuple[str, int]],
    periods: list[Period],
    cells: dict[tuple[str, int, int], list[KpiValue]],
    unit_names: dict[int, str],
) -> str:
    parts: list[str] = []
    if not owners:
        return _("There are no numbers in your scope yet.")
    for owner_type, owner_id in owners:
        if owner_type == OwnerType.UNIT:
            parts.append(f"== {unit_names.get(owner_id, owner_id)} ==")
        for period in periods:
            parts.append(f"{_label(period)}:")
            rows = [
                c
                for c in cells.get((owner_type, owner_id, period.pk), [])
                if c.target is not None or c.numerator or c.denominator
            ]
            if rows:
                parts.extend(f"  • {_digest_line(c)}" for c in rows)
            else:
                parts.append("  " + _("Nothing recorded yet."))
        parts.append("")
    return "\n".join(parts).strip()
