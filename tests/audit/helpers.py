"""Reading the audit history in tests: history rows of a model, and an entry's diff."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from audit.selectors import Entry, describe


def history(model: type[Model], **filters: Any) -> list[Any]:
    return list(model.history.filter(**filters).order_by("history_id"))  # type: ignore[attr-defined]


def entry_of(row: Any) -> Entry:
    """The audit list's entry (with its diff) for one history row."""
    key = row.instance._meta.label_lower
    (entry,) = describe([{"model_key": key, "history_id": row.history_id}])
    return entry


def changed(entry: Entry) -> dict[str, tuple[str, str]]:
    return {c.field: (c.old, c.new) for c in entry.changes}
