"""Forms of the CRM pages: connection setup (secrets write-only), mapping, user mapping."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kpis.models import Activity
from salesgoals.forms import PersonChoiceField
from salesgoals.models import User

from .defaults import LOCAL_FIELDS, REQUIRED_FIELDS, all_objects
from .models import Connection, ObjectMapping, Provider
from .providers.fxiaoke import REGION_LABELS as FX_REGIONS
from .providers.zoho import REGION_LABELS as ZOHO_REGIONS

REGION_CHOICES = {Provider.ZOHO: ZOHO_REGIONS, Provider.FXIAOKE: FX_REGIONS}
SECRET_LABELS = {
    Provider.ZOHO: {"client_secret": _("Client secret"), "refresh_token": _("Refresh token")},
    Provider.FXIAOKE: {"app_secret": _("App secret"), "permanent_code": _("Permanent code")},
}
LOCAL_LABELS = {
    "name": _("Name"),
    "industry": _("Industry"),
    "city": _("City"),
    "created_date": _("Created on"),
    "owner": _("Owner (CRM user)"),
    "company": _("Company"),
    "status": _("Status (mapped below)"),
    "converted_date": _("Converted on"),
    "customer": _("Customer (lookup)"),
    "amount": _("Amount"),
    "currency": _("Currency"),
    "exchange_rate": _("Exchange rate"),
    "stage": _("Stage"),
    "probability": _("Probability (%)"),
    "close_date": _("Close date"),
    "number": _("Order number"),
    "order_date": _("Order date"),
    "deal": _("Deal (lookup)"),
    "reference": _("Reference"),
    "payment_date": _("Payment date"),
    "order": _("Order (lookup)"),
    "subject": _("Subject"),
    "activity_date": _("Date"),
    "notes": _("Notes"),
}


class ConnectionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    region = forms.ChoiceField(label=_("Data centre / cloud"))
    client_id = forms.CharField(label=_("Client / app id"), max_length=200, required=False)
    run_as_user = forms.CharField(
        label=_("Run as (Fxiaoke currentOpenUserId)"), max_length=100, required=False
    )
    accounts_url = forms.URLField(
        label=_("Token URL override"),
        required=False,
        assume_scheme="https",
        help_text=_("Only for proxies and tests; empty uses the data centre's own."),
    )
    api_url = forms.URLField(
        label=_("API base URL override"),
        required=False,
        assume_scheme="https",
        help_text=_("Only for proxies and tests; empty uses the data centre's own."),
    )
    objects_enabled = forms.MultipleChoiceField(
        label=_("Objects to sync"), widget=forms.CheckboxSelectMultiple, required=False
    )
    schedule_minutes = forms.IntegerField(
        label=_("Sync every (minutes)"), min_value=0, help_text=_("0 = only when started by hand.")
    )
    default_owner = PersonChoiceField(
        label=_("Owner of records whose CRM user is not mapped"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("— none: such records are skipped —"),
    )
    exchange_rates = forms.CharField(
        label=_("Fallback exchange rates"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line, e.g. “USD = 7.10”: used when a record carries no rate."),
    )
    enabled = forms.BooleanField(label=_("Enabled (scheduled syncs run)"), required=False)

    def __init__(self, *args: Any, provider: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.provider = provider
        self.fields["region"].choices = list(REGION_CHOICES[provider].items())
        self.fields["objects_enabled"].choices = [(o, o) for o in all_objects(provider)]
        self.fields["default_owner"].queryset = User.objects.filter(is_active=True).order_by(
            "display_name", "username"
        )
        if provider == Provider.ZOHO:
            del self.fields["run_as_user"]
        for key, label in SECRET_LABELS[provider].items():
            self.fields[f"secret_{key}"] = forms.CharField(
                label=label,
                required=False,
                strip=False,
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
                help_text=_("Stored encrypted and never shown again; leave empty to keep it."),
            )

    def clean_exchange_rates(self) -> dict[str, str]:
        rates: dict[str, str] = {}
        for line in (self.cleaned_data.get("exchange_rates") or "").splitlines():
            if not line.strip():
                continue
            code, sep, rate = line.partition("=")
            if not sep:
                raise forms.ValidationError(_("Write each rate as “USD = 7.10”."))
            rates[code.strip().upper()] = rate.strip()
        return rates

    def secrets(self) -> dict[str, str]:
        return {
            key: self.cleaned_data.get(f"secret_{key}") or ""
            for key in SECRET_LABELS[self.provider]
        }

    def values(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("secret_")}
        data["objects_enabled"] = list(data.get("objects_enabled") or [])
        return data

    @staticmethod
    def initial_for(connection: Connection) -> dict[str, Any]:
        return {
            "name": connection.name,
            "region": connection.region,
            "client_id": connection.client_id,
            "run_as_user": connection.run_as_user,
            "accounts_url": connection.accounts_url,
            "api_url": connection.api_url,
            "objects_enabled": connection.objects_enabled,
            "schedule_minutes": connection.schedule_minutes,
            "default_owner": connection.default_owner_id,
            "exchange_rates": "\n".join(f"{k} = {v}" for k, v in connection.exchange_rates.items()),
            "enabled": connection.enabled,
        }


class MappingForm(forms.Form):
    enabled = forms.BooleanField(label=_("Enabled"), required=False)
    activity_kind = forms.ChoiceField(
        label=_("Activity type"), required=False, choices=[("", "—"), *Activity.Kind.choices]
    )
    stage_map = forms.CharField(
        label=_("Stage → open / won / lost"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One per line, e.g. “Closed Won = won”; CRM values not listed count as open "
            "(leads: converted, disqualified)."
        ),
    )

    def __init__(self, *args: Any, mapping: ObjectMapping, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mapping = mapping
        required = REQUIRED_FIELDS[mapping.fact_kind]
        for local in LOCAL_FIELDS[mapping.fact_kind]:
            self.fields[local] = forms.CharField(
                label=LOCAL_LABELS.get(local, local),
                required=local in required,
                max_length=200,
                help_text=_("CRM field API name; “A|B” reads B when A is empty."),
            )
        if mapping.fact_kind != "activity":
            del self.fields["activity_kind"]

    def clean_stage_map(self) -> dict[str, str]:
        result: dict[str, str] = {}
        for line in (self.cleaned_data.get("stage_map") or "").splitlines():
            if not line.strip():
                continue
            stage, sep, status = line.rpartition("=")
            if not sep:
                raise forms.ValidationError(_("Write each line as “CRM stage = won”."))
            result[stage.strip()] = status.strip()
        return result

    def field_map(self) -> dict[str, str]:
        return {
            local: self.cleaned_data.get(local) or ""
            for local in LOCAL_FIELDS[self.mapping.fact_kind]
        }

    @staticmethod
    def initial_for(mapping: ObjectMapping) -> dict[str, Any]:
        return {
            **mapping.field_map,
            "enabled": mapping.enabled,
            "activity_kind": mapping.activity_kind,
            "stage_map": "\n".join(f"{k} = {v}" for k, v in mapping.stage_map.items()),
        }


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
