"""The metric catalog: what is measured and how it aggregates (definitions only)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Metric(models.Model):
    class Unit(models.TextChoices):
        CURRENCY = "currency", _("Currency")
        COUNT = "count", _("Count")
        PERCENT = "percent", _("Percent")

    class Aggregation(models.TextChoices):
        SUM = "sum", _("Sum")
        RATIO = "ratio", _("Ratio (Σ numerator ÷ Σ denominator)")
        RECOMPUTED = "recomputed", _("Ratio recomputed per scope and period")

    class Direction(models.TextChoices):
        HIGHER = "higher", _("Higher is better")
        LOWER = "lower", _("Lower is better")

    class Fact(models.TextChoices):
        DEAL = "deal", _("Deals")
        ORDER = "order", _("Orders")
        PAYMENT = "payment", _("Payments")
        CUSTOMER = "customer", _("Customers")
        ACTIVITY = "activity", _("Activities")
        LEAD = "lead", _("Leads")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (English)"), max_length=80)
    name_zh = models.CharField(_("name (Chinese)"), max_length=80, blank=True)
    description = models.TextField(_("definition"), blank=True)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    aggregation = models.CharField(_("aggregation"), max_length=12, choices=Aggregation.choices)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER
    )
    fact = models.CharField(_("source facts"), max_length=10, choices=Fact.choices)
    date_field = models.CharField(_("date that places a fact in a period"), max_length=40)
    filters = models.JSONField(
        _("filters"),
        default=dict,
        blank=True,
        help_text=_("Extra conditions over the same facts, e.g. one product line."),
    )
    is_system = models.BooleanField(_("built in"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("metric")
        verbose_name_plural = _("metrics")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.localized_name

    @property
    def localized_name(self) -> str:
        language = get_language() or ""
        if language.startswith("zh") and self.name_zh:
            return self.name_zh
        return self.name

    @property
    def is_additive(self) -> bool:
        """Additive metrics are split and summed; ratios are inherited, never split."""
        return self.aggregation == self.Aggregation.SUM
