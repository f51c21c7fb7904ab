"""Sync runs: request, lock, page loop with per-page commits, resume, deletions, users.

A run walks the enabled objects in dependency order (customers before the deals that point
at them). Every page is one transaction: the facts it changes, its errors, the run's counters
and the object's cursor commit together, so a run killed at any point resumes at the first
page not yet committed, and re-reading a page is harmless (upserts are keyed by CRM id).

The watermark of a pass is the highest modified time seen, but never later than the pass's
start: a record changed while the pass was reading is read again next time, never lost.
Incremental passes start `OVERLAP_SECONDS` before the watermark.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.core.cache import cache
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm_sync.defaults import KIND_ORDER
from crm_sync.models import Connection, CrmUser, ObjectMapping, SyncError, SyncRun, SyncState
from crm_sync.providers import BaseProvider, CrmError, CursorExpired, provider_for
from crm_sync.providers.base import conf
from salesgoals import dispatch
from salesgoals.history import acting
from salesgoals.models import User

from .ingest import MODELS, Context, PageResult, delete_by_ids, ingest_page

log = logging.getLogger("crm_sync")

ProviderFactory = Callable[[Connection], BaseProvider]


# --- Lock -------------------------------------------------------------------------------------


class RunLock:
    """One run per connection at a time: a key in the shared cache (Redis, or local memory in
    the embedded single-process mode) holding the run id, kept alive by each page.

    A lock whose run is finished or has not beaten for `LOCK_SECONDS` (a killed worker) is
    taken over; the same run (a redelivered task) may take its own lock again.
    """

    def __init__(self, connection_id: int, run_id: int) -> None:
        self.key = f"crm_sync:run-lock:{connection_id}"
        self.run_id = run_id
        self.seconds = int(conf("LOCK_SECONDS", 300))

    def acquire(self) -> bool:
        if cache.add(self.key, self.run_id, timeout=self.seconds):
            return True
        holder = cache.get(self.key)
        if holder == self.run_id:
            return True
        if holder is not None and not _is_stale(holder, self.seconds):
            return False
        cache.delete(self.key)
        return cache.add(self.key, self.run_id, timeout=self.seconds)

    def extend(self) -> None:
        cache.set(self.key, self.run_id, timeout=self.seconds)

    def release(self) -> None:
        if cache.get(self.key) == self.run_id:
            cache.delete(self.key)


def _is_stale(run_id: Any, seconds: int) -> bool:
    run = SyncRun.objects.filter(pk=run_id).only("status", "heartbeat_at", "created_at").first()
    if run is None or run.finished:
        return True
    beat = run.heartbeat_at or run.created_at
    return (timezone.now() - beat).total_seconds() > seconds


# --- Requests ---------------------------------------------------------------------------------


@transaction.atomic
def sync_request(
    *,
    connection: Connection,
    trigger: str = SyncRun.Trigger.MANUAL,
    by: User | None = None,
    full: bool = False,
) -> tuple[SyncRun, bool]:
    """Queue a run unless one is already queued or running: (run, created).

    The connection row is locked while deciding, so two requests at once give one run.
    The task is sent after commit.
    """
    Connection.objects.select_for_update().filter(pk=connection.pk).first()
    seconds = int(conf("LOCK_SECONDS", 300))
    for active in SyncRun.objects.filter(connection=connection, status__in=SyncRun.ACTIVE):
        if _is_stale(active.pk, seconds):
            _finish(active, SyncRun.Status.FAILED, _("The run stopped (worker lost)."))
        else:
            return active, False
    run = SyncRun.objects.create(connection=connection, trigger=trigger, requested_by=by, full=full)
    from crm_sync.tasks import sync_run_task

    dispatch.send(sync_run_task, kwargs={"run_id": run.pk})
    return run, True


def sync_due(now: Any = None) -> list[int]:
    """Queue runs for enabled connections whose schedule is due; returns their run ids."""
    now = now or timezone.now()
    queued = []
    for connection in Connection.objects.filter(enabled=True, schedule_minutes__gt=0):
        last = connection.last_run_at
        if last and (now - last).total_seconds() < connection.schedule_minutes * 60:
            continue
        run, created = sync_request(connection=connection, trigger=SyncRun.Trigger.SCHEDULE)
        if created:
            queued.append(run.pk)
    return queued


# --- Users ----------------------------------------------------------------------------------


def users_refresh(*, connection: Connection, provider: BaseProvider) -> dict[str, int]:
    """Store the CRM's users and map new ones by CRM user id or e-mail (manual maps stay)."""
    crm_users = provider.users()
    id_field = "zoho_user_id" if connection.provider == "zoho" else "fxiaoke_user_id"
    by_id = {
        getattr(u, id_field): u
        for u in User.objects.exclude(**{id_field: ""}).filter(
            **{f"{id_field}__in": [c.external_id for c in crm_users]}
        )
    }
    emails = {c.email.lower() for c in crm_users if c.email}
    by_email: dict[str, User] = {}
    for user in User.objects.filter(is_active=True).exclude(email=""):
        if user.email.lower() in emails:
            by_email.setdefault(user.email.lower(), user)
    known = {c.external_id: c for c in CrmUser.objects.filter(connection=connection)}
    mapped = 0
    with transaction.atomic(), acting(reason=gettext_noop("CRM users refreshed")):
        for info in crm_users:
            row = known.get(info.external_id) or CrmUser(
                connection=connection, external_id=info.external_id
            )
            changed = (row.name, row.email, row.active) != (info.name, info.email, info.active)
            row.name, row.email, row.active = info.name[:200], info.email[:254], info.active
            if row.user_id is None:
                user = by_id.get(info.external_id)
                how = CrmUser.MappedBy.EXTERNAL_ID
                if user is None and info.email:
                    user, how = by_email.get(info.email.lower()), CrmUser.MappedBy.EMAIL
                if user is not None:
                    row.user, row.mapped_by, changed = user, how, True
                    mapped += 1
            if row.pk is None or changed:
                row.save()
    return {"users": len(crm_users), "newly_mapped": mapped}


