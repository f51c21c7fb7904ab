"""People and the organisation tree."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from treebeard.mp_tree import MP_Node


class Role(models.TextChoices):
    REP = "rep", _("Sales rep")
    MANAGER = "manager", _("Sales manager")
    EXECUTIVE = "executive", _("Executive")
    ADMIN = "admin", _("Admin")


class OrgUnit(MP_Node):
    """A node of the organisation (company → region → team …, any depth).

    Materialised path (django-treebeard): the subtree of a unit is one indexed
    `path LIKE 'prefix%'` query, which is what rollups and scope checks need.
    """

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        REGION = "region", _("Region")
        DEPARTMENT = "department", _("Department")
        TEAM = "team", _("Team")

    name = models.CharField(_("name"), max_length=120)
    code = models.SlugField(_("code"), max_length=40, unique=True, null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.TEAM)
    manager = models.ForeignKey(
        "salesgoals.User",
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_units",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    node_order_by = ["name"]
    history = HistoricalRecords(excluded_fields=["path", "depth", "numchild"])

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")

    def __str__(self) -> str:
        return self.name

    def subtree(self) -> models.QuerySet[OrgUnit]:
        """This unit and everything below it, in one query."""
        return OrgUnit.objects.filter(path__startswith=self.path)

    @staticmethod
    def subtree_q(paths: list[str], field: str = "path") -> Q:
        q = Q(pk__in=[])
        for path in paths:
            q |= Q(**{f"{field}__startswith": path})
        return q


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.REP)
    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("home org unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    leave_date = models.DateField(_("leave date"), null=True, blank=True)
    zoho_user_id = models.CharField(_("Zoho CRM user id"), max_length=64, blank=True, db_index=True)
    fxiaoke_user_id = models.CharField(
        _("Fxiaoke user id"), max_length=64, blank=True, db_index=True
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    email_notifications = models.BooleanField(_("e-mail notifications"), default=True)

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(leave_date__isnull=True)
                | Q(hire_date__isnull=True)
                | Q(leave_date__gte=models.F("hire_date")),
                name="user_leave_after_hire",
            )
        ]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def is_employed_on(self, day: datetime.date) -> bool:
        if self.hire_date and day < self.hire_date:
            return False
        return not (self.leave_date and day > self.leave_date)


class OrgMembership(models.Model):
    """Which unit a person belonged to from when to when (inclusive dates).

    Facts record the owner's unit as of the fact's date from this history, so moving a rep
    mid-year never drags their past results to the new team.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="memberships")
    valid_from = models.DateField(_("from"))
    valid_to = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("unit membership")
        verbose_name_plural = _("unit memberships")
        ordering = ["user", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["user", "valid_from"], name="membership_start_once"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="membership_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.org_unit_id} {self.valid_from}..{self.valid_to or ''}"
