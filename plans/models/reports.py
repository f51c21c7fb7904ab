"""Periodic reports and reviews (定期汇报) of the plans app.

A `PeriodicReport` is written by a rep about their own work or by a manager about a team (org
unit) for one fiscal period of kind week, month or quarter. While a draft it shows the live KPI
snapshot of its owner and period; on submit the snapshot is frozen into `kpi_snapshot` (JSON), so
later rollups never change a submitted report. Status: draft → submitted → signed off, or
returned (with a comment) to the author, who edits and submits again. `ReportComment` is the
thread of manager comments, return notes and sign-offs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

__all__ = [
    "MarketChange",
    "MarketChangeImpact",
    "MarketChangeRevision",
    "PeriodicReport",
    "ReportComment",
]


class PeriodicReport(models.Model):
    class OwnerType(models.TextChoices):
        REP = "rep", _("Rep")
        UNIT = "unit", _("Team")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        SIGNED_OFF = "signed_off", _("Signed off")
        RETURNED = "returned", _("Returned")

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="periodic_reports",
        verbose_name=_("author"),
    )
    owner_type = models.CharField(
        _("report on"), max_length=4, choices=OwnerType.choices, default=OwnerType.REP
    )
    org_unit = models.ForeignKey(
        "salesgoals.OrgUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("org unit"),
        help_text=_("The team reported on, or the rep's unit when the report was written."),
    )
    period = models.ForeignKey(
        "salesgoals.Period", on_delete=models.PROTECT, related_name="+", verbose_name=_("period")
    )
    achievements = models.TextField(_("achievements"), blank=True)
    problems = models.TextField(_("problems and challenges"), blank=True)
    help_needed = models.TextField(_("help needed"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    kpi_snapshot = models.JSONField(
        _("KPI snapshot"),
        default=list,
        blank=True,
        help_text=_("Frozen on submit: actual, target, attainment and pace per metric."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed off by"),
    )
    signed_off_at = models.DateTimeField(_("signed off"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("periodic report")
        verbose_name_plural = _("periodic reports")
        ordering = ["-period__start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "period"],
                condition=Q(owner_type="rep"),
                name="report_one_per_rep_period",
            ),
            models.UniqueConstraint(
                fields=["org_unit", "period"],
                condition=Q(owner_type="unit"),
                name="report_one_per_team_period",
            ),
        ]
        indexes = [models.Index(fields=["status", "period"])]

    def __str__(self) -> str:
        return f"{self.period} · {self.author}"

    @property
    def owner_id(self) -> int:
        """The KPI owner reported on: the author (rep report) or the unit (team report)."""
        return self.author_id if self.owner_type == self.OwnerType.REP else self.org_unit_id

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.RETURNED)


class ReportComment(models.Model):
    class Kind(models.TextChoices):
        COMMENT = "comment", _("Comment")
        RETURNED = "returned", _("Returned")
        SIGNED_OFF = "signed_off", _("Signed off")

    report = models.ForeignKey(
        PeriodicReport,
        on_delete=models.CASCADE,
        related_name="comments",
        verbose_name=_("report"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.COMMENT)
    text = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("report comment")
        verbose_name_plural = _("report comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.report_id}: {self.text[:40]}"


from plans.models.market import (  # noqa: E402
    MarketChange,
    MarketChangeImpact,
    MarketChangeRevision,
)
