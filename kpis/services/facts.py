"""Every write of a sales fact: pages, the API, CRM sync, imports and demo data come here.

Rules kept here, in one place:
- Upserts are keyed by (`source`, `external_id`): re-sending the same fact updates it, and an
  unchanged re-send writes nothing. Manual entries get a generated `manual-<uuid4>` id.
- Money arrives as `Decimal` + currency + exchange rate and is stored as integer minor units
  of the base currency (`salesgoals.money`), with the original amount and rate kept.
- Each fact keeps its owner's org unit as of the fact's date; the unit is only looked up
  again when the owner or that date changes, so history stays with the team it happened in.
- Each write records the dirty KPI keys of the old and the new state in the same
  transaction (`kpis.outbox.mark_dirty`); deal keys follow the credit shares.
- Errors are `FactError`s keyed by field, with translated messages; nothing is half-written.
- References to soft-deleted facts are kept (a CRM may send a deal after deleting its
  customer); pages and the API only offer live facts to choose from.
- With `by=` (pages, API) the writer must be allowed to change the fact before and after
  (`salesgoals.scope.can_edit`), else `PermissionDenied`. CRM sync and imports pass no `by`.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from kpis.bulk import insert_rows
from kpis.models import (
    Activity,
    Customer,
    Deal,
    DealShare,
    Fact,
    Lead,
    Order,
    Payment,
    Source,
)
from kpis.outbox import DirtyTuple, mark_dirty, mark_dirty_groups
from kpis.selectors.facts import customer_first_won_dates
from salesgoals import money, scope
from salesgoals import selectors as core_selectors
from salesgoals.models import Metric, OrgUnit, User

__all__ = [
    "FULL_SHARE_BP",
    "FactError",
    "activity_log",
    "activity_upsert",
    "customer_upsert",
    "deal_mark_lost",
    "deal_mark_won",
    "deal_upsert",
    "fact_kind",
    "fact_soft_delete",
    "facts_bulk_import",
    "lead_upsert",
    "new_external_id",
    "order_upsert",
    "payment_upsert",
]

FULL_SHARE_BP = 10_000  # 100% of a deal's credit, in basis points
MAX_MINOR = 10**17  # far below BigIntegerField's limit, far above any real deal
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")

F = TypeVar("F", bound=Fact)

KIND_OF: dict[type[Model], str] = {
    Customer: Metric.Fact.CUSTOMER,
    Lead: Metric.Fact.LEAD,
    Deal: Metric.Fact.DEAL,
    Order: Metric.Fact.ORDER,
    Payment: Metric.Fact.PAYMENT,
    Activity: Metric.Fact.ACTIVITY,
}


class FactError(ValidationError):
    """Bad input for a fact, keyed by field: `{"amount": ["…"]}`."""


def fact_kind(model: type[Model] | Model) -> str:
    """The `Metric.Fact` value (outbox kind) of a fact model or instance."""
    cls = model if isinstance(model, type) else type(model)
    return KIND_OF[cls]


def new_external_id() -> str:
    return f"manual-{uuid.uuid4()}"


# --- Org unit as of a date --------------------------------------------------------------


def _unit_as_of(user: User, day: datetime.date, *, field: str = "owner") -> OrgUnit:
    """The org unit `user` belonged to on `day`, from the membership history.

    Callers only ask again when the owner or the fact's date changes, so re-sending or
    editing a fact never moves it to another team.
    """
    unit = core_selectors.unit_as_of(user, day)
    if unit is None:
        raise FactError(
            {
                field: [
                    _("%(name)s has no home unit, so the credit cannot go to a team.")
                    % {"name": user.display}
                ]
            }
        )
    return unit


def _fill_units(rows: Sequence[Any], date_of: Any, user_of: Any, *, field: str) -> None:
    """Bulk `_unit_as_of` for rows without a unit: one query for the whole import."""
    missing = [row for row in rows if row.org_unit_id is None]
    if not missing:
        return
    units = core_selectors.unit_ids_as_of([(user_of(row).pk, date_of(row)) for row in missing])
    for row in missing:
        unit_id = units.get((user_of(row).pk, date_of(row)))
        if unit_id is None:
            user = user_of(row)
            raise FactError(
                {
                    field: [
                        _("%(name)s has no home unit, so the credit cannot go to a team.")
                        % {"name": user.display}
                    ]
                }
            )
        row.org_unit_id = unit_id


# --- Validation helpers -----------------------------------------------------------------


class _Errors(dict[str, list[str]]):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise FactError(dict(self))


def _text(
    errors: _Errors, field: str, value: str | None, max_length: int, *, required: bool
) -> str:
    text = (value or "").strip()
    if required and not text:
        errors.add(field, _("This field is required."))
    elif len(text) > max_length:
        errors.add(
            field,
            _("Use at most %(n)s characters (this has %(len)s).")
            % {"n": max_length, "len": len(text)},
        )
    return text


def _date(errors: _Errors, field: str, value: Any) -> datetime.date | None:
    if value is None:
        errors.add(field, _("This field is required."))
        return None
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
        errors.add(field, _("Enter a valid date."))
        return None
    return value


def _choice(errors: _Errors, field: str, value: str, choices: Iterable[str]) -> str:
    if value not in set(choices):
        errors.add(field, _("Choose one of the listed values."))
    return value


@dataclass(frozen=True)
class _Money:
    amount_minor: int
    currency: str
    original_amount_minor: int
    exchange_rate: Decimal


def _money(
    errors: _Errors,
    *,
    amount: Decimal | None,
    currency: str | None,
    exchange_rate: Decimal | None,
) -> _Money | None:
    """Check an amount at the edge and turn it into base-currency minor units."""
    base = money.base_currency()
    code = (currency or base).strip().upper()
    ok = True
    if not CURRENCY_CODE.match(code):
        errors.add("currency", _("Use a three-letter currency code such as CNY or USD."))
        ok = False
    try:
        value = None if amount is None else Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        value = None
        errors.add("amount", _("Enter a number."))
        ok = False
    else:
        if value is None:
            errors.add("amount", _("This field is required."))
            ok = False
        elif not value.is_finite():
            errors.add("amount", _("Enter a number."))
            ok = False
        elif value < 0:
            errors.add("amount", _("The amount cannot be negative."))
            ok = False
    rate: Decimal | None
    try:
        rate = None if exchange_rate in (None, "") else Decimal(exchange_rate)
    except (InvalidOperation, TypeError, ValueError):
        errors.add("exchange_rate", _("Enter a number."))
        return None
    if code == base:
        if rate is not None and rate != 1:
            errors.add(
                "exchange_rate",
                _("Amounts in the base currency (%(code)s) have an exchange rate of 1.")
                % {"code": base},
            )
            ok = False
        rate = Decimal(1)
    elif rate is None:
        errors.add(
            "exchange_rate",
            _("Give the rate from %(code)s to %(base)s used for this amount.")
            % {"code": code, "base": base},
        )
        ok = False
    elif not rate.is_finite() or rate <= 0 or rate >= Decimal("1e10"):
        errors.add("exchange_rate", _("The exchange rate must be a positive number."))
        ok = False
    if not ok or value is None or rate is None:
        return None
    rate = money.quantize_rate(rate)
    original = money.to_minor(value)
    converted = money.convert_to_base(value, rate)
    if max(original, converted) >= MAX_MINOR:
        errors.add("amount", _("The amount is too large."))
        return None
    return _Money(converted, code, original, rate)


def _apply_money(fact: Any, value: _Money) -> None:
    fact.amount_minor = value.amount_minor
    fact.currency = value.currency
    fact.original_amount_minor = value.original_amount_minor
    fact.exchange_rate = value.exchange_rate


# --- Upsert plumbing --------------------------------------------------------------------


def _existing(model: type[F], source: str, external_id: str | None) -> F | None:
    if not external_id:
        return None
    return (
        model.objects.select_for_update()
        .select_related("owner", "org_unit")
        .filter(source=source, external_id=external_id)
        .first()
    )


def _keys_source(errors: _Errors, source: str, external_id: str | None) -> tuple[str, str]:
    _choice(errors, "source", source, Source.values)
    if external_id is None or not str(external_id).strip():
        if source != Source.MANUAL:
            errors.add("external_id", _("Facts from a CRM or an import need their external id."))
        return source, new_external_id()
    return source, _text(errors, "external_id", str(external_id), 80, required=True)


def _snapshot(fact: Model, fields: Sequence[str]) -> tuple[Any, ...]:
    return tuple(getattr(fact, f) for f in fields)


def _authorize(by: User | None, fact: Fact) -> None:
    if by is not None and not scope.can_edit(by, fact):
        raise PermissionDenied(_("You may not change facts of %(name)s.") % {"name": fact.owner})


def _place(
    fact: Fact, owner: User, day: datetime.date, previous: tuple[int, datetime.date] | None
) -> None:
    """Set owner and unit-as-of-date; keep the stored unit if neither owner nor date moved."""
    fact.owner = owner
    if previous is None or previous != (owner.pk, day) or fact.org_unit_id is None:
        fact.org_unit = _unit_as_of(owner, day)


def _customer_keys(customer_ids: Iterable[int | None]) -> list[DirtyTuple]:
    """Keys of the customers' first won deal/order date (what `new_customers` counts)."""
    ids = {pk for pk in customer_ids if pk}
    if not ids:
        return []
    firsts = customer_first_won_dates(ids)
    rows = Customer.objects.filter(pk__in=ids).values_list("pk", "owner_id", "org_unit_id")
    return [(owner, unit, firsts[pk]) for pk, owner, unit in rows if firsts.get(pk)]


