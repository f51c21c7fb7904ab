"""Sales facts, the dirty-key outbox, target numbers and rolled-up KPI values.

Money is integer minor units in the company base currency (`*_minor`); facts in another
currency also keep the original amount, its currency and the rate used. Every fact keeps the
org unit its owner belonged to on the fact's date, so moving a rep never drags history along.
Writes only through `kpis.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesgoals.models import Metric, OrgUnit, Period


class Source(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    ZOHO = "zoho", _("Zoho CRM")
    FXIAOKE = "fxiaoke", _("Fxiaoke")
    IMPORT = "import", _("Import")


class FactQuerySet(models.QuerySet):
    def alive(self) -> FactQuerySet:
        return self.filter(deleted_at__isnull=True)


class Fact(models.Model):
    """Columns every fact shares. `source` + `external_id` make re-syncing idempotent."""

    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    external_id = models.CharField(_("external id"), max_length=80)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("org unit (as of the fact's date)"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)

    objects = FactQuerySet.as_manager()

    class Meta:
        abstract = True


def _fact_constraints(name: str) -> list[models.BaseConstraint]:
    return [
        models.UniqueConstraint(fields=["source", "external_id"], name=f"{name}_source_external"),
    ]


class Currency(models.Model):
    """Mixin columns for facts whose amount may come in another currency."""

    amount_minor = models.BigIntegerField(_("amount (base currency, minor units)"))
    currency = models.CharField(_("original currency"), max_length=3, default="CNY")
    original_amount_minor = models.BigIntegerField(_("original amount (minor units)"))
    exchange_rate = models.DecimalField(
        _("exchange rate to base currency"), max_digits=18, decimal_places=8, default=1
    )

    class Meta:
        abstract = True


class Customer(Fact):
    name = models.CharField(_("name"), max_length=200)
    industry = models.CharField(_("industry"), max_length=80, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    created_date = models.DateField(_("created on"))

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = _fact_constraints("customer")
        indexes = [models.Index(fields=["owner", "created_date"])]

    def __str__(self) -> str:
        return self.name


class Lead(Fact):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONVERTED = "converted", _("Converted")
        DISQUALIFIED = "disqualified", _("Disqualified")

    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(_("company"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default="open")
    created_date = models.DateField(_("created on"))
    converted_date = models.DateField(_("converted on"), null=True, blank=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        constraints = _fact_constraints("lead")
        indexes = [models.Index(fields=["owner", "created_date"])]

    def __str__(self) -> str:
        return self.name


class Deal(Fact, Currency):
    """An opportunity (商机). KPI credit follows `DealShare` rows, which sum to 100%."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="deals"
    )
    stage = models.CharField(_("stage"), max_length=80, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default="open")
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=10)
    created_date = models.DateField(_("created on"))
    close_date = models.DateField(_("close date"), help_text=_("Expected while open."))

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        constraints = [
            *_fact_constraints("deal"),
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="deal_amount_nonneg"),
            models.CheckConstraint(condition=Q(probability__lte=100), name="deal_probability"),
        ]
        indexes = [
            models.Index(fields=["status", "close_date"]),
            models.Index(fields=["owner", "close_date"]),
            # The rollup drain: a customer's live won deals by date (new customers).
            models.Index(
                fields=["customer", "close_date"],
                condition=Q(status="won", deleted_at__isnull=True),
                name="deal_customer_won",
            ),
            # Lists (pages, API) show live facts newest first, 50 at a time: read in order
            # instead of sorting every visible row (`selectors.fact_list`).
            models.Index(
                fields=["close_date", "id"], condition=Q(deleted_at__isnull=True), name="deal_list"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DealShare(models.Model):
    """A rep's share of a deal's credit, in basis points (10000 = 100%)."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    org_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("org unit (as of close)"),
    )
    share_bp = models.PositiveIntegerField(_("share (basis points)"))
    # Copies of the deal's dates, written with the shares (`kpis.services`), so that the
    # rollup drain finds a rep's credit of one week by index, whatever the table size.
    close_date = models.DateField(_("close date (the deal's)"), editable=False)
    created_date = models.DateField(_("created on (the deal's)"), editable=False)

    class Meta:
        verbose_name = _("deal credit share")
        verbose_name_plural = _("deal credit shares")
        indexes = [
            models.Index(fields=["user", "close_date"], name="dealshare_user_close"),
            models.Index(fields=["user", "created_date"], name="dealshare_user_created"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["deal", "user"], name="dealshare_once"),
            models.CheckConstraint(
                condition=Q(share_bp__gt=0) & Q(share_bp__lte=10000), name="dealshare_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id}:{self.user_id} {self.share_bp / 100:.2f}%"


class Order(Fact, Currency):
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    number = models.CharField(_("order number"), max_length=80, blank=True)
    order_date = models.DateField(_("order date"))

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        constraints = _fact_constraints("order")
        indexes = [
            models.Index(fields=["owner", "order_date"]),
            # The rollup drain: a customer's live orders by date (new customers).
            models.Index(
                fields=["customer", "order_date"],
                condition=Q(deleted_at__isnull=True),
                name="order_customer_live",
            ),
            models.Index(
                fields=["order_date", "id"], condition=Q(deleted_at__isnull=True), name="order_list"
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"


class Payment(Fact, Currency):
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    payment_date = models.DateField(_("payment date"))
    reference = models.CharField(_("reference"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = _fact_constraints("payment")
        indexes = [
            models.Index(fields=["owner", "payment_date"]),
            models.Index(
                fields=["payment_date", "id"],
                condition=Q(deleted_at__isnull=True),
                name="payment_list",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"#{self.pk}"


class Activity(Fact):
    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        VISIT = "visit", _("Visit")
        MEETING = "meeting", _("Meeting")
        EMAIL = "email", _("E-mail")
        OTHER = "other", _("Other")

    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default="call")
    activity_date = models.DateField(_("date"))
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = _fact_constraints("activity")
        indexes = [
            models.Index(fields=["owner", "activity_date"]),
            models.Index(
                fields=["activity_date", "id"],
                condition=Q(deleted_at__isnull=True),
                name="activity_list",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class OwnerType(models.TextChoices):
    REP = "rep", _("Rep")
    UNIT = "unit", _("Org unit")


class DirtyKey(models.Model):
    """Outbox: a (fact kind, rep, unit, day) whose KPI cells must be recomputed.

    Written in the same transaction as the fact change, for the old and the new state.
    """

    fact = models.CharField(max_length=10, choices=Metric.Fact.choices)
    user_id = models.BigIntegerField()
    org_unit_id = models.BigIntegerField()
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("KPI recompute request")
        verbose_name_plural = _("KPI recompute requests")

    def __str__(self) -> str:
        return f"{self.fact} {self.user_id}/{self.org_unit_id} {self.day}"


class KpiTarget(models.Model):
    """A target number per (metric, owner, period), published by `targets` through services."""

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="+")
    owner_type = models.CharField(max_length=4, choices=OwnerType.choices)
    owner_id = models.BigIntegerField()
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="+")
    value = models.BigIntegerField(
        _("target"), help_text=_("Minor units, a count, or basis points for rates.")
    )
    source_ref = models.CharField(max_length=80, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("target number")
        verbose_name_plural = _("target numbers")
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "period", "owner_type", "owner_id"], name="kpitarget_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric_id} {self.owner_type}:{self.owner_id} {self.period_id} = {self.value}"


class KpiGrain(models.Model):
    """Rollup building block: one metric's credit for (rep, unit as of the fact, week).

    Written only by `kpis.rollup`. Full recompute rebuilds it with one GROUP BY per fact
    source; the outbox drain recomputes the grains of the dirty keys and adds the differences
    to the rep and ancestor-unit cells, so its cost follows the changes, not the table.
    Values are in the scale of `KpiValue.numerator`.
    """

    # No single-column indexes: the key below serves every lookup, and each index costs
    # every rollup write. No database-level foreign keys either (their deferred checks ran
    # once per written row at commit, a third of a full rollup); Django still cascades.
    metric = models.ForeignKey(
        Metric, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    user_id = models.BigIntegerField()
    org_unit_id = models.BigIntegerField()
    week = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    numerator = models.BigIntegerField(default=0)
    denominator = models.BigIntegerField(default=0)
    open_pipeline = models.BigIntegerField(default=0)
    weighted_pipeline = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("KPI rollup grain")
        verbose_name_plural = _("KPI rollup grains")
        constraints = [
            models.UniqueConstraint(
                fields=["user_id", "org_unit_id", "week", "metric"], name="kpigrain_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric_id} {self.user_id}/{self.org_unit_id} {self.week_id}"


class KpiBuyer(models.Model):
    """Rollup state for retention: a customer bought from (rep, unit as of the order, week).

    Written only by `kpis.rollup` (rebuilt by the full rollup, kept by the drain from the
    order keys), so that a drain changes retention by the customers whose buying changed
    instead of recounting every customer of every ancestor unit.
    """

    user_id = models.BigIntegerField()
    org_unit_id = models.BigIntegerField()
    week = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    customer_id = models.BigIntegerField()
    orders = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("KPI rollup buyer")
        verbose_name_plural = _("KPI rollup buyers")
        constraints = [
            models.UniqueConstraint(
                fields=["user_id", "org_unit_id", "week", "customer_id"], name="kpibuyer_key"
            )
        ]
        indexes = [models.Index(fields=["customer_id", "week"], name="kpibuyer_customer")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.user_id}/{self.org_unit_id} {self.week_id}"


class KpiValue(models.Model):
    """One rolled-up cell: a metric for a rep or unit over a period, with its target and pace.

    `actual` is minor units or a count for additive metrics and basis points for rates
    (10000 · numerator ÷ denominator); ratios are always recomputed from Σ numerator ÷ Σ
    denominator, never averaged. Scales (see `kpis.rollup`): numerators of additive metrics,
    `open_pipeline` and `weighted_pipeline` are in 1/10000 of the base unit (credit shares
    are basis points, so sums stay exact integers); `actual` rounds them to the base unit.
    """

    class Status(models.TextChoices):
        ON_TRACK = "on_track", _("On track")
        AT_RISK = "at_risk", _("At risk")
        BEHIND = "behind", _("Behind")
        NO_TARGET = "no_target", _("No target")

    # Metric and period lookups use the key and the (period, metric, owner_type) index:
    # no single-column indexes, which every rollup write would have to maintain, and no
    # database-level foreign keys (checked per written row at commit); Django cascades.
    metric = models.ForeignKey(
        Metric, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    owner_type = models.CharField(max_length=4, choices=OwnerType.choices)
    owner_id = models.BigIntegerField()
    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    numerator = models.BigIntegerField(default=0)
    denominator = models.BigIntegerField(default=0)
    actual = models.BigIntegerField(_("actual"), default=0)
    target = models.BigIntegerField(_("target"), null=True, blank=True)
    attainment_bp = models.IntegerField(_("attainment (basis points)"), null=True, blank=True)
    expected_to_date = models.BigIntegerField(_("expected to date"), null=True, blank=True)
    pace_bp = models.IntegerField(_("pace (basis points)"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NO_TARGET
    )
    required_rate = models.BigIntegerField(_("required per working day"), null=True, blank=True)
    forecast = models.BigIntegerField(_("forecast"), null=True, blank=True)
    open_pipeline = models.BigIntegerField(_("open pipeline"), default=0)
    weighted_pipeline = models.BigIntegerField(_("probability-weighted open pipeline"), default=0)
    pipeline_coverage_bp = models.IntegerField(_("pipeline coverage (bp)"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed"), auto_now=True)

    class Meta:
        verbose_name = _("KPI value")
        verbose_name_plural = _("KPI values")
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "period", "owner_type", "owner_id"], name="kpivalue_key"
            )
        ]
        indexes = [
            models.Index(fields=["owner_type", "owner_id", "period"]),
            models.Index(fields=["period", "metric", "owner_type"]),
        ]

    def __str__(self) -> str:
        return (
            f"{self.metric_id} {self.owner_type}:{self.owner_id} {self.period_id} = {self.actual}"
        )
