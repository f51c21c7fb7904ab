"""The audit list's filters: one FilterSet, validated once, applied to every history table."""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesgoals.models import User

from .registry import AREAS, AUDITED, model_choices

ACTION_CHOICES = (("+", _("Created")), ("~", _("Changed")), ("-", _("Deleted")))
# A bare "+" in a query string arrives as a space; words work as well as symbols.
ACTION_ALIASES = {" ": "+", "created": "+", "changed": "~", "deleted": "-"}


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class AuditFilter(django_filters.FilterSet):
    model = django_filters.ChoiceFilter(
        label=_("What"), choices=model_choices, method="chosen_tables"
    )
    area = django_filters.ChoiceFilter(label=_("Area"), choices=AREAS, method="chosen_tables")
    object_id = django_filters.NumberFilter(label=_("Object id"), field_name="id")
    user = django_filters.ModelChoiceFilter(
        label=_("Changed by"),
        field_name="history_user",
        queryset=User.objects.order_by("display_name", "username"),
    )
    action = django_filters.MultipleChoiceFilter(
        label=_("Action"),
        field_name="history_type",
        choices=ACTION_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    date_from = django_filters.DateFilter(
        label=_("From"), method="filter_from", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        label=_("To"), method="filter_to", widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = django_filters.CharFilter(
        label=_("Reason contains"), field_name="history_change_reason", lookup_expr="icontains"
    )

    def chosen_tables(self, queryset: Any, name: str, value: Any) -> Any:
        return queryset  # chooses the tables (audit.selectors.entry_rows), not rows

    def filter_from(self, queryset: Any, name: str, value: datetime.date) -> Any:
        return queryset.filter(history_date__gte=_midnight(value))

    def filter_to(self, queryset: Any, name: str, value: datetime.date) -> Any:
        return queryset.filter(history_date__lt=_midnight(value + datetime.timedelta(days=1)))


def audit_params(params: QueryDict) -> QueryDict:
    """The request's parameters with action aliases ("created", a decoded "+") as symbols."""
    data = params.copy()
    if "action" in data:
        actions = []
        for value in data.getlist("action"):
            for part in value.split(",") if value.strip() else [value]:
                actions.append(ACTION_ALIASES.get(part.lower(), part.strip() or part))
        data.setlist("action", actions)
    return data


def audit_filter(params: QueryDict, request: Any = None) -> AuditFilter:
    """The bound filters of a request (validated once, then applied to every table)."""
    return AuditFilter(
        audit_params(params), queryset=AUDITED[0].history.objects.none(), request=request
    )
