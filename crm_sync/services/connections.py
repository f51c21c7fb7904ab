"""Connections, mappings and user mapping: validated writes, one transaction each.

Secrets are accepted write-only: a non-empty value replaces the stored one, an empty value
keeps it. They are encrypted before they reach the model and never returned.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm_sync import crypto
from crm_sync.defaults import DEFAULTS, LOCAL_FIELDS, REQUIRED_FIELDS, all_objects
from crm_sync.models import (
    Connection,
    CrmUser,
    ObjectMapping,
    Provider,
    SyncState,
    connection_history_extra,
)
from crm_sync.providers import CrmError, provider_for
from crm_sync.providers.fxiaoke import CLOUDS
from crm_sync.providers.fxiaoke import SECRET_FIELDS as FX_SECRETS
from crm_sync.providers.zoho import DATA_CENTRES
from crm_sync.providers.zoho import SECRET_FIELDS as ZOHO_SECRETS
from kpis.models import Activity
from salesgoals.history import history_bulk
from salesgoals.models import User

__all__ = [
    "SECRET_FIELDS",
    "ConnectionError_",
    "connection_create",
    "connection_reset",
    "connection_test",
    "connection_update",
    "crm_user_map",
    "mapping_update",
    "secrets_rotate",
]

log = logging.getLogger("crm_sync")

SECRET_FIELDS = {Provider.ZOHO: ZOHO_SECRETS, Provider.FXIAOKE: FX_SECRETS}
REGIONS = {Provider.ZOHO: DATA_CENTRES, Provider.FXIAOKE: CLOUDS}
EDITABLE = (
    "name",
    "region",
    "accounts_url",
    "api_url",
    "client_id",
    "run_as_user",
    "objects_enabled",
    "schedule_minutes",
    "enabled",
    "default_owner",
    "exchange_rates",
)


class ConnectionError_(ValidationError):
    """Bad input for a connection or mapping, keyed by field."""


def _check(connection: Connection, secrets: dict[str, str]) -> None:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if connection.provider not in Provider.values:
        add("provider", _("Choose Zoho CRM or Fxiaoke."))
        raise ConnectionError_(errors)
    if not (connection.name or "").strip():
        add("name", _("This field is required."))
    elif (
        Connection.objects.filter(name__iexact=connection.name.strip())
        .exclude(pk=connection.pk)
        .exists()
    ):
        add("name", _("Another connection already has this name."))
    if connection.region not in REGIONS[connection.provider]:
        add("region", _("Choose one of the listed data centres."))
    for field in ("accounts_url", "api_url"):
        value = getattr(connection, field)
        if value:
            try:
                URLValidator(schemes=["http", "https"])(value)
            except ValidationError:
                add(field, _("Enter a full URL such as https://proxy.example.com."))
    unknown = set(connection.objects_enabled or []) - set(all_objects(connection.provider))
    if unknown:
        add(
            "objects_enabled",
            _("Unknown CRM objects: %(names)s.") % {"names": ", ".join(sorted(unknown))},
        )
    if not isinstance(connection.schedule_minutes, int) or connection.schedule_minutes < 0:
        add("schedule_minutes", _("Use 0 (by hand only) or a number of minutes."))
    elif 0 < connection.schedule_minutes < 5:
        add("schedule_minutes", _("Sync at most every 5 minutes."))
    rates = connection.exchange_rates or {}
    if not isinstance(rates, dict):
        add("exchange_rates", _("Give rates as currency code → rate."))
    else:
        for code, rate in rates.items():
            try:
                ok = len(str(code)) == 3 and Decimal(str(rate)) > 0
            except InvalidOperation:
                ok = False
            if not ok:
                add(
                    "exchange_rates",
                    _("%(code)s: use a three-letter code and a positive rate.") % {"code": code},
                )
    unknown_secrets = set(secrets) - set(SECRET_FIELDS[connection.provider])
    if unknown_secrets:
        add(
            "secrets",
            _("Unknown secret fields: %(names)s.") % {"names": ", ".join(sorted(unknown_secrets))},
        )
    if connection.enabled:
        if not connection.client_id:
            add("client_id", _("An enabled connection needs its client / app id."))
        if connection.provider == Provider.FXIAOKE and not connection.run_as_user:
            add(
                "run_as_user", _("Fxiaoke calls run as a CRM administrator: give their openUserId.")
            )
    if errors:
        raise ConnectionError_(errors)


def _merge_secrets(connection: Connection, secrets: dict[str, str] | None) -> dict[str, str]:
    current = connection.secrets() if connection.secrets_encrypted else {}
    for key, value in (secrets or {}).items():
        if value not in (None, ""):
            current[key] = str(value)
    if connection.enabled:
        missing = [k for k in SECRET_FIELDS[connection.provider] if not current.get(k)]
        if missing:
            raise ConnectionError_(
                {k: [_("An enabled connection needs this secret.")] for k in missing}
            )
    return current


@transaction.atomic
def connection_create(
    *,
    provider: str,
    name: str,
    region: str = "",
    secrets: dict[str, str] | None = None,
    **fields: Any,
) -> Connection:
    """A new connection with the provider's default mappings (disabled until switched on)."""
    connection = Connection(provider=provider, name=(name or "").strip())
    if provider in REGIONS:
        connection.region = region or next(iter(REGIONS[provider]))
        connection.objects_enabled = [m.crm_object for m in DEFAULTS[provider] if m.enabled]
    for key, value in fields.items():
        if key not in EDITABLE:
            raise TypeError(f"Unknown connection field {key}")
        setattr(connection, key, value)
    _check(connection, {k: v for k, v in (secrets or {}).items() if v})
    connection.secrets_encrypted = crypto.encrypt(_merge_secrets(connection, secrets))
    connection.save()
    for order, default in enumerate(DEFAULTS[provider]):
        ObjectMapping.objects.create(
            connection=connection,
            crm_object=default.crm_object,
            fact_kind=default.fact_kind,
            field_map=dict(default.field_map),
            stage_map=dict(default.stage_map),
            activity_kind=default.activity_kind,
            enabled=default.enabled,
            order=order,
        )
    return connection


