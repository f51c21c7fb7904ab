"""Writing a plan's cells: re-split, inline edits with rebalancing, locks, and verification.

Every write goes through `decompose` of the pure engine in one transaction: the new cells
are computed completely first, so an impossible split (locks that exceed what is there)
raises a `ValidationError` naming the owners and periods at fault and changes nothing.
Additive metrics are split; rates are inherited (`engine.inherit`), with edited cells as
overrides.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from salesgoals.history import history_bulk, recorded
from salesgoals.models import Period, User
from targets import rules
from targets.engine import Allocation, OwnerKey, SplitImpossible, decompose, inherit, verify
from targets.models import (
    OwnerMethod,
    OwnerType,
    PeriodMethod,
    PlanEvent,
    SplitProfile,
    TargetLine,
    TargetPlan,
)
from targets.services.audit import event_record
from targets.services.inputs import OwnerSpec, PlanInputs, owner_specs, plan_inputs

__all__ = [
    "CellChange",
    "OwnerChange",
    "cells_diff",
    "plan_cells_update",
    "plan_decompose",
    "plan_lines",
    "plan_owners_update",
    "split_error",
    "verify_plan",
]

BULK_REWRITE = 300  # above this many changed lines, rewrite all lines in one insert


@dataclass(frozen=True)
class CellChange:
    owner: OwnerKey
    period_id: int
    value: int | None = None  # a new value (the cell is locked with it)
    locked: bool | None = None  # lock or unlock without changing the value


def plan_lines(plan: TargetPlan) -> list[TargetLine]:
    return list(plan.lines.order_by("position"))


def _names(plan: TargetPlan, lines: Iterable[TargetLine]) -> dict[OwnerKey, str]:
    return {line.key: line.name for line in lines}


def split_error(exc: SplitImpossible, names: dict[OwnerKey, str]) -> ValidationError:
    """The engine's structured failure as a translated, specific message."""
    labels = dict(Period.objects.filter(pk__in=exc.periods).values_list("pk", "label"))
    if exc.period_id is not None and exc.period_id not in labels:
        labels.update(Period.objects.filter(pk=exc.period_id).values_list("pk", "label"))
    owners = [
        names.get(k, f"{k[0]} {k[1]}") for k in (exc.rows or ([exc.owner] if exc.owner else []))
    ]
    periods = [
        labels.get(p, str(p)) for p in (exc.periods or ([exc.period_id] if exc.period_id else []))
    ]
    message = _(
        "The locked cells do not fit: they need more than there is to split, or leave a "
        "remainder with nowhere to go."
    )
    if owners:
        message += " " + _("Owners: %(owners)s.") % {"owners": ", ".join(owners[:8])}
    if periods:
        message += " " + _("Periods: %(periods)s.") % {"periods": ", ".join(periods[:8])}
    message += " " + _("Unlock some of these cells or change the values.")
    return ValidationError({"cells": [message]}, code="split_impossible")


def _line_shape(line: TargetLine) -> tuple:
    return (
        line.parent_type,
        line.parent_id,
        line.unit_path,
        line.position,
        line.depth,
        line.name,
        line.hire_date,
        line.leave_date,
    )


def _sync_lines(plan: TargetPlan, specs: list[OwnerSpec]) -> list[TargetLine]:
    """Today's owners as lines: existing lines keep their locks, weights and values.

    A line whose place in the tree (or name, or employment dates) changed is marked `moved`,
    so that storing rewrites the lines instead of updating values only.
    """
    existing = {line.key: line for line in plan.lines.all()}
    lines = []
    for position, spec in enumerate(specs):
        line = existing.get(spec.key) or TargetLine(
            plan=plan, owner_type=spec.key[0], owner_id=spec.key[1]
        )
        before = _line_shape(line) if line.pk is not None else None
        line.parent_type = spec.parent[0] if spec.parent else ""
        line.parent_id = spec.parent[1] if spec.parent else None
        line.unit_path = spec.unit_path
        line.position = position
        line.depth = spec.depth
        line.name = spec.name[:200]
        line.hire_date = spec.hire_date
        line.leave_date = spec.leave_date
        line.moved = before != _line_shape(line)
        lines.append(line)
    return lines


def _solve(
    plan: TargetPlan,
    inputs: PlanInputs,
    *,
    from_owner: OwnerKey | None = None,
) -> Allocation:
    names = {k: line.name for k, line in inputs.lines.items()}
    try:
        if plan.metric.is_additive:
            if from_owner is None:
                return decompose(inputs.problem)
            return decompose(inputs.problem, current=inputs.current, from_owner=from_owner)
        return inherit(inputs.problem, inputs.problem.locked)
    except SplitImpossible as exc:
        raise split_error(exc, names) from exc


