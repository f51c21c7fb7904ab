"""The audit list: every audited history table merged newest first, and what each entry changed.

`entry_rows` is one UNION ALL of (date, model, history id) over the chosen history tables,
each filtered by the same `AuditFilter`, ordered newest first; the database pages it (LIMIT /
OFFSET; PostgreSQL merges the tables' history_date indexes). `describe` turns a page of those
rows into entries with a constant number of queries whatever the page size: per model on the
page one query for its rows (joined with what its label needs, and the id of each row's
previous version) and one for those previous versions; then one for the people and one for
the period labels. The diff of a change is previous version → this one, field by field;
JSON maps (a target line's cells) are compared key by key.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import CharField, OuterRef, QuerySet, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesgoals.models import Period, User
from salesgoals.money import from_minor

from .registry import BY_KEY, Audited, selected

ACTIONS = {
    "+": gettext_lazy("Created"),
    "~": gettext_lazy("Changed"),
    "-": gettext_lazy("Deleted"),
}
IGNORED = {"updated_at"}  # changes with every save; says nothing
MAX_KEYS = 20  # per JSON field and entry; the rest is counted
MAX_TEXT = 200


@dataclass
class Change:
    field: str
    label: str
    old: str
    new: str


@dataclass
class Entry:
    model: str
    model_label: str
    history_id: int
    object_id: int
    object: str
    action: str
    action_label: str
    date: datetime.datetime
    user_id: int | None
    user: str
    reason: str
    changes: list[Change] = field(default_factory=list)

    @property
    def changes_text(self) -> str:
        return "; ".join(f"{c.label}: {c.old or '—'} → {c.new or '—'}" for c in self.changes)


def entry_rows(filterset: Any) -> QuerySet:
    """(history_date, history_id, model_key) of every matching history row, newest first.

    `filterset` is a valid `audit.filters.AuditFilter`; its model and area choose the tables,
    the other filters apply to each table.
    """
    data = filterset.form.cleaned_data
    branches = []
    for entry in selected(data.get("model"), data.get("area")):
        queryset = filterset.filter_queryset(entry.history.objects.all())
        branches.append(
            queryset.order_by()
            .annotate(model_key=Value(entry.key, output_field=CharField()))
            .values("history_date", "history_id", "model_key")
        )
    first, *rest = branches
    rows = first.union(*rest, all=True) if rest else first
    return rows.order_by("-history_date", "-history_id", "model_key")


# --- Describing a page ----------------------------------------------------------------------


@dataclass
class _Raw:
    entry: Audited
    row: Any
    changes: list[tuple[Any, Any, Any, Any]]  # (field, key or None, old, new)


def _fields(entry: Audited) -> list[Any]:
    pk = entry.model._meta.pk.name
    fields = [f for f in entry.history.tracked_fields if f.name != pk and f.name not in IGNORED]
    return fields + [entry.history._meta.get_field(name) for name in entry.history_only]


def _empty(value: Any) -> bool:
    return value is None or value in ("", [], {})


def _raw_changes(entry: Audited, row: Any, prev: Any) -> list[tuple[Any, Any, Any, Any]]:
    out: list[tuple[Any, Any, Any, Any]] = []
    for f in _fields(entry):
        new = getattr(row, f.attname)
        if row.history_type == "~":
            if prev is None:
                continue
            old = getattr(prev, f.attname)
        elif row.history_type == "+":
            old = None
        else:
            old, new = new, None
        if old == new or (row.history_type != "~" and _empty(old) and _empty(new)):
            continue
        if row.history_type == "~" and isinstance(old, dict) and isinstance(new, dict):
            keys = sorted(old.keys() | new.keys(), key=lambda k: (len(str(k)), str(k)))
            for key in keys:
                if old.get(key) != new.get(key):
                    out.append((f, key, old.get(key), new.get(key)))
            continue
        out.append((f, None, old, new))
    return out


def _fetch(entry: Audited, ids: Sequence[int]) -> tuple[list[Any], dict[int, Any]]:
    """The page's rows of one history table and the previous version of each changed one."""
    history = entry.history
    pk = entry.model._meta.pk.attname
    previous = (
        history.objects.filter(**{pk: OuterRef(pk)}, history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
        .values("history_id")[:1]
    )
    rows = list(
        history.objects.filter(history_id__in=ids)
        .select_related(*entry.related)
        .annotate(prev_id=Subquery(previous))
    )
    wanted = [r.prev_id for r in rows if r.prev_id is not None and r.history_type == "~"]
    prev = history.objects.in_bulk(wanted) if wanted else {}
    return rows, prev


def _format(f: Any, value: Any, users: dict[int, str]) -> str:
    if value is None or value == "":
        return ""
    if f.is_relation:
        if f.related_model is User:
            return users.get(value, f"#{value}")
        return f"#{value}"
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if f.name.endswith("_minor") and isinstance(value, int):
        return str(from_minor(value))
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)
    else:
        text = str(value)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _period_ids(raws: Iterable[_Raw]) -> set[int]:
    ids: set[int] = set()
    for raw in raws:
        for f, key, old, new in raw.changes:
            if f.name not in raw.entry.period_keys:
                continue
            if key is not None and str(key).isdigit():
                ids.add(int(key))
            elif isinstance(old, list) or isinstance(new, list):
                ids.update(int(p) for p in (old or []) + (new or []) if str(p).isdigit())
    return ids


def _changes(raw: _Raw, users: dict[int, str], periods: dict[int, str]) -> list[Change]:
    out: list[Change] = []
    per_field: dict[str, int] = defaultdict(int)
    for f, key, old, new in raw.changes:
        label = str(f.verbose_name)
        periodic = f.name in raw.entry.period_keys
        if key is not None:
            per_field[f.name] += 1
            if per_field[f.name] > MAX_KEYS:
                continue
            name = periods.get(int(key), str(key)) if periodic and str(key).isdigit() else key
            out.append(Change(f"{f.name}[{key}]", f"{label} · {name}", *_pair(f, old, new, users)))
            continue
        if periodic and isinstance(old, list | None) and isinstance(new, list | None):
            removed = [p for p in old or [] if p not in (new or [])]
            added = [p for p in new or [] if p not in (old or [])]
            if raw.row.history_type == "~":
                old_text = ", ".join(periods.get(int(p), str(p)) for p in removed)
                new_text = ", ".join(periods.get(int(p), str(p)) for p in added)
                out.append(
                    Change(f.name, label, old_text and "−" + old_text, new_text and "+" + new_text)
                )
                continue
        if isinstance(old, dict | list) and raw.row.history_type != "~":
            count = _("%(count)s entries") % {"count": len(old)}
            out.append(Change(f.name, label, count, ""))
            continue
        if isinstance(new, dict | list) and raw.row.history_type != "~":
            count = _("%(count)s entries") % {"count": len(new)}
            out.append(Change(f.name, label, "", count))
            continue
        out.append(Change(f.name, label, *_pair(f, old, new, users)))
    for name, count in per_field.items():
        if count > MAX_KEYS:
            more = _("… and %(count)s more") % {"count": count - MAX_KEYS}
            out.append(Change(name, more, "", ""))
    return out


def _pair(f: Any, old: Any, new: Any, users: dict[int, str]) -> tuple[str, str]:
    return _format(f, old, users), _format(f, new, users)


def describe(rows: Sequence[dict[str, Any]]) -> list[Entry]:
    """Entries for rows of `entry_rows`, in their order (a bounded number of queries)."""
    by_model: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        by_model[row["model_key"]].append(row["history_id"])
    raws: dict[tuple[str, int], _Raw] = {}
    user_ids: set[int] = set()
    for key, ids in by_model.items():
        entry = BY_KEY[key]
        found, prev = _fetch(entry, ids)
        for row in found:
            raw = _Raw(entry, row, _raw_changes(entry, row, prev.get(row.prev_id)))
            raws[(key, row.history_id)] = raw
            if row.history_user_id:
                user_ids.add(row.history_user_id)
            for f, _key, old, new in raw.changes:
                if f.is_relation and f.related_model is User:
                    user_ids.update(v for v in (old, new) if isinstance(v, int))
    users = (
        {
            u.pk: u.display
            for u in User.objects.filter(pk__in=user_ids).only(
                "id", "username", "display_name", "first_name", "last_name"
            )
        }
        if user_ids
        else {}
    )
    period_ids = _period_ids(raws.values())
    periods = (
        dict(Period.objects.filter(pk__in=period_ids).values_list("pk", "label"))
        if period_ids
        else {}
    )
    out = []
    for row in rows:
        raw = raws.get((row["model_key"], row["history_id"]))
        if raw is None:
            continue  # deleted between the two queries
        h = raw.row
        reason = h.history_change_reason or ""
        out.append(
            Entry(
                model=raw.entry.key,
                model_label=raw.entry.title,
                history_id=h.history_id,
                object_id=getattr(h, raw.entry.model._meta.pk.attname),
                object=str(raw.entry.label(h)),
                action=h.history_type,
                action_label=str(ACTIONS.get(h.history_type, h.history_type)),
                date=h.history_date,
                user_id=h.history_user_id,
                user=users.get(h.history_user_id, "") if h.history_user_id else "",
                reason=_(reason) if reason else "",
                changes=_changes(raw, users, periods),
            )
        )
    return out


def describe_all(rows: QuerySet, *, limit: int, chunk: int = 1000) -> Iterator[Entry]:
    """Entries of the first `limit` rows, described `chunk` at a time (exports)."""
    for start in range(0, limit, chunk):
        page = list(rows[start : min(start + chunk, limit)])
        if not page:
            return
        yield from describe(page)
        if len(page) < chunk:
            return
