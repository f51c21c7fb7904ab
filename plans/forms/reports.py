"""Forms of the report and market change pages; the checks themselves live in the services."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plans.models import MarketChange, PeriodicReport
from plans.selectors import reports as selectors
from salesgoals.models import Metric, OrgUnit, Period
from targets.models import TargetPlan

SECTION_WIDGET = forms.Textarea(attrs={"rows": 4})


class PeriodChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Period) -> str:
        return f"{obj.get_kind_display()} · {obj.label}"


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return "\u2003" * max(0, obj.depth - 1) + obj.name


class ReportCreateForm(forms.Form):
    period = PeriodChoiceField(label=_("Period"), queryset=Period.objects.none())
    org_unit = UnitChoiceField(
        label=_("Report on"),
        queryset=OrgUnit.objects.none(),
        required=False,
        empty_label=_("— my own work —"),
        help_text=_("Managers may write a team report instead."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].queryset = selectors.report_periods(timezone.localdate())
        teams = selectors.report_team_units(user)
        self.fields["org_unit"].queryset = teams
        if not teams.exists():
            del self.fields["org_unit"]


class ReportSectionsForm(forms.ModelForm):
    class Meta:
        model = PeriodicReport
        fields = ["achievements", "problems", "help_needed", "next_steps"]
        widgets = {name: SECTION_WIDGET for name in fields}
        labels = {
            "achievements": _("Achievements"),
            "problems": _("Problems and challenges"),
            "help_needed": _("Help needed"),
            "next_steps": _("Next steps"),
        }


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))


class ReviewForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when you return the report."),
    )


class ReviewMeetingForm(forms.Form):
    org_unit = UnitChoiceField(label=_("Org unit"), queryset=OrgUnit.objects.none())
    period = PeriodChoiceField(label=_("Period"), queryset=Period.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from salesgoals import scope

        self.fields["org_unit"].queryset = scope.visible_units(user).order_by("path")
        self.fields["period"].queryset = selectors.report_periods(timezone.localdate())


IMPACT_ROWS = 3


class MarketChangeForm(forms.Form):
    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    org_unit = UnitChoiceField(label=_("Region or unit"), queryset=OrgUnit.objects.none())
    category = forms.ChoiceField(label=_("Category"), choices=MarketChange.Category.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    effective_from = forms.DateField(
        label=_("Effective from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The first day the impact applies to targets, e.g. the first of next month."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from salesgoals import scope

        self.fields["org_unit"].queryset = scope.editable_units(user).order_by("path")
        metrics = Metric.objects.filter(is_active=True).order_by("sort_order", "code")
        for i in range(IMPACT_ROWS):
            self.fields[f"metric_{i}"] = forms.ModelChoiceField(
                label=_("Metric"),
                queryset=metrics,
                required=False,
                empty_label="—",
            )
            self.fields[f"impact_{i}"] = forms.DecimalField(
                label=_("Expected impact (%)"),
                required=False,
                max_digits=7,
                decimal_places=2,
                help_text=_("Signed: −10 means a drop of ten percent."),
            )

    @property
    def impact_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"metric_{i}"], self[f"impact_{i}"]) for i in range(IMPACT_ROWS)]

    def impacts(self) -> list[tuple[Metric, int]]:
        out = []
        for i in range(IMPACT_ROWS):
            metric = self.cleaned_data.get(f"metric_{i}")
            value = self.cleaned_data.get(f"impact_{i}")
            if metric is not None and value is not None:
                out.append((metric, int((Decimal(value) * 100).to_integral_value())))
            elif metric is not None or value is not None:
                self.add_error(f"impact_{i}", _("Give both the metric and its impact."))
        return out

    @staticmethod
    def initial_from(change: MarketChange) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "date": change.date,
            "org_unit": change.org_unit_id,
            "category": change.category,
            "title": change.title,
            "description": change.description,
            "effective_from": change.effective_from,
        }
        for i, impact in enumerate(list(change.impacts.all())[:IMPACT_ROWS]):
            initial[f"metric_{i}"] = impact.metric_id
            initial[f"impact_{i}"] = Decimal(impact.impact_bp).scaleb(-2)
        return initial


def next_month_start(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


class ProposeRevisionForm(forms.Form):
    plan = forms.ModelChoiceField(label=_("Target plan"), queryset=TargetPlan.objects.none())
    effective_date = forms.DateField(
        label=_("Effective date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: the market change's effective date."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Empty: a reason written from the market change."),
    )

    def __init__(self, *args: Any, plans: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans
