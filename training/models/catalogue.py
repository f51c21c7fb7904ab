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


class Module(models.Model):
    """One step of a course: text, materials and an optional quiz."""

    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="modules", verbose_name=_("course")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("content"), blank=True)
    minutes = models.PositiveSmallIntegerField(_("estimated minutes"), default=15)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        ordering = ["course_id", "order", "id"]

    def __str__(self) -> str:
        return self.title


def material_upload_to(instance: Material, filename: str) -> str:
    return f"training/materials/{instance.module.course_id}/{filename}"


class Material(models.Model):
    """A file uploaded to MEDIA or a link, attached to a module."""

    class Kind(models.TextChoices):
        FILE = "file", _("File")
        LINK = "link", _("Link")

    module = models.ForeignKey(
        Module, on_delete=models.CASCADE, related_name="materials", verbose_name=_("module")
    )
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to=material_upload_to, blank=True, max_length=300)
    url = models.URLField(_("link"), blank=True, max_length=500)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["module_id", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def href(self) -> str:
        return self.file.url if self.kind == self.Kind.FILE and self.file else self.url


class Quiz(models.Model):
    """The optional quiz closing a module; graded on the server against `pass_mark`."""

    module = models.OneToOneField(
        Module, on_delete=models.CASCADE, related_name="quiz", verbose_name=_("module")
    )
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (%)"), default=70, help_text=_("The score needed to pass, in percent.")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")

    def __str__(self) -> str:
        return str(self.module)


class Question(models.Model):
    quiz = models.ForeignKey(
        Quiz, on_delete=models.CASCADE, related_name="questions", verbose_name=_("quiz")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    text = models.TextField(_("question"))

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["quiz_id", "order", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class AnswerOption(models.Model):
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="options", verbose_name=_("question")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    text = models.CharField(_("answer"), max_length=300)
    correct = models.BooleanField(_("correct"), default=False)

    class Meta:
        verbose_name = _("answer option")
        verbose_name_plural = _("answer options")
        ordering = ["question_id", "order", "id"]

    def __str__(self) -> str:
        return self.text