def _simple_keys(fact: Fact, *dates: datetime.date | None) -> list[DirtyTuple]:
    return [(fact.owner_id, fact.org_unit_id, d) for d in dates if d is not None]


def _fact_keys(fact: Fact) -> list[DirtyTuple]:
    """Dirty keys of a fact's current (saved) state."""
    if isinstance(fact, Deal):
        return _deal_keys(fact)
    if isinstance(fact, Customer):
        return _simple_keys(fact, fact.created_date)
    if isinstance(fact, Lead):
        return _simple_keys(fact, fact.created_date, fact.converted_date)
    if isinstance(fact, Order):
        return _simple_keys(fact, fact.order_date)
    if isinstance(fact, Payment):
        return _simple_keys(fact, fact.payment_date)
    if isinstance(fact, Activity):
        return _simple_keys(fact, fact.activity_date)
    raise TypeError(f"Not a fact: {fact!r}")


def _deal_keys(deal: Deal) -> list[DirtyTuple]:
    """One key per credit share for the close date and for the creation date."""
    shares = DealShare.objects.filter(deal_id=deal.pk).values_list("user_id", "org_unit_id")
    return [
        (user_id, unit_id, day)
        for user_id, unit_id in shares
        for day in (deal.close_date, deal.created_date)
    ]


