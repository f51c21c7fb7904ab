"""CRM connections, their mappings, the CRM's users, per-object sync state and run history.

Secrets live only in `Connection.secrets_encrypted` (Fernet, see `crypto.py`); they are
excluded from the audit history (which keeps only `crypto.fingerprint`: the names set and a
keyed hash of each) and never leave the model except through `Connection.secrets()` inside
the providers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from . import crypto


class Provider(models.TextChoices):
    ZOHO = "zoho", _("Zoho CRM")
    FXIAOKE = "fxiaoke", _("Fxiaoke (纷享销客)")


class FactKind(models.TextChoices):
    CUSTOMER = "customer", _("Customers")
    LEAD = "lead", _("Leads")
    DEAL = "deal", _("Deals")
    ORDER = "order", _("Sales orders")
    PAYMENT = "payment", _("Payments")
    ACTIVITY = "activity", _("Activities")


class ConnectionHistoryFields(models.Model):
    """History-only columns of a connection: secrets as a fingerprint, never their values."""

    secrets_fingerprint = models.CharField(
        _("secrets (fingerprint)"), max_length=500, blank=True, default=""
    )

    class Meta:
        abstract = True


class Connection(models.Model):
    provider = models.CharField(_("CRM"), max_length=10, choices=Provider.choices)
    name = models.CharField(_("name"), max_length=100, unique=True)
    region = models.CharField(
        _("data centre / cloud"),
        max_length=20,
        help_text=_("Where the CRM account lives (Zoho data centre or Fxiaoke cloud)."),
    )
    accounts_url = models.URLField(
        _("token URL override"),
        blank=True,
        help_text=_("Only for proxies and tests; empty uses the data centre's own."),
    )
    api_url = models.URLField(
        _("API base URL override"),
        blank=True,
        help_text=_("Only for proxies and tests; empty uses the data centre's own."),
    )
    client_id = models.CharField(
        _("client / app id"),
        max_length=200,
        blank=True,
        help_text=_("Zoho client id or Fxiaoke appId."),
    )
    run_as_user = models.CharField(
        _("Fxiaoke run-as user"),
        max_length=100,
        blank=True,
        help_text=_("currentOpenUserId of a CRM administrator (Fxiaoke only)."),
    )
    secrets_encrypted = models.TextField(blank=True, editable=False)
    objects_enabled = models.JSONField(_("objects to sync"), default=list, blank=True)
    schedule_minutes = models.PositiveIntegerField(
        _("sync every (minutes)"), default=60, help_text=_("0 = only when started by hand.")
    )
    enabled = models.BooleanField(_("enabled"), default=False)
    default_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner of records whose CRM user is not mapped"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    exchange_rates = models.JSONField(
        _("fallback exchange rates"),
        default=dict,
        blank=True,
        help_text=_("Rate to the base currency per currency code, used when a record has none."),
    )
    api_domain = models.URLField(
        _("API domain from the token response"), blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True, editable=False)
    last_status = models.CharField(_("last status"), max_length=12, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    last_tested_at = models.DateTimeField(_("last tested"), null=True, blank=True, editable=False)
    last_test_ok = models.BooleanField(_("last test passed"), null=True, editable=False)

    # Configuration only: the secrets (as a fingerprint, see ConnectionHistoryFields) and
    # what runs and tests write (their status, errors, timestamps) stay out of the history.
    history = HistoricalRecords(
        excluded_fields=[
            "secrets_encrypted",
            "api_domain",
            "updated_at",
            "last_run_at",
            "last_status",
            "last_error",
            "last_tested_at",
            "last_test_ok",
        ],
        bases=[ConnectionHistoryFields],
    )

    class Meta:
        verbose_name = _("CRM connection")
        verbose_name_plural = _("CRM connections")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def secrets(self) -> dict[str, str]:
        return crypto.decrypt(self.secrets_encrypted)

    def secret_names(self) -> list[str]:
        """Which secrets are set (names only, never values)."""
        try:
            return sorted(k for k, v in self.secrets().items() if v)
        except crypto.SecretsUnreadable:
            return []


@receiver(pre_create_historical_record, sender=Connection.history.model)
def _connection_history_secrets(sender, instance: Connection, history_instance, **kwargs) -> None:
    history_instance.secrets_fingerprint = crypto.fingerprint(instance.secrets_encrypted)


def connection_history_extra(connection: Connection) -> dict[str, str]:
    """The history-only values of a connection row written by `history_bulk`."""
    return {"secrets_fingerprint": crypto.fingerprint(connection.secrets_encrypted)}


class ObjectMapping(models.Model):
    """How one CRM object becomes facts: field map, stage → status map, activity type."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="mappings")
    crm_object = models.CharField(_("CRM object"), max_length=80)
    fact_kind = models.CharField(_("becomes"), max_length=10, choices=FactKind.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    field_map = models.JSONField(_("field mapping"), default=dict, blank=True)
    stage_map = models.JSONField(_("stage → open/won/lost"), default=dict, blank=True)
    activity_kind = models.CharField(_("activity type"), max_length=10, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("CRM object mapping")
        verbose_name_plural = _("CRM object mappings")
        ordering = ["connection", "order", "crm_object"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "crm_object"], name="crm_mapping_once")
        ]

    def __str__(self) -> str:
        return f"{self.crm_object} → {self.fact_kind}"