def cells_diff(before: dict[tuple[OwnerKey, int], int], after: Allocation) -> list[list[int | str]]:
    """[owner_type, owner_id, period_id, before, after] for every changed cell, sorted."""
    out: list[list[int | str]] = []
    for (owner, period_id), value in after.items():
        old = before.get((owner, period_id))
        if old != value:
            out.append([owner[0], owner[1], period_id, old, value])
    for (owner, period_id), old in before.items():
        if (owner, period_id) not in after:
            out.append([owner[0], owner[1], period_id, old, None])
    out.sort(key=lambda row: (row[0], row[1], row[2]))
    return out


SETTINGS_FIELDS = ["values", "locked", "owner_method", "weight", "over_assignment_bp"]
LINE_COLUMNS = (
    "plan_id",
    "owner_type",
    "owner_id",
    "parent_type",
    "parent_id",
    "unit_path",
    "position",
    "depth",
    "name",
    "weight",
    "over_assignment_bp",
    "owner_method",
    "hire_date",
    "leave_date",
    "values",
    "locked",
    "acknowledged_version",
    "acknowledged_at",
)


def _insert_lines(lines: list[TargetLine]) -> None:
    """Insert lines in one go: COPY on PostgreSQL (its JSON escaping is the slow part of a
    bulk INSERT at this size), `bulk_create` elsewhere. Lines keep their primary keys (a
    rewritten line is the same line in the audit history); new lines get theirs first."""
    if connection.vendor != "postgresql":
        TargetLine.objects.bulk_create(lines, batch_size=1000)
        return
    new = [line for line in lines if line.pk is None]
    if new:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [TargetLine._meta.db_table, len(new)],
            )
            for line, (pk,) in zip(new, cursor.fetchall(), strict=True):
                line.pk = pk
    table = TargetLine._meta.db_table
    columns = ", ".join(f'"{c}"' for c in ("id", *LINE_COLUMNS))
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for line in lines:
            copy.write_row(
                [
                    line.pk,
                    *(
                        json.dumps(getattr(line, c))
                        if c in ("values", "locked")
                        else getattr(line, c)
                        for c in LINE_COLUMNS
                    ),
                ]
            )
    for line in new:
        line._state.adding = False


def _delete_lines(queryset) -> None:
    """Delete lines without per-row signals (their history is written in bulk)."""
    queryset._raw_delete(queryset.db)


def _store(
    plan: TargetPlan,
    lines: list[TargetLine],
    allocation: Allocation,
    *,
    touched: Iterable[OwnerKey] = (),
    complete: bool = True,
) -> list[list[int | str]]:
    """Write the allocation into the lines that changed; returns the diff of their cells.

    New or removed owners rewrite the plan's lines; otherwise only changed lines are written
    (re-inserted when there are many, which is cheaper than row-by-row updates). `complete`
    says `lines` are all of the plan's lines (not one subtree's).
    """
    per_line: dict[OwnerKey, dict[str, int]] = {line.key: {} for line in lines}
    for (owner, period_id), value in allocation.items():
        values = per_line.get(owner)
        if values is not None:
            values[str(period_id)] = value
    changed: list[TargetLine] = []
    diff: list[list[int | str]] = []
    touched = set(touched)
    for line in lines:
        values = per_line[line.key]
        if line.pk is not None and line.values == values:
            if line.key in touched:  # locks or settings changed, not the values
                changed.append(line)
            continue
        old = line.values if line.pk is not None else {}
        for period_id in values.keys() | old.keys():
            before, after = old.get(period_id), values.get(period_id)
            if before != after:
                diff.append([line.owner_type, line.owner_id, int(period_id), before, after])
        line.values = values
        changed.append(line)
    diff.sort(key=lambda row: (row[0], row[1], row[2]))
    kept = {line.pk for line in lines if line.pk is not None}
    gone = list(plan.lines.exclude(pk__in=kept)) if complete else []
    added = [line for line in lines if line.pk is None]
    reshaped = complete and (
        bool(added or gone) or any(getattr(line, "moved", False) for line in lines)
    )
    # The history: new owners "+", changed or moved lines "~", owners gone "-".
    history_bulk(TargetLine, gone, "-")
    if reshaped:
        _delete_lines(plan.lines.all())
        rows = lines
        written = {id(line) for line in changed}
        edited = [
            line
            for line in lines
            if line.pk is not None and (id(line) in written or getattr(line, "moved", False))
        ]
    elif len(changed) > BULK_REWRITE:
        _delete_lines(TargetLine.objects.filter(pk__in=[line.pk for line in changed]))
        rows = edited = changed
    else:
        if changed:
            TargetLine.objects.bulk_update(changed, SETTINGS_FIELDS, batch_size=500)
            history_bulk(TargetLine, changed, "~")
        return diff
    _insert_lines(rows)
    history_bulk(TargetLine, added, "+")
    history_bulk(TargetLine, edited, "~")
    return diff


