"""Recommendation rules (configured by admins) and the recommendations they produce."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class RecommendationRule(models.Model):
    """When a person's monthly KPI lags in this way, suggest this course."""

    class Condition(models.TextChoices):
        BELOW_TEAM_MEDIAN = "below_team_median", _("Below the team median")
        FALLING = "falling", _("Falling month on month")
        ATTAINMENT_BELOW = "attainment_below", _("Attainment below a threshold")

    name = models.CharField(_("name"), max_length=200)
    metric = models.ForeignKey(
        "salesgoals.Metric", on_delete=models.PROTECT, related_name="+", verbose_name=_("metric")
    )
    condition = models.CharField(_("condition"), max_length=20, choices=Condition.choices)
    months = models.PositiveSmallIntegerField(
        _("consecutive months"),
        default=2,
        help_text=_("How many of the last complete months must show the condition."),
    )
    threshold = models.PositiveSmallIntegerField(
        _("threshold (%)"),
        null=True,
        blank=True,
        help_text=_("For attainment: fire when attainment is below this percentage."),
    )
    course = models.ForeignKey(
        "training.Course", on_delete=models.PROTECT, related_name="rules", verbose_name=_("course")
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("recommendation rule")
        verbose_name_plural = _("recommendation rules")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Recommendation(models.Model):
    """A suggested course for one person, from one rule, as of one month (computed once)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ASSIGNED = "assigned", _("Assigned")
        DISMISSED = "dismissed", _("Dismissed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="training_recommendations",
        verbose_name=_("person"),
    )
    rule = models.ForeignKey(
        RecommendationRule,
        on_delete=models.CASCADE,
        related_name="recommendations",
        verbose_name=_("rule"),
    )
    course = models.ForeignKey(
        "training.Course", on_delete=models.CASCADE, related_name="+", verbose_name=_("course")
    )
    period = models.ForeignKey(
        "salesgoals.Period",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("month"),
        help_text=_("The last month the rule looked at."),
    )
    reason = models.CharField(_("reason"), max_length=400)
    evidence = models.JSONField(_("evidence"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    assignment = models.ForeignKey(
        "training.Assignment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignment"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "rule", "period"], name="training_recommendation_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.course}"
