"""Progress through courses: assignments, module completions, quiz attempts, certifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


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