def _store_locks(
    lines: list[TargetLine], relocked: set[OwnerKey], stored: list[TargetLine]
) -> None:
    """Save the locks of lines whose locks changed but were not written with the cells."""
    written = {line.key for line in stored}
    rest = [line for line in lines if line.key in relocked and line.key not in written]
    if rest:
        TargetLine.objects.bulk_update(rest, ["locked"], batch_size=500)
        history_bulk(TargetLine, rest, "~")


def _small_summary(diff: list[list[int | str]], limit: int = 200) -> dict:
    return {"changed_cells": len(diff), "cells": diff[:limit], "truncated": len(diff) > limit}


@recorded(gettext_noop("Re-split"))
@transaction.atomic
def plan_decompose(
    *,
    plan: TargetPlan,
    actor: User | None,
    period_method: str | None = None,
    owner_method: str | None = None,
    profile: SplitProfile | None = None,
    owner: OwnerKey | None = None,
    force: bool = False,
) -> dict[str, int]:
    """Re-split the plan (or the part strictly below `owner`) with its methods, keeping locks.

    Also brings the owners up to date with the org tree (new reps get lines, people who left
    the subtree lose theirs). `force` skips the draft check (used by revisions and imports).
    """
    plan = (
        TargetPlan.objects.select_for_update(of=("self",))
        .select_related("metric", "fiscal_year", "org_unit", "profile")
        .get(pk=plan.pk)
    )
    if not force and not plan.is_editable:
        raise ValidationError(
            {"status": [_("Only a draft can be re-split; approved plans change by revision.")]}
        )
    before_fields = {"period_method": plan.period_method, "owner_method": plan.owner_method}
    if period_method is not None and period_method not in PeriodMethod.values:
        raise ValidationError({"period_method": [_("Unknown period split.")]})
    if owner_method is not None and owner_method not in OwnerMethod.values:
        raise ValidationError({"owner_method": [_("Unknown owner split.")]})
    if owner is None or owner == (OwnerType.UNIT, plan.org_unit_id):
        owner = None
        plan.period_method = period_method or plan.period_method
        plan.owner_method = owner_method or plan.owner_method
        if profile is not None:
            plan.profile = profile
        if plan.period_method == PeriodMethod.PROFILE and plan.profile is None:
            raise ValidationError({"profile": [_("Choose a profile for the profile split.")]})
        plan.save(update_fields=["period_method", "owner_method", "profile", "updated_at"])
    specs = owner_specs(plan)
    lines = _sync_lines(plan, specs)
    by_key = {line.key: line for line in lines}
    if owner is not None:
        line = by_key.get(owner)
        if line is None or line.owner_type != OwnerType.UNIT:
            raise ValidationError({"owner": [_("This unit is not part of the plan.")]})
        if owner_method is not None:
            line.owner_method = "" if owner_method == plan.owner_method else owner_method
    inputs = plan_inputs(plan, lines=lines, specs=specs)
    new_owners = any(line.pk is None for line in lines)
    allocation = _solve(plan, inputs, from_owner=None if new_owners else owner)
    diff = _store(plan, lines, allocation, touched=[owner] if owner is not None else [])
    changed = len({(row[0], row[1]) for row in diff})
    event_record(
        plan=plan,
        action=PlanEvent.Action.DECOMPOSED,
        actor=actor,
        before=before_fields,
        after={
            "period_method": plan.period_method,
            "owner_method": plan.owner_method,
            "owner": list(owner) if owner else None,
            **_small_summary(diff),
        },
    )
    return {"lines": len(lines), "changed_lines": changed, "changed_cells": len(diff)}


def _validate_changes(
    plan: TargetPlan, user: User | None, changes: list[CellChange], lines: dict, periods: set[int]
) -> None:
    errors: list[str] = []
    for change in changes:
        line = lines.get(change.owner)
        if line is None:
            errors.append(_("%(owner)s is not part of this plan.") % {"owner": change.owner[1]})
            continue
        if change.period_id not in periods:
            errors.append(_("Unknown period %(period)s.") % {"period": change.period_id})
            continue
        if change.value is not None and (
            isinstance(change.value, bool) or not isinstance(change.value, int) or change.value < 0
        ):
            errors.append(_("A cell must be a whole, non-negative number."))
        if user is not None and not rules.can_edit_line(user, plan, line):
            raise PermissionDenied(
                _("You may not change the cells of %(owner)s.") % {"owner": line.name}
            )
    if errors:
        raise ValidationError({"cells": errors})