def _pk(obj: Model | None) -> int | None:
    return None if obj is None else obj.pk


def _customer_ids(fact: Fact | None) -> list[int | None]:
    if fact is None:
        return []
    if isinstance(fact, Customer):
        return [fact.pk]
    return [getattr(fact, "customer_id", None)]


class _Outbox:
    """Collects the dirty keys of the old state before a write and of the new one after."""

    def __init__(self, kind: str, fact: Fact | None, customer_ids: Iterable[int | None] = ()):
        self.kind = kind
        self.customers = {pk for pk in [*_customer_ids(fact), *customer_ids] if pk}
        self.keys: list[DirtyTuple] = _fact_keys(fact) if fact is not None else []
        self.customer_keys = _customer_keys(self.customers)

    def done(self, fact: Fact) -> None:
        self.customers.update(pk for pk in _customer_ids(fact) if pk)
        # One outbox write (and at most one drain after commit) for both kinds of keys;
        # for a customer write both lists belong to the same kind.
        groups: dict[str, list[DirtyTuple]] = {self.kind: [*self.keys, *_fact_keys(fact)]}
        groups.setdefault(Metric.Fact.CUSTOMER, []).extend(
            [*self.customer_keys, *_customer_keys(self.customers)]
        )
        mark_dirty_groups(groups)


def _save(fact: F, existing: bool) -> F:
    if existing:
        fact.deleted_at = None
    fact.save()
    return fact


# --- Customers and leads ----------------------------------------------------------------

CUSTOMER_FIELDS = ("owner_id", "org_unit_id", "name", "industry", "city", "created_date")


@transaction.atomic
def customer_upsert(
    *,
    owner: User,
    name: str,
    created_date: datetime.date,
    industry: str = "",
    city: str = "",
    source: str = Source.MANUAL,
    external_id: str | None = None,
    by: User | None = None,
) -> Customer:
    """Create or update the customer (客户) keyed by (source, external_id)."""
    errors = _Errors()
    source, external_id = _keys_source(errors, source, external_id)
    name = _text(errors, "name", name, 200, required=True)
    industry = _text(errors, "industry", industry, 80, required=False)
    city = _text(errors, "city", city, 80, required=False)
    day = _date(errors, "created_date", created_date)
    errors.raise_if_any()
    assert day is not None

    customer = _existing(Customer, source, external_id)
    before = _snapshot(customer, CUSTOMER_FIELDS) if customer else None
    if customer is not None:
        _authorize(by, customer)
        previous = (customer.owner_id, customer.created_date)
    else:
        customer, previous = Customer(source=source, external_id=external_id), None
    outbox = _Outbox(Metric.Fact.CUSTOMER, customer if previous else None)
    _place(customer, owner, day, previous)
    customer.name, customer.industry, customer.city, customer.created_date = (
        name,
        industry,
        city,
        day,
    )
    _authorize(by, customer)
    unchanged = before is not None and _snapshot(customer, CUSTOMER_FIELDS) == before
    if unchanged and customer.deleted_at is None:
        return customer
    _save(customer, previous is not None)
    outbox.done(customer)
    return customer


LEAD_FIELDS = (
    "owner_id",
    "org_unit_id",
    "name",
    "company",
    "status",
    "created_date",
    "converted_date",
    "customer_id",
)


@transaction.atomic
def lead_upsert(
    *,
    owner: User,
    name: str,
    created_date: datetime.date,
    company: str = "",
    status: str = Lead.Status.OPEN,
    converted_date: datetime.date | None = None,
    customer: Customer | None = None,
    source: str = Source.MANUAL,
    external_id: str | None = None,
    by: User | None = None,
) -> Lead:
    """Create or update a lead (销售线索); a converted lead needs its conversion date."""
    errors = _Errors()
    source, external_id = _keys_source(errors, source, external_id)
    name = _text(errors, "name", name, 200, required=True)
    company = _text(errors, "company", company, 200, required=False)
    _choice(errors, "status", status, Lead.Status.values)
    day = _date(errors, "created_date", created_date)
    if status == Lead.Status.CONVERTED:
        converted = _date(errors, "converted_date", converted_date)
        if converted and day and converted < day:
            errors.add("converted_date", _("A lead cannot be converted before it was created."))
    else:
        converted = None
    lead = _existing(Lead, source, external_id)
    errors.raise_if_any()
    assert day is not None

    before = _snapshot(lead, LEAD_FIELDS) if lead else None
    if lead is not None:
        _authorize(by, lead)
        previous = (lead.owner_id, lead.created_date)
    else:
        lead, previous = Lead(source=source, external_id=external_id), None
    outbox = _Outbox(Metric.Fact.LEAD, lead if previous else None, [_pk(customer)])
    _place(lead, owner, day, previous)
    lead.name, lead.company, lead.status = name, company, status
    lead.created_date, lead.converted_date, lead.customer = day, converted, customer
    _authorize(by, lead)
    if before is not None and lead.deleted_at is None and _snapshot(lead, LEAD_FIELDS) == before:
        return lead
    _save(lead, previous is not None)
    outbox.done(lead)
    return lead


# --- Deals and credit shares ------------------------------------------------------------

DEAL_FIELDS = (
    "owner_id",
    "org_unit_id",
    "name",
    "customer_id",
    "stage",
    "status",
    "probability",
    "created_date",
    "close_date",
    "amount_minor",
    "currency",
    "original_amount_minor",
    "exchange_rate",
)
DEFAULT_PROBABILITY = {Deal.Status.OPEN: 10, Deal.Status.WON: 100, Deal.Status.LOST: 0}

ShareInput = Sequence[tuple[User, int]]


def _check_shares(
    errors: _Errors,
    shares: ShareInput,
    *,
    by: User | None,
    current_holders: set[int],
) -> None:
    if not shares:
        errors.add("shares", _("A deal needs at least one credit share."))
        return
    users = [user.pk for user, _bp in shares]
    if len(set(users)) != len(users):
        errors.add("shares", _("Each person can hold only one share of a deal."))
    if any(not isinstance(bp, int) or isinstance(bp, bool) or bp <= 0 for _u, bp in shares):
        errors.add("shares", _("Each credit share must be more than 0%."))
        return
    total = sum(bp for _u, bp in shares)
    if total != FULL_SHARE_BP:
        errors.add(
            "shares",
            _("Credit shares must add up to exactly 100%% (these add up to %(total)s%%).")
            % {"total": money.from_minor(total)},
        )
    for user, _bp in shares:
        if user.org_unit_id is None:
            errors.add(
                "shares",
                _("%(name)s has no home unit, so the credit cannot go to a team.")
                % {"name": user.display},
            )
    if by is not None:
        allowed = set(scope.visible_users(by).filter(pk__in=users).values_list("pk", flat=True))
        for user, _bp in shares:
            if user.pk not in allowed and user.pk not in current_holders:
                errors.add(
                    "shares",
                    _("You cannot give credit to %(name)s.") % {"name": user.display},
                )


