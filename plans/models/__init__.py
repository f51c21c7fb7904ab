"""Tables of the plans app: the feedback channel (反馈机制) here, the other areas star-imported.

Feedback is raised by anyone on a target plan, an action plan, a task or in general; it carries
the author's unit at creation (the scope it is seen in), a category, a status (open →
acknowledged → actioned → closed) and a thread of responses. An anonymous item hides its author
from everyone but admins.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Feedback(models.Model):
    class Category(models.TextChoices):
        MARKET_CHANGE = "market_change", _("Market change")
        COMPETITOR = "competitor", _("Competitor")
        CUSTOMER_NEED = "customer_need", _("Customer need")
        PROCESS = "process", _("Process")
        RESOURCES = "resources", _("Resources")
        OTHER = "other", _("Other")

    class Subject(models.TextChoices):
        TARGET_PLAN = "target_plan", _("Target plan")
        ACTION_PLAN = "action_plan", _("Action plan")
        TASK = "task", _("Task")
        GENERAL = "general", _("General")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ACTIONED = "actioned", _("Actioned")
        CLOSED = "closed", _("Closed")

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="feedback_given",
        verbose_name=_("author"),
    )
    anonymous = models.BooleanField(
        _("anonymous"), default=False, help_text=_("Hide the author from everyone but admins.")
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    subject_type = models.CharField(
        _("subject"), max_length=20, choices=Subject.choices, default=Subject.GENERAL
    )
    plan = models.ForeignKey(
        "targets.TargetPlan",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback",
        verbose_name=_("target plan"),
    )
    action_plan = models.ForeignKey(
        "plans.ActionPlan",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback",
        verbose_name=_("action plan"),
    )
    task = models.ForeignKey(
        "plans.Task",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback",
        verbose_name=_("task"),
    )
    org_unit = models.ForeignKey(
        "salesgoals.OrgUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("org unit"),
        help_text=_("The author's unit when the feedback was raised."),
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "category"])]

    def __str__(self) -> str:
        return self.title


class FeedbackResponse(models.Model):
    feedback = models.ForeignKey(
        Feedback, on_delete=models.CASCADE, related_name="responses", verbose_name=_("feedback")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("feedback response")
        verbose_name_plural = _("feedback responses")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.feedback_id}: {self.text[:40]}"


from plans.models.actions import *  # noqa: E402, F403
from plans.models.reports import *  # noqa: E402, F403
