"""The course catalogue: courses made of modules with materials and an optional quiz."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Course(models.Model):
    class Category(models.TextChoices):
        PRODUCT_KNOWLEDGE = "product_knowledge", _("Product knowledge")
        SALES_SKILLS = "sales_skills", _("Sales skills")
        CUSTOMER_COMMUNICATION = "customer_communication", _("Customer communication")
        NEGOTIATION = "negotiation", _("Negotiation")
        COMPLIANCE = "compliance", _("Compliance")
        OTHER = "other", _("Other")

    code = models.SlugField(
        _("code"),
        max_length=60,
        unique=True,
        help_text=_("A short unique identifier, e.g. product-basics."),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(
        _("category"), max_length=30, choices=Category.choices, default=Category.OTHER
    )
    certifying = models.BooleanField(
        _("certifying"),
        default=False,
        help_text=_("Completing the course (and passing its quizzes) issues a certification."),
    )
    certification_valid_months = models.PositiveSmallIntegerField(
        _("certification valid for (months)"),
        null=True,
        blank=True,
        help_text=_("Empty means the certification never expires."),
    )
    active = models.BooleanField(_("active"), default=True)
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
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title
