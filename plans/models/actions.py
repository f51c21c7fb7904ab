"""Strategies, action plans and tasks of the plans app (how a target gets reached).

- `Strategy`: a sales strategy (market promotion, channel optimisation, customer satisfaction,
  other) of an org unit, optionally linked to a target plan, with a goal, owner, period
  (a fiscal period or explicit dates), budget (minor units) and the contribution it is expected
  to make to the plan's metric (in the metric's own unit: minor units, a count or basis points).
- `ActionPlan`: who does what by when — for a team (org unit) or one rep of it, linked to a
  strategy and/or a target plan. Its progress is rolled up from its tasks (selectors).
- `Task`: one step of an action plan with owner, start and due dates, resources (budget in
  minor units, hours, materials), dependencies on other tasks of the same plan (acyclic,
  validated by the services), status and progress %. A milestone is a task with the milestone
  flag: a time node on its due date. A task whose dependencies are not all done (or cancelled)
  cannot start: the services keep it "blocked" until they are.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

__all__ = ["ActionPlan", "PlanStatus", "Strategy", "Task"]


class PlanStatus(models.TextChoices):
    """The life of a strategy and of an action plan."""

    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Strategy(models.Model):
    class Kind(models.TextChoices):
        MARKET_PROMOTION = "market_promotion", _("Market promotion")
        CHANNEL_OPTIMISATION = "channel_optimisation", _("Channel optimisation")
        CUSTOMER_SATISFACTION = "customer_satisfaction", _("Customer satisfaction")
        OTHER = "other", _("Other")

    Status = PlanStatus

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    goal = models.TextField(_("goal"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="strategies",
        verbose_name=_("owner"),
    )
    org_unit = models.ForeignKey(
        "salesgoals.OrgUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("org unit"),
        help_text=_("The scope the strategy applies to."),
    )
    target_plan = models.ForeignKey(
        "targets.TargetPlan",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="strategies",
        verbose_name=_("target plan"),
    )
    period = models.ForeignKey(
        "salesgoals.Period",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fiscal period"),
        help_text=_("Sets the start and end dates when chosen."),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    budget = models.BigIntegerField(_("budget"), default=0, help_text=_("Minor units."))
    expected_contribution = models.BigIntegerField(
        _("expected contribution"),
        null=True,
        blank=True,
        help_text=_(
            "Expected effect on the target metric, in its unit "
            "(minor units, a count, or basis points for rates)."
        ),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")
        ordering = ["-start_date", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="strategy_end_after_start"
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="strategy_budget_positive"),
        ]
        indexes = [models.Index(fields=["status", "kind"])]

    def __str__(self) -> str:
        return self.name


class ActionPlan(models.Model):
    Status = PlanStatus

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    org_unit = models.ForeignKey(
        "salesgoals.OrgUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("team"),
        help_text=_("The team (org unit) the plan belongs to."),
    )
    rep = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="action_plans",
        verbose_name=_("rep"),
        help_text=_("The rep this plan is for; empty for a team plan."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
        help_text=_("Who leads the plan."),
    )
    strategy = models.ForeignKey(
        Strategy,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_plans",
        verbose_name=_("strategy"),
    )
    target_plan = models.ForeignKey(
        "targets.TargetPlan",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_plans",
        verbose_name=_("target plan"),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("action plan")
        verbose_name_plural = _("action plans")
        ordering = ["-start_date", "title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="action_plan_end_after_start"
            ),
        ]
        indexes = [models.Index(fields=["status", "end_date"])]

    def __str__(self) -> str:
        return self.title


class Task(models.Model):
    class Status(models.TextChoices):
        TODO = "todo", _("To do")
        IN_PROGRESS = "in_progress", _("In progress")
        BLOCKED = "blocked", _("Blocked")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    plan = models.ForeignKey(
        ActionPlan, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("action plan")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="plan_tasks",
        verbose_name=_("owner"),
    )
    start_date = models.DateField(_("start date"))
    due_date = models.DateField(_("due date"))
    is_milestone = models.BooleanField(
        _("milestone"), default=False, help_text=_("A time node of the plan, on its due date.")
    )
    budget = models.BigIntegerField(_("budget"), default=0, help_text=_("Minor units."))
    hours = models.DecimalField(_("hours"), max_digits=7, decimal_places=1, default=0)
    materials = models.TextField(_("materials"), blank=True)
    depends_on = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="dependents",
        verbose_name=_("depends on"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.TODO
    )
    blocked_reason = models.CharField(
        _("blocked because"),
        max_length=200,
        blank=True,
        help_text=_("Why the task is blocked when no dependency holds it up."),
    )
    progress = models.PositiveSmallIntegerField(
        _("progress %"), default=0, validators=[MaxValueValidator(100)]
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["start_date", "due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_date__gte=F("start_date")), name="task_due_after_start"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="task_progress_max_100"),
            models.CheckConstraint(
                condition=Q(budget__gte=0) & Q(hours__gte=0), name="task_resources_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "due_date"]),
            models.Index(fields=["status", "due_date"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status not in (Task.Status.DONE, Task.Status.CANCELLED)