def _rebalance_root(
    changes: list[CellChange], lines: dict[OwnerKey, TargetLine]
) -> OwnerKey | None:
    """The owner below which the change rebalances, or None for a full re-split."""
    parents = set()
    for change in changes:
        if change.value is None:
            continue
        line = lines[change.owner]
        if line.parent_key is None:
            return None
        parents.add(line.parent_key)
    return parents.pop() if len(parents) == 1 else None


@recorded(
    lambda kw: (
        gettext_noop("Imported from Excel")
        if kw.get("source") == "import"
        else gettext_noop("Cells edited")
    )
)
@transaction.atomic
def plan_cells_update(
    *, plan: TargetPlan, actor: User | None, changes: list[CellChange], source: str = "edit"
) -> dict[str, object]:
    """Set values (which locks them) and locks; unlocked siblings rebalance at once.

    Raises `PermissionDenied` for cells outside the actor's subtree and `ValidationError` for
    bad values or locks that make the split impossible; nothing is written then.
    """
    plan = (
        TargetPlan.objects.select_for_update(of=("self",))
        .select_related("metric", "fiscal_year", "org_unit", "profile")
        .get(pk=plan.pk)
    )
    if not plan.is_editable:
        raise ValidationError(
            {"status": [_("Only a draft can be edited; approved plans change by revision.")]}
        )
    owners = Q(pk__in=[])
    for owner_type, owner_id in {c.owner for c in changes}:
        owners |= Q(owner_type=owner_type, owner_id=owner_id)
    edited = {line.key: line for line in plan.lines.filter(owners)}
    periods = set(plan.fiscal_year.periods.values_list("pk", flat=True))
    _validate_changes(plan, actor, changes, edited, periods)
    # Read only what moves: the subtree below the edited owners' parent (or everything).
    below = _rebalance_root(changes, edited)
    if below is not None:
        parent = plan.lines.get(owner_type=below[0], owner_id=below[1])
        lines = list(plan.lines.filter(unit_path__startswith=parent.unit_path).order_by("position"))
    elif any(c.value is not None for c in changes):
        lines = plan_lines(plan)
    else:
        lines = list(edited.values())
    by_key = {line.key: line for line in lines}
    year_id = plan.fiscal_year.periods.get(kind="year").pk
    root = (OwnerType.UNIT, plan.org_unit_id)
    total = plan.value
    before = {line.key: dict(line.values) for line in lines}
    relocked: set[OwnerKey] = set()
    for change in changes:
        line = by_key[change.owner]
        relocked.add(line.key)
        locked = set(line.locked)
        if change.value is not None:
            if change.owner == root and change.period_id == year_id:
                total = change.value
            else:
                line.values = {**line.values, str(change.period_id): change.value}
                locked.add(change.period_id)
        if change.locked is True:
            locked.add(change.period_id)
        elif change.locked is False:
            locked.discard(change.period_id)
        line.locked = sorted(locked)
    if any(c.value is not None for c in changes):
        solved = lines
        if below is None:
            inputs = plan_inputs(plan, lines=lines, total=total)
        else:
            # Only the part below the edited owners' parent moves: solve that subtree alone.
            prefix = by_key[below].unit_path
            solved = [line for line in lines if line.unit_path.startswith(prefix)]
            solved.sort(key=lambda line: line.key != below)  # the subtree's root first
            inputs = plan_inputs(
                plan,
                lines=solved,
                total=by_key[below].value_of(year_id),
                plan_root=by_key.get(root) or plan.lines.get(owner_type=root[0], owner_id=root[1]),
            )
        allocation = _solve(plan, inputs, from_owner=below)
        for line in solved:  # what the solve computed, written back with the previous values
            line.values = before[line.key]
        diff = _store(plan, solved, allocation, touched=relocked, complete=below is None)
        if below is not None:
            _store_locks(lines, relocked, solved)
    else:
        diff = []
        _store_locks(lines, relocked, [])
    if total != plan.value:
        plan.value = total
        plan.save(update_fields=["value", "updated_at"])
    event_record(
        plan=plan,
        action=PlanEvent.Action.IMPORTED if source == "import" else PlanEvent.Action.CELLS_EDITED,
        actor=actor,
        before={},
        after={
            "edits": [[c.owner[0], c.owner[1], c.period_id, c.value, c.locked] for c in changes][
                :200
            ],
            **_small_summary(diff),
        },
    )
    return {"changed_cells": len(diff), "diff": diff}


def verify_plan(plan: TargetPlan) -> list[str]:
    """Every invariant of DOMAIN.md checked on the stored cells (empty list = all hold)."""
    lines = plan_lines(plan)
    inputs = plan_inputs(plan, lines=lines)
    allocation = {(line.key, int(p)): int(v) for line in lines for p, v in line.values.items()}
    if not plan.metric.is_additive:
        expected = inherit(inputs.problem, inputs.problem.locked)
        return [
            f"{key}: {allocation.get(key)} != inherited {value}"
            for key, value in expected.items()
            if allocation.get(key) != value
        ]
    return verify(inputs.problem, allocation)


@dataclass(frozen=True)
class OwnerChange:
    owner: OwnerKey
    weight: int | None = None  # potential among siblings (method "weights")
    over_assignment_bp: int | None = None  # a unit's children add up to this share of it
    owner_method: str | None = None  # how this unit splits among its children ("" = plan's)


def _owner_errors(plan: TargetPlan, change: OwnerChange, line: TargetLine | None) -> list[str]:
    if line is None:
        return [_("%(owner)s is not part of this plan.") % {"owner": change.owner[1]}]
    errors = []
    if change.weight is not None and not 0 <= change.weight <= 1_000_000:
        errors.append(_("A weight must be between 0 and 1,000,000."))
    if change.over_assignment_bp is not None:
        if line.owner_type != OwnerType.UNIT:
            errors.append(_("Only units have an over-assignment."))
        elif not 10000 <= change.over_assignment_bp <= 20000:
            errors.append(
                _("Over-assignment must be between %(low)s and %(high)s.")
                % {"low": "100%", "high": "200%"}
            )
    if change.owner_method is not None and change.owner_method not in ("", *OwnerMethod.values):
        errors.append(_("Unknown owner split."))
    return errors


@recorded(gettext_noop("Split settings changed"))
@transaction.atomic
def plan_owners_update(
    *, plan: TargetPlan, actor: User, changes: list[OwnerChange]
) -> dict[str, int]:
    """Set weights, per-unit over-assignment and owner splits, then re-split what they affect.

    A weight changes how the owner's parent splits, so it needs the right to edit the owner's
    cells; a unit's over-assignment and split change its children, so they need the right to
    edit those (its subtree).
    """
    plan = (
        TargetPlan.objects.select_for_update(of=("self",))
        .select_related("org_unit")
        .get(pk=plan.pk)
    )
    if not plan.is_editable:
        raise ValidationError({"status": [_("Only a draft can be changed.")]})
    lines = {line.key: line for line in plan.lines.all()}
    errors: list[str] = []
    below: set[OwnerKey | None] = set()
    edited: list[TargetLine] = []
    root = (OwnerType.UNIT, plan.org_unit_id)
    for change in changes:
        line = lines.get(change.owner)
        problems = _owner_errors(plan, change, line)
        if problems:
            errors.extend(problems)
            continue
        assert line is not None
        if change.weight is not None:
            if not rules.can_edit_line(actor, plan, line):
                raise PermissionDenied(
                    _("You may not change the split of %(owner)s.") % {"owner": line.name}
                )
            line.weight = change.weight
            below.add(line.parent_key)
            edited.append(line)
        if change.over_assignment_bp is not None or change.owner_method is not None:
            child = next((c for c in lines.values() if c.parent_key == line.key), None)
            allowed = (
                rules.can_manage(actor, plan)
                if line.key == root
                else child is not None and rules.can_edit_line(actor, plan, child)
            )
            if not allowed:
                raise PermissionDenied(
                    _("You may not change the split below %(owner)s.") % {"owner": line.name}
                )
            if change.over_assignment_bp is not None:
                if line.key == root:
                    plan.over_assignment_bp = change.over_assignment_bp
                    plan.save(update_fields=["over_assignment_bp", "updated_at"])
                line.over_assignment_bp = change.over_assignment_bp
            if change.owner_method is not None:
                line.owner_method = change.owner_method
            below.add(line.key)
            edited.append(line)
    if errors:
        raise ValidationError({"owners": errors})
    edited = list({id(line): line for line in edited}.values())
    TargetLine.objects.bulk_update(
        edited, ["weight", "over_assignment_bp", "owner_method"], batch_size=500
    )
    history_bulk(TargetLine, edited, "~")
    owner = next(iter(below)) if len(below) == 1 else None
    return plan_decompose(plan=plan, actor=actor, owner=owner if owner != root else None)