# --- The run ----------------------------------------------------------------------------------


def _finish(run: SyncRun, status: str, error: str = "") -> None:
    now = timezone.now()
    SyncRun.objects.filter(pk=run.pk).update(
        status=status, finished_at=now, heartbeat_at=now, error=error[:4000]
    )
    run.status, run.finished_at, run.error = status, now, error
    if status != SyncRun.Status.SKIPPED:
        Connection.objects.filter(pk=run.connection_id).update(
            last_run_at=now, last_status=status, last_error=error[:4000]
        )


def mappings_to_sync(connection: Connection) -> list[ObjectMapping]:
    wanted = set(connection.objects_enabled or [])
    rows = [
        m
        for m in ObjectMapping.objects.filter(connection=connection, enabled=True)
        if m.crm_object in wanted
    ]
    return sorted(rows, key=lambda m: (KIND_ORDER.index(m.fact_kind), m.order, m.crm_object))


def run_sync(
    *,
    run_id: int,
    sleep: Callable[[float], None] = time.sleep,
    provider_factory: ProviderFactory | None = None,
) -> SyncRun:
    """Execute a queued run (idempotent: a finished run is returned as it is)."""
    run = SyncRun.objects.select_related("connection", "connection__default_owner").get(pk=run_id)
    if run.finished:
        return run
    connection = run.connection
    lock = RunLock(connection.pk, run.pk)
    if not lock.acquire():
        _finish(run, SyncRun.Status.SKIPPED, _("Another run of this connection is in progress."))
        return run
    # Holding the lock, any other run of this connection still marked active has died.
    for dead in SyncRun.objects.filter(connection=connection, status__in=SyncRun.ACTIVE).exclude(
        pk=run.pk
    ):
        if dead.status == SyncRun.Status.RUNNING:
            _finish(
                dead,
                SyncRun.Status.FAILED,
                _("The run stopped (worker lost); resumed by #%(n)s.") % {"n": run.pk},
            )
    provider = (provider_factory or (lambda c: provider_for(c, sleep=sleep)))(connection)
    try:
        now = timezone.now()
        SyncRun.objects.filter(pk=run.pk).update(
            status=SyncRun.Status.RUNNING, started_at=run.started_at or now, heartbeat_at=now
        )
        run.refresh_from_db()
        users_refresh(connection=connection, provider=provider)
        ctx = Context(connection, provider, run)
        mappings = mappings_to_sync(connection)
        _estimate_total(run, provider, mappings)
        for mapping in mappings:
            _sync_records(ctx, mapping, lock)
            if provider.has_deleted_feed:
                _sync_deletions(ctx, mapping, lock)
            elif run.full:
                _sweep_missing(ctx, mapping, lock)
        run.refresh_from_db()
        _remember_api_domain(connection, provider)
        _finish(run, SyncRun.Status.PARTIAL if run.failed else SyncRun.Status.SUCCEEDED)
    except CrmError as error:
        log.warning("CRM sync run %s failed: %s", run.pk, error)
        _finish(run, SyncRun.Status.FAILED, str(error))
    except (OperationalError, InterfaceError):
        # The database connection died (PostgreSQL restarted, failed over): the run is not
        # over. Each write committed its cursor, so the task's retry continues this run after
        # the last one (or, if the retries run out, the next run after `LOCK_SECONDS`).
        log.warning("CRM sync run %s lost its database connection; it resumes", run.pk)
        raise
    except Exception as error:
        log.exception("CRM sync run %s stopped by an unexpected error", run.pk)
        _finish(
            run,
            SyncRun.Status.FAILED,
            _("Unexpected error: %(kind)s") % {"kind": type(error).__name__},
        )
        raise
    finally:
        lock.release()
        provider.close()
    run.refresh_from_db()
    return run


