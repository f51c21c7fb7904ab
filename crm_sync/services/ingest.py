"""One page of CRM records → facts, through `kpis.services` (a thin adapter, no fact logic here).

Records are first read into service arguments (owner, dates, money, references). New records
of a page are then inserted together with `kpis.services.facts_bulk_import` (one statement per
kind, dirty keys recorded), records we already have go through the per-fact upserts
(`deal_upsert` …, which write nothing when nothing changed), and CRM deletions become soft
deletes (`fact_soft_delete`). A record that cannot be read or is refused by the services is
reported and skipped; it never aborts the page. Values are normalised the same way for both
paths, so a record the bulk insert takes is one the upsert would also take.
"""

from __future__ import annotations

import datetime
import functools
import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from crm_sync.models import Connection, CrmUser, FactKind, ObjectMapping, Provider, SyncRun
from crm_sync.providers.common import BaseProvider, RecordError
from kpis import services as facts
from kpis.models import Activity, Customer, Deal, Lead, Order, Payment, Source
from kpis.services import facts as fact_rules  # the services' own field lists and defaults
from salesgoals import money
from salesgoals import selectors as core_selectors
from salesgoals.models import User

log = logging.getLogger("crm_sync")

MODELS: dict[str, type] = {
    FactKind.CUSTOMER: Customer,
    FactKind.LEAD: Lead,
    FactKind.DEAL: Deal,
    FactKind.ORDER: Order,
    FactKind.PAYMENT: Payment,
    FactKind.ACTIVITY: Activity,
}
UPSERTS = {
    FactKind.CUSTOMER: facts.customer_upsert,
    FactKind.LEAD: facts.lead_upsert,
    FactKind.DEAL: facts.deal_upsert,
    FactKind.ORDER: facts.order_upsert,
    FactKind.PAYMENT: facts.payment_upsert,
    FactKind.ACTIVITY: facts.activity_upsert,
}
BULK_ARG = {
    FactKind.CUSTOMER: "customers",
    FactKind.LEAD: "leads",
    FactKind.DEAL: "deals",
    FactKind.ORDER: "orders",
    FactKind.PAYMENT: "payments",
    FactKind.ACTIVITY: "activities",
}
DATE_FIELD = {
    FactKind.CUSTOMER: "created_date",
    FactKind.LEAD: "created_date",
    FactKind.DEAL: "close_date",
    FactKind.ORDER: "order_date",
    FactKind.PAYMENT: "payment_date",
    FactKind.ACTIVITY: "activity_date",
}
SOURCE = {Provider.ZOHO: Source.ZOHO, Provider.FXIAOKE: Source.FXIAOKE}
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
ONE = Decimal(1)


@dataclass
class PageResult:
    created: int = 0
    updated: int = 0
    deleted: int = 0
    failed: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (external id, message)

    def fail(self, external_id: str, message: str) -> None:
        self.failed += 1
        self.errors.append((external_id, message[:1000]))


class Context:
    """What one run needs to read records: the provider, owners and the base currency."""

    def __init__(self, connection: Connection, provider: BaseProvider, run: SyncRun) -> None:
        self.connection = connection
        self.provider = provider
        self.run = run
        self.source = SOURCE[connection.provider]
        self.base = money.base_currency()
        self.invert_rate = connection.provider == Provider.ZOHO
        self.reload_owners()

    def reload_owners(self) -> None:
        rows = CrmUser.objects.filter(connection=self.connection).select_related("user")
        self.owners: dict[str, User | None] = {r.external_id: r.user for r in rows}
        self.names = {r.external_id: r.name or r.email or r.external_id for r in rows}
        self._by_email: dict[str, User | None] = {}

    def owner(self, ref: tuple[str, str] | None) -> User:
        if ref is None:
            raise RecordError(_("The record has no owner."))
        crm_id, email = ref
        user = self.owners.get(crm_id)
        if user is None and email:
            key = email.lower()
            if key not in self._by_email:
                self._by_email[key] = User.objects.filter(email__iexact=key, is_active=True).first()
            user = self._by_email[key]
        user = user or self.connection.default_owner
        if user is None:
            raise RecordError(
                _("The CRM user %(name)s is not mapped to anyone here (see User mapping).")
                % {"name": self.names.get(crm_id, crm_id)}
            )
        return user


# --- Reading a record -----------------------------------------------------------------------


def _first(provider: BaseProvider, record: dict[str, Any], spec: str, reader: str) -> Any:
    """The first non-empty value of "A|B" read with `reader` (text, date, decimal …)."""
    return _first_of(getattr(provider, reader), record, _names(spec))


