"""Progress through courses: assignments, module completions, quiz attempts, certifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Assignment(models.Model):
    """A course assigned to one person (directly, through their unit or from a recommendation)."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Assigned to the person")
        UNIT = "unit", _("Assigned to their unit")
        RECOMMENDATION = "recommendation", _("From a recommendation")
        SELF = "self", _("Self-enrolled")

    OPEN_STATUSES = (Status.ASSIGNED, Status.IN_PROGRESS)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="training_assignments",
        verbose_name=_("person"),
    )
    course = models.ForeignKey(
        "training.Course",
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("course"),
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ASSIGNED
    )
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.MANUAL
    )
    org_unit = models.ForeignKey(
        "salesgoals.OrgUnit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned through unit"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    score = models.PositiveSmallIntegerField(
        _("score (%)"),
        null=True,
        blank=True,
        help_text=_("Mean of the best attempt of each quiz in the course."),
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("assigned"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["due_on", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course"],
                condition=models.Q(status__in=["assigned", "in_progress"]),
                name="training_one_open_assignment",
            )
        ]
        indexes = [models.Index(fields=["course", "status"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.course}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ModuleCompletion(models.Model):
    assignment = models.ForeignKey(
        Assignment,
        on_delete=models.CASCADE,
        related_name="completions",
        verbose_name=_("assignment"),
    )
    module = models.ForeignKey(
        "training.Module", on_delete=models.CASCADE, related_name="+", verbose_name=_("module")
    )
    completed_at = models.DateTimeField(_("completed"), auto_now_add=True)

    class Meta:
        verbose_name = _("module completion")
        verbose_name_plural = _("module completions")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "module"], name="training_module_completed_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.module}"


class QuizAttempt(models.Model):
    """One submitted quiz, graded on the server: answers {question id: [option ids]}."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("assignment")
    )
    quiz = models.ForeignKey(
        "training.Quiz", on_delete=models.CASCADE, related_name="attempts", verbose_name=_("quiz")
    )
    answers = models.JSONField(_("answers"), default=dict)
    correct = models.PositiveSmallIntegerField(_("correct answers"), default=0)
    total = models.PositiveSmallIntegerField(_("questions"), default=0)
    score = models.PositiveSmallIntegerField(_("score (%)"), default=0)
    passed = models.BooleanField(_("passed"), default=False)
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)

    class Meta:
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.assignment} · {self.score}%"


class Certification(models.Model):
    """A person's certification in a certifying course, valid from issued_on to expires_on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="certifications",
        verbose_name=_("person"),
    )
    course = models.ForeignKey(
        "training.Course",
        on_delete=models.PROTECT,
        related_name="certifications",
        verbose_name=_("course"),
    )
    assignment = models.ForeignKey(
        Assignment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="certifications",
        verbose_name=_("assignment"),
    )
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(
        _("expires on"), null=True, blank=True, help_text=_("Empty means it never expires.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ["-issued_on", "-id"]
        indexes = [models.Index(fields=["user", "course", "issued_on"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.course}"