def _remember_api_domain(connection: Connection, provider: BaseProvider) -> None:
    seen = getattr(provider, "api_domain_seen", "")
    if seen and seen != connection.api_domain:
        Connection.objects.filter(pk=connection.pk).update(api_domain=seen)
        connection.api_domain = seen


def _estimate_total(run: SyncRun, provider: BaseProvider, mappings: list[ObjectMapping]) -> None:
    total = 0
    for mapping in mappings:
        state = SyncState.objects.filter(
            connection=run.connection, crm_object=mapping.crm_object, phase="records"
        ).first()
        since = None if run.full or state is None or not state.watermark else int(state.watermark)
        if state is not None and state.cursor:
            return  # resuming: the CRM's count no longer says what is left
        count = provider.count(mapping.crm_object, since)
        if count is None:
            return
        total += count
    SyncRun.objects.filter(pk=run.pk).update(total=total or None)


def _overlap_ms() -> int:
    return int(conf("OVERLAP_SECONDS", 300)) * 1000


def _fields(mapping: ObjectMapping) -> list[str]:
    names = set()
    for spec in mapping.field_map.values():
        names.update(n.strip() for n in str(spec).split("|") if n.strip())
    return sorted(names)


def _state(connection: Connection, crm_object: str, phase: str) -> SyncState:
    state, _created = SyncState.objects.get_or_create(
        connection=connection, crm_object=crm_object, phase=phase
    )
    return state


def _start_pass(
    state: SyncState, run: SyncRun, *, full: bool, mark: Callable[[int | None], int | None]
) -> dict:
    """The cursor of the pass to run: the one a killed run left, or a new one.

    `mark(since)` asks the CRM for its latest modified time now (None if it cannot tell);
    when known it becomes the watermark of a finished pass, since the pass then has seen
    every change up to it. Otherwise the highest modified time seen is used.
    """
    cursor = dict(state.cursor or {})
    if cursor and not (full and cursor.get("run") != run.pk):
        cursor["run"] = run.pk  # resume the pass a killed run left
        return cursor
    watermark = None if full or not state.watermark else int(state.watermark)
    since = None if watermark is None else max(0, watermark - _overlap_ms())
    return {"run": run.pk, "since": since, "pos": {}, "max": watermark, "mark": mark(since)}


def _commit_page(
    ctx: Context,
    state: SyncState,
    cursor: dict,
    page_next: dict | None,
    page_max: int | None,
    result: PageResult,
    fetched: int,
    crm_object: str,
    pages: int = 1,
) -> None:
    """Inside the write's transaction: cursor/watermark, errors and counters."""
    if page_max is not None:
        cursor["max"] = max(cursor.get("max") or 0, page_max)
    if page_next is None:
        final = cursor.get("mark") or cursor.get("max")
        if final:
            state.watermark = str(
                max(final, int(state.watermark or 0)) if not ctx.run.full else final
            )
        state.cursor = {}
    else:
        cursor["pos"] = page_next
        state.cursor = cursor
    state.save(update_fields=["watermark", "cursor", "updated_at"])
    if result.errors:
        SyncError.objects.bulk_create(
            SyncError(run=ctx.run, crm_object=crm_object, external_id=rid, message=msg)
            for rid, msg in result.errors
        )
    SyncRun.objects.filter(pk=ctx.run.pk).update(
        pages=F("pages") + pages,
        fetched=F("fetched") + fetched,
        created=F("created") + result.created,
        updated=F("updated") + result.updated,
        deleted=F("deleted") + result.deleted,
        failed=F("failed") + result.failed,
        current_object=crm_object,
        cursor={"object": crm_object, "phase": state.phase, **(state.cursor or {})},
        heartbeat_at=timezone.now(),
    )


def _sync_records(ctx: Context, mapping: ObjectMapping, lock: RunLock) -> None:
    state = _state(ctx.connection, mapping.crm_object, "records")
    cursor = _start_pass(
        state,
        ctx.run,
        full=ctx.run.full,
        mark=lambda since: ctx.provider.latest_modified(mapping.crm_object, since),
    )
    fields = _fields(mapping)

    def fetch(pos: dict) -> Any:
        return ctx.provider.fetch(mapping.crm_object, fields, cursor["since"], pos)

    # The next page is fetched while this one is written (the CRM's latency hides behind
    # our work); fetching stays one request at a time and never touches the database.
    # Small pages (Fxiaoke's 100) are written a few at a time, each write committing the
    # cursor of its last page: a killed run re-reads at most the pages of one write.
    batch: list[Any] = []

    def write() -> None:
        records = [record for page in batch for record in page.records]
        modified = [m for m in map(ctx.provider.modified_ms, records) if m is not None]
        with transaction.atomic():
            result = ingest_page(ctx, mapping, records)
            _commit_page(
                ctx,
                state,
                cursor,
                batch[-1].next,
                max(modified) if modified else None,
                result,
                len(records),
                mapping.crm_object,
                pages=len(batch),
            )
        batch.clear()
        lock.extend()

    records_per_write = int(conf("RECORDS_PER_WRITE", 500))
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="crm-fetch") as pool:
        pending = pool.submit(fetch, cursor["pos"])
        restarted = False
        while True:
            waiting = time.perf_counter()
            try:
                page = pending.result()
            except CursorExpired:
                if restarted:
                    raise
                batch.clear()
                cursor["pos"], restarted = {}, True  # re-read the pass; upserts make it harmless
                pending = pool.submit(fetch, {})
                continue
            except Exception:
                if batch:
                    write()  # keep what was read before the failure
                raise
            finally:
                ctx.provider.http.seconds_waited += time.perf_counter() - waiting
            if page.next is not None:
                pending = pool.submit(fetch, page.next)
            batch.append(page)
            if page.next is None or sum(len(p.records) for p in batch) >= records_per_write:
                write()
            if page.next is None:
                return


def _sweep_missing(ctx: Context, mapping: ObjectMapping, lock: RunLock) -> None:
    """Full syncs of a CRM without a deletion feed (Fxiaoke): records we hold that the CRM no
    longer lists at all (deleted after being voided) are deleted here too.

    Reads only the ids. When the CRM lists none while we hold some, nothing is deleted (a
    run-as user who lost access must not empty the facts) and the run says so.
    """
    crm_ids: set[str] = set()
    pos: dict[str, Any] = {}
    while True:
        page = ctx.provider.fetch(mapping.crm_object, ["_id"], None, pos)
        crm_ids.update(ctx.provider.record_id(r) for r in page.records)
        lock.extend()
        if page.next is None:
            break
        pos = page.next
    model = MODELS[mapping.fact_kind]
    held = set(
        model.objects.alive().filter(source=ctx.source).values_list("external_id", flat=True)
    )
    missing = sorted(held - crm_ids)
    if missing and not crm_ids:
        with transaction.atomic():
            SyncError.objects.create(
                run=ctx.run,
                crm_object=mapping.crm_object,
                message=_(
                    "The CRM lists no records at all; nothing was deleted here. "
                    "Check the run-as user's permissions."
                ),
            )
            SyncRun.objects.filter(pk=ctx.run.pk).update(failed=F("failed") + 1)
        return
    for start in range(0, len(missing), 200):
        with transaction.atomic():
            deleted = delete_by_ids(ctx, mapping.fact_kind, missing[start : start + 200])
            SyncRun.objects.filter(pk=ctx.run.pk).update(
                deleted=F("deleted") + deleted, heartbeat_at=timezone.now()
            )
        lock.extend()


def _sync_deletions(ctx: Context, mapping: ObjectMapping, lock: RunLock) -> None:
    """Zoho's deleted-records feed since the last deletion seen (the first time: all of it)."""
    state = _state(ctx.connection, mapping.crm_object, "deleted")
    cursor = _start_pass(state, ctx.run, full=False, mark=lambda since: None)
    while True:
        page = ctx.provider.fetch_deleted(mapping.crm_object, cursor["since"], cursor["pos"])
        modified = [m for m in map(ctx.provider.modified_ms, page.records) if m is not None]
        with transaction.atomic():
            result = PageResult()
            result.deleted = delete_by_ids(
                ctx, mapping.fact_kind, [ctx.provider.record_id(r) for r in page.records]
            )
            _commit_page(
                ctx,
                state,
                cursor,
                page.next,
                max(modified) if modified else None,
                result,
                0,
                mapping.crm_object,
            )
        lock.extend()
        if page.next is None:
            return
