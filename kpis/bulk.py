"""Fast bulk inserts of plain rows: COPY on PostgreSQL, `executemany` elsewhere.

Used where `bulk_create` would spend most of its time preparing values one by one: fact
imports (CRM sync, demo data) and the KPI outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import DateTimeField, DecimalField, Model
from django.utils import timezone


def insert_rows(
    model: type[Model], rows: Sequence[Any], *, batch_size: int = 2000, with_ids: bool = False
) -> None:
    """INSERT rows skipping the ORM's per-value preparation: COPY on PostgreSQL.

    That preparation is most of `bulk_create`'s time for hundreds of thousands of rows; the
    values here are plain ints, strings and dates, so only datetimes (the auto timestamps)
    and decimals (exchange rates) are prepared, once per distinct value. With `with_ids` the
    rows get their primary keys (on PostgreSQL taken from the table's sequence in one query
    and written by COPY; elsewhere through `bulk_create`), so later kinds can point at them.
    """
    if not rows:
        return
    if with_ids and connection.vendor != "postgresql":
        model.objects.bulk_create(rows, batch_size=batch_size)
        return
    fields = [f for f in model._meta.concrete_fields if with_ids or not f.primary_key]
    if with_ids:
        _allocate_ids(model, rows)
    insert_values(model, [f.column for f in fields], _row_values(fields, rows), batch_size)


def insert_values(
    model: type[Model],
    columns: Sequence[str],
    values: Sequence[Sequence[Any]],
    batch_size: int = 2000,
) -> None:
    """Write ready tuples (database values in `columns` order) into the model's table."""
    if not values:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for record in values:
                    copy.write_row(record)
            _analyze_when_grown(cursor, table, len(values))
            return
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
        for start in range(0, len(values), batch_size):
            cursor.executemany(sql, values[start : start + batch_size])


def _allocate_ids(model: type[Model], rows: Sequence[Any]) -> None:
    """Reserve primary keys from the PostgreSQL sequence, as a bulk INSERT … RETURNING would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, len(rows)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
        row._state.adding = False
        row._state.db = connection.alias


def _row_values(fields: Sequence[Any], rows: Sequence[Any]) -> list[tuple[Any, ...]]:
    now = timezone.now()
    prepared: dict[tuple[str, Any], Any] = {}

    def prep(field: Any, value: Any) -> Any:
        key = (field.name, value)
        if key not in prepared:
            prepared[key] = field.get_db_prep_save(value, connection)
        return prepared[key]

    plan = []
    for field in fields:
        if field.is_relation:
            plan.append(("fk", field))
        elif isinstance(field, DateTimeField) and (field.auto_now or field.auto_now_add):
            plan.append(("now", field))
        elif isinstance(field, DateTimeField | DecimalField):
            plan.append(("prep", field))
        else:
            plan.append(("plain", field))
    values = []
    for row in rows:
        record = []
        for how, field in plan:
            if how == "fk":
                related = field.get_cached_value(row, None)
                record.append(related.pk if related is not None else getattr(row, field.attname))
            elif how == "now":
                value = prep(field, now)
                setattr(row, field.attname, now)
                record.append(value)
            else:
                value = getattr(row, field.attname)
                if how == "prep" and value is not None:
                    value = prep(field, value)
                elif isinstance(value, str) and type(value) is not str:
                    value = str(value)  # TextChoices members
                record.append(value)
        values.append(tuple(record))
    return values


# Rows written by COPY per table by this process: (in all, since the last ANALYZE).
_written: dict[str, tuple[int, int]] = {}


def _analyze_when_grown(cursor: Any, table: str, rows: int) -> None:
    """Refresh the planner's statistics after a large load.

    A first sync fills an empty table within seconds, long before autovacuum looks at it;
    planning the next pages' lookups on the empty table's statistics makes them scans of a
    table that has grown to 100,000 rows. ANALYZE runs each time the rows written since the
    last one reach half of all written, so a load of n rows analyses about log2(n) times.
    """
    total, since = _written.get(table, (0, 0))
    total, since = total + rows, since + rows
    if since >= max(2_000, total // 2):
        cursor.execute(f"ANALYZE {table}")
        since = 0
    _written[table] = (total, since)