@transaction.atomic
def connection_update(
    *, connection: Connection, secrets: dict[str, str] | None = None, **fields: Any
) -> Connection:
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    for key, value in fields.items():
        if key not in EDITABLE:
            raise TypeError(f"Unknown connection field {key}")
        setattr(connection, key, value)
    if isinstance(connection.name, str):
        connection.name = connection.name.strip()
    _check(connection, {k: v for k, v in (secrets or {}).items() if v})
    merged = _merge_secrets(connection, secrets)
    if merged != (connection.secrets() if connection.secrets_encrypted else {}):
        connection.secrets_encrypted = crypto.encrypt(merged)
    connection.save()
    return connection


def connection_test(*, connection: Connection) -> tuple[bool, str]:
    """Ask the CRM for a token and one small read; (ok, detail). Never raises CRM errors."""
    provider = provider_for(connection)
    try:
        detail, ok = provider.test(), True
    except CrmError as error:
        detail, ok = str(error), False
    except crypto.SecretsUnreadable as error:
        detail, ok = str(error), False
    finally:
        provider.close()
    Connection.objects.filter(pk=connection.pk).update(
        last_tested_at=timezone.now(), last_test_ok=ok
    )
    return ok, detail


@transaction.atomic
def connection_reset(*, connection: Connection) -> int:
    """Forget cursors and watermarks: the next run reads everything again."""
    count, _rows = SyncState.objects.filter(connection=connection).delete()
    return count


@transaction.atomic
def mapping_update(
    *,
    mapping: ObjectMapping,
    field_map: dict[str, str] | None = None,
    stage_map: dict[str, str] | None = None,
    enabled: bool | None = None,
    activity_kind: str | None = None,
    check_crm: bool = True,
) -> ObjectMapping:
    """Change a mapping; every CRM field named must exist in the CRM's field metadata."""
    mapping = (
        ObjectMapping.objects.select_for_update().select_related("connection").get(pk=mapping.pk)
    )
    errors: dict[str, list[str]] = {}
    if field_map is not None:
        allowed = set(LOCAL_FIELDS[mapping.fact_kind])
        cleaned = {k: str(v).strip() for k, v in field_map.items() if str(v or "").strip()}
        for local in set(cleaned) - allowed:
            errors.setdefault(local, []).append(_("Not a field of this kind of fact."))
        for local in REQUIRED_FIELDS[mapping.fact_kind]:
            if local not in cleaned:
                errors.setdefault(local, []).append(_("This field is required."))
        if check_crm and not errors:
            try:
                provider = provider_for(mapping.connection)
                try:
                    known = provider.field_names(mapping.crm_object)
                finally:
                    provider.close()
            except CrmError as error:
                raise ConnectionError_(
                    {
                        "__all__": [
                            _("Cannot read the CRM's fields to check them: %(error)s")
                            % {"error": error}
                        ]
                    }
                ) from None
            for local, spec in cleaned.items():
                bad = [n.strip() for n in spec.split("|") if n.strip() and n.strip() not in known]
                if bad:
                    errors.setdefault(local, []).append(
                        _("The CRM has no field %(names)s on %(object)s.")
                        % {"names": ", ".join(bad), "object": mapping.crm_object}
                    )
        mapping.field_map = cleaned
    if stage_map is not None:
        valid = {"open", "won", "lost", "converted", "disqualified"}
        cleaned_stages = {
            str(k).strip(): str(v).strip() for k, v in stage_map.items() if str(k).strip()
        }
        bad_values = sorted({v for v in cleaned_stages.values() if v not in valid})
        if bad_values:
            errors.setdefault("stage_map", []).append(
                _("Map stages to open, won or lost (leads: converted, disqualified), not %(v)s.")
                % {"v": ", ".join(bad_values)}
            )
        mapping.stage_map = cleaned_stages
    if activity_kind is not None:
        if activity_kind and activity_kind not in Activity.Kind.values:
            errors.setdefault("activity_kind", []).append(_("Choose one of the listed values."))
        mapping.activity_kind = activity_kind
    if enabled is not None:
        mapping.enabled = bool(enabled)
    if errors:
        raise ConnectionError_(errors)
    mapping.save()
    return mapping


@transaction.atomic
def crm_user_map(*, crm_user: CrmUser, user: User | None) -> CrmUser:
    crm_user = CrmUser.objects.select_for_update().get(pk=crm_user.pk)
    crm_user.user = user
    crm_user.mapped_by = CrmUser.MappedBy.MANUAL if user else ""
    crm_user.save(update_fields=["user", "mapped_by", "updated_at"])
    return crm_user


@transaction.atomic
def secrets_rotate() -> int:
    """Re-encrypt every connection's secrets with the first configured key."""
    count = 0
    for connection in Connection.objects.select_for_update().exclude(secrets_encrypted=""):
        rotated = crypto.rotate(connection.secrets_encrypted)
        if rotated != connection.secrets_encrypted:
            Connection.objects.filter(pk=connection.pk).update(secrets_encrypted=rotated)
            connection.secrets_encrypted = rotated
            history_bulk(
                Connection,
                [connection],
                "~",
                reason=gettext_noop("Secrets re-encrypted with the current key"),
                extra=connection_history_extra,
            )
            count += 1
    return count
