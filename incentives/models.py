"""Tables of the incentives app: plans (versioned), statements with lines, badges, contests.

Money is integer minor units (`*_minor`); plan parameters are decimal strings inside the
plan's `components` JSON (parsed and validated by `incentives.engine`). A plan that has
statements is never edited in place: a change makes a new version (same `family`), and the
statements keep pointing at the version they were computed with. A statement's lines keep
their inputs and formula as computed; approved and paid statements never change — later
differences arrive as adjustment lines in the person's next open statement.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesgoals.models import PeriodKind, Role

PLAN_PERIOD_KINDS = [
    (PeriodKind.MONTH.value, PeriodKind.MONTH.label),
    (PeriodKind.QUARTER.value, PeriodKind.QUARTER.label),
    (PeriodKind.YEAR.value, PeriodKind.YEAR.label),
]


class IncentivePlan(models.Model):
    family = models.UUIDField(_("plan family"), default=uuid.uuid4, db_index=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    is_current = models.BooleanField(
        _("current version"), default=True, help_text=_("Older versions stay for statements.")
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    role = models.CharField(
        _("role"),
        max_length=12,
        choices=Role.choices,
        blank=True,
        help_text=_("Leave empty for every role."),
    )
    org_unit = models.ForeignKey(
        "salesgoals.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("org unit"),
        help_text=_("The plan applies to this unit's subtree; empty = the whole company."),
    )
    period_kind = models.CharField(
        _("period"), max_length=8, choices=PLAN_PERIOD_KINDS, default=PeriodKind.QUARTER
    )
    components = models.JSONField(_("components"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("incentive plan")
        verbose_name_plural = _("incentive plans")
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="incentiveplan_version"),
            models.UniqueConstraint(
                fields=["family"], condition=Q(is_current=True), name="incentiveplan_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Statement(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="incentive_statements",
        verbose_name=_("person"),
    )
    period = models.ForeignKey(
        "salesgoals.Period", on_delete=models.PROTECT, related_name="+", verbose_name=_("period")
    )
    plan = models.ForeignKey(
        IncentivePlan,
        on_delete=models.PROTECT,
        related_name="statements",
        verbose_name=_("incentive plan"),
    )
    org_unit = models.ForeignKey(
        "salesgoals.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("org unit"),
        help_text=_("The person's unit when the statement was computed (its scope)."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    total_minor = models.BigIntegerField(_("total (minor units)"), default=0)
    computed_at = models.DateTimeField(_("computed"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked paid by"),
    )
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["-period__start", "person__display_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "period"], name="statement_person_period"),
        ]
        indexes = [models.Index(fields=["status", "period"])]

    def __str__(self) -> str:
        return f"{self.person} · {self.period}"

    @property
    def frozen(self) -> bool:
        return self.status != self.Status.DRAFT


class StatementLine(models.Model):
    class Kind(models.TextChoices):
        TIERED = "tiered", _("Tiered bonus")
        COMMISSION = "commission", _("Commission")
        SPIFF = "spiff", _("SPIFF")
        BADGE = "badge", _("Badge")
        PROMOTION = "promotion", _("Promotion eligibility")
        ADJUSTMENT = "adjustment", _("Adjustment")

    statement = models.ForeignKey(
        Statement, on_delete=models.CASCADE, related_name="lines", verbose_name=_("statement")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    component_key = models.CharField(_("component"), max_length=60, blank=True)
    label = models.CharField(_("label"), max_length=200)
    inputs = models.JSONField(_("inputs"), default=dict)
    formula = models.TextField(_("formula"), blank=True)
    amount_minor = models.BigIntegerField(_("amount (minor units)"), default=0)
    achieved = models.BooleanField(_("achieved"), null=True, blank=True)
    adjusts = models.ForeignKey(
        Statement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adjusted_by",
        verbose_name=_("adjusts statement"),
    )
    # Written in bulk by `statement_compute` (see `salesgoals.history.history_bulk`).
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["statement", "position", "id"]

    def __str__(self) -> str:
        return f"{self.label}: {self.amount_minor}"


class Contest(models.Model):
    class RankBy(models.TextChoices):
        ATTAINMENT = "attainment", _("Attainment")
        ACTUAL = "actual", _("Actual")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    name = models.CharField(_("name"), max_length=120)
    metric = models.ForeignKey(
        "salesgoals.Metric", on_delete=models.PROTECT, related_name="+", verbose_name=_("metric")
    )
    period = models.ForeignKey(
        "salesgoals.Period", on_delete=models.PROTECT, related_name="+", verbose_name=_("period")
    )
    org_unit = models.ForeignKey(
        "salesgoals.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("org unit"),
        help_text=_("Empty = the whole company."),
    )
    rank_by = models.CharField(
        _("rank by"), max_length=12, choices=RankBy.choices, default=RankBy.ATTAINMENT
    )
    winners = models.PositiveSmallIntegerField(_("number of winners"), default=3)
    prize_minor = models.BigIntegerField(_("prize per winner (minor units)"), default=0)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default="open")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contest")
        verbose_name_plural = _("contests")
        ordering = ["-period__start", "name"]

    def __str__(self) -> str:
        return self.name


class ContestWinner(models.Model):
    contest = models.ForeignKey(
        Contest, on_delete=models.CASCADE, related_name="results", verbose_name=_("contest")
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("person"),
    )
    rank = models.PositiveSmallIntegerField(_("rank"))
    value = models.CharField(_("value"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("contest winner")
        verbose_name_plural = _("contest winners")
        ordering = ["contest", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["contest", "person"], name="contestwinner_once"),
        ]

    def __str__(self) -> str:
        return f"{self.contest} #{self.rank}"


class BadgeAward(models.Model):
    class Source(models.TextChoices):
        RULE = "rule", _("Plan rule")
        MANUAL = "manual", _("Manual award")
        CONTEST = "contest", _("Contest")

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="badges",
        verbose_name=_("person"),
    )
    badge = models.CharField(_("badge"), max_length=80)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    message = models.TextField(_("message"), blank=True)
    period = models.ForeignKey(
        "salesgoals.Period",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("period"),
    )
    statement = models.ForeignKey(
        Statement,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="badges",
        verbose_name=_("statement"),
    )
    contest = models.ForeignKey(
        Contest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="badges",
        verbose_name=_("contest"),
    )
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("awarded by"),
    )
    awarded_at = models.DateTimeField(_("awarded"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("badge")
        verbose_name_plural = _("badges")
        ordering = ["-awarded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "badge", "period"],
                condition=Q(source="rule"),
                name="badgeaward_rule_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.badge} → {self.person}"