def _write_shares(
    deal: Deal,
    wanted: ShareInput,
    current: dict[int, DealShare],
    close_moved: bool,
) -> bool:
    """Replace the credit shares if they changed; returns whether anything was written."""
    rows = []
    for user, bp in wanted:
        old = current.get(user.pk)
        if old is not None and not close_moved:
            unit_id = old.org_unit_id
        else:
            unit_id = _unit_as_of(user, deal.close_date, field="shares").pk
        rows.append(
            DealShare(
                deal=deal,
                user=user,
                org_unit_id=unit_id,
                share_bp=bp,
                close_date=deal.close_date,
                created_date=deal.created_date,
            )
        )
    # The shares carry the deal's dates for the rollup: a date move rewrites them too.
    now = {(r.user_id, r.org_unit_id, r.share_bp, r.close_date, r.created_date) for r in rows}
    was = {
        (s.user_id, s.org_unit_id, s.share_bp, s.close_date, s.created_date)
        for s in current.values()
    }
    if now == was:
        return False
    DealShare.objects.filter(deal=deal).delete()
    DealShare.objects.bulk_create(rows)
    return True


@transaction.atomic
def deal_upsert(
    *,
    owner: User,
    name: str,
    amount: Decimal,
    created_date: datetime.date,
    close_date: datetime.date,
    currency: str | None = None,
    exchange_rate: Decimal | None = None,
    status: str = Deal.Status.OPEN,
    stage: str = "",
    probability: int | None = None,
    customer: Customer | None = None,
    shares: ShareInput | None = None,
    source: str = Source.MANUAL,
    external_id: str | None = None,
    by: User | None = None,
) -> Deal:
    """Create or update a deal (商机) and its credit shares.

    `shares` are (person, basis points) pairs that must each be above 0 and add up to
    exactly 10000 (100%). `None` keeps a deal's split credit as it is; a new deal, or one
    whose whole credit sat with its owner, credits the owner 100%. `probability` defaults by
    status (open 10%, won 100%, lost 0%) unless the deal already has one.
    """
    errors = _Errors()
    source, external_id = _keys_source(errors, source, external_id)
    name = _text(errors, "name", name, 200, required=True)
    stage = _text(errors, "stage", stage, 80, required=False)
    _choice(errors, "status", status, Deal.Status.values)
    created = _date(errors, "created_date", created_date)
    close = _date(errors, "close_date", close_date)
    if created and close and close < created:
        errors.add("close_date", _("The close date cannot be before the creation date."))
    if probability is not None and not (0 <= probability <= 100):
        errors.add("probability", _("The probability is a percentage from 0 to 100."))
    amounts = _money(errors, amount=amount, currency=currency, exchange_rate=exchange_rate)
    deal = _existing(Deal, source, external_id)
    current: dict[int, DealShare] = {}
    if deal is not None:
        current = {s.user_id: s for s in DealShare.objects.filter(deal=deal)}
    if shares is not None:
        _check_shares(errors, shares, by=by, current_holders=set(current))
    errors.raise_if_any()
    assert created is not None
    assert close is not None
    assert amounts is not None

    before = _snapshot(deal, DEAL_FIELDS) if deal else None
    if deal is not None:
        _authorize(by, deal)
        previous = (deal.owner_id, deal.close_date)
        old_close = deal.close_date
    else:
        deal, previous, old_close = Deal(source=source, external_id=external_id), None, None
    outbox = _Outbox(Metric.Fact.DEAL, deal if previous else None, [_pk(customer)])
    old_owner = deal.owner_id
    _place(deal, owner, close, previous)
    deal.name, deal.stage, deal.status, deal.customer = name, stage, status, customer
    deal.created_date, deal.close_date = created, close
    if probability is None:
        probability = deal.probability if before and status == Deal.Status.OPEN else None
        probability = DEFAULT_PROBABILITY[status] if probability is None else probability
    deal.probability = probability
    _apply_money(deal, amounts)
    _authorize(by, deal)

    if shares is None:
        sole_owner = set(current) == {old_owner} if current else True
        wanted: ShareInput = (
            [(owner, FULL_SHARE_BP)]
            if sole_owner
            else [(s.user, s.share_bp) for s in _with_users(current.values())]
        )
    else:
        wanted = shares
    changed = before is None or deal.deleted_at is not None
    changed = changed or _snapshot(deal, DEAL_FIELDS) != before
    if changed:
        _save(deal, previous is not None)
    shares_written = _write_shares(deal, wanted, current, close_moved=old_close != close)
    if changed or shares_written:
        outbox.done(deal)
    return deal