class CrmUser(models.Model):
    """A user of the CRM and the local person their records belong to (if mapped)."""

    class MappedBy(models.TextChoices):
        EXTERNAL_ID = "external_id", _("CRM user id")
        EMAIL = "email", _("E-mail")
        MANUAL = "manual", _("By hand")

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="crm_users")
    external_id = models.CharField(_("CRM user id"), max_length=80)
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    active = models.BooleanField(_("active in the CRM"), default=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("local person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    mapped_by = models.CharField(
        _("mapped by"), max_length=12, choices=MappedBy.choices, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("CRM user")
        verbose_name_plural = _("CRM users")
        ordering = ["connection", "name"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "external_id"], name="crm_user_once")
        ]

    def __str__(self) -> str:
        return self.name or self.external_id


class SyncState(models.Model):
    """Where the sync of one CRM object stands: the committed watermark and the page cursor.

    `watermark` is the CRM's modified time up to which everything is in; `cursor` is the
    position inside the pass in progress (committed with every page), so a killed run resumes
    there. A pass ends by moving `pass_max` into `watermark` and clearing the cursor.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="states")
    crm_object = models.CharField(max_length=80)
    phase = models.CharField(max_length=10, default="records")  # records | deleted
    watermark = models.CharField(max_length=40, blank=True)
    cursor = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "crm_object", "phase"], name="crm_state_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.connection_id}:{self.crm_object}/{self.phase}"


class SyncRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        PARTIAL = "partial", _("Finished with errors")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped (already running)")

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("By hand")
        SCHEDULE = "schedule", _("Schedule")
        API = "api", _("API")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    trigger = models.CharField(_("started by"), max_length=10, choices=Trigger.choices)
    full = models.BooleanField(_("full sync"), default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    current_object = models.CharField(_("current object"), max_length=80, blank=True)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    fetched = models.PositiveIntegerField(_("fetched"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    deleted = models.PositiveIntegerField(_("deleted"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    total = models.PositiveIntegerField(_("total (when the CRM tells)"), null=True, blank=True)
    cursor = models.JSONField(_("cursor"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["connection", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.connection_id} {self.status}"

    @property
    def percent(self) -> int | None:
        if self.status in (self.Status.SUCCEEDED, self.Status.PARTIAL):
            return 100
        if not self.total:
            return None
        return min(99, int(100 * self.fetched / self.total))

    @property
    def finished(self) -> bool:
        return self.status not in self.ACTIVE


class SyncError(models.Model):
    """One record that could not be taken in (logged and skipped) or a run-level error."""

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="errors")
    crm_object = models.CharField(_("CRM object"), max_length=80, blank=True)
    external_id = models.CharField(_("CRM record id"), max_length=80, blank=True)
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sync error")
        verbose_name_plural = _("sync errors")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.crm_object}:{self.external_id} {self.message[:40]}"