def _first_of(read: Any, record: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = read(record, name)
        if value is not None and value != "":
            return value
    return None


@functools.lru_cache(maxsize=512)
def _names(spec: str) -> tuple[str, ...]:
    """The CRM field names of a mapping spec "A|B", in order of preference."""
    return tuple(name for name in (n.strip() for n in (spec or "").split("|")) if name)


def _status(mapping: ObjectMapping, raw: str, default: str) -> str:
    return mapping.stage_map.get(raw, default) if raw else default


def _money(ctx: Context, mapping: ObjectMapping, record: dict[str, Any]) -> dict[str, Any]:
    provider, fmap = ctx.provider, mapping.field_map
    amount = _first(provider, record, fmap.get("amount", ""), "decimal")
    if amount is None:
        amount = Decimal(0)
    if amount < 0:
        raise RecordError(_("The amount %(amount)s is negative.") % {"amount": amount})
    code = (_first(provider, record, fmap.get("currency", ""), "text") or ctx.base).upper()
    if not CURRENCY_CODE.match(code):
        raise RecordError(_("“%(code)s” is not a currency code.") % {"code": code})
    if code == ctx.base:
        return {"amount": amount, "currency": code, "exchange_rate": None}
    rate = _first(provider, record, fmap.get("exchange_rate", ""), "decimal")
    if rate is not None and rate > 0 and ctx.invert_rate:
        # Zoho's Exchange_Rate is units of the record's currency per unit of the home currency.
        rate = ONE / rate
    if rate is None or rate <= 0:
        fallback = ctx.connection.exchange_rates.get(code)
        rate = Decimal(str(fallback)) if fallback not in (None, "") else None
    if rate is None or rate <= 0:
        raise RecordError(
            _("No exchange rate from %(code)s to %(base)s: add one to the connection.")
            % {"code": code, "base": ctx.base}
        )
    return {"amount": amount, "currency": code, "exchange_rate": money.quantize_rate(rate)}


def _clip(text: str, length: int) -> str:
    return text[:length]


def read_record(
    ctx: Context, mapping: ObjectMapping, record: dict[str, Any], refs: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Service arguments for one record (without source/external id); RecordError if unusable."""
    p, fmap, kind = ctx.provider, mapping.field_map, mapping.fact_kind
    read_text, read_date, read_ref = p.text, p.date, p.ref

    def text(name: str, length: int) -> str:
        return _clip(_first_of(read_text, record, _names(fmap.get(name, ""))) or "", length)

    def day(name: str) -> datetime.date | None:
        return _first_of(read_date, record, _names(fmap.get(name, "")))

    def ref(name: str) -> Any:
        found = _first_of(read_ref, record, _names(fmap.get(name, "")))
        return refs.get(name, {}).get(found) if found else None

    owner = ctx.owner(_first_of(p.user_ref, record, _names(fmap.get("owner", ""))))
    args: dict[str, Any] = {"owner": owner}
    if kind == FactKind.CUSTOMER:
        args |= {
            "name": text("name", 200),
            "industry": text("industry", 80),
            "city": text("city", 80),
            "created_date": day("created_date"),
        }
    elif kind == FactKind.LEAD:
        created = day("created_date")
        converted = day("converted_date")
        status = _status(mapping, text("status", 80), Lead.Status.OPEN)
        if status not in Lead.Status.values:
            status = Lead.Status.OPEN
        if converted and status == Lead.Status.OPEN:
            status = Lead.Status.CONVERTED
        if status == Lead.Status.CONVERTED:
            converted = max(converted or created, created) if created else converted
        else:
            converted = None
        args |= {
            "name": text("name", 200),
            "company": text("company", 200),
            "status": status,
            "created_date": created,
            "converted_date": converted,
            "customer": ref("customer"),
        }
    elif kind == FactKind.DEAL:
        created, close = day("created_date"), day("close_date")
        close = close or created
        if created and close and close < created:
            created = close  # CRMs allow a close date before creation; the fact cannot
        probability = _first(p, record, fmap.get("probability", ""), "decimal")
        args |= {
            "name": text("name", 200),
            "stage": text("stage", 80),
            "status": _status(mapping, text("status", 200), Deal.Status.OPEN),
            "probability": None
            if probability is None
            else max(0, min(100, int(probability.to_integral_value()))),
            "created_date": created,
            "close_date": close,
            "customer": ref("customer"),
            **_money(ctx, mapping, record),
        }
        if args["status"] not in Deal.Status.values:
            args["status"] = Deal.Status.OPEN
    elif kind == FactKind.ORDER:
        args |= {
            "number": text("number", 80),
            "order_date": day("order_date"),
            "customer": ref("customer"),
            "deal": ref("deal"),
            **_money(ctx, mapping, record),
        }
    elif kind == FactKind.PAYMENT:
        args |= {
            "reference": text("reference", 80),
            "payment_date": day("payment_date"),
            "customer": ref("customer"),
            "order": ref("order"),
            **_money(ctx, mapping, record),
        }
    else:
        args |= {
            "subject": text("subject", 200) or mapping.crm_object,
            "activity_date": day("activity_date"),
            "notes": _first(p, record, fmap.get("notes", ""), "text") or "",
            "kind": mapping.activity_kind or Activity.Kind.OTHER,
            "customer": ref("customer"),
            "deal": ref("deal"),
        }
    if kind in (FactKind.CUSTOMER, FactKind.LEAD) and not args["name"]:
        raise RecordError(_("The record has no name."))
    if kind == FactKind.DEAL and not args["name"]:
        raise RecordError(_("The record has no name."))
    date_field = DATE_FIELD[kind]
    if args.get(date_field) is None or args.get("created_date", True) is None:
        raise RecordError(_("The record has no date (%(field)s).") % {"field": date_field})
    return args


REF_MODELS = {"customer": Customer, "deal": Deal, "order": Order}


def _resolve_refs(
    ctx: Context, mapping: ObjectMapping, records: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """One query per referenced kind: CRM id → local fact (customer, deal, order)."""
    refs: dict[str, dict[str, Any]] = {}
    for name, model in REF_MODELS.items():
        spec = mapping.field_map.get(name)
        if not spec or name not in _local_fields(mapping):
            continue
        ids = {_first(ctx.provider, r, spec, "ref") for r in records} - {None}
        if ids:
            refs[name] = {
                f.external_id: f
                for f in model.objects.filter(source=ctx.source, external_id__in=ids)
            }
    return refs


def _local_fields(mapping: ObjectMapping) -> tuple[str, ...]:
    from crm_sync.defaults import LOCAL_FIELDS

    return LOCAL_FIELDS[mapping.fact_kind]


# --- Writing a page -------------------------------------------------------------------------


def _instance(ctx: Context, kind: str, external_id: str, args: dict[str, Any]) -> Any:
    """An unsaved fact for `facts_bulk_import` (money in minor units, as the services store it)."""
    values = dict(args)
    if "amount" in values:
        amount, code, rate = (
            values.pop("amount"),
            values.pop("currency"),
            values.pop("exchange_rate"),
        )
        rate = ONE if rate is None else rate
        values |= {
            "amount_minor": money.convert_to_base(amount, rate),
            "original_amount_minor": money.to_minor(amount),
            "currency": code,
            "exchange_rate": rate,
        }
    if kind == FactKind.DEAL and values.get("probability") is None:
        values["probability"] = fact_rules.DEFAULT_PROBABILITY[values["status"]]
    if kind == FactKind.ORDER and values.get("customer") is None and values.get("deal") is not None:
        values["customer"] = values["deal"].customer
    if kind == FactKind.PAYMENT and values.get("customer") is None and values.get("order"):
        values["customer"] = values["order"].customer
    if kind == FactKind.ACTIVITY and values.get("customer") is None and values.get("deal"):
        values["customer"] = values["deal"].customer
    return MODELS[kind](source=ctx.source, external_id=external_id, **values)


SNAPSHOT: dict[str, tuple[str, ...]] = {
    kind: tuple(f for f in fields if f != "org_unit_id")
    for kind, fields in {
        FactKind.CUSTOMER: fact_rules.CUSTOMER_FIELDS,
        FactKind.LEAD: fact_rules.LEAD_FIELDS,
        FactKind.DEAL: fact_rules.DEAL_FIELDS,
        FactKind.ORDER: fact_rules.ORDER_FIELDS,
        FactKind.PAYMENT: fact_rules.PAYMENT_FIELDS,
        FactKind.ACTIVITY: fact_rules.ACTIVITY_FIELDS,
    }.items()
}


def _unchanged(
    ctx: Context, kind: str, external_id: str, args: dict[str, Any], row: dict[str, Any]
) -> bool:
    """Would the upsert write nothing? Compares the stored columns with what it would store
    (the same conversions as the services), so unchanged re-reads cost no writes."""
    if row["deleted_at"] is not None:
        return False
    try:
        expected = _instance(ctx, kind, external_id, args)
    except (ValueError, ArithmeticError):
        return False
    for name in SNAPSHOT[kind]:
        if name == "probability" and args.get("probability") is None:
            continue
        if getattr(expected, name) != row[name]:
            return False
    return True


def _error_text(error: Exception) -> str:
    if isinstance(error, ValidationError):
        if hasattr(error, "message_dict"):
            return "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
        return " ".join(error.messages)
    return str(error)


def _upsert(ctx: Context, kind: str, external_id: str, args: dict[str, Any]) -> Any:
    return UPSERTS[kind](source=ctx.source, external_id=external_id, **args)


def ingest_page(ctx: Context, mapping: ObjectMapping, records: list[dict[str, Any]]) -> PageResult:
    """Write one page; the caller holds the transaction that also commits the cursor."""
    result = PageResult()
    kind, provider = mapping.fact_kind, ctx.provider
    model = MODELS[kind]
    latest: dict[str, dict[str, Any]] = {}
    for record in records:
        try:
            latest[provider.record_id(record)] = record
        except (KeyError, TypeError):
            result.fail("", _("A record without an id was skipped."))
    gone = [rid for rid, r in latest.items() if provider.is_deleted(r)]
    live = {rid: r for rid, r in latest.items() if not provider.is_deleted(r)}
    compare = SNAPSHOT[kind]
    stored = {
        row["external_id"]: row
        for row in model.objects.filter(source=ctx.source, external_id__in=list(latest)).values(
            "external_id", "updated_at", "deleted_at", *compare
        )
    }
    existing = {rid: row["updated_at"] for rid, row in stored.items()}
    refs = _resolve_refs(ctx, mapping, list(live.values()))

    new: list[tuple[str, dict[str, Any]]] = []
    for rid, record in live.items():
        try:
            args = read_record(ctx, mapping, record, refs)
        except RecordError as error:
            result.fail(rid, str(error))
            continue
        except (ValueError, TypeError, ArithmeticError) as error:
            result.fail(rid, _("Unreadable record: %(error)s") % {"error": error})
            continue
        if rid in existing:
            if _unchanged(ctx, kind, rid, args, stored[rid]):
                continue  # re-read through the overlap, or an edit of fields we do not map
            try:
                with transaction.atomic():
                    fact = _upsert(ctx, kind, rid, args)
            except (ValidationError, DatabaseError) as error:
                result.fail(rid, _error_text(error))
                continue
            if fact.updated_at != existing[rid]:
                result.updated += 1
        else:
            new.append((rid, args))

    _insert_new(ctx, kind, new, result)
    result.deleted += delete_by_ids(ctx, kind, gone)
    return result


def _insert_new(
    ctx: Context, kind: str, rows: list[tuple[str, dict[str, Any]]], result: PageResult
) -> None:
    if not rows:
        return
    date_field = DATE_FIELD[kind]
    units = core_selectors.unit_ids_as_of([(a["owner"].pk, a[date_field]) for _rid, a in rows])
    ready = []
    for rid, args in rows:
        if units.get((args["owner"].pk, args[date_field])) is None:
            result.fail(
                rid,
                _("%(name)s has no home unit, so the credit cannot go to a team.")
                % {"name": args["owner"].display},
            )
        else:
            ready.append((rid, args))
    if not ready:
        return
    try:
        with transaction.atomic():
            instances = [_instance(ctx, kind, rid, args) for rid, args in ready]
            for instance in instances:
                instance.org_unit_id = units[(instance.owner_id, getattr(instance, date_field))]
            facts.facts_bulk_import(**{BULK_ARG[kind]: instances})
        result.created += len(ready)
        return
    except (ValidationError, DatabaseError, ValueError, ArithmeticError) as error:
        log.info("Bulk insert of %s rows failed (%s); inserting one by one", len(ready), error)
    for rid, args in ready:
        try:
            with transaction.atomic():
                _upsert(ctx, kind, rid, args)
            result.created += 1
        except (ValidationError, DatabaseError) as error:
            result.fail(rid, _error_text(error))


def delete_by_ids(ctx: Context, kind: str, external_ids: list[str]) -> int:
    if not external_ids:
        return 0
    model = MODELS[kind]
    count = 0
    for fact in model.objects.alive().filter(source=ctx.source, external_id__in=external_ids):
        with transaction.atomic():
            facts.fact_soft_delete(fact=fact)
        count += 1
    return count