def _with_users(shares: Iterable[DealShare]) -> list[DealShare]:
    rows = list(shares)
    users = User.objects.select_related("org_unit").in_bulk([s.user_id for s in rows])
    for share in rows:
        share.user = users[share.user_id]
    return rows


def _deal_status(
    *, deal: Deal, status: str, close_date: datetime.date | None, by: User | None
) -> Deal:
    deal = Deal.objects.select_for_update().select_related("owner").get(pk=deal.pk)
    if deal.deleted_at is not None:
        raise FactError({"deal": [_("“%(name)s” has been deleted.") % {"name": deal}]})
    if close_date is None:
        # Closing an open deal closes it today; re-marking a closed deal keeps its date.
        close_date = deal.close_date if deal.status != Deal.Status.OPEN else timezone.localdate()
    return deal_upsert(
        source=deal.source,
        external_id=deal.external_id,
        owner=deal.owner,
        name=deal.name,
        amount=money.from_minor(deal.original_amount_minor),
        currency=deal.currency,
        exchange_rate=deal.exchange_rate,
        created_date=deal.created_date,
        close_date=close_date,
        status=status,
        stage=deal.stage,
        probability=DEFAULT_PROBABILITY[status],
        customer=deal.customer,
        by=by,
    )


@transaction.atomic
def deal_mark_won(
    *, deal: Deal, close_date: datetime.date | None = None, by: User | None = None
) -> Deal:
    """The deal is won (赢单) on `close_date` (default: today, or its close date if closed)."""
    return _deal_status(deal=deal, status=Deal.Status.WON, close_date=close_date, by=by)


@transaction.atomic
def deal_mark_lost(
    *, deal: Deal, close_date: datetime.date | None = None, by: User | None = None
) -> Deal:
    """The deal is lost (输单) on `close_date` (default: today, or its close date if closed)."""
    return _deal_status(deal=deal, status=Deal.Status.LOST, close_date=close_date, by=by)


# --- Orders and payments ----------------------------------------------------------------

ORDER_FIELDS = (
    "owner_id",
    "org_unit_id",
    "customer_id",
    "deal_id",
    "number",
    "order_date",
    "amount_minor",
    "currency",
    "original_amount_minor",
    "exchange_rate",
)


@transaction.atomic
def order_upsert(
    *,
    owner: User,
    order_date: datetime.date,
    amount: Decimal,
    currency: str | None = None,
    exchange_rate: Decimal | None = None,
    customer: Customer | None = None,
    deal: Deal | None = None,
    number: str = "",
    source: str = Source.MANUAL,
    external_id: str | None = None,
    by: User | None = None,
) -> Order:
    """Create or update a sales order (销售订单); the customer defaults to the deal's."""
    errors = _Errors()
    source, external_id = _keys_source(errors, source, external_id)
    number = _text(errors, "number", number, 80, required=False)
    day = _date(errors, "order_date", order_date)
    order = _existing(Order, source, external_id)
    if customer is None and deal is not None:
        customer = deal.customer
    amounts = _money(errors, amount=amount, currency=currency, exchange_rate=exchange_rate)
    errors.raise_if_any()
    assert day is not None
    assert amounts is not None

    before = _snapshot(order, ORDER_FIELDS) if order else None
    if order is not None:
        _authorize(by, order)
        previous = (order.owner_id, order.order_date)
    else:
        order, previous = Order(source=source, external_id=external_id), None
    outbox = _Outbox(Metric.Fact.ORDER, order if previous else None, [_pk(customer)])
    _place(order, owner, day, previous)
    order.customer, order.deal, order.number, order.order_date = customer, deal, number, day
    _apply_money(order, amounts)
    _authorize(by, order)
    if before is not None and order.deleted_at is None and _snapshot(order, ORDER_FIELDS) == before:
        return order
    _save(order, previous is not None)
    outbox.done(order)
    return order


PAYMENT_FIELDS = (
    "owner_id",
    "org_unit_id",
    "customer_id",
    "order_id",
    "reference",
    "payment_date",
    "amount_minor",
    "currency",
    "original_amount_minor",
    "exchange_rate",
)


