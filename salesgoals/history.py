"""Who changed what and why: the actor context of the audit history and its bulk writer.

django-simple-history records a row per `save()`/`delete()` (its request middleware gives the
user of a web request — DRF sets the token user on the same request). Two gaps are closed
here:

* `acting(user, reason)` (or the `@recorded(reason)` decorator of services that take an
  `actor`) says who acts and why for every history row written inside it, also from Celery
  tasks and management commands, where there is no request. The outermost context that
  says who or why wins (a revision's reason stays the reason of the re-split it causes);
  inner ones only fill in what is missing.
* `history_bulk(model, objects, "+"|"~"|"-")` writes the history rows of bulk writes
  (`bulk_create`, `bulk_update`, `QuerySet.update`, COPY, raw deletes), which send no
  signals, in the caller's transaction: COPY on PostgreSQL, `bulk_create` elsewhere.
"""

from __future__ import annotations

import contextvars
import functools
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import connection
from django.db.models import DateTimeField, DecimalField, JSONField, Model
from django.dispatch import receiver
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

__all__ = ["acting", "current_actor", "current_reason", "history_bulk", "recorded"]

REASON_MAX = 100  # simple-history's history_change_reason is a CharField(100)
COPY_FROM = 50  # at least this many rows go in by COPY on PostgreSQL

_context: contextvars.ContextVar[tuple[Any, str] | None] = contextvars.ContextVar(
    "audit_actor", default=None
)

F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def acting(user: Any = None, reason: str = "") -> Iterator[None]:
    """History rows written inside are by `user` (when given) with `reason` (when given)."""
    outer = _context.get()
    outer_user, outer_reason = outer if outer is not None else (None, "")
    if user is not None and not getattr(user, "pk", None):
        user = None  # anonymous or unsaved
    token = _context.set((outer_user or user, (outer_reason or reason)[:REASON_MAX]))
    try:
        yield
    finally:
        _context.reset(token)


def recorded(
    reason: str | Callable[[dict[str, Any]], str] = "", *, actor: str = "actor"
) -> Callable[[F], F]:
    """Run a keyword-only service inside `acting(kwargs[actor], reason)`; `reason` may be a
    function of the keyword arguments."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            why = reason(kwargs) if callable(reason) else reason
            with acting(kwargs.get(actor), why):
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def current_actor() -> Any:
    """The acting user: the innermost `acting` user, else the web request's user, else None."""
    state = _context.get()
    if state is not None and state[0] is not None:
        return state[0]
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def current_reason() -> str:
    state = _context.get()
    return state[1] if state is not None else ""


@receiver(pre_create_historical_record)
def _fill_actor(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    state = _context.get()
    if state is None:
        return
    user, reason = state
    if user is not None:
        history_instance.history_user = user
    if reason and not history_instance.history_change_reason:
        history_instance.history_change_reason = reason


def _converter(field: Any) -> Callable[[Any], Any]:
    """How a tracked value goes into COPY: JSON as text, datetimes and decimals prepared by
    the field, choices as plain strings, the rest (ints, strings, dates, UUIDs) as it is."""
    if isinstance(field, JSONField):
        return lambda v: None if v is None else json.dumps(v, cls=field.encoder)
    if isinstance(field, DateTimeField | DecimalField):
        return lambda v: None if v is None else field.get_db_prep_save(v, connection)
    return lambda v: str(v) if isinstance(v, str) and type(v) is not str else v


def history_bulk(
    model: type[Model],
    objects: Iterable[Model],
    history_type: str,
    *,
    reason: str | None = None,
    user: Any = None,
    extra: Callable[[Model], dict[str, Any]] | None = None,
) -> int:
    """Write one history row per object (as it is now) for a write that sent no signals.

    `history_type` is "+" (created), "~" (changed) or "-" (deleted; pass the objects as they
    were). The user and reason default to the current `acting` context. `extra` gives values
    of history-only fields (e.g. a secrets fingerprint) per object. Returns the rows written.
    """
    objects = list(objects)
    if not objects:
        return 0
    history_model = model.history.model  # type: ignore[attr-defined]
    user = user if user is not None else current_actor()
    reason = (reason if reason is not None else current_reason())[:REASON_MAX] or None
    now = timezone.now()
    tracked = list(history_model.tracked_fields)
    if connection.vendor != "postgresql" or len(objects) < COPY_FROM:
        rows = []
        for obj in objects:
            row = history_model(
                history_date=now,
                history_type=history_type,
                history_user=user,
                history_change_reason=reason,
                **{f.attname: getattr(obj, f.attname) for f in tracked},
                **(extra(obj) if extra else {}),
            )
            rows.append(row)
        history_model.objects.bulk_create(rows, batch_size=1000)
        return len(rows)
    extra_names = list(extra(objects[0])) if extra else []
    columns = [
        history_model._meta.get_field(name).column
        for name in ("history_date", "history_type", "history_user", "history_change_reason")
    ]
    columns += [history_model._meta.get_field(f.name).column for f in tracked]
    columns += [history_model._meta.get_field(name).column for name in extra_names]
    head = (
        now,
        history_type,
        user.pk if user is not None else None,
        reason,
    )
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    table = quote(history_model._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
    ):
        converters = [(f.attname, _converter(f)) for f in tracked]
        for obj in objects:
            values = [convert(getattr(obj, name)) for name, convert in converters]
            more = extra(obj) if extra else {}
            copy.write_row([*head, *values, *(more[n] for n in extra_names)])
    return len(objects)
