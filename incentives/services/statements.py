"""Statements: computing them (at period close and on demand), approving, paying, what-if.

`statement_compute` runs the engine on the person's inputs and rewrites a *draft* statement's
lines; approved and paid statements are frozen. When inputs change after a statement froze (a
won deal later lost), the person's earliest draft statement after it gets an adjustment line:
the frozen statement recomputed with today's inputs minus what it paid and what earlier
adjustments already corrected — so the paid statement never changes and nothing is counted
twice. `what_if` runs the very same inputs and engine with one more deal closed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from incentives import selectors
from incentives.engine import (
    BadgeRule,
    Cell,
    Commission,
    Component,
    Inputs,
    Line,
    Promotion,
    Spiff,
    Tiered,
    compute,
    parse_components,
    total,
)
from incentives.inputs import (
    Key,
    build_inputs,
    certifications,
    kpi_cells,
    previous_periods,
    won_deals_by_period,
)
from incentives.models import BadgeAward, ContestWinner, IncentivePlan, Statement, StatementLine
from salesgoals.history import history_bulk, recorded
from salesgoals.models import Period, User
from salesgoals.money import from_minor, to_minor
from salesgoals.services import notification_send


def _needs(components: list[Component]) -> tuple[set[str], dict[str, int], bool, bool]:
    """(metrics, promotion history depth per metric, won deals needed, contest wins needed)."""
    metrics: set[str] = set()
    history: dict[str, int] = {}
    deals = contests = False
    for c in components:
        if isinstance(c, Tiered | Commission | BadgeRule | Promotion):
            metrics.add(c.metric)
        if isinstance(c, Promotion):
            history[c.metric] = max(history.get(c.metric, 0), c.periods - 1)
        if isinstance(c, Spiff):
            deals |= c.event == "won_deal"
            contests |= c.event == "contest_win"
    return metrics, history, deals, contests


def _contest_wins(people: list[User], period: Period) -> dict[int, int]:
    rows = ContestWinner.objects.filter(
        person__in=people,
        contest__period__start__gte=period.start,
        contest__period__end__lte=period.end,
    ).values_list("person_id", flat=True)
    wins: dict[int, int] = {}
    for person_id in rows:
        wins[person_id] = wins.get(person_id, 0) + 1
    return wins


@dataclass
class Prefetched:
    """What a batch reads once for everyone: KPI cells (this period, the promotion history
    and earlier periods for adjustments), the earlier periods, certifications, contest wins."""

    cells: dict[Key, Cell]
    earlier: list[Period]
    certifications: dict[int, set[str]] = field(default_factory=dict)
    #: None = read per person when needed.
    wins: dict[int, int] | None = None
    #: Won deal amounts per (person, period) for SPIFFs; None = read per person.
    deals: dict[tuple[int, int], tuple[Decimal, ...]] | None = None
    #: For adjustments, per person: frozen earlier statements, draft period starts and what
    #: frozen adjustment lines already corrected per statement; None = read per person.
    ledger: dict[int, _Ledger] | None = None


@dataclass
class _Ledger:
    frozen: list[Statement] = field(default_factory=list)
    draft_starts: list[datetime.date] = field(default_factory=list)
    corrected: dict[int, int] = field(default_factory=dict)


def _ledgers(people_ids: list[int], period: Period) -> dict[int, _Ledger]:
    """Each person's frozen statements before `period` (with what they paid for their own
    period), their draft period starts and the frozen corrections per statement: 3 queries."""
    ledgers = {pk: _Ledger() for pk in people_ids}
    frozen = (
        Statement.objects.filter(
            person_id__in=people_ids, period__kind=period.kind, period__end__lt=period.start
        )
        .exclude(status=Statement.Status.DRAFT)
        .select_related("plan", "period")
        .annotate(own=Sum("lines__amount_minor", filter=Q(lines__adjusts__isnull=True), default=0))
        .order_by("period__start")
    )
    for statement in frozen:
        ledgers[statement.person_id].frozen.append(statement)
    drafts = Statement.objects.filter(
        person_id__in=people_ids, period__kind=period.kind, status=Statement.Status.DRAFT
    ).values_list("person_id", "period__start")
    for person_id, start in drafts:
        ledgers[person_id].draft_starts.append(start)
    corrections = (
        StatementLine.objects.filter(adjusts__person_id__in=people_ids)
        .exclude(statement__status=Statement.Status.DRAFT)
        .values_list("adjusts_id")
        .annotate(s=Sum("amount_minor"))
        .values_list("adjusts__person_id", "adjusts_id", "s")
    )
    for person_id, statement_id, amount in corrections:
        ledgers[person_id].corrected[statement_id] = int(amount or 0)
    return ledgers


def inputs_for(
    plan: IncentivePlan,
    person: User,
    period: Period,
    *,
    prefetched: Prefetched | None = None,
    money_only: bool = False,
) -> tuple[list[Component], Inputs]:
    """The plan's components and the person's inputs for the period (statements and what-if)."""
    components = parse_components(plan.components)
    metrics, history, deals, contests = _needs(components)
    wins = 0
    if contests:
        wins = (
            prefetched.wins.get(person.pk, 0)
            if prefetched is not None and prefetched.wins is not None
            else _contest_wins([person], period).get(person.pk, 0)
        )
    inputs = build_inputs(
        person,
        period,
        metrics=metrics,
        history_metrics=history,
        spiff_deals=deals,
        contest_wins=wins,
        cells=prefetched.cells if prefetched else None,
        earlier=prefetched.earlier if prefetched else None,
        held=prefetched.certifications.get(person.pk) if prefetched else None,
        deals=prefetched.deals if prefetched else None,
        money_only=money_only,
    )
    return components, inputs


def _adjustment_lines(person: User, period: Period, prefetched: Prefetched | None) -> list[dict]:
    """Adjustment lines owed to this statement: frozen earlier statements whose recomputed
    amount differs from what they paid plus what frozen adjustments already corrected."""
    if prefetched is not None and prefetched.ledger is not None:
        ledger = prefetched.ledger.get(person.pk) or _Ledger()
    else:
        ledger = _ledgers([person.pk], period)[person.pk]
    if not ledger.frozen:
        return []
    cached_periods: set[int] = set()
    shared = None
    if prefetched is not None:
        cached_periods = {key[2] for key in prefetched.cells}
        # The batch's contest wins are this period's: earlier periods read their own.
        shared = replace(prefetched, wins=None, certifications={})
    rows = []
    for earlier in ledger.frozen:
        if any(earlier.period.end < start < period.start for start in ledger.draft_starts):
            continue  # an earlier open statement carries this adjustment
        use = shared if earlier.period_id in cached_periods else None
        components, inputs = inputs_for(
            earlier.plan, person, earlier.period, prefetched=use, money_only=True
        )
        now = to_minor(total(compute(components, inputs)))
        paid = int(earlier.own) + ledger.corrected.get(earlier.pk, 0)
        delta = now - paid
        if delta == 0:
            continue
        was = from_minor(paid)
        rows.append(
            {
                "kind": StatementLine.Kind.ADJUSTMENT,
                "component_key": "adjustment",
                "label": earlier.period.label,
                "inputs": {
                    "period": earlier.period.label,
                    "status": earlier.status,
                    "paid": str(was),
                    "recomputed": str(from_minor(now)),
                },
                "formula": f"{from_minor(now)} − {was} = {from_minor(delta)}",
                "amount_minor": delta,
                "adjusts": earlier,
            }
        )
    return rows


def _line_row(line: Line) -> dict:
    return {
        "kind": line.kind,
        "component_key": line.key,
        "label": line.label,
        "inputs": line.inputs,
        "formula": line.formula,
        "amount_minor": to_minor(line.amount),
        "achieved": line.achieved,
    }


def _sync_badges(statement: Statement, lines: list[Line]) -> None:
    earned = {str(line.detail["badge"]) for line in lines if line.kind == "badge" and line.achieved}
    if not earned:
        statement.badges.filter(source=BadgeAward.Source.RULE).delete()
        return
    statement.badges.filter(source=BadgeAward.Source.RULE).exclude(badge__in=earned).delete()
    have = set(
        BadgeAward.objects.filter(
            person=statement.person, period=statement.period, source=BadgeAward.Source.RULE
        ).values_list("badge", flat=True)
    )
    for badge in sorted(earned - have):
        BadgeAward.objects.create(
            person=statement.person,
            badge=badge,
            source=BadgeAward.Source.RULE,
            period=statement.period,
            statement=statement,
        )


@recorded(gettext_noop("Statement computed"))
@transaction.atomic
def statement_compute(
    *,
    person: User,
    period: Period,
    plan: IncentivePlan | None = None,
    prefetched: Prefetched | None = None,
) -> Statement | None:
    """Compute (or recompute) the person's draft statement; frozen ones are returned as they are.

    Without a plan, the most specific current plan for the person and the period's kind is
    used; None when no plan applies.
    """
    # Two computations for the same person at once (two beat processes, a manual run beside
    # the nightly one) queue on the person's row instead of both inserting the statement;
    # the second then finds it and recomputes it.
    list(User.objects.select_for_update().filter(pk=person.pk).values_list("pk", flat=True))
    existing = Statement.objects.select_for_update().filter(person=person, period=period).first()
    if existing is not None and existing.frozen:
        return existing
    plan = plan or selectors.plan_for(person, period.kind)
    if plan is None:
        return existing
    if plan.period_kind != period.kind:
        raise ValidationError(
            {
                "period": [
                    _("This plan pays per %(kind)s.") % {"kind": plan.get_period_kind_display()}
                ]
            }
        )
    components, inputs = inputs_for(plan, person, period, prefetched=prefetched)
    lines = compute(components, inputs)
    rows = [_line_row(line) for line in lines]
    rows += _adjustment_lines(person, period, prefetched)
    statement = existing or Statement(person=person, period=period)
    total = sum(row["amount_minor"] for row in rows)
    now = timezone.now()
    if existing is not None and (existing.plan_id, existing.org_unit_id, existing.total_minor) == (
        plan.pk,
        person.org_unit_id,
        total,
    ):
        # A recompute that changed nothing (a second run of the nightly close) leaves no
        # audit row; only the time of the last computation moves.
        Statement.objects.filter(pk=existing.pk).update(computed_at=now)
        statement.computed_at = now
    else:
        statement.plan = plan
        statement.org_unit_id = person.org_unit_id
        statement.total_minor = total
        statement.computed_at = now
        statement.save()
    _store_lines(statement, rows)
    _sync_badges(statement, lines)
    return statement


LINE_FIELDS = (
    "position",
    "kind",
    "component_key",
    "label",
    "inputs",
    "formula",
    "amount_minor",
    "achieved",
    "adjusts_id",
)


def _line_key(kind: str, component_key: str, adjusts_id: int | None) -> tuple:
    return (kind, component_key, adjusts_id)


def _store_lines(statement: Statement, rows: list[dict]) -> None:
    """Write the recomputed lines: a line of the same component (or adjusting the same
    statement) is updated in place, so the audit history shows each line's old → new values;
    lines that are no longer owed are deleted. History rows are written in bulk."""
    old: dict[tuple, list[StatementLine]] = {}
    for line in statement.lines.all():
        old.setdefault(_line_key(line.kind, line.component_key, line.adjusts_id), []).append(line)
    added: list[StatementLine] = []
    changed: list[StatementLine] = []
    for position, row in enumerate(rows):
        values = {**row, "position": position}
        adjusts = values.pop("adjusts", None)
        values["adjusts_id"] = adjusts.pk if adjusts is not None else None
        values.setdefault("achieved", None)
        same = old.get(_line_key(values["kind"], values["component_key"], values["adjusts_id"]))
        if same:
            line = same.pop(0)
            if any(getattr(line, name) != values[name] for name in LINE_FIELDS):
                for name in LINE_FIELDS:
                    setattr(line, name, values[name])
                changed.append(line)
        else:
            added.append(StatementLine(statement=statement, **values))
    gone = [line for lines in old.values() for line in lines]
    if gone:
        history_bulk(StatementLine, gone, "-")
        StatementLine.objects.filter(pk__in=[line.pk for line in gone])._raw_delete(
            StatementLine.objects.db
        )
    if changed:
        StatementLine.objects.bulk_update(changed, [n for n in LINE_FIELDS])
        history_bulk(StatementLine, changed, "~")
    if added:
        StatementLine.objects.bulk_create(added)
        history_bulk(StatementLine, added, "+")


def statements_compute(*, plan: IncentivePlan, period: Period) -> list[Statement]:
    """Every statement of the plan's people for the period; KPI cells, certifications and
    contest wins are read once for everyone."""
    components = parse_components(plan.components)
    metrics, history, deals, contests = _needs(components)
    plans = selectors.current_plans(period.kind)
    people = [
        p
        for p in selectors.people_of_plan(plan)
        if selectors.best_plan(plans, p) == plan and not (p.hire_date and p.hire_date > period.end)
    ]
    if not people:
        return []
    earlier = previous_periods(period, max(history.values(), default=0))
    # Earlier periods of the last two years too: adjustments recompute frozen statements.
    prior = Period.objects.filter(
        kind=period.kind,
        end__lt=period.start,
        start__gte=period.start - datetime.timedelta(days=740),
    )
    prior_periods = list(prior)
    period_ids = {period.pk, *(p.pk for p in earlier), *(p.pk for p in prior_periods)}
    prefetched = Prefetched(
        cells=kpi_cells(people, metrics | set(history), period_ids),
        earlier=earlier,
        certifications=certifications([p.pk for p in people], period.end) if history else {},
        wins=_contest_wins(people, period) if contests else None,
        deals=won_deals_by_period(people, [period, *prior_periods]) if deals else None,
        ledger=_ledgers([p.pk for p in people], period),
    )
    done = []
    for person in people:
        statement = statement_compute(
            person=person, period=period, plan=plan, prefetched=prefetched
        )
        if statement is not None:
            done.append(statement)
    return done


def close_periods(*, today: datetime.date | None = None, days: int = 7) -> int:
    """Compute the statements of every period that ended in the last `days` days and tell
    each person once that their statement is ready."""
    today = today or timezone.localdate()
    count = 0
    for plan in IncentivePlan.objects.filter(is_current=True, is_active=True):
        periods = Period.objects.filter(
            kind=plan.period_kind,
            end__lt=today,
            end__gte=today - datetime.timedelta(days=days),
        )
        for period in periods:
            done = statements_compute(plan=plan, period=period)
            count += len(done)
            for statement in done:
                notification_send(
                    recipient=statement.person,
                    title=_("Your incentive statement for %(period)s is ready")
                    % {"period": period.label},
                    link=_link(statement),
                    dedupe_key=f"statement:{statement.pk}:ready",
                )
    return count


def _link(statement: Statement) -> str:
    return reverse("incentives:statement-detail", args=[statement.pk])


@recorded(gettext_noop("Approved"))
@transaction.atomic
def statement_approve(*, actor: User, statement: Statement) -> Statement:
    item = Statement.objects.select_for_update().select_related("person").get(pk=statement.pk)
    if not selectors.statement_can_view(actor, item):
        raise PermissionDenied
    if item.status != Statement.Status.DRAFT:
        raise ValidationError({"status": [_("Only draft statements can be approved.")]})
    if not selectors.statement_can_approve(actor, item):
        raise PermissionDenied(_("You may not approve this statement."))
    item.status = Statement.Status.APPROVED
    item.approved_by, item.approved_at = actor, timezone.now()
    item.save(update_fields=["status", "approved_by", "approved_at"])
    notification_send(
        recipient=item.person,
        title=_("Your incentive statement for %(period)s is approved")
        % {"period": item.period.label},
        link=_link(item),
        dedupe_key=f"statement:{item.pk}:approved",
    )
    return item


@recorded(gettext_noop("Marked paid"))
@transaction.atomic
def statement_mark_paid(*, actor: User, statement: Statement) -> Statement:
    item = Statement.objects.select_for_update().select_related("person").get(pk=statement.pk)
    if item.status != Statement.Status.APPROVED:
        raise ValidationError({"status": [_("Only approved statements can be marked paid.")]})
    if not selectors.statement_can_pay(actor, item):
        raise PermissionDenied(_("Only admins mark statements paid."))
    item.status = Statement.Status.PAID
    item.paid_by, item.paid_at = actor, timezone.now()
    item.save(update_fields=["status", "paid_by", "paid_at"])
    return item