@transaction.atomic
def payment_upsert(
    *,
    owner: User,
    payment_date: datetime.date,
    amount: Decimal,
    currency: str | None = None,
    exchange_rate: Decimal | None = None,
    customer: Customer | None = None,
    order: Order | None = None,
    reference: str = "",
    source: str = Source.MANUAL,
    external_id: str | None = None,
    by: User | None = None,
) -> Payment:
    """Create or update a payment collected (回款); the customer defaults to the order's."""
    errors = _Errors()
    source, external_id = _keys_source(errors, source, external_id)
    reference = _text(errors, "reference", reference, 80, required=False)
    day = _date(errors, "payment_date", payment_date)
    payment = _existing(Payment, source, external_id)
    if customer is None and order is not None:
        customer = order.customer
    amounts = _money(errors, amount=amount, currency=currency, exchange_rate=exchange_rate)
    errors.raise_if_any()
    assert day is not None
    assert amounts is not None

    before = _snapshot(payment, PAYMENT_FIELDS) if payment else None
    if payment is not None:
        _authorize(by, payment)
        previous = (payment.owner_id, payment.payment_date)
    else:
        payment, previous = Payment(source=source, external_id=external_id), None
    outbox = _Outbox(Metric.Fact.PAYMENT, payment if previous else None, [_pk(customer)])
    _place(payment, owner, day, previous)
    payment.customer, payment.order, payment.reference = customer, order, reference
    payment.payment_date = day
    _apply_money(payment, amounts)
    _authorize(by, payment)
    if (
        before is not None
        and payment.deleted_at is None
        and _snapshot(payment, PAYMENT_FIELDS) == before
    ):
        return payment
    _save(payment, previous is not None)
    outbox.done(payment)
    return payment


# --- Activities -------------------------------------------------------------------------

ACTIVITY_FIELDS = (
    "owner_id",
    "org_unit_id",
    "kind",
    "activity_date",
    "subject",
    "notes",
    "customer_id",
    "deal_id",
)


@transaction.atomic
def activity_upsert(
    *,
    owner: User,
    activity_date: datetime.date,
    subject: str,
    kind: str = Activity.Kind.CALL,
    notes: str = "",
    customer: Customer | None = None,
    deal: Deal | None = None,
    source: str = Source.MANUAL,
    external_id: str | None = None,
    by: User | None = None,
) -> Activity:
    """Create or update an activity (跟进记录: call, visit, meeting …)."""
    errors = _Errors()
    source, external_id = _keys_source(errors, source, external_id)
    subject = _text(errors, "subject", subject, 200, required=True)
    notes = (notes or "").strip()
    _choice(errors, "kind", kind, Activity.Kind.values)
    day = _date(errors, "activity_date", activity_date)
    activity = _existing(Activity, source, external_id)
    if customer is None and deal is not None:
        customer = deal.customer
    errors.raise_if_any()
    assert day is not None

    before = _snapshot(activity, ACTIVITY_FIELDS) if activity else None
    if activity is not None:
        _authorize(by, activity)
        previous = (activity.owner_id, activity.activity_date)
    else:
        activity, previous = Activity(source=source, external_id=external_id), None
    outbox = _Outbox(Metric.Fact.ACTIVITY, activity if previous else None, [_pk(customer)])
    _place(activity, owner, day, previous)
    activity.kind, activity.activity_date, activity.subject = kind, day, subject
    activity.notes, activity.customer, activity.deal = notes, customer, deal
    _authorize(by, activity)
    if (
        before is not None
        and activity.deleted_at is None
        and _snapshot(activity, ACTIVITY_FIELDS) == before
    ):
        return activity
    _save(activity, previous is not None)
    outbox.done(activity)
    return activity


def activity_log(
    *,
    owner: User,
    subject: str,
    kind: str = Activity.Kind.CALL,
    activity_date: datetime.date | None = None,
    notes: str = "",
    customer: Customer | None = None,
    deal: Deal | None = None,
    by: User | None = None,
) -> Activity:
    """Quick-log a manual activity (default: a call, today)."""
    return activity_upsert(
        owner=owner,
        subject=subject,
        kind=kind,
        activity_date=activity_date or timezone.localdate(),
        notes=notes,
        customer=customer,
        deal=deal,
        by=by,
    )


# --- Delete -----------------------------------------------------------------------------


