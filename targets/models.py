"""Target plans, their cells, split profiles, revisions and the audit trail.

A plan's cells are stored one row per owner (`TargetLine`): the owner's value for every
period of the fiscal year in `values` ({period id: int}) and the locked period ids in
`locked`. A company of 5,000 reps has ~460,000 cells but only ~6,000 lines, so a full
re-split writes thousands of rows, not hundreds of thousands (see ARCHITECTURE.md). Values are
in the metric's unit: minor units for currency, whole counts, basis points for rates. Writes
only through `targets.services`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kpis.models import OwnerType
from salesgoals.models import FiscalYear, Metric, OrgUnit

__all__ = [
    "OwnerMethod",
    "OwnerType",
    "PeriodMethod",
    "PlanEvent",
    "PlanningSettings",
    "SplitProfile",
    "TargetLine",
    "TargetPlan",
    "TargetRevision",
]


class PeriodMethod(models.TextChoices):
    EVEN = "even", _("Evenly")
    WORKING_DAYS = "working_days", _("By working days")
    SEASONAL = "seasonal", _("Seasonal (history)")
    PROFILE = "profile", _("Profile")
    MANUAL = "manual", _("Manual")


class OwnerMethod(models.TextChoices):
    EVEN = "even", _("Evenly")
    HEADCOUNT = "headcount", _("By headcount")
    HISTORY = "history", _("By last year's actuals")
    WEIGHTS = "weights", _("By weights")
    MANUAL = "manual", _("Manual")


class SplitProfile(models.Model):
    """A named, reusable monthly distribution: twelve shares in basis points totalling 100%."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    month_shares_bp = models.JSONField(
        _("monthly shares (basis points)"),
        help_text=_("Twelve shares in 1/100 of a percent, totalling exactly 10000."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("split profile")
        verbose_name_plural = _("split profiles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TargetPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    metric = models.ForeignKey(
        Metric, verbose_name=_("metric"), on_delete=models.PROTECT, related_name="+"
    )
    fiscal_year = models.ForeignKey(
        FiscalYear, verbose_name=_("fiscal year"), on_delete=models.PROTECT, related_name="+"
    )
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("org unit"), on_delete=models.PROTECT, related_name="+"
    )
    value = models.BigIntegerField(
        _("annual value"), help_text=_("Minor units, a count, or basis points for rates.")
    )
    description = models.TextField(_("description"))
    objective = models.CharField(_("company objective"), max_length=200, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent plan"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    period_method = models.CharField(
        _("period split"),
        max_length=16,
        choices=PeriodMethod.choices,
        default=PeriodMethod.WORKING_DAYS,
    )
    owner_method = models.CharField(
        _("owner split"), max_length=12, choices=OwnerMethod.choices, default=OwnerMethod.EVEN
    )
    profile = models.ForeignKey(
        SplitProfile,
        verbose_name=_("profile"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    over_assignment_bp = models.PositiveIntegerField(
        _("over-assignment (basis points)"),
        default=10000,
        help_text=_("10000 = 100%: the units and reps below add up to the plan exactly."),
    )
    warnings_reason = models.TextField(_("reason for overriding warnings"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    published_version = models.PositiveIntegerField(_("published version"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("target plan")
        verbose_name_plural = _("target plans")
        ordering = ["-fiscal_year__start", "metric__sort_order", "org_unit__path"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="targetplan_value_nonneg"),
            models.UniqueConstraint(
                fields=["metric", "fiscal_year", "org_unit"],
                condition=~Q(status="closed"),
                name="targetplan_one_open_per_scope",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} · {self.org_unit} · {self.fiscal_year}"

    @property
    def source_ref(self) -> str:
        """How this plan's published numbers are tagged in `kpis`."""
        return f"target-plan:{self.pk}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_published(self) -> bool:
        return self.status in (self.Status.APPROVED, self.Status.ACTIVE)


class TargetLine(models.Model):
    """One owner's cells of a plan: a value for every period of the year, and its locks."""

    plan = models.ForeignKey(TargetPlan, on_delete=models.CASCADE, related_name="lines")
    owner_type = models.CharField(_("owner type"), max_length=4, choices=OwnerType.choices)
    owner_id = models.BigIntegerField(_("owner"))
    parent_type = models.CharField(_("parent type"), max_length=4, blank=True)
    parent_id = models.BigIntegerField(_("parent"), null=True, blank=True)
    unit_path = models.CharField(
        _("unit path"),
        max_length=255,
        help_text=_("The owner's unit path (a rep's home unit) for subtree queries."),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0)
    name = models.CharField(_("name"), max_length=200)
    weight = models.PositiveIntegerField(
        _("weight"), default=100, help_text=_("Potential relative to siblings (method: weights).")
    )
    over_assignment_bp = models.PositiveIntegerField(_("over-assignment (bp)"), default=10000)
    owner_method = models.CharField(
        _("owner split below this unit"),
        max_length=12,
        choices=OwnerMethod.choices,
        blank=True,
        help_text=_("Empty: the plan's owner split."),
    )
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    leave_date = models.DateField(_("leave date"), null=True, blank=True)
    values = models.JSONField(_("values"), default=dict)
    locked = models.JSONField(_("locked periods"), default=list)
    acknowledged_version = models.PositiveIntegerField(_("acknowledged version"), default=0)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    # Written in bulk by `targets.services.allocation` (see `salesgoals.history.history_bulk`).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("target line")
        verbose_name_plural = _("target lines")
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "owner_type", "owner_id"], name="targetline_owner_once"
            ),
        ]
        indexes = [models.Index(fields=["plan", "unit_path"])]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> tuple[str, int]:
        return (self.owner_type, self.owner_id)

    @property
    def parent_key(self) -> tuple[str, int] | None:
        return (self.parent_type, self.parent_id) if self.parent_type else None

    def value_of(self, period_id: int) -> int:
        return int(self.values.get(str(period_id), 0))

    def is_locked(self, period_id: int) -> bool:
        return period_id in self.locked


class TargetRevision(models.Model):
    class Mode(models.TextChoices):
        KEEP_PAST = "keep_past", _("Keep past periods")
        RESET_TO_ACTUALS = "reset_to_actuals", _("Reset past periods to actuals")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    plan = models.ForeignKey(TargetPlan, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("number"))
    effective_date = models.DateField(_("effective date"))
    reason = models.TextField(_("reason"))
    source_ref = models.CharField(
        _("linked entry"),
        max_length=80,
        blank=True,
        help_text=_("A market change or feedback item this revision answers, e.g. plans:12."),
    )
    mode = models.CharField(_("mode"), max_length=16, choices=Mode.choices)
    new_value = models.BigIntegerField(_("new annual value"), null=True, blank=True)
    cell_changes = models.JSONField(_("cell changes"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    diff = models.JSONField(
        _("changed cells"),
        default=list,
        help_text=_("[owner_type, owner_id, period_id, before, after] for every changed cell."),
    )
    base_version = models.PositiveIntegerField(_("plan version it applies to"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("target revision")
        verbose_name_plural = _("target revisions")
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="targetrevision_number"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · r{self.number}"


class PlanEvent(models.Model):
    """The audit trail of a plan: who did what and when, with before and after."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        DECOMPOSED = "decomposed", _("Re-split")
        CELLS_EDITED = "cells_edited", _("Cells edited")
        IMPORTED = "imported", _("Imported from Excel")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned to draft")
        ACTIVATED = "activated", _("Activated")
        CLOSED = "closed", _("Closed")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        REVISION_PROPOSED = "revision_proposed", _("Revision proposed")
        REVISION_APPROVED = "revision_approved", _("Revision approved")
        REVISION_REJECTED = "revision_rejected", _("Revision rejected")
        PUBLISHED = "published", _("Published")

    plan = models.ForeignKey(TargetPlan, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    version = models.PositiveIntegerField(_("version"))
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("plan event")
        verbose_name_plural = _("plan events")
        ordering = ["plan", "-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.plan_id} {self.action}"


class PlanningSettings(models.Model):
    """Company-wide rules of target setting (one row; admins edit it in the admin site)."""

    growth_warning_bp = models.PositiveIntegerField(
        _("growth that needs a reason (basis points)"),
        default=5000,
        help_text=_("A target more than this above last year's actual gets a warning (+50%)."),
    )
    max_over_assignment_bp = models.PositiveIntegerField(
        _("highest over-assignment (basis points)"), default=15000
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("planning settings")
        verbose_name_plural = _("planning settings")

    def __str__(self) -> str:
        return str(_("Planning settings"))

    @classmethod
    def load(cls) -> PlanningSettings:
        settings_row, _created = cls.objects.get_or_create(pk=1)
        return settings_row
