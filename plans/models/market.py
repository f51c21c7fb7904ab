"""Market changes (快速响应市场变化): a log of market events and the target revisions they led to.

A `MarketChange` records what happened (date, region or unit, category, description) and its
expected impact as signed percentages on one or more metrics (`MarketChangeImpact`, basis
points: −1000 = −10%), effective from a date. Proposing a revision from it goes through
`targets.services.revision_propose`; `MarketChangeRevision` keeps the link, so the log shows the
revisions' status. A feedback item of category "market change" can be logged as one (`feedback`).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class MarketChange(models.Model):
    class Category(models.TextChoices):
        COMPETITOR = "competitor", _("Competitor")
        PRICE = "price", _("Price")
        POLICY = "policy", _("Policy and regulation")
        DEMAND = "demand", _("Customer demand")
        SUPPLY = "supply", _("Supply")
        ECONOMY = "economy", _("Economy")
        OTHER = "other", _("Other")

    date = models.DateField(_("date"), help_text=_("When the change happened or was noticed."))
    org_unit = models.ForeignKey(
        "salesgoals.OrgUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("region"),
        help_text=_("The region or unit the change affects."),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    effective_from = models.DateField(
        _("effective from"), help_text=_("The first day the impact applies to targets.")
    )
    feedback = models.ForeignKey(
        "plans.Feedback",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="market_changes",
        verbose_name=_("feedback"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("market change")
        verbose_name_plural = _("market changes")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return self.title

    @property
    def source_ref(self) -> str:
        """How revisions proposed from this entry name it (`TargetRevision.source_ref`)."""
        return f"plans:market-change:{self.pk}"


class MarketChangeImpact(models.Model):
    market_change = models.ForeignKey(
        MarketChange,
        on_delete=models.CASCADE,
        related_name="impacts",
        verbose_name=_("market change"),
    )
    metric = models.ForeignKey(
        "salesgoals.Metric", on_delete=models.PROTECT, related_name="+", verbose_name=_("metric")
    )
    impact_bp = models.IntegerField(
        _("expected impact (basis points)"), help_text=_("Signed: −1000 = −10%.")
    )

    class Meta:
        verbose_name = _("expected impact")
        verbose_name_plural = _("expected impacts")
        ordering = ["market_change", "metric__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["market_change", "metric"], name="marketimpact_one_per_metric"
            ),
            models.CheckConstraint(
                condition=models.Q(impact_bp__gt=-10000, impact_bp__lte=100000),
                name="marketimpact_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric_id} {self.impact_bp:+d} bp"

    @property
    def percent(self) -> Decimal:
        """The impact as a percentage with two places: -1000 → Decimal("-10.00")."""
        return Decimal(self.impact_bp).scaleb(-2).quantize(Decimal("0.01"))


class MarketChangeRevision(models.Model):
    market_change = models.ForeignKey(
        MarketChange, on_delete=models.CASCADE, related_name="revision_links"
    )
    revision = models.ForeignKey(
        "targets.TargetRevision", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("linked revision")
        verbose_name_plural = _("linked revisions")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["market_change", "revision"], name="marketrevision_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.market_change_id} → {self.revision_id}"