@transaction.atomic
def fact_soft_delete(*, fact: F, by: User | None = None) -> F:
    """Soft-delete a fact (CRM deletions too): it leaves every KPI but stays on record."""
    model = type(fact)
    fact = model.objects.select_for_update().select_related("owner", "org_unit").get(pk=fact.pk)
    _authorize(by, fact)
    if fact.deleted_at is not None:
        return fact
    outbox = _Outbox(fact_kind(model), fact)
    fact.deleted_at = timezone.now()
    fact.save(update_fields=["deleted_at", "updated_at"])
    outbox.done(fact)
    return fact


# --- Bulk import ------------------------------------------------------------------------

# Kinds nothing else in an import points at: inserted without reading back their ids.
_LEAVES = (Lead, DealShare, Payment, Activity)


@transaction.atomic
def facts_bulk_import(
    *,
    customers: Sequence[Customer] = (),
    leads: Sequence[Lead] = (),
    deals: Sequence[Deal] = (),
    shares: Sequence[DealShare] = (),
    orders: Sequence[Order] = (),
    payments: Sequence[Payment] = (),
    activities: Sequence[Activity] = (),
    record_outbox: bool = True,
    batch_size: int = 2000,
) -> dict[str, int]:
    """Insert many new facts at once (demo data, first loads), in dependency order.

    Rows are unsaved instances with money already in minor units (`salesgoals.money`);
    they may point at each other (an order at its deal), because each kind is saved before
    the kinds that reference it. Customers, deals and orders get their ids; leads, shares,
    payments and activities (which nothing here points at) are inserted without reading
    their ids back, which is much faster. Missing `external_id`s get a manual id, missing units the
    owner's unit as of the fact's date; a deal without shares credits its owner 100%, and
    every deal's shares must add up to exactly 100%.

    With `record_outbox=False` no dirty keys are written: the caller must then run the full
    rollup (`kpis.rollup.full_recompute()`) after the import.
    """
    by_deal: dict[int, int] = {}
    for share in shares:
        by_deal[id(share.deal)] = by_deal.get(id(share.deal), 0) + share.share_bp
    bad = [d for d in deals if id(d) in by_deal and by_deal[id(d)] != FULL_SHARE_BP]
    if bad:
        raise FactError(
            {
                "shares": [
                    _("Credit shares must add up to exactly 100%% for “%(name)s”.")
                    % {"name": bad[0].name}
                ]
            }
        )
    shares = [
        *shares,
        *(
            DealShare(deal=d, user=d.owner, share_bp=FULL_SHARE_BP)
            for d in deals
            if id(d) not in by_deal
        ),
    ]
    plan: list[tuple[type[Model], Sequence[Any], str | None]] = [
        (Customer, customers, "created_date"),
        (Lead, leads, "created_date"),
        (Deal, deals, "close_date"),
        (DealShare, shares, None),
        (Order, orders, "order_date"),
        (Payment, payments, "payment_date"),
        (Activity, activities, "activity_date"),
    ]
    counts: dict[str, int] = {}
    for model, rows, date_field in plan:
        if model is DealShare:
            for row in rows:  # the owner's credit sits in the deal's unit (as of its close date)
                if row.org_unit_id is None and row.user_id == row.deal.owner_id:
                    row.org_unit_id = row.deal.org_unit_id
            _fill_units(rows, lambda r: r.deal.close_date, lambda r: r.user, field="shares")
            for row in rows:  # the deal's dates, copied for the rollup
                row.close_date, row.created_date = row.deal.close_date, row.deal.created_date
        else:
            for row in rows:
                if not row.external_id:
                    row.source, row.external_id = row.source or Source.MANUAL, new_external_id()
            _fill_units(
                rows, lambda r, f=date_field: getattr(r, f), lambda r: r.owner, field="owner"
            )
        insert_rows(model, rows, batch_size=batch_size, with_ids=model not in _LEAVES)
        counts[model._meta.model_name] = len(rows)
    if record_outbox:
        for model, rows, _date_field in plan:
            if model is DealShare:
                continue
            keys: list[DirtyTuple] = []
            for row in rows:
                if isinstance(row, Deal):
                    continue
                keys += _fact_keys(row)
            if model is Deal:
                keys = [
                    (s.user_id, s.org_unit_id, day)
                    for s in shares
                    for day in (s.deal.close_date, s.deal.created_date)
                ]
            mark_dirty(fact=fact_kind(model), keys=keys)
        customer_ids = {c.pk for c in customers}
        customer_ids |= {r.customer_id for r in [*deals, *orders] if r.customer_id}
        mark_dirty(fact=Metric.Fact.CUSTOMER, keys=_customer_keys(customer_ids))
    return counts
