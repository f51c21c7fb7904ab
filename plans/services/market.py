"""Writes of the market change log (快速响应市场变化) and the revisions it proposes.

`market_change_create` logs an event with its expected impacts (signed basis points per
metric). `market_change_propose_revision` turns one impact into a target revision of an
approved plan through `targets.services.revision_propose`, so approval stays in the targets
workflow (`revision_approve`, by someone other than the proposer).

How "scale the future cells of this subtree by (1 + impact)" is expressed through the revision
service (`revision_cells`): the affected unit's cells from the effective date are scaled with the
engine's exact-sum rounding — the unit's future part of the year is rounded half up once, then
each quarter's, month's and week's future part is apportioned from its scaled parent by the
engine's `split` (largest remainders), so the row stays period-consistent; every ancestor up to
the plan's root takes the same change (Σ children = parent), and the plan's annual value moves
by the unit's annual change. These unit and ancestor cells become the revision's cell changes
(locked, like every explicit revision cell); the revision service re-splits the unit's subtree
from its new row by the plan's methods, and since the ancestors are fixed, the siblings and
everything outside the affected branch keep their cells. Periods that ended before the
effective date are frozen by the revision itself (`keep_past`).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from plans import selectors
from plans.models import Feedback, MarketChange, MarketChangeImpact, MarketChangeRevision
from plans.selectors import market as market_selectors
from salesgoals.models import Metric, OrgUnit, PeriodKind, User
from salesgoals.selectors import period_tree
from targets import selectors as target_selectors
from targets import services as target_services
from targets.engine import split
from targets.models import TargetPlan, TargetRevision

__all__ = [
    "Impact",
    "market_change_create",
    "market_change_propose_revision",
    "market_change_update",
    "revision_cells",
]

FULL_BP = 10000


def percent_text(impact_bp: int) -> str:
    """Signed basis points as a percentage: -1000 → "-10.00%"."""
    value = Decimal(impact_bp).scaleb(-2).quantize(Decimal("0.01"))
    return f"{'+' if value > 0 else ''}{value}%"


@dataclass(frozen=True)
class Impact:
    metric: Metric
    impact_bp: int  # signed: -1000 = -10%


def _validate(
    *,
    actor: User,
    date: datetime.date | None,
    org_unit: OrgUnit | None,
    title: str,
    description: str,
    category: str,
    effective_from: datetime.date | None,
    impacts: list[Impact],
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if date is None:
        errors["date"] = [_("Give the date of the change.")]
    if org_unit is None:
        errors["org_unit"] = [_("Choose the region or unit affected.")]
    elif not market_selectors.market_can_edit_unit(actor, org_unit):
        errors["org_unit"] = [_("This unit is outside your scope.")]
    if not title:
        errors["title"] = [_("Give the change a short title.")]
    elif len(title) > 200:
        errors["title"] = [_("Keep the title to 200 characters.")]
    if not description:
        errors["description"] = [_("Describe the change.")]
    if category not in MarketChange.Category.values:
        errors["category"] = [_("Choose a category.")]
    if effective_from is None:
        errors["effective_from"] = [_("Give the date from which the impact applies.")]
    elif date is not None and effective_from < date - datetime.timedelta(days=366):
        errors["effective_from"] = [
            _("The impact cannot start more than a year before the change.")
        ]
    if not impacts:
        errors["impacts"] = [_("Give the expected impact on at least one metric.")]
    seen: set[int] = set()
    for impact in impacts:
        if impact.metric.pk in seen:
            errors["impacts"] = [_("Give each metric once.")]
        seen.add(impact.metric.pk)
        if not -FULL_BP < impact.impact_bp <= 10 * FULL_BP:
            errors["impacts"] = [_("An impact must lie above −100% and at most +1000%.")]
        elif impact.impact_bp == 0:
            errors["impacts"] = [_("An impact of zero changes nothing; leave the metric out.")]
    return errors


@transaction.atomic
def market_change_create(
    *,
    actor: User,
    date: datetime.date | None,
    org_unit: OrgUnit | None,
    title: str,
    description: str,
    category: str,
    effective_from: datetime.date | None,
    impacts: list[Impact],
    feedback: Feedback | None = None,
) -> MarketChange:
    """Log a market change; managers for their subtree, executives and admins anywhere."""
    if not market_selectors.market_can_create(actor):
        raise PermissionDenied(_("Only managers, executives and admins log market changes."))
    title, description = (title or "").strip(), (description or "").strip()
    errors = _validate(
        actor=actor,
        date=date,
        org_unit=org_unit,
        title=title,
        description=description,
        category=category,
        effective_from=effective_from,
        impacts=impacts,
    )
    if feedback is not None and not selectors.feedback_can_view(actor, feedback):
        errors["feedback"] = [_("This feedback is outside your scope.")]
    if errors:
        raise ValidationError(errors)
    change = MarketChange.objects.create(
        date=date,
        org_unit=org_unit,
        title=title,
        description=description,
        category=category,
        effective_from=effective_from,
        feedback=feedback,
        author=actor,
    )
    MarketChangeImpact.objects.bulk_create(
        MarketChangeImpact(market_change=change, metric=i.metric, impact_bp=i.impact_bp)
        for i in impacts
    )
    return change


@transaction.atomic
def market_change_update(
    *,
    actor: User,
    market_change: MarketChange,
    date: datetime.date | None,
    org_unit: OrgUnit | None,
    title: str,
    description: str,
    category: str,
    effective_from: datetime.date | None,
    impacts: list[Impact],
) -> MarketChange:
    """Change the entry and its impacts; revisions already proposed keep their cells."""
    change = MarketChange.objects.select_for_update().get(pk=market_change.pk)
    if not market_selectors.market_can_edit(actor, change):
        raise PermissionDenied(_("You may not change this market change."))
    title, description = (title or "").strip(), (description or "").strip()
    errors = _validate(
        actor=actor,
        date=date,
        org_unit=org_unit,
        title=title,
        description=description,
        category=category,
        effective_from=effective_from,
        impacts=impacts,
    )
    if errors:
        raise ValidationError(errors)
    change.date, change.org_unit, change.title = date, org_unit, title
    change.description, change.category = description, category
    change.effective_from = effective_from
    change.save()
    change.impacts.all().delete()
    MarketChangeImpact.objects.bulk_create(
        MarketChangeImpact(market_change=change, metric=i.metric, impact_bp=i.impact_bp)
        for i in impacts
    )
    return change


def _scaled(value: int, impact_bp: int) -> int:
    """value × (1 + impact), rounded half up, in integers."""
    num = value * (FULL_BP + impact_bp)
    return (2 * num + FULL_BP) // (2 * FULL_BP)


def revision_cells(
    *, plan: TargetPlan, unit: OrgUnit, impact_bp: int, effective_date: datetime.date
) -> tuple[int | None, list[target_services.RevisionCell]]:
    """The new annual value (None for rates) and the cell changes that scale `unit`'s future
    cells.

    See the module docstring. Raises `ValidationError` when the unit is not in the plan, an
    ancestor over-assigns (its children do not add up to it one to one), or nothing is left to
    scale after the effective date.
    """
    lines = {line.key: line for line in target_services.plan_lines(plan)}
    key = ("unit", unit.pk)
    line = lines.get(key)
    if line is None:
        raise ValidationError({"plan": [_("%(unit)s is not part of this plan.") % {"unit": unit}]})
    periods = period_tree(plan.fiscal_year)
    children: dict[int, list[int]] = defaultdict(list)
    for period in periods:
        if period.parent_id is not None:
            children[period.parent_id].append(period.pk)
    future = {p.pk for p in periods if p.end >= effective_date}
    if not future:
        raise ValidationError(
            {"effective_from": [_("The plan's year has ended before the effective date.")]}
        )
    if not plan.metric.is_additive:
        # A rate is inherited, not summed: the unit's own future cells are scaled one by one
        # and its subtree inherits them; nothing above it moves.
        return None, [
            target_services.RevisionCell(
                owner=key, period_id=pid, value=_scaled(line.value_of(pid), impact_bp)
            )
            for pid in sorted(future)
        ]
    # The unit's future part of every period: its future weeks, summed up the period tree.
    part: dict[int, int] = {}
    for period in sorted(periods, key=lambda p: PeriodKind.values.index(p.kind), reverse=True):
        if period.kind == PeriodKind.WEEK:
            part[period.pk] = line.value_of(period.pk) if period.pk in future else 0
        else:
            part[period.pk] = sum(part[c] for c in children[period.pk])
    year = next(p for p in periods if p.kind == PeriodKind.YEAR)
    scaled = {year.pk: _scaled(part[year.pk], impact_bp)}
    for period in periods:  # parents come before their children
        kids = children.get(period.pk)
        if kids:
            weights = [part[c] for c in kids]
            if not any(weights):
                weights = [1 if c in future else 0 for c in kids]
            for c, v in zip(kids, split(scaled[period.pk], weights), strict=True):
                scaled[c] = v
    change = {pid: scaled[pid] - part[pid] for pid in part}
    root = ("unit", plan.org_unit_id)
    branch = [line]
    while branch[-1].parent_key is not None:
        parent = lines[branch[-1].parent_key]
        if parent.over_assignment_bp != FULL_BP:
            raise ValidationError(
                {
                    "plan": [
                        _(
                            "%(unit)s over-assigns to its children, so a change below it "
                            "cannot be passed up one to one; revise the plan by hand."
                        )
                        % {"unit": parent.name}
                    ]
                }
            )
        branch.append(parent)
    cells = []
    for owner in branch:
        for pid in sorted(future):
            if owner.key == root and pid == year.pk:
                continue  # the root's year is the revision's new annual value
            cells.append(
                target_services.RevisionCell(
                    owner=owner.key, period_id=pid, value=owner.value_of(pid) + change[pid]
                )
            )
    return plan.value + change[year.pk], cells


@transaction.atomic
def market_change_propose_revision(
    *,
    actor: User,
    market_change: MarketChange,
    plan: TargetPlan,
    effective_date: datetime.date | None = None,
    reason: str = "",
) -> TargetRevision:
    """Propose a revision of `plan` scaling the change's unit by the impact on the plan's
    metric, from the effective date (default: the change's). The link is stored."""
    change = MarketChange.objects.select_related("org_unit").get(pk=market_change.pk)
    plan = TargetPlan.objects.select_related("metric", "fiscal_year").get(pk=plan.pk)
    if not market_selectors.market_can_view(actor, change):
        raise PermissionDenied
    if not target_selectors.plans_visible(actor).filter(pk=plan.pk).exists():
        raise PermissionDenied(_("You may not revise this plan."))
    impact = change.impacts.filter(metric_id=plan.metric_id).first()
    if impact is None:
        raise ValidationError(
            {"plan": [_("This market change has no expected impact on the plan's metric.")]}
        )
    effective = effective_date or change.effective_from
    if not plan.fiscal_year.start <= effective <= plan.fiscal_year.end:
        raise ValidationError(
            {"effective_date": [_("The effective date must fall in the plan's fiscal year.")]}
        )
    if not plan.is_published:
        raise ValidationError({"plan": [_("Only approved or active plans are revised.")]})
    new_value, cells = revision_cells(
        plan=plan, unit=change.org_unit, impact_bp=impact.impact_bp, effective_date=effective
    )
    default_reason = _("Market change: %(title)s (%(impact)s on %(unit)s from %(date)s)") % {
        "title": change.title,
        "impact": percent_text(impact.impact_bp),
        "unit": change.org_unit.name,
        "date": effective.isoformat(),
    }
    revision = target_services.revision_propose(
        plan=plan,
        actor=actor,
        effective_date=effective,
        reason=(reason or "").strip() or default_reason,
        mode=TargetRevision.Mode.KEEP_PAST,
        new_value=new_value,
        cells=cells,
        source_ref=change.source_ref,
        unit=change.org_unit,
    )
    MarketChangeRevision.objects.create(market_change=change, revision=revision)
    return revision
