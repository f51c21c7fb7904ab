"""Forms of the incentives pages; the services validate the rules, these only parse input."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from incentives.models import PLAN_PERIOD_KINDS, Contest, IncentivePlan, Statement
from salesgoals import scope
from salesgoals.models import Metric, OrgUnit, Period, Role, User


class PlanForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    role = forms.ChoiceField(
        label=_("Role"), choices=[("", _("Every role")), *Role.choices], required=False
    )
    org_unit = forms.ModelChoiceField(
        label=_("Org unit"),
        queryset=OrgUnit.objects.order_by("path"),
        required=False,
        empty_label=_("Whole company"),
    )
    period_kind = forms.ChoiceField(
        label=_("Paid per"), choices=PLAN_PERIOD_KINDS, initial="quarter"
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    components = forms.CharField(
        label=_("Components (JSON)"),
        widget=forms.Textarea(attrs={"rows": 8, "data-components": ""}),
        initial="[]",
    )

    def clean_components(self) -> list[dict[str, Any]]:
        try:
            value = json.loads(self.cleaned_data["components"] or "[]", parse_float=str)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(_("This is not valid JSON.")) from error
        if not isinstance(value, list):
            raise forms.ValidationError(_("Components are a list."))
        return value

    @classmethod
    def initial_for(cls, plan: IncentivePlan) -> dict[str, Any]:
        return {
            "name": plan.name,
            "description": plan.description,
            "role": plan.role,
            "org_unit": plan.org_unit_id,
            "period_kind": plan.period_kind,
            "is_active": plan.is_active,
            "components": json.dumps(plan.components, ensure_ascii=False, indent=2),
        }


class WhatIfForm(forms.Form):
    amount = forms.DecimalField(
        label=_("If I close this much more by the period's end"),
        min_value=Decimal(0),
        max_digits=16,
        decimal_places=2,
    )


class StatementFilterForm(forms.Form):
    period = forms.ModelChoiceField(
        label=_("Period"), queryset=Period.objects.none(), required=False, empty_label=_("All")
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *Statement.Status.choices], required=False
    )
    org_unit = forms.ModelChoiceField(
        label=_("Org unit"), queryset=OrgUnit.objects.none(), required=False, empty_label=_("All")
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = Period.objects.filter(
            kind__in=[k for k, _label in PLAN_PERIOD_KINDS]
        ).order_by("-start", "kind")
        self.fields["org_unit"].queryset = scope.visible_units(user).order_by("path")


class BadgeForm(forms.Form):
    person = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none())
    badge = forms.CharField(label=_("Badge"), max_length=80)
    message = forms.CharField(label=_("Message"), widget=forms.Textarea, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = scope.visible_users(user).filter(is_active=True).exclude(pk=user.pk)
        self.fields["person"].queryset = people.order_by("display_name")


class ContestForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    metric = forms.ModelChoiceField(label=_("Metric"), queryset=Metric.objects.all())
    period = forms.ModelChoiceField(label=_("Period"), queryset=Period.objects.none())
    org_unit = forms.ModelChoiceField(
        label=_("Org unit"),
        queryset=OrgUnit.objects.order_by("path"),
        required=False,
        empty_label=_("Whole company"),
    )
    rank_by = forms.ChoiceField(label=_("Rank by"), choices=Contest.RankBy.choices)
    winners = forms.IntegerField(label=_("Number of winners"), min_value=1, max_value=20, initial=3)
    prize = forms.DecimalField(
        label=_("Prize per winner"), min_value=Decimal(0), decimal_places=2, initial=0
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = Period.objects.exclude(kind="week").order_by(
            "-start", "kind"
        )
